//! [`Journaled`]: `pay` with the journal, and the sweeper that settles what
//! a crash, a deploy or a dropped request left open.

use std::sync::Arc;
use std::time::Duration;

use payments_core::gateway::{
    DEFAULT_PAY_DEADLINE, DurableGateway, commit_operation, commit_order_and_settle_within,
    deadline_before_commit, prepare_within, settle_within,
};
use payments_core::{Error, MerchantOrder, Operation, PaymentOutcome, PaymentStatus, Result};

use crate::orders::Taken;
use crate::store::{Entry, Journal, JournalError, Stage};

/// How long a sweeper holds the payments it settles before another process
/// may take them over (it should have finished long before).
pub const DEFAULT_SWEEP_LEASE: Duration = Duration::from_secs(300);

/// A [`DurableGateway`] whose payments are journaled: [`Journaled::pay`]
/// writes each payment down before its commit may leave, and
/// [`Journaled::settle_pending`] settles, through the provider's
/// reconciliation, every payment a crash or a cancellation left open.
///
/// ```no_run
/// # async fn run(client: jawali::JawaliClient, order: jawali::VoucherPayment) -> Result<(), Box<dyn std::error::Error>> {
/// let key: payments_journal::JournalKey = std::env::var("PAYMENTS_JOURNAL_KEY")?.parse()?;
/// let journal = payments_journal::Journal::sqlite("payments.db", key).await?;
/// let payments = payments_journal::Journaled::new(client, journal);
/// let outcome = payments.pay(order).await?; // as payments_core::pay, but crash-safe
/// # let _ = outcome; Ok(()) }
/// ```
#[derive(Debug)]
pub struct Journaled<G> {
    gateway: G,
    journal: Journal,
    scope: String,
    deadline: Duration,
    sweep_lease: Duration,
}

/// What one [`Journaled::settle_pending`] run did. Each payment taken is
/// counted once: `claimed` is `completed + failed + mismatched + still_open
/// + quarantined.len()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepReport {
    /// Open payments taken to settle.
    pub claimed: usize,
    /// Settled as completed.
    pub completed: usize,
    /// Settled as not having happened.
    pub failed: usize,
    /// Booked on other terms than asked: for a person to look at.
    pub mismatched: usize,
    /// Still unknown: the next run tries again.
    pub still_open: usize,
    /// Prepared payments whose commit was never started, closed as abandoned.
    pub abandoned: u64,
    /// Payments taken that could not be restored, now
    /// [`Stage::Quarantined`] for a person: each one's merchant reference
    /// and why (its sealed state does not open or parse, the provider crate
    /// refuses it, …). The sweep went on with the others.
    pub quarantined: Vec<(String, String)>,
}

impl<G: DurableGateway> Journaled<G> {
    /// `gateway`'s payments, journaled in `journal`, each bounded by
    /// [`DEFAULT_PAY_DEADLINE`].
    pub fn new(gateway: G, journal: Journal) -> Self {
        Journaled {
            scope: gateway.provider().to_owned(),
            gateway,
            journal,
            deadline: DEFAULT_PAY_DEADLINE,
            sweep_lease: DEFAULT_SWEEP_LEASE,
        }
    }

    /// Bounds each payment, from prepare to its final outcome, by `deadline`
    /// (as [`payments_core::pay_within`]).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long a sweep holds the payments it settles
    /// ([`DEFAULT_SWEEP_LEASE`]); longer than settling one takes.
    #[must_use]
    pub fn with_sweep_lease(mut self, lease: Duration) -> Self {
        self.sweep_lease = lease;
        self
    }

