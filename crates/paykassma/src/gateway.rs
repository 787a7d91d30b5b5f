//! Paykassma as a [`Gateway`], with the postback inbox its reconciliation needs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use payments_core::gateway::{Attempt, DurableGateway, restore_state, save_state, settle_by};
use payments_core::http::RetryPolicy;
use payments_core::{
    Capabilities, Error, Gateway, MerchantReference, Money, PaymentOutcome, PaymentStatus,
    Reconciliation, Result, async_trait,
};

use crate::PaykassmaClient;
use crate::model::{
    Activation, ActivationOutcome, CUSTOM_TRANSACTION_ID_RULES, Label, TransactionNumber,
    WalletType,
};
use crate::postback::{ACK_BODY, PostbackStatus, PostbackTransaction, PostbackVerifier};
use crate::wire::ACTIVATE;

/// What Paykassma can do: no status lookup; the result comes by postback.
pub const CAPABILITIES: Capabilities =
    Capabilities::new(false, true, false, false, Reconciliation::Notification);

/// What the merchant's postback endpoint should answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxReply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// Whether this delivery told the inbox something new (a new deposit,
    /// a status change); `false`: a duplicate, a stale status, or refused.
    pub new: bool,
    /// Set when this delivery contradicts a final status the inbox already
    /// holds (success, then failed): an integrity alarm for a person. The
    /// delivery is still acknowledged — redelivering it would change nothing.
    pub alarm: Option<String>,
}

/// Everything the inbox knows of one deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostbackRecord {
    /// Where the deposit stands: the first final status received, or else
    /// the latest non-final one.
    pub current: PostbackTransaction,
    /// Every distinct verified delivery, in arrival order (an identical
    /// redelivery is not stored twice).
    pub deliveries: Vec<PostbackTransaction>,
    /// A final status that contradicts [`current`](Self::current)'s: the
    /// provider said two different final things. Never settled silently.
    pub conflict: Option<PostbackTransaction>,
}

#[derive(Debug, Default)]
struct Received {
    by_id: HashMap<String, PostbackRecord>,
    /// Verified postbacks that carry no `custom_transaction_id`.
    unmatched: Vec<PostbackTransaction>,
}

/// What one delivery changed.
enum Change {
    New,
    Duplicate,
    Conflict(String),
}

impl Received {
    fn record(&mut self, tx: PostbackTransaction) -> Change {
        let Some(id) = tx.custom_transaction_id.clone() else {
            if self.unmatched.contains(&tx) {
                return Change::Duplicate;
            }
            tracing::warn!(provider = "paykassma", status = ?tx.status, "verified postback without custom_transaction_id: kept for manual matching");
            self.unmatched.push(tx);
            return Change::New;
        };
        let Some(record) = self.by_id.get_mut(&id) else {
            self.by_id.insert(
                id,
                PostbackRecord {
                    current: tx.clone(),
                    deliveries: vec![tx],
                    conflict: None,
                },
            );
            return Change::New;
        };
        if record.deliveries.contains(&tx) {
            return Change::Duplicate;
        }
        record.deliveries.push(tx.clone());
        if !record.current.status.is_final() {
            // A final status replaces a non-final one; a newer non-final
            // status replaces an older one.
            record.current = tx;
            return Change::New;
        }
        if !tx.status.is_final() || tx.status == record.current.status {
            // A late intermediate status, or the same final one again.
            return Change::Duplicate;
        }
        let alarm = format!(
            "deposit `{id}`: final status {:?} contradicts the earlier final status {:?}",
            tx.status, record.current.status
        );
        tracing::error!(provider = "paykassma", %alarm, "postback integrity alarm");
        if record.conflict.is_none() {
            record.conflict = Some(tx);
        }
        Change::Conflict(alarm)
    }
}

/// Verified postbacks by `custom_transaction_id`: the merchant's endpoint
/// feeds every delivery to [`PostbackInbox::receive`]; the gateway waits on it.
///
/// Every verified delivery is kept ([`PostbackRecord`]): a final status
/// replaces a non-final one (pending, then success), a status this SDK does
/// not know is never taken as final, and two contradicting final statuses
/// raise an alarm instead of one silently winning. Postbacks without a
/// `custom_transaction_id` are acknowledged and kept
/// ([`unmatched`](Self::unmatched)), never dropped.
#[derive(Debug)]
pub struct PostbackInbox {
    verifier: PostbackVerifier,
    received: Mutex<Received>,
    notify: tokio::sync::Notify,
}

