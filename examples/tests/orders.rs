//! One order, one payment, through the provider examples as a merchant runs
//! them: against the standalone sandbox, the same `--order` run twice at
//! once through one journal file makes one payment and both runs exit 0;
//! run again later, it prints the recorded outcome and sends nothing; with
//! another `--amount` it exits non-zero before any request, naming the
//! order id.
#![cfg(unix)]

use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

mod support;

use support::{
    Sandbox, Scratch, admin, example_with, jawali_voucher, paykassma_paid, paykassma_with_receiver,
    start_sandbox,
};

fn run(command: &mut Command) -> Output {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn ledger(sandbox: &Sandbox) -> Value {
    admin(sandbox, "ledger", None).await
}

/// The rules above for `example`, paying with `pay` through the journal
/// file `journal`; `other` is `pay` with another amount.
async fn one_order_one_payment(
    sandbox: &Sandbox,
    example: &str,
    pay: &[&str],
    other: &[&str],
    journal: &std::path::Path,
) {
    let order = format!("order-{}", fastrand::u64(..));
    let journaled = ["--journal", journal.to_str().unwrap(), "--order", &order];
    let args = [pay, &journaled].concat();

    // Twice at once: a double click, a retried request.
    let first = example_with(sandbox, example, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = example_with(sandbox, example, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(first.status.success(), "{example}: {}", text(&first));
    assert!(second.status.success(), "{example}: {}", text(&second));
    let paid = ledger(sandbox).await;
    assert_eq!(
        paid["bookings"].as_array().unwrap().len(),
        1,
        "{example}: one order, one payment: {paid}"
    );

    // Later: the recorded outcome, nothing sent.
    let again = run(&mut example_with(sandbox, example, &args));
    assert!(again.status.success(), "{example}: {}", text(&again));
    assert!(
        text(&again).contains("recorded earlier, nothing sent"),
        "{example}: {}",
        text(&again)
    );
    let after = ledger(sandbox).await;
    assert_eq!(after["requests"], paid["requests"], "{example}: {after}");
    assert_eq!(after["bookings"], paid["bookings"], "{example}");

    // Another amount: refused before any request, naming the order id.
    let refused = run(&mut example_with(
        sandbox,
        example,
        &[other, &journaled].concat(),
    ));
    assert!(!refused.status.success(), "{example}: {}", text(&refused));
    let said = text(&refused);
    assert!(said.contains(&order), "{example}: {said}");
    assert!(said.contains("amount"), "{example}: {said}");
    let after = ledger(sandbox).await;
    assert_eq!(after["requests"], paid["requests"], "{example}: {after}");
    assert_eq!(after["bookings"], paid["bookings"], "{example}");
}

#[tokio::test]
async fn jawali_pays_one_order_once_across_processes() {
    let sandbox = start_sandbox("jawali");
    let voucher = jawali_voucher(&sandbox).await;
    let pay = ["--voucher", &voucher, "--mobile", "771234567"];
    one_order_one_payment(
        &sandbox,
        "jawali",
        &[&pay[..], &["--amount", "1500"]].concat(),
        &[&pay[..], &["--amount", "1400"]].concat(),
        &Scratch::new().journal(),
    )
    .await;
}

#[tokio::test]
async fn sipay_pays_one_order_once_across_processes() {
    let sandbox = start_sandbox("tr-qr-wallet");
    let qr = admin(&sandbox, "qr", Some(json!({"amount": "12.50"}))).await;
    let code = qr["qr_code"].as_str().unwrap();
    let wallet = qr["wallet"].as_str().unwrap();
    let pay = ["--wallet", wallet, "--qr", code];
    one_order_one_payment(
        &sandbox,
        "tr_qr_wallet",
        &[&pay[..], &["--amount", "12.50"]].concat(),
        &[&pay[..], &["--amount", "13.50"]].concat(),
        &Scratch::new().journal(),
    )
    .await;
}

#[tokio::test]
async fn allpay_pays_one_order_once_across_processes() {
    let sandbox = start_sandbox("allpay");
    one_order_one_payment(
        &sandbox,
        "allpay",
        &["--user", "77011234567", "--amount", "1500"],
        &["--user", "77011234567", "--amount", "1400"],
        &Scratch::new().journal(),
    )
    .await;
}

/// Paykassma settles by postback: the merchant's receiver runs as a
/// process of its own and stores postbacks in the journal's database.
#[tokio::test]
async fn paykassma_pays_one_order_once_across_processes() {
    let dir = Scratch::new();
    let journal = dir.journal();
    let (_receiver, sandbox) = paykassma_with_receiver(&journal);
    // The customer: a deposit's wallet, paid into; the transaction number.
    let key1 = paykassma_paid(&sandbox, "orders-1").await;
    let pay = ["--label", "orders-1", "--key1", &key1];
    // The receiver's journal is the payers' journal.
    one_order_one_payment(
        &sandbox,
        "paykassma",
        &[&pay[..], &["--amount", "500"]].concat(),
        &[&pay[..], &["--amount", "400"]].concat(),
        &journal,
    )
    .await;
}
