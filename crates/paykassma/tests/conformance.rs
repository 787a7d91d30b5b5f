//! The workspace's conformance kit, run against the Paykassma sandbox
//! (postbacks delivered to a verifying inbox).
#![cfg(feature = "sandbox")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use paykassma::sandbox::{
    POSTBACK_PRIVATE_KEY, PaykassmaSandbox, SECRET, SandboxOptions, start_with_inbox,
};
use paykassma::{DepositOrder, Label, PaykassmaClient, PaykassmaGateway, WalletType};
use payments_core::sandbox::{Faults, SandboxServer};
use payments_core::testkit::conformance::{self, Harness};
use payments_core::{Currency, Error, Money, async_trait, pay};

struct Paykassma {
    sandbox: PaykassmaSandbox,
    gateway: PaykassmaGateway,
    labels: AtomicUsize,
    _endpoint: SandboxServer,
}

fn mmk(amount: &str) -> Money {
    Money::parse(amount, Currency::MMK).unwrap()
}

impl Paykassma {
    async fn deposit(&self, paid: Money, amount: Money) -> DepositOrder {
        let label = Label::new(format!(
            "user-{}",
            self.labels.fetch_add(1, Ordering::SeqCst)
        ))
        .unwrap();
        let client = self.gateway.client();
        let wallet = client
            .create_deposit(&label, Currency::MMK)
            .await
            .unwrap()
            .identifier
            .unwrap();
        let key1 = self.sandbox.customer_pays(&wallet, paid);
        DepositOrder::new(
            paykassma::OrderId::generate(),
            label,
            WalletType::WAVEPAY,
            key1,
            amount,
        )
    }
}

#[async_trait]
impl Harness for Paykassma {
    type Gateway = PaykassmaGateway;

    async fn start() -> Self {
        let (sandbox, inbox, endpoint) = start_with_inbox(SandboxOptions {
            postback_retry_interval: Duration::from_millis(10),
            ..SandboxOptions::default()
        })
        .await
        .unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(300);
        config.http.retry.initial_backoff = Duration::from_millis(5);
        let gateway = PaykassmaGateway::new(
            PaykassmaClient::new(config).unwrap(),
            inbox,
            Duration::from_secs(3),
        );
        Paykassma {
            sandbox,
            gateway,
            labels: AtomicUsize::new(0),
            _endpoint: endpoint,
        }
    }

    fn gateway(&self) -> &PaykassmaGateway {
        &self.gateway
    }

    async fn order(&self) -> DepositOrder {
        self.deposit(mmk("500"), mmk("500")).await
    }

    fn faults(&self) -> &Faults {
        self.sandbox.faults()
    }

    fn commit_operation(&self) -> &'static str {
        "activate"
    }

    fn reconcile_operations(&self) -> Vec<&'static str> {
        vec!["activate"]
    }

    fn token_operation(&self) -> Option<&'static str> {
        None
    }

    fn read_operation(&self) -> &'static str {
        "create"
    }

    async fn read(&self) -> payments_core::Result<()> {
        self.gateway
            .client()
            .create_deposit(&Label::new("reader").unwrap(), Currency::MMK)
            .await
            .map(drop)
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    fn booked(&self, reference: &str) -> usize {
        self.sandbox
            .credited()
            .iter()
            .filter(|c| c.custom_transaction_id == reference)
            .count()
    }

    fn bad_input(&self) -> Error {
        Label::new("x".repeat(191)).unwrap_err()
    }

    async fn integrity_mismatch(&self) -> Error {
        // The user paid in dollars into a kyat deposit: the credited currency differs.
        let order = self
            .deposit(Money::parse("5", Currency::USD).unwrap(), mmk("500"))
            .await;
        pay(&self.gateway, order).await.unwrap_err()
    }

    fn expire_tokens(&self) -> bool {
        false
    }

    fn revoke_tokens(&self) -> bool {
        false
    }

    fn tokens_issued(&self) -> usize {
        0
    }

    fn secrets(&self) -> Vec<String> {
        vec![SECRET.to_owned(), POSTBACK_PRIVATE_KEY.to_owned()]
    }

    fn debug_texts(&self) -> Vec<String> {
        vec![
            format!("{:?}", self.gateway),
            format!("{:?}", self.gateway.client().config()),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paykassma_keeps_the_workspace_promises() {
    conformance::run::<Paykassma>().await;
}
