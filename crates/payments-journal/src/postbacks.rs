//! Paykassma's postbacks in the journal's database (feature `paykassma`):
//! every replica's inbox sees every replica's postbacks, and they outlive
//! restarts.

use paykassma::postback::PostbackTransaction;
use paykassma::{Applied, PostbackRecord, PostbackStore, apply_delivery};
use payments_core::async_trait;
use payments_core::error::BoxError;

use crate::store::{Journal, JournalError};

/// How many times a change that lost a race with another replica is tried
/// again before the delivery is left for Paykassma to redeliver.
const ATTEMPTS: usize = 20;

/// The scope of [`PaykassmaPostbacks::new`]: Paykassma's provider name,
/// the scope [`Journaled`](crate::Journaled) gives Paykassma's payments by
/// default.
const DEFAULT_SCOPE: &str = "paykassma";

/// A [`PostbackStore`] in the journal's database (tables
/// `paykassma_postbacks` and `paykassma_unmatched`, created by the journal's
/// migrations). Each change is a compare-and-set on the deposit's row, so
/// deliveries of one deposit to two replicas at once are both kept.
///
/// Postbacks are kept per scope, as journal entries are: a second merchant
/// account's inbox needs a store of its own
/// ([`with_scope`](PaykassmaPostbacks::with_scope)), or two deposits with one
/// `custom_transaction_id` on two accounts would share a record. Postbacks
/// are kept in clear (deposit ids, amounts, labels: no bearer instrument).
///
/// ```no_run
/// # async fn run(journal: payments_journal::Journal, verifier: paykassma::postback::PostbackVerifier) {
/// use std::sync::Arc;
///
/// let store = Arc::new(payments_journal::PaykassmaPostbacks::new(journal));
/// let inbox = paykassma::PostbackInbox::with_store(verifier, store);
/// # let _ = inbox; }
/// ```
#[derive(Debug, Clone)]
pub struct PaykassmaPostbacks {
    journal: Journal,
    scope: String,
}

impl PaykassmaPostbacks {
    /// The postback store of `journal`'s database, scope `"paykassma"`:
    /// the merchant account whose payments [`Journaled::new`](crate::Journaled::new)
    /// journals under Paykassma's name.
    pub fn new(journal: Journal) -> Self {
        PaykassmaPostbacks {
            journal,
            scope: DEFAULT_SCOPE.to_owned(),
        }
    }

    /// Keeps this store's postbacks under `scope`: for a second merchant
    /// account, the scope its gateway is journaled under
    /// ([`Journaled::with_scope`](crate::Journaled::with_scope), say
    /// `"paykassma/shop-42"`). Each scope sees only its own records and
    /// unmatched deliveries.
    ///
    /// ```no_run
    /// # fn run(journal: payments_journal::Journal) {
    /// use payments_journal::PaykassmaPostbacks;
    ///
    /// let shop_a = PaykassmaPostbacks::new(journal.clone()); // "paykassma"
    /// let shop_b = PaykassmaPostbacks::new(journal).with_scope("paykassma/shop-b");
    /// # let _ = (shop_a, shop_b); }
    /// ```
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The scope its postbacks are kept under.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    fn broken(&self, id: &str, error: &serde_json::Error) -> JournalError {
        JournalError::Entry {
            provider: self.scope.clone(),
            reference: id.to_owned(),
            reason: format!("stored postbacks do not parse: {error}"),
        }
    }
}

#[async_trait]
impl PostbackStore for PaykassmaPostbacks {
    async fn apply(&self, id: &str, tx: PostbackTransaction) -> Result<Applied, BoxError> {
        for _ in 0..ATTEMPTS {
            let held = self.journal.postback_get(&self.scope, id).await?;
            let (record, version) = match held {
                Some((text, version)) => {
                    let record: PostbackRecord =
                        serde_json::from_str(&text).map_err(|e| self.broken(id, &e))?;
                    (Some(record), Some(version))
                }
                None => (None, None),
            };
            let before = record.clone();
            let (after, applied) = apply_delivery(id, record, tx.clone());
            if before.as_ref() == Some(&after) {
                return Ok(applied);
            }
            let text = serde_json::to_string(&after).map_err(|e| self.broken(id, &e))?;
            let written = match version {
                None => self.journal.postback_insert(&self.scope, id, &text).await?,
                Some(version) => {
                    self.journal
                        .postback_update(&self.scope, id, &text, version)
                        .await?
                }
            };
            if written {
                return Ok(applied);
            }
        }
        Err(format!("deposit `{id}`: {ATTEMPTS} concurrent changes in a row; not stored").into())
    }

    async fn record(&self, id: &str) -> Result<Option<PostbackRecord>, BoxError> {
        match self.journal.postback_get(&self.scope, id).await? {
            Some((text, _)) => Ok(Some(
                serde_json::from_str(&text).map_err(|e| self.broken(id, &e))?,
            )),
            None => Ok(None),
        }
    }

    async fn keep_unmatched(&self, tx: PostbackTransaction) -> Result<bool, BoxError> {
        let text = serde_json::to_string(&tx).map_err(|e| self.broken("(unmatched)", &e))?;
        Ok(self.journal.unmatched_insert(&self.scope, &text).await?)
    }

    async fn unmatched(&self) -> Result<Vec<PostbackTransaction>, BoxError> {
        self.journal
            .unmatched_all(&self.scope)
            .await?
            .iter()
            .map(|text| {
                serde_json::from_str(text).map_err(|e| self.broken("(unmatched)", &e).into())
            })
            .collect()
    }
}
