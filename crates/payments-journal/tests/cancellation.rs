//! A journaled payment dropped at every await point in turn — a client that
//! went away, axum dropping the handler's future — is settled by the
//! sweeper: every payment whose commit may have left ends final, and the
//! provider's ledger (the sandbox) agrees with the journal: nothing paid
//! twice, nothing paid that the journal does not call completed.

#![cfg(feature = "sqlite")]

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use payments_core::Gateway;
use payments_journal::{Journal, Journaled, Stage};

mod support;

use support::ledgers::{Allpay, Jawali, Ledger, Paykassma, Sipay};

/// Polls `future` until it has been pending `polls` times, then drops it;
/// its output when it finished first.
async fn poll_then_drop<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut pending = 0;
    std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(Some(output)),
        Poll::Pending => {
            pending += 1;
            if pending >= polls {
                Poll::Ready(None)
            } else {
                Poll::Pending
            }
        }
    })
    .await
}

/// How many times `future` yields before it finishes (it must succeed).
async fn count_yields<T, E: std::fmt::Debug>(future: impl Future<Output = Result<T, E>>) -> usize {
    let mut future = pin!(future);
    let mut pending = 0;
    let result = std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(output),
        Poll::Pending => {
            pending += 1;
            Poll::Pending
        }
    })
    .await;
    if let Err(error) = result {
        panic!("an undisturbed payment failed: {error:?}");
    }
    pending
}

async fn drop_at_every_await_point<L: Ledger>(ledger: L) {
    let journal = Journal::in_memory().await.unwrap();
    let payments = Journaled::new(ledger.gateway(), journal.clone());
    let provider = ledger.gateway().provider();
    // Drop one payment after 1, 2, … polls, past the number of times an
    // undisturbed payment yields, in rounds: where each poll lands varies
    // from run to run (a database write answered by SQLite's worker thread
    // before the next poll does not yield), so rounds go on until payments
    // were dropped in every stage: before anything was written, prepared,
    // and committing.
    let yields = count_yields(payments.pay(ledger.order().await)).await;
    let mut dropped = std::collections::HashMap::<&str, usize>::new();
    for _round in 0..25 {
        for polls in 1..=yields + 2 {
            let before = journal.entries(provider).await.unwrap().len();
            let order = ledger.order().await;
            if let Some(result) = poll_then_drop(payments.pay(order), polls).await {
                assert!(
                    result.is_ok(),
                    "{provider}: an undisturbed payment failed: {result:?}"
                );
                continue;
            }
            let entries = journal.entries(provider).await.unwrap();
            let stage = if entries.len() == before {
                "unwritten"
            } else {
                entries.last().map_or("unwritten", |e| e.stage.as_str())
            };
            *dropped.entry(stage).or_default() += 1;
        }
        if ["unwritten", "prepared", "committing"]
            .iter()
            .all(|stage| dropped.contains_key(stage))
        {
            break;
        }
    }
    assert!(
        dropped.contains_key("committing"),
        "{provider}: no payment dropped while committing ({dropped:?}): the test is not testing"
    );

    // The sweeper, as a scheduler would run it, until nothing is open.
    for _ in 0..10 {
        payments.settle_pending(1000).await.unwrap();
        let entries = journal.entries(provider).await.unwrap();
        if entries.iter().all(|e| e.stage.is_final()) {
            break;
        }
    }
    let entries = journal.entries(provider).await.unwrap();
    let completed: Vec<_> = entries
        .iter()
        .filter(|e| e.stage == Stage::Completed)
        .collect();
    for entry in &entries {
        assert!(
            entry.stage.is_final(),
            "{provider}: {} left {} ({:?})",
            entry.reference,
            entry.stage,
            entry.detail
        );
        assert!(
            matches!(
                entry.stage,
                Stage::Completed | Stage::Failed | Stage::Abandoned
            ),
            "{provider}: {} is {} ({:?})",
            entry.reference,
            entry.stage,
            entry.detail
        );
    }
    for entry in &completed {
        let landed = entry
            .outcome
            .as_ref()
            .map_or(entry.reference.as_str(), |o| o.reference.as_str());
        assert_eq!(
            ledger.booked(landed),
            1,
            "{provider}: {} completed in the journal, booked otherwise",
            entry.reference
        );
    }
    assert_eq!(
        ledger.bookings(),
        completed.len(),
        "{provider}: the ledger booked {} payments, the journal completed {} (drops {dropped:?}, {} entries)",
        ledger.bookings(),
        completed.len(),
        entries.len()
    );
}

#[tokio::test]
async fn jawali_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Jawali::start().await).await;
}

#[tokio::test]
async fn sipay_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Sipay::start().await).await;
}

#[tokio::test]
async fn allpay_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Allpay::start().await).await;
}

#[tokio::test]
async fn paykassma_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Paykassma::start().await).await;
}
