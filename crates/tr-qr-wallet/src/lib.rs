//! Third-party QR code payments from a **Sipay wallet** (Türkiye) — Sipay's
//! walletgate "Mobile API" (the crate keeps its neutral name, `tr-qr-wallet`).
//!
//! A point-of-sale shows a QR code; the wallet user scans it in the
//! integrator's app, which shows the sale and, once the user confirms,
//! debits the wallet.
//!
//! **The production path** is the [`Gateway`] over [`QrWalletClient`]: a
//! [`QrPayment`] for the merchant's order (its [`OrderId`], the wallet, the
//! scanned code, and — when the app knows it — the amount to expect) is
//! begun with [`Gateway::prepare`] (the sale, to show), then confirmed with
//! [`QrWalletClient::confirm`] (or both at once with [`pay`]). It ends in
//! a [`PaymentOutcome`], a decline, an [`Error::TermsMismatch`] (a sale for
//! other money than expected; nothing moved), or an
//! [`Error::OutcomeUnknown`] that [`QrWalletClient::settle`] settles by its
//! reference. Where the merchant keeps state, pay through
//! `payments_journal::Journaled` keyed by the order id.
//!
//! ```no_run
//! use tr_qr_wallet::{Currency, Gateway, Money, OrderId, PaymentStatus, QrCode, QrCodeType, QrPayment, QrWalletClient, QrWalletConfig, WalletNumber};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // TR_QR_API_URL, TR_QR_TOKEN_URL, TR_QR_CLIENT_ID, …
//! let client = QrWalletClient::new(QrWalletConfig::from_env()?)?;
//! let order = QrPayment::new(
//!     OrderId::new("order-1001")?,
//!     WalletNumber::new("1011179271")?,
//!     QrCode::new("63759407536179025465")?,
//!     QrCodeType::Default,
//! )
//! .expecting(Money::parse("12.50", Currency::TRY)?);
//! let begun = client.prepare(order).await?;
//! if let Some(sale) = begun.session.sale.decoded() {
//!     println!("pay {} at {}?", sale.amount, sale.merchant_name); // the user confirms
//! }
//! match client.confirm(&begun).await {
//!     Ok(outcome) if outcome.status == PaymentStatus::Completed => println!("paid"),
//!     Ok(outcome) => println!("not paid: {}", outcome.status),
//!     Err(error) if error.code() == "outcome_unknown" => {
//!         // Later: client.settle(reference) settles it with one call.
//!         println!("settle {} later", error.reference().unwrap_or_default());
//!     }
//!     Err(error) => println!("{}: {error}", error.code()),
//! }
//! # Ok(()) }
//! ```
//!
//! The wire calls — [`QrWalletClient::begin`], [`QrWalletClient::complete`],
//! [`QrWalletClient::settle_session`] — are public for tools; they describe
//! each event as the gateway does.
//!
//! # In an axum service
//!
//! The client is cheap to clone and `Send + Sync`. axum drops a handler's
//! future when its client goes away: a Complete in flight stays open in
//! the client, and [`QrWalletClient::settle`] settles it by its reference
//! in this process (a journal: across restarts). Or spawn the payment
//! (`tokio::spawn`) so that it runs to its end.
//!
//! # Wire contract and choices
//!
//! - Tokens: OAuth2 client credentials at the identity server's
//!   `…/connect/token` (form: `grant_type`, `client_id`, `client_secret`,
//!   `scope`); cached until shortly before `expires_in`, renewed once on
//!   HTTP 401, one request for any number of concurrent callers. Every call
//!   carries `Authorization: Bearer …`, `Content-Type: application/json` and
//!   `x-client-id`.
//! - Envelope `{"status", "code", "message", "payload"}`: success is
//!   `status == 0` and `code == "100"`; anything else is a
//!   [`Decline`] whose code names a [`WalletCode`]
//!   (300 wallet not found, 301 duplicate, 310 limit insufficient, 311
//!   insufficient balance, others kept). A `ResponseCode` other than 0 inside
//!   `payment_data` is a decline too.
//! - `payment_data` and `ext_order_id` are JSON encoded in strings: decoded
//!   with `serde_with`; a string that is not JSON of the expected shape is
//!   kept as [`Embedded::Raw`], and the response still parses. A session
//!   whose sale could not be read is never completed.
//! - `tx_correlation_id` is kept as the exact digits received (string or
//!   number, any length; the seed's key spelled `" tx_correlation_id "` is
//!   accepted) and sent back as a JSON number by default — the document types
//!   it `int` and its example sends a bare 22-digit number — or as a string
//!   ([`CorrelationIdEncoding`]).
//! - Amounts are TRY [`Money`]; `Kdv` and
//!   `DiscountRatio` are read from Turkish decimal-comma strings (`"1,00"`);
//!   `SessionExpireDate` carries no offset and is read as Türkiye time
//!   (+03:00); `created_date_utc` keeps its 7 fractional digits.
//! - Unknown fields never break parsing.
//!
//! # Money safety
//!
//! Complete is never repeated blindly. An unknown outcome is settled by
//! [`QrWalletClient::settle`], which repeats the *same* Complete (same
//! correlation id): the wallet completes a session once and answers 301 to a
//! repeat, so the repeat either completes an unprocessed payment or proves
//! the first one paid — it never debits twice.
//!
//! Success is `status` 0 with `code` "100" or "0": the seed's Complete
//! table says "0" on success while both of its examples show "100", so
//! both are read as success; any other code is not.
//!
//! Which answers to Complete are final (source: Sipay's code table in
//! `providers/NOTES.md`: 100 success, 300 wallet not found, 301 duplicate,
//! 310 limit, 311 balance):
//!
//! - success (amount checked): completed;
//! - 300, 310, 311: declined — the wallet refused the debit;
//! - 301 to the first Complete, any other code (a generic or undocumented
//!   error may follow the debit), 5xx, a timeout, a garbled answer: unknown,
//!   settled by [`QrWalletClient::settle`] on [`QrWalletConfig::settle`];
//! - to settle's repeat: success (completed now), 301 (completed earlier),
//!   300/310/311 (our reading: the wallet evaluated the debit again, which
//!   it does only for a session it has not completed) are final; anything
//!   else — a session that expired, "not found", a generic error — proves
//!   nothing and stays unknown.
//!
//! # Features
//!
//! - `sandbox`: `sandbox::QrWalletSandbox`, a simulator of the identity
//!   server, a point-of-sale and the wallet API on loopback.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[doc(hidden)]
pub mod codec;
mod config;
mod gateway;
mod model;
mod payment;
mod qr;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
mod session;
mod wire;

