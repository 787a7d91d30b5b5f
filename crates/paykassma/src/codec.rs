//! **Not part of the API** — no semver promise, may change in any release.
//!
//! Each operation's two pure halves, exactly as [`PaykassmaClient`] runs
//! them: the request it sends (body, headers, URL) and how it reads the
//! answer's bytes into the operation's result. The network is the only thing
//! left out. The workspace's benchmarks measure these halves against a
//! hand-written serde client, and its fuzz targets feed them arbitrary
//! answers.

use payments_core::http::{RawResponse, Request};
use payments_core::{Currency, Result};

use crate::PaykassmaClient;
use crate::model::{Activation, ActivationOutcome, DepositDetails, Label, WalletType};
use crate::wire::{ACTIVATE, CREATE};

/// The create request.
///
/// # Errors
///
/// As [`PaykassmaClient::create_deposit`] before it sends.
pub fn create_request(
    client: &PaykassmaClient,
    label: &Label,
    currency: Currency,
    wallet_type: &WalletType,
) -> Result<Request> {
    client.create_request(label, currency, wallet_type)
}

/// Reads a create answer.
///
/// # Errors
///
/// As [`PaykassmaClient::create_deposit`] on that answer.
pub fn create_answer(
    client: &PaykassmaClient,
    response: &RawResponse,
    wallet_type: &WalletType,
) -> Result<DepositDetails> {
    client
        .answer(CREATE, None, response)
        .and_then(|response| client.read_create(wallet_type, response))
}

/// The activate request.
///
/// # Errors
///
/// As [`PaykassmaClient::activate`] before it sends.
pub fn activate_request(client: &PaykassmaClient, activation: &Activation) -> Result<Request> {
    Ok(client.activate_request(activation)?.0)
}

/// Reads an activate answer to `activation`.
///
/// # Errors
///
/// As [`PaykassmaClient::activate`] on that answer.
pub fn activate_answer(
    client: &PaykassmaClient,
    response: &RawResponse,
    activation: &Activation,
) -> Result<ActivationOutcome> {
    let requested = activation.amount;
    let reference = activation.custom_transaction_id.as_str();
    client
        .answer(ACTIVATE, Some(reference), response)
        .and_then(|response| client.read_activate(requested, reference, response))
}

/// The compact PHP form of the JSON `text` that postback signatures are
/// computed over, numbers kept as written, the top-level member `skip` left
/// out: what [`PostbackVerifier`](crate::postback::PostbackVerifier) hashes.
///
/// # Errors
///
/// The text is not JSON.
pub fn php_recompact(text: &str, skip: Option<&str>) -> std::result::Result<String, String> {
    crate::postback::php_json::recompact(text, skip).map_err(|e| e.0)
}

/// What PHP's `json_encode(json_decode($text), JSON_UNESCAPED_SLASHES |
/// JSON_UNESCAPED_UNICODE)` writes, numbers as PHP writes them.
///
/// # Errors
///
/// The text is not JSON, or holds a number past a double's range.
pub fn php_encode_document(text: &str) -> std::result::Result<String, String> {
    crate::postback::php_json::encode_document(text).map_err(|e| e.0)
}

/// What PHP's `json_encode` (same flags) writes for `value`: what
/// [`PostbackSigner::sign_flat`](crate::postback::PostbackSigner::sign_flat)
/// signs.
pub fn php_encode(value: &serde_json::Value) -> String {
    crate::postback::php_json::encode(value)
}
