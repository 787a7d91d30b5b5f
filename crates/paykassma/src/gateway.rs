//! Paykassma as a [`Gateway`], with the postback inbox its reconciliation needs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use payments_core::{
    Capabilities, DeclineKind, Error, Gateway, MerchantReference, Money, PaymentOutcome,
    PaymentStatus, Reconciliation, Result, async_trait,
};

use crate::PaykassmaClient;
use crate::model::{Activation, ActivationOutcome, Label, TransactionNumber, WalletType};
use crate::postback::{ACK_BODY, PostbackStatus, PostbackTransaction, PostbackVerifier};

/// What Paykassma can do: no status lookup; the result comes by postback.
pub const CAPABILITIES: Capabilities =
    Capabilities::new(false, true, false, false, Reconciliation::Notification);

/// What the merchant's postback endpoint should answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxReply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// Whether this delivery was new (`false`: a duplicate, or refused).
    pub new: bool,
}

/// Verified postbacks by `custom_transaction_id`: the merchant's endpoint
/// feeds every delivery to [`PostbackInbox::receive`]; the gateway waits on it.
#[derive(Debug)]
pub struct PostbackInbox {
    verifier: PostbackVerifier,
    received: Mutex<HashMap<String, PostbackTransaction>>,
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

    /// Verifies and records a delivery; duplicates are acknowledged and not recorded again.
    pub fn receive(&self, raw_body: &[u8]) -> InboxReply {
        match self.verifier.verify(raw_body) {
            Ok(postback) => {
                let mut new = false;
                {
                    let mut received = self.received.lock().unwrap_or_else(PoisonError::into_inner);
                    for tx in postback.transactions {
                        if let Some(id) = tx.custom_transaction_id.clone()
                            && !received.contains_key(&id)
                        {
                            received.insert(id, tx);
                            new = true;
                        }
                    }
                }
                self.notify.notify_waiters();
                InboxReply {
                    status: 200,
                    body: ACK_BODY.to_owned(),
                    new,
                }
            }
            Err(error) => InboxReply {
                status: error.http_status(),
                body: serde_json::json!({"status": "error", "message": error.to_string()})
                    .to_string(),
                new: false,
            },
        }
    }

    /// The postback recorded for `custom_transaction_id`, if any.
    pub fn get(&self, custom_transaction_id: &str) -> Option<PostbackTransaction> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(custom_transaction_id)
            .cloned()
    }

    /// Waits up to `timeout` for the postback of `custom_transaction_id`.
    pub async fn wait_for(
        &self,
        custom_transaction_id: &str,
        timeout: Duration,
    ) -> Option<PostbackTransaction> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            if let Some(found) = self.get(custom_transaction_id) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.get(custom_transaction_id);
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
#[derive(Debug, Clone)]
pub struct PaykassmaGateway {
    client: PaykassmaClient,
    inbox: Arc<PostbackInbox>,
    wait: Duration,
}

impl PaykassmaGateway {
    /// A gateway whose reconciliation waits up to `wait` for a postback.
    pub fn new(client: PaykassmaClient, inbox: Arc<PostbackInbox>, wait: Duration) -> Self {
        PaykassmaGateway {
            client,
            inbox,
            wait,
        }
    }

    /// The client.
    pub fn client(&self) -> &PaykassmaClient {
        &self.client
    }

    fn from_postback(reference: &MerchantReference, tx: &PostbackTransaction) -> PaymentOutcome {
        let status = match &tx.status {
            PostbackStatus::Success => PaymentStatus::Completed,
            PostbackStatus::Cancelled => PaymentStatus::Cancelled,
            other => PaymentStatus::Failed {
                reason: format!("postback status {other:?}"),
            },
        };
        let outcome = PaymentOutcome::new(reference.clone(), status);
        match tx.amount {
            Some(amount) => outcome.with_amount(amount),
            None => outcome,
        }
    }

    async fn await_postback(&self, reference: &MerchantReference) -> PaymentOutcome {
        match self.inbox.wait_for(reference.as_str(), self.wait).await {
            Some(tx) => Self::from_postback(reference, &tx),
            None => PaymentOutcome::new(reference.clone(), PaymentStatus::Pending),
        }
    }

    async fn activated(
        &self,
        prepared: &PreparedDeposit,
        outcome: ActivationOutcome,
    ) -> PaymentOutcome {
        let reference = &prepared.activation.custom_transaction_id;
        match outcome.credited_amount() {
            Some(credited) => PaymentOutcome::new(reference.clone(), PaymentStatus::Completed)
                .with_amount(credited),
            None => self.await_postback(reference).await,
        }
    }
}

/// prepare = a `custom_transaction_id` (no request: the wallet was shown,
/// and paid into, before); commit = activate (waiting for the postback when
/// Paykassma answers pending); reconcile = the postback, after activating
/// again under the same `custom_transaction_id` if the first activation
/// provably never arrived (Paykassma refuses a reused id).
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
        Ok(self.activated(prepared, outcome).await)
    }

    async fn reconcile(&self, prepared: &PreparedDeposit) -> Result<PaymentOutcome> {
        let reference = &prepared.activation.custom_transaction_id;
        if let Some(tx) = self.inbox.get(reference.as_str()) {
            return Ok(Self::from_postback(reference, &tx));
        }
        match self.client.activate(&prepared.activation).await {
            Ok(outcome) => Ok(self.activated(prepared, outcome).await),
            // Already taken: the first activation arrived; its postback settles it.
            Err(Error::Declined { decline, .. })
                if decline.kind == DeclineKind::DuplicateReference =>
            {
                Ok(self.await_postback(reference).await)
            }
            Err(error) if !error.outcome_known() => Ok(self.await_postback(reference).await),
            Err(error) => Err(error),
        }
    }
}
