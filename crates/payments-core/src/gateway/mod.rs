//! The payment lifecycle the providers share.
//!
//! Every provider fits the same four steps, whatever they are called on its
//! wire:
//!
//! | step | Jawali | Paykassma | Sipay wallet | Allpay |
//! |---|---|---|---|---|
//! | [`prepare`](Gateway::prepare) | voucher inquiry | reference for the deposit | begin QR payment | check user |
//! | [`commit`](Gateway::commit) — moves money | cash-out | activate | complete | terminal cash-in, driven to final |
//! | [`reconcile`](Gateway::reconcile) | status lookup by `refId` | postback (re-activate under the same id if it never arrived) | complete again (same session) | same request, same GUID |
//! | [`StatusLookup`] | yes | — | — | — |
//!
//! What the customer hands over differs per provider (a voucher and a mobile
//! number, a QR code, a transaction number), so the inputs are typed
//! per-provider structs — [`Gateway::Order`] and [`Gateway::Prepared`] —
//! never string maps. The results share one [`PaymentStatus`] model.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::http::RetryPolicy;
use crate::money::Money;
use crate::order::MerchantOrder;
use crate::reference::{MerchantReference, ProviderReference};

mod checkout;
mod open;

pub use checkout::{Checkout, Payable};
pub use open::{DEFAULT_OPEN_PAYMENTS, OpenPayments, settle_reference};

/// Where a payment stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Accepted by the provider, not final yet.
    Pending,
    /// Money moved. Final.
    Completed,
    /// It failed; money did not move. Final.
    Failed {
        /// The provider's reason.
        reason: String,
    },
    /// Cancelled by the payer or the merchant. Final.
    Cancelled,
    /// It expired before completing. Final.
    Expired,
    /// Not known: no answer yet, or a state this SDK does not recognise
    /// (kept as the provider wrote it).
    Unknown {
        /// What is known.
        detail: String,
    },
}

impl PaymentStatus {
    /// Whether the status will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            PaymentStatus::Completed
                | PaymentStatus::Failed { .. }
                | PaymentStatus::Cancelled
                | PaymentStatus::Expired
        )
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentStatus::Pending => f.write_str("pending"),
            PaymentStatus::Completed => f.write_str("completed"),
            PaymentStatus::Failed { reason } => write!(f, "failed: {reason}"),
            PaymentStatus::Cancelled => f.write_str("cancelled"),
            PaymentStatus::Expired => f.write_str("expired"),
            PaymentStatus::Unknown { detail } => write!(f, "unknown: {detail}"),
        }
    }
}

/// The result of a money-moving step, or of reconciling one. Serialized
/// flat, as a service returns it: the status by name beside the reference
/// (a failure's `reason`, an unknown status's `detail` beside it too).
///
/// ```
/// use payments_core::{Currency, MerchantReference, Money, PaymentOutcome, PaymentStatus};
/// use payments_core::reference::{Charset, ReferenceRules};
///
/// const RULES: ReferenceRules = ReferenceRules { field: "ref", max_len: 40, charset: Charset::AlphanumericDashUnderscore };
/// let outcome = PaymentOutcome::new(MerchantReference::new("order-1", &RULES)?, PaymentStatus::Completed)
///     .with_amount(Money::parse("1500", Currency::YER)?);
/// assert_eq!(
///     serde_json::to_value(&outcome)?,
///     serde_json::json!({
///         "reference": "order-1",
///         "provider_reference": null,
///         "amount": {"amount": "1500.00", "currency": "YER"},
///         "status": "completed",
///     })
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct PaymentOutcome {
    /// The merchant's reference of the payment.
    pub reference: MerchantReference,
    /// The provider's reference, when it gave one.
    pub provider_reference: Option<ProviderReference>,
    /// The amount that moved (or was to move), when the provider's answer says.
    pub amount: Option<Money>,
    /// Where it stands.
    #[serde(flatten)]
    pub status: PaymentStatus,
}

impl PaymentOutcome {
    /// An outcome whose amount is not known (yet).
    pub fn new(reference: MerchantReference, status: PaymentStatus) -> Self {
        PaymentOutcome {
            reference,
            provider_reference: None,
            amount: None,
            status,
        }
    }

    /// Adds the amount.
    #[must_use]
    pub fn with_amount(mut self, amount: Money) -> Self {
        self.amount = Some(amount);
        self
    }

