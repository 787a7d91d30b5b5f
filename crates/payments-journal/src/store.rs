//! The journal's storage: one table, `payments_journal`, in SQLite or
//! PostgreSQL, with the same statements on both.

use std::collections::HashSet;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use payments_core::{MerchantReference, PaymentOutcome};
use zeroize::Zeroizing;

use crate::seal::{JournalKey, JournalKeyError, SEALED_V1, Sealer, Unsealable};

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
    /// A write that would break the journal's rules (a reference journaled
    /// twice), a saved state that cannot be sealed, or a stored postback
    /// that does not parse. (An entry that cannot be read is listed, and
    /// swept, as [`Stage::Quarantined`], not an error.)
    #[error("journal entry {provider}/{reference}: {reason}")]
    Entry {
        /// The provider.
        provider: String,
        /// The merchant reference.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// The journal's database was sealed with another [`JournalKey`]: it is
    /// not opened, rather than quarantining every open entry at the next
    /// sweep. Open it with the key it was created with.
    #[error(
        "the journal's key does not open this journal: it was sealed with another key (open it with the key it was created with; rotating keys is not supported yet)"
    )]
    WrongKey,
    /// A key could not be made (the operating system's random generator
    /// failed).
    #[error("journal key: {0}")]
    Key(#[from] JournalKeyError),
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
    /// For a person: the entry cannot be read — its sealed state does not
    /// open (changed by hand, moved from another entry, sealed with another
    /// key), does not parse, or the provider crate refuses it; or its stage
    /// or outcome is not one this version writes. `detail` says which. Not
    /// final (money may have moved) and not open: no sweep takes it again.
    /// Its sealed state is kept, for whoever looks into it.
    Quarantined,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 8] = [
        Stage::Prepared,
        Stage::Committing,
        Stage::Unknown,
        Stage::Completed,
        Stage::Failed,
        Stage::Mismatch,
        Stage::Abandoned,
        Stage::Quarantined,
    ];

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
            Stage::Quarantined => "quarantined",
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
            "quarantined" => Stage::Quarantined,
            _ => return None,
        })
    }

    /// Whether nothing will change it any more. ([`Stage::Quarantined`]
    /// is not: a person settles it.)
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
    /// The merchant's order id it pays (`None` for entries journaled
    /// before order ids).
    pub order_id: Option<String>,
    /// Which attempt at the order it is, from 1 (a later one only after a
    /// proven failure, when the merchant paid the order again).
    pub order_attempt: Option<u32>,
    /// Where it stands; [`Stage::Quarantined`] also for an entry this
    /// version cannot read (an unknown stage, an outcome that does not
    /// parse), with `detail` saying why.
    pub stage: Stage,
    /// Whether the entry still holds the sealed state a restore needs (the
    /// provider crate's [`DurableGateway`](payments_core::gateway::DurableGateway)
    /// state, encrypted with the journal's key). Erased once the entry is
    /// final or abandoned; never shown in clear.
    pub sealed: bool,
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
pub(crate) struct Row {
    provider: String,
    reference: String,
    order_id: Option<String>,
    order_attempt: Option<i64>,
    stage: String,
    sealed: String,
    outcome: Option<String>,
    detail: Option<String>,
    attempts: i64,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const COLUMNS: &str = "provider, reference, order_id, order_attempt, stage, sealed, outcome, detail, attempts, created_at, updated_at";

/// A lease taken is never shortened: this process's own entry may still be
/// committing here (its lease runs to the payment's deadline and a sweep
/// lease more), and a sweep taking it must not let it lapse early for
/// another process. `$2` is the new lease's end.
pub(crate) const KEEP_LONGER_LEASE: &str =
    "CASE WHEN lease_until IS NOT NULL AND lease_until > $2 THEN lease_until ELSE $2 END";

/// The stages a sweep may take (its statements name them as text).
pub(crate) const SWEPT: &str = "('committing', 'unknown')";

impl Row {
    fn stage(&self) -> Result<Stage, Unsealable> {
        Stage::parse(&self.stage).ok_or_else(|| {
            format!(
                "its stage `{:.40}` is not one this version writes",
                self.stage
            )
        })
    }

    fn outcome(&self) -> Result<Option<PaymentOutcome>, Unsealable> {
        self.outcome
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| format!("its outcome does not parse: {e}"))
    }

