//! Paykassma as a [`Gateway`], with the postback inbox its reconciliation needs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use payments_core::gateway::{
    Attempt, DurableGateway, OpenPayments, restore_state, save_state, settle_by,
};
use payments_core::http::RetryPolicy;
use payments_core::order::{MerchantOrder, OrderId, OrderTerm};
use payments_core::{
    Capabilities, Currency, DeclineKind, Error, Gateway, MerchantReference, Money, PaymentOutcome,
    PaymentStatus, Reconciliation, Result, async_trait,
};

use crate::PaykassmaClient;
use crate::inbox::{PostbackInbox, PostbackRecord};
use crate::model::{
    Activation, ActivationOutcome, CUSTOM_TRANSACTION_ID_RULES, Label, TransactionNumber,
    WalletType,
};
use crate::postback::PostbackStatus;
use crate::wire::ACTIVATE;

/// What Paykassma can do: no status lookup; the result comes by postback.
pub const CAPABILITIES: Capabilities =
    Capabilities::new(false, true, false, false, Reconciliation::Notification);

/// A deposit the user paid and whose transaction number they typed in,
/// for one merchant order.
///
/// Its `custom_transaction_id` is the order id ([`OrderId::attempt_key`]
/// of its attempt): a repeat of the order — a double click, a retried
/// request, a second process — activates under the same id, which
/// Paykassma refuses as taken; that refusal is read as "this order was
/// activated before", and the repeat is settled by the first one's
/// postback, never reported as a decline.
///
/// ```
/// use paykassma::{Currency, DepositOrder, Label, Money, OrderId, TransactionNumber, WalletType};
///
/// let order = DepositOrder::new(
///     OrderId::new("deposit-1001")?,
///     Label::new("user-55")?,
///     WalletType::WAVEPAY,
///     TransactionNumber::new("1394646476")?,
///     Money::parse("500", Currency::MMK)?,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositOrder {
    /// The merchant's id of the order.
    pub order_id: OrderId,
    /// The paying user's label.
    pub label: Label,
    /// The wallet type.
    pub wallet_type: WalletType,
    /// The transaction number from the user's wallet app.
    pub key1: TransactionNumber,
    /// The amount the user says they paid.
    pub amount: Money,
    attempt: u32,
}

impl DepositOrder {
    /// A deposit of `amount` by `label` with transaction number `key1`, for
    /// order `order_id` (its first attempt).
    pub fn new(
        order_id: OrderId,
        label: Label,
        wallet_type: WalletType,
        key1: TransactionNumber,
        amount: Money,
    ) -> Self {
        DepositOrder {
            order_id,
            label,
            wallet_type,
            key1,
            amount,
            attempt: 1,
        }
    }
}

impl MerchantOrder for DepositOrder {
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
            OrderTerm::new("label", self.label.as_str()),
            OrderTerm::new("wallet_type", self.wallet_type.as_str()),
            OrderTerm::new("key1", self.key1.as_str()),
            OrderTerm::money("amount", &self.amount),
        ]
    }
}

/// A deposit ready to activate, with its `custom_transaction_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedDeposit {
    /// The activation to send.
    pub activation: Activation,
}

/// [`PaykassmaClient`] with the inbox its postbacks arrive in.
///
/// Which answers are final (sources: the seed's four activation answers,
/// the postback contract in the crate docs):
///
/// - activation `ok` with `deposit_amount` equal to the order: completed;
///   with another amount: [`Error::IntegrityMismatch`] carrying both — never
///   `Completed` for an amount the merchant did not ask for;
/// - activation `fail` to the *first* activation: a decline (the seed
///   documents it as the refusal);
/// - a postback with a final status (success — its amount and currency
///   checked: a success that names neither is an [`Error::IntegrityMismatch`],
///   it proves money moved, not how much —, failed, rejected, cancelled);
///   two contradicting final postbacks (another status, or the same status
///   with another amount or currency) are an [`Error::IntegrityMismatch`];
/// - everything else — `pending`, `possible_transaction_created`, any
///   answer to a *repeated* activation (`fail` included: the id may be
///   taken because the first one arrived), an unknown postback status — is
///   not final: the payment stays unknown until a postback settles it.
#[derive(Debug, Clone)]
pub struct PaykassmaGateway {
    client: PaykassmaClient,
    inbox: Arc<PostbackInbox>,
    wait: Duration,
    settle: RetryPolicy,
    open: Arc<OpenPayments<PreparedDeposit>>,
}