    /// Adds the provider's reference.
    #[must_use]
    pub fn with_provider_reference(mut self, reference: ProviderReference) -> Self {
        self.provider_reference = Some(reference);
        self
    }
}

/// What a provider can do beyond the shared lifecycle.
///
/// The lifecycle itself (prepare, commit, reconcile) is always there; these
/// say how. A step that does not exist for a provider is absent from its
/// types too: only providers with a status lookup implement [`StatusLookup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// A payment can be looked up by merchant reference ([`StatusLookup`]).
    pub status_lookup: bool,
    /// The provider notifies the merchant server-to-server (postbacks).
    pub notifications: bool,
    /// Money moves *to* the customer (a cash-in) rather than from them.
    pub pays_out: bool,
    /// The prepare step talks to the provider (inquiry, begin, check user).
    pub remote_prepare: bool,
    /// How an unknown commit outcome is settled.
    pub reconciliation: Reconciliation,
}

impl Capabilities {
    /// A capability set.
    pub const fn new(
        status_lookup: bool,
        notifications: bool,
        pays_out: bool,
        remote_prepare: bool,
        reconciliation: Reconciliation,
    ) -> Self {
        Capabilities {
            status_lookup,
            notifications,
            pays_out,
            remote_prepare,
            reconciliation,
        }
    }
}

/// How a provider settles an unknown outcome — never by committing twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reconciliation {
    /// Look the payment up by merchant reference.
    StatusLookup,
    /// Send the identical request again: the provider finds the first one by
    /// its idempotency key (GUID, session id) and never books it twice.
    IdempotentRepeat,
    /// Wait for the provider's notification, repeating the request under its
    /// idempotency key when the first one provably never arrived.
    Notification,
}

impl fmt::Display for Reconciliation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reconciliation::StatusLookup => "status lookup",
            Reconciliation::IdempotentRepeat => "idempotent repeat",
            Reconciliation::Notification => "notification",
        })
    }
}

/// A provider, seen through the lifecycle every provider shares.
///
/// ```
/// use payments_core::{Gateway, PaymentStatus};
///
/// // One generic flow for any provider: prepare, commit once, and if the
/// // commit's outcome is unknown, reconcile it the provider's way.
/// async fn checkout<G: Gateway>(gateway: &G, order: G::Order) -> payments_core::Result<bool> {
///     let outcome = payments_core::pay(gateway, order).await?;
///     Ok(outcome.status == PaymentStatus::Completed)
/// }
/// ```
#[async_trait]
pub trait Gateway: Send + Sync {
    /// What the merchant starts a payment with (Jawali: the order id,
    /// voucher, customer mobile, expected amount): a [`MerchantOrder`],
    /// whose [`OrderId`](crate::OrderId) makes a repeat recognisable.
    type Order: MerchantOrder + Clone + Send + Sync;
    /// What the prepare step established and the commit step consumes
    /// (Jawali: the inquired voucher and the reference for the cash-out).
    type Prepared: Clone + Send + Sync;

    /// The provider's short name (`"jawali"`).
    fn provider(&self) -> &'static str;

    /// What the provider can do.
    fn capabilities(&self) -> Capabilities;

    /// Checks the order (with the provider, where it can) without moving money.
    ///
    /// # Errors
    ///
    /// Invalid input, a decline (expired voucher, unknown wallet), transport errors.
    async fn prepare(&self, order: Self::Order) -> Result<Self::Prepared>;

    /// The merchant reference the commit of `prepared` carries: what an
    /// unknown outcome is settled by. Fixed at prepare time.
    fn reference<'a>(&self, prepared: &'a Self::Prepared) -> &'a MerchantReference;

    /// Moves the money. Never retried blindly: an [`Error::OutcomeUnknown`]
    /// (or any error whose outcome is not known) is settled by
    /// [`Gateway::reconcile`].
    ///
    /// # Errors
    ///
    /// A decline, [`Error::OutcomeUnknown`], transport errors.
    async fn commit(&self, prepared: &Self::Prepared) -> Result<PaymentOutcome>;

    /// Settles a commit whose outcome is unknown, the provider's way
    /// ([`Capabilities::reconciliation`]), without ever booking it twice.
    /// Returns the final outcome, or `Pending` / an [`Error::OutcomeUnknown`]
    /// when the provider could not tell yet.
    ///
    /// # Errors
    ///
    /// Declines (the payment did not happen), transport errors.
    async fn reconcile(&self, prepared: &Self::Prepared) -> Result<PaymentOutcome>;

    /// The operation [`Gateway::commit`] runs on the provider's wire
    /// (`jawali.cash_out`): what a deadline that passed after the commit
    /// names, so that one event has one name whichever door it came
    /// through. The default, `<provider>.commit`, is for gateways without
    /// one.
    fn commit_operation(&self) -> crate::Operation {
        crate::Operation::money_moving(self.provider(), "commit")
    }

    /// Where this gateway remembers the payments it committed in this
    /// process ([`settle_reference`]); `None` (the default) for one that
    /// does not.
    fn open_payments(&self) -> Option<&OpenPayments<Self::Prepared>> {
        None
    }
}

