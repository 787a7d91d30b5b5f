//! The journal's rules, on SQLite (always) and PostgreSQL (when a server is
//! given): entries survive the process; an order is paid once; an
//! open payment is settled by one process at a time; the sweeper never
//! commits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payments_core::gateway::{
    DurableGateway, OpenPayments, restore_state, save_state, settle_reference,
};
use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{
    Capabilities, Currency, Error, Gateway, MerchantReference, Money, PaymentOutcome,
    PaymentStatus, Reconciliation, Result, async_trait,
};
use payments_journal::{EntryFilter, Journal, JournalKey, Journaled, Stage};

const RULES: ReferenceRules = ReferenceRules {
    field: "ref",
    max_len: 40,
    charset: Charset::AlphanumericDashUnderscore,
};

/// A provider with a ledger: commit books the payment and answers — or,
/// `hang` (for every reference, or every third), books it and never
/// answers; reconcile reads the ledger, and notes two reconciliations of
/// one payment at the same time.
#[derive(Clone, Default)]
struct Fake {
    /// Sweeps are per provider: a name of its own per test and run keeps
    /// tests that share a database apart.
    name: &'static str,
    ledger: Arc<Mutex<Vec<String>>>,
    commits: Arc<AtomicUsize>,
    reconciliations: Arc<AtomicUsize>,
    hang: bool,
    hang_every_third: bool,
    /// Commits are declined (the payment fails).
    decline: bool,
    /// The next commits to decline, whatever `decline` says.
    declines: Arc<AtomicUsize>,
    /// The next prepares to refuse (nothing sent).
    prepare_refusals: Arc<AtomicUsize>,
    /// The reference whose saved state `restore_prepared` refuses (as a
    /// provider crate refuses a state it does not accept).
    refuse: Option<String>,
    reconciling: Arc<Mutex<std::collections::HashSet<String>>>,
    overlaps: Arc<AtomicUsize>,
    /// The payments committed in this process, as a provider client keeps them.
    open: Arc<OpenPayments<MerchantReference>>,
}

#[async_trait]
impl Gateway for Fake {
    type Order = payments_core::testkit::TestOrder;
    type Prepared = MerchantReference;

    fn provider(&self) -> &'static str {
        self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, false, false, false, Reconciliation::StatusLookup)
    }

    async fn prepare(&self, order: payments_core::testkit::TestOrder) -> Result<MerchantReference> {
        let refused = self
            .prepare_refusals
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refused || order.amount == "0 TRY" {
            return Err(Error::invalid("amount", "refused at prepare"));
        }
        MerchantReference::new(order.reference_text(), &RULES)
    }

    fn reference<'a>(&self, prepared: &'a MerchantReference) -> &'a MerchantReference {
        prepared
    }

    fn open_payments(&self) -> Option<&OpenPayments<MerchantReference>> {
        Some(&self.open)
    }

    async fn commit(&self, prepared: &MerchantReference) -> Result<PaymentOutcome> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        let third = {
            let mut ledger = self.ledger.lock().unwrap();
            ledger.push(prepared.to_string());
            ledger.len().is_multiple_of(3)
        };
        if self.hang || (self.hang_every_third && third) {
            std::future::pending::<()>().await;
        }
        let declined_once = self
            .declines
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if self.decline || declined_once {
            return Ok(PaymentOutcome::new(
                prepared.clone(),
                PaymentStatus::Failed {
                    reason: "declined".into(),
                },
            ));
        }
        Ok(completed(prepared))
    }

    async fn reconcile(&self, prepared: &MerchantReference) -> Result<PaymentOutcome> {
        self.reconciliations.fetch_add(1, Ordering::SeqCst);
        if !self
            .reconciling
            .lock()
            .unwrap()
            .insert(prepared.to_string())
        {
            self.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.reconciling.lock().unwrap().remove(prepared.as_str());
        if self.ledger.lock().unwrap().contains(&prepared.to_string()) {
            return Ok(completed(prepared));
        }
        Ok(PaymentOutcome::new(
            prepared.clone(),
            PaymentStatus::Failed {
                reason: "never booked".into(),
            },
        ))
    }
}

