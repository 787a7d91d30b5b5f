//! The workspace's conformance kit, run against the Sipay wallet sandbox.
#![cfg(feature = "sandbox")]

use std::sync::Arc;
use std::time::Duration;

use payments_core::sandbox::Faults;
use payments_core::testkit::conformance::{self, Harness};
use payments_core::{Currency, Error, Gateway, Money, async_trait};
use tr_qr_wallet::sandbox::{CLIENT_SECRET, MERCHANT_CODE, QrWalletSandbox, TERMINAL_CODE};
use tr_qr_wallet::{Embedded, QrCodeType, QrPayment, QrWalletClient, WalletNumber};

struct Sipay {
    sandbox: QrWalletSandbox,
    client: QrWalletClient,
}

fn tl(amount: &str) -> Money {
    Money::parse(amount, Currency::TRY).unwrap()
}

fn wallet() -> WalletNumber {
    WalletNumber::new("1011179271").unwrap()
}

#[async_trait]
impl Harness for Sipay {
    type Gateway = QrWalletClient;

    async fn start() -> Self {
        let sandbox = QrWalletSandbox::start().await.unwrap();
        sandbox.add_wallet(&wallet(), tl("100000"), tl("100000"));
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(300);
        config.http.retry.initial_backoff = Duration::from_millis(5);
        config.settle = payments_core::http::RetryPolicy::new(
            4,
            Duration::from_millis(10),
            Duration::from_millis(50),
        );
        let client = QrWalletClient::builder(config)
            .clock(Arc::new(sandbox.clock().clone()))
            .build()
            .unwrap();
        Sipay { sandbox, client }
    }

    fn gateway(&self) -> &QrWalletClient {
        &self.client
    }

    async fn order(&self) -> QrPayment {
        QrPayment::new(
            tr_qr_wallet::OrderId::generate(),
            wallet(),
            self.sandbox.pos_creates_qr(tl("12.50")),
            QrCodeType::Default,
        )
    }

    fn faults(&self) -> &Faults {
        self.sandbox.faults()
    }

    fn commit_operation(&self) -> &'static str {
        "complete"
    }

    fn reconcile_operations(&self) -> Vec<&'static str> {
        vec!["complete"]
    }

    fn token_operation(&self) -> Option<&'static str> {
        Some("token")
    }

    fn read_operation(&self) -> &'static str {
        "create_qr_code"
    }

    async fn read(&self) -> payments_core::Result<()> {
        self.client
            .create_qr_code(MERCHANT_CODE, TERMINAL_CODE, tl("1"))
            .await
            .map(drop)
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    fn booked(&self, reference: &str) -> usize {
        self.sandbox
            .debits()
            .iter()
            .filter(|d| d.correlation_id == reference)
            .count()
    }

    fn bad_input(&self) -> Error {
        WalletNumber::new(" ").unwrap_err()
    }

    async fn integrity_mismatch(&self) -> Error {
        let mut begun = self.client.prepare(self.order().await).await.unwrap();
        // The sale the user confirmed said 1.00; the wallet charges the real 12.50.
        if let Embedded::Decoded(sale) = &mut begun.session.sale {
            sale.amount = tl("1");
        }
        self.client.commit(&begun).await.unwrap_err()
    }

    fn expire_tokens(&self) -> bool {
        self.sandbox.clock().advance(Duration::from_secs(3601));
        true
    }

    fn revoke_tokens(&self) -> bool {
        self.sandbox.revoke_tokens();
        true
    }

    fn tokens_issued(&self) -> usize {
        self.sandbox.counts().tokens
    }

    fn secrets(&self) -> Vec<String> {
        vec![CLIENT_SECRET.to_owned(), "Bearer ".to_owned()]
    }

    fn debug_texts(&self) -> Vec<String> {
        vec![
            format!("{:?}", self.client),
            format!("{:?}", self.client.config()),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tr_qr_wallet_keeps_the_workspace_promises() {
    conformance::run::<Sipay>().await;
}