    /// Journals this gateway's payments under `scope` (by default the
    /// provider's name, `"jawali"`): a sweep settles only its own scope's
    /// payments, with this gateway. Two gateways of one provider for two
    /// merchant accounts sharing a journal **must** have scopes of their
    /// own (`"jawali/shop-42"`): restored with the wrong account's client,
    /// a payment would be looked up — or resent — on the wrong account.
    /// (A saved state is sealed for its scope: moved to another scope's
    /// entry, it does not open.) For Paykassma, give the account's postback
    /// store the same scope:
    #[cfg_attr(
        feature = "paykassma",
        doc = "[`PaykassmaPostbacks::with_scope`](crate::PaykassmaPostbacks::with_scope)."
    )]
    #[cfg_attr(not(feature = "paykassma"), doc = "`PaykassmaPostbacks::with_scope`.")]
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The scope its entries are written under ([`Entry::provider`](crate::Entry::provider)).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The provider.
    pub fn gateway(&self) -> &G {
        &self.gateway
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Pays `order` once, however often it is submitted: payments are
    /// keyed by (scope, [`OrderId`](payments_core::OrderId)).
    ///
    /// - **A new order** runs as [`payments_core::pay_within`] does,
    ///   journaled: the prepared payment is written (stage `prepared`) and
    ///   then marked `committing` before the commit may leave; the outcome
    ///   is recorded after. Dropped at any point — a client that went away,
    ///   a crash — the payment is left for a repeat of the order or for
    ///   [`settle_pending`](Self::settle_pending).
    /// - **An order whose payment is final** answers the recorded outcome,
    ///   contacting nobody: `Ok` for a completed one; for a failed one, an
    ///   [`Error::InvalidInput`] on `order_id` saying how it failed (pay it
    ///   again with [`pay_again`](Self::pay_again)); for one booked on other
    ///   terms, an [`Error::IntegrityMismatch`].
    /// - **An order in flight elsewhere** (another task, another process)
    ///   is waited for, within this call's deadline, and its outcome
    ///   answered. An open one — its outcome unknown, or its process gone
    ///   (its lease ran out) — is settled here through the provider's
    ///   reconciliation: **never a second commit**. Past the deadline, the
    ///   answer is [`Error::OutcomeUnknown`]: ask again later, or read
    ///   [`outcome`](Self::outcome).
    /// - **An order submitted again on other terms** (another amount,
    ///   customer, voucher, …) is refused before any request: an
    ///   [`Error::InvalidInput`] naming the field that differs and the
    ///   order id.
    ///
    /// Terms are compared by keyed digests (HMAC-SHA256 under the journal's
    /// key): no voucher code or wallet number is kept in clear to do it.
    ///
    /// # Errors
    ///
    /// As [`payments_core::pay_within`], and the refusals above. When the
    /// journal cannot write the payment down, nothing is sent:
    /// [`Error::NotSent`] naming the journal. A journal that fails *after*
    /// the commit does not change the answer (the payment's outcome is
    /// about the payment); the entry stays open and a sweep settles it.
    pub async fn pay(&self, order: G::Order) -> Result<PaymentOutcome> {
        self.pay_order(order, false).await
    }

    /// As [`pay`](Self::pay), except that an order whose latest attempt
    /// **failed** — the provider proved it did not happen (a decline), or
    /// its commit was never sent — is paid again, as a new attempt (its
    /// own entry; Allpay's GUID and Paykassma's `custom_transaction_id`
    /// derive from the attempt too, so the provider sees a new payment).
    /// Every attempt is kept ([`Journal::order_entries`]). An order that
    /// completed, or whose outcome is not known yet, is never paid again:
    /// it answers as [`pay`](Self::pay) does.
    ///
    /// # Errors
    ///
    /// As [`pay`](Self::pay).
    pub async fn pay_again(&self, order: G::Order) -> Result<PaymentOutcome> {
        self.pay_order(order, true).await
    }

    /// The latest attempt at `order_id`: its stage, outcome, references and
    /// times (`None` when the order was never journaled, or its first
    /// attempt is still being prepared: nothing was sent for it yet).
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`].
    pub async fn outcome(
        &self,
        order_id: &payments_core::OrderId,
    ) -> Result<Option<Entry>, JournalError> {
        Ok(self
            .journal
            .order_entries(&self.scope, order_id.as_str())
            .await?
            .pop())
    }

    async fn pay_order(&self, mut order: G::Order, again: bool) -> Result<PaymentOutcome> {
        let gateway = &self.gateway;
        let operation = commit_operation(gateway);
        let started = tokio::time::Instant::now();
        let scope = self.scope.as_str();
        let order_id = order.order_id().clone();
        let terms = self
            .journal
            .term_digests(scope, order_id.as_str(), &order.terms());
        // Preparing is bounded by the deadline: a process that holds an
        // order longer went away.
        let prepare_lease = self.deadline.saturating_add(PREPARE_MARGIN);
        let journal_error = |e: JournalError| not_journaled(operation, &e);
        let mut wait = FIRST_WAIT;
        // What a caller that ran out of time waiting is told.
        let mut waited_on: Option<String> = None;
        loop {
            let left = self.deadline.saturating_sub(started.elapsed());
            // A journal slower than the deadline: nothing was sent by this
            // call (a repeat finds the order as it was left).
            let taken = tokio::time::timeout(
                left.max(FIRST_WAIT),
                self.journal
                    .take_order(scope, order_id.as_str(), &terms, prepare_lease),
            )
            .await
            .map_err(|_| deadline_before_commit(operation, self.deadline))?
            .map_err(journal_error)?;
            match taken {
                Taken::Prepare { attempt, guard } => {
                    // Too little of the deadline left to start a payment
                    // (a caller that waited for another): none is started.
                    if left < self.deadline / 4 {
                        self.release(scope, &order_id).await;
                        return Err(deadline_before_commit(operation, self.deadline));
                    }
                    order.set_attempt(attempt);
                    let paid = self.first_pay(order.clone(), attempt, left).await;
                    drop(guard);
                    match paid {
                        FirstPay::Done(result) => return result,
                        // Another process wrote this attempt down first.
                        FirstPay::Lost => {}
                    }
                }
                Taken::Differs { field } => {
                    return Err(Error::invalid(
                        field.clone(),
                        format_args!(
                            "order `{order_id}` was first submitted with another {field}; \
                             an order id is paid once, on its first terms"
                        ),
                    ));
                }
                Taken::Preparing => {}
                Taken::Entry { attempt, entry } => {
                    waited_on = Some(entry.reference.clone());
                    match entry.stage {
                        Stage::Completed => return recorded_outcome(*entry, operation),
                        Stage::Mismatch => {
                            return Err(Error::mismatch(
                                operation,
                                "payment",
                                format_args!("order `{order_id}` as ordered"),
                                entry.detail.as_deref().unwrap_or("another booking"),
                            ));
                        }
                        Stage::Failed if !again => {
                            return Err(Error::invalid(
                                "order_id",
                                format_args!(
                                    "order `{order_id}` already failed (attempt {attempt}, reference {}: {}); \
                                     pay it again only on purpose, with `pay_again`",
                                    entry.reference,
                                    entry.detail.as_deref().unwrap_or("no detail"),
                                ),
                            ));
                        }
                        // Failed and paid again on purpose; or abandoned:
                        // the commit never started, nothing was sent.
                        Stage::Failed | Stage::Abandoned => {
                            if let Some(guard) = self
                                .journal
                                .next_attempt(scope, order_id.as_str(), attempt, prepare_lease)
                                .await
                                .map_err(journal_error)?
                            {
                                let attempt = attempt.saturating_add(1);
                                order.set_attempt(attempt);
                                let paid = self.first_pay(order.clone(), attempt, left).await;
                                drop(guard);
                                if let FirstPay::Done(result) = paid {
                                    return result;
                                }
                            }
                        }
                        Stage::Prepared => {
                            // Its commit never started: once its payer's
                            // lease runs out, it is abandoned (and paid anew).
                            self.journal
                                .abandon_stale(scope)
                                .await
                                .map_err(journal_error)?;
                        }
                        Stage::Committing | Stage::Unknown => {
                            if let Some(result) = self
                                .settle_order_entry(&entry.reference, left)
                                .await
                                .map_err(journal_error)?
                            {
                                return result;
                            }
                        }
                        Stage::Quarantined => {
                            return Err(Error::OutcomeUnknown {
                                operation,
                                reference: Some(entry.reference.clone()),
                                reason: format!(
                                    "order `{order_id}`'s payment is quarantined for a person ({}); \
                                     it is not paid again",
                                    entry.detail.as_deref().unwrap_or("no detail")
                                ),
                                source: None,
                                diagnostics: None,
                            });
                        }
                    }
                }
            }
            let left = self.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(Error::OutcomeUnknown {
                    operation,
                    reference: waited_on,
                    reason: format!(
                        "order `{order_id}` is being paid elsewhere and its outcome was not known \
                         within the deadline of {:?}; ask again later",
                        self.deadline
                    ),
                    source: None,
                    diagnostics: None,
                });
            }
            tokio::time::sleep(wait.min(left)).await;
            wait = wait.saturating_mul(2).min(LAST_WAIT);
        }
    }

    /// Settles the open entry `reference` of an order here, if nobody else
    /// is: `None` when another task or process holds it.
    async fn settle_order_entry(
        &self,
        reference: &str,
        left: Duration,
    ) -> Result<Option<Result<PaymentOutcome>>, JournalError> {
        let scope = self.scope.as_str();
        let lease = left.saturating_add(self.sweep_lease);
        let Some((claimed, _in_flight)) = self.journal.claim_entry(scope, reference, lease).await?
        else {
            return Ok(None);
        };
        let prepared = match self.restored(claimed.saved) {
            Ok(prepared) => prepared,
            Err(reason) => {
                self.quarantine(scope, reference, &reason).await?;
                return Ok(Some(Err(Error::OutcomeUnknown {
                    operation: commit_operation(&self.gateway),
                    reference: Some(reference.to_owned()),
                    reason: format!(
                        "the journaled payment cannot be restored, quarantined for a person: {reason}"
                    ),
                    source: None,
                    diagnostics: None,
                })));
            }
        };
        let reference = self.gateway.reference(&prepared).clone();
        let result = settle_within(&self.gateway, &prepared, left).await;
        self.record(scope, reference.as_str(), &result).await;
        Ok(Some(result))
    }

    /// Releases this process's hold on preparing `order_id` (nothing was
    /// sent): a repeat may prepare it at once.
    async fn release(&self, scope: &str, order_id: &payments_core::OrderId) {
        if let Err(e) = self.journal.release_order(scope, order_id.as_str()).await {
            tracing::warn!(scope, order_id = %order_id, error = %e, "the journal could not release the order");
        }
    }

    /// The first payment of attempt `attempt` at an order, this task
    /// holding it: prepare, write down, commit, record.
    async fn first_pay(&self, order: G::Order, attempt: u32, left: Duration) -> FirstPay {
        let scope = self.scope.as_str();
        let order_id = order.order_id().clone();
        let (prepared, left) = match prepare_within(&self.gateway, order, left).await {
            Ok(prepared) => prepared,
            Err(error) => {
                self.release(scope, &order_id).await;
                return FirstPay::Done(Err(error));
            }
        };
        self.journaled_commit(&prepared, (&order_id, attempt), left)
            .await
    }

    /// Writes `prepared` down (stage `prepared`), marks it `committing`
    /// before the commit may leave, commits and records the outcome.
    async fn journaled_commit(
        &self,
        prepared: &G::Prepared,
        order: (&payments_core::OrderId, u32),
        left: Duration,
    ) -> FirstPay {
        let gateway = &self.gateway;
        let operation = commit_operation(gateway);
        let reference = gateway.reference(prepared).clone();
        let scope = self.scope.as_str();
        // Another task here settles this very payment (another process
        // wrote this attempt down, and this one's sweep took it): that one's.
        let Some(_in_flight) = self.journal.in_flight(scope, reference.as_str()) else {
            return FirstPay::Lost;
        };
        let saved = match gateway.save_prepared(prepared) {
            Ok(saved) => saved,
            Err(error) => return FirstPay::Done(Err(error)),
        };
        // Held until the payment's deadline, and a sweep's lease more: no
        // sweeper elsewhere takes it while this process may still settle it.
        let lease = self.deadline.saturating_add(self.sweep_lease);
        match self
            .journal
            .insert_prepared(
                scope,
                &reference,
                (order.0.as_str(), order.1),
                &saved,
                lease,
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => return FirstPay::Lost,
            Err(error) => return FirstPay::Done(Err(not_journaled(operation, &error))),
        }
        match self.journal.mark_committing(scope, &reference, lease).await {
            Ok(true) => {}
            Ok(false) => {
                return FirstPay::Done(Err(not_journaled(
                    operation,
                    &"the entry was closed as abandoned before its commit started",
                )));
            }
            // The mark may have been written though its answer was lost: a
            // `committing` entry is settled by reconciliation — for some
            // providers, the same request — so "not sent" holds only once
            // the entry is closed as abandoned.
            Err(error) => {
                return FirstPay::Done(Err(
                    match self.journal.abandon_own(scope, reference.as_str()).await {
                        Ok(_) => not_journaled(operation, &error),
                        Err(again) => Error::OutcomeUnknown {
                            operation,
                            reference: Some(reference.to_string()),
                            reason: format!(
                                "the journal failed while marking the payment committing ({error}) and \
                                 could not close it ({again}): nothing was sent, but a sweep may settle \
                                 it by its reconciliation; look it up later by this reference"
                            ),
                            source: None,
                            diagnostics: None,
                        },
                    },
                ));
            }
        }
        let result = commit_order_and_settle_within(gateway, prepared, order.0, left).await;
        self.record(scope, reference.as_str(), &result).await;
        FirstPay::Done(result)
    }

    /// Settles up to `limit` open payments of this provider — stage
    /// `committing` (a crash, a dropped future) or `unknown` — through the
    /// provider's reconciliation ([`payments_core::settle`]), **never by
    /// committing again**, and closes as abandoned the prepared payments
    /// whose commit never started. Payments another process is settling
    /// (its lease has not run out) are left to it. Run it on a schedule.
    ///
    /// A payment a process left open by dying stays leased to it for the
    /// payment's deadline plus the sweep lease (six minutes by default)
    /// before another process's sweep takes it; a process that restarts
    /// under the same [`Journal::with_owner`] name takes its own at once.
    /// A payment whose future was dropped in a live process is taken by
    /// that process's next sweep.
    ///
    /// A payment that cannot be restored — its sealed state does not open
    /// (changed by hand, moved from another entry) or parse, or the provider
    /// crate refuses it — is never settled from what it holds: it is marked
    /// [`Stage::Quarantined`] for a person, listed in
    /// [`SweepReport::quarantined`], and the sweep goes on with the others.
    ///
    /// # Errors
    ///
    /// [`JournalError`] when the journal cannot be read or written; a
    /// payment that cannot be settled yet is counted in
    /// [`SweepReport::still_open`], one that cannot be restored in
    /// [`SweepReport::quarantined`], neither an error.
    pub async fn settle_pending(&self, limit: usize) -> Result<SweepReport, JournalError> {
        let scope = self.scope.as_str();
        let mut report = SweepReport {
            abandoned: self.journal.abandon_stale(scope).await?,
            ..SweepReport::default()
        };
        let claimed = self
            .journal
            .claim_open(scope, limit, self.sweep_lease)
            .await?;
        report.claimed = claimed.len();
        for (claimed, _in_flight) in claimed {
            let reference = claimed.reference;
            let stage = match self.restored(claimed.saved) {
                Ok(prepared) => {
                    // Taken for the whole batch, settled one by one: its
                    // lease is renewed now, and the settling bounded by it,
                    // so that no other process takes it while it is settled
                    // here.
                    if !self
                        .journal
                        .renew_lease(scope, &reference, self.sweep_lease)
                        .await?
                    {
                        report.claimed -= 1;
                        continue;
                    }
                    let bound = self.sweep_lease.saturating_sub(self.sweep_lease / 5);
                    let result = settle_within(&self.gateway, &prepared, bound).await;
                    self.record(scope, &reference, &result).await
                }
                Err(reason) => {
                    match self.quarantine(scope, &reference, &reason).await {
                        Ok(true) => {
                            report.quarantined.push((reference, reason));
                            continue;
                        }
                        // Taken over by another process meanwhile.
                        Ok(false) => {}
                        Err(error) => {
                            tracing::error!(scope, reference, %error, "the journal could not quarantine it; a sweep tries again");
                        }
                    }
                    Stage::Unknown
                }
            };
            match stage {
                Stage::Completed => report.completed += 1,
                Stage::Failed => report.failed += 1,
                Stage::Mismatch => report.mismatched += 1,
                _ => report.still_open += 1,
            }
        }
        if report.claimed > 0 || report.abandoned > 0 {
            tracing::info!(scope, ?report, "journal sweep");
        }
        Ok(report)
    }

    /// The prepared payment a claimed entry's saved state restores, or why
    /// it cannot be restored.
    fn restored(&self, saved: Result<serde_json::Value, String>) -> Result<G::Prepared, String> {
        saved.and_then(|saved| {
            self.gateway
                .restore_prepared(&saved)
                .map_err(|error| format!("the provider crate refuses its saved state: {error}"))
        })
    }

    /// Quarantines, for a person, an entry this process took that cannot
    /// be restored: unreadable is not "did not happen", and what it holds is
    /// not trusted. `false` if another process took it over meanwhile.
    async fn quarantine(
        &self,
        scope: &str,
        reference: &str,
        reason: &str,
    ) -> Result<bool, JournalError> {
        tracing::error!(
            scope,
            reference,
            reason,
            "a journaled payment cannot be restored: quarantined"
        );
        self.journal.quarantine(scope, reference, reason).await
    }

    /// Records `result` for the payment; the stage written.
    async fn record(&self, scope: &str, reference: &str, result: &Result<PaymentOutcome>) -> Stage {
        let (stage, outcome, detail) = match result {
            Ok(outcome) => (stage_of(&outcome.status), Some(outcome), None),
            Err(error) => (stage_of_error(error), None, Some(error.to_string())),
        };
        // Bounded: the answer is the payment's, whatever the journal does.
        let recorded = tokio::time::timeout(
            RECORD_TIMEOUT,
            self.journal
                .record(scope, reference, stage, outcome, detail.as_deref()),
        )
        .await;
        match recorded {
            Ok(Ok(())) => stage,
            Ok(Err(error)) => {
                tracing::error!(scope, reference, %stage, %error, "the journal could not record the payment's outcome; a sweep settles it again");
                Stage::Unknown
            }
            Err(_) => {
                tracing::error!(scope, reference, %stage, "the journal did not record the payment's outcome in time; a sweep settles it again");
                Stage::Unknown
            }
        }
    }
}

impl<G> Journaled<G>
where
    G: DurableGateway + 'static,
{
    /// Runs [`settle_pending`](Self::settle_pending) every `interval` in a
    /// background task (up to [`SWEEP_BATCH`] payments a run, again at once
    /// while a run finds that many), until the returned [`Sweeper`] is
    /// stopped or dropped. A run that fails (the journal unreachable) is
    /// logged and the next one tries again. Needs a Tokio runtime.
    ///
    /// ```no_run
    /// # async fn run(payments: payments_journal::Journaled<jawali::JawaliClient>) {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let payments = Arc::new(payments);
    /// let sweeper = payments.spawn_sweeper(Duration::from_secs(30));
    /// // … serve payments with `payments.pay(order)` …
    /// sweeper.stop().await; // at shutdown: finishes the run under way
    /// # }
    /// ```
    pub fn spawn_sweeper(self: &Arc<Self>, interval: Duration) -> Sweeper {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let last = Arc::new(std::sync::Mutex::new(None));
        let payments = Arc::clone(self);
        let reports = Arc::clone(&last);
        let task = tokio::spawn(async move {
            loop {
                loop {
                    match payments.settle_pending(SWEEP_BATCH).await {
                        Ok(report) => {
                            let full = report.claimed >= SWEEP_BATCH;
                            *reports
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
                            if !full || *stopped.borrow() {
                                break;
                            }
                        }
                        Err(error) => {
                            tracing::error!(scope = payments.scope(), %error, "journal sweep failed; the next run tries again");
                            break;
                        }
                    }
                }
                // Stopped (or its handle gone) before the interval passed.
                if tokio::time::timeout(interval, stopped.changed())
                    .await
                    .is_ok()
                {
                    return;
                }
            }
        });
        Sweeper {
            stop,
            task: Some(task),
            last,
        }
    }
}

