//! The Sipay wallet's Begin and Complete (request building and answer
//! reading, JSON-in-string fields included, as the client runs them:
//! `tr_qr_wallet::codec`) against a hand-written minimal serde client doing
//! the same work on the same bytes. `cargo xtask bench` prints the ratios;
//! `cargo test --benches` runs each once.

use std::alloc::System;
use std::hint::black_box;

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{INSTRUMENTED_SYSTEM, StatsAlloc, compare};
use tr_qr_wallet::payments_core::http::RawResponse;
use tr_qr_wallet::{
    BaseUrl, QrCode, QrCodeType, QrWalletClient, QrWalletConfig, SecretString, WalletNumber, codec,
    reqwest,
};

mod baseline;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The seed's Begin answer: `payment_data` is JSON inside a string.
const BEGIN_ANSWER: &str = r#"{"status": 0, "code": "100", "message": null, "payload": {" tx_correlation_id ": 7777777777777777777, "payment_data": "{\n\"MerchantNo\": \"0007777777\",\n\"TerminalNo\": \"0007777777\",\n\"MerchantName\": \"Test_58\",\n\"BrandId\": 0,\n\"BrandName\": \"\",\n\"CityName\": \"Antalya\",\n\"DistrictName\": \"Aksu\",\n\"RequestAmount\": 0.13,\n\"BatchNo\": 1,\n\"TransactionId\": 98598610,\n\"ProductId\": 2,\n\"ProductName\": \"RESTO %1\",\n\"Kdv\": \"1,00\",\n\"DiscountRatio\": \"0,00\",\n\"CurrencyId\": \"1\",\n\"SaleRefCode\": \"7777777777777777777777\",\n\"SessionExpireDate\": \"2021-04-01T08:38:40.51\",\n\"ResponseCode\": 0,\n\"ResponseMessage\": \"Sorgulama işlemi başarılı.\",\n\"ErrorMessage\": null } "}}"#;
/// The seed's Complete answer, for that sale (0.13 TRY): `ext_order_id` is
/// JSON inside a string.
const COMPLETE_ANSWER: &str = r#"{"status": 0, "code": "100", "message": "İşlem başarılı", "payload": {"transaction_id": "55555560555665555555", "transaction_amount": 0.1300, "transaction_fee": 0.0000, "charged_amount": 0.1300, "ext_order_id": "{\"saleRefCode\":\"7777777777777777777777\",\"transactionId\":98598610}", "business_code": "", "business_name": "", "friendly_name": "", "receiver_account_number": "EEEEEEOE00", "receiver_wallet_number": "7777777777", "sender_wallet_info": {"id": "7997777777777777777", "name": "", "account_number": "EEEEEE010", "account_type": "Personal", "number": "777777777", "total_balance": 796.00, "payment_balance": {"available": 796.00, "unavailable": 0.00}, "cash_balance": {"available": 0.00, "unavailable": 0.00}, "currency_code": "TRY"}}}"#;

fn client() -> QrWalletClient {
    let config = QrWalletConfig::new(
        BaseUrl::parse("https://wallet.example/api/").unwrap(),
        BaseUrl::endpoint("https://identity.example/connect/token").unwrap(),
        "client-1",
        SecretString::from("client-s3cret"),
        "x-client-9",
        "provider-7",
    )
    .unwrap();
    QrWalletClient::new(config).unwrap()
}

