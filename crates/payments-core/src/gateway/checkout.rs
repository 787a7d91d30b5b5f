//! A payment bound to its gateway, behind an object-safe interface.

use std::time::Duration;

use super::{
    DEFAULT_PAY_DEADLINE, Gateway, PaymentOutcome, commit_order_and_settle_within, prepare_within,
    settle_within,
};
use crate::order::MerchantOrder;
use crate::{Capabilities, Error, Result, async_trait};

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
    /// Runs the payment with [`pay`](super::pay), at most once:
    ///
    /// - after a final outcome, a second call answers it again;
    /// - after [`Error::OutcomeUnknown`], a second call **resumes
    ///   reconciliation** of the same prepared payment (same reference,
    ///   session, GUID) — it never prepares or commits again;
    /// - after a failure before anything could move (prepare refused, a
    ///   transport error before the commit), a second call tries again;
    /// - after a proven failure of the payment (a decline, an integrity
    ///   mismatch), a second call refuses: start a new payment.
    ///
    /// # Errors
    ///
    /// As [`pay`](super::pay).
    async fn pay(&self) -> Result<PaymentOutcome>;
}

/// Where a [`Checkout`] stands.
enum Stage<G: Gateway> {
    /// Not committed: the order, to prepare (again, after a refusal).
    Order(G::Order),
    /// The commit request may have left: only reconciliation from here.
    Unsettled(G::Prepared),
    /// Final.
    Done(PaymentOutcome),
    /// The provider proved the payment failed.
    Failed(String),
}

/// A gateway and one order, as a [`Payable`].
pub struct Checkout<G: Gateway> {
    gateway: std::sync::Arc<G>,
    stage: tokio::sync::Mutex<Stage<G>>,
    deadline: Duration,
}

impl<G: Gateway> Checkout<G> {
    /// Binds `order` to `gateway`; each `pay()` runs within [`DEFAULT_PAY_DEADLINE`].
    pub fn new(gateway: std::sync::Arc<G>, order: G::Order) -> Self {
        Checkout {
            gateway,
            stage: tokio::sync::Mutex::new(Stage::Order(order)),
            deadline: DEFAULT_PAY_DEADLINE,
        }
    }

    /// Each `pay()` runs within `deadline` instead.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }
}

#[async_trait]
impl<G> Payable for Checkout<G>
where
    G: Gateway + 'static,
{
    fn provider(&self) -> &'static str {
        self.gateway.provider()
    }

    fn capabilities(&self) -> Capabilities {
        self.gateway.capabilities()
    }

    async fn pay(&self) -> Result<PaymentOutcome> {
        let mut stage = self.stage.lock().await;
        let gateway = self.gateway.as_ref();
        let (result, prepared) = match &*stage {
            Stage::Done(outcome) => return Ok(outcome.clone()),
            Stage::Failed(reason) => {
                return Err(Error::invalid(
                    "payment",
                    format_args!("this payment already failed ({reason}); start a new payment"),
                ));
            }
            Stage::Unsettled(prepared) => {
                (settle_within(gateway, prepared, self.deadline).await, None)
            }
            Stage::Order(order) => {
                // Preparing moves no money: after a refusal, it may run again.
                let (prepared, left) =
                    prepare_within(gateway, order.clone(), self.deadline).await?;
                let result =
                    commit_order_and_settle_within(gateway, &prepared, order.order_id(), left)
                        .await;
                (result, Some(prepared))
            }
        };
        match &result {
            Ok(outcome) => *stage = Stage::Done(outcome.clone()),
            Err(Error::OutcomeUnknown { .. }) => {
                if let Some(prepared) = prepared {
                    *stage = Stage::Unsettled(prepared);
                }
            }
            // The provider proved the payment failed.
            Err(error @ (Error::Declined { .. } | Error::IntegrityMismatch { .. })) => {
                *stage = Stage::Failed(error.to_string());
            }
            // Refused before anything could move: the order may run again.
            Err(_) => {}
        }
        result
    }
}
