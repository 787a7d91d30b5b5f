//! Paykassma deposits — Wavepay (Myanmar) and the other wallets behind the
//! same API.
//!
//! The user is shown a wallet to pay into ([`PaykassmaClient::create_deposit`]),
//! pays in their own wallet app and receives a transaction number, and types
//! it into the merchant's page; the merchant *activates* the deposit with it
//! ([`PaykassmaClient::activate`]). Paykassma then sends a signed
//! **postback** ([`postback`]) with the final result. Merchants that use
//! Paykassma's hosted payment window build its link with [`PaymentLink`].
//!
//! ```no_run
//! use paykassma::{Activation, ActivationOutcome, Label, PaykassmaClient, PaykassmaConfig, TransactionNumber, WalletType};
//! use paykassma::{Currency, Money, SecretString};
//!
//! # async fn run() -> paykassma::Result<()> {
//! let client = PaykassmaClient::new(PaykassmaConfig::for_server(
//!     "pay.example.com",
//!     SecretString::from("plugin api secret"),
//! )?)?;
//! let label = Label::new("user-55")?;
//! let wallet = client.create_deposit(&label, Currency::MMK).await?;
//! println!("pay into Wavepay wallet {:?}", wallet.identifier);
//!
//! let outcome = client
//!     .activate(&Activation {
//!         label,
//!         wallet_type: WalletType::WAVEPAY,
//!         key1: TransactionNumber::new("1394646476")?,
//!         amount: Money::parse("500", Currency::MMK)?,
//!         custom_transaction_id: client.new_reference()?,
//!     })
//!     .await?;
//! match outcome {
//!     ActivationOutcome::Credited { amount } => println!("credited {amount}"),
//!     ActivationOutcome::CreditedDifferentAmount { requested, credited } => {
//!         println!("asked for {requested}, the wallet received {credited}: credit {credited}")
//!     }
//!     ActivationOutcome::Pending { .. } | ActivationOutcome::PossibleTransactionCreated { .. } => {
//!         println!("wait for the postback")
//!     }
//!     _ => {}
//! }
//! # Ok(()) }
//! ```
//!
//! # Wire contract and choices
//!
//! - `POST https://api.{server}/api/v1/transaction/create/{wallet_type}?secret=…`
//!   with `{"currency", "label"}`; `POST …/api/v1/transaction/activate?secret=…`
//!   with `{"currency_code", "wallet_type", "label", "amount", "key1",
//!   "custom_transaction_id"}`. The seed writes the activation URL with
//!   `http://`; this crate only ever uses the configured (https) base URL.
//! - `wallet_type` is sent as Paykassma names it in paths and links
//!   (`wavepay`), also in the activation body (whose example writes `Wavepay`).
//! - `amount` is an exact JSON number written from the decimal (`500`, `500.5`).
//! - Answers: `ok` + `deposit_amount` → credited (the amount *found* on the
//!   wallet, which may differ: [`ActivationOutcome::CreditedDifferentAmount`]);
//!   `pending`; `possible_transaction_created`; `fail` → a
//!   [`Decline`] with the message; HTTP 404 → an
//!   authentication error (missing or wrong secret, or an unregistered IP).
//! - The `secret` never appears in errors, logs or `Debug` output.
//! - Create moves no money and may be retried as a read; activate is never
//!   retried — its unknown outcome is settled by the postback.
//! - A `fail` carries only a message: no decline kind is guessed from its
//!   words ([`DeclineKind::Other`]).
//!
//! # Which answers are final
//!
//! Sources: the seed's four activation answers; the postback contract in
//! `providers/NOTES.md`. [`PaykassmaGateway`] holds payments to it:
//!
//! - activation `ok` with `deposit_amount` equal to the order: completed;
//!   with another amount (the seed's own example: 500 asked, 6000 credited):
//!   an [`IntegrityMismatch`](payments_core::Error::IntegrityMismatch)
//!   carrying both — never `Completed` for an amount the merchant did not ask;
//! - `fail` to the *first* activation: declined;
//! - a postback `success` (amount and currency checked the same way; a
//!   `success` naming no amount or no currency proves money moved, not how
//!   much: an integrity mismatch, never `Completed`), `failed`, `rejected`,
//!   `cancelled`: final; two contradicting final postbacks — another final
//!   status, or the same one with another amount or currency — an
//!   integrity mismatch, and an alarm in [`InboxReply`];
//! - not final: `pending`, `possible_transaction_created`, a postback status
//!   this SDK does not know, and **any** answer to a *repeated* activation
//!   (a `fail` included: the id may be taken because the first one
//!   arrived) — only a postback settles those.
//!
//! # Features
//!
//! - `sandbox`: `sandbox::PaykassmaSandbox`, a simulator on loopback that
//!   also delivers signed postbacks.
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
mod inbox;
mod link;
mod model;
pub mod postback;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
mod wire;

pub use client::{PaykassmaClient, PaykassmaClientBuilder};
pub use config::PaykassmaConfig;
pub use gateway::{CAPABILITIES, DepositOrder, PaykassmaGateway, PreparedDeposit};
pub use inbox::{
    Applied, AppliedPostback, InboxReply, MemoryPostbackStore, PostbackInbox, PostbackRecord,
    PostbackStore, STORE_POLL_INTERVAL, apply_delivery,
};
pub use link::PaymentLink;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum_postbacks;
pub use model::{
    Activation, ActivationOutcome, CUSTOM_TRANSACTION_ID_RULES, DepositDetails, Label, Lang,
    MAX_KEY1_LEN, MAX_LABEL_LEN, TransactionNumber, WalletType,
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
/// Crates whose types this crate's API carries (postback fields and times, URLs).
pub use {serde_json, time, url};

/// The README's code, compiled and run as a doctest.
#[cfg(all(doctest, feature = "sandbox"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
