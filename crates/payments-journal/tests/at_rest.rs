//! The journal at rest, on SQLite, with Jawali's sandbox (whose saved state
//! holds a voucher code — a bearer instrument — and the customer's mobile
//! number): neither ever reaches the database, while the payment is open or
//! after; a sealed state changed by hand, moved to another entry or replaced
//! by a clear one is quarantined, never restored, and the sweep settles the
//! other payments; final entries hold no sealed state; a journal written
//! before sealing is sealed when opened, and still settles.

#![cfg(feature = "sqlite")]

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber, VoucherCode, VoucherPayment};
use payments_core::gateway::DurableGateway;
use payments_core::http::RetryPolicy;
use payments_core::sandbox::Fault;
use payments_core::{Currency, Gateway, Money, PaymentStatus};
use payments_journal::{Journal, JournalError, JournalKey, Journaled, Stage};
use secrecy::ExposeSecret;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// Every voucher code of these tests starts with it: what must never be
/// found in the database.
const VOUCHER: &str = "BEARER-7Q4Z";
/// The customer's mobile number.
const MOBILE: &str = "775550123";

fn yer(amount: &str) -> Money {
    Money::parse(amount, Currency::YER).unwrap()
}

fn key() -> JournalKey {
    JournalKey::from_hex(&"5a".repeat(32)).unwrap()
}

struct Shop {
    sandbox: JawaliSandbox,
    client: JawaliClient,
    vouchers: std::sync::atomic::AtomicUsize,
}

