//! The payment lifecycle the providers share.
//!
//! Every provider fits the same four steps, whatever they are called on its
//! wire:
//!
//! | step | Jawali | Paykassma | Sipay wallet | Allpay |
//! |---|---|---|---|---|
//! | [`prepare`](Gateway::prepare) | voucher inquiry | create (wallet to pay into) | begin QR payment | check user |
//! | [`commit`](Gateway::commit) — moves money | cash-out | activate | complete | cash-in |
//! | [`status`](Gateway::status) | check status by `refId` | (postbacks) | — | repeat with the same GUID |
//! | [`reconcile`](Gateway::reconcile) | status until known | … | … | … |
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

/// A provider, seen through the lifecycle every provider shares.
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

    /// Checks the order with the provider without moving money.
    ///
    /// # Errors
    ///
    /// Invalid input, a decline (expired voucher, unknown wallet), transport errors.
    async fn prepare(&self, order: Self::Order) -> Result<Self::Prepared>;

    /// The merchant reference the commit of `prepared` will carry: what an
    /// unknown outcome is reconciled by. Fixed at prepare time, so a
    /// reconciliation looks up exactly the reference that was sent.
    fn reference<'a>(&self, prepared: &'a Self::Prepared) -> &'a MerchantReference;

    /// Moves the money. Never retried blindly: an
    /// [`Error::OutcomeUnknown`] means [`Gateway::reconcile`] must settle it.
    ///
    /// # Errors
    ///
    /// A decline, [`Error::OutcomeUnknown`], transport errors.
    async fn commit(&self, prepared: &Self::Prepared) -> Result<PaymentOutcome>;

    /// The payment's status, looked up by the merchant reference.
    ///
    /// # Errors
    ///
    /// Transport errors; a provider that has no such payment answers
    /// a decline or [`PaymentStatus::Unknown`], as documented per crate.
    async fn status(&self, reference: &MerchantReference) -> Result<PaymentOutcome>;

    /// Settles an unknown outcome: looks the payment up until the provider
    /// gives a final status or `policy`'s attempts run out (the last answer
    /// is returned then, `Pending` or `Unknown`).
    ///
    /// # Errors
    ///
    /// The last lookup's error when every attempt failed.
    async fn reconcile(
        &self,
        reference: &MerchantReference,
        policy: &RetryPolicy,
    ) -> Result<PaymentOutcome> {
        let mut rng = fastrand::Rng::new();
        let mut attempt = 1;
        loop {
            let result = self.status(reference).await;
            let done = match &result {
                Ok(outcome) => outcome.status.is_final(),
                Err(error) => !error.is_retryable(),
            };
            if done || attempt >= policy.max_attempts {
                return result;
            }
            tokio::time::sleep(policy.backoff(attempt, &mut rng)).await;
            attempt += 1;
        }
    }
}

/// How [`pay`] settles an unknown outcome: up to 8 lookups, 250 ms apart at
/// first, at most 5 s apart.
pub fn default_reconcile_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        initial_backoff: Duration::from_millis(250),
        max_backoff: Duration::from_secs(5),
        jitter: true,
    }
}

/// The generic flow over any gateway: prepare, commit once, and if the
/// commit's outcome is unknown, reconcile it by reference — never commit twice.
///
/// # Errors
///
/// Errors of `prepare`; of `commit` when its outcome is known; of
/// `reconcile` otherwise.
pub async fn pay<G: Gateway + ?Sized>(gateway: &G, order: G::Order) -> Result<PaymentOutcome> {
    let prepared = gateway.prepare(order).await?;
    match gateway.commit(&prepared).await {
        Ok(outcome) => Ok(outcome),
        Err(error) if !error.outcome_known() => {
            let reference = gateway.reference(&prepared);
            tracing::warn!(provider = gateway.provider(), %reference, %error, "reconciling an unknown outcome");
            gateway
                .reconcile(reference, &default_reconcile_policy())
                .await
        }
        Err(error) => Err::<_, Error>(error),
    }
}
