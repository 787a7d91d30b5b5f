//! The journal's storage: one table, `payments_journal`, in SQLite or
//! PostgreSQL, with the same statements on both.

use std::collections::HashSet;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use payments_core::{MerchantReference, PaymentOutcome};

/// What the journal's storage can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The database refused or failed a statement, or could not be reached.
    #[error("journal storage: {0}")]
    Storage(#[from] sqlx::Error),
    /// The journal's schema could not be brought up to date.
    #[error("journal migrations: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// An entry that cannot be what the journal wrote (a stage it does not
    /// know, an outcome that does not parse), or a write that would break
    /// the journal's rules (a reference journaled twice).
    #[error("journal entry {provider}/{reference}: {reason}")]
    Entry {
        /// The provider.
        provider: String,
        /// The merchant reference.
        reference: String,
        /// What is wrong.
        reason: String,
    },
}

/// Where a journaled payment stands. Who writes each stage: see the crate
/// documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Prepared and written down; its commit has not been started. If the
    /// process stops here, nothing was sent: the sweeper marks it
    /// [`Stage::Abandoned`] once its lease runs out.
    Prepared,
    /// The commit request may leave (or has left): from here on, only the
    /// provider's reconciliation settles it.
    Committing,
    /// The commit's outcome could not be settled yet; the sweeper tries again.
    Unknown,
    /// Final: the provider proved the payment happened.
    Completed,
    /// Final: the provider proved the payment did not happen (a decline, a
    /// commit that was never sent).
    Failed,
    /// Final: the provider booked the payment on other terms than asked
    /// (another amount): money moved, and a person must look at it.
    Mismatch,
    /// Final: the process stopped before the commit was started; nothing
    /// was sent.
    Abandoned,
}

impl Stage {
    /// The stage's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Prepared => "prepared",
            Stage::Committing => "committing",
            Stage::Unknown => "unknown",
            Stage::Completed => "completed",
            Stage::Failed => "failed",
            Stage::Mismatch => "mismatch",
            Stage::Abandoned => "abandoned",
        }
    }

    fn parse(text: &str) -> Option<Stage> {
        Some(match text {
            "prepared" => Stage::Prepared,
            "committing" => Stage::Committing,
            "unknown" => Stage::Unknown,
            "completed" => Stage::Completed,
            "failed" => Stage::Failed,
            "mismatch" => Stage::Mismatch,
            "abandoned" => Stage::Abandoned,
            _ => return None,
        })
    }

    /// Whether nothing will change it any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Stage::Completed | Stage::Failed | Stage::Mismatch | Stage::Abandoned
        )
    }

    /// Whether money may have moved without the journal knowing how it
    /// ended: what [`settle_pending`](crate::Journaled::settle_pending) settles.
    pub fn is_open(self) -> bool {
        matches!(self, Stage::Committing | Stage::Unknown)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One payment's record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Entry {
    /// The scope it was journaled under: the provider's short name
    /// (`"jawali"`), or the [`Journaled::with_scope`](crate::Journaled::with_scope) given.
    pub provider: String,
    /// The merchant reference of the payment.
    pub reference: String,
    /// Where it stands.
    pub stage: Stage,
    /// The prepared payment, as the provider crate saved it
    /// ([`DurableGateway`](payments_core::gateway::DurableGateway)).
    pub prepared: serde_json::Value,
    /// The final (or latest) outcome the provider gave.
    pub outcome: Option<PaymentOutcome>,
    /// Why it is where it is, when an error said so (scrubbed of secrets by
    /// the SDK that produced it).
    pub detail: Option<String>,
    /// How many times its outcome was recorded (the payment, then each
    /// settling attempt).
    pub attempts: u32,
    /// When it was written first.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    provider: String,
    reference: String,
    stage: String,
    prepared: String,
    outcome: Option<String>,
    detail: Option<String>,
    attempts: i64,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str =
    "provider, reference, stage, prepared, outcome, detail, attempts, created_at, updated_at";

impl Row {
    fn into_entry(self) -> Result<Entry, JournalError> {
        let broken = |reason: String| JournalError::Entry {
            provider: self.provider.clone(),
            reference: self.reference.clone(),
            reason,
        };
        let stage = Stage::parse(&self.stage)
            .ok_or_else(|| broken(format!("unknown stage `{}`", self.stage)))?;
        let prepared = serde_json::from_str(&self.prepared)
            .map_err(|e| broken(format!("prepared state is not JSON: {e}")))?;
        let outcome = self
            .outcome
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| broken(format!("outcome does not parse: {e}")))?;
        Ok(Entry {
            stage,
            prepared,
            outcome,
            detail: self.detail,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
            provider: self.provider,
            reference: self.reference,
        })
    }
}

