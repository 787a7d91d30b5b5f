//! A durable journal for the wallet SDKs' payments, so that no payment is
//! lost to a crash, a deploy or a cancelled request.
//!
//! Every reconciliation the SDKs do otherwise lives in one process's
//! memory. A request handler dropped mid-payment (a client that went away:
//! axum drops the future), a process killed after the commit request left,
//! a deploy: the prepared payment that reconciliation needs is gone, and
//! money may have moved. [`Journaled`] writes it down first:
//!
//! ```text
//!  pay():  prepare ──► [prepared] ──► [committing] ──► commit + settle ──► [completed | failed | mismatch | unknown]
//!                          │                │                                                      │
//!  sweep:                  └─► [abandoned]  └──────────────► reconcile (never commit) ◄───────────┘
//! ```
//!
//! | stage | written by | means |
//! |---|---|---|
//! | `prepared` | [`Journaled::pay`], after prepare | nothing sent yet |
//! | `committing` | [`Journaled::pay`], before the commit may leave | money may move; only reconciliation settles it |
//! | `completed` / `failed` | `pay`, or the sweeper | final: the provider proved it happened / did not |
//! | `mismatch` | `pay`, or the sweeper | final: booked on other terms (another amount); for a person |
//! | `unknown` | `pay`, or the sweeper | not settled yet; the next sweep tries again |
//! | `abandoned` | the sweeper, once a `prepared` entry's lease ran out | final: the commit never started |
//!
//! The sweeper, [`Journaled::settle_pending`], settles `committing` and
//! `unknown` payments through the provider's reconciliation
//! ([`payments_core::settle`]) — a status lookup, an idempotent repeat, a
//! postback — and never by committing again. Each open payment is leased to
//! the process settling it: several processes sharing a PostgreSQL journal
//! never settle the same payment at the same time (`FOR UPDATE SKIP
//! LOCKED`), and a payment still in flight in its own process is left to it.
//!
//! What is written is the provider crate's [`DurableGateway`] state: the
//! least its reconciliation needs (Jawali: every `refId` the cash-out may
//! carry; Sipay: the session; Allpay: the GUID; Paykassma: the activation),
//! validated again when read back. It holds what the customer gave at
//! checkout (a voucher code, a wallet number) and no credential of the
//! merchant's: keep the journal as you keep orders.
//!
//! Paykassma settles by postback: with the `paykassma` feature,
//! `PaykassmaPostbacks` keeps the postbacks in
//! the journal's database, so the replica that settles a payment sees the
//! postback whichever replica received it. Like entries, postbacks are kept
//! per scope (`"paykassma"` by default; `PaykassmaPostbacks::with_scope`
//! for a second merchant account, as [`Journaled::with_scope`]).
//!
//! Storage: SQLite by default (a file path, nothing to run; WAL,
//! `synchronous = FULL`), PostgreSQL with the `postgres` feature. The
//! schema ships as migrations, applied when the journal opens. No provider
//! crate depends on this one.
//!
//! ```no_run
//! # async fn run(client: jawali::JawaliClient, order: jawali::VoucherPayment) -> Result<(), Box<dyn std::error::Error>> {
//! use payments_journal::{Journal, Journaled};
//!
//! let payments = Journaled::new(client, Journal::sqlite("payments.db").await?);
//! let outcome = payments.pay(order).await?;
//! // On a schedule, in this process or another one after a crash:
//! let report = payments.settle_pending(100).await?;
//! # let _ = (outcome, report); Ok(()) }
//! ```
//!
//! [`DurableGateway`]: payments_core::gateway::DurableGateway

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("payments-journal needs a store: enable the `sqlite` or the `postgres` feature");

mod journaled;
#[cfg(feature = "paykassma")]
mod postbacks;
mod store;

pub use journaled::{DEFAULT_SWEEP_LEASE, Journaled, SweepReport};
#[cfg(feature = "paykassma")]
pub use postbacks::PaykassmaPostbacks;
pub use store::{Entry, Journal, JournalError, Stage};

/// The README's code, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