impl PostbackInbox {
    /// An inbox verifying with `verifier`.
    pub fn new(verifier: PostbackVerifier) -> Self {
        PostbackInbox {
            verifier,
            received: Mutex::default(),
            notify: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Verifies and records a delivery. Verified deliveries are acknowledged
    /// (HTTP 200, [`ACK_BODY`]) whatever they change — duplicates too, or
    /// Paykassma redelivers them forever; refused ones are answered with
    /// the error's status, so Paykassma retries.
    pub fn receive(&self, raw_body: &[u8]) -> InboxReply {
        match self.verifier.verify(raw_body) {
            Ok(postback) => {
                let mut new = false;
                let mut alarm = None;
                {
                    let mut received = self.lock();
                    for tx in postback.transactions {
                        match received.record(tx) {
                            Change::New => new = true,
                            Change::Duplicate => {}
                            Change::Conflict(text) => alarm = Some(text),
                        }
                    }
                }
                self.notify.notify_waiters();
                InboxReply {
                    status: 200,
                    body: ACK_BODY.to_owned(),
                    new,
                    alarm,
                }
            }
            Err(error) => InboxReply {
                status: error.http_status(),
                body: serde_json::json!({"status": "error", "message": error.to_string()})
                    .to_string(),
                new: false,
                alarm: None,
            },
        }
    }

    /// Where the deposit `custom_transaction_id` stands, by its postbacks.
    pub fn get(&self, custom_transaction_id: &str) -> Option<PostbackTransaction> {
        self.lock()
            .by_id
            .get(custom_transaction_id)
            .map(|r| r.current.clone())
    }

    /// Everything received for `custom_transaction_id`.
    pub fn record(&self, custom_transaction_id: &str) -> Option<PostbackRecord> {
        self.lock().by_id.get(custom_transaction_id).cloned()
    }

    /// Verified postbacks that named no `custom_transaction_id`.
    pub fn unmatched(&self) -> Vec<PostbackTransaction> {
        self.lock().unmatched.clone()
    }

    /// Waits up to `timeout` until the deposit `custom_transaction_id` has a
    /// final status (or a conflict); returns its record as it then stands.
    pub async fn wait_for(
        &self,
        custom_transaction_id: &str,
        timeout: Duration,
    ) -> Option<PostbackRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            let found = self.record(custom_transaction_id);
            if found
                .as_ref()
                .is_some_and(|r| r.current.status.is_final() || r.conflict.is_some())
            {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.record(custom_transaction_id);
            }
        }
    }
}

/// A deposit the user paid and whose transaction number they typed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositOrder {
    /// The paying user's label.
    pub label: Label,
    /// The wallet type.
    pub wallet_type: WalletType,
    /// The transaction number from the user's wallet app.
    pub key1: TransactionNumber,
    /// The amount the user says they paid.
    pub amount: Money,
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
/// - a postback with a final status (success — its amount checked —,
///   failed, rejected, cancelled); two contradicting final postbacks are an
///   [`Error::IntegrityMismatch`];
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
}

