//! The generic flow: an unknown commit outcome is reconciled, never
//! committed twice; `Checkout` runs a bound payment at most once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use payments_core::gateway::{OpenPayments, settle_reference};
use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{
    Capabilities, Checkout, Currency, Decline, DeclineKind, Diagnostics, Error, Gateway,
    MerchantReference, Money, Operation, Payable, PaymentOutcome, PaymentStatus, Reconciliation,
    async_trait, pay, settle,
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
    /// Books the payment, then answers only after a long while.
    BookThenHang,
    Decline,
}

struct Fake {
    behaviour: CommitBehaviour,
    commits: AtomicUsize,
    prepares: AtomicUsize,
    reconciliations: AtomicUsize,
    booked: Mutex<Vec<MerchantReference>>,
    /// What the next reconciliations answer, before the ledger is read.
    script: Mutex<VecDeque<payments_core::Result<PaymentOutcome>>>,
    open: OpenPayments<Prepared>,
}

impl Fake {
    fn new(behaviour: CommitBehaviour) -> Self {
        Fake {
            behaviour,
            commits: AtomicUsize::new(0),
            prepares: AtomicUsize::new(0),
            reconciliations: AtomicUsize::new(0),
            booked: Mutex::new(vec![]),
            script: Mutex::new(VecDeque::new()),
            open: OpenPayments::new(2),
        }
    }

    fn scripted(
        behaviour: CommitBehaviour,
        script: Vec<payments_core::Result<PaymentOutcome>>,
    ) -> Self {
        let fake = Self::new(behaviour);
        *fake.script.lock().unwrap() = script.into();
        fake
    }
}

#[derive(Clone)]
struct Prepared {
    reference: MerchantReference,
    amount: Money,
}

#[async_trait]
impl Gateway for Fake {
    type Order = TestOrder;
    type Prepared = Prepared;

