//! Jawali wallet (Yemen) voucher cash-out, over WeCash's *paygate*.
//!
//! A customer creates a purchase code (voucher) in their Jawali app and gives
//! it to the merchant with their wallet number. The merchant checks the
//! voucher (`ECOMMERCEINQUIRY`) and redeems it (`ECOMMCASHOUT`): the money
//! moves from the customer's wallet to the merchant's. [`JawaliClient`] also
//! looks operations up by `refId` (`AGENTCHECKSTATUS`), and reads the
//! merchant wallet's statement and balance.
//!
//! **The production path**: a [`VoucherPayment`] for the merchant's order
//! (its [`OrderId`], the voucher, the customer's number, the expected
//! amount) paid with [`pay`] — inquiry and checks, one cash-out, status
//! lookups if its outcome is unknown. It ends in a [`PaymentOutcome`], a
//! decline, an [`Error::TermsMismatch`] (the voucher is for other money;
//! nothing moved), or an [`Error::OutcomeUnknown`] that
//! [`JawaliClient::settle`] settles by its reference. Where the merchant
//! keeps state, pay through `payments_journal::Journaled` keyed by the
//! order id: a repeat of the order answers the first payment.
//!
//! ```no_run
//! use jawali::{Currency, JawaliClient, JawaliConfig, Money, OrderId, PaymentStatus, VoucherPayment};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // JAWALI_USERNAME, JAWALI_PASSWORD, JAWALI_ORG_ID, JAWALI_WALLET, … (or JawaliConfig::builder()).
//! let client = JawaliClient::new(JawaliConfig::from_env()?)?;
//! let order = VoucherPayment::new(
//!     OrderId::new("order-1001")?,
//!     "483920",          // the voucher, from the customer's app
//!     "+967771234567",   // the customer's wallet
//!     Money::parse("1500", Currency::YER)?,
//! )?;
//! match jawali::pay(&client, order).await {
//!     Ok(outcome) if outcome.status == PaymentStatus::Completed => println!("paid: {}", outcome.reference),
//!     Ok(outcome) => println!("not paid: {}", outcome.status),
//!     Err(error) => match error.code() {
//!         // Settle it later with one call: client.settle(reference).
//!         "outcome_unknown" => println!("settle {} later", error.reference().unwrap_or_default()),
//!         "terms_mismatch" | "declined" => println!("tell the customer: {error}"),
//!         _ => println!("{}: {error}", error.code()),
//!     },
//! }
//! # Ok(()) }
//! ```
//!
//! [`JawaliClient::collect`] is the same flow for a caller without an order
//! id of its own. The wire calls ([`JawaliClient::inquire_voucher`],
//! [`JawaliClient::cash_out`], [`JawaliClient::check_status`]) are public
//! for tools; they describe each event as the flow does.
//!
//! # In an axum service
//!
//! The client is cheap to clone and `Send + Sync`: keep one in the app's
//! state. axum drops a handler's future when its client goes away; a
//! cash-out in flight then stays open in the client, and
//! [`JawaliClient::settle`] settles it by its reference in this process
//! (journal: across restarts). Or spawn the payment (`tokio::spawn`) so
//! that it runs to its end whatever the client does.
//!
//! # Wire contract
//!
//! The provider's document names the operations and the two tokens but not
//! the wire format; this crate implements the contract public integrations
//! agree on:
//!
//! - The base URL may be configured with or without `/paygate`
//!   (`https://host:9493` or `https://host:9493/paygate`, as public
//!   integrations do); it is never doubled.
//! - `LOGIN`: `POST {base}/paygate/oauth/token`, form-encoded OAuth2
//!   password grant (`client_id=restapp`, `client_secret=restapp`,
//!   `scope=read` by default, see [`OAuthClient`]); `expires_in` defaults to
//!   3600 s when absent.
//! - Every other call: `POST {base}/paygate/v1/ws/callWS`, JSON, with the
//!   access token as `Authorization: Bearer …` and the *wallet* token in the
//!   body's `accessToken`; the header carries a fresh `corrID` (UUID), the
//!   `orgID`, `userID`, `externalUser` and `clientDate` (UNIX milliseconds by
//!   default, [`ClientDateFormat`]).
//! - Success is `responseStatus.systemStatus == "0"`; anything else is a
//!   [`Decline`] carrying `systemStatus` as code,
//!   `systemStatusDesc` as message and the Arabic `systemStatusDescNative` as
//!   the user message. The decline's [`kind`](payments_core::DeclineKind) is
//!   read from the text (codes are not documented).
//! - Response fields are read under every spelling seen, and an answer may
//!   carry two of them: the first present (and not `null`) wins, in this
//!   order — `status`, `state`, `Status`, `trxStatus`, `txnStatus`;
//!   `amount`, `Amount`, `txnamount`; `currency`, `Currency`, `txncurrency`;
//!   `issuerRef`, `IssuerRef`, `issuerTrxRef`; `balance`, `Balance`,
//!   `availableBalance`; `refId`, `RefId`. Amounts as numbers or strings, exactly;
//!   currencies as ISO codes (alphabetic or numeric); unknown fields are
//!   ignored; unknown voucher states are kept ([`VoucherState::Unknown`]).
//! - Cash-out amounts are written as exact JSON numbers from the decimal
//!   (`1500`, `1500.5`) in `amount`, with the ISO code in `currency`.
//!
//! **Not confirmed by any public source** and therefore written down here:
//! the service names `PAYAG.AGENTCHECKSTATUS`, `PAYAG.AGENTSTATEMENT`,
//! `PAYAG.AGENTBALANCEINQUIRY` (they follow the confirmed ones' pattern);
//! the status lookup's answer (`status` — also read as `state` — with
//! `SUCCESS`/`ACCEPTED`, `PENDING`, `FAILED`/`REJECTED`, see
//! [`TransactionState::from_wire`]) and its "not found" text; the statement
//! request's `fromDate`/`toDate` (`yyyy-MM-dd`) and its answer
//! (`transactions: [{refId, issuerRef, amount, currency, description, trxDate, balance}]`);
//! the balance answer (`balance`, `currency`). The embedded sandbox speaks
//! exactly this contract.
//!
//! # Money safety
//!
//! A cash-out is never repeated blindly. A timeout, a dropped connection, an
//! HTTP 5xx or an unreadable answer after it was sent is an
//! [`Error::OutcomeUnknown`] carrying
//! its `refId`; [`JawaliClient::collect`] settles it by status lookups. A
//! cash-out is sent again only when the provider *refused* it for a dead
//! token (HTTP 401, or a status text saying the wallet token is invalid or
//! expired: it was not processed), or when the lookups prove every `refId`
//! it was sent under unknown while the voucher is still `PENDING` (it never
//! arrived; a voucher is cashed out once).
//!
//! **`refId`s.** The seed says a `refId` is "unique, never repeated, in every
//! request": every `callWS` request carries a fresh one, a repeat after a
//! refused token included. A cash-out records every `refId` it was sent
//! under ([`CheckedVoucher::sent_under`], [`SentUnder`]); its status lookups
//! ask about each of them; a resend after "never landed" gets a fresh one;
//! receipts name the `refId` that landed. A cash-out prepared through the
//! [`Gateway`] reserves its repeats' `refId`s at
//! prepare time, so that a journal's record of the prepared payment
//! ([`DurableGateway`](payments_core::gateway::DurableGateway)) names every
//! `refId` it can carry; a payment restored from such a record is looked up
//! under all of them, and resent (voucher still `PENDING`, no `refId` known
//! to Jawali) only under a reserved one. `AGENTCHECKSTATUS` carries the
//! `refId` *looked up*.
//!
//! Which answers are final (sources: the seed and `providers/NOTES.md`;
//! Jawali documents **no** error code):
//!
//! - a cash-out answered `systemStatus "0"` whose own `status` is absent or
//!   a success (`ACCEPTED`, `SUCCESS`, …) and whose `amount` is the one
//!   asked: collected (an answer without an amount proves money moved, not
//!   how much: an integrity mismatch, never a receipt); `FAILED` (or
//!   `REJECTED`, …): declined;
//! - a cash-out answered `PENDING` or a status this SDK does not know, and
//!   *any* non-zero `systemStatus` — none is documented as "refused before
//!   processing", and a "system error" may follow the debit — is unknown:
//!   settled by lookups ([`Error::provider_decline`]
//!   keeps the code for diagnosis);
//! - a status lookup's `SUCCESS` (its amount must be the one asked: a
//!   `SUCCESS` without an amount is a mismatch too) or `FAILED` is final;
//!   "no such `refId`" is final only together with a voucher that can no
//!   longer be cashed out (expired, cancelled, rejected);
//! - a lookup that fails (HTTP 5xx, a timeout, a garbled answer, a refused
//!   LOGIN) proves nothing: the next lookup is tried, and when the settle
//!   policy runs out the payment is unknown — never the lookup's error.
//!
//! # Features
//!
//! - `sandbox`: `sandbox::JawaliSandbox`, a stateful simulator of the
//!   provider on loopback, for tests and offline development.
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

mod account;
#[doc(hidden)]
pub mod codec;
mod collect;
mod config;
mod gateway;
mod model;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
mod session;
mod spelling;
mod voucher;
mod wire;

pub use config::{ClientDateFormat, JawaliConfig, JawaliConfigBuilder, OAuthClient, TEST_BASE_URL};
pub use gateway::{CAPABILITIES, CheckedVoucher, VoucherPayment};
pub use model::{
    Balance, CashOut, CashOutReceipt, MAX_VOUCHER_LEN, MobileNumber, REF_ID_RULES, SentUnder,
    StatementEntry, TransactionState, TransactionStatus, Voucher, VoucherCode, VoucherState,
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
    SecretString, StatusLookup, pay, settle,
};
/// The HTTP client crate, for callers who supply their own `reqwest::Client`.
pub use reqwest;
pub use session::{JawaliClient, JawaliClientBuilder};
/// The date and time crate, whose types this crate's API takes (statements).
pub use time;

/// The README's code, compiled and run as a doctest.
#[cfg(all(doctest, feature = "sandbox"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