impl DurableGateway for Fake {
    fn save_prepared(&self, prepared: &MerchantReference) -> Result<serde_json::Value> {
        save_state(1, prepared)
    }

    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<MerchantReference> {
        let reference: MerchantReference = restore_state(saved, 1, "a saved fake payment")?;
        if self.refuse.as_deref() == Some(reference.as_str()) {
            return Err(Error::invalid("prepared", "not a state this SDK accepts"));
        }
        MerchantReference::new(reference.as_str(), &RULES)
    }
}

fn completed(reference: &MerchantReference) -> PaymentOutcome {
    PaymentOutcome::new(reference.clone(), PaymentStatus::Completed)
        .with_amount(Money::parse("10", Currency::TRY).unwrap())
}

/// Runs `payments.pay(order)` — whose commit hangs — until its entry is
/// `committing` and its commit reached the provider, then drops it, as a
/// client that went away drops it.
async fn drop_while_committing(payments: &Journaled<Fake>, journal: &Journal, order: &str) {
    let scope = payments.scope().to_owned();
    let commits = Arc::clone(&payments.gateway().commits);
    let before = commits.load(Ordering::SeqCst);
    let watch = async {
        for _ in 0..1000 {
            // The entry is written before the commit starts: wait for both,
            // or the payment might be dropped before its commit was sent.
            if commits.load(Ordering::SeqCst) > before
                && let Some(entry) = journal.entry(&scope, order).await.unwrap()
                && entry.stage == Stage::Committing
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{order} never reached its commit");
    };
    tokio::select! {
        _ = payments.pay(o(order)) => panic!("the commit hangs: pay cannot finish"),
        () = watch => {}
    }
}

/// A reference of its own per run, so that runs can share a database.
fn order(name: &str) -> String {
    format!(
        "{name}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Attempt 1 at order `id`.
fn o(id: &str) -> payments_core::testkit::TestOrder {
    payments_core::testkit::TestOrder::new(id).unwrap()
}

/// A provider of its own, for one test run.
fn provider(test: &str) -> &'static str {
    Box::leak(order(test).into_boxed_str())
}

/// The key every journal of these tests is opened with: fixed, so that
/// runs against one PostgreSQL database (sealed with the key of the run
/// that created it) can share it.
fn key() -> JournalKey {
    JournalKey::from_hex(&"42".repeat(32)).unwrap()
}

async fn an_order_is_paid_once_and_a_repeat_answers_its_recorded_outcome(journal: Journal) {
    let fake = Fake {
        name: provider("once"),
        ..Fake::default()
    };
    let payments = Journaled::new(fake.clone(), journal.clone());
    let order = order("once");
    let first = payments.pay(o(&order)).await.unwrap();
    let again = payments.pay(o(&order)).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
    let entry = journal.entry(fake.name, &order).await.unwrap().unwrap();
    assert_eq!(entry.stage, Stage::Completed);
    assert_eq!(entry.outcome.unwrap().status, PaymentStatus::Completed);
}

/// Two processes on one journal. A payment whose future was dropped while
/// its commit hung (booked, never answered) is leased to the process that
/// ran it: the other leaves it alone; the first, which no longer has it in
/// flight, settles it — by reconciliation, never by committing again.
async fn an_open_payment_is_settled_by_one_process_at_a_time(first: Journal, second: Journal) {
    let fake = Fake {
        name: provider("lease"),
        hang: true,
        ..Fake::default()
    };
    let mine = Journaled::new(fake.clone(), first.clone());
    let theirs = Journaled::new(fake.clone(), second.clone());
    let order = order("lease");
    drop_while_committing(&mine, &first, &order).await;

    let report = theirs.settle_pending(10).await.unwrap();
    assert_eq!(
        report.claimed, 0,
        "another process's lease holds: {report:?}"
    );
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 0);

    let report = mine.settle_pending(10).await.unwrap();
    assert_eq!((report.claimed, report.completed), (1, 1), "{report:?}");
    let entry = second.entry(fake.name, &order).await.unwrap().unwrap();
    assert_eq!(entry.stage, Stage::Completed);
    assert_eq!(
        fake.commits.load(Ordering::SeqCst),
        1,
        "never committed again"
    );
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 1);

    let report = theirs.settle_pending(10).await.unwrap();
    assert_eq!(report.claimed, 0, "final: nothing left to settle");
}

