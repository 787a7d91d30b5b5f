//! The payments a gateway committed in this process, by reference: what
//! lets one call — `settle(reference)` on a provider's client — settle an
//! [`Error::OutcomeUnknown`] with nothing but the reference the error gives.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{DEFAULT_PAY_DEADLINE, Gateway, PaymentOutcome, settle_within};
use crate::error::{Error, Result};
use crate::reference::MerchantReference;

/// How many payments an [`OpenPayments`] remembers by default.
pub const DEFAULT_OPEN_PAYMENTS: usize = 10_000;

/// The payments one gateway (one client and its clones) committed in this
/// process, by merchant reference: the prepared payment while its outcome
/// is unknown, then the final answer.
///
/// [`commit_and_settle`](super::commit_and_settle) (what
/// [`pay`](super::pay), [`Checkout`](super::Checkout) and
/// `payments_journal::Journaled` run) writes a payment here *before* its
/// commit may leave, so that a payment whose future was dropped mid-commit
/// (a request handler whose client went away) can still be settled by
/// [`settle_reference`] — every provider client's `settle(reference)`.
///
/// Bounded: past its capacity the oldest payment is forgotten (an open
/// one with a warning in the logs). It lives as long as the process: a
/// payment that must be settled after a restart is paid through a journal
/// (`payments_journal::Journaled`).
#[derive(Debug)]
pub struct OpenPayments<P> {
    entries: Mutex<Entries<P>>,
    capacity: usize,
}

#[derive(Debug)]
struct Entries<P> {
    by_reference: HashMap<String, Entry<P>>,
    /// References, oldest first.
    order: VecDeque<String>,
    /// The merchant's order id of a payment, by reference, when
    /// [`pay`](super::pay) was given one.
    order_ids: HashMap<String, String>,
}

#[derive(Debug)]
enum Entry<P> {
    /// The commit may have left; its outcome is not known yet.
    Open(P),
    /// Final: the outcome, or the error that proved how it ended.
    Settled(std::result::Result<PaymentOutcome, Error>),
}

impl<P> Default for OpenPayments<P> {
    fn default() -> Self {
        Self::new(DEFAULT_OPEN_PAYMENTS)
    }
}

