//! Loopback throughput of one read (Begin, the token cached) through the
//! SDK, against raw `reqwest` (the same transport policy: timeouts, no
//! redirects) posting the same request bytes to the same in-process server
//! and reading the same answer — JSON-in-string included — into minimal
//! structs; 1 and 64 calls at a time. `cargo xtask bench` prints the ratio
//! (target: at least 0.9 of the raw throughput).

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use serde::Deserialize;
use tr_qr_wallet::{QrCode, QrCodeType, SecretString, WalletNumber, codec};

mod baseline;

const BEGIN_ANSWER: &str = r#"{"status": 0, "code": "100", "message": null, "payload": {"tx_correlation_id": 7777777777777777777, "payment_data": "{\"MerchantNo\": \"0007777777\", \"TerminalNo\": \"0007777777\", \"MerchantName\": \"Test_58\", \"RequestAmount\": 0.13, \"TransactionId\": 98598610, \"Kdv\": \"1,00\", \"SaleRefCode\": \"7777777777777777777777\", \"SessionExpireDate\": \"2099-04-01T08:38:40.51\", \"ResponseCode\": 0}"}}"#;

#[derive(Deserialize)]
struct Envelope {
    status: i64,
    code: String,
    payload: Payload,
}

#[derive(Deserialize)]
struct Payload {
    tx_correlation_id: Box<serde_json::value::RawValue>,
    payment_data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PaymentData {
    request_amount: f64,
    sale_ref_code: String,
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    // The identity server and Begin, always the same bytes.
    let server = answering(&runtime, "application/json", |request| {
        let body = if request.path.ends_with("/connect/token") {
            baseline::TOKEN_ANSWER
        } else {
            BEGIN_ANSWER
        };
        body.as_bytes().into()
    });
    let base = server.base_url();
    let client = baseline::sdk_client(&base);
    let wallet = WalletNumber::new("5555555555").unwrap();
    let qr = QrCode::new("0002010102112654").unwrap();
    // The token fetched once, before measuring.
    runtime
        .block_on(client.begin(&wallet, &qr, QrCodeType::Default))
        .unwrap();
    let token = SecretString::from("access-token-0123456789");
    let request = codec::begin_request(&client, &token, &wallet, &qr, QrCodeType::Default).unwrap();
    let url = request.url().clone();
    let raw = raw_client();
    // The hand-written client builds each request as the SDK does: the
    // same URL, headers and bytes.
    let build = {
        let raw = raw.clone();
        move || {
            baseline::post(
                &raw,
                &url,
                &baseline::Begin {
                    wallet_number: "5555555555",
                    provider_id: "provider-7",
                    qr_code: "0002010102112654",
                    qr_code_type: 1,
                },
            )
        }
    };
    bench_support::same_request(&request, &build());

    // Shared, as the baseline's constants are: a call clones no string.
    let (wallet, qr) = (std::sync::Arc::new(wallet), std::sync::Arc::new(qr));
    let sdk = op(move || {
        let (client, wallet, qr) = (client.clone(), wallet.clone(), qr.clone());
        async move {
            let session = client
                .begin(&wallet, &qr, QrCodeType::Default)
                .await
                .unwrap();
            assert!(session.sale.decoded().is_some());
        }
    });
    let baseline = op(move || {
        let raw = raw.clone();
        let request = build();
        async move {
            let response = raw.execute(request).await.unwrap();
            let bytes = response.bytes().await.unwrap();
            let answer: Envelope = serde_json::from_slice(&bytes).unwrap();
            assert!(answer.status == 0 && answer.code == "100");
            assert!(!answer.payload.tx_correlation_id.get().is_empty());
            let data: PaymentData = serde_json::from_str(&answer.payload.payment_data).unwrap();
            assert!(data.request_amount > 0.0 && !data.sale_ref_code.is_empty());
        }
    });
    compare_throughput(c, &runtime, "tr-qr-wallet/loopback", &sdk, &baseline);
    drop(server);
}

criterion_group! {
    name = loopback_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(loopback_benches);
