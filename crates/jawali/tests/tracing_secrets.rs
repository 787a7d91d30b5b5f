//! Secrets stay out of `tracing` output and error texts through a whole
//! collect, an unknown outcome and its settlement included. Alone in its
//! binary: tracing caches per-callsite interest process-wide.
#![cfg(feature = "sandbox")]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jawali::sandbox::{CREDENTIALS, JawaliSandbox};
use jawali::{JawaliClient, MobileNumber};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::Fault;
use payments_core::{Currency, Money};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_credential_or_token_reaches_the_logs_or_errors() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = JawaliClient::builder(sandbox.config())
        .settle_policy(RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(5),
            jitter: false,
        })
        .build()
        .unwrap();
    let mobile = MobileNumber::new("771234567").unwrap();
    let amount = Money::parse("990", Currency::YER).unwrap();

    let settled = sandbox.create_voucher(amount, &mobile);
    sandbox.faults().inject("cash_out", Fault::DropAfterCommit);
    let receipt = client
        .collect(settled.as_str(), mobile.as_str(), amount)
        .await
        .unwrap();
    assert!(receipt.settled_by_lookup);

    let lost = sandbox.create_voucher(amount, &mobile);
    sandbox.faults().inject("cash_out", Fault::DropBeforeCommit);
    let error = client
        .collect(lost.as_str(), mobile.as_str(), amount)
        .await
        .unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("provider_call{provider=\"jawali\" operation=\"cash_out\""),
        "{logs}"
    );
    assert!(logs.contains("settling by status"), "{logs}");
    for text in [
        logs,
        error.to_string(),
        format!("{error:?}"),
        format!("{client:?}"),
    ] {
        for secret in [
            CREDENTIALS.password,
            CREDENTIALS.wallet_password,
            "Bearer ",
            "wt-",
            "at-0",
            "at-1",
            "at-2",
            "at-3",
            "at-4",
            "at-5",
            "at-6",
            "at-7",
            "at-8",
            "at-9",
            "at-a",
            "at-b",
            "at-c",
            "at-d",
            "at-e",
            "at-f",
        ] {
            assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
        }
    }
}
