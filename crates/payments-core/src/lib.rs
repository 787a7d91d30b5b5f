//! The shared core of the wallet SDKs.
//!
//! Each provider crate (`jawali`, `paykassma`, `tr-qr-wallet`,
//! `allpay-soap`) builds on this one. It holds what must behave the same for
//! every provider, because it is where money is lost or doubled:
//!
//! - [`Money`]: an exact decimal in an ISO 4217 [`Currency`], validated
//!   against the currency's precision, written to the wire from its digits
//!   ([`wire`]), never through `f64`.
//! - [`OrderId`]: the merchant's id of an order — one order is one payment,
//!   however often it is submitted ([`order`](mod@order)); and
//!   [`MerchantReference`]: the id of one payment attempt, validated per
//!   provider, made once and reused to reconcile ([`reference`](mod@reference)).
//! - [`Error`]: one taxonomy that tells *not sent* from *outcome unknown*
//!   from *declined*; [`Error::outcome_known`] and [`Error::is_retryable`];
//!   [`Error::diagnostics`] for the support desk (the provider's
//!   correlation id, the merchant reference, the HTTP status).
//! - [`secret`]: credentials in `secrecy` types and a [`Scrubber`] for
//!   everything that leaves the SDK as text.
//! - [`http`]: the one HTTP client: rustls, timeouts, size cap, tracing,
//!   retries only where they are safe.
//! - [`token`]: a bearer-token cache with single-flight refresh.
//! - [`Gateway`]: the lifecycle every provider shares ([`Capabilities`],
//!   [`StatusLookup`]), [`pay`], the generic flow that never commits twice,
//!   and [`Checkout`]/[`Payable`] to run payments through any provider alike.
//! - `sandbox` (feature `sandbox`): the plumbing of the providers' simulators.
//! - `testkit` (feature `testkit`): helpers for the provider crates' tests
//!   and the conformance kit they all run.
//!
//! # What is supported, for whom
//!
//! | level | what | promise |
//! |---|---|---|
//! | merchant API | [`Money`], [`Currency`], [`Error`], [`Decline`] and [`Diagnostics`], [`OrderId`]/[`MerchantOrder`], [`MerchantReference`], [`SecretString`], [`Environment`]/[`BaseUrl`], [`Gateway`], [`pay`]/[`settle`]/[`pay_within`], [`Checkout`]/[`Payable`], [`StatusLookup`], [`PaymentOutcome`]/[`PaymentStatus`] — re-exported by every provider crate | semver-bound |
//! | provider-crate API | [`http`] ([`HttpClient`](http::HttpClient), [`Request`](http::Request), [`RetryPolicy`](http::RetryPolicy)), [`token`], [`wire`], [`operation`](mod@operation), [`clock`], [`secret`], [`gateway::settle_by`], [`gateway::prepare_within`], [`gateway::commit_operation`], [`reference`](mod@reference) generators: what a crate for a new provider builds on | documented and semver-bound: the four provider crates use nothing else |
//! | test tooling | `sandbox` (feature `sandbox`), `testkit` (feature `testkit`) | feature-gated; may change with the simulators they serve |
//!
//! Items not listed are reached only through these modules; there is no
//! hidden plumbing a provider crate depends on.
//!
//! ```
//! use payments_core::{Currency, Error, Money};
//!
//! let amount = Money::parse("500.5", Currency::MMK)?;
//! assert_eq!(amount.to_json_number().as_str(), "500.5");
//! assert_eq!(amount.to_scaled_string(), "500.50");
//!
//! // Bad input is refused with the field's name, before any request.
//! let err = Money::parse("-1", Currency::MMK)
//!     .map_err(|e| Error::invalid_money("amount", &e))
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "invalid amount: amount -1 is negative (nothing was sent)");
//! assert!(err.outcome_known());
//! # Ok::<(), payments_core::MoneyError>(())
//! ```
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

pub mod clock;
pub mod env_config;
pub mod error;
pub mod gateway;
pub mod http;
pub mod money;
pub mod operation;
pub mod order;
pub mod reference;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
pub mod secret;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;
pub mod token;
pub mod wire;

pub use error::{Decline, DeclineKind, Diagnostics, Error, Mismatched, Result};
pub use gateway::{
    Capabilities, Checkout, DurableGateway, Gateway, Payable, PaymentOutcome, PaymentStatus,
    Reconciliation, StatusLookup, commit_and_settle, pay, pay_within, settle,
};
pub use http::{BaseUrl, Environment};
pub use money::{Currency, Money, MoneyError};
pub use operation::{Operation, OperationKind};
pub use order::{MerchantOrder, OrderId};
pub use reference::{MerchantReference, ProviderReference};
pub use secret::{ExposeSecret, Scrubber, SecretString};

// Re-exported so provider crates and their users name the same versions.
pub use async_trait::async_trait;
pub use rust_decimal::Decimal;

/// The README's code, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
