//! Third-party QR code payments from a **Sipay wallet** (Türkiye) — Sipay's
//! walletgate "Mobile API" (the crate keeps its neutral name, `tr-qr-wallet`).
//!
//! A point-of-sale shows a QR code; the wallet user scans it in the
//! integrator's app. [`QrWalletClient::begin`] returns the sale (merchant,
//! amount, product, VAT, expiry) to show the user; [`QrWalletClient::complete`]
//! debits the wallet and returns the receipt with the wallet's balances and
//! limits.
//!
//! ```no_run
//! use tr_qr_wallet::SecretString;
//! use tr_qr_wallet::{QrCode, QrCodeType, QrWalletClient, QrWalletConfig, WalletNumber};
//!
//! # async fn run() -> tr_qr_wallet::Result<()> {
//! let client = QrWalletClient::new(QrWalletConfig::uat(
//!     "client-id",
//!     SecretString::from("client-secret"),
//!     "x-client-id",
//!     "provider-id",
//! )?)?;
//! let wallet = WalletNumber::new("1011179271")?;
//! let session = client
//!     .begin(&wallet, &QrCode::new("63759407536179025465")?, QrCodeType::Default)
//!     .await?;
//! if let Some(sale) = session.sale.decoded() {
//!     println!("{} at {}: {}", sale.product_name.as_deref().unwrap_or("-"), sale.merchant_name, sale.amount);
//! }
//! let receipt = client.complete(&session).await?;
//! println!("paid {}, transaction {}", receipt.charged, receipt.transaction_id);
//! # Ok(()) }
//! ```
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

mod client;
#[doc(hidden)]
pub mod codec;
mod config;
mod gateway;
mod model;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
mod wire;

pub use client::{QrWalletClient, QrWalletClientBuilder};
pub use config::{CorrelationIdEncoding, QrWalletConfig, UAT_API_URL, UAT_TOKEN_URL};
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
/// Crates whose types this crate's API carries (times, the token URL).
pub use {time, url};

/// The README's code, compiled and run as a doctest.
#[cfg(all(doctest, feature = "sandbox"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
