//! What the process tests share: the examples' binaries, the standalone
//! sandbox and its admin API, journals and scratch folders.
#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use payments_journal::{Entry, Journal};
use serde_json::Value;

/// An example binary built beside this test (`cargo test` builds them).
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    debug.join("examples").join(name)
}

/// Starts `command` (a receiver example), its standard output piped here,
/// and the address it prints after `listening    : `. What it prints
/// afterwards is read and dropped, or its writes would fail.
pub(crate) fn spawn_listening(command: &mut Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("the receiver examples are built (cargo test builds examples)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(Result::unwrap)
        .find_map(|line| line.strip_prefix("listening    : ").map(str::to_owned))
        .expect("the receiver prints its address");
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

/// The standalone sandbox, killed when dropped.
pub(crate) struct Sandbox {
    pub(crate) child: Child,
    pub(crate) admin: String,
    pub(crate) environment: Vec<(String, String)>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_sandbox(provider: &str) -> Sandbox {
    start_sandbox_with(provider, &[])
}

pub(crate) fn start_sandbox_with(provider: &str, more: &[&str]) -> Sandbox {
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

pub(crate) async fn admin(sandbox: &Sandbox, path: &str, body: Option<Value>) -> Value {
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

pub(crate) fn example_with(sandbox: &Sandbox, name: &str, args: &[&str]) -> Command {
    let mut command = Command::new(example(name));
    command.args(args).envs(sandbox.environment.iter().cloned());
    command
}

/// What the journal file holds for `scope`, read as a fresh process would
/// (with the key the examples wrote beside it, or `PAYMENTS_JOURNAL_KEY`).
pub(crate) async fn journal_entries(journal: &std::path::Path, scope: &str) -> Vec<Entry> {
    Journal::sqlite(journal, examples::journal_key(journal).unwrap())
        .await
        .unwrap()
        .entries(scope)
        .await
        .unwrap()
}

/// A child process, killed when dropped.
pub(crate) struct Guard(pub(crate) Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch folder, removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new() -> Self {
        Scratch(tempfile_dir())
    }

    pub(crate) fn journal(&self) -> PathBuf {
        self.0.join("journal.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "crash-test-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A Jawali voucher the sandbox's customer made: 1500 YER for wallet
/// 771234567.
pub(crate) async fn jawali_voucher(sandbox: &Sandbox) -> String {
    admin(
        sandbox,
        "voucher",
        Some(serde_json::json!({"amount": "1500", "currency": "YER", "mobile": "771234567"})),
    )
    .await["voucher"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The Paykassma merchant's side as its own processes: the postback
/// receiver (the `paykassma_axum` example) storing postbacks in the journal
/// at `journal`, and the standalone sandbox delivering them there. The
/// receiver is killed when its guard is dropped.
pub(crate) fn paykassma_with_receiver(journal: &std::path::Path) -> (Guard, Sandbox) {
    let (receiver, url) = spawn_listening(
        Command::new(example("paykassma_axum"))
            .env("PAYKASSMA_JOURNAL", journal)
            .env("PAYKASSMA_POSTBACK_ADDR", "127.0.0.1:0"),
    );
    let receiver = Guard(receiver);
    (
        receiver,
        start_sandbox_with("paykassma", &["--postback-url", &url]),
    )
}

/// The Paykassma customer: a deposit's wallet for `label`, 500 MMK paid
/// into it; the transaction number they got.
pub(crate) async fn paykassma_paid(sandbox: &Sandbox, label: &str) -> String {
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
    let wallet = client
        .create_deposit(
            &paykassma::Label::new(label).unwrap(),
            payments_core::Currency::MMK,
        )
        .await
        .unwrap()
        .identifier
        .unwrap();
    admin(
        sandbox,
        "pay",
        Some(serde_json::json!({"wallet": wallet, "amount": "500", "currency": "MMK"})),
    )
    .await["key1"]
        .as_str()
        .unwrap()
        .to_owned()
}
