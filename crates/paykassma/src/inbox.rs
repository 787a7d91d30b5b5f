//! The postback inbox, and the stores behind it.
//!
//! [`PostbackInbox`] verifies deliveries and applies the rules of what a
//! delivery changes ([`apply_delivery`]); a [`PostbackStore`] keeps the
//! result. The in-memory store ([`MemoryPostbackStore`]) serves one process;
//! a shared, durable store (`payments-journal`'s, with its `paykassma`
//! feature) lets every replica behind a load balancer see every postback
//! and keeps them across restarts.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use payments_core::async_trait;
use payments_core::error::BoxError;
use serde::{Deserialize, Serialize};

use crate::postback::{ACK_BODY, PostbackTransaction, PostbackVerifier};

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
    /// What each verified transaction of the delivery was, and what it did
    /// (empty for a refused delivery): what a handler credits on arrival —
    /// a [`PostbackStatus::Success`](crate::postback::PostbackStatus::Success)
    /// that is `new`, for its `custom_transaction_id` and amount.
    pub applied: Vec<AppliedPostback>,
}

/// One verified transaction of a delivery, as the inbox applied it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AppliedPostback {
    /// The deposit's `custom_transaction_id` (`None`: kept for manual
    /// matching, [`PostbackInbox::unmatched`]).
    pub custom_transaction_id: Option<String>,
    /// The status it reports.
    pub status: crate::postback::PostbackStatus,
    /// The amount it reports, when it names one.
    pub amount: Option<payments_core::Money>,
    /// Whether it told the inbox something new (`false`: a repeat or a
    /// stale status).
    pub new: bool,
    /// Set when it contradicts a final status already held.
    pub alarm: Option<String>,
}

/// Everything the inbox knows of one deposit. Serializable, for a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What one delivery changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// A new deposit, or a status change.
    New,
    /// Nothing: the same delivery again, a stale intermediate status, the
    /// same final status again.
    Duplicate,
    /// A final status contradicting the one held: the alarm's text.
    Conflict(String),
}

/// The rules of what a delivery for one deposit changes, for every store:
/// `held` is what the store holds for the delivery's deposit; the answer is
/// what it must hold next, and what changed.
///
/// A final status replaces a non-final one (pending, then success); a newer
/// non-final status replaces an older one; a status this SDK does not know
/// is never final; an identical redelivery is not stored twice; a final
/// postback contradicting the held final one — another final status, or
/// the same status with another amount or currency (`success 500`, then
/// `success 50`) — is kept as the conflict and raises an alarm instead of
/// silently winning or being dropped.
pub fn apply_delivery(
    id: &str,
    held: Option<PostbackRecord>,
    tx: PostbackTransaction,
) -> (PostbackRecord, Applied) {
    let Some(mut record) = held else {
        return (
            PostbackRecord {
                current: tx.clone(),
                deliveries: vec![tx],
                conflict: None,
            },
            Applied::New,
        );
    };
    if record.deliveries.contains(&tx) {
        return (record, Applied::Duplicate);
    }
    record.deliveries.push(tx.clone());
    if !record.current.status.is_final() {
        record.current = tx;
        return (record, Applied::New);
    }
    if !tx.status.is_final()
        || (tx.status == record.current.status && same_money(&tx, &record.current))
    {
        // A late intermediate status, or the same final one again.
        return (record, Applied::Duplicate);
    }
    let alarm = if tx.status == record.current.status {
        format!(
            "deposit `{id}`: final status {} for {} contradicts the earlier one for {}",
            tx.status,
            money_text(&tx),
            money_text(&record.current)
        )
    } else {
        format!(
            "deposit `{id}`: final status {} contradicts the earlier final status {}",
            tx.status, record.current.status
        )
    };
    if record.conflict.is_none() {
        record.conflict = Some(tx);
    }
    (record, Applied::Conflict(alarm))
}

/// Whether two postbacks of one deposit name the same money: the same amount
/// (`500` and `500.00` alike) in the same currency, or neither names it.
fn same_money(a: &PostbackTransaction, b: &PostbackTransaction) -> bool {
    let currency = |tx: &PostbackTransaction| {
        tx.currency_code
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase())
    };
    a.amount_value.map(|v| v.normalize()) == b.amount_value.map(|v| v.normalize())
        && currency(a) == currency(b)
}

/// A postback's amount and currency as an alarm shows them.
fn money_text(tx: &PostbackTransaction) -> String {
    match (tx.amount_value, tx.currency_code.as_deref()) {
        (Some(amount), Some(currency)) => format!("{amount} {currency}"),
        (Some(amount), None) => format!("{amount} (no currency)"),
        (None, _) => "no amount".to_owned(),
    }
}