impl PaykassmaGateway {
    /// A gateway that waits up to `wait` for a postback after a pending
    /// activation, and then reconciles on
    /// [`default_reconcile_policy`](payments_core::gateway::default_reconcile_policy)
    /// ([`with_settle_policy`](Self::with_settle_policy) sets another),
    /// each attempt waiting up to `wait` divided among the attempts.
    ///
    /// `wait` is not a bound on the whole payment: the reconciliation's
    /// attempts and their backoff come after it (with the default policy,
    /// up to about 20 s more). Bound a request handler with
    /// [`pay_within`](payments_core::gateway::pay_within) (or the journal's
    /// deadline): past it, the deposit is `OutcomeUnknown`, and
    /// [`settle`](Self::settle) settles it later.
    pub fn new(client: PaykassmaClient, inbox: Arc<PostbackInbox>, wait: Duration) -> Self {
        PaykassmaGateway {
            client,
            inbox,
            wait,
            settle: payments_core::gateway::default_reconcile_policy(),
            open: Arc::default(),
        }
    }

    /// Settles a deposit this gateway activated — by the reference
    /// [`Error::reference`] gives for an [`Error::OutcomeUnknown`] (its
    /// `custom_transaction_id`), or by the merchant's order id — by its postback, activating again under
    /// the same id while no activation was answered (Paykassma refuses a
    /// reused id, so nothing is credited twice). A deposit that ended
    /// answers how it ended again. An order id answers for the order's
    /// latest attempt: the first attempt's `custom_transaction_id` is the
    /// order id itself, and once that attempt ended and the order was paid
    /// again (`payments_journal::Journaled::pay_again`), the order id
    /// answers for the new attempt.
    ///
    /// ```no_run
    /// # async fn run(gateway: paykassma::PaykassmaGateway, order: paykassma::DepositOrder) -> paykassma::Result<()> {
    /// match paykassma::pay(&gateway, order).await {
    ///     Err(error) if error.code() == "outcome_unknown" => {
    ///         let reference = error.reference().unwrap_or_default().to_owned();
    ///         // Later, when the postback may have come:
    ///         let outcome = gateway.settle(&reference).await?;
    ///         println!("{reference}: {}", outcome.status);
    ///     }
    ///     other => println!("{:?}", other.map(|outcome| outcome.status)),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// It knows the last 10,000 deposits this gateway (and its clones)
    /// activated in this process — those whose future was dropped
    /// mid-activation included. One activated by another process is
    /// settled through the journal that made it
    /// (`payments_journal::Journaled`).
    ///
    /// # Errors
    ///
    /// A proven mismatch; [`Error::OutcomeUnknown`] while no final
    /// postback came; [`Error::InvalidInput`] naming `reference` for one
    /// this process did not activate.
    pub async fn settle(&self, reference: &str) -> Result<PaymentOutcome> {
        payments_core::gateway::settle_reference(self, reference).await
    }

    /// Replaces the reconciliation policy.
    #[must_use]
    pub fn with_settle_policy(mut self, policy: RetryPolicy) -> Self {
        self.settle = policy;
        self
    }

    /// The client.
    pub fn client(&self) -> &PaykassmaClient {
        &self.client
    }

    /// The inbox.
    pub fn inbox(&self) -> &Arc<PostbackInbox> {
        &self.inbox
    }

