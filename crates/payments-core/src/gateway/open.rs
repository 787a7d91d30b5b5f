//! The payments a gateway committed in this process, by reference: what
//! lets one call — `settle(reference)` on a provider's client — settle an
//! [`Error::OutcomeUnknown`] with nothing but the reference the error gives.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::{DEFAULT_PAY_DEADLINE, Gateway, PaymentOutcome, settle_within};
use crate::error::{Error, Result};
use crate::reference::MerchantReference;

/// How many payments an [`OpenPayments`] remembers by default.
pub const DEFAULT_OPEN_PAYMENTS: usize = 10_000;

/// The payments one gateway (one client and its clones) committed in this
/// process, by merchant reference: the prepared payment while its outcome
/// is unknown, then the final answer.
///
/// [`commit_and_settle`](super::commit_and_settle) and its forms (what
/// [`pay`](super::pay), [`Checkout`](super::Checkout) and
/// `payments_journal::Journaled` run) write a payment here *before* its
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
    /// Each payment by reference; the key is shared with [`Self::order`].
    by_reference: HashMap<Arc<str>, Slot<P>>,
    /// References, oldest first.
    order: VecDeque<Arc<str>>,
}

/// One payment: how far it got, and the merchant's order id when it was
/// committed for one ([`pay`](super::pay), [`Checkout`](super::Checkout),
/// [`commit_order_and_settle_within`](super::commit_order_and_settle_within)).
#[derive(Debug)]
struct Slot<P> {
    order_id: Option<Box<str>>,
    entry: Entry<P>,
}