/// A [`Gateway`] whose prepared payments can be written down and read
/// back: what a durable journal needs to settle a payment after the process
/// that prepared it is gone (a crash, a deploy, a dropped request future).
///
/// Why a trait of its own and not `serde` bounds on [`Gateway::Prepared`]:
/// what is written is the provider's choice — the least that
/// [`Gateway::reconcile`] needs, in a versioned shape — and reading it back
/// validates it as input is validated (a reference against the provider's
/// own rules), which a derived `Deserialize` would not.
///
/// The saved state holds what the customer gave at checkout (a Jawali
/// voucher code, a wallet number); keep it as you keep orders. It holds no
/// credential of the merchant's.
///
/// ```
/// use payments_core::gateway::DurableGateway;
///
/// // A journal writes the prepared payment before the commit may leave, and
/// // a sweeper in another process reads it back to settle it.
/// fn round_trip<G: DurableGateway>(gateway: &G, prepared: &G::Prepared) -> payments_core::Result<G::Prepared> {
///     let saved = gateway.save_prepared(prepared)?;
///     gateway.restore_prepared(&saved)
/// }
/// ```
pub trait DurableGateway: Gateway {
    /// `prepared` as JSON, with everything [`Gateway::reconcile`] needs to
    /// settle its commit — including every reference that commit may be
    /// sent under.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] if it cannot be written (never for the
    /// provider crates' own types).
    fn save_prepared(&self, prepared: &Self::Prepared) -> Result<serde_json::Value>;

    /// A prepared payment from what [`DurableGateway::save_prepared`] wrote,
    /// validated again. Restored, it is for [`Gateway::reconcile`]: its
    /// commit may already have been sent, so never commit it again.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (field `prepared`, or the field that failed
    /// validation) for anything else.
    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<Self::Prepared>;
}

/// For [`DurableGateway`] implementations: `state` as JSON, in the shape
/// `{"version": version, "state": …}`, so that a later SDK knows what an
/// older one wrote.
///
/// # Errors
///
/// [`Error::Configuration`] when `state` does not serialize.
pub fn save_state<T: serde::Serialize>(version: u32, state: &T) -> Result<serde_json::Value> {
    let state = serde_json::to_value(state).map_err(|e| {
        Error::configuration(format_args!("prepared state does not serialize: {e}"))
    })?;
    Ok(serde_json::json!({ "version": version, "state": state }))
}

/// For [`DurableGateway`] implementations: the state [`save_state`] wrote
/// with `version`, for `what` (`"a saved Jawali payment"`).
///
/// # Errors
///
/// [`Error::InvalidInput`] for field `prepared`: another version, another
/// shape.
pub fn restore_state<T: serde::de::DeserializeOwned>(
    saved: &serde_json::Value,
    version: u32,
    what: &str,
) -> Result<T> {
    let found = saved.get("version").and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(version)) {
        return Err(Error::invalid(
            "prepared",
            format_args!(
                "{what} of version {version} was expected, not {}",
                found.map_or_else(
                    || "an unversioned value".to_owned(),
                    |v| format!("version {v}")
                )
            ),
        ));
    }
    let state = saved.get("state").unwrap_or(&serde_json::Value::Null);
    T::deserialize(state).map_err(|e| Error::invalid("prepared", format_args!("not {what}: {e}")))
}

/// Providers that can look a payment up by merchant reference.
#[async_trait]
pub trait StatusLookup: Send + Sync {
    /// The payment's status.
    ///
    /// # Errors
    ///
    /// Transport errors; an unknown reference is [`PaymentStatus::Unknown`].
    async fn status(&self, reference: &MerchantReference) -> Result<PaymentOutcome>;
}

