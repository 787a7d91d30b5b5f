//! A crash after the commit request left: the standalone sandbox runs as a
//! process of its own; the `jawali` example pays in a child process with
//! the journal and is killed with SIGKILL once its cash-out reached the
//! sandbox (which books it a moment later); a fresh process settles the
//! journal. The payment is settled once, and the sandbox's ledger agrees.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use payments_journal::{Journal, Stage};
use serde_json::{Value, json};

/// An example binary built beside this test (`cargo test` builds them).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    debug.join("examples").join(name)
}

/// The standalone sandbox, killed when dropped.
struct Sandbox {
    child: Child,
    admin: String,
    environment: Vec<(String, String)>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sandbox(provider: &str) -> Sandbox {
    let mut child = Command::new(example("sandbox"))
        .args(["--provider", provider])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the sandbox example is built (cargo test builds examples)");
    let stdout = child.stdout.take().unwrap();
    let mut admin = None;
    let mut environment = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("admin: ") {
            admin = Some(url.to_owned());
        } else if let Some(pair) = line.strip_prefix("export ") {
            let (name, value) = pair.split_once('=').unwrap();
            environment.push((name.to_owned(), value.to_owned()));
        } else if line == "ready" {
            break;
        }
    }
    Sandbox {
        child,
        admin: admin.expect("the sandbox prints its admin address"),
        environment,
    }
}

async fn admin(sandbox: &Sandbox, path: &str, body: Option<Value>) -> Value {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", sandbox.admin);
    let request = match body {
        Some(body) => http.post(url).body(body.to_string()),
        None => http.get(url),
    };
    let answer = request.send().await.unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap()
}

fn jawali(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = Command::new(example("jawali"));
    command.args(args).envs(sandbox.environment.iter().cloned());
    command
}

#[tokio::test]
async fn a_payment_killed_after_its_cash_out_left_is_settled_once_by_a_fresh_process() {
    let sandbox = start_sandbox("jawali");
    let dir = tempfile_dir();
    let journal = dir.join("journal.db");
    let voucher = admin(
        &sandbox,
        "voucher",
        Some(json!({"amount": "1500", "currency": "YER", "mobile": "771234567"})),
    )
    .await["voucher"]
        .as_str()
        .unwrap()
        .to_owned();
    // The sandbox holds the cash-out a moment before it books it: time to
    // kill the payer after its request arrived, before any answer.
    admin(
        &sandbox,
        "fault",
        Some(json!({"operation": "cash_out", "delay_ms": 1500})),
    )
    .await;
    let requests_before = admin(&sandbox, "ledger", None).await["requests"]
        .as_u64()
        .unwrap();
    let mut payer = jawali(
        &sandbox,
        &[
            "--voucher",
            &voucher,
            "--mobile",
            "771234567",
            "--amount",
            "1500",
            "--journal",
            journal.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    // LOGIN, wallet authentication, inquiry, then the cash-out: the fourth
    // request. Kill the payer the moment it arrives.
    let started = Instant::now();
    loop {
        let requests = admin(&sandbox, "ledger", None).await["requests"]
            .as_u64()
            .unwrap();
        if requests >= requests_before + 4 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the cash-out never arrived"
        );
        assert!(
            payer.try_wait().unwrap().is_none(),
            "the payer ended before its cash-out arrived"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    payer.kill().unwrap(); // SIGKILL
    payer.wait().unwrap();

    // Killed mid-commit: the journal says so.
    let entries = Journal::sqlite(&journal)
        .await
        .unwrap()
        .entries("jawali")
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].stage, Stage::Committing, "{:?}", entries[0]);

    // A fresh process settles it, by status lookups only.
    let mut settled = false;
    for _ in 0..5 {
        let status = jawali(&sandbox, &["--settle", journal.to_str().unwrap()])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        if status.success() {
            settled = true;
            break;
        }
    }
    assert!(settled, "the sweeper never settled the payment");

    let entries = Journal::sqlite(&journal)
        .await
        .unwrap()
        .entries("jawali")
        .await
        .unwrap();
    assert_eq!(entries[0].stage, Stage::Completed, "{:?}", entries[0]);
    let ledger = admin(&sandbox, "ledger", None).await;
    let bookings = ledger["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 1, "paid once: {ledger}");
    assert_eq!(bookings[0]["voucher"], json!(voucher));
    let landed = entries[0].outcome.as_ref().unwrap().reference.as_str();
    assert_eq!(bookings[0]["reference"], json!(landed), "{ledger}");
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "crash-test-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