    fn provider(&self) -> &'static str {
        "fake"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(false, false, false, false, Reconciliation::IdempotentRepeat)
    }

    async fn prepare(&self, TestOrder(amount): TestOrder) -> payments_core::Result<Prepared> {
        self.prepares.fetch_add(1, Ordering::SeqCst);
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
                    diagnostics: None,
                }
                .with_diagnostics(&Diagnostics::new().with_correlation_id("commit-corr-1")))
            }
            CommitBehaviour::BookThenHang => {
                self.booked.lock().unwrap().push(prepared.reference.clone());
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                Ok(PaymentOutcome::new(
                    prepared.reference.clone(),
                    PaymentStatus::Completed,
                ))
            }
            CommitBehaviour::BookOtherAmount => {
                self.booked.lock().unwrap().push(prepared.reference.clone());
                Err(Error::IntegrityMismatch {
                    operation: COMMIT,
                    field: "amount",
                    expected: Box::new(prepared.amount.into()),
                    actual: Box::new(Money::parse("99", Currency::TRY).unwrap().into()),
                    diagnostics: None,
                })
            }
            CommitBehaviour::Decline => Err(Error::Declined {
                operation: COMMIT,
                decline: Box::new(Decline::new(
                    "311",
                    DeclineKind::InsufficientFunds,
                    "insufficient balance",
                )),
                diagnostics: None,
            }),
        }
    }

    fn open_payments(&self) -> Option<&OpenPayments<Prepared>> {
        Some(&self.open)
    }

    async fn reconcile(&self, prepared: &Prepared) -> payments_core::Result<PaymentOutcome> {
        self.reconciliations.fetch_add(1, Ordering::SeqCst);
        if let Some(scripted) = self.script.lock().unwrap().pop_front() {
            return scripted;
        }
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

/// An order of an amount.
#[derive(Debug, Clone, PartialEq)]
struct TestOrder(Money);

impl payments_core::MerchantOrder for TestOrder {
    fn order_id(&self) -> &payments_core::OrderId {
        static ID: std::sync::OnceLock<payments_core::OrderId> = std::sync::OnceLock::new();
        ID.get_or_init(|| payments_core::OrderId::new("order-1").unwrap())
    }
    fn attempt(&self) -> u32 {
        1
    }
    fn set_attempt(&mut self, _: u32) {}
    fn terms(&self) -> Vec<payments_core::order::OrderTerm> {
        vec![payments_core::order::OrderTerm::money("amount", &self.0)]
    }
}

fn ten() -> TestOrder {
    TestOrder(Money::parse("10", Currency::TRY).unwrap())
}

#[tokio::test]
async fn a_known_success_is_returned_without_reconciliation() {
    let fake = Fake::new(CommitBehaviour::Succeed);
    let outcome = pay(&fake, ten()).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(ten().0));
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

const LOOKUP: Operation = Operation::read("fake", "lookup");

fn lookup_http_500() -> Error {
    Error::Http {
        operation: LOOKUP,
        status: 500,
        body: payments_core::secret::RedactedText::from_static("<html>oops</html>"),
        diagnostics: None,
    }
}

/// Once the commit may have left, what a follow-up call failed with is not
/// the payment's outcome.
#[tokio::test]
async fn a_failing_reconciliation_call_ends_in_outcome_unknown_never_in_its_own_error() {
    let follow_up_errors = [
        lookup_http_500(),
        Error::Authentication {
            operation: Operation::authentication("fake", "login"),
            message: "LOGIN refused".into(),
            diagnostics: None,
        },
        Error::UndecodableResponse {
            operation: LOOKUP,
            detail: "truncated".into(),
            raw: payments_core::secret::RedactedText::from_static("{\"sta"),
            source: None,
            diagnostics: None,
        },
        // A lookup's "decline" is the lookup's, not the payment's.
        Error::Declined {
            operation: LOOKUP,
            decline: Box::new(Decline::new("-1", DeclineKind::Other, "system error")),
            diagnostics: None,
        },
        Error::NotSent {
            operation: LOOKUP,
            reason: "connection refused".into(),
            source: None,
            diagnostics: None,
        },
    ];
    for follow_up in follow_up_errors {
        let text = follow_up.to_string();
        let fake = Fake::scripted(CommitBehaviour::BookThenLoseAnswer, vec![Err(follow_up)]);
        let error = pay(&fake, ten()).await.unwrap_err();
        match &error {
            Error::OutcomeUnknown {
                reference, source, ..
            } => {
                assert_eq!(reference.as_deref(), Some("order-1"), "{text}");
                let source = source
                    .as_ref()
                    .expect("the last error is kept as the source");
                assert_eq!(source.to_string(), text);
            }
            other => panic!("{text} became {other:?}"),
        }
        assert!(!error.outcome_known());
        // The support desk is pointed at the commit, not at the lookup.
        assert_eq!(
            error.diagnostics().correlation_id.as_deref(),
            Some("commit-corr-1"),
            "{text}"
        );
        assert_eq!(
            fake.commits.load(Ordering::SeqCst),
            1,
            "never committed twice"
        );
    }
}

#[tokio::test]
async fn a_non_final_status_after_reconciliation_is_outcome_unknown() {
    for status in [
        PaymentStatus::Pending,
        PaymentStatus::Unknown {
            detail: "PROCESSING".into(),
        },
    ] {
        let reference = MerchantReference::new("order-1", &RULES).unwrap();
        let fake = Fake::scripted(
            CommitBehaviour::BookThenLoseAnswer,
            vec![Ok(PaymentOutcome::new(reference, status.clone()))],
        );
        let error = pay(&fake, ten()).await.unwrap_err();
        assert!(
            matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == "order-1"),
            "{status:?}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_decline_of_the_payment_itself_from_reconciliation_stands() {
    let fake = Fake::scripted(
        CommitBehaviour::BookThenLoseAnswer,
        vec![Err(Error::Declined {
            operation: COMMIT,
            decline: Box::new(Decline::new(
                "FAILED",
                DeclineKind::Other,
                "the cash-out failed",
            )),
            diagnostics: None,
        })],
    );
    let error = pay(&fake, ten()).await.unwrap_err();
    assert_eq!(error.decline().unwrap().code, "FAILED");
    assert!(error.outcome_known());
}

#[tokio::test]
async fn a_second_pay_of_an_unsettled_checkout_resumes_reconciliation_and_never_prepares_again() {
    let fake = Arc::new(Fake::scripted(
        CommitBehaviour::BookThenLoseAnswer,
        vec![Err(lookup_http_500())],
    ));
    let checkout = Checkout::new(Arc::clone(&fake), ten());
    let first = checkout.pay().await.unwrap_err();
    assert!(matches!(first, Error::OutcomeUnknown { .. }), "{first:?}");
    // The lookups work again: the same prepared payment is settled.
    let second = checkout.pay().await.unwrap();
    assert_eq!(second.status, PaymentStatus::Completed);
    assert_eq!(second.reference.as_str(), "order-1");
    assert_eq!(fake.prepares.load(Ordering::SeqCst), 1, "prepared once");
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1, "committed once");
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 2);
    // And it is final now.
    assert_eq!(checkout.pay().await.unwrap(), second);
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn only_a_known_failure_lets_a_checkout_refuse_and_a_new_payment_start() {
    let fake = Arc::new(Fake::new(CommitBehaviour::Decline));
    let checkout = Checkout::new(Arc::clone(&fake), ten());
    assert!(checkout.pay().await.unwrap_err().decline().is_some());
    let again = checkout.pay().await.unwrap_err();
    assert!(again.to_string().contains("start a new payment"), "{again}");
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn settle_is_the_later_call_that_settles_an_unknown_outcome() {
    let fake = Fake::scripted(
        CommitBehaviour::BookThenLoseAnswer,
        vec![Err(lookup_http_500())],
    );
    let prepared = fake.prepare(ten()).await.unwrap();
    let first = payments_core::commit_and_settle(&fake, &prepared)
        .await
        .unwrap_err();
    assert!(matches!(first, Error::OutcomeUnknown { .. }));
    let settled = settle(&fake, &prepared).await.unwrap();
    assert_eq!(settled.status, PaymentStatus::Completed);
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
}

/// No handler is held for minutes: past its deadline, a payment whose
/// commit may have left is unknown — with its reference — never a failure.
#[tokio::test]
async fn a_payment_past_its_deadline_is_unknown_with_its_reference() {
    let fake = Fake::new(CommitBehaviour::BookThenHang);
    let started = std::time::Instant::now();
    let error = payments_core::pay_within(&fake, ten(), std::time::Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), reason, .. }
            if r == "order-1" && reason.contains("deadline")),
        "{error:?}"
    );
    assert!(!error.outcome_known());
    // The same through a Checkout: it stays unsettled, and settles later.
    let fake = Arc::new(Fake::new(CommitBehaviour::BookThenHang));
    let checkout =
        Checkout::new(Arc::clone(&fake), ten()).with_deadline(std::time::Duration::from_millis(50));
    assert!(matches!(
        checkout.pay().await.unwrap_err(),
        Error::OutcomeUnknown { .. }
    ));
    assert_eq!(
        checkout.pay().await.unwrap().status,
        PaymentStatus::Completed
    );
    assert_eq!(
        fake.commits.load(Ordering::SeqCst),
        1,
        "never committed twice"
    );
}