/// How [`pay`] and the providers settle an unknown outcome by status lookups:
/// up to 8 lookups, 250 ms apart at first, at most 5 s apart.
pub fn default_reconcile_policy() -> RetryPolicy {
    RetryPolicy::new(8, Duration::from_millis(250), Duration::from_secs(5)).with_jitter(true)
}

/// What one attempt at settling an unknown outcome found.
#[derive(Debug)]
pub enum Attempt<T> {
    /// The provider proved how the payment ended: `Ok` a final outcome,
    /// `Err` a decline of the payment itself (it did not happen) or an
    /// integrity mismatch (it happened on other terms).
    Settled(Result<T>),
    /// Not settled yet: the provider still processes it, does not know it
    /// yet, or the attempt's own call failed (5xx, timeout, a dropped
    /// connection, a garbled answer, a refused token). Try again later.
    Open(Open),
}

/// Why an [`Attempt`] left the payment open.
#[derive(Debug)]
pub enum Open {
    /// The provider answered, but not finally (`"status PENDING"`).
    Waiting(String),
    /// The attempt's own call failed.
    Failed(Error),
}

impl<T> Attempt<T> {
    /// Open, waiting for the provider.
    pub fn waiting(detail: impl Into<String>) -> Self {
        Attempt::Open(Open::Waiting(detail.into()))
    }

    /// Open, because the attempt's call failed with `error`.
    pub fn failed(error: Error) -> Self {
        Attempt::Open(Open::Failed(error))
    }
}

/// Settles an unknown outcome by repeated attempts on `policy` — status
/// lookups, an idempotent repeat, a wait for a notification — until one
/// [`Attempt::Settled`] it. Failures of the attempts' own calls are *not*
/// the payment's outcome: they keep it open, exactly like "not found yet".
/// When the policy runs out (or an attempt fails in a way no repeat can
/// mend: a configuration error), the answer is [`Error::OutcomeUnknown`]
/// naming `reference`, with the last failure as its source.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
///
/// use payments_core::gateway::{Attempt, settle_by};
/// use payments_core::http::RetryPolicy;
/// use payments_core::reference::{Charset, ReferenceRules};
/// use payments_core::{Error, MerchantReference, Operation};
///
/// const RULES: ReferenceRules = ReferenceRules { field: "ref", max_len: 32, charset: Charset::Alphanumeric };
/// let reference = MerchantReference::new("order42", &RULES).unwrap();
/// let policy = RetryPolicy::new(3, Duration::from_millis(1), Duration::from_millis(1));
/// let lookups = AtomicU32::new(0);
/// let settled = settle_by(&policy, Operation::money_moving("demo", "cash_out"), &reference, None, |_| async {
///     match lookups.fetch_add(1, Ordering::SeqCst) {
///         // The lookup itself failed: that says nothing about the payment…
///         0 => Attempt::failed(Error::Transport {
///             operation: Operation::read("demo", "status"),
///             timed_out: true,
///             reason: "no answer".into(),
///             source: None,
///             diagnostics: None,
///         }),
///         // …so the next lookup is made, and it settles the payment.
///         _ => Attempt::Settled(Ok("completed")),
///     }
/// })
/// .await;
/// assert_eq!(settled.unwrap(), "completed");
/// # }
/// ```
///
/// # Errors
///
/// The settled error ([`Attempt::Settled`]), or [`Error::OutcomeUnknown`].
pub async fn settle_by<T, F, Fut>(
    policy: &RetryPolicy,
    operation: crate::Operation,
    reference: &MerchantReference,
    cause: Option<Error>,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    let mut rng = fastrand::Rng::new();
    // Where the money-moving call that left the payment open is found.
    let commit = cause.as_ref().map(Error::diagnostics).unwrap_or_default();
    let mut last: Option<Error> = cause;
    let mut detail = String::from("no attempt answered");
    let attempts = policy.max_attempts.max(1);
    let mut made = 0;
    for n in 1..=attempts {
        made = n;
        match attempt(n).await {
            Attempt::Settled(result) => return result,
            Attempt::Open(Open::Waiting(what)) => detail = what,
            Attempt::Open(Open::Failed(error)) => {
                detail = error.to_string();
                let hopeless = matches!(
                    error,
                    Error::Configuration { .. } | Error::InvalidInput { .. }
                );
                tracing::info!(
                    provider = operation.provider,
                    %reference,
                    attempt = n,
                    error = %error,
                    "reconciliation call failed; the payment stays open"
                );
                last = Some(error);
                if hopeless {
                    break;
                }
            }
        }
        if n < attempts {
            tokio::time::sleep(policy.backoff(n, &mut rng)).await;
        }
    }
    Err(Error::OutcomeUnknown {
        operation,
        reference: Some(reference.to_string()),
        reason: format!("not settled after {made} attempt(s); last: {detail}"),
        source: last.map(|e| Box::new(e) as crate::error::BoxError),
        diagnostics: None,
    }
    .with_diagnostics(&commit))
}

