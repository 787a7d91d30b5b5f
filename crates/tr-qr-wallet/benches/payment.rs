//! A whole payment over loopback — what a merchant pays per order: through
//! the SDK, `payments_core::pay` (Begin, the sale checked against the
//! expected amount, Complete, the receipt checked against the sale), against
//! the hand-written client making the same requests and the same checks, one
//! in-process server answering both; 1 and 64 payments at a time.
//! `tr-qr-wallet/payment`: the token cached. `tr-qr-wallet/payment-cold`:
//! every payment finds the token expired (the SDK client's clock moves an
//! hour on, past its lifetime, before each) and fetches one first; the
//! hand-written client makes that request too. Concurrent SDK payments that
//! find a fetch in flight share it, as they would in production. `cargo
//! xtask bench` prints the ratios (target: at least 0.9 of the hand-written
//! throughput).

use std::sync::Arc;

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use serde_json::value::RawValue;
use tr_qr_wallet::payments_core::clock::ManualClock;
use tr_qr_wallet::{
    BaseUrl, Currency, Money, PaymentStatus, QrCode, QrCodeType, QrPayment, QrWalletClient,
    WalletNumber,
};

mod baseline;

/// Begin's answer: a sale of 0.13 TRY, its session open until 2099.
const BEGIN_ANSWER: &str = r#"{"status": 0, "code": "100", "message": null, "payload": {"tx_correlation_id": 7777777777777777777, "payment_data": "{\"MerchantNo\": \"0007777777\", \"TerminalNo\": \"0007777777\", \"MerchantName\": \"Test_58\", \"BrandId\": 0, \"BrandName\": \"\", \"CityName\": \"Antalya\", \"DistrictName\": \"Aksu\", \"RequestAmount\": 0.13, \"BatchNo\": 1, \"TransactionId\": 98598610, \"ProductId\": 2, \"ProductName\": \"RESTO %1\", \"Kdv\": \"1,00\", \"DiscountRatio\": \"0,00\", \"CurrencyId\": \"1\", \"SaleRefCode\": \"7777777777777777777777\", \"SessionExpireDate\": \"2099-04-01T08:38:40.51\", \"ResponseCode\": 0, \"ResponseMessage\": \"ok\", \"ErrorMessage\": null}"}}"#;
/// Complete's answer for that sale.
const COMPLETE_ANSWER: &str = r#"{"status": 0, "code": "100", "message": "ok", "payload": {"transaction_id": "55555560555665555555", "transaction_amount": 0.13, "transaction_fee": 0.00, "charged_amount": 0.13, "ext_order_id": "{\"saleRefCode\":\"7777777777777777777777\",\"transactionId\":98598610}", "business_code": "", "business_name": "", "friendly_name": "", "receiver_account_number": "EEEEEEOE00", "receiver_wallet_number": "7777777777", "sender_wallet_info": {"id": "7997777777777777777", "name": "", "account_number": "EEEEEE010", "account_type": "Personal", "number": "777777777", "total_balance": 796.00, "payment_balance": {"available": 796.00, "unavailable": 0.00}, "cash_balance": {"available": 0.00, "unavailable": 0.00}, "currency_code": "TRY"}}}"#;

/// The hand-written payment: Begin, its checks, Complete and its checks,
/// under the token it holds.
async fn hand_written_payment(
    raw: &reqwest::Client,
    begin_url: &reqwest::Url,
    complete_url: &reqwest::Url,
    price: Money,
) {
    let begin = baseline::post(
        raw,
        begin_url,
        &baseline::Begin {
            wallet_number: "5555555555",
            provider_id: "provider-7",
            qr_code: "0002010102112654",
            qr_code_type: 1,
        },
    );
    let bytes = raw.execute(begin).await.unwrap().bytes().await.unwrap();
    let begun: baseline::Envelope<baseline::BeginPayload> = serde_json::from_slice(&bytes).unwrap();
    assert!(begun.status == 0 && begun.code == "100");
    let sale: baseline::PaymentData = serde_json::from_str(&begun.payload.payment_data).unwrap();
    let amount = baseline::try_money(sale.request_amount);
    assert_eq!(amount, price, "the sale is for the order's amount");
    let expires = baseline::local_time(&sale.session_expire_date);
    assert!(expires > tr_qr_wallet::time::OffsetDateTime::now_utc());

    let correlation: &RawValue = &begun.payload.tx_correlation_id;
    let complete = baseline::post(
        raw,
        complete_url,
        &baseline::Complete {
            wallet_number: "5555555555",
            provider_id: "provider-7",
            tx_correlation_id: correlation,
        },
    );
    let bytes = raw.execute(complete).await.unwrap().bytes().await.unwrap();
    let done: baseline::Envelope<baseline::CompletePayload> =
        serde_json::from_slice(&bytes).unwrap();
    assert!(done.status == 0 && done.code == "100");
    let order: baseline::ExtOrder = serde_json::from_str(&done.payload.ext_order_id).unwrap();
    assert_eq!(order.sale_ref_code, sale.sale_ref_code);
    assert_eq!(baseline::try_money(done.payload.charged_amount), amount);
}

