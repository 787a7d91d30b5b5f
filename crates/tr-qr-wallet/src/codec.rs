//! **Not part of the API** — no semver promise, may change in any release.
//!
//! Each operation's two pure halves, exactly as [`QrWalletClient`] runs
//! them: the request it sends (body, headers, URL) and how it reads the
//! answer's bytes into the operation's result. The network is the only thing
//! left out. The workspace's benchmarks measure these halves against a
//! hand-written serde client, and its fuzz targets feed them arbitrary
//! answers (the JSON-in-string fields included).

use payments_core::http::{RawResponse, Request};
use payments_core::{Error, Result, SecretString};

use crate::QrWalletClient;
use crate::model::{QrCode, QrCodeType, QrReceipt, QrSession, WalletNumber};
use crate::wire::{self, BEGIN, COMPLETE};

/// Begin's request under the bearer `token`.
///
/// # Errors
///
/// As [`QrWalletClient::begin`] before it sends.
pub fn begin_request(
    client: &QrWalletClient,
    token: &SecretString,
    wallet: &WalletNumber,
    qr_code: &QrCode,
    kind: QrCodeType,
) -> Result<Request> {
    client.api_request(
        client.begin_url(),
        |r| r.bearer(token),
        &client.begin_body(wallet, qr_code, kind),
    )
}

/// Reads Begin's answer for `wallet`.
///
/// # Errors
///
/// As [`QrWalletClient::begin`] on that answer (401 included, which the
/// client would first answer with a fresh token).
pub fn begin_answer(
    client: &QrWalletClient,
    response: &RawResponse,
    wallet: &WalletNumber,
) -> Result<QrSession> {
    let payload: wire::BeginPayload = client.read_envelope(BEGIN, None, response)?;
    client.read_begin(wallet, payload, response)
}

/// Complete's request for `session` under the bearer `token`.
///
/// # Errors
///
/// As [`QrWalletClient::complete`] before it sends (the expiry aside).
pub fn complete_request(
    client: &QrWalletClient,
    token: &SecretString,
    session: &QrSession,
) -> Result<Request> {
    client.api_request(
        client.complete_url(),
        |r| r.bearer(token),
        &client.complete_body(session)?,
    )
}

/// Reads Complete's answer for `session`.
///
/// # Errors
///
/// As [`QrWalletClient::complete`] on that answer; [`Error::InvalidInput`]
/// for a session whose sale could not be read.
pub fn complete_answer(
    client: &QrWalletClient,
    response: &RawResponse,
    session: &QrSession,
) -> Result<QrReceipt> {
    let sale = session
        .sale
        .decoded()
        .ok_or_else(|| Error::invalid("session", "its sale could not be read"))?;
    let reference = Some(session.correlation_id.as_str());
    let payload: wire::CompletePayload = client.read_envelope(COMPLETE, reference, response)?;
    client.read_complete(sale, payload, response)
}
