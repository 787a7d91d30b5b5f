//! What the tests share: the providers' sandboxes as ledgers; a journal
//! database as versions before migration 0003 left it (before postback
//! scopes and sealed states).
#![allow(dead_code)] // each test file uses its own part

pub(crate) mod ledgers;

use std::path::{Path, PathBuf};

/// The migrations 0001 and 0002 for `database` (`sqlite`, `postgres`),
/// copied into a folder of `scratch`.
pub(crate) fn migrations_up_to_0002(database: &str, scratch: &Path) -> PathBuf {
    let old = scratch.join(format!("{database}-migrations-up-to-0002"));
    std::fs::create_dir_all(&old).unwrap();
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(database);
    for file in ["0001_payments_journal.sql", "0002_paykassma_postbacks.sql"] {
        std::fs::copy(migrations.join(file), old.join(file)).unwrap();
    }
    old
}

/// A SQLite journal database at `path` with the schema of migration 0002:
/// the migrations run as the versions that shipped them ran them, recorded
/// as applied. The pool writes rows as those versions did; close it before
/// opening the journal.
pub(crate) async fn journal_at_0002(path: &Path, scratch: &Path) -> sqlx::SqlitePool {
    let old = migrations_up_to_0002("sqlite", scratch);
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool
}
