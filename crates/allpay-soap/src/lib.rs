//! Allpay (Kazakhstan) cash-in over signed SOAP 1.1.
//!
//! An Allpay *agent* (a cashier) pushes money to a customer's Allpay wallet.
//! [`AllpayClient`] speaks both services: `CashInTransactionManagement/1.1`
//! (check a customer, terminal cash-in payments) and
//! `TransactionManagement/1.1` (two-phase cash-in: create, then complete or
//! decline; the agent's balance).
//!
//! **The production path**: a [`CashInOrder`] for the merchant's order (its
//! [`OrderId`], the customer, the amount) paid with [`pay`] — the customer
//! checked, then one terminal cash-in under a GUID derived from the order
//! ([`AllpayClient::order_guid`]), driven to final by repeating the same
//! signed request. It ends in a [`PaymentOutcome`], a decline, or an
//! [`Error::OutcomeUnknown`] that [`AllpayClient::settle`] settles by its
//! reference (the GUID). Where the merchant keeps state, pay through
//! `payments_journal::Journaled` keyed by the order id; without one, a
//! repeat of the order carries the same GUID, which Allpay pays once.
//!
//! ```no_run
//! use allpay_soap::{AllpayClient, AllpayConfig, CashInOrder, Currency, Money, OrderId, PaymentStatus, UserName};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // ALLPAY_BASE_URL, ALLPAY_REQUESTER, ALLPAY_CERT_NUMBER, ALLPAY_PRIVATE_KEY, ALLPAY_SERVER_PUBLIC_KEY
//! let client = AllpayClient::new(AllpayConfig::from_env()?)?;
//! let order = CashInOrder::new(
//!     OrderId::new("order-1001")?,
//!     UserName::new("77011234567")?,
//!     Money::parse("1500", Currency::KZT)?,
//! );
//! match allpay_soap::pay(&client, order).await {
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
//! The wire calls — [`AllpayClient::check_user_for_cash_in`],
//! [`AllpayClient::create_cash_in_payment`],
//! [`AllpayClient::drive_cash_in_payment`], the two-phase transactions —
//! are public for tools and for the two-phase cash-out; they describe each
//! event as the gateway does.
//!
//! # In an axum service
//!
//! The client is cheap to clone and `Send + Sync`. axum drops a handler's
//! future when its client goes away: a cash-in in flight stays open in the
//! client, and [`AllpayClient::settle`] settles it by its GUID in this
//! process (or pay the same order again: same GUID, paid once). Or spawn
//! the payment (`tokio::spawn`) so that it runs to its end.
//!
//! # Wire contract
//!
//! - SOAP 1.1 (`soapenv`), the operation element in the service namespace
//!   (`ns`), its children unqualified; `SOAPAction` is the operation name, quoted (`"createCashInPayment"`, SOAP 1.1 §6.1.1, WS-I BP R1109);
//!   `Content-Type: text/xml; charset=utf-8`. The crate-private bindings (`src/generated.rs`)
//!   come from the crate's own `wsdl/` (reconstructed from Allpay's public
//!   documentation, not Allpay's published WSDL) by `cargo xtask codegen`.
//! - Answers are read by namespace URI, whatever the prefixes; exactly one of
//!   the operation's response or a SOAP Fault must be in the Body. Statuses
//!   are kept as text, so a value this SDK does not know survives as
//!   `Unknown`. Amounts are KZT [`Money`], written and
//!   read as plain `xs:decimal` (an exponent is refused). GUIDs are braced by
//!   default ([`GuidFormat`]); timestamps carry the +05:00 offset.
//! - Faults: Allpay's "Sign Error" Fault is an
//!   [`Authentication`](payments_core::Error::Authentication) error; any other
//!   is a [`Decline`] with `faultcode`, the detail's
//!   `developerMessage` (and `stackHash`) and its `userMessage` for customers
//!   — on a read. On a money-moving call, see *Money safety* below. A header
//!   `status` other than 0 is a decline of a read, and unknown on a
//!   money-moving call.
//! - Operations beyond the seed, as Allpay's service declares them: `echo`
//!   is `String echo(@WebParam(name = "Echo") String)` —
//!   `<ns:echo><Echo>ping</Echo></ns:echo>`, answered
//!   `<return>ping</return>`; `createCashOutTransaction` takes Allpay's
//!   published `cashOutRequest` (`header`, `fromUserName`, `amount`, `GUID`,
//!   the six-digit `token` from the customer's device) and answers a
//!   `transactionInfo` like the cash-in; `agentBalanceResponse` is an
//!   `xs:string`, kept as text ([`AgentBalance`]).
//! - Compared with Allpay's published XSDs, the crate's schema is more
//!   lenient in what it reads: the published schema *requires*
//!   `userMessage`, `developerMessage` and `timestamp` in every response
//!   header and `commission` / `commissionTo` in `transactionInfo`; the crate
//!   reads them when present and accepts answers without them (both forms
//!   are tested), since a missing message must not turn a booked payment
//!   into an undecodable answer. Requests follow the published schema.
//! - **Signatures** ([`dsig`]): every request carries
//!   `<certificateNumber xmlns="https://allpay.kz">` and an enveloped XML-DSig
//!   in the Header (exclusive C14N with comments over `SignedInfo`, SHA-1,
//!   RSA-SHA1, `Reference URI=""`). Every answer but an unsigned Fault must be
//!   signed by Allpay's key and echo our `DigestValue` as `requestDsig`; a
//!   failure is an [`IntegrityMismatch`](payments_core::Error::IntegrityMismatch)
//!   on `signature` or `requestDsig`. Turning this off is
//!   [`AllpayConfig::disable_response_verification_insecure`].
//! - **Believe only what was proven.** Each answer is parsed once; the
//!   signature is checked on that tree; every value returned is read from
//!   that same tree, only where the schema puts it (typed readers generated
//!   from `wsdl/`; a field twice, or a text field holding markup, is
//!   refused), and only from inside what the signature covers: the
//!   envelope is strict (one Header, one Body holding one element, one
//!   `Signature` as a direct child of the Header holding `SignedInfo`,
//!   `SignatureValue` and at most `KeyInfo`, one `requestDsig` beside it),
//!   Fault texts come only from `Body/Fault`. Before the tree is built,
//!   limits are checked in one linear pass ([`dsig::MAX_XML_DEPTH`] and the
//!   other `dsig::MAX_XML_*`; UTF-8 only, no DTD), so a hostile answer is
//!   refused in milliseconds.
//! - **Bound to the request.** Besides `requestDsig`, what an answer echoes
//!   is compared with the request — an integrity mismatch when it differs:
//!   `echo` its text; `createCashInTransaction` and
//!   `createCashOutTransaction` the GUID and amount; `completeTransaction`
//!   and `declineTransaction` the GUID and transaction id. `checkUser`,
//!   `checkUserAndValidateCashIn`, `createCashInPayment` and
//!   `availableBalance` answers echo nothing else: the digest binds them.
//!
//! # Money safety
//!
//! `createCashInPayment` is a terminal payment: Allpay answers `PENDING` and
//! expects the *same* request, same GUID, again until it is final; a network
//! error or an HTTP 500 counts as pending. [`AllpayClient::drive_cash_in_payment`]
//! does exactly that with the identical signed request, so a lost answer is
//! settled without a second cash-in. Two-phase transactions are found again
//! by GUID; completing a completed transaction answers it again.
//!
//! Which answers are final (source: Allpay's `TerminalPayment.md`, in
//! `providers/NOTES.md`: *"in any other case — we could not be reached, our
//! balancer answered 500 for whatever reason — treat the answer as
//! PENDING"*):
//!
//! - `createCashInPayment`: only `COMPLETED` or `DECLINED` in an answer whose
//!   signature verified. A Fault — signed or not, HTTP 500 or 200, "Sign
//!   Error" included —, a header `status` other than 0, an HTML page, a 5xx,
//!   a timeout, an answer that does not verify: PENDING. The drive repeats
//!   the identical request on [`AllpayConfig::terminal_schedule`]; when it
//!   runs out the answer is [`Error::OutcomeUnknown`]
//!   carrying the last Fault's code, text and detail.
//! - The two-phase operations (`createCashInTransaction`,
//!   `completeTransaction`, `declineTransaction`) — our choice, where Allpay
//!   is silent: a Fault that is Allpay's verified word (signed, or
//!   verification turned off) is a decline, as Allpay documents business
//!   errors as Faults; an *unsigned* Fault (a balancer, a crashed handler)
//!   and a header `status` other than 0 (Allpay documents no values but 0)
//!   are unknown — repeat the same request (same GUID) to settle it;
//!   "Sign Error" stays an authentication error (a documented refusal).
//!
//! # Features
//!
//! - `sandbox`: `sandbox::AllpaySandbox`, a simulator that checks request
//!   signatures, by the client's rules for answers, and signs its answers.
//!
//! Cryptography is pure Rust (`rsa`, `sha1`); answers are read with
//! `roxmltree` (after a limits pass with `quick-xml`), requests written with
//! `yaserde`. (TLS, as in every crate here, is rustls with its default
//! aws-lc-rs provider.)
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

mod cash_in;
#[doc(hidden)]
pub mod codec;
mod config;
pub mod dsig;
mod gateway;
#[allow(missing_docs, unreachable_pub, clippy::pedantic)]
/// The SOAP bindings `cargo xtask codegen` writes: crate-private, not API.
mod generated;
mod model;
mod read;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
#[cfg(any(test, feature = "sandbox"))]
mod sandbox_keys;
mod session;
mod soap;
mod transaction;
mod users;

pub use config::{AllpayConfig, AllpayConfigBuilder, GuidFormat, Lang, ResponseVerification};
pub use gateway::{CAPABILITIES, CashInOrder, CheckedCashIn};
pub use model::{
    AgentBalance, BRACED_GUID_RULES, CashIn, CashOut, CashOutToken, PLAIN_GUID_RULES,
    TerminalPayment, TerminalStatus, Transaction, TransactionStatus, UserInfo, UserName,
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
pub use session::{AllpayClient, AllpayClientBuilder, CASH_IN_PATH, TRANSACTION_MANAGEMENT_PATH};

/// The README's code, compiled and run as a doctest.
#[cfg(all(doctest, feature = "sandbox"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
