//! What a support desk needs is in the logs: the flow's span with the
//! `refId`, each request's `corrID`, the merchant reference and the HTTP
//! status of each provider call. (Alone in its test binary: tracing caches
//! callsite interest process-wide.)
#![cfg(feature = "sandbox")]

use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber};
use payments_core::testkit::CapturedLogs;
use payments_core::{Currency, Money};

#[tokio::test]
async fn spans_and_events_carry_ref_id_corr_id_reference_and_status() {
    let logs = CapturedLogs::start();
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = JawaliClient::new(sandbox.config()).unwrap();
    let mobile = MobileNumber::new("771234567").unwrap();
    let price = Money::parse("1500", Currency::YER).unwrap();
    let voucher = sandbox.create_voucher(price, &mobile);
    let receipt = client
        .collect(voucher.as_str(), mobile.as_str(), price)
        .await
        .unwrap();
    let text = logs.text();
    for needle in [
        "jawali_collect".to_owned(),
        format!("ref_id={}", receipt.reference),
        format!("reference=\"{}\"", receipt.reference),
        "corr_id=".to_owned(),
        "status=200".to_owned(),
        "provider_call".to_owned(),
    ] {
        assert!(text.contains(&needle), "`{needle}` missing from:\n{text}");
    }
}
