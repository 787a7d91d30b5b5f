//! The workspace's conformance kit, run against the Allpay sandbox.
#![cfg(feature = "sandbox")]

use std::time::Duration;

use allpay_soap::sandbox::{AllpaySandbox, merchant_private_key};
use allpay_soap::{AllpayClient, CashIn, CashInOrder, UserName};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::Faults;
use payments_core::testkit::conformance::{self, Harness};
use payments_core::{Currency, Error, Money, async_trait};

struct Allpay {
    sandbox: AllpaySandbox,
    client: AllpayClient,
}

fn kzt(amount: &str) -> Money {
    Money::parse(amount, Currency::KZT).unwrap()
}

fn user() -> UserName {
    UserName::new("77011234567").unwrap()
}

#[async_trait]
impl Harness for Allpay {
    type Gateway = AllpayClient;

    async fn start() -> Self {
        let sandbox = AllpaySandbox::start().await.unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(300);
        config.http.retry.initial_backoff = Duration::from_millis(5);
        config.terminal_schedule =
            RetryPolicy::new(8, Duration::from_millis(5), Duration::from_millis(50));
        let client = AllpayClient::new(config).unwrap();
        Allpay { sandbox, client }
    }

    fn gateway(&self) -> &AllpayClient {
        &self.client
    }

    async fn order(&self) -> CashInOrder {
        CashInOrder::new(allpay_soap::OrderId::generate(), user(), kzt("1500"))
    }

    fn faults(&self) -> &Faults {
        self.sandbox.faults()
    }

    fn commit_operation(&self) -> &'static str {
        "createCashInPayment"
    }

    fn reconcile_operations(&self) -> Vec<&'static str> {
        vec!["createCashInPayment"]
    }

    fn token_operation(&self) -> Option<&'static str> {
        None
    }

    fn read_operation(&self) -> &'static str {
        "availableBalance"
    }

    async fn read(&self) -> payments_core::Result<()> {
        self.client.available_balance().await.map(drop)
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    fn booked(&self, reference: &str) -> usize {
        self.sandbox
            .cashed_in()
            .iter()
            .filter(|c| c.guid == reference)
            .count()
    }

    fn bad_input(&self) -> Error {
        UserName::new("7701 123").unwrap_err()
    }

    async fn integrity_mismatch(&self) -> Error {
        // A two-phase transaction found again by its GUID with another amount.
        let first = CashIn {
            to_user: user(),
            amount: kzt("100"),
            guid: self.client.new_guid().unwrap(),
        };
        self.client
            .create_cash_in_transaction(&first)
            .await
            .unwrap();
        let again = CashIn {
            amount: kzt("200"),
            ..first
        };
        self.client
            .create_cash_in_transaction(&again)
            .await
            .unwrap_err()
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
        // A line of the private key's PEM body.
        vec![merchant_private_key().lines().nth(1).unwrap().to_owned()]
    }

    fn debug_texts(&self) -> Vec<String> {
        vec![
            format!("{:?}", self.client),
            format!("{:?}", self.client.config()),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn allpay_keeps_the_workspace_promises() {
    conformance::run::<Allpay>().await;
}
