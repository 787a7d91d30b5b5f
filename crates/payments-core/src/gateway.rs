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
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::http::RetryPolicy;
use crate::money::Money;
use crate::reference::{MerchantReference, ProviderReference};

/// Where a payment stands.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The result of a money-moving step, or of reconciling one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentOutcome {
    /// The merchant's reference of the payment.
    pub reference: MerchantReference,
    /// The provider's reference, when it gave one.
    pub provider_reference: Option<ProviderReference>,
    /// The amount that moved (or was to move), when the provider's answer says.
    pub amount: Option<Money>,
    /// Where it stands.
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
    /// What the merchant starts a payment with (Jawali: voucher, customer
    /// mobile, expected amount).
    type Order: Send + Sync;
    /// What the prepare step established and the commit step consumes
    /// (Jawali: the inquired voucher and the reference for the cash-out).
    type Prepared: Send + Sync;

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
    RetryPolicy {
        max_attempts: 8,
        initial_backoff: Duration::from_millis(250),
        max_backoff: Duration::from_secs(5),
        jitter: true,
    }
}

/// The generic flow over any gateway: prepare, commit once, and if the
/// commit's outcome is unknown, reconcile it — never commit twice. An
/// [`Error::IntegrityMismatch`] is returned, not reconciled: it needs a person.
///
/// # Errors
///
/// Errors of `prepare`; of `commit` when its outcome is known; of
/// `reconcile` otherwise.
pub async fn pay<G: Gateway + ?Sized>(gateway: &G, order: G::Order) -> Result<PaymentOutcome> {
    let prepared = gateway.prepare(order).await?;
    match gateway.commit(&prepared).await {
        Ok(outcome) => Ok(outcome),
        // An integrity mismatch is returned as it is: the provider booked
        // something other than what was asked, and reconciling would only
        // report that booking as "completed".
        Err(error)
            if !error.outcome_known() && !matches!(error, Error::IntegrityMismatch { .. }) =>
        {
            let reference = gateway.reference(&prepared);
            tracing::warn!(provider = gateway.provider(), %reference, %error, "reconciling an unknown outcome");
            gateway.reconcile(&prepared).await
        }
        Err(error) => Err::<_, Error>(error),
    }
}

/// A payment bound to its gateway, behind an object-safe interface, so that
/// payments through different providers can be held and run alike:
///
/// ```
/// use payments_core::gateway::{Checkout, Payable};
/// # fn build() -> Vec<Box<dyn Payable>> { Vec::new() }
/// # async fn run() {
/// let payments: Vec<Box<dyn Payable>> = build(); // Checkout::new(jawali, order), Checkout::new(allpay, order), …
/// for payment in &payments {
///     let outcome = payment.pay().await;
///     println!("{}: {outcome:?}", payment.provider());
/// }
/// # }
/// ```
#[async_trait]
pub trait Payable: Send + Sync {
    /// The provider's short name.
    fn provider(&self) -> &'static str;
    /// What the provider can do.
    fn capabilities(&self) -> Capabilities;
    /// Runs the payment with [`pay`]. A second call answers the first
    /// call's outcome: a bound payment is paid at most once.
    ///
    /// # Errors
    ///
    /// As [`pay`].
    async fn pay(&self) -> Result<PaymentOutcome>;
}

/// A gateway and one order, as a [`Payable`].
pub struct Checkout<G: Gateway> {
    gateway: std::sync::Arc<G>,
    order: tokio::sync::Mutex<Option<G::Order>>,
    outcome: tokio::sync::Mutex<Option<PaymentOutcome>>,
}

impl<G: Gateway> Checkout<G> {
    /// Binds `order` to `gateway`.
    pub fn new(gateway: std::sync::Arc<G>, order: G::Order) -> Self {
        Checkout {
            gateway,
            order: tokio::sync::Mutex::new(Some(order)),
            outcome: tokio::sync::Mutex::new(None),
        }
    }
}

#[async_trait]
impl<G: Gateway + 'static> Payable for Checkout<G> {
    fn provider(&self) -> &'static str {
        self.gateway.provider()
    }

    fn capabilities(&self) -> Capabilities {
        self.gateway.capabilities()
    }

    async fn pay(&self) -> Result<PaymentOutcome> {
        let mut outcome = self.outcome.lock().await;
        if let Some(done) = outcome.as_ref() {
            return Ok(done.clone());
        }
        let Some(order) = self.order.lock().await.take() else {
            return Err(Error::invalid(
                "order",
                "this payment already ran and failed; make a new one",
            ));
        };
        let result = pay(self.gateway.as_ref(), order).await?;
        *outcome = Some(result.clone());
        Ok(result)
    }
}
