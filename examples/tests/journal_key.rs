//! The examples' journal key: `PAYMENTS_JOURNAL_KEY` when set (a malformed
//! one named in a one-line error), otherwise a key file beside the journal,
//! created readable by its owner only and read back by the next process.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use payments_journal::{Journal, JournalKey, Stage};

/// An example binary built beside this test (`cargo test` builds them).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    debug.join("examples").join(name)
}

/// One journaled Sipay payment against the example's embedded sandbox,
/// with `key` in `PAYMENTS_JOURNAL_KEY` (or the variable unset).
fn pay(journal: &Path, key: Option<&str>) -> Output {
    let mut command = Command::new(example("tr_qr_wallet"));
    command
        .args(["--journal", journal.to_str().unwrap()])
        .env_remove("PAYMENTS_JOURNAL_KEY");
    for (name, _) in std::env::vars() {
        if name.starts_with("TR_QR_") {
            command.env_remove(name);
        }
    }
    if let Some(key) = key {
        command.env("PAYMENTS_JOURNAL_KEY", key);
    }
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn without_the_variable_a_key_file_is_created_beside_the_journal_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.db");
    let key_file = examples::journal_key_file(&journal);
    assert_eq!(key_file, dir.path().join("journal.db.key"));

    let first = pay(&journal, None);
    assert!(first.status.success(), "{}", stderr(&first));
    let said = stderr(&first);
    assert_eq!(said.matches("journal key").count(), 1, "said once: {said}");
    assert!(
        said.contains("created") && said.contains("journal.db.key"),
        "{said}"
    );
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    let written = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(
        written.len(),
        65,
        "64 hexadecimal characters and a line end"
    );
    assert!(written.trim_end().chars().all(|c| c.is_ascii_hexdigit()));
    assert!(
        !said.contains(written.trim_end()),
        "the key is never printed"
    );

    let second = pay(&journal, None);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stderr(&second).contains("read"), "{}", stderr(&second));
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), written);

    let key = JournalKey::from_hex(&written).unwrap();
    let entries = Journal::sqlite(&journal, key)
        .await
        .unwrap()
        .entries("tr-qr-wallet")
        .await
        .unwrap();
    assert_eq!(entries.len(), 2, "both payments, in one journal, one key");
    assert!(entries.iter().all(|e| e.stage == Stage::Completed));
}

#[test]
fn a_malformed_key_variable_is_named_in_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.db");
    let output = pay(&journal, Some("not-a-key-0123"));
    assert!(!output.status.success());
    let said = stderr(&output);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.starts_with("error: PAYMENTS_JOURNAL_KEY: "), "{said}");
    assert!(said.contains("64 hexadecimal characters"), "{said}");
    assert!(!said.contains("not-a-key-0123"), "{said}");
    assert!(!journal.exists(), "no journal opened without its key");
    assert!(!examples::journal_key_file(&journal).exists());
}

#[test]
fn a_journal_is_not_opened_with_another_key() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.db");
    let key = "ab".repeat(32);
    let first = pay(&journal, Some(&key));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        !examples::journal_key_file(&journal).exists(),
        "the variable's key: no key file"
    );
    let other = pay(&journal, Some(&"cd".repeat(32)));
    assert!(!other.status.success());
    let said = stderr(&other);
    assert!(said.contains("another key"), "{said}");
    assert!(
        !said.contains(&"cd".repeat(32)) && !said.contains(&key),
        "{said}"
    );
}