/// The token request the SDK sends, as a hand-written client would write it.
const TOKEN_FORM: &str =
    "grant_type=client_credentials&client_id=client-1&client_secret=client-s3cret&scope=api";

/// Where the SDK client of [`baseline::sdk_client`] asks for tokens.
fn token_url(base: &BaseUrl) -> reqwest::Url {
    reqwest::Url::parse(base.join("connect/token").unwrap().as_str()).unwrap()
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    // Token requests, counted: a cold payment must make its own.
    let token_requests = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Arc::clone(&token_requests);
    let server = answering(&runtime, "application/json", move |request| {
        let body = if request.path.ends_with("/connect/token") {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            baseline::TOKEN_ANSWER
        } else if request.path.ends_with("Begin3rdPartyQRCodePayment") {
            BEGIN_ANSWER
        } else {
            COMPLETE_ANSWER
        };
        body.as_bytes().into()
    });
    let base = server.base_url();
    let client = baseline::sdk_client(&base);
    let wallet = WalletNumber::new("5555555555").unwrap();
    let qr = QrCode::new("0002010102112654").unwrap();
    let price = Money::parse("0.13", Currency::TRY).unwrap();
    let order = move || {
        QrPayment::new(
            bench_support::order_id(),
            wallet.clone(),
            qr.clone(),
            QrCodeType::Default,
        )
        .expecting(price)
    };
    // The token fetched once, before measuring.
    let paid = runtime
        .block_on(tr_qr_wallet::pay(&client, order()))
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Completed);

    let begin_url = base
        .join("v1/Transaction/Begin3rdPartyQRCodePayment")
        .unwrap();
    let complete_url = base
        .join("v1/Transaction/Complete3rdPartyQRCodePayment")
        .unwrap();
    let raw = raw_client();

    let sdk = bench_support::payments(client, order.clone());
    let baseline = {
        let (raw, begin_url, complete_url) = (raw.clone(), begin_url.clone(), complete_url.clone());
        op(move || {
            let (raw, begin_url, complete_url) =
                (raw.clone(), begin_url.clone(), complete_url.clone());
            async move { hand_written_payment(&raw, &begin_url, &complete_url, price).await }
        })
    };

    // Cold: the same payments, each first fetching a token.
    let clock = Arc::new(ManualClock::starting_now());
    let cold_client = QrWalletClient::builder(baseline::sdk_config(&base))
        .clock(clock.clone())
        .build()
        .unwrap();
    let sdk_cold = bench_support::cold_payments(cold_client, clock, order);
    let token_url = token_url(&base);
    let baseline_cold = op(move || {
        let (raw, begin_url, complete_url, token_url) = (
            raw.clone(),
            begin_url.clone(),
            complete_url.clone(),
            token_url.clone(),
        );
        async move {
            let token = bench_support::fetch_token(&raw, token_url, TOKEN_FORM).await;
            assert_eq!(token, "access-token-0123456789");
            hand_written_payment(&raw, &begin_url, &complete_url, price).await;
        }
    });
    // A cold payment fetches a token, on each side.
    bench_support::assert_renews(&runtime, [&sdk_cold, &baseline_cold], &token_requests, 1);
    compare_throughput(c, &runtime, "tr-qr-wallet/payment", &sdk, &baseline);
    compare_throughput(
        c,
        &runtime,
        "tr-qr-wallet/payment-cold",
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
