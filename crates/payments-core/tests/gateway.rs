//! The generic flow: an unknown commit outcome is reconciled by reference,
//! never committed twice.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use payments_core::http::RetryPolicy;
use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{
    Currency, Decline, DeclineKind, Error, Gateway, MerchantReference, Money, Operation,
    PaymentOutcome, PaymentStatus, async_trait, pay,
};

const COMMIT: Operation = Operation::money_moving("fake", "commit");
const RULES: ReferenceRules = ReferenceRules {
    field: "ref",
    max_len: 40,
    charset: Charset::AlphanumericDashUnderscore,
};

enum CommitBehaviour {
    Succeed,
    /// Books the payment, then loses the answer.
    BookThenLoseAnswer,
    Decline,
}

struct Fake {
    behaviour: CommitBehaviour,
    /// Status answers to give, in order; the last repeats.
    statuses: Vec<PaymentStatus>,
    commits: AtomicUsize,
    lookups: AtomicUsize,
    booked: Mutex<Vec<MerchantReference>>,
}

impl Fake {
    fn new(behaviour: CommitBehaviour, statuses: Vec<PaymentStatus>) -> Self {
        Fake {
            behaviour,
            statuses,
            commits: AtomicUsize::new(0),
            lookups: AtomicUsize::new(0),
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

    async fn status(&self, reference: &MerchantReference) -> payments_core::Result<PaymentOutcome> {
        let n = self.lookups.fetch_add(1, Ordering::SeqCst);
        let status = self
            .statuses
            .get(n)
            .or(self.statuses.last())
            .cloned()
            .unwrap();
        Ok(PaymentOutcome::new(reference.clone(), status))
    }
}

fn ten() -> Money {
    Money::parse("10", Currency::TRY).unwrap()
}

#[tokio::test]
async fn a_known_success_is_returned_without_lookups() {
    let fake = Fake::new(CommitBehaviour::Succeed, vec![]);
    let outcome = pay(&fake, ten()).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(ten()));
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
    assert_eq!(fake.lookups.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_unknown_outcome_is_reconciled_by_reference_with_exactly_one_commit() {
    let fake = Fake::new(
        CommitBehaviour::BookThenLoseAnswer,
        vec![PaymentStatus::Pending, PaymentStatus::Completed],
    );
    let outcome = pay(&fake, ten()).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.reference.as_str(), "order-1");
    assert_eq!(
        fake.commits.load(Ordering::SeqCst),
        1,
        "never committed twice"
    );
    assert_eq!(fake.lookups.load(Ordering::SeqCst), 2);
    assert_eq!(fake.booked.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_decline_is_returned_as_is_and_nothing_is_looked_up() {
    let fake = Fake::new(CommitBehaviour::Decline, vec![PaymentStatus::Completed]);
    let error = pay(&fake, ten()).await.unwrap_err();
    assert_eq!(
        error.decline().unwrap().kind,
        DeclineKind::InsufficientFunds
    );
    assert_eq!(fake.lookups.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn reconcile_gives_up_after_its_attempts_with_the_last_answer() {
    let fake = Fake::new(CommitBehaviour::Succeed, vec![PaymentStatus::Pending]);
    let policy = RetryPolicy {
        max_attempts: 4,
        initial_backoff: std::time::Duration::from_millis(1),
        max_backoff: std::time::Duration::from_millis(2),
        jitter: false,
    };
    let reference = MerchantReference::new("order-1", &RULES).unwrap();
    let outcome = fake.reconcile(&reference, &policy).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Pending);
    assert!(!outcome.status.is_final());
    assert_eq!(fake.lookups.load(Ordering::SeqCst), 4);
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