impl Shop {
    async fn start() -> Shop {
        let sandbox = JawaliSandbox::start().await.unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_secs(2);
        let client = JawaliClient::builder(config)
            .clock(Arc::new(sandbox.clock().clone()))
            .settle_policy(RetryPolicy::new(
                4,
                Duration::from_millis(5),
                Duration::from_millis(20),
            ))
            .build()
            .unwrap();
        Shop {
            sandbox,
            client,
            vouchers: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// A customer's voucher of 1500 YER, code `BEARER-7Q4Z-<n>`.
    fn order(&self) -> VoucherPayment {
        let n = self
            .vouchers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let code = VoucherCode::new(&format!("{VOUCHER}-{n}")).unwrap();
        let mobile = MobileNumber::new(MOBILE).unwrap();
        self.sandbox
            .create_voucher_with_code(&code, yer("1500"), &mobile);
        VoucherPayment::new(
            jawali::OrderId::generate(),
            code.as_str(),
            MOBILE,
            yer("1500"),
        )
        .unwrap()
    }

    /// Pays `order` with its cash-out held a moment at the sandbox, and
    /// drops the payment once its entry is `committing` and the cash-out
    /// reached the sandbox — as a crash would leave it. Waits until the
    /// held cash-out is over, then returns the entry's reference.
    async fn leave_open(&self, payments: &Journaled<JawaliClient>) -> String {
        let journal = payments.journal();
        let known: HashSet<String> = references(journal).await;
        let faults = self.sandbox.faults();
        let arrived = faults.injected().len();
        faults.inject("cash_out", Fault::Delay(Duration::from_millis(400)));
        let watch = async {
            for _ in 0..500 {
                if faults.injected().len() > arrived
                    && let Some(entry) = journal
                        .entries("jawali")
                        .await
                        .unwrap()
                        .into_iter()
                        .find(|e| !known.contains(&e.reference))
                    && entry.stage == Stage::Committing
                {
                    return entry.reference;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            panic!("the cash-out never reached the sandbox");
        };
        let reference = tokio::select! {
            _ = payments.pay(self.order()) => panic!("the cash-out is held: the payment cannot finish"),
            reference = watch => reference,
        };
        tokio::time::sleep(Duration::from_millis(600)).await;
        reference
    }
}

async fn references(journal: &Journal) -> HashSet<String> {
    journal
        .entries("jawali")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.reference)
        .collect()
}

/// A connection of the test's own to the journal's file.
async fn raw(path: &Path) -> SqliteConnection {
    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}

/// Every value of every column of every row of every table, as text.
async fn every_value(path: &Path) -> Vec<String> {
    let mut db = raw(path).await;
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let mut values = Vec::new();
    for (table,) in tables {
        let columns: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&mut db)
                .await
                .unwrap();
        for (column,) in columns {
            let cells: Vec<(Option<Vec<u8>>,)> = sqlx::query_as(&format!(
                "SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\""
            ))
            .fetch_all(&mut db)
            .await
            .unwrap();
            values.extend(
                cells
                    .into_iter()
                    .filter_map(|(cell,)| cell)
                    .map(|cell| String::from_utf8_lossy(&cell).into_owned()),
            );
        }
    }
    values
}

/// The database file's bytes, and its write-ahead log's, after a
/// checkpoint.
async fn file_bytes(path: &Path) -> Vec<u8> {
    let mut db = raw(path).await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_all(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    for suffix in ["-wal", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(more) = std::fs::read(PathBuf::from(name)) {
            bytes.extend(more);
        }
    }
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// `secret` as written, and in the forms that would only hide it: hex, and
/// base64 at each of its three alignments (whatever precedes it).
fn forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    let bytes = secret.as_bytes();
    let mut forms = vec![
        secret.to_owned(),
        hex::encode(bytes),
        hex::encode_upper(bytes),
    ];
    for skip in 0..3 {
        let whole = (bytes.len() - skip) / 3 * 3;
        let part = &bytes[skip..skip + whole];
        forms.push(base64::engine::general_purpose::STANDARD.encode(part));
        forms.push(base64::engine::general_purpose::URL_SAFE.encode(part));
    }
    forms
}

/// Neither a voucher code nor the mobile number — in clear, hex or base64 —
/// is in any column or in the file; `reference` (written in clear) is, in
/// both: the search finds what is there.
async fn assert_no_bearer_instrument(path: &Path, reference: &str, when: &str) {
    let values = every_value(path).await;
    assert!(
        values.iter().any(|v| v.contains(reference)),
        "{when}: the search does not see the entry"
    );
    let secrets: Vec<String> = [VOUCHER, MOBILE].into_iter().flat_map(forms).collect();
    for secret in &secrets {
        let found: Vec<_> = values.iter().filter(|v| v.contains(secret)).collect();
        assert!(found.is_empty(), "{when}: {secret} in a column: {found:?}");
    }
    let bytes = file_bytes(path).await;
    assert!(
        holds(&bytes, reference),
        "{when}: the file's bytes do not show the entry"
    );
    for secret in &secrets {
        assert!(!holds(&bytes, secret), "{when}: {secret} in the file");
    }
}

/// The raw text of an entry's sealed column.
async fn sealed_text(path: &Path, reference: &str) -> String {
    let (text,): (String,) =
        sqlx::query_as("SELECT sealed FROM payments_journal WHERE reference = $1")
            .bind(reference)
            .fetch_one(&mut raw(path).await)
            .await
            .unwrap();
    text
}

async fn set_sealed_text(path: &Path, reference: &str, text: &str) {
    let done = sqlx::query("UPDATE payments_journal SET sealed = $1 WHERE reference = $2")
        .bind(text)
        .bind(reference)
        .execute(&mut raw(path).await)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(done, 1);
}

async fn stage(journal: &Journal, reference: &str) -> payments_journal::Entry {
    journal.entry("jawali", reference).await.unwrap().unwrap()
}

fn now_millis() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_voucher_code_and_mobile_number_never_reach_the_database_open_or_final() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let journal = Journal::sqlite(&path, key()).await.unwrap();
    let payments = Journaled::new(shop.client.clone(), journal.clone());

    let open = shop.leave_open(&payments).await;
    let entry = stage(&journal, &open).await;
    assert_eq!(entry.stage, Stage::Committing);
    assert!(entry.sealed, "open: the state a restore needs is held");
    assert!(sealed_text(&path, &open).await.starts_with("v1:"));
    assert!(!format!("{entry:?}").contains(VOUCHER));
    assert_no_bearer_instrument(&path, &open, "open").await;

    let report = payments.settle_pending(10).await.unwrap();
    assert_eq!((report.claimed, report.completed), (1, 1), "{report:?}");
    let entry = stage(&journal, &open).await;
    assert_eq!(entry.stage, Stage::Completed);
    assert!(!entry.sealed);
    assert_eq!(sealed_text(&path, &open).await, "");
    // And one paid at once, never left open.
    let outcome = payments.pay(shop.order()).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_no_bearer_instrument(&path, &open, "final").await;
}

#[tokio::test]
async fn a_hand_edited_sealed_state_is_quarantined_and_the_sweep_settles_the_other_payment() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let journal = Journal::sqlite(&path, key()).await.unwrap();
    let payments = Journaled::new(shop.client.clone(), journal.clone());
    let edited = shop.leave_open(&payments).await;
    let valid = shop.leave_open(&payments).await;

    // One character of the sealed text changed to another base64 one.
    let mut text = sealed_text(&path, &edited).await.into_bytes();
    let at = text.len() / 2;
    text[at] = if text[at] == b'A' { b'B' } else { b'A' };
    set_sealed_text(&path, &edited, std::str::from_utf8(&text).unwrap()).await;

    let report = payments.settle_pending(10).await.unwrap();
    assert_eq!(report.claimed, 2, "{report:?}");
    assert_eq!(report.completed, 1, "the valid one is settled: {report:?}");
    assert_eq!(report.quarantined.len(), 1, "{report:?}");
    let (reference, reason) = &report.quarantined[0];
    assert_eq!(reference, &edited);
    assert!(reason.contains("does not open"), "{reason}");

    let entry = stage(&journal, &edited).await;
    assert_eq!(entry.stage, Stage::Quarantined);
    assert!(!entry.stage.is_final() && !entry.stage.is_open());
    assert!(
        entry.detail.as_deref().unwrap().contains("does not open"),
        "{entry:?}"
    );
    assert!(entry.sealed, "kept for whoever looks into it");
    assert_eq!(stage(&journal, &valid).await.stage, Stage::Completed);

    let again = payments.settle_pending(10).await.unwrap();
    assert_eq!(again.claimed, 0, "never swept again: {again:?}");
    assert_eq!(journal.entries("jawali").await.unwrap().len(), 2);
}

/// Finding 3: a clear state, copied from a saved payment with both amounts
/// changed to 1 YER, written over an open entry's sealed one — then the
/// process restarts. It is not sealed as an earlier version's state would
/// be, and not restored: quarantined; the other open payment is settled.
#[tokio::test]
async fn a_clear_state_with_changed_amounts_is_quarantined_not_restored() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    // Restarted under the same name, the process takes its own at once.
    let journal = Journal::sqlite(&path, key())
        .await
        .unwrap()
        .with_owner("shop");
    let payments = Journaled::new(shop.client.clone(), journal.clone());
    let forged = shop.leave_open(&payments).await;
    let valid = shop.leave_open(&payments).await;