/// A fleet: two processes share a journal and pay 500 payments between
/// them, 32 at a time; a third of the commits hang past the payment's
/// deadline (unknown). Then both sweepers go after every open payment at
/// once.
/// Every payment ends settled once — booked once, final once — and no
/// payment is reconciled by both at the same time.
async fn a_fleet_settles_every_payment_once(first: Journal, second: Journal) {
    const PAYMENTS: usize = 500;
    let fake = Fake {
        name: provider("fleet"),
        hang_every_third: true,
        ..Fake::default()
    };
    let fleet: Vec<Arc<Journaled<Fake>>> = [first.clone(), second]
        .into_iter()
        .map(|journal| {
            Arc::new(
                Journaled::new(fake.clone(), journal)
                    .with_deadline(Duration::from_millis(300))
                    .with_sweep_lease(Duration::from_secs(30)),
            )
        })
        .collect();
    let run = order("fleet");
    let slots = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..PAYMENTS {
        let process = Arc::clone(&fleet[n % 2]);
        let reference = format!("{run}-{n}");
        let slot = Arc::clone(&slots).acquire_owned().await.unwrap();
        tasks.spawn(async move {
            let _ = process.pay(o(&reference)).await;
            drop(slot);
        });
    }
    while tasks.join_next().await.is_some() {}
    // Both sweepers at once, until all is final.
    for _ in 0..20 {
        let sweeps: Vec<_> = fleet
            .iter()
            .map(|process| {
                let process = Arc::clone(process);
                tokio::spawn(async move { process.settle_pending(1000).await.unwrap() })
            })
            .collect();
        for sweep in sweeps {
            sweep.await.unwrap();
        }
        let open = first
            .entries(fake.name)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.reference.starts_with(&run) && !e.stage.is_final())
            .count();
        if open == 0 {
            break;
        }
    }
    let entries: Vec<_> = first
        .entries(fake.name)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.reference.starts_with(&run))
        .collect();
    // A payment whose journal could not take its order within the 300 ms
    // deadline was refused before anything was written (nothing sent); the
    // ledger check below holds every booking to an entry.
    assert!(
        entries.len() <= PAYMENTS && entries.len() >= PAYMENTS * 9 / 10,
        "{} of {PAYMENTS} journaled",
        entries.len()
    );
    let ledger = fake.ledger.lock().unwrap().clone();
    for entry in &entries {
        let booked = ledger.iter().filter(|r| **r == entry.reference).count();
        match entry.stage {
            Stage::Completed => assert_eq!(booked, 1, "{entry:?}"),
            // Never committed, or committed after the request that would
            // have sent it was dropped: reconciliation found nothing.
            Stage::Abandoned | Stage::Failed => assert_eq!(booked, 0, "{entry:?}"),
            _ => panic!("not settled: {entry:?}"),
        }
    }
    for reference in &ledger {
        assert!(
            entries.iter().any(|e| &e.reference == reference),
            "{reference} was booked but never journaled"
        );
    }
    assert_eq!(
        fake.commits.load(Ordering::SeqCst),
        ledger.len(),
        "never committed again"
    );
    let hung = ledger.len() / 3;
    assert!(
        hung > 50,
        "only {hung} commits hung: the test is not testing"
    );
    assert!(
        fake.reconciliations.load(Ordering::SeqCst) >= hung,
        "the {hung} hung ones were settled by reconciliation"
    );
    assert_eq!(
        fake.overlaps.load(Ordering::SeqCst),
        0,
        "a payment was reconciled by two processes at once"
    );
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;

    #[tokio::test]
    async fn an_order_is_paid_once() {
        an_order_is_paid_once_and_a_repeat_answers_its_recorded_outcome(
            Journal::in_memory().await.unwrap(),
        )
        .await;
    }

    #[tokio::test]
    async fn an_open_payment_is_settled_by_one_process_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let first = Journal::sqlite(&path, key()).await.unwrap();
        let second = Journal::sqlite(&path, key()).await.unwrap();
        assert_ne!(first.owner(), second.owner());
        super::an_open_payment_is_settled_by_one_process_at_a_time(first, second).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fleet_settles_every_payment_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let first = Journal::sqlite(&path, key()).await.unwrap();
        let second = Journal::sqlite(&path, key()).await.unwrap();
        super::a_fleet_settles_every_payment_once(first, second).await;
    }

    /// Two merchant accounts of one provider share a journal: each sweep
    /// settles its own account's payments, with its own client.
    #[tokio::test]
    async fn a_sweep_settles_only_its_own_scope() {
        let journal = Journal::in_memory().await.unwrap();
        let name = provider("scoped");
        let shop_a = Fake {
            name,
            hang: true,
            ..Fake::default()
        };
        let shop_b = Fake {
            name,
            ..Fake::default()
        };
        let a = Journaled::new(shop_a.clone(), journal.clone()).with_scope("scoped/shop-a");
        let b = Journaled::new(shop_b.clone(), journal.clone()).with_scope("scoped/shop-b");
        let order = order("scoped");
        drop_while_committing(&a, &journal, &order).await;
        let report = b.settle_pending(10).await.unwrap();
        assert_eq!(report.claimed, 0, "not shop b's payment: {report:?}");
        assert_eq!(shop_b.reconciliations.load(Ordering::SeqCst), 0);
        let report = a.settle_pending(10).await.unwrap();
        assert_eq!((report.claimed, report.completed), (1, 1), "{report:?}");
        let entry = journal
            .entry("scoped/shop-a", &order)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.stage, Stage::Completed);
    }

    /// Finding 4: a payment whose saved state the provider crate refuses is
    /// quarantined (its lease released, listed in the report), and the
    /// same sweep settles the other open payment.
    #[tokio::test]
    async fn a_state_the_provider_refuses_is_quarantined_and_the_sweep_goes_on() {
        let journal = Journal::in_memory().await.unwrap();
        let name = provider("refused");
        let payer = Fake {
            name,
            hang: true,
            ..Fake::default()
        };
        let payments = Journaled::new(payer.clone(), journal.clone());
        let (refused, fine) = (order("refused"), order("fine"));
        drop_while_committing(&payments, &journal, &refused).await;
        drop_while_committing(&payments, &journal, &fine).await;
        let sweeper = Journaled::new(
            Fake {
                refuse: Some(refused.clone()),
                ..payer.clone()
            },
            journal.clone(),
        );
        let report = sweeper.settle_pending(10).await.unwrap();
        assert_eq!((report.claimed, report.completed), (2, 1), "{report:?}");
        assert_eq!(report.quarantined.len(), 1, "{report:?}");
        assert_eq!(report.quarantined[0].0, refused);
        assert!(
            report.quarantined[0]
                .1
                .contains("not a state this SDK accepts"),
            "{report:?}"
        );
        let entry = journal.entry(name, &refused).await.unwrap().unwrap();
        assert_eq!(entry.stage, Stage::Quarantined);
        assert!(entry.detail.unwrap().contains("refuses"));
        assert_eq!(
            journal.entry(name, &fine).await.unwrap().unwrap().stage,
            Stage::Completed
        );
        assert_eq!(
            payer.reconciliations.load(Ordering::SeqCst),
            1,
            "the refused one was never reconciled"
        );
        let report = sweeper.settle_pending(10).await.unwrap();
        assert_eq!(report.claimed, 0, "never swept again: {report:?}");
    }

    /// A failed order is paid again only on purpose: `pay` answers the
    /// recorded failure and sends nothing; `pay_again` makes attempt 2,
    /// under a reference of its own; both attempts are kept; and an order
    /// that completed is never paid again, even on purpose.
    #[tokio::test]
    async fn a_failed_order_is_paid_again_only_on_purpose() {
        let journal = Journal::in_memory().await.unwrap();
        let fake = Fake {
            name: provider("again"),
            declines: Arc::new(AtomicUsize::new(1)),
            ..Fake::default()
        };
        let payments = Journaled::new(fake.clone(), journal.clone());
        let order = order("again");
        let declined = payments.pay(o(&order)).await.unwrap();
        assert!(matches!(declined.status, PaymentStatus::Failed { .. }));

        let refused = payments.pay(o(&order)).await.unwrap_err();
        assert!(
            matches!(&refused, Error::InvalidInput { field, .. } if field == "order_id"),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("pay_again"), "{refused}");
        assert!(refused.to_string().contains(&order), "{refused}");
        assert_eq!(
            fake.commits.load(Ordering::SeqCst),
            1,
            "refused before the network"
        );

        let paid = payments.pay_again(o(&order)).await.unwrap();
        assert_eq!(paid.status, PaymentStatus::Completed);
        assert_eq!(paid.reference.as_str(), format!("{order}-2"));
        assert_eq!(fake.commits.load(Ordering::SeqCst), 2);
        let attempts = journal.order_entries(fake.name, &order).await.unwrap();
        let stages: Vec<_> = attempts
            .iter()
            .map(|e| (e.reference.clone(), e.order_attempt, e.stage))
            .collect();
        assert_eq!(
            stages,
            [
                (order.clone(), Some(1), Stage::Failed),
                (format!("{order}-2"), Some(2), Stage::Completed)
            ]
        );
        // Settled in this process by the order's id: its latest attempt,
        // not the declined first one (whose reference is the order id).
        assert_eq!(settle_reference(&fake, &order).await.unwrap(), paid);
        // Completed: paid again on purpose, it answers the recorded outcome.
        assert_eq!(payments.pay_again(o(&order)).await.unwrap(), paid);
        assert_eq!(fake.commits.load(Ordering::SeqCst), 2);
        let latest = payments
            .outcome(&payments_core::OrderId::new(order.as_str()).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.order_attempt, Some(2));
    }

    /// An order whose prepare refused its terms (a mistyped amount, voucher
    /// or customer: nothing sent) is paid on corrected terms; once written
    /// down, its terms are kept.
    #[tokio::test]
    async fn an_order_refused_at_prepare_is_paid_on_corrected_terms() {
        let journal = Journal::in_memory().await.unwrap();
        let fake = Fake {
            name: provider("corrected"),
            ..Fake::default()
        };
        let payments = Journaled::new(fake.clone(), journal);
        let order = order("corrected");
        let mistyped = o(&order).with_amount("0 TRY");
        assert!(payments.pay(mistyped.clone()).await.is_err());
        let paid = payments.pay(o(&order)).await.unwrap();
        assert_eq!(paid.status, PaymentStatus::Completed);
        let refused = payments.pay(mistyped).await.unwrap_err();
        assert!(
            matches!(&refused, Error::InvalidInput { field, .. } if field == "amount"),
            "{refused:?}"
        );
        assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
    }

    /// `pay_again` whose prepare fails begins no attempt: the order still
    /// answers its failure to `pay`, and a later `pay_again` pays it.
    #[tokio::test]
    async fn a_retry_refused_at_prepare_leaves_the_order_failed() {
        let journal = Journal::in_memory().await.unwrap();
        let fake = Fake {
            name: provider("retry-refused"),
            declines: Arc::new(AtomicUsize::new(1)),
            ..Fake::default()
        };
        let payments = Journaled::new(fake.clone(), journal.clone());
        let order = order("retry-refused");
        payments.pay(o(&order)).await.unwrap();
        fake.prepare_refusals.store(1, Ordering::SeqCst);
        assert!(payments.pay_again(o(&order)).await.is_err());
        let refused = payments.pay(o(&order)).await.unwrap_err();
        assert!(refused.to_string().contains("already failed"), "{refused}");
        assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
        let paid = payments.pay_again(o(&order)).await.unwrap();
        assert_eq!(paid.status, PaymentStatus::Completed);
        let attempts = journal.order_entries(fake.name, &order).await.unwrap();
        let numbers: Vec<_> = attempts.iter().map(|e| e.order_attempt).collect();
        assert_eq!(numbers, [Some(1), Some(2)]);
    }

    /// A process's own sweep never shortens the lease of a payment still
    /// committing there: another process, whose sweep comes once that
    /// sweep's short lease would have run out, leaves it alone.
    #[tokio::test]
    async fn a_sweep_never_shortens_the_lease_of_a_commit_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let (a, b) = (
            Journal::sqlite(&path, key()).await.unwrap(),
            Journal::sqlite(&path, key()).await.unwrap(),
        );
        let fake = Fake {
            name: provider("lease"),
            hang: true,
            ..Fake::default()
        };
        let payer = Arc::new(
            Journaled::new(fake.clone(), a)
                .with_deadline(Duration::from_secs(30))
                .with_sweep_lease(Duration::from_millis(50)),
        );
        let other = Journaled::new(fake.clone(), b).with_sweep_lease(Duration::from_millis(50));
        let order = order("lease");
        let paying = tokio::spawn({
            let payer = Arc::clone(&payer);
            let order = order.clone();
            async move { payer.pay(o(&order)).await }
        });
        while fake.commits.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let own = payer.settle_pending(10).await.unwrap();
        assert_eq!(own.claimed, 0, "in flight here: {own:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let report = other.settle_pending(10).await.unwrap();
        assert_eq!(report.claimed, 0, "still leased to the payer: {report:?}");
        assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 0);
        paying.abort();
    }

    /// The listing for an operations page: by stage and by age.
    #[tokio::test]
    async fn entries_are_listed_by_stage_and_age() {
        let journal = Journal::in_memory().await.unwrap();
        let fake = Fake {
            name: provider("listed"),
            declines: Arc::new(AtomicUsize::new(1)),
            ..Fake::default()
        };
        let payments = Journaled::new(fake.clone(), journal.clone());
        let (a, b) = (order("listed-a"), order("listed-b"));
        payments.pay(o(&a)).await.unwrap();
        payments.pay(o(&b)).await.unwrap();
        let all = journal.list(fake.name, &EntryFilter::new()).await.unwrap();
        let references: Vec<_> = all.iter().map(|e| e.reference.as_str()).collect();
        assert_eq!(
            references,
            [a.as_str(), b.as_str()],
            "least recently changed first"
        );
        let failed = journal
            .list(fake.name, &EntryFilter::new().stage(Stage::Failed))
            .await
            .unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].reference, a);
        let both = EntryFilter::new()
            .stage(Stage::Failed)
            .stage(Stage::Completed);
        assert_eq!(journal.list(fake.name, &both).await.unwrap().len(), 2);
        assert_eq!(
            journal
                .list(fake.name, &both.clone().limit(1))
                .await
                .unwrap()
                .len(),
            1
        );
        let old = EntryFilter::new().unchanged_for(Duration::from_secs(3600));
        assert!(journal.list(fake.name, &old).await.unwrap().is_empty());
    }

    /// The background sweeper settles what a dropped payment left open, and
    /// stops when asked.
    #[tokio::test]
    async fn the_spawned_sweeper_settles_open_payments_until_stopped() {
        let journal = Journal::in_memory().await.unwrap();
        let fake = Fake {
            name: provider("sweeper"),
            hang: true,
            ..Fake::default()
        };
        let payments = Arc::new(Journaled::new(fake.clone(), journal.clone()));
        let order = order("sweeper");
        drop_while_committing(&payments, &journal, &order).await;
        let sweeper = payments.spawn_sweeper(Duration::from_millis(20));
        let mut settled = false;
        for _ in 0..200 {
            if journal
                .entry(fake.name, &order)
                .await
                .unwrap()
                .unwrap()
                .stage
                == Stage::Completed
            {
                settled = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(settled, "the sweeper never settled it");
        assert!(sweeper.last_report().is_some());
        sweeper.stop().await;
        assert_eq!(
            fake.commits.load(Ordering::SeqCst),
            1,
            "settled, never committed again"
        );
    }

    /// A declined payment is final: its sealed state is erased.
    #[tokio::test]
    async fn a_declined_payment_has_its_sealed_state_erased() {
        let journal = Journal::in_memory().await.unwrap();
        let fake = Fake {
            name: provider("declined"),
            decline: true,
            ..Fake::default()
        };
        let payments = Journaled::new(fake.clone(), journal.clone());
        let order = order("declined");
        let outcome = payments.pay(o(&order)).await.unwrap();
        assert!(matches!(outcome.status, PaymentStatus::Failed { .. }));
        let entry = journal.entry(fake.name, &order).await.unwrap().unwrap();
        assert_eq!(entry.stage, Stage::Failed);
        assert!(!entry.sealed);
    }

    /// What `pay` wrote is there after the process is gone: the file is
    /// opened again (as after a restart) and the entry read back.
    #[tokio::test]
    async fn entries_survive_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        {
            let journal = Journal::sqlite(&path, key()).await.unwrap();
            let fake = Fake {
                name: "fake",
                ..Fake::default()
            };
            let payments = Journaled::new(fake, journal);
            payments.pay(o("order-9")).await.unwrap();
        }
        let journal = Journal::sqlite(&path, key()).await.unwrap();
        let entries = journal.entries("fake").await.unwrap();
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(entry.reference, "order-9");
        assert_eq!(entry.stage, Stage::Completed);
        assert!(!entry.sealed, "final: its saved state is erased");
        assert_eq!(
            entry.outcome.as_ref().unwrap().amount,
            Some(Money::parse("10", Currency::TRY).unwrap())
        );
        assert_eq!(entry.attempts, 1);
    }
}