#[derive(Debug)]
enum Entry<P> {
    /// The commit may have left; its outcome is not known yet. Shared with
    /// the payment in flight, so that remembering it copies nothing.
    Open(Arc<P>),
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
            .filter(|slot| matches!(slot.entry, Entry::Open(_)))
            .count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<P>> {
        // A panic elsewhere while holding the lock leaves the map whole.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that the commit of `prepared` under `reference` may leave now,
    /// for the merchant's order `order_id` when there is one (so that it
    /// can be settled by either).
    pub(crate) fn committing(
        &self,
        reference: &MerchantReference,
        prepared: Arc<P>,
        order_id: Option<Box<str>>,
    ) {
        // What is made or dropped here is made or dropped outside the
        // lock: payments in flight on other threads wait for it.
        let key: Arc<str> = Arc::from(reference.as_str());
        let mut entries = self.lock();
        let replaced = if let Some(slot) = entries.by_reference.get_mut(&key) {
            // Committed again under the same reference (a repeat): the
            // newest again, for its order and for the capacity (a scan; a
            // repeat is rare).
            if order_id.is_some() {
                slot.order_id = order_id;
            }
            let replaced = std::mem::replace(&mut slot.entry, Entry::Open(prepared));
            if let Some(at) = entries.order.iter().rposition(|k| *k == key)
                && let Some(moved) = entries.order.remove(at)
            {
                entries.order.push_back(moved);
            }
            Some(replaced)
        } else {
            entries.order.push_back(Arc::clone(&key));
            entries.by_reference.insert(
                key,
                Slot {
                    order_id,
                    entry: Entry::Open(prepared),
                },
            );
            None
        };
        // One payment in, at most one out: the capacity holds.
        let forgotten = if entries.by_reference.len() > self.capacity {
            entries
                .order
                .pop_front()
                .and_then(|oldest| entries.by_reference.remove_entry(&oldest))
        } else {
            None
        };
        debug_assert_eq!(entries.order.len(), entries.by_reference.len());
        drop(entries);
        drop(replaced);
        if let Some((
            oldest,
            Slot {
                entry: Entry::Open(_),
                ..
            },
        )) = &forgotten
        {
            tracing::warn!(reference = %oldest, "an open payment was forgotten by this process (over capacity): settle it through a journal");
        }
    }

    /// Notes how the payment under `reference` ended: an
    /// [`Error::OutcomeUnknown`] keeps it open. With `attempt` (the commit
    /// that ended), only while that attempt is the one remembered: a repeat
    /// of the reference committed since stays open until its own end.
    pub(crate) fn ended(
        &self,
        reference: &MerchantReference,
        attempt: Option<&Arc<P>>,
        result: &Result<PaymentOutcome>,
    ) {
        if matches!(result, Err(Error::OutcomeUnknown { .. })) {
            return;
        }
        let settled = Entry::Settled(match result {
            Ok(outcome) => Ok(outcome.clone()),
            Err(error) => Err(error.share()),
        });
        let mut entries = self.lock();
        let slot = entries
            .by_reference
            .get_mut(reference.as_str())
            .filter(|slot| match (attempt, &slot.entry) {
                (None, _) => true,
                (Some(attempt), Entry::Open(open)) => Arc::ptr_eq(attempt, open),
                (Some(_), Entry::Settled(_)) => false,
            });
        // Whichever of the two is not kept is dropped after the lock.
        let unused = match slot {
            Some(slot) => std::mem::replace(&mut slot.entry, settled),
            None => settled,
        };
        drop(entries);
        drop(unused);
    }

    /// What is known of the payment under `key`: the payment whose
    /// reference is `key`, or else the latest attempt of the merchant's
    /// order `key`. A reference names one payment and wins over an order id,
    /// but where a reference is its own order's id (an order's first
    /// attempt, [`OrderId::attempt_key`]) the order's latest attempt answers:
    /// a later attempt is made only after the first one failed (a journal's
    /// `pay_again`), so the first one, even if still open here, is stale.
    /// (Settling by order id scans the remembered payments; a reference is
    /// one lookup.)
    ///
    /// [`OrderId::attempt_key`]: crate::OrderId::attempt_key
    fn lookup(&self, key: &str) -> Option<Entry<P>> {
        let entries = self.lock();
        let latest_of_order = || {
            entries.order.iter().rev().find_map(|reference| {
                entries
                    .by_reference
                    .get(reference)
                    .filter(|slot| slot.order_id.as_deref() == Some(key))
            })
        };
        let slot = match entries.by_reference.get(key) {
            Some(slot) if slot.order_id.as_deref() == Some(key) => {
                latest_of_order().unwrap_or(slot)
            }
            Some(slot) => slot,
            None => latest_of_order()?,
        };
        Some(match &slot.entry {
            Entry::Open(prepared) => Entry::Open(Arc::clone(prepared)),
            Entry::Settled(Ok(outcome)) => Entry::Settled(Ok(outcome.clone())),
            Entry::Settled(Err(error)) => Entry::Settled(Err(error.share())),
        })
    }
}

/// Settles the payment `gateway` committed under `reference` in this
/// process — the reference exactly as [`Error::reference`] gives it, or the
/// merchant's order id, which answers for the order's latest attempt —
/// the way [`settle`](super::settle) does, within [`DEFAULT_PAY_DEADLINE`].
/// A reference answers for its own payment and wins over an order id,
/// except where it is its own order's id (an order's first attempt): then
/// the order's latest attempt answers (a later attempt is made only after
/// the first one failed). Order ids are remembered for payments made with
/// [`pay`](super::pay), [`Checkout`](super::Checkout),
/// `payments_journal::Journaled` and
/// [`commit_order_and_settle_within`](super::commit_order_and_settle_within),
/// not for [`commit_and_settle`](super::commit_and_settle) called directly.
/// Past the capacity the oldest payment is forgotten: its reference then
/// finds nothing — or, if the same text is the id of an order still
/// remembered, that order. A payment that ended already answers how it
/// ended again; nothing is ever committed again.
///
/// # Errors
///
/// A proven decline or integrity mismatch; [`Error::OutcomeUnknown`] while
/// the provider cannot tell yet (call again later);
/// [`Error::InvalidInput`] naming `reference` when this process committed
/// no payment under it (another process did, or it was forgotten: a
/// journal settles those), or the gateway keeps no [`OpenPayments`].
pub async fn settle_reference<G: Gateway + ?Sized>(
    gateway: &G,
    reference: &str,
) -> Result<PaymentOutcome> {
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
            open.committing(&reference(name), Arc::new(name.to_owned()), None);
        }
        assert_eq!(open.len(), 2);
        assert!(open.lookup("a").is_none());
        assert!(matches!(open.lookup("c"), Some(Entry::Open(p)) if *p == "c"));
    }

    /// An order id finds its latest attempt; a repeat of a reference keeps
    /// the order id it was given; the payment is shared, not copied.
    #[test]
    fn an_order_id_finds_its_latest_attempt() {
        let open = OpenPayments::new(4);
        let first = Arc::new("first".to_owned());
        open.committing(&reference("a"), Arc::clone(&first), Some("order-1".into()));
        open.committing(
            &reference("b"),
            Arc::new("second".to_owned()),
            Some("order-1".into()),
        );
        open.committing(
            &reference("c"),
            Arc::new("other".to_owned()),
            Some("order-2".into()),
        );
        assert!(matches!(open.lookup("order-1"), Some(Entry::Open(p)) if *p == "second"));
        assert!(matches!(open.lookup("a"), Some(Entry::Open(p)) if Arc::ptr_eq(&p, &first)));
        open.committing(&reference("c"), Arc::new("again".to_owned()), None);
        assert!(matches!(open.lookup("order-2"), Some(Entry::Open(p)) if *p == "again"));
        assert!(open.lookup("order-3").is_none());
        assert_eq!((open.len(), open.open()), (3, 3));
    }

    /// An order's first attempt may carry the order id as its reference
    /// (`OrderId::attempt_key`): once the order is paid again, the order id
    /// answers for the new attempt, not for the failed first one — even if
    /// the first one is still open here — and a repeat makes an attempt the
    /// latest again.
    #[test]
    fn an_order_id_that_is_also_its_first_attempts_reference_finds_the_latest() {
        let open = OpenPayments::new(8);
        // The order `o1`: its first attempt under the reference `o1`, its
        // second (after a proven decline) under `o1-2`.
        let first = reference("o1");
        open.committing(&first, Arc::new("first".to_owned()), Some("o1".into()));
        let declined = Err(Error::invalid("amount", "declined"));
        open.ended(&first, None, &declined);
        assert!(matches!(open.lookup("o1"), Some(Entry::Settled(Err(_)))));
        open.committing(
            &reference("o1-2"),
            Arc::new("again".to_owned()),
            Some("o1".into()),
        );
        assert!(matches!(open.lookup("o1"), Some(Entry::Open(p)) if *p == "again"));
        assert!(matches!(open.lookup("o1-2"), Some(Entry::Open(p)) if *p == "again"));

        // The order `o2`'s first attempt, open here (a sweep elsewhere
        // proved it failed), and a second one that completed.
        let first = Arc::new("first".to_owned());
        open.committing(&reference("o2"), Arc::clone(&first), Some("o2".into()));
        let second = reference("o2-2");
        open.committing(&second, Arc::new("again".to_owned()), Some("o2".into()));
        let done = PaymentOutcome::new(second.clone(), PaymentStatus::Completed);
        open.ended(&second, None, &Ok(done.clone()));
        assert!(matches!(open.lookup("o2"), Some(Entry::Settled(Ok(o))) if o == done));
        // The first attempt repeated: the order's latest again.
        let repeat = Arc::new("repeat".to_owned());
        open.committing(&reference("o2"), Arc::clone(&repeat), Some("o2".into()));
        assert!(matches!(open.lookup("o2"), Some(Entry::Open(p)) if Arc::ptr_eq(&p, &repeat)));
    }

    /// A reference names its own payment, even where it is another order's
    /// id.
    #[test]
    fn a_reference_is_never_answered_by_another_payment() {
        let open = OpenPayments::new(8);
        // The payment `57` is of order `12`; the payment `58` of order `57`.
        let p57 = Arc::new("payment 57".to_owned());
        open.committing(&reference("57"), Arc::clone(&p57), Some("12".into()));
        open.committing(
            &reference("58"),
            Arc::new("payment 58".to_owned()),
            Some("57".into()),
        );
        assert!(matches!(open.lookup("57"), Some(Entry::Open(p)) if Arc::ptr_eq(&p, &p57)));
        assert!(matches!(open.lookup("12"), Some(Entry::Open(p)) if Arc::ptr_eq(&p, &p57)));
    }

    /// A commit that ends after a repeat of its reference was committed
    /// does not close the repeat: the repeat may still move money.
    #[test]
    fn an_attempt_ends_only_its_own_entry() {
        let open = OpenPayments::new(4);
        let a = reference("a");
        let (first, repeat) = (Arc::new(1), Arc::new(2));
        open.committing(&a, Arc::clone(&first), None);
        open.committing(&a, Arc::clone(&repeat), None);
        let nothing_sent = Err(Error::invalid("amount", "refused before sending"));
        open.ended(&a, Some(&first), &nothing_sent);
        assert!(matches!(open.lookup("a"), Some(Entry::Open(p)) if Arc::ptr_eq(&p, &repeat)));
        let done = PaymentOutcome::new(a.clone(), PaymentStatus::Completed);
        open.ended(&a, Some(&repeat), &Ok(done.clone()));
        assert!(matches!(open.lookup("a"), Some(Entry::Settled(Ok(o))) if o == done));
        // Settled: a late end of any attempt changes nothing.
        open.ended(&a, Some(&first), &nothing_sent);
        assert!(matches!(open.lookup("a"), Some(Entry::Settled(Ok(o))) if o == done));
    }

    #[test]
    fn an_unknown_outcome_stays_open_and_a_final_one_is_kept() {
        let open = OpenPayments::new(4);
        let a = reference("a");
        open.committing(&a, Arc::new(()), None);
        open.ended(
            &a,
            None,
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
        open.ended(&a, None, &Ok(done.clone()));
        assert_eq!(open.open(), 0);
        assert!(matches!(open.lookup("a"), Some(Entry::Settled(Ok(o))) if o == done));
        // Committed again under the same reference (a repeat): open again,
        // counted once.
        open.committing(&a, Arc::new(()), None);
        assert_eq!((open.len(), open.open()), (1, 1));
    }
}