    /// The outcome a record proves, if it proves one.
    fn from_record(
        prepared: &PreparedDeposit,
        record: &PostbackRecord,
    ) -> Option<Result<PaymentOutcome>> {
        let activation = &prepared.activation;
        let reference = &activation.custom_transaction_id;
        if let Some(conflict) = &record.conflict {
            let field = if conflict.status == record.current.status {
                "postback amount"
            } else {
                "postback status"
            };
            return Some(Err(Error::mismatch(
                ACTIVATE,
                field,
                posted(&record.current),
                posted(conflict),
            )));
        }
        let tx = &record.current;
        // A postback for this id about another user or wallet is about
        // another deposit (the id reused for another order, or on another
        // account): it proves nothing about this one.
        if tx.status.is_final() {
            if let Some(label) = tx
                .label
                .as_deref()
                .filter(|l| *l != activation.label.as_str())
            {
                return Some(Err(Error::mismatch(
                    ACTIVATE,
                    "postback label",
                    activation.label.as_str(),
                    label,
                )));
            }
            if let Some(wallet) = tx
                .wallet_type
                .as_ref()
                .filter(|w| w.as_str() != activation.wallet_type.as_str())
            {
                return Some(Err(Error::mismatch(
                    ACTIVATE,
                    "postback wallet_type",
                    activation.wallet_type.as_str(),
                    wallet.as_str(),
                )));
            }
        }
        let status = match &tx.status {
            PostbackStatus::Success => {
                // A success proves the order's amount only by naming it: one
                // without an amount or a currency says money moved, not how
                // much — a mismatch for a person, never Completed.
                let order = activation.amount;
                let same_currency = tx
                    .currency_code
                    .as_deref()
                    .is_some_and(|c| c.trim().eq_ignore_ascii_case(order.currency().code()));
                let same_amount = tx.amount_value == Some(order.amount());
                if !(same_currency && same_amount) {
                    // Money, when the postback names both; else its words.
                    let credited = tx.amount_value.zip(tx.currency_code.as_deref()).and_then(
                        |(value, code)| Money::new(value, Currency::from_code(code.trim())?).ok(),
                    );
                    return Some(Err(match credited {
                        Some(credited) => amount_mismatch(order, credited),
                        None => amount_mismatch(order, posted(tx)),
                    }));
                }
                PaymentStatus::Completed
            }
            PostbackStatus::Cancelled => PaymentStatus::Cancelled,
            PostbackStatus::Failed | PostbackStatus::Rejected => PaymentStatus::Failed {
                reason: format!("postback status {:?}", tx.status),
            },
            // Unknown statuses are not final.
            _ => return None,
        };
        Some(Ok(
            PaymentOutcome::new(reference.clone(), status).with_amount(activation.amount)
        ))
    }

    /// What the postbacks held prove (`Ok(None)`: nothing yet), or why the
    /// store could not tell.
    async fn settled(&self, prepared: &PreparedDeposit) -> Result<Option<Result<PaymentOutcome>>> {
        let record = self
            .inbox
            .record(prepared.activation.custom_transaction_id.as_str())
            .await
            .map_err(store_error)?;
        Ok(record.and_then(|record| Self::from_record(prepared, &record)))
    }

    async fn await_postback(
        &self,
        prepared: &PreparedDeposit,
        wait: Duration,
    ) -> Result<Option<Result<PaymentOutcome>>> {
        let reference = prepared.activation.custom_transaction_id.as_str();
        let record = self
            .inbox
            .wait_for(reference, wait)
            .await
            .map_err(store_error)?;
        Ok(record.and_then(|record| Self::from_record(prepared, &record)))
    }

    /// What an activation's answer proves: a final outcome, or nothing yet.
    fn activated(
        prepared: &PreparedDeposit,
        outcome: &ActivationOutcome,
    ) -> Option<Result<PaymentOutcome>> {
        let reference = &prepared.activation.custom_transaction_id;
        match outcome {
            ActivationOutcome::Credited { amount } if *amount == prepared.activation.amount => {
                Some(Ok(PaymentOutcome::new(
                    reference.clone(),
                    PaymentStatus::Completed,
                )
                .with_amount(*amount)))
            }
            ActivationOutcome::Credited { amount: credited } => {
                Some(Err(amount_mismatch(prepared.activation.amount, *credited)))
            }
            ActivationOutcome::Pending { .. }
            | ActivationOutcome::PossibleTransactionCreated { .. } => None,
        }
    }

