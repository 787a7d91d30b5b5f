//! A crash after the commit request left, for each provider: the standalone
//! sandbox runs as a process of its own; the provider's example pays an
//! order in a child process with the journal and is killed with SIGKILL
//! once its commit reached the sandbox (which books it a moment later); a
//! fresh process settles it — running the same order again (every
//! provider), or sweeping the journal (`--settle`, Jawali). Each payment is
//! settled once, never committed again; the ledger agrees.
#![cfg(unix)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use payments_journal::Stage;
use serde_json::{Value, json};

mod support;

use support::{
    Sandbox, Scratch, admin, example_with, jawali_voucher, journal_entries, paykassma_paid,
    paykassma_with_receiver, start_sandbox, start_sandbox_with,
};

/// How a fresh process settles the payment the killed one left open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    /// `--settle FILE`: the journal's sweep.
    Sweep,
    /// The same `--order` again: the next call for the order settles it.
    Repeat,
}

/// Pays an order with `example` (`pay` its arguments) journaled, with a
/// deadline of 3 s, kills it with SIGKILL once its commit (`commit`, the
/// sandbox's operation name) reached the sandbox — which holds it a moment,
/// then books it — and settles it from a fresh process (`then`), which
/// waits for the killed one's lease (its deadline and 5 s). The payment is
/// completed once in the journal and booked once in the ledger.
async fn crash_after_commit(
    sandbox: &Sandbox,
    example: &str,
    commit: &str,
    pay: &[&str],
    journal: &std::path::Path,
    then: Then,
) {
    let journal_arg = journal.to_str().unwrap();
    let order = format!("crash-{}", fastrand::u64(..));
    let pay = [pay, &["--order", &order]].concat();
    admin(
        sandbox,
        "fault",
        Some(json!({"operation": commit, "delay_ms": 1500})),
    )
    .await;
    let mut payer = example_with(
        sandbox,
        example,
        &[&pay[..], &["--journal", journal_arg, "--deadline", "3"]].concat(),
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

    let started = Instant::now();
    let settled = match then {
        // Left to the sweep once the killed payer's lease ran out.
        Then::Sweep => loop {
            let status = example_with(sandbox, example, &["--settle", journal_arg])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            if status.success() || started.elapsed() > Duration::from_secs(40) {
                break status.success();
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        },
        // The next call for the order waits for that lease itself.
        Then::Repeat => example_with(
            sandbox,
            example,
            &[&pay[..], &["--journal", journal_arg]].concat(),
        )
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success(),
    };
    assert!(settled, "{example}: the payment was never settled");

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
    let voucher = jawali_voucher(&sandbox).await;
    let pay = voucher_args(&voucher);
    let dir = Scratch::new();
    crash_after_commit(
        &sandbox,
        "jawali",
        "cash_out",
        &pay,
        &dir.journal(),
        Then::Repeat,
    )
    .await;
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

/// The Jawali example's arguments for paying `voucher`.
fn voucher_args(voucher: &str) -> [&str; 6] {
    [
        "--voucher",
        voucher,
        "--mobile",
        "771234567",
        "--amount",
        "1500",
    ]
}

/// The same crash, left to the journal's sweep (`--settle`) rather than to
/// a repeat of the order.
#[tokio::test]
async fn a_jawali_payment_killed_after_its_cash_out_left_is_settled_once_by_the_sweep() {
    let sandbox = start_sandbox("jawali");
    let voucher = jawali_voucher(&sandbox).await;
    let pay = voucher_args(&voucher);
    let dir = Scratch::new();
    crash_after_commit(
        &sandbox,
        "jawali",
        "cash_out",
        &pay,
        &dir.journal(),
        Then::Sweep,
    )
    .await;
}

#[tokio::test]
async fn a_sipay_payment_killed_after_its_complete_left_is_settled_once() {
    let sandbox = start_sandbox("tr-qr-wallet");
    let qr = admin(&sandbox, "qr", Some(json!({"amount": "12.50"}))).await;
    let code = qr["qr_code"].as_str().unwrap();
    let wallet = qr["wallet"].as_str().unwrap();
    let pay = ["--wallet", wallet, "--amount", "12.50", "--qr", code];
    let dir = Scratch::new();
    crash_after_commit(
        &sandbox,
        "tr_qr_wallet",
        "complete",
        &pay,
        &dir.journal(),
        Then::Repeat,
    )
    .await;
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
        Then::Repeat,
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
    let (_receiver, sandbox) = paykassma_with_receiver(&journal);
    // The customer: a deposit's wallet, paid into; the transaction number.
    let key1 = paykassma_paid(&sandbox, "crash-1").await;
    let pay = ["--label", "crash-1", "--amount", "500", "--key1", &key1];
    crash_after_commit(
        &sandbox,
        "paykassma",
        "activate",
        &pay,
        &journal,
        Then::Repeat,
    )
    .await;
}
