//! Allpay as a [`Gateway`].

use payments_core::gateway::{DurableGateway, restore_state, save_state};
use payments_core::order::{MerchantOrder, OrderId, OrderTerm};
use payments_core::{
    Capabilities, Decline, DeclineKind, Error, Gateway, MerchantReference, Money, PaymentOutcome,
    PaymentStatus, Reconciliation, Result, async_trait,
};

use crate::AllpayClient;
use crate::model::{CashIn, TerminalPayment, TerminalStatus, UserInfo, UserName};

/// What Allpay can do: a cash-in *to* the customer, checked first; an unknown
/// outcome is settled by repeating the same request (same GUID).
pub const CAPABILITIES: Capabilities =
    Capabilities::new(false, false, true, true, Reconciliation::IdempotentRepeat);

/// A cash-in to a customer, for one merchant order.
///
/// Its GUID is derived from the agent (`requester`) and the order id
/// ([`AllpayClient::order_guid`]): a repeat of the order — a double click,
/// a retried request, a second process — sends the same GUID, and Allpay,
/// for which GUID and requester are unique, answers the transaction the
/// first one made instead of paying again.
///
/// What that answer cannot tell: Allpay answers a repeated GUID with the
/// first transaction's status, which names neither the customer nor the
/// amount — so an order id reused **on other terms** without a journal is
/// answered with the first cash-in's outcome. Keep one order id per order;
/// `payments_journal::Journaled` refuses a repeat on other terms before any
/// request. Two journal scopes (merchant accounts) must not share one
/// `requester`: their order ids would meet in one GUID space.
///
/// ```
/// use allpay_soap::{CashInOrder, Currency, Money, OrderId, UserName};
///
/// let order = CashInOrder::new(
///     OrderId::new("payout-1001")?,
///     UserName::new("77011234567")?,
///     Money::parse("1500", Currency::KZT)?,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashInOrder {
    /// The merchant's id of the order.
    pub order_id: OrderId,
    /// The customer's login.
    pub to_user: UserName,
    /// The amount, in KZT.
    pub amount: Money,
    attempt: u32,
}

impl CashInOrder {
    /// A cash-in of `amount` to `to_user` for order `order_id` (its first
    /// attempt).
    pub fn new(order_id: OrderId, to_user: UserName, amount: Money) -> Self {
        CashInOrder {
            order_id,
            to_user,
            amount,
            attempt: 1,
        }
    }
}

impl MerchantOrder for CashInOrder {
    fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    fn attempt(&self) -> u32 {
        self.attempt
    }

    fn set_attempt(&mut self, attempt: u32) {
        self.attempt = attempt.max(1);
    }

    fn terms(&self) -> Vec<OrderTerm> {
        vec![
            OrderTerm::new("to_user", self.to_user.as_str()),
            OrderTerm::money("amount", &self.amount),
        ]
    }
}

/// A checked cash-in, with its GUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCashIn {
    /// The customer, as Allpay described them.
    pub customer: UserInfo,
    /// The cash-in to send (its GUID is the merchant reference).
    pub cash_in: CashIn,
}

fn outcome(cash_in: &CashIn, payment: &TerminalPayment) -> PaymentOutcome {
    let status = match &payment.status {
        TerminalStatus::Completed => PaymentStatus::Completed,
        TerminalStatus::Declined => PaymentStatus::Failed {
            reason: payment
                .reason
                .clone()
                .unwrap_or_else(|| "declined".to_owned()),
        },
        TerminalStatus::Pending => PaymentStatus::Pending,
        other => PaymentStatus::Unknown {
            detail: format!("{other:?}"),
        },
    };
    PaymentOutcome::new(cash_in.guid.clone(), status).with_amount(cash_in.amount)
}

/// prepare = `checkUserAndValidateCashIn` and the order's GUID; commit = a terminal
/// cash-in driven to its final status; reconcile = the same, same GUID.
#[async_trait]
impl Gateway for AllpayClient {
    type Order = CashInOrder;
    type Prepared = CheckedCashIn;

