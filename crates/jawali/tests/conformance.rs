//! The workspace's conformance kit, run against the Jawali sandbox.
#![cfg(feature = "sandbox")]

use std::sync::Arc;
use std::time::Duration;

use jawali::sandbox::{CREDENTIALS, JawaliSandbox};
use jawali::{JawaliClient, MobileNumber, VoucherPayment};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::Faults;
use payments_core::testkit::conformance::{self, Harness};
use payments_core::{Currency, Error, Money, async_trait, pay};

struct Jawali {
    sandbox: JawaliSandbox,
    client: JawaliClient,
}

fn yer(amount: &str) -> Money {
    Money::parse(amount, Currency::YER).unwrap()
}

fn mobile() -> MobileNumber {
    MobileNumber::new("771234567").unwrap()
}

#[async_trait]
impl Harness for Jawali {
    type Gateway = JawaliClient;

    async fn start() -> Self {
        let sandbox = JawaliSandbox::start().await.unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(300);
        config.http.retry.initial_backoff = Duration::from_millis(5);
        let client = JawaliClient::builder(config)
            .clock(Arc::new(sandbox.clock().clone()))
            .settle_policy(RetryPolicy::new(
                4,
                Duration::from_millis(10),
                Duration::from_millis(50),
            ))
            .build()
            .unwrap();
        Jawali { sandbox, client }
    }

    fn gateway(&self) -> &JawaliClient {
        &self.client
    }

    async fn order(&self) -> VoucherPayment {
        let voucher = self.sandbox.create_voucher(yer("1500"), &mobile());
        VoucherPayment::new(
            jawali::OrderId::generate(),
            voucher.as_str(),
            mobile().as_str(),
            yer("1500"),
        )
        .unwrap()
    }

    fn faults(&self) -> &Faults {
        self.sandbox.faults()
    }

    fn commit_operation(&self) -> &'static str {
        "cash_out"
    }

    fn reconcile_operations(&self) -> Vec<&'static str> {
        vec!["check_status", "inquiry", "cash_out"]
    }

    fn token_operation(&self) -> Option<&'static str> {
        Some("login")
    }

    fn read_operation(&self) -> &'static str {
        "balance"
    }

    async fn read(&self) -> payments_core::Result<()> {
        self.client.balance().await.map(drop)
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    /// Every cash-out of the voucher the cash-out `reference` was for: a
    /// resend carries a fresh refId, so one payment is one voucher.
    fn booked(&self, reference: &str) -> usize {
        let cash_outs = self.sandbox.cash_outs();
        let Some(voucher) = cash_outs
            .iter()
            .find(|c| c.reference == reference)
            .map(|c| c.voucher.clone())
        else {
            return 0;
        };
        cash_outs.iter().filter(|c| c.voucher == voucher).count()
    }

    fn bad_input(&self) -> Error {
        VoucherPayment::new(jawali::OrderId::generate(), "", "771234567", yer("1500")).unwrap_err()
    }

    async fn integrity_mismatch(&self) -> Error {
        let voucher = self.sandbox.create_voucher(yer("1000"), &mobile());
        let order = VoucherPayment::new(
            jawali::OrderId::generate(),
            voucher.as_str(),
            mobile().as_str(),
            yer("1500"),
        )
        .unwrap();
        pay(&self.client, order).await.unwrap_err()
    }

    fn expire_tokens(&self) -> bool {
        self.sandbox.clock().advance(Duration::from_secs(3601));
        true
    }

    fn revoke_tokens(&self) -> bool {
        self.sandbox.revoke_access_tokens();
        true
    }

    fn tokens_issued(&self) -> usize {
        self.sandbox.counts().logins
    }

    fn secrets(&self) -> Vec<String> {
        vec![
            CREDENTIALS.password.to_owned(),
            CREDENTIALS.wallet_password.to_owned(),
            "Bearer ".to_owned(),
        ]
    }

    fn debug_texts(&self) -> Vec<String> {
        vec![
            format!("{:?}", self.client.config()),
            format!("{:?}", self.client),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jawali_keeps_the_workspace_promises() {
    conformance::run::<Jawali>().await;
}