pub use config::{
    CorrelationIdEncoding, QrWalletConfig, QrWalletConfigBuilder, UAT_API_URL, UAT_TOKEN_URL,
};
pub use gateway::{BegunPayment, CAPABILITIES, QrPayment};
pub use model::{
    Balance, CorrelationId, CreatedQrCode, Embedded, ExtOrder, Limits, QrCode, QrCodeType,
    QrReceipt, QrSession, Sale, SenderWallet, Settlement, WalletCode, WalletNumber,
};
/// The shared core (money, references, errors, the `Gateway`), re-exported:
/// depending on this crate alone is enough.
pub use payments_core;
/// What a merchant configures: the HTTP client's timeouts and limits, and
/// retry schedules.
pub use payments_core::http::{HttpConfig, RetryPolicy, Timeouts};
/// A provider's rules for merchant references.
pub use payments_core::reference::ReferenceRules;
/// The sandbox's fault injection (feature `sandbox`).
#[cfg(feature = "sandbox")]
pub use payments_core::sandbox::{Fault, Faults};
pub use payments_core::{
    BaseUrl, Checkout, Currency, Decimal, Decline, DeclineKind, Diagnostics, Environment, Error,
    ExposeSecret, Gateway, MerchantOrder, MerchantReference, Money, MoneyError, Operation,
    OperationKind, OrderId, Payable, PaymentOutcome, PaymentStatus, ProviderReference, Result,
    SecretString, pay, settle,
};
/// The HTTP client crate, for callers who supply their own `reqwest::Client`.
pub use reqwest;
pub use session::{QrWalletClient, QrWalletClientBuilder};
/// Crates whose types this crate's API carries (times, the token URL).
pub use {time, url};

/// The README's code, compiled and run as a doctest.
#[cfg(all(doctest, feature = "sandbox"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