    /// The entry as listed: one that cannot be read is
    /// [`Stage::Quarantined`], `detail` saying why.
    pub(crate) fn into_entry(self) -> Entry {
        let read = self.stage().and_then(|stage| Ok((stage, self.outcome()?)));
        let (stage, outcome, detail) = match read {
            Ok((stage, outcome)) => (stage, outcome, self.detail),
            Err(reason) => (
                Stage::Quarantined,
                None,
                Some(format!("cannot be read: {reason}")),
            ),
        };
        Entry {
            stage,
            sealed: !self.sealed.is_empty(),
            outcome,
            detail,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
            provider: self.provider,
            reference: self.reference,
            order_id: self.order_id,
            order_attempt: self
                .order_attempt
                .map(|a| u32::try_from(a).unwrap_or(u32::MAX)),
        }
    }
}

/// An open entry a sweep took: its reference, and the saved state it holds
/// (opened with the journal's key) or why it cannot be read.
pub(crate) struct Claimed {
    /// The merchant reference.
    pub(crate) reference: String,
    /// The provider crate's saved state, for
    /// [`DurableGateway::restore_prepared`](payments_core::gateway::DurableGateway::restore_prepared).
    pub(crate) saved: Result<serde_json::Value, Unsealable>,
}

/// Brings a SQLite journal's schema up to date. sqlx takes no lock for
/// SQLite migrations: two processes opening one new file at once race, and
/// the loser's statement fails on what the winner just created (each
/// migration is applied in a transaction of its own, with its record). Run
/// again a moment later, it finds them applied.
#[cfg(feature = "sqlite")]
async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut tries = 0;
    loop {
        match sqlx::migrate!("migrations/sqlite").run(pool).await {
            Ok(()) => return Ok(()),
            Err(error) if tries >= 40 => return Err(error),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }
}

pub(crate) fn now_millis() -> i64 {
    millis(SystemTime::now())
}

pub(crate) fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

