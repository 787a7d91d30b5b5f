//! One merchant order is one payment, for each provider against its
//! sandbox: concurrent calls for one order — tasks of one process, two
//! journals on one SQLite file (as two processes), two journals on one
//! PostgreSQL server — make one commit in the sandbox's ledger and give
//! every caller the same outcome; a repeat after completion sends nothing;
//! a repeat on other terms is refused before the network; a payer that
//! went away mid-commit is settled by the next call for its order; and, (journal.rs) a failed order is paid again only on purpose. And, without a journal,
//! Allpay and Paykassma pay one order once however often it is paid.

#![cfg(feature = "sqlite")]

use std::sync::Arc;
use std::time::Duration;

use payments_core::{Error, Gateway, MerchantOrder, PaymentStatus};
use payments_journal::{Journal, JournalKey, Journaled, Stage};

mod support;

use support::ledgers::{Allpay, Jawali, Ledger, Paykassma, Sipay};

/// How many calls submit one order at once.
const SUBMITS: usize = 5;

fn key() -> JournalKey {
    JournalKey::from_hex(&"17".repeat(32)).unwrap()
}

/// `SUBMITS` calls for one order at once, spread over `journals` (each as
/// a process of its own): one booking, one outcome for all.
async fn concurrent_calls_make_one_payment<L: Ledger>(ledger: &L, journals: &[Journal]) {
    let provider = ledger.gateway().provider();
    let order = ledger.order().await;
    let payers: Vec<Arc<Journaled<L::Gateway>>> = journals
        .iter()
        .map(|journal| Arc::new(Journaled::new(ledger.gateway(), journal.clone())))
        .collect();
    let bookings = ledger.bookings();
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..SUBMITS {
        let payer = Arc::clone(&payers[n % payers.len()]);
        let order = order.clone();
        calls.spawn(async move { payer.pay(order).await });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = calls.join_next().await {
        outcomes.push(done.unwrap().unwrap_or_else(|e| panic!("{provider}: {e}")));
    }
    assert_eq!(
        ledger.bookings(),
        bookings + 1,
        "{provider}: one order, one booking"
    );
    for outcome in &outcomes {
        assert_eq!(outcome.status, PaymentStatus::Completed, "{provider}");
        assert_eq!(outcome, &outcomes[0], "{provider}: one outcome for all");
    }
    assert_eq!(
        ledger.booked(outcomes[0].reference.as_str()),
        1,
        "{provider}"
    );
    let entries = journals[0]
        .order_entries(provider, order.order_id().as_str())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{provider}: {entries:?}");
    assert_eq!(entries[0].stage, Stage::Completed);
    assert_eq!(entries[0].order_attempt, Some(1));

    // Later, a repeat answers the recorded outcome and sends nothing.
    let requests = ledger.requests();
    let again = payers[0].pay(order.clone()).await.unwrap();
    assert_eq!(again, outcomes[0], "{provider}");
    assert_eq!(
        ledger.requests(),
        requests,
        "{provider}: a repeat sends nothing"
    );
    let latest = payers[0].outcome(order.order_id()).await.unwrap().unwrap();
    assert_eq!(latest.outcome.as_ref(), Some(&outcomes[0]));

    // On other terms, it is refused before the network, naming the order
    // id and the field.
    let (other, field) = ledger.other_terms(&order).await;
    let requests = ledger.requests();
    let error = payers[0].pay(other).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field: named, .. } if named == field),
        "{provider}: {error:?}"
    );
    assert!(
        error.to_string().contains(order.order_id().as_str()),
        "{provider}: {error}"
    );
    assert_eq!(
        ledger.requests(),
        requests,
        "{provider}: refused before the network"
    );
    assert_eq!(ledger.bookings(), bookings + 1);
}