fn benches(c: &mut Criterion) {
    let client = client();
    let http = reqwest::Client::new();
    let token = SecretString::from("access-token-0123456789");
    let wallet = WalletNumber::new("5555555555").unwrap();
    let qr = QrCode::new("0002010102112654").unwrap();
    let begin_url =
        reqwest::Url::parse("https://wallet.example/api/v1/Transaction/Begin3rdPartyQRCodePayment")
            .unwrap();
    let complete_url = reqwest::Url::parse(
        "https://wallet.example/api/v1/Transaction/Complete3rdPartyQRCodePayment",
    )
    .unwrap();

    // --- begin
    let sdk_begin = || {
        let request =
            codec::begin_request(&client, &token, &wallet, &qr, QrCodeType::Default).unwrap();
        let response = RawResponse::new(200, BEGIN_ANSWER.as_bytes());
        let session = codec::begin_answer(&client, &response, &wallet).unwrap();
        (request, session)
    };
    let baseline_begin = || {
        let request = baseline::post(
            &http,
            &begin_url,
            &baseline::Begin {
                wallet_number: "5555555555",
                provider_id: "provider-7",
                qr_code: "0002010102112654",
                qr_code_type: 1,
            },
        );
        let answer: baseline::Envelope<baseline::BeginPayload> =
            serde_json::from_str(BEGIN_ANSWER).unwrap();
        assert!(answer.status == 0 && answer.code == "100");
        let data: baseline::PaymentData =
            serde_json::from_str(&answer.payload.payment_data).unwrap();
        assert_eq!(data.response_code, 0);
        let amount = baseline::try_money(data.request_amount);
        let ratios = (
            baseline::comma_decimal(&data.kdv),
            baseline::comma_decimal(&data.discount_ratio),
        );
        let expires = baseline::local_time(&data.session_expire_date);
        (
            request,
            answer.payload.tx_correlation_id,
            data,
            amount,
            ratios,
            expires,
        )
    };
    let (request, session) = sdk_begin();
    let (body, correlation, data, amount, ratios, expires) = baseline_begin();
    bench_support::same_request(&request, &body);
    let sale = session.sale.decoded().unwrap();
    assert_eq!(session.correlation_id.as_str(), correlation.get());
    assert_eq!(sale.amount, amount);
    assert_eq!(
        (sale.vat_ratio, sale.discount_ratio),
        (Some(ratios.0), Some(ratios.1))
    );
    assert_eq!(sale.expires_at, Some(expires));
    assert_eq!(
        sale.sale_reference.as_deref(),
        Some(data.sale_ref_code.as_str())
    );
    assert_eq!(
        (
            sale.merchant_no.as_str(),
            sale.terminal_no.as_str(),
            sale.merchant_name.as_str()
        ),
        (
            data.merchant_no.as_str(),
            data.terminal_no.as_str(),
            data.merchant_name.as_str()
        )
    );
    assert_eq!(
        (sale.brand_id, sale.batch_no, sale.product_id),
        (data.brand_id, data.batch_no, data.product_id)
    );
    assert_eq!(
        (&sale.city, &sale.district),
        (&data.city_name, &data.district_name)
    );
    assert_eq!(sale.approval_number, Some(data.transaction_id.to_string()));
    assert_eq!(sale.product_name, data.product_name);
    assert_eq!(sale.currency_id.as_deref(), Some(data.currency_id.as_str()));
    assert_eq!(data.brand_name.as_deref(), Some(""));
    assert_eq!(
        (&sale.response_message, &sale.error_message),
        (&data.response_message, &data.error_message)
    );
    compare(
        c,
        GLOBAL,
        "tr-qr-wallet/begin",
        || drop(black_box(sdk_begin())),
        || drop(black_box(baseline_begin())),
    );

    // --- complete, for the session begun above
    let sdk_complete = || {
        let request = codec::complete_request(&client, &token, &session).unwrap();
        let response = RawResponse::new(200, COMPLETE_ANSWER.as_bytes());
        let receipt = codec::complete_answer(&client, &response, &session).unwrap();
        (request, receipt)
    };
    let baseline_complete = || {
        let request = baseline::post(
            &http,
            &complete_url,
            &baseline::Complete {
                wallet_number: "5555555555",
                provider_id: "provider-7",
                tx_correlation_id: &correlation,
            },
        );
        let answer: baseline::Envelope<baseline::CompletePayload> =
            serde_json::from_str(COMPLETE_ANSWER).unwrap();
        assert!(answer.status == 0 && answer.code == "100");
        let payload = answer.payload;
        let order: baseline::ExtOrder = serde_json::from_str(&payload.ext_order_id).unwrap();
        let charged = baseline::try_money(payload.charged_amount);
        assert!(charged == amount && order.sale_ref_code == data.sale_ref_code);
        let sender = &payload.sender_wallet_info;
        let balances = [
            baseline::try_money(sender.total_balance),
            baseline::try_money(sender.payment_balance.available),
            baseline::try_money(sender.payment_balance.unavailable),
            baseline::try_money(sender.cash_balance.available),
            baseline::try_money(sender.cash_balance.unavailable),
        ];
        let amounts = (
            baseline::try_money(payload.transaction_amount),
            baseline::try_money(payload.transaction_fee),
        );
        (request, order, payload, charged, balances, amounts)
    };
    let (request, receipt) = sdk_complete();
    let (body, order, payload, charged, balances, amounts) = baseline_complete();
    bench_support::same_request(&request, &body);
    assert_eq!(
        (receipt.charged, receipt.amount, receipt.fee),
        (charged, amounts.0, amounts.1)
    );
    assert_eq!(receipt.transaction_id, payload.transaction_id);
    assert_eq!(
        receipt.order.decoded().unwrap().approval_number,
        order.transaction_id.to_string()
    );
    let sender = receipt.sender.unwrap();
    assert_eq!(sender.total_balance, Some(balances[0]));
    let wire = &payload.sender_wallet_info;
    assert_eq!(
        (
            sender.id.as_deref(),
            sender.account_number.as_deref(),
            sender.account_type.as_deref(),
            sender.number.as_deref()
        ),
        (
            Some(wire.id.as_str()),
            Some(wire.account_number.as_str()),
            Some(wire.account_type.as_str()),
            Some(wire.number.as_str())
        )
    );
    assert!(wire.name.is_empty() && wire.currency_code == "TRY");
    assert_eq!(
        (
            &receipt.business_code,
            &receipt.business_name,
            &receipt.friendly_name
        ),
        (
            &payload.business_code.filter(|s| !s.is_empty()),
            &payload.business_name.filter(|s| !s.is_empty()),
            &payload.friendly_name.filter(|s| !s.is_empty())
        )
    );
    assert_eq!(
        (
            &receipt.receiver_account_number,
            &receipt.receiver_wallet_number
        ),
        (
            &payload.receiver_account_number,
            &payload.receiver_wallet_number
        )
    );
    compare(
        c,
        GLOBAL,
        "tr-qr-wallet/complete",
        || drop(black_box(sdk_complete())),
        || drop(black_box(baseline_complete())),
    );
}

criterion_group! {
    name = codec_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(codec_benches);
