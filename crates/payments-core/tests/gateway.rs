//! The generic flow: an unknown commit outcome is reconciled, never
//! committed twice; `Checkout` runs a bound payment at most once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{
    Capabilities, Checkout, Currency, Decline, DeclineKind, Error, Gateway, MerchantReference,
    Money, Operation, Payable, PaymentOutcome, PaymentStatus, Reconciliation, async_trait, pay,
};

const COMMIT: Operation = Operation::money_moving("fake", "commit");
const RULES: ReferenceRules = ReferenceRules {
    field: "ref",
    max_len: 40,
    charset: Charset::AlphanumericDashUnderscore,
};

enum CommitBehaviour {
    Succeed,
    /// Books another amount than asked.
    BookOtherAmount,
    /// Books the payment, then loses the answer.
    BookThenLoseAnswer,
    Decline,
}

struct Fake {
    behaviour: CommitBehaviour,
    commits: AtomicUsize,
    reconciliations: AtomicUsize,
    booked: Mutex<Vec<MerchantReference>>,
}

impl Fake {
    fn new(behaviour: CommitBehaviour) -> Self {
        Fake {
            behaviour,
            commits: AtomicUsize::new(0),
            reconciliations: AtomicUsize::new(0),
            booked: Mutex::new(vec![]),
        }
    }
}

struct Prepared {
    reference: MerchantReference,
    amount: Money,
}

#[async_trait]
impl Gateway for Fake {
    type Order = Money;
    type Prepared = Prepared;

    fn provider(&self) -> &'static str {
        "fake"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(false, false, false, false, Reconciliation::IdempotentRepeat)
    }

    async fn prepare(&self, amount: Money) -> payments_core::Result<Prepared> {
        Ok(Prepared {
            reference: MerchantReference::new("order-1", &RULES)?,
            amount,
        })
    }

    fn reference<'a>(&self, prepared: &'a Prepared) -> &'a MerchantReference {
        &prepared.reference
    }

    async fn commit(&self, prepared: &Prepared) -> payments_core::Result<PaymentOutcome> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        match self.behaviour {
            CommitBehaviour::Succeed => {
                self.booked.lock().unwrap().push(prepared.reference.clone());
                Ok(
                    PaymentOutcome::new(prepared.reference.clone(), PaymentStatus::Completed)
                        .with_amount(prepared.amount),
                )
            }
            CommitBehaviour::BookThenLoseAnswer => {
                self.booked.lock().unwrap().push(prepared.reference.clone());
                Err(Error::OutcomeUnknown {
                    operation: COMMIT,
                    reference: Some(prepared.reference.to_string()),
                    reason: "connection dropped".into(),
                    source: None,
                })
            }
            CommitBehaviour::BookOtherAmount => {
                self.booked.lock().unwrap().push(prepared.reference.clone());
                Err(Error::IntegrityMismatch {
                    operation: COMMIT,
                    field: "amount".into(),
                    expected: prepared.amount.to_string(),
                    actual: "99.00 TRY".into(),
                })
            }
            CommitBehaviour::Decline => Err(Error::Declined {
                operation: COMMIT,
                decline: Decline::new(
                    "311",
                    DeclineKind::InsufficientFunds,
                    "insufficient balance",
                ),
            }),
        }
    }

    async fn reconcile(&self, prepared: &Prepared) -> payments_core::Result<PaymentOutcome> {
        self.reconciliations.fetch_add(1, Ordering::SeqCst);
        let booked = self.booked.lock().unwrap().contains(&prepared.reference);
        let status = if booked {
            PaymentStatus::Completed
        } else {
            PaymentStatus::Failed {
                reason: "not booked".into(),
            }
        };
        Ok(PaymentOutcome::new(prepared.reference.clone(), status))
    }
}

fn ten() -> Money {
    Money::parse("10", Currency::TRY).unwrap()
}

#[tokio::test]
async fn a_known_success_is_returned_without_reconciliation() {
    let fake = Fake::new(CommitBehaviour::Succeed);
    let outcome = pay(&fake, ten()).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(ten()));
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_unknown_outcome_is_reconciled_with_exactly_one_commit() {
    let fake = Fake::new(CommitBehaviour::BookThenLoseAnswer);
    let outcome = pay(&fake, ten()).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.reference.as_str(), "order-1");
    assert_eq!(
        fake.commits.load(Ordering::SeqCst),
        1,
        "never committed twice"
    );
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 1);
    assert_eq!(fake.booked.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_integrity_mismatch_is_returned_not_reconciled_into_a_completion() {
    let fake = Fake::new(CommitBehaviour::BookOtherAmount);
    let error = pay(&fake, ten()).await.unwrap_err();
    assert!(
        matches!(error, Error::IntegrityMismatch { .. }),
        "{error:?}"
    );
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_decline_is_returned_as_is_and_nothing_is_reconciled() {
    let fake = Fake::new(CommitBehaviour::Decline);
    let error = pay(&fake, ten()).await.unwrap_err();
    assert_eq!(
        error.decline().unwrap().kind,
        DeclineKind::InsufficientFunds
    );
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn checkouts_of_any_provider_run_through_one_object_safe_interface() {
    let payments: Vec<Box<dyn Payable>> = vec![
        Box::new(Checkout::new(
            Arc::new(Fake::new(CommitBehaviour::Succeed)),
            ten(),
        )),
        Box::new(Checkout::new(
            Arc::new(Fake::new(CommitBehaviour::BookThenLoseAnswer)),
            ten(),
        )),
    ];
    for payment in &payments {
        assert_eq!(payment.provider(), "fake");
        assert_eq!(
            payment.capabilities().reconciliation,
            Reconciliation::IdempotentRepeat
        );
        assert_eq!(
            payment.pay().await.unwrap().status,
            PaymentStatus::Completed
        );
    }
}

#[tokio::test]
async fn a_bound_payment_is_paid_at_most_once() {
    let fake = Arc::new(Fake::new(CommitBehaviour::Succeed));
    let checkout = Checkout::new(Arc::clone(&fake), ten());
    let first = checkout.pay().await.unwrap();
    let second = checkout.pay().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
}

#[test]
fn final_statuses_are_final() {
    assert!(PaymentStatus::Completed.is_final());
    assert!(PaymentStatus::Failed { reason: "x".into() }.is_final());
    assert!(PaymentStatus::Cancelled.is_final());
    assert!(PaymentStatus::Expired.is_final());
    assert!(!PaymentStatus::Pending.is_final());
    assert!(
        !PaymentStatus::Unknown {
            detail: "NEW_STATE".into()
        }
        .is_final()
    );
}