    fn provider(&self) -> &'static str {
        "allpay"
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn prepare(&self, order: CashInOrder) -> Result<CheckedCashIn> {
        let Some(customer) = self.check_user_for_cash_in(&order.to_user).await? else {
            return Err(Error::declined(
                payments_core::Operation::read("allpay", "check_user_and_validate_cash_in"),
                Decline::new(
                    "NO_SUCH_USER",
                    DeclineKind::AccountNotFound,
                    format!("no Allpay customer `{}`", order.to_user),
                ),
            ));
        };
        let cash_in = CashIn {
            guid: self.order_guid(&order.order_id, order.attempt)?,
            to_user: order.to_user,
            amount: order.amount,
        };
        Ok(CheckedCashIn { customer, cash_in })
    }

    fn reference<'a>(&self, prepared: &'a CheckedCashIn) -> &'a MerchantReference {
        &prepared.cash_in.guid
    }

    async fn commit(&self, prepared: &CheckedCashIn) -> Result<PaymentOutcome> {
        let payment = self.drive_cash_in_payment(&prepared.cash_in).await?;
        Ok(outcome(&prepared.cash_in, &payment))
    }

    async fn reconcile(&self, prepared: &CheckedCashIn) -> Result<PaymentOutcome> {
        self.commit(prepared).await
    }

    fn commit_operation(&self) -> payments_core::Operation {
        AllpayClient::cash_in_operation()
    }

    fn open_payments(&self) -> Option<&payments_core::gateway::OpenPayments<CheckedCashIn>> {
        Some(self.open())
    }
}

impl AllpayClient {
    /// Settles a payment this client committed — by the reference
    /// [`Error::reference`] gives for an [`Error::OutcomeUnknown`], or by the
    /// merchant's order id it was paid for —
    /// by sending the same cash-in under the same GUID again, which Allpay answers with the payment it made, never a second one. A payment that ended answers how it ended again.
    /// A reference answers for its own payment; an order id (paid through
    /// `pay`, `Checkout` or `payments_journal::Journaled`) for the order's
    /// latest attempt.
    ///
    /// ```no_run
    /// # async fn run(client: allpay_soap::AllpayClient, order: allpay_soap::CashInOrder) -> allpay_soap::Result<()> {
    /// match allpay_soap::pay(&client, order).await {
    ///     Err(error) if error.code() == "outcome_unknown" => {
    ///         let reference = error.reference().unwrap_or_default().to_owned();
    ///         // Later (a back-office button, a timer):
    ///         let outcome = client.settle(&reference).await?;
    ///         println!("{reference}: {}", outcome.status);
    ///     }
    ///     other => println!("{:?}", other.map(|outcome| outcome.status)),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// It knows the last 10,000 payments this client (and its clones)
    /// committed in this process — those whose future was dropped
    /// mid-commit included (settle those by the order id they were paid
    /// for through `pay`, `Checkout` or a journal: the reference went with
    /// the future). A payment made by another process is settled
    /// through the journal that made it (`payments_journal::Journaled`).
    ///
    /// # Errors
    ///
    /// A proven decline or mismatch; [`Error::OutcomeUnknown`] while the
    /// provider cannot tell yet; [`Error::InvalidInput`] naming `reference`
    /// for a reference this process did not commit.
    pub async fn settle(&self, reference: &str) -> Result<payments_core::PaymentOutcome> {
        payments_core::gateway::settle_reference(self, reference).await
    }
}

/// A checked cash-in as a journal keeps it (version 1): the customer as
/// Allpay described them, and the cash-in with its GUID.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCashIn {
    customer: UserInfo,
    to_user: String,
    amount: Money,
    guid: String,
}

/// Checked cash-ins are saved with their GUID; restored, they are settled
/// by repeating the same request, which Allpay answers with the
/// transaction that GUID already made.
impl DurableGateway for AllpayClient {
    fn save_prepared(&self, prepared: &CheckedCashIn) -> Result<serde_json::Value> {
        save_state(
            1,
            &SavedCashIn {
                customer: prepared.customer.clone(),
                to_user: prepared.cash_in.to_user.as_str().to_owned(),
                amount: prepared.cash_in.amount,
                guid: prepared.cash_in.guid.as_str().to_owned(),
            },
        )
    }

    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<CheckedCashIn> {
        let saved: SavedCashIn = restore_state(saved, 1, "a saved Allpay cash-in")?;
        Ok(CheckedCashIn {
            customer: saved.customer,
            cash_in: CashIn {
                to_user: UserName::new(&saved.to_user)?,
                amount: saved
                    .amount
                    .require_positive()
                    .map_err(|e| Error::invalid_money("amount", &e))?,
                guid: MerchantReference::new(saved.guid, self.guid_rules())?,
            },
        })
    }
}
