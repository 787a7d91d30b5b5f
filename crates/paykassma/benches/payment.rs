//! A whole payment over loopback — what a merchant pays per order: through
//! the SDK, `paykassma::pay` over a [`PaykassmaGateway`] (the order's
//! `custom_transaction_id`, the inbox looked at for an earlier postback,
//! one activation, the credited amount checked against the order), against
//! the hand-written client making the same activation with the same check,
//! one in-process server answering both; 1 and 64 payments at a time.
//! `cargo xtask bench` prints the ratio (target: at least 0.9 of the
//! hand-written throughput).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use paykassma::postback::{PostbackKeys, PostbackVerifier};
use paykassma::{
    Currency, DepositOrder, Label, Money, PaykassmaClient, PaykassmaConfig, PaykassmaGateway,
    PaymentStatus, PostbackInbox, SecretString, TransactionNumber, WalletType,
};
use serde_json::value::RawValue;

mod baseline;

const ACTIVATE_ANSWER: &str = r#"{"status": "ok", "deposit": true, "deposit_amount": 500.5, "currency": {"code": "MMK", "symbol": "MMK"}}"#;

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    let server = answering(&runtime, "application/json", |_| {
        ACTIVATE_ANSWER.as_bytes().into()
    });
    let client = PaykassmaClient::new(PaykassmaConfig::with_urls(
        server.base_url(),
        server.base_url(),
        SecretString::from(baseline::SECRET),
    ))
    .unwrap();
    let inbox = Arc::new(PostbackInbox::new(PostbackVerifier::new(
        PostbackKeys::new(SecretString::from("access"), SecretString::from("private")),
    )));
    let gateway = PaykassmaGateway::new(client, inbox, Duration::from_secs(5));
    let price = Money::parse("500.5", Currency::MMK).unwrap();
    let order = move || {
        DepositOrder::new(
            bench_support::order_id(),
            Label::new("user-55").unwrap(),
            WalletType::WAVEPAY,
            TransactionNumber::new("1394646476").unwrap(),
            price,
        )
    };
    let paid = runtime.block_on(paykassma::pay(&gateway, order())).unwrap();
    assert_eq!(paid.status, PaymentStatus::Completed);
    let raw = raw_client();
    let base = server.base_url().as_url().clone();

    let sdk = bench_support::payments(gateway, order);
    let baseline = op(move || {
        let (raw, base) = (raw.clone(), base.clone());
        async move {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let id = format!("order-{}", NEXT.fetch_add(1, Ordering::Relaxed));
            let amount = RawValue::from_string(price.amount().normalize().to_string()).unwrap();
            let request = baseline::post(
                &raw,
                &base,
                "api/v1/transaction/activate",
                &baseline::activate(&amount, &id),
            );
            let bytes = raw.execute(request).await.unwrap().bytes().await.unwrap();
            let answer: baseline::ActivateAnswer = serde_json::from_slice(&bytes).unwrap();
            assert!(answer.status == "ok" && answer.deposit);
            assert_eq!(answer.currency.code, "MMK");
            let credited = paykassma::Decimal::from_str_exact(&answer.deposit_amount.to_string());
            assert_eq!(
                credited.unwrap(),
                price.amount(),
                "credited the order's amount"
            );
        }
    });
    compare_throughput(c, &runtime, "paykassma/payment", &sdk, &baseline);
    drop(server);
}

criterion_group! {
    name = payment_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(payment_benches);