    /// Settles a deposit by its postback, on the settle policy: each attempt
    /// reads the inbox, activates again under the same id while no
    /// activation was `answered`, then waits for the postback.
    async fn settle_by_postback(
        &self,
        prepared: &PreparedDeposit,
        answered: bool,
    ) -> Result<PaymentOutcome> {
        let answered = AtomicBool::new(answered);
        settle_by(
            &self.settle,
            ACTIVATE,
            &prepared.activation.custom_transaction_id,
            None,
            |_| self.settle_attempt(prepared, &answered),
        )
        .await
    }

    /// One reconciliation attempt: the inbox; a repeated activation while no
    /// activation has been answered; then a wait for the postback.
    async fn settle_attempt(
        &self,
        prepared: &PreparedDeposit,
        answered: &AtomicBool,
    ) -> Attempt<PaymentOutcome> {
        let mut failure = None;
        match self.settled(prepared).await {
            Ok(Some(settled)) => return Attempt::Settled(settled),
            Ok(None) => {}
            // Activating again is safe whatever the store holds: Paykassma
            // refuses a reused id.
            Err(error) => failure = Some(error),
        }
        if !answered.load(Ordering::SeqCst) {
            match self.client.activate(&prepared.activation).await {
                Ok(outcome) => {
                    if let Some(settled) = Self::activated(prepared, &outcome) {
                        return Attempt::Settled(settled);
                    }
                    answered.store(true, Ordering::SeqCst);
                }
                // Any `fail` to a repeated activation: the id may be taken
                // because the first one arrived. Only a postback settles it.
                Err(Error::Declined { .. }) => answered.store(true, Ordering::SeqCst),
                Err(error) => failure = Some(error),
            }
        }
        let slice = self.wait / self.settle.max_attempts.max(1);
        match self.await_postback(prepared, slice).await {
            Ok(Some(settled)) => Attempt::Settled(settled),
            Ok(None) => match failure {
                Some(error) => Attempt::failed(error),
                None => Attempt::waiting("no final postback yet"),
            },
            Err(error) => Attempt::failed(failure.unwrap_or(error)),
        }
    }
}

/// The postback store's failure to answer, as the error of a read.
fn store_error(error: payments_core::error::BoxError) -> Error {
    Error::Transport {
        operation: payments_core::Operation::read("paykassma", "postback_store"),
        timed_out: false,
        reason: format!("the postback store could not be read: {error}"),
        source: Some(error),
        diagnostics: None,
    }
}

/// A postback's status, amount and currency as a mismatch shows them.
fn posted(tx: &crate::postback::PostbackTransaction) -> String {
    format!(
        "{} {} {}",
        tx.status,
        tx.amount_value
            .map_or_else(|| "(no amount)".to_owned(), |v| v.to_string()),
        tx.currency_code.as_deref().unwrap_or("(no currency)")
    )
}

/// Paykassma credited `actual`, not the order's amount: never `Completed`.
fn amount_mismatch(order: Money, actual: impl Into<payments_core::Mismatched>) -> Error {
    Error::mismatch(ACTIVATE, "amount", order, actual)
}

/// prepare = the order's `custom_transaction_id` (no request: the wallet
/// was shown, and paid into, before); commit = activate (waiting for the postback when
/// Paykassma answers pending); reconcile = the postback, after activating
/// again under the same `custom_transaction_id` while no activation was
/// answered (Paykassma refuses a reused id).
#[async_trait]
impl Gateway for PaykassmaGateway {
    type Order = DepositOrder;
    type Prepared = PreparedDeposit;