/// A payer dropped once its commit may have left (its process went away,
/// its lease still running): the next call for the order, from another
/// process, waits for the lease and settles it by reconciliation — one
/// booking, never a second commit.
async fn a_payer_gone_mid_commit_is_settled_by_the_next_call<L: Ledger>(
    ledger: &L,
    first: Journal,
    second: Journal,
) {
    let provider = ledger.gateway().provider();
    let order = ledger.order().await;
    let bookings = ledger.bookings();
    ledger.delay_commit(Duration::from_millis(300));
    let gone = Journaled::new(ledger.gateway(), first.clone())
        .with_deadline(Duration::from_secs(2))
        .with_sweep_lease(Duration::from_millis(1));
    // Dropped as soon as its entry is `committing`.
    {
        let pay = gone.pay(order.clone());
        tokio::pin!(pay);
        let mut committing = false;
        for _ in 0..2000 {
            tokio::select! {
                result = &mut pay => panic!("{provider}: paid before it could be dropped: {result:?}"),
                () = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
            let entries = first
                .order_entries(provider, order.order_id().as_str())
                .await
                .unwrap();
            if entries
                .first()
                .is_some_and(|e| e.stage == Stage::Committing)
            {
                committing = true;
                break;
            }
        }
        assert!(
            committing,
            "{provider}: the payment never reached its commit"
        );
    }
    drop(gone);
    let next = Journaled::new(ledger.gateway(), second).with_deadline(Duration::from_secs(20));
    let outcome = next.pay(order.clone()).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed, "{provider}");
    // The sandbox may book the dropped commit a moment after it arrived.
    for _ in 0..200 {
        if ledger.bookings() > bookings {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(ledger.bookings(), bookings + 1, "{provider}: booked once");
    let entries = first
        .order_entries(provider, order.order_id().as_str())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{provider}: one attempt: {entries:?}");
    assert_eq!(entries[0].stage, Stage::Completed);
}

async fn every_rule<L: Ledger>(ledger: L) {
    // Tasks of one process.
    let journal = Journal::in_memory().await.unwrap();
    concurrent_calls_make_one_payment(&ledger, std::slice::from_ref(&journal)).await;
    // Two processes on one SQLite file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let (a, b) = (
        Journal::sqlite(&path, key()).await.unwrap(),
        Journal::sqlite(&path, key()).await.unwrap(),
    );
    assert_ne!(a.owner(), b.owner());
    concurrent_calls_make_one_payment(&ledger, &[a.clone(), b.clone()]).await;
    a_payer_gone_mid_commit_is_settled_by_the_next_call(&ledger, a, b).await;
}

#[tokio::test]
async fn jawali_pays_one_order_once() {
    every_rule(Jawali::start().await).await;
}

#[tokio::test]
async fn sipay_pays_one_order_once() {
    every_rule(Sipay::start().await).await;
}

#[tokio::test]
async fn allpay_pays_one_order_once() {
    every_rule(Allpay::start().await).await;
}

#[tokio::test]
async fn paykassma_pays_one_order_once() {
    every_rule(Paykassma::start().await).await;
}

/// Allpay's GUID and Paykassma's `custom_transaction_id` derive from the
/// order id: paid twice without a journal, one order is one payment.
async fn unjournaled_repeats_make_one_payment<L: Ledger>(ledger: L) {
    let provider = ledger.gateway().provider();
    let gateway = ledger.gateway();
    let order = ledger.order().await;
    let first = payments_core::pay(&gateway, order.clone()).await.unwrap();
    let second = payments_core::pay(&gateway, order.clone()).await.unwrap();
    assert_eq!(first.status, PaymentStatus::Completed, "{provider}");
    assert_eq!(second.status, PaymentStatus::Completed, "{provider}");
    assert_eq!(second.reference, first.reference, "{provider}");
    assert_eq!(ledger.bookings(), 1, "{provider}: one booking");
    assert_eq!(ledger.booked(first.reference.as_str()), 1, "{provider}");
}

#[tokio::test]
async fn allpay_pays_one_order_once_without_a_journal() {
    unjournaled_repeats_make_one_payment(Allpay::start().await).await;
}

#[tokio::test]
async fn paykassma_pays_one_order_once_without_a_journal() {
    unjournaled_repeats_make_one_payment(Paykassma::start().await).await;
}

/// What the journal keeps to compare orders is keyed digests: no voucher
/// code, no wallet number, in any column.
#[tokio::test]
async fn orders_are_compared_without_keeping_their_terms() {
    let ledger = Jawali::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let journal = Journal::sqlite(&path, key()).await.unwrap();
    let payments = Journaled::new(ledger.gateway(), journal);
    let order = ledger.order().await;
    payments.pay(order.clone()).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT terms FROM payments_orders")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let terms = &rows[0].0;
    for field in ["voucher", "customer_mobile", "amount"] {
        assert!(terms.contains(field), "{terms}");
    }
    assert!(!terms.contains(order.voucher.as_str()), "{terms}");
    assert!(!terms.contains(order.customer_mobile.as_str()), "{terms}");
    assert!(!terms.contains("1500"), "{terms}");
}

/// Set `PAYMENTS_JOURNAL_POSTGRES_URL` to run these; `.ci/run` does.
#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    #[allow(clippy::print_stderr)]
    async fn journals() -> Option<(Journal, Journal)> {
        let Ok(url) = std::env::var("PAYMENTS_JOURNAL_POSTGRES_URL") else {
            eprintln!("skipped: set PAYMENTS_JOURNAL_POSTGRES_URL to run the PostgreSQL tests");
            return None;
        };
        let key = JournalKey::from_hex(&"42".repeat(32)).unwrap();
        Some((
            Journal::postgres(&url, key.clone()).await.unwrap(),
            Journal::postgres(&url, key).await.unwrap(),
        ))
    }

    async fn on_postgres<L: Ledger>(ledger: L) {
        let Some((a, b)) = journals().await else {
            return;
        };
        concurrent_calls_make_one_payment(&ledger, &[a.clone(), b.clone()]).await;
        a_payer_gone_mid_commit_is_settled_by_the_next_call(&ledger, a, b).await;
    }

    #[tokio::test]
    async fn jawali_pays_one_order_once_on_postgres() {
        on_postgres(Jawali::start().await).await;
    }

    #[tokio::test]
    async fn sipay_pays_one_order_once_on_postgres() {
        on_postgres(Sipay::start().await).await;
    }

    #[tokio::test]
    async fn allpay_pays_one_order_once_on_postgres() {
        on_postgres(Allpay::start().await).await;
    }

    #[tokio::test]
    async fn paykassma_pays_one_order_once_on_postgres() {
        on_postgres(Paykassma::start().await).await;
    }
}