pub(crate) fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Clone)]
pub(crate) enum Backend {
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
            $crate::store::Backend::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The durable record of payments: SQLite (a file, nothing to run) or
/// PostgreSQL (several processes sharing one journal). Cheap to clone;
/// clones share the connection pool, the key and the process's identity
/// for leases.
///
/// Opened with the merchant's [`JournalKey`]: what a restore needs is
/// sealed with it (see the crate documentation for what stays in clear).
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
    pub(crate) backend: Backend,
    pub(crate) sealer: Arc<Sealer>,
    pub(crate) owner: Arc<str>,
    pub(crate) in_flight: Arc<Mutex<HashSet<(String, String)>>>,
    /// The orders a task of this process is preparing (scope, order id).
    pub(crate) orders_in_flight: Arc<Mutex<HashSet<(String, String)>>>,
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
    fn with_backend(backend: Backend, key: &JournalKey) -> Self {
        Journal {
            backend,
            sealer: Arc::new(Sealer::new(key)),
            owner: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4()).into(),
            in_flight: Arc::default(),
            orders_in_flight: Arc::default(),
            #[cfg(feature = "sqlite")]
            anchor: None,
        }
    }

    /// The journal on `backend`, its schema up to date: checks `key`
    /// against the one the journal was sealed with, then seals (or erases)
    /// what earlier versions left in clear.
    async fn open(backend: Backend, key: &JournalKey) -> Result<Self, JournalError> {
        let journal = Self::with_backend(backend, key);
        journal.check_key().await?;
        journal.seal_legacy().await?;
        Ok(journal)
    }

    /// A journal in the SQLite file at `path`, created if missing, its
    /// schema brought up to date, its saved states sealed with `key`.
    /// Written in WAL mode with `synchronous = FULL`: an entry the journal
    /// says is written survives a crash of the process and of the machine;
    /// and with `secure_delete`: a state erased, or sealed in place of the
    /// clear one an earlier version wrote, is overwritten in the file.
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`] (the file cannot be opened),
    /// [`JournalError::Migration`], [`JournalError::WrongKey`] (the file
    /// was sealed with another key).
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(
        path: impl AsRef<std::path::Path>,
        key: JournalKey,
    ) -> Result<Self, JournalError> {
        // Processes opening one new file at once meet while it is set up
        // (its journal mode switched to WAL, its schema written): a busy
        // database is waited for, then opened again.
        let path = path.as_ref();
        let mut tries = 0;
        loop {
            match Self::sqlite_once(path, &key).await {
                Err(JournalError::Storage(sqlx::Error::Database(error)))
                    if tries < 40 && matches!(error.code().as_deref(), Some("5" | "6" | "517")) =>
                {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                opened => return opened,
            }
        }
    }

    #[cfg(feature = "sqlite")]
    async fn sqlite_once(path: &std::path::Path, key: &JournalKey) -> Result<Self, JournalError> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(10))
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .pragma("secure_delete", "ON");
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrate_sqlite(&pool).await?;
        Self::open(Backend::Sqlite(pool), key).await
    }

    /// A journal in memory, for tests: gone with the process, sealed with a
    /// key of its own ([`JournalKey::generate`]).
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`], [`JournalError::Migration`],
    /// [`JournalError::Key`].
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
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10));
        let anchor = sqlx::SqliteConnection::connect_with(&options).await?;
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrate_sqlite(&pool).await?;
        let mut journal = Self::open(Backend::Sqlite(pool), &JournalKey::generate()?).await?;
        journal.anchor = Some(Arc::new(Mutex::new(anchor)));
        Ok(journal)
    }

    /// A journal in the PostgreSQL database at `url`
    /// (`postgres://user:password@host/database`), its schema brought up to
    /// date, its saved states sealed with `key`. Several processes may share
    /// it — all with the same key: each payment is settled by one of them
    /// at a time (row leases taken with `FOR UPDATE SKIP LOCKED`).
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`], [`JournalError::Migration`],
    /// [`JournalError::WrongKey`] (the database was sealed with another key).
    #[cfg(feature = "postgres")]
    pub async fn postgres(url: &str, key: JournalKey) -> Result<Self, JournalError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Self::open(Backend::Postgres(pool), &key).await
    }

    /// Writes the key check if the journal has none yet, then checks that
    /// `key` opens it.
    async fn check_key(&self) -> Result<(), JournalError> {
        let check = self
            .sealer
            .key_check()
            .map_err(|reason| JournalError::Key(JournalKeyError::new(reason)))?;
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO payments_journal_seal (id, key_check, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING"
        )
        .bind(&check)
        .bind(now_millis())
        .execute(pool)
        .await
        .map(|_| ())?);
        let (held,): (String,) = on_pool!(self, |pool| sqlx::query_as(
            "SELECT key_check FROM payments_journal_seal WHERE id = 1"
        )
        .fetch_one(pool)
        .await?);
        if self.sealer.opens_key_check(&held) {
            Ok(())
        } else {
            Err(JournalError::WrongKey)
        }
    }

    /// Seals the clear state that versions before sealing left in open
    /// entries, and erases it from final ones: once per journal (then
    /// noted, and a clear state found later is never trusted). Each row is
    /// changed only if it still holds what was read, so processes opening
    /// the journal at once do not seal one state twice.
    async fn seal_legacy(&self) -> Result<(), JournalError> {
        let (done,): (Option<i64>,) = on_pool!(self, |pool| sqlx::query_as(
            "SELECT legacy_sealed FROM payments_journal_seal WHERE id = 1"
        )
        .fetch_one(pool)
        .await?);
        if done.is_some() {
            return Ok(());
        }
        let sql = format!(
            "SELECT id, provider, reference, stage, sealed FROM payments_journal \
             WHERE sealed <> '' AND substr(sealed, 1, {}) <> '{SEALED_V1}'",
            SEALED_V1.len()
        );
        let rows: Vec<(i64, String, String, String, String)> =
            on_pool!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await?);
        for (id, provider, reference, stage, clear) in rows {
            let clear = Zeroizing::new(clear);
            let replaced = match Stage::parse(&stage) {
                Some(stage) if stage.is_final() => String::new(),
                _ => self
                    .sealer
                    .seal(&provider, &reference, clear.as_bytes())
                    .map_err(|reason| JournalError::Entry {
                        provider: provider.clone(),
                        reference: reference.clone(),
                        reason: reason.to_owned(),
                    })?,
            };
            on_pool!(self, |pool| sqlx::query(
                "UPDATE payments_journal SET sealed = $1 WHERE id = $2 AND sealed = $3"
            )
            .bind(&replaced)
            .bind(id)
            .bind(clear.as_str())
            .execute(pool)
            .await
            .map(|_| ())?);
        }
        on_pool!(self, |pool| sqlx::query(
            "UPDATE payments_journal_seal SET legacy_sealed = $1 \
             WHERE id = 1 AND legacy_sealed IS NULL"
        )
        .bind(now_millis())
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
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

    /// The entry of `reference` at `provider`, if journaled. An entry that
    /// cannot be read is returned as [`Stage::Quarantined`], `detail`
    /// saying why.
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`].
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
        Ok(row.map(Row::into_entry))
    }

    /// Every entry of `provider`, oldest first. One that cannot be read (a
    /// stage this version does not write, an outcome that does not parse)
    /// does not fail the listing: it is listed as [`Stage::Quarantined`],
    /// `detail` saying why. Sealed states are not opened here: a state that
    /// does not open is found, and its entry quarantined, by the sweep.
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`].
    pub async fn entries(&self, provider: &str) -> Result<Vec<Entry>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM payments_journal WHERE provider = $1 ORDER BY id");
        let rows: Vec<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(provider)
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(Row::into_entry).collect())
    }

    /// Writes a prepared payment — attempt `order.1` at order `order.0` —
    /// its saved state sealed for this entry, leased to this process for
    /// `lease`. `false` when that attempt is journaled already (another
    /// process prepared it too, after this one's lease on the order ran
    /// out): then it must not be committed.
    pub(crate) async fn insert_prepared(
        &self,
        provider: &str,
        reference: &MerchantReference,
        order: (&str, u32),
        prepared: &serde_json::Value,
        lease: Duration,
    ) -> Result<bool, JournalError> {
        let unsealed = |reason: String| JournalError::Entry {
            provider: provider.to_owned(),
            reference: reference.to_string(),
            reason,
        };
        let state = Zeroizing::new(
            serde_json::to_vec(prepared)
                .map_err(|e| unsealed(format!("the saved state does not serialize: {e}")))?,
        );
        let sealed = self
            .sealer
            .seal(provider, reference.as_str(), &state)
            .map_err(|reason| unsealed(reason.to_owned()))?;
        let now = now_millis();
        let sql = "INSERT INTO payments_journal \
             (provider, reference, order_id, order_attempt, stage, sealed, attempts, lease_owner, lease_until, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $9)";
        let inserted = on_pool!(self, |pool| sqlx::query(sql)
            .bind(provider)
            .bind(reference.as_str())
            .bind(order.0)
            .bind(i64::from(order.1))
            .bind(Stage::Prepared.as_str())
            .bind(&sealed)
            .bind(&*self.owner)
            .bind(now.saturating_add(duration_millis(lease)))
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()));
        match inserted {
            Ok(()) => Ok(true),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                if self
                    .attempt_entry(provider, order.0, order.1)
                    .await?
                    .is_some()
                {
                    return Ok(false);
                }
                Err(JournalError::Entry {
                    provider: provider.to_owned(),
                    reference: reference.to_string(),
                    reason: "this reference is already journaled; every payment needs its own"
                        .to_owned(),
                })
            }
            Err(error) => Err(JournalError::Storage(error)),
        }
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

    /// Records where a payment ended up and releases its lease; a final
    /// stage erases the sealed state. A final stage already written stays
    /// (another process settled it first), and so does an entry another
    /// process holds now (it took over once this one's lease ran out: it
    /// records what it finds).
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
             attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, updated_at = $4, \
             sealed = CASE WHEN $7 THEN '' ELSE sealed END \
             WHERE provider = $5 AND reference = $6 AND stage IN ('prepared', 'committing', 'unknown') \
             AND (lease_owner IS NULL OR lease_owner = $8)";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(stage.as_str())
            .bind(outcome)
            .bind(detail)
            .bind(now_millis())
            .bind(provider)
            .bind(reference)
            .bind(stage.is_final())
            .bind(&*self.owner)
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// Takes up to `limit` open entries of `provider` whose lease has run
    /// out (or is this process's own, for a payment no longer in flight
    /// here), leasing them to this process for `lease`, each marked in
    /// flight here until its guard is dropped, each with its saved state
    /// opened — or why it cannot be: a state that does not open or parse,
    /// an outcome that does not parse, is not an error of the sweep.
    /// Entries another process — or another task of this one — is settling
    /// are skipped, never waited for.
    pub(crate) async fn claim_open(
        &self,
        provider: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<(Claimed, InFlight)>, JournalError> {
        let now = now_millis();
        let lock = match &self.backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE payments_journal SET lease_owner = $1, lease_until = {KEEP_LONGER_LEASE} WHERE id IN (\
               SELECT id FROM payments_journal WHERE provider = $3 AND stage IN {SWEPT} \
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
        let mut keys = Vec::with_capacity(rows.len());
        {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for row in rows {
                let key = (row.provider.clone(), row.reference.clone());
                // Taken and marked under one lock: two sweeps of this
                // process never both take it.
                if in_flight.insert(key.clone()) {
                    keys.push((row, key));
                }
            }
        }
        Ok(keys
            .into_iter()
            .map(|(row, key)| {
                let guard = InFlight {
                    set: Arc::clone(&self.in_flight),
                    key,
                };
                let saved = self.open_saved(&row);
                let claimed = Claimed {
                    reference: row.reference,
                    saved,
                };
                (claimed, guard)
            })
            .collect())
    }

    /// The saved state of a row a sweep took, opened and parsed; or why it
    /// cannot be read.
    pub(crate) fn open_saved(&self, row: &Row) -> Result<serde_json::Value, Unsealable> {
        row.stage()?;
        row.outcome()?;
        let state = self
            .sealer
            .open(&row.provider, &row.reference, &row.sealed)?;
        serde_json::from_slice(&state).map_err(|e| format!("its opened state is not JSON: {e}"))
    }

    /// Marks an entry this process's sweep took [`Stage::Quarantined`],
    /// `reason` in its detail, and releases its lease; `false` if it is no
    /// longer this process's to mark.
    pub(crate) async fn quarantine(
        &self,
        provider: &str,
        reference: &str,
        reason: &str,
    ) -> Result<bool, JournalError> {
        let sql = format!(
            "UPDATE payments_journal SET stage = $1, detail = $2, lease_owner = NULL, lease_until = NULL, \
             updated_at = $3 WHERE provider = $4 AND reference = $5 AND lease_owner = $6 AND stage IN {SWEPT}"
        );
        let done = on_pool!(self, |pool| sqlx::query(&sql)
            .bind(Stage::Quarantined.as_str())
            .bind(format!("cannot be restored: {reason}"))
            .bind(now_millis())
            .bind(provider)
            .bind(reference)
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// Closes as [`Stage::Abandoned`] this process's entry `reference`
    /// whose commit was certainly not sent (its `committing` mark may or may
    /// not have been written), erasing its sealed state; `false` if it is
    /// no longer this process's to close.
    pub(crate) async fn abandon_own(
        &self,
        provider: &str,
        reference: &str,
    ) -> Result<bool, JournalError> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE payments_journal SET stage = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2, \
             sealed = '', detail = 'the journal failed before the commit was started; nothing was sent' \
             WHERE provider = $3 AND reference = $4 AND lease_owner = $5 AND attempts = 0 \
             AND stage IN ('prepared', 'committing')"
        )
        .bind(Stage::Abandoned.as_str())
        .bind(now_millis())
        .bind(provider)
        .bind(reference)
        .bind(&*self.owner)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(done == 1)
    }

    /// Extends this process's lease on the open entry `reference` to `lease`
    /// from now (never shortening it); `false` if it is no longer this
    /// process's (another took it over): then it must not be settled here.
    pub(crate) async fn renew_lease(
        &self,
        provider: &str,
        reference: &str,
        lease: Duration,
    ) -> Result<bool, JournalError> {
        let sql = format!(
            "UPDATE payments_journal SET lease_until = {KEEP_LONGER_LEASE} \
             WHERE provider = $3 AND reference = $4 AND lease_owner = $1 AND stage IN {SWEPT}"
        );
        let done = on_pool!(self, |pool| sqlx::query(&sql)
            .bind(&*self.owner)
            .bind(now_millis().saturating_add(duration_millis(lease)))
            .bind(provider)
            .bind(reference)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// Marks [`Stage::Abandoned`] the prepared entries of `provider` whose
    /// commit was never started — their lease ran out, or it is this
    /// process's own and the payment is no longer in flight here — and
    /// erases their sealed state.
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
                 sealed = '', detail = 'the process stopped before the commit was started; nothing was sent' \
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
    /// is dropped (the payment's future completes or is dropped); `None`
    /// if another task here works on it.
    pub(crate) fn in_flight(&self, provider: &str, reference: &str) -> Option<InFlight> {
        let key = (provider.to_owned(), reference.to_owned());
        let fresh = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone());
        // Another task of this process holds it (a sweep settling it): the
        // mark is its own, and not released by this one.
        fresh.then(|| InFlight {
            set: Arc::clone(&self.in_flight),
            key,
        })
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
    pub(crate) set: Arc<Mutex<HashSet<(String, String)>>>,
    pub(crate) key: (String, String),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}
