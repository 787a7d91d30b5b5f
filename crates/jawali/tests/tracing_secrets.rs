//! Secrets stay out of `tracing` output and error texts through a whole
//! collect, an unknown outcome and its settlement included. Alone in its
//! binary: tracing caches per-callsite interest process-wide.
#![cfg(feature = "sandbox")]

use std::time::Duration;

use jawali::sandbox::{CREDENTIALS, JawaliSandbox};
use jawali::{JawaliClient, MobileNumber};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::Fault;
use payments_core::testkit::{CapturedLogs, assert_no_secret, error_texts};
use payments_core::{Currency, Money};

#[tokio::test]
async fn no_credential_or_token_reaches_the_logs_or_errors() {
    let logs = CapturedLogs::start();

    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = JawaliClient::builder(sandbox.config())
        .settle_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(5),
        ))
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
    assert_eq!(receipt.status, jawali::PaymentStatus::Completed);

    let resent = sandbox.create_voucher(amount, &mobile);
    sandbox.faults().inject("cash_out", Fault::DropBeforeCommit);
    client
        .collect(resent.as_str(), mobile.as_str(), amount)
        .await
        .unwrap();

    let mismatched = sandbox.create_voucher(amount, &mobile);
    let other = Money::parse("991", Currency::YER).unwrap();
    let error = client
        .collect(mismatched.as_str(), mobile.as_str(), other)
        .await
        .unwrap_err();

    let logs = logs.text();
    assert!(
        logs.contains("provider_call{provider=\"jawali\" operation=\"cash_out\""),
        "{logs}"
    );
    assert!(logs.contains("settling by status"), "{logs}");
    let mut texts = error_texts(&error);
    texts.push(logs);
    texts.push(format!("{client:?}"));
    // Tokens look like `at-<hex>` and `wt-<hex>` in the sandbox.
    let tokens: Vec<String> = (0..16)
        .flat_map(|d| [format!("at-{d:x}"), format!("wt-{d:x}")])
        .collect();
    assert_no_secret(
        &texts,
        &[CREDENTIALS.password, CREDENTIALS.wallet_password, "Bearer "],
    );
    assert_no_secret(&texts, &tokens);
}
