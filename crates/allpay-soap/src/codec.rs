//! **Not part of the API** — no semver promise, may change in any release.
//!
//! Each operation's two pure halves, exactly as [`AllpayClient`] runs them:
//! the request it sends (written, signed, with its headers) and how it
//! reads the answer's bytes (parsed, verified, checked against the
//! request's digest) into the operation's result. The network is the only
//! thing left out. The workspace's benchmarks measure these halves against
//! bare RSA-SHA1 and an XML parse, and its fuzz targets feed them arbitrary
//! answers.

use payments_core::http::{RawResponse, Request};
use payments_core::{MerchantReference, Result};

use crate::AllpayClient;
use crate::generated::{cash_in, transaction_management as tm};
use crate::model::{CashIn, Transaction, UserInfo, UserName};
use crate::session::{self, soap_request};
use crate::transaction::read_action;
use crate::users::read_check_user;

/// A request written and signed, with what its answer is checked against
/// (the digest Allpay must echo).
pub struct Prepared(session::Prepared);

impl Prepared {
    /// The signed envelope.
    pub fn xml(&self) -> &str {
        &self.0.xml
    }

    /// The digest of the request Allpay must echo as `requestDsig`.
    pub fn digest(&self) -> &str {
        &self.0.digest
    }

    /// The HTTP request that sends it.
    ///
    /// # Errors
    ///
    /// As the client's request building.
    pub fn request(&self) -> Result<Request> {
        soap_request(&self.0)
    }
}

/// `checkUser`'s request for `user`.
///
/// # Errors
///
/// As [`AllpayClient::check_user`] before it sends.
pub fn check_user_request(client: &AllpayClient, user: &UserName) -> Result<Prepared> {
    client.prepare_check_user(user).map(Prepared)
}

/// `checkUserAndValidateCashIn`'s request for `user` (what a payment's
/// prepare sends).
///
/// # Errors
///
/// As [`AllpayClient::check_user_for_cash_in`] before it sends.
pub fn check_user_for_cash_in_request(client: &AllpayClient, user: &UserName) -> Result<Prepared> {
    client.prepare_check_user_for_cash_in(user).map(Prepared)
}

/// `createCashInPayment`'s request for `payment` (what a payment's commit
/// sends, and repeats until final).
///
/// # Errors
///
/// As [`AllpayClient::create_cash_in_payment`] before it sends.
pub fn cash_in_payment_request(client: &AllpayClient, payment: &CashIn) -> Result<Prepared> {
    client.prepare_cash_in_payment(payment).map(Prepared)
}

/// Reads the answer to a `checkUser` request.
///
/// # Errors
///
/// As [`AllpayClient::check_user`] on that answer.
pub fn check_user_answer(
    client: &AllpayClient,
    prepared: &Prepared,
    response: &RawResponse,
) -> Result<Option<UserInfo>> {
    client
        .read_answer::<cash_in::CheckUserResponseBody>(&prepared.0, response)
        .and_then(read_check_user)
}

/// `completeTransaction`'s request.
///
/// # Errors
///
/// As [`AllpayClient::complete_transaction`] before it sends.
pub fn complete_request(
    client: &AllpayClient,
    guid: &MerchantReference,
    transaction_id: i64,
) -> Result<Prepared> {
    client.prepare_complete(guid, transaction_id).map(Prepared)
}

/// Reads the answer to a `completeTransaction` request of `guid` and
/// `transaction_id`.
///
/// # Errors
///
/// As [`AllpayClient::complete_transaction`] on that answer.
pub fn complete_answer(
    client: &AllpayClient,
    prepared: &Prepared,
    guid: &MerchantReference,
    transaction_id: i64,
    response: &RawResponse,
) -> Result<Transaction> {
    client
        .read_answer::<tm::CompleteTransactionResponseBody>(&prepared.0, response)
        .and_then(|answer| {
            read_action(
                prepared.0.operation,
                guid,
                Some(transaction_id),
                answer.result,
            )
        })
}