/// How many payments one run of a [`Sweeper`] settles at most before it
/// runs again at once.
pub const SWEEP_BATCH: usize = 100;

/// A background sweep started by [`Journaled::spawn_sweeper`]: stopped by
/// [`Sweeper::stop`], or aborted when dropped (an entry a run was settling
/// stays open, leased, and a later sweep settles it).
#[derive(Debug)]
pub struct Sweeper {
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    last: Arc<std::sync::Mutex<Option<SweepReport>>>,
}

impl Sweeper {
    /// What the latest run did (`None` before the first one ends).
    pub fn last_report(&self) -> Option<SweepReport> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops the sweeper: the run under way finishes first.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// How long past its deadline a process preparing an order holds it: past
/// that, it went away (nothing was sent for it), and a repeat prepares it.
const PREPARE_MARGIN: Duration = Duration::from_secs(30);

/// How long recording an outcome may take before the answer is given
/// without it (the entry stays open; a sweep settles it again).
const RECORD_TIMEOUT: Duration = Duration::from_secs(10);

/// The first wait for an order in flight elsewhere; each wait doubles, up
/// to [`LAST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(25);

/// The longest wait between two looks at an order in flight elsewhere.
const LAST_WAIT: Duration = Duration::from_millis(500);

/// What the first payment of an attempt came to.
enum FirstPay {
    /// Its answer.
    Done(Result<PaymentOutcome>),
    /// Another process wrote this attempt down first: nothing was sent
    /// here; wait for that one.
    Lost,
}

/// A completed entry's outcome, as recorded.
fn recorded_outcome(entry: Entry, operation: Operation) -> Result<PaymentOutcome> {
    entry.outcome.ok_or_else(|| Error::OutcomeUnknown {
        operation,
        reference: Some(entry.reference.clone()),
        reason: "the journal records the payment as completed without its outcome".to_owned(),
        source: None,
        diagnostics: None,
    })
}

/// The journal could not write the payment down: it is not committed.
fn not_journaled(operation: Operation, error: &dyn std::fmt::Display) -> Error {
    Error::NotSent {
        operation,
        reason: format!(
            "the journal could not write the payment down, so it was not committed: {error}"
        ),
        source: None,
        diagnostics: None,
    }
}

fn stage_of(status: &PaymentStatus) -> Stage {
    match status {
        PaymentStatus::Completed => Stage::Completed,
        PaymentStatus::Failed { .. } | PaymentStatus::Cancelled | PaymentStatus::Expired => {
            Stage::Failed
        }
        _ => Stage::Unknown,
    }
}

/// What an error says about the payment: proven not to have happened
/// (a decline; a commit that was never sent), booked on other terms, or
/// unknown.
fn stage_of_error(error: &Error) -> Stage {
    match error {
        Error::IntegrityMismatch { .. } => Stage::Mismatch,
        error if error.outcome_known() => Stage::Failed,
        _ => Stage::Unknown,
    }
}