    let prepared = shop.client.prepare(shop.order()).await.unwrap();
    let clear = shop.client.save_prepared(&prepared).unwrap().to_string();
    let cheap = clear.replace("\"1500.00\"", "\"1.00\"");
    assert_ne!(cheap, clear, "the amounts were changed");
    assert!(cheap.contains(VOUCHER));
    // The entry's own reference, as an editor would write it.
    let cheap = cheap.replace(shop.client.reference(&prepared).as_str(), &forged);
    set_sealed_text(&path, &forged, &cheap).await;

    drop(payments);
    drop(journal);
    let journal = Journal::sqlite(&path, key())
        .await
        .unwrap()
        .with_owner("shop");
    assert_eq!(
        sealed_text(&path, &forged).await,
        cheap,
        "a restart does not seal it"
    );
    let payments = Journaled::new(shop.client.clone(), journal.clone());
    let report = payments.settle_pending(10).await.unwrap();
    assert_eq!((report.claimed, report.completed), (2, 1), "{report:?}");
    assert_eq!(report.quarantined.len(), 1, "{report:?}");
    let (reference, reason) = &report.quarantined[0];
    assert_eq!(reference, &forged);
    assert!(reason.contains("not sealed"), "{reason}");
    assert!(!reason.contains(VOUCHER) && !reason.contains(MOBILE));
    let entry = stage(&journal, &forged).await;
    assert_eq!(entry.stage, Stage::Quarantined);
    assert!(!entry.detail.unwrap().contains(VOUCHER));
    assert_eq!(stage(&journal, &valid).await.stage, Stage::Completed);
    let cheap_bookings = shop
        .sandbox
        .cash_outs()
        .into_iter()
        .filter(|c| c.amount == yer("1"))
        .count();
    assert_eq!(cheap_bookings, 0, "nothing was paid on the forged terms");
}

