//! The retry policy: when it applies, and how long it waits.

use std::time::Duration;

use payments_core::http::RetryPolicy;
use payments_core::{Error, Operation, OperationKind};

fn transport(kind: OperationKind) -> Error {
    Error::Transport {
        operation: Operation {
            provider: "t",
            name: "op",
            kind,
        },
        timed_out: true,
        reason: "timeout".into(),
        source: None,
        diagnostics: None,
    }
}

fn not_sent() -> Error {
    Error::NotSent {
        operation: Operation::money_moving("t", "pay"),
        reason: "refused".into(),
        source: None,
        diagnostics: None,
    }
}

fn unknown() -> Error {
    Error::OutcomeUnknown {
        operation: Operation::money_moving("t", "pay"),
        reference: None,
        reason: "timeout".into(),
        source: None,
        diagnostics: None,
    }
}

#[test]
fn money_moving_calls_are_retried_only_when_provably_not_sent() {
    let policy = RetryPolicy::default();
    assert!(policy.should_retry(OperationKind::MoneyMoving, &not_sent(), 1));
    assert!(!policy.should_retry(OperationKind::MoneyMoving, &unknown(), 1));
    assert!(!policy.should_retry(
        OperationKind::MoneyMoving,
        &transport(OperationKind::MoneyMoving),
        1
    ));
}

#[test]
fn reads_are_retried_on_transient_errors_until_attempts_run_out() {
    let policy = RetryPolicy::default();
    assert!(policy.should_retry(OperationKind::Read, &transport(OperationKind::Read), 1));
    assert!(policy.should_retry(OperationKind::Read, &transport(OperationKind::Read), 2));
    assert!(!policy.should_retry(OperationKind::Read, &transport(OperationKind::Read), 3));
    assert!(!policy.should_retry(OperationKind::Read, &Error::invalid("x", "y"), 1));
    assert!(!RetryPolicy::none().should_retry(
        OperationKind::Read,
        &transport(OperationKind::Read),
        1
    ));
}

#[test]
fn backoff_grows_exponentially_up_to_the_cap_without_jitter() {
    let policy = RetryPolicy::new(10, Duration::from_millis(100), Duration::from_millis(700));
    let mut rng = fastrand::Rng::with_seed(1);
    let waits: Vec<u128> = (1..=6)
        .map(|a| policy.backoff(a, &mut rng).as_millis())
        .collect();
    assert_eq!(waits, [100, 200, 400, 700, 700, 700]);
    assert_eq!(
        policy.backoff(u32::MAX, &mut rng),
        Duration::from_millis(700)
    );
}

#[test]
fn jittered_backoff_stays_between_half_and_all_of_the_delay() {
    let policy =
        RetryPolicy::new(10, Duration::from_millis(100), Duration::from_secs(5)).with_jitter(true);
    let mut rng = fastrand::Rng::with_seed(42);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let wait = policy.backoff(3, &mut rng);
        assert!(
            wait >= Duration::from_millis(200) && wait <= Duration::from_millis(400),
            "{wait:?}"
        );
        seen.insert(wait);
    }
    assert!(seen.len() > 50, "jitter spreads the waits");
}
