//! [`Journaled`]: `pay` with the journal, and the sweeper that settles what
//! a crash, a deploy or a dropped request left open.

use std::time::Duration;

use payments_core::gateway::{
    DEFAULT_PAY_DEADLINE, DurableGateway, commit_and_settle_within, commit_operation,
    prepare_within,
};
use payments_core::{Error, Operation, PaymentOutcome, PaymentStatus, Result};

use crate::store::{Journal, JournalError, Stage};

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

    /// Runs one payment as [`payments_core::pay_within`] does, journaled:
    /// the prepared payment is written (stage `prepared`) and then marked
    /// `committing` before the commit may leave; the outcome is recorded
    /// after. Dropped at any point — a client that went away, a crash — the
    /// payment is left for [`settle_pending`](Self::settle_pending).
    ///
    /// # Errors
    ///
    /// As [`payments_core::pay_within`]. When the journal cannot write the
    /// payment down, nothing is sent: [`Error::NotSent`] naming the journal.
    /// A journal that fails *after* the commit does not change the answer
    /// (the payment's outcome is about the payment); the entry stays open
    /// and a sweep settles it again.
    pub async fn pay(&self, order: G::Order) -> Result<PaymentOutcome> {
        let gateway = &self.gateway;
        let (prepared, left) = prepare_within(gateway, order, self.deadline).await?;
        let reference = gateway.reference(&prepared).clone();
        let scope = self.scope.as_str();
        let _in_flight = self.journal.in_flight(scope, reference.as_str());
        let saved = gateway.save_prepared(&prepared)?;
        // Held until the payment's deadline, and a sweep's lease more: no
        // sweeper elsewhere takes it while this process may still settle it.
        let lease = self.deadline.saturating_add(self.sweep_lease);
        self.journal
            .insert_prepared(scope, &reference, &saved, lease)
            .await
            .map_err(|e| not_journaled(commit_operation(gateway), &e))?;
        let committing = self
            .journal
            .mark_committing(scope, &reference, lease)
            .await
            .map_err(|e| not_journaled(commit_operation(gateway), &e))?;
        if !committing {
            return Err(not_journaled(
                commit_operation(gateway),
                &"the entry was closed as abandoned before its commit started",
            ));
        }
        let result = commit_and_settle_within(gateway, &prepared, left).await;
        self.record(scope, reference.as_str(), &result).await;
        result
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
            let restored = claimed.saved.and_then(|saved| {
                self.gateway
                    .restore_prepared(&saved)
                    .map_err(|error| format!("the provider crate refuses its saved state: {error}"))
            });
            let stage = match restored {
                Ok(prepared) => {
                    let result = payments_core::settle(&self.gateway, &prepared).await;
                    self.record(scope, &reference, &result).await
                }
                // Unreadable is not "did not happen", and what it holds is
                // not trusted: quarantined, for a person.
                Err(reason) => {
                    tracing::error!(
                        scope,
                        reference,
                        reason,
                        "a journaled payment cannot be restored: quarantined"
                    );
                    match self.journal.quarantine(scope, &reference, &reason).await {
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

    /// Records `result` for the payment; the stage written.
    async fn record(&self, scope: &str, reference: &str, result: &Result<PaymentOutcome>) -> Stage {
        let (stage, outcome, detail) = match result {
            Ok(outcome) => (stage_of(&outcome.status), Some(outcome), None),
            Err(error) => (stage_of_error(error), None, Some(error.to_string())),
        };
        if let Err(error) = self
            .journal
            .record(scope, reference, stage, outcome, detail.as_deref())
            .await
        {
            tracing::error!(scope, reference, %stage, %error, "the journal could not record the payment's outcome; a sweep settles it again");
            return Stage::Unknown;
        }
        stage
    }
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