#[test]
fn the_default_deadline_is_at_most_a_minute() {
    assert!(payments_core::gateway::DEFAULT_PAY_DEADLINE <= std::time::Duration::from_secs(60));
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

#[tokio::test]
async fn an_unknown_outcome_is_settled_by_the_reference_the_error_gives() {
    let fake = Fake::scripted(
        CommitBehaviour::BookThenLoseAnswer,
        vec![Ok(PaymentOutcome::new(
            MerchantReference::new("order-1", &RULES).unwrap(),
            PaymentStatus::Pending,
        ))],
    );
    let error = pay(&fake, ten()).await.unwrap_err();
    assert_eq!(error.code(), "outcome_unknown");
    assert_eq!(fake.open.open(), 1);
    let reference = error.reference().unwrap().to_owned();
    let outcome = settle_reference(&fake, &reference).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(fake.open.open(), 0);
    // Settled once, it answers again without asking the provider.
    let again = settle_reference(&fake, &reference).await.unwrap();
    assert_eq!(again, outcome);
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 2);
    assert_eq!(
        fake.commits.load(Ordering::SeqCst),
        1,
        "never committed again"
    );
}

#[tokio::test]
async fn a_payment_whose_future_was_dropped_mid_commit_is_settled_by_reference() {
    let fake = Fake::new(CommitBehaviour::BookThenHang);
    // The handler's future is dropped while the commit hangs.
    let dropped =
        tokio::time::timeout(std::time::Duration::from_millis(100), pay(&fake, ten())).await;
    assert!(dropped.is_err(), "the payment was still running");
    assert_eq!(fake.open.open(), 1);
    let outcome = settle_reference(&fake, "order-1").await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(fake.commits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_reference_this_process_never_committed_is_refused_by_name() {
    let fake = Fake::new(CommitBehaviour::Succeed);
    let error = settle_reference(&fake, "order-9").await.unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "reference"),
        "{error:?}"
    );
    assert!(error.to_string().contains("journal"), "{error}");
    assert_eq!(fake.reconciliations.load(Ordering::SeqCst), 0);
}