/// Set `PAYMENTS_JOURNAL_POSTGRES_URL` (a database the tests may create a
/// table in) to run these; `.ci/run` does, in a throwaway cluster.
#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    #[allow(clippy::print_stderr)]
    fn database() -> Option<String> {
        let url = std::env::var("PAYMENTS_JOURNAL_POSTGRES_URL").ok();
        if url.is_none() {
            eprintln!(
                "skipped: set PAYMENTS_JOURNAL_POSTGRES_URL=postgres://… to run the PostgreSQL journal tests"
            );
        }
        url
    }

    #[tokio::test]
    async fn an_order_is_paid_once() {
        let Some(url) = database() else { return };
        an_order_is_paid_once_and_a_repeat_answers_its_recorded_outcome(
            Journal::postgres(&url, key()).await.unwrap(),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fleet_settles_every_payment_once() {
        let Some(url) = database() else { return };
        let first = Journal::postgres(&url, key()).await.unwrap();
        let second = Journal::postgres(&url, key()).await.unwrap();
        super::a_fleet_settles_every_payment_once(first, second).await;
    }

    #[tokio::test]
    async fn an_open_payment_is_settled_by_one_process_at_a_time() {
        let Some(url) = database() else { return };
        let first = Journal::postgres(&url, key()).await.unwrap();
        let second = Journal::postgres(&url, key()).await.unwrap();
        super::an_open_payment_is_settled_by_one_process_at_a_time(first, second).await;
    }
}
