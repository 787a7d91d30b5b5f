//! The hand-written client: the smallest serde structs that write the same
//! requests and read the same answers. Shared by the codec and loopback
//! benchmarks; each uses part of it.
#![allow(dead_code)]

use paykassma::reqwest;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The plugin API secret both sides send.
pub(super) const SECRET: &str = "api-secret-0123456789";

#[derive(Serialize)]
pub(super) struct Create<'a> {
    pub(super) currency: &'a str,
    pub(super) label: &'a str,
}

#[derive(Serialize)]
pub(super) struct Activate<'a> {
    pub(super) currency_code: &'a str,
    pub(super) wallet_type: &'a str,
    pub(super) label: &'a str,
    pub(super) amount: &'a RawValue,
    pub(super) key1: &'a str,
    pub(super) custom_transaction_id: &'a str,
}

/// The activation's body: the fixed Wavepay deposit for `amount` under the
/// merchant's `custom_transaction_id`.
pub(super) fn activate<'a>(amount: &'a RawValue, custom_transaction_id: &'a str) -> Activate<'a> {
    Activate {
        currency_code: "MMK",
        wallet_type: "wavepay",
        label: "user-55",
        amount,
        key1: "1394646476",
        custom_transaction_id,
    }
}

#[derive(Deserialize)]
pub(super) struct CreateAnswer {
    pub(super) status: String,
    pub(super) params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
pub(super) struct ActivateAnswer {
    pub(super) status: String,
    pub(super) deposit: bool,
    pub(super) deposit_amount: f64,
    pub(super) currency: CurrencyInfo,
}

#[derive(Deserialize)]
pub(super) struct CurrencyInfo {
    pub(super) code: String,
}

/// The request a hand-written client hands to reqwest.
pub(super) fn post<B: Serialize>(
    http: &reqwest::Client,
    base: &reqwest::Url,
    path: &str,
    body: &B,
) -> reqwest::Request {
    let mut url = base.join(path).unwrap();
    url.query_pairs_mut().append_pair("secret", SECRET);
    http.post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .build()
        .unwrap()
}