impl PaykassmaGateway {
    /// A gateway that waits up to `wait` for a postback after a pending
    /// activation, and reconciles on
    /// [`default_reconcile_policy`](payments_core::gateway::default_reconcile_policy),
    /// each attempt waiting up to `wait` divided among the attempts.
    pub fn new(client: PaykassmaClient, inbox: Arc<PostbackInbox>, wait: Duration) -> Self {
        PaykassmaGateway {
            client,
            inbox,
            wait,
            settle: payments_core::gateway::default_reconcile_policy(),
        }
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
            return Some(Err(Error::IntegrityMismatch {
                operation: ACTIVATE,
                field: "postback status",
                expected: format!("{:?}", record.current.status),
                actual: format!("{:?}", conflict.status),
                diagnostics: None,
            }));
        }
        let tx = &record.current;
        let status = match &tx.status {
            PostbackStatus::Success => {
                let order = activation.amount;
                let currency_differs = tx
                    .currency_code
                    .as_deref()
                    .is_some_and(|c| !c.trim().eq_ignore_ascii_case(order.currency().code()));
                let amount_differs = tx.amount_value.is_some_and(|v| v != order.amount());
                if currency_differs || amount_differs {
                    return Some(Err(amount_mismatch(
                        order,
                        format_args!(
                            "{} {}",
                            tx.amount_value.map(|v| v.to_string()).unwrap_or_default(),
                            tx.currency_code.as_deref().unwrap_or_default()
                        ),
                    )));
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

    fn settled(&self, prepared: &PreparedDeposit) -> Option<Result<PaymentOutcome>> {
        let record = self
            .inbox
            .record(prepared.activation.custom_transaction_id.as_str())?;
        Self::from_record(prepared, &record)
    }

    async fn await_postback(
        &self,
        prepared: &PreparedDeposit,
        wait: Duration,
    ) -> Option<Result<PaymentOutcome>> {
        let reference = prepared.activation.custom_transaction_id.as_str();
        let record = self.inbox.wait_for(reference, wait).await?;
        Self::from_record(prepared, &record)
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
            ActivationOutcome::Credited { amount: credited }
            | ActivationOutcome::CreditedDifferentAmount { credited, .. } => {
                Some(Err(amount_mismatch(prepared.activation.amount, credited)))
            }
            ActivationOutcome::Pending { .. }
            | ActivationOutcome::PossibleTransactionCreated { .. } => None,
        }
    }

    /// One reconciliation attempt: the inbox; a repeated activation while no
    /// activation has been answered; then a wait for the postback.
    async fn settle_attempt(
        &self,
        prepared: &PreparedDeposit,
        answered: &AtomicBool,
    ) -> Attempt<PaymentOutcome> {
        if let Some(settled) = self.settled(prepared) {
            return Attempt::Settled(settled);
        }
        let mut failure = None;
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
            Some(settled) => Attempt::Settled(settled),
            None => match failure {
                Some(error) => Attempt::failed(error),
                None => Attempt::waiting("no final postback yet"),
            },
        }
    }
}

/// Paykassma credited `actual`, not the order's amount: never `Completed`.
fn amount_mismatch(order: Money, actual: impl std::fmt::Display) -> Error {
    Error::IntegrityMismatch {
        operation: ACTIVATE,
        field: "amount",
        expected: order.to_string(),
        actual: actual.to_string(),
        diagnostics: None,
    }
}

/// prepare = a `custom_transaction_id` (no request: the wallet was shown,
/// and paid into, before); commit = activate (waiting for the postback when
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
                custom_transaction_id: self.client.new_reference()?,
            },
        })
    }

    fn reference<'a>(&self, prepared: &'a PreparedDeposit) -> &'a MerchantReference {
        &prepared.activation.custom_transaction_id
    }

    async fn commit(&self, prepared: &PreparedDeposit) -> Result<PaymentOutcome> {
        let outcome = self.client.activate(&prepared.activation).await?;
        if let Some(settled) = Self::activated(prepared, &outcome) {
            return settled;
        }
        match self.await_postback(prepared, self.wait).await {
            Some(settled) => settled,
            None => Ok(PaymentOutcome::new(
                prepared.activation.custom_transaction_id.clone(),
                PaymentStatus::Pending,
            )),
        }
    }

    async fn reconcile(&self, prepared: &PreparedDeposit) -> Result<PaymentOutcome> {
        let answered = AtomicBool::new(false);
        settle_by(
            &self.settle,
            ACTIVATE,
            &prepared.activation.custom_transaction_id,
            None,
            |_| self.settle_attempt(prepared, &answered),
        )
        .await
    }
}

/// A prepared deposit as a journal keeps it (version 1): the activation,
/// field by field.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedDeposit {
    version: u32,
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
        save_state(&SavedDeposit {
            version: 1,
            label: activation.label.as_str().to_owned(),
            wallet_type: activation.wallet_type.as_str().to_owned(),
            key1: activation.key1.as_str().to_owned(),
            amount: activation.amount,
            custom_transaction_id: activation.custom_transaction_id.as_str().to_owned(),
        })
    }

    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<PreparedDeposit> {
        let saved: SavedDeposit = restore_state(saved)?;
        if saved.version != 1 {
            return Err(Error::invalid(
                "prepared",
                format_args!(
                    "version {} of a saved Paykassma deposit is not known",
                    saved.version
                ),
            ));
        }
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
