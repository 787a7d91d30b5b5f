use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A failure the sandbox can inject into one request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Wait this long, then process the request and answer normally. Past
    /// the client's timeout, the provider has processed what the client
    /// gave up on.
    Delay(Duration),
    /// Answer this HTTP status with an HTML error page, without processing
    /// the request (a gateway in front of the provider failing).
    Status(u16),
    /// Process the request, then answer 200 with the first half of the body
    /// (or an HTML fragment when it was empty).
    MalformedBody,
    /// Process the request, then answer 200 with this body instead (an empty
    /// body, an HTML page, one over the client's size cap).
    ReplaceBody(bytes::Bytes),
    /// Close the connection without processing the request.
    DropBeforeCommit,
    /// Process the request — the simulated provider commits — then close the
    /// connection without answering.
    DropAfterCommit,
    /// Process the request, then answer this HTTP status with an HTML error
    /// page (a proxy or a crashed handler after the provider booked it).
    CommitThenStatus(u16),
    /// Process the request, then answer this instead — a provider's own
    /// "system error" code after it booked the payment, an error page.
    CommitThenAnswer {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type`.
        content_type: &'static str,
        /// The body.
        body: bytes::Bytes,
    },
}

impl Fault {
    /// [`Fault::CommitThenAnswer`]: process, then answer `status` with
    /// `body` of `content_type`.
    pub fn commit_then(
        status: u16,
        content_type: &'static str,
        body: impl Into<bytes::Bytes>,
    ) -> Fault {
        Fault::CommitThenAnswer {
            status,
            content_type,
            body: body.into(),
        }
    }

    /// Whether the simulated provider processes the request under this fault.
    pub fn commits(&self) -> bool {
        matches!(
            self,
            Fault::Delay(_)
                | Fault::MalformedBody
                | Fault::ReplaceBody(_)
                | Fault::DropAfterCommit
                | Fault::CommitThenStatus(_)
                | Fault::CommitThenAnswer { .. }
        )
    }
}

/// A fault that was injected, for test assertions and campaign ledgers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    /// The operation it hit, as the sandbox's handler named it.
    pub operation: String,
    /// The fault.
    pub fault: Fault,
}

#[derive(Debug)]
struct Rule {
    operation: Option<String>,
    fault: Fault,
    remaining: u32,
}

#[derive(Debug)]
struct Random {
    rng: fastrand::Rng,
    per_mille: u32,
    kinds: Vec<Fault>,
    operations: Option<Vec<String>>,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    random: Option<Random>,
    log: Vec<InjectedFault>,
}

/// The faults a sandbox server injects: scripted ones first (in the order
/// they were added), then seeded random ones if configured.
///
/// ```
/// use payments_core::sandbox::{Fault, Faults};
///
/// let faults = Faults::default();
/// faults.inject("cash_out", Fault::DropAfterCommit);
/// assert_eq!(faults.next_for("inquiry"), None);
/// assert_eq!(faults.next_for("cash_out"), Some(Fault::DropAfterCommit));
/// assert_eq!(faults.next_for("cash_out"), None);
/// ```
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<State>,
}

impl Faults {
    /// Injects `fault` into the next request for `operation`.
    pub fn inject(&self, operation: impl Into<String>, fault: Fault) {
        self.inject_times(Some(operation.into()), fault, 1);
    }

    /// Injects `fault` into the next `times` requests for `operation`
    /// (`None`: any operation).
    pub fn inject_times(&self, operation: Option<String>, fault: Fault, times: u32) {
        self.lock().rules.push(Rule {
            operation,
            fault,
            remaining: times,
        });
    }

    /// From now on, injects one of `kinds` into a request with probability
    /// `per_mille`/1000, choosing from a generator seeded with `seed` (the
    /// same seed and requests give the same faults). `operations`: only
    /// those operations (`None`: all).
    pub fn random(
        &self,
        seed: u64,
        per_mille: u32,
        kinds: Vec<Fault>,
        operations: Option<Vec<String>>,
    ) {
        self.lock().random = Some(Random {
            rng: fastrand::Rng::with_seed(seed),
            per_mille: per_mille.min(1000),
            kinds,
            operations,
        });
    }

    /// Removes every scripted and random fault (the log is kept).
    pub fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.random = None;
    }

    /// Every fault injected so far.
    pub fn injected(&self) -> Vec<InjectedFault> {
        self.lock().log.clone()
    }

    /// The fault for the next request for `operation`, if any; consumes it.
    pub fn next_for(&self, operation: &str) -> Option<Fault> {
        let mut state = self.lock();
        let scripted = state
            .rules
            .iter()
            .position(|r| r.operation.as_deref().is_none_or(|o| o == operation));
        let fault = if let Some(index) = scripted {
            let rule = state.rules.get_mut(index)?;
            rule.remaining = rule.remaining.saturating_sub(1);
            let fault = rule.fault.clone();
            if rule.remaining == 0 {
                state.rules.remove(index);
            }
            Some(fault)
        } else {
            state.random.as_mut().and_then(|random| {
                let applies = random
                    .operations
                    .as_ref()
                    .is_none_or(|ops| ops.iter().any(|o| o == operation));
                if !applies
                    || random.kinds.is_empty()
                    || random.rng.u32(0..1000) >= random.per_mille
                {
                    return None;
                }
                let pick = random.rng.usize(0..random.kinds.len());
                random.kinds.get(pick).cloned()
            })
        };
        if let Some(fault) = &fault {
            state.log.push(InjectedFault {
                operation: operation.to_owned(),
                fault: fault.clone(),
            });
        }
        fault
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