fn now_millis() -> i64 {
    millis(SystemTime::now())
}

fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Clone)]
enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// Runs the same statement on whichever database the journal uses.
macro_rules! on_pool {
    ($journal:expr, |$pool:ident| $body:expr) => {
        match &$journal.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            Backend::Postgres($pool) => $body,
        }
    };
}

/// The durable record of payments: SQLite (a file, nothing to run) or
/// PostgreSQL (several processes sharing one journal). Cheap to clone;
/// clones share the connection pool and the process's identity for leases.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), payments_journal::JournalError> {
/// let journal = payments_journal::Journal::in_memory().await?;
/// assert!(journal.entries("jawali").await?.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Journal {
    backend: Backend,
    owner: Arc<str>,
    in_flight: Arc<Mutex<HashSet<(String, String)>>>,
    /// Keeps an in-memory database alive; never used for statements.
    #[cfg(feature = "sqlite")]
    anchor: Option<Arc<Mutex<sqlx::SqliteConnection>>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        };
        f.debug_struct("Journal")
            .field("backend", &backend)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl Journal {
    fn with_backend(backend: Backend) -> Self {
        Journal {
            backend,
            owner: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4()).into(),
            in_flight: Arc::default(),
            #[cfg(feature = "sqlite")]
            anchor: None,
        }
    }

    /// A journal in the SQLite file at `path`, created if missing, its
    /// schema brought up to date. Written in WAL mode with `synchronous =
    /// FULL`: an entry the journal says is written survives a crash of the
    /// process and of the machine.
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`] (the file cannot be opened),
    /// [`JournalError::Migration`].
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Self, JournalError> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self::with_backend(Backend::Sqlite(pool)))
    }

    /// A journal in memory, for tests: gone with the process.
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`], [`JournalError::Migration`].
    #[cfg(feature = "sqlite")]
    pub async fn in_memory() -> Result<Self, JournalError> {
        use sqlx::Connection;
        use std::str::FromStr;
        // A named, shared in-memory database: every pooled connection sees
        // it (a connection closed by a cancelled query is replaced), and it
        // lives as long as the anchor connection the journal holds.
        let url = format!(
            "sqlite:file:payments-journal-{}?mode=memory&cache=shared",
            uuid::Uuid::new_v4()
        );
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
            .busy_timeout(Duration::from_secs(10));
        let anchor = sqlx::SqliteConnection::connect_with(&options).await?;
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let mut journal = Self::with_backend(Backend::Sqlite(pool));
        journal.anchor = Some(Arc::new(Mutex::new(anchor)));
        Ok(journal)
    }

    /// A journal in the PostgreSQL database at `url`
    /// (`postgres://user:password@host/database`), its schema brought up to
    /// date. Several processes may share it: each payment is settled by one
    /// of them at a time (row leases taken with `FOR UPDATE SKIP LOCKED`).
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`], [`JournalError::Migration`].
    #[cfg(feature = "postgres")]
    pub async fn postgres(url: &str) -> Result<Self, JournalError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self::with_backend(Backend::Postgres(pool)))
    }

    /// Names this journal's process in its leases (by default, the process
    /// id and a random UUID). Two journals with the same name would take
    /// each other's leases: keep it unique per process.
    #[must_use]
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into().into();
        self
    }

    /// The name this journal's leases carry.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The entry of `reference` at `provider`, if journaled.
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`], [`JournalError::Entry`].
    pub async fn entry(
        &self,
        provider: &str,
        reference: &str,
    ) -> Result<Option<Entry>, JournalError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM payments_journal WHERE provider = $1 AND reference = $2"
        );
        let row: Option<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(provider)
            .bind(reference)
            .fetch_optional(pool)
            .await?);
        row.map(Row::into_entry).transpose()
    }

    /// Every entry of `provider`, oldest first.
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`], [`JournalError::Entry`].
    pub async fn entries(&self, provider: &str) -> Result<Vec<Entry>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM payments_journal WHERE provider = $1 ORDER BY id");
        let rows: Vec<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(provider)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Row::into_entry).collect()
    }

    /// Writes a prepared payment, leased to this process for `lease`.
    pub(crate) async fn insert_prepared(
        &self,
        provider: &str,
        reference: &MerchantReference,
        prepared: &serde_json::Value,
        lease: Duration,
    ) -> Result<(), JournalError> {
        let now = now_millis();
        let sql = "INSERT INTO payments_journal \
             (provider, reference, stage, prepared, attempts, lease_owner, lease_until, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $7)";
        let prepared = prepared.to_string();
        let inserted = on_pool!(self, |pool| sqlx::query(sql)
            .bind(provider)
            .bind(reference.as_str())
            .bind(Stage::Prepared.as_str())
            .bind(&prepared)
            .bind(&*self.owner)
            .bind(now.saturating_add(duration_millis(lease)))
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()));
        inserted.map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => JournalError::Entry {
                provider: provider.to_owned(),
                reference: reference.to_string(),
                reason: "this reference is already journaled; every payment needs its own"
                    .to_owned(),
            },
            _ => JournalError::Storage(error),
        })
    }

    /// Moves a prepared payment to [`Stage::Committing`], leased to this
    /// process for `lease`. `false` when it is no longer `Prepared` (a
    /// sweeper abandoned it): then it must not be committed.
    pub(crate) async fn mark_committing(
        &self,
        provider: &str,
        reference: &MerchantReference,
        lease: Duration,
    ) -> Result<bool, JournalError> {
        let now = now_millis();
        let sql = "UPDATE payments_journal SET stage = $1, lease_owner = $2, lease_until = $3, updated_at = $4 \
             WHERE provider = $5 AND reference = $6 AND stage = $7 AND lease_owner = $2";
        let done = on_pool!(self, |pool| sqlx::query(sql)
            .bind(Stage::Committing.as_str())
            .bind(&*self.owner)
            .bind(now.saturating_add(duration_millis(lease)))
            .bind(now)
            .bind(provider)
            .bind(reference.as_str())
            .bind(Stage::Prepared.as_str())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// Records where a payment ended up and releases its lease. A final
    /// stage already written stays (another process settled it first).
    pub(crate) async fn record(
        &self,
        provider: &str,
        reference: &str,
        stage: Stage,
        outcome: Option<&PaymentOutcome>,
        detail: Option<&str>,
    ) -> Result<(), JournalError> {
        let outcome = outcome
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| JournalError::Entry {
                provider: provider.to_owned(),
                reference: reference.to_owned(),
                reason: format!("the outcome does not serialize: {e}"),
            })?;
        let sql = "UPDATE payments_journal SET stage = $1, outcome = COALESCE($2, outcome), detail = $3, \
             attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, updated_at = $4 \
             WHERE provider = $5 AND reference = $6 AND stage IN ('prepared', 'committing', 'unknown')";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(stage.as_str())
            .bind(outcome)
            .bind(detail)
            .bind(now_millis())
            .bind(provider)
            .bind(reference)
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// Takes up to `limit` open entries of `provider` whose lease has run
    /// out (or is this process's own, for a payment no longer in flight
    /// here), leasing them to this process for `lease`, each marked in
    /// flight here until its guard is dropped. Entries another process —
    /// or another task of this one — is settling are skipped, never waited
    /// for.
    pub(crate) async fn claim_open(
        &self,
        provider: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<(Entry, InFlight)>, JournalError> {
        let now = now_millis();
        let lock = match &self.backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE payments_journal SET lease_owner = $1, lease_until = $2 WHERE id IN (\
               SELECT id FROM payments_journal WHERE provider = $3 AND stage IN ('committing', 'unknown') \
               AND (lease_until IS NULL OR lease_until < $4 OR lease_owner = $1) \
               ORDER BY updated_at LIMIT $5{lock}) \
             RETURNING {COLUMNS}"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(&*self.owner)
            .bind(now.saturating_add(duration_millis(lease)))
            .bind(provider)
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        let entries = rows
            .into_iter()
            .map(Row::into_entry)
            .collect::<Result<Vec<_>, _>>()?;
        let mut keys = Vec::with_capacity(entries.len());
        {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for entry in entries {
                let key = (entry.provider.clone(), entry.reference.clone());
                // Taken and marked under one lock: two sweeps of this
                // process never both take it.
                if in_flight.insert(key.clone()) {
                    keys.push((entry, key));
                }
            }
        }
        Ok(keys
            .into_iter()
            .map(|(entry, key)| {
                let guard = InFlight {
                    set: Arc::clone(&self.in_flight),
                    key,
                };
                (entry, guard)
            })
            .collect())
    }

    /// Marks [`Stage::Abandoned`] the prepared entries of `provider` whose
    /// commit was never started: their lease ran out, or it is this
    /// process's own and the payment is no longer in flight here.
    pub(crate) async fn abandon_stale(&self, provider: &str) -> Result<u64, JournalError> {
        let now = now_millis();
        let candidates: Vec<(String,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT reference FROM payments_journal WHERE provider = $1 AND stage = $2 \
             AND (lease_until IS NULL OR lease_until < $3 OR lease_owner = $4)"
        )
        .bind(provider)
        .bind(Stage::Prepared.as_str())
        .bind(now)
        .bind(&*self.owner)
        .fetch_all(pool)
        .await?);
        let mut abandoned = 0;
        for (reference,) in candidates {
            if self.is_in_flight(provider, &reference) {
                continue;
            }
            let sql = "UPDATE payments_journal SET stage = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2, \
                 detail = 'the process stopped before the commit was started; nothing was sent' \
                 WHERE provider = $3 AND reference = $4 AND stage = $5 \
                 AND (lease_until IS NULL OR lease_until < $2 OR lease_owner = $6)";
            abandoned += on_pool!(self, |pool| sqlx::query(sql)
                .bind(Stage::Abandoned.as_str())
                .bind(now)
                .bind(provider)
                .bind(&reference)
                .bind(Stage::Prepared.as_str())
                .bind(&*self.owner)
                .execute(pool)
                .await?
                .rows_affected());
        }
        Ok(abandoned)
    }

    fn is_in_flight(&self, provider: &str, reference: &str) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&(provider.to_owned(), reference.to_owned()))
    }

    /// Marks a payment as being worked on in this process until the guard
    /// is dropped (the payment's future completes or is dropped).
    pub(crate) fn in_flight(&self, provider: &str, reference: &str) -> InFlight {
        let key = (provider.to_owned(), reference.to_owned());
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone());
        InFlight {
            set: Arc::clone(&self.in_flight),
            key,
        }
    }
}

/// The postback tables' statements (feature `paykassma`): a versioned
/// key-value row per deposit, and a set of unmatched deliveries, each per
/// scope (a merchant account).
#[cfg(feature = "paykassma")]
impl Journal {
    /// The record held for `id` in `scope` and its version.
    pub(crate) async fn postback_get(
        &self,
        scope: &str,
        id: &str,
    ) -> Result<Option<(String, i64)>, JournalError> {
        let sql = "SELECT record, version FROM paykassma_postbacks \
             WHERE scope = $1 AND custom_transaction_id = $2";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(scope)
            .bind(id)
            .fetch_optional(pool)
            .await?))
    }

    /// Writes the first record for `id` in `scope`; `false` if another
    /// wrote one first.
    pub(crate) async fn postback_insert(
        &self,
        scope: &str,
        id: &str,
        record: &str,
    ) -> Result<bool, JournalError> {
        let sql = "INSERT INTO paykassma_postbacks (scope, custom_transaction_id, record, version, updated_at) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT (scope, custom_transaction_id) DO NOTHING";
        Ok(on_pool!(self, |pool| sqlx::query(sql)
            .bind(scope)
            .bind(id)
            .bind(record)
            .bind(now_millis())
            .execute(pool)
            .await?
            .rows_affected())
            == 1)
    }

    /// Replaces the record of `id` in `scope` if it is still at `version`;
    /// `false` if another changed it first.
    pub(crate) async fn postback_update(
        &self,
        scope: &str,
        id: &str,
        record: &str,
        version: i64,
    ) -> Result<bool, JournalError> {
        let sql = "UPDATE paykassma_postbacks SET record = $1, version = version + 1, updated_at = $2 \
             WHERE scope = $3 AND custom_transaction_id = $4 AND version = $5";
        Ok(on_pool!(self, |pool| sqlx::query(sql)
            .bind(record)
            .bind(now_millis())
            .bind(scope)
            .bind(id)
            .bind(version)
            .execute(pool)
            .await?
            .rows_affected())
            == 1)
    }

    /// Keeps an unmatched delivery in `scope`; `false` if it is kept already.
    pub(crate) async fn unmatched_insert(
        &self,
        scope: &str,
        delivery: &str,
    ) -> Result<bool, JournalError> {
        let sql = "INSERT INTO paykassma_unmatched (scope, delivery, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (scope, delivery) DO NOTHING";
        Ok(on_pool!(self, |pool| sqlx::query(sql)
            .bind(scope)
            .bind(delivery)
            .bind(now_millis())
            .execute(pool)
            .await?
            .rows_affected())
            == 1)
    }

    /// Every unmatched delivery of `scope`, oldest first.
    pub(crate) async fn unmatched_all(&self, scope: &str) -> Result<Vec<String>, JournalError> {
        let rows: Vec<(String,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT delivery FROM paykassma_unmatched WHERE scope = $1 ORDER BY id"
        )
        .bind(scope)
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().map(|(delivery,)| delivery).collect())
    }
}

/// A payment in flight in this process; see [`Journal::in_flight`].
pub(crate) struct InFlight {
    set: Arc<Mutex<HashSet<(String, String)>>>,
    key: (String, String),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}
