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
//! **The production path** is [`PaykassmaGateway`]: the client, and the
//! [`PostbackInbox`] the merchant's postback endpoint feeds. A
//! [`DepositOrder`] (the merchant's order id, the user's label and
//! transaction number, the amount) is paid with [`pay`]: one activation
//! under the order's id, then the postback; the answer is a
//! [`PaymentOutcome`], a decline, an
//! [`Error::IntegrityMismatch`]
//! (another amount credited, both amounts as [`Money`]), or an
//! [`Error::OutcomeUnknown`] that
//! [`PaykassmaGateway::settle`] settles by its reference. Where the
//! merchant keeps state, pay through `payments_journal::Journaled` keyed by
//! the order id: a repeat of the order answers the first payment.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use paykassma::sandbox::{SandboxOptions, start_with_inbox};
//! use paykassma::{Currency, Label, Money, OrderId, PaykassmaClient, PaykassmaGateway, PaymentStatus};
//!
//! // The sandbox, and a postback endpoint feeding the inbox (in production:
//! // PaykassmaConfig::from_env(), and `axum_postbacks::router(inbox)`).
//! let (sandbox, inbox, _endpoint) = start_with_inbox(SandboxOptions::default()).await?;
//! let client = PaykassmaClient::new(sandbox.config())?;
//! let gateway = PaykassmaGateway::new(client.clone(), inbox, Duration::from_secs(5));
//!
//! // The user pays 500 MMK into the wallet shown and types the transaction number in:
//! let mut order = sandbox
//!     .paid_deposit(&client, Label::new("user-55")?, Money::parse("500", Currency::MMK)?)
//!     .await?;
//! order.order_id = OrderId::new("deposit-1001")?;
//!
//! match paykassma::pay(&gateway, order).await {
//!     Ok(outcome) if outcome.status == PaymentStatus::Completed => println!("credit the user"),
//!     Ok(outcome) => println!("not paid: {}", outcome.status),
//!     Err(error) if error.code() == "outcome_unknown" => {
//!         // Later: gateway.settle(reference) — or the journal's sweeper.
//!         println!("settle {} later", error.reference().unwrap_or_default());
//!     }
//!     Err(error) => println!("{}: {error}", error.code()),
//! }
//! # Ok(()) }
//! ```
//!
//! The wire calls — [`PaykassmaClient::create_deposit`] (the wallet the user
//! pays into) and [`PaykassmaClient::activate`] (one activation, never
//! repeated) — are public for tools; they describe each event as the
//! gateway does.
//!
//! # In an axum service
//!
//! The client and gateway are cheap to clone, `Send + Sync`. Feature `axum`
//! gives the postback endpoint (`axum_postbacks::router`). A handler
//! that axum drops when its client goes away may leave an activation in
//! flight: the gateway remembers it, and [`PaykassmaGateway::settle`]
//! settles it by its reference in this process; a journal
//! (`payments_journal::Journaled`) settles it across restarts. Or spawn the
//! payment (`tokio::spawn`) so that it runs to its end whatever the client
//! does.
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
//!   wallet, which may differ: then an integrity mismatch carrying both);
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

#[doc(hidden)]
pub mod codec;
mod config;
mod deposit;
mod gateway;
mod inbox;
mod link;
mod model;
pub mod postback;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
mod session;
mod wire;

pub use config::{PaykassmaConfig, PaykassmaConfigBuilder};
pub use gateway::{CAPABILITIES, DepositOrder, PaykassmaGateway, PreparedDeposit};
pub use inbox::{
    Applied, AppliedPostback, InboxReply, MemoryPostbackStore, PostbackInbox, PostbackRecord,
    PostbackStore, STORE_POLL_INTERVAL, apply_delivery,
};
pub use link::PaymentLink;
pub use session::{PaykassmaClient, PaykassmaClientBuilder};
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