impl<P> OpenPayments<P> {
    /// Remembers up to `capacity` payments (at least one).
    pub fn new(capacity: usize) -> Self {
        OpenPayments {
            entries: Mutex::new(Entries {
                by_reference: HashMap::new(),
                order: VecDeque::new(),
                order_ids: HashMap::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    /// How many payments are remembered.
    pub fn len(&self) -> usize {
        self.lock().by_reference.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many are open (their outcome unknown).
    pub fn open(&self) -> usize {
        self.lock()
            .by_reference
            .values()
            .filter(|entry| matches!(entry, Entry::Open(_)))
            .count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<P>> {
        // A panic elsewhere while holding the lock leaves the map whole.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that the commit of `prepared` under `reference` may leave now.
    pub(crate) fn committing(&self, reference: &MerchantReference, prepared: P) {
        let mut entries = self.lock();
        let key = reference.as_str().to_owned();
        if entries
            .by_reference
            .insert(key.clone(), Entry::Open(prepared))
            .is_none()
        {
            entries.order.push_back(key);
        }
        while entries.by_reference.len() > self.capacity {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            entries.order_ids.remove(&oldest);
            if let Some(Entry::Open(_)) = entries.by_reference.remove(&oldest) {
                tracing::warn!(reference = %oldest, "an open payment was forgotten by this process (over capacity): settle it through a journal");
            }
        }
    }

    /// Notes that the payment under `reference` is for the merchant's order
    /// `order_id`, so that it can be settled by either.
    pub(crate) fn name_order(&self, reference: &MerchantReference, order_id: &str) {
        self.lock()
            .order_ids
            .insert(reference.as_str().to_owned(), order_id.to_owned());
    }

    /// Notes how the payment under `reference` ended: an
    /// [`Error::OutcomeUnknown`] keeps it open.
    pub(crate) fn ended(&self, reference: &MerchantReference, result: &Result<PaymentOutcome>) {
        if matches!(result, Err(Error::OutcomeUnknown { .. })) {
            return;
        }
        let mut entries = self.lock();
        if let Some(entry) = entries.by_reference.get_mut(reference.as_str()) {
            *entry = Entry::Settled(match result {
                Ok(outcome) => Ok(outcome.clone()),
                Err(error) => Err(error.share()),
            });
        }
    }
}

impl<P: Clone> OpenPayments<P> {
    /// What is known of the payment under `key`: its reference, or else the
    /// merchant's order id of its latest attempt.
    fn lookup(&self, key: &str) -> Option<Entry<P>> {
        let entries = self.lock();
        let entry = match entries.by_reference.get(key) {
            Some(entry) => entry,
            None => {
                let reference = entries
                    .order
                    .iter()
                    .rev()
                    .find(|r| entries.order_ids.get(*r).is_some_and(|id| id == key))?;
                entries.by_reference.get(reference)?
            }
        };
        Some(match entry {
            Entry::Open(prepared) => Entry::Open(prepared.clone()),
            Entry::Settled(Ok(outcome)) => Entry::Settled(Ok(outcome.clone())),
            Entry::Settled(Err(error)) => Entry::Settled(Err(error.share())),
        })
    }
}

/// Settles the payment `gateway` committed under `reference` in this
/// process — the reference exactly as [`Error::reference`] gives it — the
/// way [`settle`](super::settle) does, within [`DEFAULT_PAY_DEADLINE`]. A
/// payment that ended already answers how it ended again; nothing is ever
/// committed again.
///
/// # Errors
///
/// A proven decline or integrity mismatch; [`Error::OutcomeUnknown`] while
/// the provider cannot tell yet (call again later);
/// [`Error::InvalidInput`] naming `reference` when this process committed
/// no payment under it (another process did, or it was forgotten: a
/// journal settles those), or the gateway keeps no [`OpenPayments`].
pub async fn settle_reference<G>(gateway: &G, reference: &str) -> Result<PaymentOutcome>
where
    G: Gateway + ?Sized,
    G::Prepared: Clone,
{
    let Some(open) = gateway.open_payments() else {
        return Err(Error::invalid(
            "reference",
            format_args!("this {} gateway keeps no open payments", gateway.provider()),
        ));
    };
    match open.lookup(reference) {
        Some(Entry::Settled(result)) => result,
        Some(Entry::Open(prepared)) => {
            settle_within(gateway, &prepared, DEFAULT_PAY_DEADLINE).await
        }
        None => Err(Error::invalid(
            "reference",
            format_args!(
                "no {} payment was committed under `{reference}` (a reference or an order id) by this process, or it was forgotten since: a payment made elsewhere is settled through the journal that made it",
                gateway.provider()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PaymentStatus;
    use crate::reference::{Charset, ReferenceRules};

    const RULES: ReferenceRules = ReferenceRules {
        field: "ref",
        max_len: 8,
        charset: Charset::AlphanumericDashUnderscore,
    };

    fn reference(text: &str) -> MerchantReference {
        MerchantReference::new(text, &RULES).unwrap()
    }

    #[test]
    fn the_oldest_payment_is_forgotten_past_the_capacity() {
        let open = OpenPayments::new(2);
        for name in ["a", "b", "c"] {
            open.committing(&reference(name), name.to_owned());
        }
        assert_eq!(open.len(), 2);
        assert!(open.lookup("a").is_none());
        assert!(matches!(open.lookup("c"), Some(Entry::Open(p)) if p == "c"));
    }

    #[test]
    fn an_unknown_outcome_stays_open_and_a_final_one_is_kept() {
        let open = OpenPayments::new(4);
        let a = reference("a");
        open.committing(&a, ());
        open.ended(
            &a,
            &Err(Error::OutcomeUnknown {
                operation: crate::Operation::money_moving("fake", "commit"),
                reference: Some("a".into()),
                reason: "timeout".into(),
                source: None,
                diagnostics: None,
            }),
        );
        assert_eq!(open.open(), 1);
        let done = PaymentOutcome::new(a.clone(), PaymentStatus::Completed);
        open.ended(&a, &Ok(done.clone()));
        assert_eq!(open.open(), 0);
        assert!(matches!(open.lookup("a"), Some(Entry::Settled(Ok(o))) if o == done));
        // Committed again under the same reference (a repeat): open again,
        // counted once.
        open.committing(&a, ());
        assert_eq!((open.len(), open.open()), (1, 1));
    }
}
