//! A crash after the commit request left, for each provider: the standalone
//! sandbox runs as a process of its own; the provider's example pays in a
//! child process with the journal and is killed with SIGKILL once its commit
//! reached the sandbox (which books it a moment later); a fresh process
//! settles the journal. Each payment is settled once; the ledger agrees.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use payments_journal::{Entry, Journal, Stage};
use serde_json::{Value, json};

mod support;

use support::{example, spawn_listening};

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
    start_sandbox_with(provider, &[])
}

fn start_sandbox_with(provider: &str, more: &[&str]) -> Sandbox {
    let mut child = Command::new(example("sandbox"))
        .args(["--provider", provider])
        .args(more)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the sandbox example is built (cargo test builds examples)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut admin = None;
    let mut environment = Vec::new();
    for line in lines.by_ref() {
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
    std::thread::spawn(move || lines.for_each(drop));
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

fn example_with(sandbox: &Sandbox, name: &str, args: &[&str]) -> Command {
    let mut command = Command::new(example(name));
    command.args(args).envs(sandbox.environment.iter().cloned());
    command
}

/// Pays with `example` (`pay` its arguments) journaled, kills it with
/// SIGKILL once its commit (`commit`, the sandbox's operation name)
/// reached the sandbox — which holds it a moment, then books it — and
/// settles the journal from fresh processes. The payment is completed
/// once in the journal and booked once in the ledger.
async fn crash_after_commit(
    sandbox: &Sandbox,
    example: &str,
    commit: &str,
    pay: &[&str],
    journal: &std::path::Path,
) {
    let journal_arg = journal.to_str().unwrap();
    admin(
        sandbox,
        "fault",
        Some(json!({"operation": commit, "delay_ms": 1500})),
    )
    .await;
    let mut payer = example_with(
        sandbox,
        example,
        &[pay, &["--journal", journal_arg]].concat(),
    )
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    let started = Instant::now();
    while admin(sandbox, "ledger", None).await["faults_injected"]
        .as_u64()
        .unwrap()
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{example}: the commit never arrived"
        );
        assert!(
            payer.try_wait().unwrap().is_none(),
            "{example}: the payer ended before its commit arrived"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    payer.kill().unwrap(); // SIGKILL, the commit in flight
    payer.wait().unwrap();

    let scope = admin(sandbox, "ledger", None).await["provider"]
        .as_str()
        .unwrap()
        .to_owned();
    let entries = journal_entries(journal, &scope).await;
    assert_eq!(entries.len(), 1, "{example}");
    assert_eq!(
        entries[0].stage,
        Stage::Committing,
        "{example}: {:?}",
        entries[0]
    );

    let mut settled = false;
    for _ in 0..5 {
        let status = example_with(sandbox, example, &["--settle", journal_arg])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        if status.success() {
            settled = true;
            break;
        }
    }
    assert!(settled, "{example}: the sweeper never settled the payment");

    let entries = journal_entries(journal, &scope).await;
    assert_eq!(
        entries[0].stage,
        Stage::Completed,
        "{example}: {:?}",
        entries[0]
    );
    let ledger = admin(sandbox, "ledger", None).await;
    let bookings = ledger["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 1, "{example}: paid once: {ledger}");
    let landed = entries[0].outcome.as_ref().unwrap().reference.as_str();
    assert_eq!(
        bookings[0]["reference"],
        json!(landed),
        "{example}: {ledger}"
    );
}

#[tokio::test]
async fn a_jawali_payment_killed_after_its_cash_out_left_is_settled_once() {
    let state = Scratch::new();
    let ledger_file = state.0.join("ledger.json");
    let sandbox = start_sandbox_with("jawali", &["--state", ledger_file.to_str().unwrap()]);
    let voucher = admin(
        &sandbox,
        "voucher",
        Some(json!({"amount": "1500", "currency": "YER", "mobile": "771234567"})),
    )
    .await["voucher"]
        .as_str()
        .unwrap()
        .to_owned();
    let pay = [
        "--voucher",
        &voucher,
        "--mobile",
        "771234567",
        "--amount",
        "1500",
    ];
    let dir = Scratch::new();
    crash_after_commit(&sandbox, "jawali", "cash_out", &pay, &dir.journal()).await;
    // Another process reads the ledger from the state file.
    let started = Instant::now();
    loop {
        let written: Value = std::fs::read(&ledger_file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null);
        if written["bookings"].as_array().is_some_and(|b| b.len() == 1) {
            assert_eq!(written["bookings"][0]["voucher"], json!(voucher));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the state file never showed the booking: {written}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_sipay_payment_killed_after_its_complete_left_is_settled_once() {
    let sandbox = start_sandbox("tr-qr-wallet");
    let qr = admin(&sandbox, "qr", Some(json!({"amount": "12.50"}))).await;
    let code = qr["qr_code"].as_str().unwrap();
    let wallet = qr["wallet"].as_str().unwrap();
    let pay = ["--wallet", wallet, "--amount", "12.50", "--qr", code];
    let dir = Scratch::new();
    crash_after_commit(&sandbox, "tr_qr_wallet", "complete", &pay, &dir.journal()).await;
}

#[tokio::test]
async fn an_allpay_cash_in_killed_after_it_left_is_settled_once() {
    let sandbox = start_sandbox("allpay");
    let pay = ["--user", "77011234567", "--amount", "1500"];
    let dir = Scratch::new();
    crash_after_commit(
        &sandbox,
        "allpay",
        "createCashInPayment",
        &pay,
        &dir.journal(),
    )
    .await;
}

/// Paykassma settles by postback: the merchant's receiver (the
/// `paykassma_axum` example) runs as a process of its own and stores the
/// postbacks in the journal's database, where the sweeper reads them.
#[tokio::test]
async fn a_paykassma_deposit_killed_after_its_activation_left_is_settled_once() {
    let dir = Scratch::new();
    let journal = dir.journal();
    let (receiver, url) = spawn_listening(
        Command::new(example("paykassma_axum"))
            .env("PAYKASSMA_JOURNAL", &journal)
            .env("PAYKASSMA_POSTBACK_ADDR", "127.0.0.1:0"),
    );
    let _receiver = Guard(receiver);
    let sandbox = start_sandbox_with("paykassma", &["--postback-url", &url]);
    // The customer: a deposit's wallet, paid into; the transaction number.
    let env = |name: &str| {
        sandbox
            .environment
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let api = payments_core::BaseUrl::parse(&env("PAYKASSMA_API_URL")).unwrap();
    let client = paykassma::PaykassmaClient::new(paykassma::PaykassmaConfig::with_urls(
        api.clone(),
        api,
        payments_core::SecretString::from(env("PAYKASSMA_SECRET")),
    ))
    .unwrap();
    let label = paykassma::Label::new("crash-1").unwrap();
    let wallet = client
        .create_deposit(&label, payments_core::Currency::MMK, None)
        .await
        .unwrap()
        .identifier
        .unwrap();
    let key1 = admin(
        &sandbox,
        "pay",
        Some(json!({"wallet": wallet, "amount": "500", "currency": "MMK"})),
    )
    .await["key1"]
        .as_str()
        .unwrap()
        .to_owned();
    let pay = ["--label", "crash-1", "--amount", "500", "--key1", &key1];
    crash_after_commit(&sandbox, "paykassma", "activate", &pay, &journal).await;
}

/// What the journal file holds for `scope`, read as a fresh process would
/// (with the key the examples wrote beside it, or `PAYMENTS_JOURNAL_KEY`).
async fn journal_entries(journal: &std::path::Path, scope: &str) -> Vec<Entry> {
    Journal::sqlite(journal, examples::journal_key(journal).unwrap())
        .await
        .unwrap()
        .entries(scope)
        .await
        .unwrap()
}

/// A child process, killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        Scratch(tempfile_dir())
    }

    fn journal(&self) -> PathBuf {
        self.0.join("journal.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
