//! The hand-written client: the smallest serde structs that write the same
//! request and read the same answers. Shared by the codec and loopback
//! benchmarks; each uses part of it.
#![allow(dead_code)]

use jawali::{Currency, Decimal, Money, reqwest};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The SDK client the benchmarks measure, at `base`: the credentials and
/// wallet the hand-written client sends too.
pub(super) fn sdk_client(base: jawali::BaseUrl) -> jawali::JawaliClient {
    jawali::JawaliClient::new(sdk_config(base)).unwrap()
}

/// The SDK client's configuration: the credentials the hand-written client
/// sends too.
pub(super) fn sdk_config(base: jawali::BaseUrl) -> jawali::JawaliConfig {
    jawali::JawaliConfig::new(
        jawali::Environment::Custom(base),
        "merchant",
        jawali::SecretString::from("login-pw"),
        "1234",
        "777000111",
        jawali::SecretString::from("wallet-pw"),
    )
    .external_user("shop")
}

/// The login's and the wallet authentication's answers (both sides hold
/// these tokens, fetched once before measuring); `None` for any other call.
pub(super) fn token_answer(path: &str, body: &[u8]) -> Option<&'static str> {
    if path.ends_with("/oauth/token") {
        Some(
            r#"{"access_token":"access-token-0123456789","token_type":"bearer","expires_in":3600}"#,
        )
    } else if body.windows(20).any(|w| w == b"WALLETAUTHENTICATION") {
        Some(
            r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success"},"responseBody":{"access_token":"wallet-token-0123456789","expires_in":3600}}"#,
        )
    } else {
        None
    }
}

#[derive(Serialize)]
pub(super) struct Call<'a, B> {
    pub(super) header: Header<'a>,
    pub(super) body: B,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Header<'a> {
    pub(super) service_detail: ServiceDetail<'a>,
    pub(super) signon_detail: SignonDetail<'a>,
    pub(super) message_context: MessageContext<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ServiceDetail<'a> {
    #[serde(rename = "corrID")]
    pub(super) corr_id: &'a str,
    pub(super) domain_name: &'a str,
    pub(super) service_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SignonDetail<'a> {
    #[serde(rename = "clientID")]
    pub(super) client_id: &'a str,
    #[serde(rename = "orgID")]
    pub(super) org_id: &'a str,
    #[serde(rename = "userID")]
    pub(super) user_id: &'a str,
    pub(super) external_user: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageContext<'a> {
    pub(super) client_date: &'a str,
    pub(super) body_type: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Inquiry<'a> {
    pub(super) agent_wallet: &'a str,
    pub(super) password: &'a str,
    pub(super) access_token: &'a str,
    pub(super) voucher: &'a str,
    pub(super) receiver_mobile: &'a str,
    pub(super) ref_id: &'a str,
    pub(super) purpose: &'a str,
}

/// The inquiry's body (and the cash-out's, with the amount) under `ref_id`.
pub(super) fn inquiry(ref_id: &str) -> Inquiry<'_> {
    Inquiry {
        agent_wallet: "777000111",
        password: "wallet-pw",
        access_token: "wallet-token-0123456789",
        voucher: "483920",
        receiver_mobile: "771234567",
        ref_id,
        purpose: "Online purchase",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CashOut<'a> {
    #[serde(flatten)]
    pub(super) inquiry: Inquiry<'a>,
    pub(super) amount: &'a RawValue,
    pub(super) currency: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Status<'a> {
    pub(super) agent_wallet: &'a str,
    pub(super) password: &'a str,
    pub(super) access_token: &'a str,
    pub(super) ref_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Statement<'a> {
    pub(super) agent_wallet: &'a str,
    pub(super) password: &'a str,
    pub(super) access_token: &'a str,
    pub(super) from_date: &'a str,
    pub(super) to_date: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Wallet<'a> {
    pub(super) agent_wallet: &'a str,
    pub(super) password: &'a str,
    pub(super) access_token: &'a str,
}

/// The request a hand-written client hands to reqwest: a fresh corrID,
/// the clock, the bearer header, the JSON body.
pub(super) fn call<B: Serialize>(
    http: &reqwest::Client,
    url: &reqwest::Url,
    service: &str,
    body: B,
) -> reqwest::Request {
    call_in(http, url, "MerchantDomain", service, body)
}

