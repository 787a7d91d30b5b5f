//! A whole payment over loopback — what a merchant pays per order: through
//! the SDK, `jawali::pay` (the voucher inquired and checked against the
//! order, one cash-out, its answer checked against the request; tokens
//! cached), against the hand-written client making the same two requests
//! and the same checks, one in-process server answering both; 1 and 64
//! payments at a time. `cargo xtask bench` prints the ratio (target: at
//! least 0.9 of the hand-written throughput).

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use jawali::{Currency, Money, OrderId, PaymentStatus, VoucherPayment};
use serde_json::value::RawValue;

mod baseline;

const INQUIRY_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"txnamount":1500,"txncurrency":"YER","state":"PENDING","issuerTrxRef":"ISS-77","receiverMobile":"771234567","senderMobile":"733000001","trxDate":"2026-11-23 10:00:00"}}"#;

/// The inquiry's body (and the cash-out's, with the amount) under `ref_id`.
fn inquiry(ref_id: &str) -> baseline::Inquiry<'_> {
    baseline::Inquiry {
        agent_wallet: "777000111",
        password: "wallet-pw",
        access_token: "wallet-token-0123456789",
        voucher: "483920",
        receiver_mobile: "771234567",
        ref_id,
        purpose: "Online purchase",
    }
}

/// The cash-out's answer, echoing the request's `refId` as Jawali does.
fn cash_out_answer(request_body: &[u8]) -> String {
    let request: serde_json::Value = serde_json::from_slice(request_body).unwrap_or_default();
    let ref_id = request["body"]["refId"].as_str().unwrap_or_default();
    format!(
        r#"{{"responseStatus":{{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"}},"responseBody":{{"amount":1500,"refId":"{ref_id}","issuerRef":"9876543210","currency":"YER","balance":25000.5,"status":"ACCEPTED"}}}}"#
    )
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    let server = answering(&runtime, "application/json", |request| {
        if let Some(token) = baseline::token_answer(&request.path, &request.body) {
            token.as_bytes().into()
        } else if request.body.windows(16).any(|w| w == b"ECOMMERCEINQUIRY") {
            INQUIRY_ANSWER.as_bytes().into()
        } else {
            cash_out_answer(&request.body).into_bytes().into()
        }
    });
    let client = baseline::sdk_client(server.base_url());
    let price = Money::parse("1500", Currency::YER).unwrap();
    let order =
        move || VoucherPayment::new(OrderId::generate(), "483920", "771234567", price).unwrap();
    // Tokens fetched once, before measuring.
    let paid = runtime.block_on(jawali::pay(&client, order())).unwrap();
    assert_eq!(paid.status, PaymentStatus::Completed);
    let url = server.base_url().join("paygate/v1/ws/callWS").unwrap();
    let raw = raw_client();

    let sdk = op(move || {
        let (client, order) = (client.clone(), order());
        async move {
            let outcome = jawali::pay(&client, order).await.unwrap();
            assert_eq!(outcome.status, PaymentStatus::Completed);
        }
    });
    let baseline = op(move || {
        let (raw, url) = (raw.clone(), url.clone());
        async move {
            let ref_id = uuid::Uuid::new_v4().to_string();
            let request = baseline::call(&raw, &url, "PAYAG.ECOMMERCEINQUIRY", inquiry(&ref_id));
            let bytes = raw.execute(request).await.unwrap().bytes().await.unwrap();
            let voucher: baseline::InquiryAnswer = baseline::read(&bytes);
            assert_eq!(voucher.state, "PENDING");
            assert_eq!(
                baseline::money(voucher.txnamount, &voucher.txncurrency),
                price
            );

            let cash_out_ref = uuid::Uuid::new_v4().to_string();
            let amount = RawValue::from_string(price.amount().normalize().to_string()).unwrap();
            let request = baseline::call(
                &raw,
                &url,
                "PAYAG.ECOMMCASHOUT",
                baseline::CashOut {
                    inquiry: inquiry(&cash_out_ref),
                    amount: &amount,
                    currency: "YER",
                },
            );
            let bytes = raw.execute(request).await.unwrap().bytes().await.unwrap();
            let receipt: baseline::CashOutAnswer = baseline::read(&bytes);
            assert_eq!(receipt.ref_id, cash_out_ref);
            assert_eq!(baseline::money(receipt.amount, &receipt.currency), price);
        }
    });
    for concurrency in [1, 64] {
        compare_throughput(c, &runtime, "jawali/payment", concurrency, &sdk, &baseline);
    }
    drop(server);
}

criterion_group! {
    name = payment_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(payment_benches);
