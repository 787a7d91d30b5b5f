//! A whole payment over loopback — what a merchant pays per order: through
//! the SDK, `jawali::pay` (the voucher inquired and checked against the
//! order, one cash-out, its answer checked against the request), against the
//! hand-written client making the same requests and the same checks, one
//! in-process server answering both; 1 and 64 payments at a time.
//! `jawali/payment`: tokens cached. `jawali/payment-cold`: every payment
//! finds both tokens expired (the SDK client's clock moves an hour on, past
//! their lifetime, before each) and logs in and authenticates the wallet
//! first; the hand-written client makes those two requests too. Concurrent
//! SDK payments that find a renewal in flight share it, as they would in
//! production. `cargo xtask bench` prints the ratios (target: at least 0.9
//! of the hand-written throughput).

use std::sync::Arc;

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use jawali::payments_core::clock::ManualClock;
use jawali::{Currency, JawaliClient, Money, PaymentStatus, VoucherPayment};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

mod baseline;

const INQUIRY_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"txnamount":1500,"txncurrency":"YER","state":"PENDING","issuerTrxRef":"ISS-77","receiverMobile":"771234567","senderMobile":"733000001","trxDate":"2026-11-23 10:00:00"}}"#;

/// The cash-out's answer, echoing the request's `refId` as Jawali does.
fn cash_out_answer(request_body: &[u8]) -> String {
    let request: serde_json::Value = serde_json::from_slice(request_body).unwrap_or_default();
    let ref_id = request["body"]["refId"].as_str().unwrap_or_default();
    format!(
        r#"{{"responseStatus":{{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"}},"responseBody":{{"amount":1500,"refId":"{ref_id}","issuerRef":"9876543210","currency":"YER","balance":25000.5,"status":"ACCEPTED"}}}}"#
    )
}

/// The login the SDK sends (`LOGIN`), as a hand-written client would
/// write it.
const LOGIN_FORM: &str = "grant_type=password&client_id=restapp&client_secret=restapp&scope=read&username=merchant&password=login-pw";

/// The wallet token in the wallet authentication's body.
#[derive(Deserialize)]
struct Token {
    access_token: String,
}

/// `WALLETAUTHENTICATION`'s body.
#[derive(Serialize)]
struct WalletAuth<'a> {
    identifier: &'a str,
    password: &'a str,
}

/// The hand-written payment: the inquiry, its checks, the cash-out and its
/// checks, under the tokens it holds.
async fn hand_written_payment(raw: &reqwest::Client, url: &reqwest::Url, price: Money) {
    let ref_id = uuid::Uuid::new_v4().to_string();
    let request = baseline::call(
        raw,
        url,
        "PAYAG.ECOMMERCEINQUIRY",
        baseline::inquiry(&ref_id),
    );
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
        raw,
        url,
        "PAYAG.ECOMMCASHOUT",
        baseline::CashOut {
            inquiry: baseline::inquiry(&cash_out_ref),
            amount: &amount,
            currency: "YER",
        },
    );
    let bytes = raw.execute(request).await.unwrap().bytes().await.unwrap();
    let receipt: baseline::CashOutAnswer = baseline::read(&bytes);
    assert_eq!(receipt.ref_id, cash_out_ref);
    assert_eq!(baseline::money(receipt.amount, &receipt.currency), price);
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    // Token requests, counted: a cold payment must make its own.
    let token_requests = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Arc::clone(&token_requests);
    let server = answering(&runtime, "application/json", move |request| {
        if let Some(token) = baseline::token_answer(&request.path, &request.body) {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            token.as_bytes().into()
        } else if request.body.windows(16).any(|w| w == b"ECOMMERCEINQUIRY") {
            INQUIRY_ANSWER.as_bytes().into()
        } else {
            cash_out_answer(&request.body).into_bytes().into()
        }
    });
    let client = baseline::sdk_client(server.base_url());
    let price = Money::parse("1500", Currency::YER).unwrap();
    let order = move || {
        VoucherPayment::new(bench_support::order_id(), "483920", "771234567", price).unwrap()
    };
    // Tokens fetched once, before measuring.
    let paid = runtime.block_on(jawali::pay(&client, order())).unwrap();
    assert_eq!(paid.status, PaymentStatus::Completed);
    let url = server.base_url().join("paygate/v1/ws/callWS").unwrap();
    let raw = raw_client();

    let sdk = bench_support::payments(client, order);
    let baseline = {
        let (raw, url) = (raw.clone(), url.clone());
        op(move || {
            let (raw, url) = (raw.clone(), url.clone());
            async move { hand_written_payment(&raw, &url, price).await }
        })
    };

    // Cold: the same payments, each first renewing both tokens.
    let clock = Arc::new(ManualClock::starting_now());
    let cold_client = JawaliClient::builder(baseline::sdk_config(server.base_url()))
        .clock(clock.clone())
        .build()
        .unwrap();
    let sdk_cold = bench_support::cold_payments(cold_client, clock, order);
    let login_url = server.base_url().join("paygate/oauth/token").unwrap();
    let baseline_cold = op(move || {
        let (raw, url, login_url) = (raw.clone(), url.clone(), login_url.clone());
        async move {
            let access = bench_support::fetch_token(&raw, login_url, LOGIN_FORM).await;
            assert_eq!(access, "access-token-0123456789");
            let request = baseline::call_in(
                &raw,
                &url,
                "WalletDomain",
                "PAYWA.WALLETAUTHENTICATION",
                WalletAuth {
                    identifier: "777000111",
                    password: "wallet-pw",
                },
            );
            let bytes = raw.execute(request).await.unwrap().bytes().await.unwrap();
            let wallet: Token = baseline::read(&bytes);
            assert_eq!(wallet.access_token, "wallet-token-0123456789");
            hand_written_payment(&raw, &url, price).await;
        }
    });
    // A cold payment logs in and authenticates the wallet, on each side.
    bench_support::assert_renews(&runtime, [&sdk_cold, &baseline_cold], &token_requests, 2);
    compare_throughput(c, &runtime, "jawali/payment", &sdk, &baseline);
    compare_throughput(
        c,
        &runtime,
        "jawali/payment-cold",
        &sdk_cold,
        &baseline_cold,
    );
    drop(server);
}

criterion_group! {
    name = payment_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(payment_benches);
