use std::time::Duration;

use crate::error::Error;
use crate::operation::OperationKind;

/// When and how fast to repeat a failed call.
///
/// The policy is only ever applied where repeating is safe: to operations
/// that are idempotent, or to errors that prove the request was not sent.
/// A money-moving call whose request may have gone out is never repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (`1` = no retry).
    pub max_attempts: u32,
    /// The wait before the second attempt.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// Whether waits are randomised (between half and all of the
    /// exponential delay) so that many clients do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms then 400 ms (± jitter), at most 5 s apart.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// `max_attempts` attempts in all, waiting `initial_backoff` before the
    /// second and doubling up to `max_backoff`, without jitter
    /// ([`with_jitter`](Self::with_jitter) adds it).
    pub const fn new(max_attempts: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        RetryPolicy {
            max_attempts,
            initial_backoff,
            max_backoff,
            jitter: false,
        }
    }

    /// The same policy, its waits randomised (`true`) or not.
    #[must_use]
    pub const fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// A single attempt.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether to try again after `error` on attempt number `attempt` (1-based)
    /// of an operation of `kind`.
    pub fn should_retry(&self, kind: OperationKind, error: &Error, attempt: u32) -> bool {
        if attempt >= self.max_attempts {
            return false;
        }
        match error {
            // Nothing reached the provider: even money-moving calls may go again.
            Error::NotSent { .. } => true,
            _ => kind.is_idempotent() && error.is_retryable(),
        }
    }

    /// The wait after attempt number `attempt` (1-based): exponential from
    /// `initial_backoff`, capped at `max_backoff`, jittered when enabled.
    pub fn backoff(&self, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let exponential = self
            .initial_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff);
        if !self.jitter {
            return exponential;
        }
        let nanos = u64::try_from(exponential.as_nanos()).unwrap_or(u64::MAX);
        let half = nanos / 2;
        Duration::from_nanos(half + rng.u64(0..=nanos - half))
    }
}