/// How long [`pay`] gives one payment, from prepare to its final outcome:
/// one minute, so that no request handler is held for minutes. When it
/// passes after the commit may have left, the answer is
/// [`Error::OutcomeUnknown`] with the reference — settle it later.
pub const DEFAULT_PAY_DEADLINE: Duration = Duration::from_secs(60);

/// Runs `flow` within `deadline`. When it passes, `on_deadline` says what
/// that means (before a commit: a timed-out read; after: unknown).
///
/// # Errors
///
/// `flow`'s error, or `on_deadline`'s.
pub async fn within<T>(
    deadline: Duration,
    flow: impl std::future::Future<Output = Result<T>>,
    on_deadline: impl FnOnce() -> Error,
) -> Result<T> {
    match tokio::time::timeout(deadline, flow).await {
        Ok(result) => result,
        Err(_) => Err(on_deadline()),
    }
}

/// The error for a deadline that passed after the commit of `reference`
/// may have left.
pub fn deadline_passed(
    operation: crate::Operation,
    reference: &MerchantReference,
    deadline: Duration,
) -> Error {
    Error::OutcomeUnknown {
        operation,
        reference: Some(reference.to_string()),
        reason: format!(
            "the payment's deadline of {} passed before its outcome was known; settle it later by this reference",
            crate::error::rounded(deadline)
        ),
        source: None,
        diagnostics: None,
    }
}

/// The error for a deadline that passed before anything could move.
pub fn deadline_before_commit(operation: crate::Operation, deadline: Duration) -> Error {
    Error::Transport {
        operation,
        timed_out: true,
        reason: format!(
            "the payment's deadline of {} passed before its commit; nothing moved",
            crate::error::rounded(deadline)
        ),
        source: None,
        diagnostics: None,
    }
}

/// The generic flow over any gateway: prepare, then [`commit_and_settle`],
/// within [`DEFAULT_PAY_DEADLINE`] ([`pay_within`] sets another).
///
/// Once the commit request may have left, the payment ends in a final
/// outcome the provider proved — `Ok` with a final [`PaymentStatus`], a
/// decline of the payment, an [`Error::IntegrityMismatch`] — or in
/// [`Error::OutcomeUnknown`] with its reference. Never in the error of a
/// follow-up call: a lookup that failed says nothing about the payment.
///
/// # Cancellation
///
/// Dropped once the commit may have left (an HTTP handler whose client went
/// away: axum drops the future), the prepared payment — what settles it —
/// is gone with the future. A service whose handlers can be dropped pays
/// through `payments_journal::Journaled` (the payment is written down
/// before its commit leaves; a repeat of the order or the sweeper settles
/// it), or spawns the payment so that it runs to its end.
///
/// # Errors
///
/// Errors of `prepare` (nothing moved); a commit decline (nothing moved);
/// an integrity mismatch; [`Error::OutcomeUnknown`].
pub async fn pay<G: Gateway + ?Sized>(gateway: &G, order: G::Order) -> Result<PaymentOutcome> {
    pay_within(gateway, order, DEFAULT_PAY_DEADLINE).await
}

