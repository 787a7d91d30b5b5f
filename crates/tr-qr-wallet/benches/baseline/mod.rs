//! The hand-written client: the smallest serde structs that write the same
//! requests and read the same answers. Shared by the codec and loopback
//! benchmarks; each uses part of it.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tr_qr_wallet::time::macros::{format_description, offset};
use tr_qr_wallet::time::{OffsetDateTime, PrimitiveDateTime};
use tr_qr_wallet::{Currency, Decimal, Money, reqwest};

/// The identity server's answer both sides' token comes from (fetched once,
/// before measuring).
pub(super) const TOKEN_ANSWER: &str =
    r#"{"access_token":"access-token-0123456789","token_type":"Bearer","expires_in":3600}"#;

/// The SDK client the loopback benchmarks measure, at `base` (its token
/// endpoint `connect/token` below it): the credentials and headers the
/// hand-written client sends too.
pub(super) fn sdk_client(base: &tr_qr_wallet::BaseUrl) -> tr_qr_wallet::QrWalletClient {
    tr_qr_wallet::QrWalletClient::new(sdk_config(base)).unwrap()
}

/// The SDK client's configuration at `base`.
pub(super) fn sdk_config(base: &tr_qr_wallet::BaseUrl) -> tr_qr_wallet::QrWalletConfig {
    tr_qr_wallet::QrWalletConfig::new(
        base.clone(),
        base.join("connect/token").unwrap(),
        "client-1",
        tr_qr_wallet::SecretString::from("client-s3cret"),
        "x-client-9",
        "provider-7",
    )
    .unwrap()
}

#[derive(Serialize)]
pub(super) struct Begin<'a> {
    pub(super) wallet_number: &'a str,
    pub(super) provider_id: &'a str,
    pub(super) qr_code: &'a str,
    pub(super) qr_code_type: u8,
}

#[derive(Serialize)]
pub(super) struct Complete<'a> {
    pub(super) wallet_number: &'a str,
    pub(super) provider_id: &'a str,
    pub(super) tx_correlation_id: &'a RawValue,
}

#[derive(Deserialize)]
pub(super) struct Envelope<P> {
    pub(super) status: i64,
    pub(super) code: String,
    pub(super) payload: P,
}

#[derive(Deserialize)]
pub(super) struct BeginPayload {
    #[serde(alias = " tx_correlation_id ")]
    pub(super) tx_correlation_id: Box<RawValue>,
    pub(super) payment_data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PaymentData {
    pub(super) merchant_no: String,
    pub(super) terminal_no: String,
    pub(super) merchant_name: String,
    pub(super) brand_id: Option<i64>,
    pub(super) brand_name: Option<String>,
    pub(super) city_name: Option<String>,
    pub(super) district_name: Option<String>,
    pub(super) request_amount: f64,
    pub(super) batch_no: Option<i64>,
    pub(super) transaction_id: i64,
    pub(super) product_id: Option<i64>,
    pub(super) product_name: Option<String>,
    pub(super) kdv: String,
    pub(super) discount_ratio: String,
    pub(super) currency_id: String,
    pub(super) sale_ref_code: String,
    pub(super) session_expire_date: String,
    pub(super) response_code: i64,
    pub(super) response_message: Option<String>,
    pub(super) error_message: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CompletePayload {
    pub(super) transaction_id: String,
    pub(super) transaction_amount: f64,
    pub(super) transaction_fee: f64,
    pub(super) charged_amount: f64,
    pub(super) ext_order_id: String,
    pub(super) business_code: Option<String>,
    pub(super) business_name: Option<String>,
    pub(super) friendly_name: Option<String>,
    pub(super) receiver_account_number: Option<String>,
    pub(super) receiver_wallet_number: Option<String>,
    pub(super) sender_wallet_info: Sender,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExtOrder {
    pub(super) sale_ref_code: String,
    pub(super) transaction_id: i64,
}

#[derive(Deserialize)]
pub(super) struct Sender {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) account_number: String,
    pub(super) account_type: String,
    pub(super) number: String,
    pub(super) total_balance: f64,
    pub(super) payment_balance: BalanceWire,
    pub(super) cash_balance: BalanceWire,
    pub(super) currency_code: String,
}

#[derive(Deserialize)]
pub(super) struct BalanceWire {
    pub(super) available: f64,
    pub(super) unavailable: f64,
}

pub(super) fn try_money(amount: f64) -> Money {
    Money::new(
        Decimal::from_str_exact(&amount.to_string()).unwrap(),
        Currency::TRY,
    )
    .unwrap()
}

pub(super) fn comma_decimal(text: &str) -> Decimal {
    Decimal::from_str_exact(&text.replace(',', ".")).unwrap()
}

pub(super) fn local_time(text: &str) -> OffsetDateTime {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond digits:1+]]]"
    );
    PrimitiveDateTime::parse(text, format)
        .unwrap()
        .assume_offset(offset!(+3))
}

/// The request a hand-written client hands to reqwest.
pub(super) fn post<B: Serialize>(
    http: &reqwest::Client,
    url: &reqwest::Url,
    body: &B,
) -> reqwest::Request {
    http.post(url.clone())
        .bearer_auth("access-token-0123456789")
        .header("x-client-id", "x-client-9")
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .build()
        .unwrap()
}