    fn provider(&self) -> &'static str {
        "paykassma"
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn prepare(&self, order: DepositOrder) -> Result<PreparedDeposit> {
        Ok(PreparedDeposit {
            activation: Activation {
                label: order.label,
                wallet_type: order.wallet_type,
                key1: order.key1,
                amount: order.amount,
                custom_transaction_id: MerchantReference::new(
                    order.order_id.attempt_key(order.attempt),
                    &CUSTOM_TRANSACTION_ID_RULES,
                )?,
            },
        })
    }

    fn reference<'a>(&self, prepared: &'a PreparedDeposit) -> &'a MerchantReference {
        &prepared.activation.custom_transaction_id
    }

    async fn commit(&self, prepared: &PreparedDeposit) -> Result<PaymentOutcome> {
        // A repeat of an order whose postback this inbox holds already.
        // A store that cannot tell is no reason to stop: an activation under
        // a used id is refused, and then the postback settles it.
        match self.settled(prepared).await {
            Ok(Some(settled)) => return settled,
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(provider = "paykassma", reference = %prepared.activation.custom_transaction_id, %error, "activating without knowing what the postback store holds");
            }
        }
        let outcome = match self.client.activate(&prepared.activation).await {
            Ok(outcome) => outcome,
            // The order's id is taken: this order was activated before (a
            // repeat, another process). Not a decline of this payment: its
            // postback settles it, with no activation again.
            Err(Error::Declined { decline, .. })
                if decline.kind == DeclineKind::DuplicateReference =>
            {
                return self.settle_by_postback(prepared, true).await;
            }
            Err(error) => return Err(error),
        };
        if let Some(settled) = Self::activated(prepared, &outcome) {
            return settled;
        }
        match self.await_postback(prepared, self.wait).await {
            Ok(Some(settled)) => settled,
            Ok(None) | Err(_) => Ok(PaymentOutcome::new(
                prepared.activation.custom_transaction_id.clone(),
                PaymentStatus::Pending,
            )),
        }
    }

    async fn reconcile(&self, prepared: &PreparedDeposit) -> Result<PaymentOutcome> {
        self.settle_by_postback(prepared, false).await
    }

    fn commit_operation(&self) -> payments_core::Operation {
        ACTIVATE
    }

    fn open_payments(&self) -> Option<&OpenPayments<PreparedDeposit>> {
        Some(&self.open)
    }
}

/// A prepared deposit as a journal keeps it (version 1): the activation,
/// field by field.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedDeposit {
    label: String,
    wallet_type: String,
    key1: String,
    amount: Money,
    custom_transaction_id: String,
}

/// Prepared deposits are saved as their activation; restored, they are
/// settled by the postbacks for their `custom_transaction_id` (the store
/// the inbox reads must outlive the process for that).
impl DurableGateway for PaykassmaGateway {
    fn save_prepared(&self, prepared: &PreparedDeposit) -> Result<serde_json::Value> {
        let activation = &prepared.activation;
        save_state(
            1,
            &SavedDeposit {
                label: activation.label.as_str().to_owned(),
                wallet_type: activation.wallet_type.as_str().to_owned(),
                key1: activation.key1.as_str().to_owned(),
                amount: activation.amount,
                custom_transaction_id: activation.custom_transaction_id.as_str().to_owned(),
            },
        )
    }

    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<PreparedDeposit> {
        let saved: SavedDeposit = restore_state(saved, 1, "a saved Paykassma deposit")?;
        let wallet_type = WalletType::new(saved.wallet_type);
        wallet_type.validate()?;
        Ok(PreparedDeposit {
            activation: Activation {
                label: Label::new(saved.label)?,
                wallet_type,
                key1: TransactionNumber::new(&saved.key1)?,
                amount: saved
                    .amount
                    .require_positive()
                    .map_err(|e| Error::invalid_money("amount", &e))?,
                custom_transaction_id: MerchantReference::new(
                    saved.custom_transaction_id,
                    &CUSTOM_TRANSACTION_ID_RULES,
                )?,
            },
        })
    }
}