/// [`pay`], within `deadline` in all. When it passes before the commit,
/// the error is a timed-out [`Error::Transport`] (nothing moved); after the
/// commit may have left, [`Error::OutcomeUnknown`] with the reference. The
/// flow runs in a `payment` span carrying the provider and the reference.
///
/// # Errors
///
/// As [`pay`].
pub async fn pay_within<G: Gateway + ?Sized>(
    gateway: &G,
    order: G::Order,
    deadline: Duration,
) -> Result<PaymentOutcome> {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "payment",
        provider = gateway.provider(),
        reference = tracing::field::Empty
    );
    async move {
        // One timer for the whole payment (a timer per step cost a loaded
        // service a third of its throughput); what its expiry means depends
        // on whether the commit may have left.
        let committing = std::sync::OnceLock::new();
        let flow = async {
            let order_id = Box::<str>::from(order.order_id().as_str());
            // Shared with the open payments, which remember it by
            // reference and order id without copying it.
            let prepared = Arc::new(gateway.prepare(order).await?);
            let reference = gateway.reference(&prepared);
            tracing::Span::current().record("reference", tracing::field::display(reference));
            let _ = committing.set(Arc::clone(&prepared));
            commit_and_settle_remembered(
                gateway,
                &prepared,
                || Arc::clone(&prepared),
                Some(order_id),
            )
            .await
        };
        match tokio::time::timeout(deadline, flow).await {
            Ok(result) => result,
            Err(_) => Err(match committing.get() {
                Some(prepared) => deadline_passed(
                    commit_operation(gateway),
                    gateway.reference(prepared),
                    deadline,
                ),
                None => deadline_before_commit(
                    crate::Operation::read(gateway.provider(), "prepare"),
                    deadline,
                ),
            }),
        }
    }
    .instrument(span)
    .await
}

/// The commit operation of `gateway`, as deadline errors name it.
pub fn commit_operation<G: Gateway + ?Sized>(gateway: &G) -> crate::Operation {
    gateway.commit_operation()
}

/// Prepares `order` within `deadline` (nothing can move yet: past it, a
/// timed-out [`Error::Transport`]); the prepared payment and the time left
/// — the first half of [`pay_within`], for flows that must act between
/// prepare and commit (a journal writing the payment down).
///
/// # Errors
///
/// What prepare fails with; the timed-out [`Error::Transport`].
pub async fn prepare_within<G: Gateway + ?Sized>(
    gateway: &G,
    order: G::Order,
    deadline: Duration,
) -> Result<(G::Prepared, Duration)> {
    let started = tokio::time::Instant::now();
    let prepare = crate::Operation::read(gateway.provider(), "prepare");
    let prepared = within(deadline, gateway.prepare(order), || {
        deadline_before_commit(prepare, deadline)
    })
    .await?;
    Ok((prepared, deadline.saturating_sub(started.elapsed())))
}

/// [`settle`] within `deadline`: past it, [`Error::OutcomeUnknown`] with
/// the payment's reference — for a journal settling an open payment in a
/// bounded time.
///
/// # Errors
///
/// As [`settle`]; [`Error::OutcomeUnknown`] past the deadline.
pub async fn settle_within<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
    deadline: Duration,
) -> Result<PaymentOutcome> {
    let reference = gateway.reference(prepared);
    within(deadline, settle(gateway, prepared), || {
        deadline_passed(commit_operation(gateway), reference, deadline)
    })
    .await
}

/// [`commit_and_settle`] within `deadline`: when it passes, the payment is
/// [`Error::OutcomeUnknown`] with its reference (the commit may have left).
///
/// # Errors
///
/// As [`commit_and_settle`].
pub async fn commit_and_settle_within<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
    deadline: Duration,
) -> Result<PaymentOutcome> {
    commit_for_within(gateway, prepared, None, deadline).await
}

/// [`commit_and_settle_within`] for the merchant's order `order_id`: the
/// payment is remembered in the gateway's [`OpenPayments`] under the order
/// too, so that `settle(order_id)` answers for the order's latest attempt
/// (what [`pay`], [`Checkout`] and `payments_journal::Journaled` do).
///
/// # Errors
///
/// As [`commit_and_settle`].
pub async fn commit_order_and_settle_within<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
    order_id: &crate::OrderId,
    deadline: Duration,
) -> Result<PaymentOutcome> {
    commit_for_within(gateway, prepared, Some(order_id.as_str().into()), deadline).await
}

async fn commit_for_within<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
    order_id: Option<Box<str>>,
    deadline: Duration,
) -> Result<PaymentOutcome> {
    let reference = gateway.reference(prepared);
    tracing::Span::current().record("reference", tracing::field::display(reference));
    let flow =
        commit_and_settle_remembered(gateway, prepared, || Arc::new(prepared.clone()), order_id);
    within(deadline, flow, || {
        deadline_passed(commit_operation(gateway), reference, deadline)
    })
    .await
}

/// Commits a prepared payment once; if its outcome is not final, settles it
/// with [`settle`]. See [`pay`] for what it answers.
///
/// # Errors
///
/// As [`pay`], without `prepare`'s.
pub async fn commit_and_settle<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
) -> Result<PaymentOutcome> {
    commit_and_settle_remembered(gateway, prepared, || Arc::new(prepared.clone()), None).await
}