#[tokio::test]
async fn a_sealed_state_moved_to_another_reference_does_not_open() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let journal = Journal::sqlite(&path, key()).await.unwrap();
    let payments = Journaled::new(shop.client.clone(), journal.clone());
    let source = shop.leave_open(&payments).await;
    let target = shop.leave_open(&payments).await;

    let moved = sealed_text(&path, &source).await;
    set_sealed_text(&path, &target, &moved).await;

    let report = payments.settle_pending(10).await.unwrap();
    assert_eq!((report.claimed, report.completed), (2, 1), "{report:?}");
    assert_eq!(report.quarantined.len(), 1, "{report:?}");
    assert_eq!(report.quarantined[0].0, target);
    assert!(report.quarantined[0].1.contains("does not open"));
    assert_eq!(stage(&journal, &target).await.stage, Stage::Quarantined);
    assert_eq!(stage(&journal, &source).await.stage, Stage::Completed);
}

#[tokio::test]
async fn final_and_abandoned_entries_have_their_sealed_state_erased() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let journal = Journal::sqlite(&path, key()).await.unwrap();
    let payments = Journaled::new(shop.client.clone(), journal.clone());

    let outcome = payments.pay(shop.order()).await.unwrap();
    let completed = outcome.reference.as_str();
    let entry = stage(&journal, completed).await;
    assert_eq!(entry.stage, Stage::Completed);
    assert!(!entry.sealed);
    assert_eq!(sealed_text(&path, completed).await, "");

    // A prepared entry whose process is gone (its lease ran out).
    sqlx::query(
        "INSERT INTO payments_journal (provider, reference, stage, sealed, lease_owner, lease_until, created_at, updated_at) \
         VALUES ('jawali', 'stopped-before-commit', 'prepared', $1, 'gone', 0, $2, $2)",
    )
    .bind(format!("v1:{}", "A".repeat(200)))
    .bind(now_millis())
    .execute(&mut raw(&path).await)
    .await
    .unwrap();
    assert!(stage(&journal, "stopped-before-commit").await.sealed);
    let report = payments.settle_pending(10).await.unwrap();
    assert_eq!(report.abandoned, 1, "{report:?}");
    let entry = stage(&journal, "stopped-before-commit").await;
    assert_eq!(entry.stage, Stage::Abandoned);
    assert!(!entry.sealed);
    assert_eq!(sealed_text(&path, "stopped-before-commit").await, "");
}

/// Findings 4: rows this version cannot read — a stage it does not know,
/// an outcome that does not parse — do not fail the listing, nor the sweep,
/// which quarantines the open one and settles the valid payment.
#[tokio::test]
async fn rows_that_cannot_be_read_fail_neither_the_listing_nor_the_sweep() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let journal = Journal::sqlite(&path, key()).await.unwrap();
    let payments = Journaled::new(shop.client.clone(), journal.clone());
    let valid = shop.leave_open(&payments).await;
    let mut db = raw(&path).await;
    for (reference, stage, outcome) in [
        ("odd-stage", "half-done", None),
        ("odd-outcome", "committing", Some("{not json")),
    ] {
        sqlx::query(
            "INSERT INTO payments_journal (provider, reference, stage, sealed, outcome, created_at, updated_at) \
             VALUES ('jawali', $1, $2, 'v1:AAAA', $3, 0, 0)",
        )
        .bind(reference)
        .bind(stage)
        .bind(outcome)
        .execute(&mut db)
        .await
        .unwrap();
    }

    let entries = journal.entries("jawali").await.unwrap();
    assert_eq!(entries.len(), 3);
    for (reference, says) in [
        ("odd-stage", "half-done"),
        ("odd-outcome", "outcome does not parse"),
    ] {
        let entry = entries.iter().find(|e| e.reference == reference).unwrap();
        assert_eq!(entry.stage, Stage::Quarantined, "{entry:?}");
        let detail = entry.detail.as_deref().unwrap();
        assert!(detail.contains(says), "{detail}");
    }

    let report = payments.settle_pending(10).await.unwrap();
    assert_eq!(report.claimed, 2, "{report:?}");
    assert_eq!(report.completed, 1, "{report:?}");
    assert_eq!(
        report
            .quarantined
            .iter()
            .map(|(r, _)| r.as_str())
            .collect::<Vec<_>>(),
        ["odd-outcome"]
    );
    assert_eq!(stage(&journal, &valid).await.stage, Stage::Completed);
    let (stored,): (String,) =
        sqlx::query_as("SELECT stage FROM payments_journal WHERE reference = 'odd-outcome'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(stored, "quarantined");
    let (lease,): (Option<i64>,) =
        sqlx::query_as("SELECT lease_until FROM payments_journal WHERE reference = 'odd-outcome'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(lease, None, "its lease is released");
}

#[tokio::test]
async fn a_journal_opened_with_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    drop(Journal::sqlite(&path, key()).await.unwrap());
    let other = JournalKey::generate().unwrap();
    let hex = other.to_hex();
    let error = Journal::sqlite(&path, other).await.unwrap_err();
    assert!(matches!(error, JournalError::WrongKey), "{error:?}");
    assert!(!error.to_string().contains(hex.expose_secret()));
    assert!(!format!("{error:?}").contains(hex.expose_secret()));
    Journal::sqlite(&path, key()).await.unwrap();
}