/// Where verified postbacks are kept.
///
/// `apply` must be atomic per deposit: two deliveries of one deposit
/// applied at once — by two replicas — must both be reflected, through
/// [`apply_delivery`]. Errors are the store's (a database that cannot be
/// reached): the inbox answers the delivery with HTTP 500, so Paykassma
/// delivers it again.
#[async_trait]
pub trait PostbackStore: Send + Sync + fmt::Debug {
    /// Applies a verified delivery that names a `custom_transaction_id`.
    ///
    /// # Errors
    ///
    /// The store's.
    async fn apply(&self, id: &str, tx: PostbackTransaction) -> Result<Applied, BoxError>;

    /// What is held for the deposit `id`.
    ///
    /// # Errors
    ///
    /// The store's.
    async fn record(&self, id: &str) -> Result<Option<PostbackRecord>, BoxError>;

    /// Keeps a verified delivery that names no `custom_transaction_id`, for
    /// manual matching; `false` if the same one is kept already.
    ///
    /// # Errors
    ///
    /// The store's.
    async fn keep_unmatched(&self, tx: PostbackTransaction) -> Result<bool, BoxError>;

    /// The deliveries kept without a `custom_transaction_id`.
    ///
    /// # Errors
    ///
    /// The store's.
    async fn unmatched(&self) -> Result<Vec<PostbackTransaction>, BoxError>;
}

/// Postbacks in this process's memory: for one process, and for tests.
///
/// **It forgets on restart.** Everything it held is gone with the process:
/// after a restart, a postback Paykassma redelivers — or an old verified
/// postback anyone replays (a signature does not expire) — is news again,
/// and a deposit settled before the restart is unknown to it. A shop that
/// credits on postbacks keeps them in a durable store (`payments-journal`'s
/// `PaykassmaPostbacks`) or de-duplicates in its own database.
#[derive(Debug, Default)]
pub struct MemoryPostbackStore {
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    by_id: HashMap<String, PostbackRecord>,
    unmatched: Vec<PostbackTransaction>,
}

impl MemoryPostbackStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl PostbackStore for MemoryPostbackStore {
    async fn apply(&self, id: &str, tx: PostbackTransaction) -> Result<Applied, BoxError> {
        let mut held = self.lock();
        let current = held.by_id.remove(id);
        let (record, applied) = apply_delivery(id, current, tx);
        held.by_id.insert(id.to_owned(), record);
        Ok(applied)
    }

    async fn record(&self, id: &str) -> Result<Option<PostbackRecord>, BoxError> {
        Ok(self.lock().by_id.get(id).cloned())
    }

    async fn keep_unmatched(&self, tx: PostbackTransaction) -> Result<bool, BoxError> {
        let mut held = self.lock();
        if held.unmatched.contains(&tx) {
            return Ok(false);
        }
        held.unmatched.push(tx);
        Ok(true)
    }

    async fn unmatched(&self) -> Result<Vec<PostbackTransaction>, BoxError> {
        Ok(self.lock().unmatched.clone())
    }
}

/// How often [`PostbackInbox::wait_for`] looks at the store for what
/// another replica received (this process's deliveries wake it at once).
pub const STORE_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Verified postbacks by `custom_transaction_id`: the merchant's endpoint
/// feeds every delivery to [`PostbackInbox::receive`]; the gateway waits on it.
///
/// Every verified delivery is kept ([`PostbackRecord`], by the rules of
/// [`apply_delivery`]). Postbacks without a `custom_transaction_id` are
/// acknowledged and kept ([`unmatched`](Self::unmatched)), never dropped.
/// By default in this process's memory; [`PostbackInbox::with_store`] puts
/// them in a store every replica shares.
#[derive(Debug)]
pub struct PostbackInbox {
    verifier: PostbackVerifier,
    store: Arc<dyn PostbackStore>,
    notify: tokio::sync::Notify,
}

impl PostbackInbox {
    /// An inbox verifying with `verifier`, keeping postbacks in this
    /// process's memory ([`MemoryPostbackStore`]): **forgotten on restart**,
    /// so a redelivered or replayed postback is news again afterwards. Use
    /// [`with_store`](Self::with_store) and a durable store in production.
    pub fn new(verifier: PostbackVerifier) -> Self {
        Self::with_store(verifier, Arc::new(MemoryPostbackStore::new()))
    }