/// [`commit_and_settle`], the payment remembered in the gateway's
/// [`OpenPayments`] as `remembered` makes it (for `order_id`, when known)
/// before the commit may leave.
async fn commit_and_settle_remembered<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
    remembered: impl FnOnce() -> Arc<G::Prepared>,
    order_id: Option<Box<str>>,
) -> Result<PaymentOutcome> {
    let reference = gateway.reference(prepared);
    let open = gateway.open_payments().map(|open| {
        let attempt = remembered();
        open.committing(reference, Arc::clone(&attempt), order_id);
        (open, attempt)
    });
    let result = commit_and_settle_once(gateway, prepared).await;
    if let Some((open, attempt)) = open {
        open.ended(reference, Some(&attempt), &result);
    }
    result
}

async fn commit_and_settle_once<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
) -> Result<PaymentOutcome> {
    let cause = match gateway.commit(prepared).await {
        Ok(outcome) if outcome.status.is_final() => return Ok(outcome),
        Ok(outcome) => {
            tracing::info!(provider = gateway.provider(), reference = %outcome.reference, status = %outcome.status, "commit not final yet: settling");
            None
        }
        // An integrity mismatch is returned as it is: the provider booked
        // something other than what was asked, and reconciling would only
        // report that booking as "completed".
        Err(error @ Error::IntegrityMismatch { .. }) => return Err(error),
        Err(error) if error.outcome_known() => return Err(error),
        Err(error) => {
            let reference = gateway.reference(prepared);
            tracing::warn!(provider = gateway.provider(), %reference, %error, "reconciling an unknown outcome");
            Some(error)
        }
    };
    settle_with_cause(gateway, prepared, cause).await
}

/// Settles a payment whose commit request may have left, through the
/// provider's [`Gateway::reconcile`] — never by committing again. What
/// `reconcile` answers is held to the payment-level rule: a final outcome,
/// a decline *of the money-moving operation* (the provider proved it did not
/// happen) or an integrity mismatch stand; a non-final status, and any other
/// error (a failed lookup, a refused token, a garbled answer), are
/// [`Error::OutcomeUnknown`] with the payment's reference. Call it again
/// later — it is what [`Checkout`] does on a second `pay()`.
///
/// # Errors
///
/// A proven decline or integrity mismatch; [`Error::OutcomeUnknown`].
pub async fn settle<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
) -> Result<PaymentOutcome> {
    let result = settle_with_cause(gateway, prepared, None).await;
    if let Some(open) = gateway.open_payments() {
        open.ended(gateway.reference(prepared), None, &result);
    }
    result
}

async fn settle_with_cause<G: Gateway + ?Sized>(
    gateway: &G,
    prepared: &G::Prepared,
    cause: Option<Error>,
) -> Result<PaymentOutcome> {
    let reference = gateway.reference(prepared);
    let operation = cause
        .as_ref()
        .and_then(Error::operation)
        .unwrap_or(commit_operation(gateway));
    // Where the money-moving call that left the payment open is found.
    let commit = cause.as_ref().map(Error::diagnostics).unwrap_or_default();
    let unknown = |reason: String, source: Option<Error>| {
        Error::OutcomeUnknown {
            operation,
            reference: Some(reference.to_string()),
            reason,
            source: source.map(|e| Box::new(e) as crate::error::BoxError),
            diagnostics: None,
        }
        .with_diagnostics(&commit)
    };
    match gateway.reconcile(prepared).await {
        Ok(outcome) if outcome.status.is_final() => Ok(outcome),
        Ok(outcome) => Err(unknown(
            format!(
                "the provider has not finished it ({}); settle it later by this reference",
                outcome.status
            ),
            cause,
        )),
        Err(error) if proves_outcome(&error) => Err(error),
        Err(error @ Error::OutcomeUnknown { .. }) => Err(error),
        Err(error) => Err(unknown(
            format!("reconciliation failed, the payment is not settled: {error}"),
            Some(error),
        )),
    }
}

/// Whether an error from reconciliation is a fact about the payment: a
/// decline or an integrity mismatch of the money-moving operation itself.
fn proves_outcome(error: &Error) -> bool {
    match error {
        Error::Declined { operation, .. } | Error::IntegrityMismatch { operation, .. } => {
            operation.kind == crate::OperationKind::MoneyMoving
        }
        _ => false,
    }
}