/// A journal the version before sealing wrote — its migrations run as that
/// version ran them, a `committing` payment (its cash-out sent) and a
/// `completed` one saved in clear — opened with a key: the open one is
/// sealed and settled, the final one's state erased, and no clear byte is
/// left in the file. Opened again, nothing changes.
#[tokio::test]
async fn a_journal_written_before_sealing_is_sealed_when_opened_and_still_settles() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    {
        let pool = support::journal_at_0002(&path, dir.path()).await;
        let sent = shop.client.prepare(shop.order()).await.unwrap();
        let sent_state = shop.client.save_prepared(&sent).unwrap();
        let outcome = shop.client.commit(&sent).await.unwrap();
        assert_eq!(outcome.status, PaymentStatus::Completed);
        let done = shop.client.prepare(shop.order()).await.unwrap();
        let done_state = shop.client.save_prepared(&done).unwrap();
        for (reference, stage, state) in [
            (shop.client.reference(&sent), "committing", &sent_state),
            (shop.client.reference(&done), "completed", &done_state),
        ] {
            sqlx::query(
                "INSERT INTO payments_journal (provider, reference, stage, prepared, attempts, lease_owner, lease_until, created_at, updated_at) \
                 VALUES ('jawali', $1, $2, $3, 0, 'gone', 0, $4, $4)",
            )
            .bind(reference.as_str())
            .bind(stage)
            .bind(state.to_string())
            .bind(now_millis())
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;
        assert!(
            holds(&file_bytes(&path).await, VOUCHER),
            "the old journal holds the voucher in clear"
        );
        let sent = shop.client.reference(&sent).to_string();
        let done = shop.client.reference(&done).to_string();

        let journal = Journal::sqlite(&path, key()).await.unwrap();
        let open = sealed_text(&path, &sent).await;
        assert!(open.starts_with("v1:"), "{open}");
        assert_eq!(sealed_text(&path, &done).await, "");
        assert!(stage(&journal, &sent).await.sealed);
        assert!(!stage(&journal, &done).await.sealed);
        assert_no_bearer_instrument(&path, &sent, "after the upgrade").await;

        drop(journal);
        let journal = Journal::sqlite(&path, key()).await.unwrap();
        assert_eq!(sealed_text(&path, &sent).await, open, "sealed once");

        let payments = Journaled::new(shop.client.clone(), journal.clone());
        let report = payments.settle_pending(10).await.unwrap();
        assert_eq!((report.claimed, report.completed), (1, 1), "{report:?}");
        let entry = stage(&journal, &sent).await;
        assert_eq!(entry.stage, Stage::Completed);
        assert!(!entry.sealed);
        // Journaled before order ids: none, and settled by reference.
        assert_eq!((entry.order_id, entry.order_attempt), (None, None));
        assert_eq!(shop.sandbox.cash_outs().len(), 1, "paid once");
    }
}

