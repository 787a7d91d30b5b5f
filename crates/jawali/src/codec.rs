//! **Not part of the API** — no semver promise, may change in any release.
//!
//! Each operation's two pure halves, exactly as [`JawaliClient`] runs them:
//! the request it sends (body, headers, URL) and how it reads the answer's
//! bytes into the operation's result. The network is the only thing left
//! out. The workspace's benchmarks measure these halves against a
//! hand-written serde client, and its fuzz targets feed them arbitrary
//! answers.

use time::Date;

use payments_core::http::{RawResponse, Request};
use payments_core::{Error, MerchantReference, Result, SecretString};

use crate::JawaliClient;
use crate::model::{
    Balance, CashOut, CashOutReceipt, MobileNumber, SentUnder, StatementEntry, TransactionStatus,
    Voucher, VoucherCode,
};
use crate::session::iso_date;
use crate::voucher::cash_out_fields;
use crate::wire::{self, Service};

/// The voucher inquiry under `reference`.
///
/// # Errors
///
/// As the client's request building.
pub fn inquiry_request(
    client: &JawaliClient,
    access: &SecretString,
    wallet: &SecretString,
    voucher: &VoucherCode,
    customer_mobile: &MobileNumber,
    reference: &MerchantReference,
) -> Result<Request> {
    let fields = client.inquiry_fields(voucher, customer_mobile, reference);
    Ok(client
        .wallet_request(Service::Inquiry, |r| r.bearer(access), wallet, &fields)?
        .0)
}

/// Reads an inquiry's answer.
///
/// # Errors
///
/// As [`JawaliClient::inquire_voucher`] on that answer.
pub fn inquiry_answer(
    client: &JawaliClient,
    response: &RawResponse,
    voucher: &VoucherCode,
) -> Result<Voucher> {
    let operation = Service::Inquiry.operation();
    let envelope = client.envelope(operation, None, response)?;
    client.read_inquiry(voucher, &envelope)
}

/// The cash-out `request`, under its own reference.
///
/// # Errors
///
/// As the client's request building.
pub fn cash_out_request(
    client: &JawaliClient,
    access: &SecretString,
    wallet: &SecretString,
    request: &CashOut,
) -> Result<Request> {
    let purpose = request
        .purpose
        .as_deref()
        .unwrap_or(&client.config().default_purpose);
    let fields = cash_out_fields(request, &request.reference, purpose);
    Ok(client
        .wallet_request(Service::CashOut, |r| r.bearer(access), wallet, &fields)?
        .0)
}

/// Reads the answer to the cash-out `request`.
///
/// # Errors
///
/// As [`JawaliClient::cash_out`] on that answer.
pub fn cash_out_answer(
    client: &JawaliClient,
    response: &RawResponse,
    request: &CashOut,
) -> Result<CashOutReceipt> {
    let operation = Service::CashOut.operation();
    let log = SentUnder::default();
    log.push(request.reference.clone());
    let envelope = client.envelope(operation, Some(request.reference.as_str()), response)?;
    client.read_cash_out(request, &log, &envelope)
}

/// The status lookup of `reference`.
///
/// # Errors
///
/// As the client's request building.
pub fn status_request(
    client: &JawaliClient,
    access: &SecretString,
    wallet: &SecretString,
    reference: &MerchantReference,
) -> Result<Request> {
    let fields = wire::CheckStatusFields {
        ref_id: reference.as_str(),
    };
    Ok(client
        .wallet_request(Service::CheckStatus, |r| r.bearer(access), wallet, &fields)?
        .0)
}

/// Reads a status lookup's answer about `reference`.
///
/// # Errors
///
/// As [`JawaliClient::check_status`] on that answer.
pub fn status_answer(
    client: &JawaliClient,
    response: &RawResponse,
    reference: &MerchantReference,
) -> Result<TransactionStatus> {
    let operation = Service::CheckStatus.operation();
    let envelope = client.envelope(operation, Some(reference.as_str()), response)?;
    client.read_status(reference, &envelope)
}

/// The statement from `from` to `to`.
///
/// # Errors
///
/// As the client's request building; a year outside 0000–9999.
pub fn statement_request(
    client: &JawaliClient,
    access: &SecretString,
    wallet: &SecretString,
    from: Date,
    to: Date,
) -> Result<Request> {
    let (Some(from), Some(to)) = (iso_date(from), iso_date(to)) else {
        return Err(Error::invalid("from", "the year is not four digits"));
    };
    let fields = wire::StatementFields {
        from_date: &from,
        to_date: &to,
    };
    Ok(client
        .wallet_request(Service::Statement, |r| r.bearer(access), wallet, &fields)?
        .0)
}

/// Reads a statement's answer.
///
/// # Errors
///
/// As [`JawaliClient::statement`] on that answer.
pub fn statement_answer(
    client: &JawaliClient,
    response: &RawResponse,
) -> Result<Vec<StatementEntry>> {
    let operation = Service::Statement.operation();
    let envelope = client.envelope(operation, None, response)?;
    client.read_statement(&envelope)
}

/// The balance inquiry.
///
/// # Errors
///
/// As the client's request building.
pub fn balance_request(
    client: &JawaliClient,
    access: &SecretString,
    wallet: &SecretString,
) -> Result<Request> {
    Ok(client
        .wallet_request(
            Service::Balance,
            |r| r.bearer(access),
            wallet,
            &wire::NoFields {},
        )?
        .0)
}

/// Reads a balance answer.
///
/// # Errors
///
/// As [`JawaliClient::balance`] on that answer.
pub fn balance_answer(client: &JawaliClient, response: &RawResponse) -> Result<Balance> {
    let operation = Service::Balance.operation();
    let envelope = client.envelope(operation, None, response)?;
    client.read_balance(&envelope)
}