    /// An inbox verifying with `verifier`, keeping postbacks in `store`.
    pub fn with_store(verifier: PostbackVerifier, store: Arc<dyn PostbackStore>) -> Self {
        PostbackInbox {
            verifier,
            store,
            notify: tokio::sync::Notify::new(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn PostbackStore> {
        &self.store
    }

    /// Verifies and records a delivery. Verified deliveries are acknowledged
    /// (HTTP 200, [`ACK_BODY`]) once stored, whatever they change —
    /// duplicates too, or Paykassma redelivers them forever; refused ones
    /// are answered with the error's status, and a store that fails with
    /// HTTP 500: either way Paykassma delivers again.
    pub async fn receive(&self, raw_body: &[u8]) -> InboxReply {
        let postback = match self.verifier.verify(raw_body) {
            Ok(postback) => postback,
            Err(error) => {
                return InboxReply {
                    status: error.http_status(),
                    body: error_body(&error.to_string()),
                    new: false,
                    alarm: None,
                    applied: Vec::new(),
                };
            }
        };
        let mut new = false;
        let mut alarm = None;
        let mut report = Vec::with_capacity(postback.transactions.len());
        for tx in postback.transactions {
            let mut seen = AppliedPostback {
                custom_transaction_id: tx.custom_transaction_id.clone(),
                status: tx.status.clone(),
                amount: tx.amount,
                new: false,
                alarm: None,
            };
            let applied = match tx.custom_transaction_id.clone() {
                Some(id) => self.store.apply(&id, tx).await,
                None => {
                    tracing::warn!(provider = "paykassma", status = ?tx.status, "verified postback without custom_transaction_id: kept for manual matching");
                    self.store.keep_unmatched(tx).await.map(|kept| {
                        if kept {
                            Applied::New
                        } else {
                            Applied::Duplicate
                        }
                    })
                }
            };
            match applied {
                Ok(Applied::New) => {
                    new = true;
                    seen.new = true;
                }
                Ok(Applied::Duplicate) => {}
                Ok(Applied::Conflict(text)) => {
                    tracing::error!(provider = "paykassma", alarm = %text, "postback integrity alarm");
                    seen.alarm = Some(text.clone());
                    alarm = Some(text);
                }
                Err(error) => {
                    tracing::error!(provider = "paykassma", %error, "the postback store failed: not acknowledged, Paykassma delivers it again");
                    self.notify.notify_waiters();
                    return InboxReply {
                        status: 500,
                        body: error_body("the postback could not be stored"),
                        new,
                        alarm,
                        applied: report,
                    };
                }
            }
            report.push(seen);
        }
        self.notify.notify_waiters();
        InboxReply {
            status: 200,
            body: ACK_BODY.to_owned(),
            new,
            alarm,
            applied: report,
        }
    }

    /// Where the deposit `custom_transaction_id` stands, by its postbacks
    /// (`Ok(None)`: none arrived).
    ///
    /// # Errors
    ///
    /// The store's failure — never read as "nothing arrived".
    pub async fn get(
        &self,
        custom_transaction_id: &str,
    ) -> Result<Option<PostbackTransaction>, BoxError> {
        Ok(self
            .record(custom_transaction_id)
            .await?
            .map(|record| record.current))
    }

    /// Everything received for `custom_transaction_id` (`Ok(None)`: nothing
    /// arrived).
    ///
    /// # Errors
    ///
    /// The store's failure — never read as "nothing arrived".
    pub async fn record(
        &self,
        custom_transaction_id: &str,
    ) -> Result<Option<PostbackRecord>, BoxError> {
        self.store.record(custom_transaction_id).await
    }

    /// Verified postbacks that named no `custom_transaction_id`.
    ///
    /// # Errors
    ///
    /// The store's.
    pub async fn unmatched(&self) -> Result<Vec<PostbackTransaction>, BoxError> {
        self.store.unmatched().await
    }

    /// Waits up to `timeout` until the deposit `custom_transaction_id` has a
    /// final status (or a conflict); returns its record as it then stands.
    /// Deliveries to this inbox wake it at once; the store is looked at
    /// every [`STORE_POLL_INTERVAL`] for what other replicas received (a
    /// read that fails meanwhile is tried again at the next look).
    ///
    /// # Errors
    ///
    /// The store's failure at the last look.
    pub async fn wait_for(
        &self,
        custom_transaction_id: &str,
        timeout: Duration,
    ) -> Result<Option<PostbackRecord>, BoxError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            if let Ok(found) = self.record(custom_transaction_id).await
                && found
                    .as_ref()
                    .is_some_and(|r| r.current.status.is_final() || r.conflict.is_some())
            {
                return Ok(found);
            }
            let wake = (tokio::time::Instant::now() + STORE_POLL_INTERVAL).min(deadline);
            let _ = tokio::time::timeout_at(wake, notified).await;
            if tokio::time::Instant::now() >= deadline {
                return self.record(custom_transaction_id).await;
            }
        }
    }
}

fn error_body(message: &str) -> String {
    serde_json::json!({"status": "error", "message": message}).to_string()
}
