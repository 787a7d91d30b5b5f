//! The main job: one complete payment through every provider SDK, each
//! against its embedded sandbox, all driven through the common
//! [`Gateway`](payments_core::Gateway) trait by the same generic flow.
//!
//! ```text
//! cargo run --example checkout              # clean runs
//! cargo run --example checkout -- --faults  # the sandboxes drop answers after committing
//! ```
//!
//! Prints a table — provider, merchant reference, amount, final status,
//! round trips, elapsed time — and exits 0 only if every payment completed.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use examples::fail;
use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber, VoucherPayment};
use payments_core::sandbox::Fault;
use payments_core::{Currency, Gateway, Money, PaymentOutcome, PaymentStatus, pay};

#[derive(Parser)]
#[command(about = "One payment through every provider, against the embedded sandboxes")]
struct Args {
    /// Make each sandbox drop the connection after committing the payment,
    /// and show how each unknown outcome was reconciled.
    #[arg(long)]
    faults: bool,
}

/// One row of the table.
struct Row {
    provider: &'static str,
    outcome: Result<PaymentOutcome, payments_core::Error>,
    round_trips: usize,
    elapsed: Duration,
    note: String,
}

/// Providers whose SDK exists but does not implement the `Gateway` yet:
/// they run in their own examples.
const NOT_ON_GATEWAY: [&str; 3] = [
    "paykassma (cargo run --example paykassma)",
    "tr-qr-wallet (cargo run --example tr_qr_wallet)",
    "allpay-soap (cargo run --example allpay)",
];

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let rows = vec![jawali_payment(args.faults).await];
    print_table(&rows);
    println!("not on the Gateway yet: {}", NOT_ON_GATEWAY.join(", "));
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| !matches!(&r.outcome, Ok(o) if o.status == PaymentStatus::Completed))
        .map(|r| r.provider)
        .collect();
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        fail(format_args!(
            "payment did not complete for: {}",
            failed.join(", ")
        ))
    }
}

/// Runs `order` through `gateway` with the generic flow, timing it.
async fn run<G: Gateway>(
    gateway: &G,
    order: G::Order,
) -> (Result<PaymentOutcome, payments_core::Error>, Duration) {
    let started = Instant::now();
    let outcome = pay(gateway, order).await;
    (outcome, started.elapsed())
}

async fn jawali_payment(faults: bool) -> Row {
    let provider = "jawali";
    let failed = |e: String| Row {
        provider,
        outcome: Err(payments_core::Error::configuration(e)),
        round_trips: 0,
        elapsed: Duration::ZERO,
        note: String::new(),
    };
    let sandbox = match JawaliSandbox::start().await {
        Ok(sandbox) => sandbox,
        Err(e) => return failed(format!("sandbox: {e}")),
    };
    let client = match JawaliClient::new(sandbox.config()) {
        Ok(client) => client,
        Err(e) => return failed(e.to_string()),
    };
    let amount = match Money::parse("1500", Currency::YER) {
        Ok(amount) => amount,
        Err(e) => return failed(e.to_string()),
    };
    let mobile = match MobileNumber::new("771234567") {
        Ok(mobile) => mobile,
        Err(e) => return failed(e.to_string()),
    };
    let voucher = sandbox.create_voucher(amount, &mobile);
    if faults {
        sandbox.faults().inject("cash_out", Fault::DropAfterCommit);
    }
    let order = match VoucherPayment::new(voucher.as_str(), mobile.as_str(), amount) {
        Ok(order) => order,
        Err(e) => return failed(e.to_string()),
    };
    let (outcome, elapsed) = run(&client, order).await;
    let counts = sandbox.counts();
    let note = if sandbox.faults().injected().is_empty() {
        String::new()
    } else {
        format!(
            "cash-out answer dropped after commit → outcome unknown → reconciled by {} status lookup(s); {} cash-out(s) booked",
            counts.status_lookups,
            sandbox.cash_outs().len()
        )
    };
    Row {
        provider,
        outcome,
        round_trips: counts.total(),
        elapsed,
        note,
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<12} {:<38} {:>14} {:<12} {:>11} {:>9}",
        "provider", "merchant reference", "amount", "status", "round trips", "elapsed"
    );
    for row in rows {
        let (reference, amount, status) = match &row.outcome {
            Ok(o) => (
                o.reference.to_string(),
                o.amount.map_or_else(|| "-".to_owned(), |a| a.to_string()),
                o.status.to_string(),
            ),
            Err(e) => ("-".to_owned(), "-".to_owned(), format!("error: {e}")),
        };
        println!(
            "{:<12} {:<38} {:>14} {:<12} {:>11} {:>7}ms",
            row.provider,
            reference,
            amount,
            status,
            row.round_trips,
            row.elapsed.as_millis()
        );
        if !row.note.is_empty() {
            println!("{:<12} {}", "", row.note);
        }
    }
}
