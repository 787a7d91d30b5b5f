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
//! | `quarantined` | the sweeper, for an entry it cannot restore | for a person: not final, never swept again |
//!
//! # One order, one payment
//!
//! Payments are keyed by (scope, [`OrderId`](payments_core::OrderId)) — the
//! merchant's own order id, which every provider's order carries. A repeat
//! of an order (a double click, a load balancer repeating a request, a
//! restarted worker, a job delivered twice) answers the recorded outcome
//! if it is final, waits for the payment in flight in another task or
//! process, settles an open one through reconciliation (never a second
//! commit), and is refused before any request when its terms differ (an
//! [`Error::InvalidInput`](payments_core::Error::InvalidInput) naming the
//! field and the order id). A failed order is paid again only through
//! [`Journaled::pay_again`], as a new attempt; every attempt is kept
//! ([`Journal::order_entries`]). Terms are compared by keyed digests
//! (HMAC-SHA256 under the journal's key), never kept in clear.
//! [`Journaled::outcome`], [`Journal::list`] and
//! [`Journaled::spawn_sweeper`] serve a merchant's service around it.
//!
//! The sweeper, [`Journaled::settle_pending`], settles `committing` and
//! `unknown` payments through the provider's reconciliation
//! ([`payments_core::settle`]) — a status lookup, an idempotent repeat, a
//! postback — and never by committing again. Each open payment is leased to
//! the process settling it: several processes sharing a PostgreSQL journal
//! never settle the same payment at the same time (`FOR UPDATE SKIP
//! LOCKED`), and a payment still in flight in its own process is left to it.
//!
//! What a restore needs is the provider crate's [`DurableGateway`] state:
//! the least its reconciliation needs (Jawali: every `refId` the cash-out
//! may carry; Sipay: the session; Allpay: the GUID; Paykassma: the
//! activation), validated again when read back. It holds what the customer
//! gave at checkout — a Jawali voucher code is a bearer instrument (whoever
//! holds it can redeem it), a mobile or wallet number is personal data — so
//! it is never written in clear.
//!
//! # At rest
//!
//! The saved state is **sealed** with a [`JournalKey`] the merchant supplies
//! (`Journal::sqlite(path, key)`, `Journal::postgres(url, key)`; keep it
//! out of the database, in a secret store or the environment):
//! XChaCha20-Poly1305 with a random nonce per write, its associated data
//! naming the entry's scope, its reference and the format's version. A
//! sealed state changed by hand, or moved to another entry or scope, does
//! not open: that entry is marked [`Stage::Quarantined`] (its reason in
//! `detail`, and in [`SweepReport::quarantined`]) and never restored, and
//! the sweep settles the others. The sealed state is **erased** when the
//! entry becomes final (`completed`, `failed`, `mismatch`) or `abandoned`;
//! [`Entry::sealed`] says whether an entry still holds one.
//!
//! What stays in clear, because the sweeper chooses what to take and an
//! operations page lists entries without the key, and none of it is a
//! bearer instrument: the scope, the merchant reference, the stage, the
//! outcome (the status, the amount and the provider's reference), the
//! detail (error texts, scrubbed of secrets by the SDKs), the attempts, the
//! lease and the times; and Paykassma's postbacks
//! (`PaykassmaPostbacks`: deposit ids, amounts, labels).
//!
//! **The key.** A journal is opened only with the key it was first opened
//! with ([`JournalError::WrongKey`] otherwise), so a wrong key is refused at
//! start rather than quarantining every open entry. A lost key makes open
//! entries unrestorable: the sweep quarantines them, and they are settled
//! by a person (final entries are not affected, they hold no sealed state).
//! Rotating the key is not supported yet. [`Journal::in_memory`] makes a
//! key of its own.
//!
//! **Journals written before sealing** are upgraded when opened with a key:
//! migrations rename the column, and the journal then seals the clear state
//! of every entry that is not final and erases that of every final one,
//! once (a clear state found in an entry after that is not trusted: the
//! sweep quarantines it). SQLite runs with `secure_delete`, so the clear
//! bytes are overwritten in the file; PostgreSQL keeps old row versions
//! until `VACUUM`.
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
//! use payments_journal::{Journal, JournalKey, Journaled};
//!
//! // 64 hexadecimal characters, kept out of the database.
//! let key: JournalKey = std::env::var("PAYMENTS_JOURNAL_KEY")?.parse()?;
//! let payments = std::sync::Arc::new(Journaled::new(client, Journal::sqlite("payments.db", key).await?));
//! // In the background: settles what a crash or a dropped request left open.
//! let sweeper = payments.spawn_sweeper(std::time::Duration::from_secs(30));
//! // `order` carries your order id: submitted again, it is paid once.
//! let outcome = payments.pay(order).await?;
//! sweeper.stop().await;
//! # let _ = outcome; Ok(()) }
//! ```
//!
//! [`DurableGateway`]: payments_core::gateway::DurableGateway
//! [`SweepReport::quarantined`]: crate::SweepReport::quarantined

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("payments-journal needs a store: enable the `sqlite` or the `postgres` feature");

mod journaled;
mod orders;
#[cfg(feature = "paykassma")]
mod postbacks;
mod seal;
mod store;

pub use journaled::{DEFAULT_SWEEP_LEASE, Journaled, SWEEP_BATCH, SweepReport, Sweeper};
pub use orders::EntryFilter;
#[cfg(feature = "paykassma")]
pub use postbacks::PaykassmaPostbacks;
pub use seal::{JournalKey, JournalKeyError};
pub use store::{Entry, Journal, JournalError, Stage};

/// The README's code, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