/// Set `PAYMENTS_JOURNAL_POSTGRES_URL` to run this; `.ci/run` does. The old
/// journal is made in a schema of its own, dropped afterwards.
#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    #[allow(clippy::print_stderr)]
    #[tokio::test]
    async fn a_journal_written_before_sealing_is_sealed_when_opened_and_still_settles() {
        let Ok(url) = std::env::var("PAYMENTS_JOURNAL_POSTGRES_URL") else {
            eprintln!("skipped: set PAYMENTS_JOURNAL_POSTGRES_URL=postgres://… to run it");
            return;
        };
        let schema = format!("before_sealing_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let separator = if url.contains('?') { '&' } else { '?' };
        let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}");

        let shop = Shop::start().await;
        let scratch = tempfile::tempdir().unwrap();
        let old = support::migrations_up_to_0002("postgres", scratch.path());
        let pool = sqlx::PgPool::connect(&scoped).await.unwrap();
        let (current,): (String,) = sqlx::query_as("SELECT current_schema()")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(current, schema, "a database of its own");
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        let sent = shop.client.prepare(shop.order()).await.unwrap();
        let sent_state = shop.client.save_prepared(&sent).unwrap();
        shop.client.commit(&sent).await.unwrap();
        let done = shop.client.prepare(shop.order()).await.unwrap();
        let done_state = shop.client.save_prepared(&done).unwrap();
        let (sent, done) = (
            shop.client.reference(&sent).to_string(),
            shop.client.reference(&done).to_string(),
        );
        for (reference, stage, state) in [
            (&sent, "committing", &sent_state),
            (&done, "completed", &done_state),
        ] {
            sqlx::query(
                "INSERT INTO payments_journal (provider, reference, stage, prepared, attempts, lease_owner, lease_until, created_at, updated_at) \
                 VALUES ('jawali', $1, $2, $3, 0, 'gone', 0, $4, $4)",
            )
            .bind(reference)
            .bind(stage)
            .bind(state.to_string())
            .bind(now_millis())
            .execute(&pool)
            .await
            .unwrap();
        }

        let journal = Journal::postgres(&scoped, key()).await.unwrap();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT reference, sealed FROM payments_journal")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(rows.len(), 2);
        for (reference, sealed) in &rows {
            assert!(!sealed.contains(VOUCHER) && !sealed.contains(MOBILE));
            if reference == &sent {
                assert!(sealed.starts_with("v1:"), "{sealed}");
            } else {
                assert_eq!(reference, &done);
                assert_eq!(sealed, "", "final: erased");
            }
        }
        let payments = Journaled::new(shop.client.clone(), journal.clone());
        let report = payments.settle_pending(10).await.unwrap();
        assert_eq!((report.claimed, report.completed), (1, 1), "{report:?}");
        assert_eq!(
            journal.entry("jawali", &sent).await.unwrap().unwrap().stage,
            Stage::Completed
        );
        pool.close().await;
        drop((payments, journal));
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

/// The provider's answers quote the merchant's credentials (a system error
/// after the cash-out was booked, as a provider echoing its request would):
/// the payment is left unknown with a `detail`, then settled. No credential
/// and no token the sandbox issued is in any error the shop was told, in
/// any column, or in the file.
#[tokio::test]
async fn no_credential_or_token_reaches_the_journal_even_from_answers_quoting_them() {
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let journal = Journal::sqlite(&path, key()).await.unwrap();
    let payments = Journaled::new(shop.client.clone(), journal.clone());
    let credentials = jawali::sandbox::CREDENTIALS;
    let quoting = format!(
        r#"{{"responseStatus":{{"systemStatus":"-1","systemStatusDesc":"System error: LOGIN {} / {}, wallet {} / {}","systemStatusDescNative":"{}"}},"responseBody":null}}"#,
        credentials.username,
        credentials.password,
        credentials.agent_wallet,
        credentials.wallet_password,
        credentials.password,
    );
    shop.sandbox.faults().inject(
        "cash_out",
        Fault::commit_then(200, "application/json", quoting.clone()),
    );
    // The lookups of the payment's own settling (its policy: four) are
    // answered the same way: it is left unknown, for the sweep.
    shop.sandbox.faults().inject_times(
        Some("check_status".to_owned()),
        Fault::commit_then(200, "application/json", quoting),
        4,
    );
    let error = payments.pay(shop.order()).await.unwrap_err();
    assert!(!error.outcome_known(), "{error:?}");
    let reference = error.reference().unwrap().to_owned();
    let open = stage(&journal, &reference).await;
    assert!(open.detail.is_some(), "{open:?}");
    let report = payments.settle_pending(10).await.unwrap();
    assert_eq!(report.completed, 1, "{report:?}");

    let secrets: Vec<String> = shop.sandbox.secrets();
    assert!(
        secrets.len() >= 4,
        "credentials and the tokens issued: {secrets:?}"
    );
    let texts = payments_core::testkit::error_texts(&error);
    let values = every_value(&path).await;
    assert!(
        values.iter().any(|v| v.contains(&reference)),
        "the search sees the entry"
    );
    let bytes = file_bytes(&path).await;
    for secret in &secrets {
        assert!(
            !texts.iter().any(|t| t.contains(secret)),
            "{secret} in the error"
        );
        assert!(
            !values.iter().any(|v| v.contains(secret)),
            "{secret} in a column"
        );
        assert!(!holds(&bytes, secret), "{secret} in the file");
    }
}