/// [`call`] to a service of `domain` (`WalletDomain` for the wallet's
/// authentication).
pub(super) fn call_in<B: Serialize>(
    http: &reqwest::Client,
    url: &reqwest::Url,
    domain: &str,
    service: &str,
    body: B,
) -> reqwest::Request {
    let corr_id = uuid::Uuid::new_v4().to_string();
    let client_date = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let body = serde_json::to_vec(&Call {
        header: Header {
            service_detail: ServiceDetail {
                corr_id: &corr_id,
                domain_name: domain,
                service_name: service,
            },
            signon_detail: SignonDetail {
                client_id: "WeCash",
                org_id: "1234",
                user_id: "merchant",
                external_user: "shop",
            },
            message_context: MessageContext {
                client_date: &client_date,
                body_type: "Clear",
            },
        },
        body,
    })
    .unwrap();
    http.post(url.clone())
        .bearer_auth("access-token-0123456789")
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .build()
        .unwrap()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Answer<B> {
    pub(super) response_status: ResponseStatus,
    pub(super) response_body: B,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResponseStatus {
    pub(super) system_status: String,
}

/// An exact decimal from a JSON number, as the SDK reads it.
pub(super) fn decimal(raw: f64) -> Decimal {
    Decimal::from_str_exact(&raw.to_string()).unwrap()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InquiryAnswer {
    pub(super) txnamount: f64,
    pub(super) txncurrency: String,
    pub(super) state: String,
    pub(super) issuer_trx_ref: Option<String>,
    pub(super) receiver_mobile: Option<String>,
    pub(super) sender_mobile: Option<String>,
    pub(super) trx_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CashOutAnswer {
    pub(super) amount: f64,
    pub(super) ref_id: String,
    pub(super) issuer_ref: Option<String>,
    pub(super) currency: String,
    pub(super) balance: Option<f64>,
    pub(super) status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StatusAnswer {
    pub(super) ref_id: String,
    pub(super) status: String,
    pub(super) amount: Option<f64>,
    pub(super) currency: Option<String>,
    pub(super) issuer_ref: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct StatementAnswer {
    pub(super) transactions: Vec<StatementLine>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StatementLine {
    pub(super) ref_id: Option<String>,
    pub(super) issuer_ref: Option<String>,
    pub(super) amount: f64,
    pub(super) currency: String,
    pub(super) description: Option<String>,
    pub(super) trx_date: Option<String>,
    pub(super) balance: Option<f64>,
}

#[derive(Deserialize)]
pub(super) struct BalanceAnswer {
    pub(super) balance: f64,
    pub(super) currency: String,
}

/// Reads `body` as `B` after checking the status, as the SDK does.
pub(super) fn read<B: for<'de> Deserialize<'de>>(body: &[u8]) -> B {
    let answer: Answer<B> = serde_json::from_slice(body).unwrap();
    assert_eq!(answer.response_status.system_status, "0");
    answer.response_body
}

pub(super) fn money(amount: f64, currency: &str) -> Money {
    Money::new(decimal(amount), Currency::from_code(currency).unwrap()).unwrap()
}

/// The SDK's body as JSON, for the same-bytes check.
pub(super) fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

/// Both sides write the same JSON, of the same length (field order aside).
pub(super) fn same_request(
    sdk: &jawali::payments_core::http::Request,
    baseline: &reqwest::Request,
) {
    assert_eq!(sdk.url(), baseline.url());
    let sdk = sdk.body_bytes().unwrap();
    let baseline = baseline.body().unwrap().as_bytes().unwrap();
    let (mut a, mut b) = (json(sdk), json(baseline));
    // The generated parts differ by nature: the corrID and the clock.
    for value in [&mut a, &mut b] {
        value["header"]["serviceDetail"]["corrID"] = serde_json::Value::Null;
        value["header"]["messageContext"]["clientDate"] = serde_json::Value::Null;
    }
    assert_eq!(a, b, "the baseline writes another request than the SDK");
    assert_eq!(
        sdk.len(),
        baseline.len(),
        "the baseline writes another number of bytes"
    );
}
