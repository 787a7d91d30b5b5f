//! The main job: one complete payment through every provider SDK, each
//! against its embedded sandbox, all driven through the common
//! [`Gateway`](payments_core::Gateway) trait — held as `Box<dyn Payable>`
//! and run by the same generic flow.
//!
//! ```text
//! cargo run --example checkout                          # clean runs
//! cargo run --example checkout -- --faults              # every sandbox drops its answer after committing
//! cargo run --example checkout -- --journal checkout.db # each payment journaled in SQLite first
//! ```
//!
//! Prints a table — provider, merchant reference, amount, final status,
//! round trips, elapsed time — and exits 0 only if every payment completed.
//! The journal's saved states are sealed with the key in
//! `PAYMENTS_JOURNAL_KEY` (64 hexadecimal characters), or else in `FILE.key`
//! beside the journal (created, readable by its owner only, if missing).
#![allow(clippy::print_stdout)]

use std::any::Any;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use allpay_soap::sandbox::AllpaySandbox;
use allpay_soap::{AllpayClient, CashInOrder, UserName};
use clap::Parser;
use examples::fail;
use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber, VoucherPayment};
use paykassma::sandbox::{SandboxOptions, start_with_inbox};
use paykassma::{Label, PaykassmaClient, PaykassmaGateway};
use payments_core::gateway::DurableGateway;
use payments_core::sandbox::Fault;
use payments_core::{
    Capabilities, Checkout, Currency, Error, Money, Payable, PaymentOutcome, PaymentStatus,
    async_trait,
};
use payments_journal::{Journal, Journaled};
use tr_qr_wallet::sandbox::QrWalletSandbox;
use tr_qr_wallet::{QrCodeType, QrPayment, QrWalletClient, WalletNumber};

#[derive(Parser)]
#[command(about = "One payment through every provider, against the embedded sandboxes")]
struct Args {
    /// Make each sandbox drop the connection after committing the payment,
    /// and show how each unknown outcome was reconciled.
    #[arg(long)]
    faults: bool,
    /// Journal each payment in this SQLite file before its commit may
    /// leave (created if missing); a later run settles what was left open.
    #[arg(long, value_name = "FILE")]
    journal: Option<std::path::PathBuf>,
}

/// One journaled payment, run once: what `Checkout` is without a journal.
struct JournaledPayment<G: DurableGateway> {
    payments: Journaled<G>,
    order: std::sync::Mutex<Option<G::Order>>,
}

#[async_trait]
impl<G: DurableGateway + 'static> Payable for JournaledPayment<G> {
    fn provider(&self) -> &'static str {
        self.payments.gateway().provider()
    }

    fn capabilities(&self) -> Capabilities {
        self.payments.gateway().capabilities()
    }

    async fn pay(&self) -> payments_core::Result<PaymentOutcome> {
        let order = self
            .order
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match order {
            Some(order) => self.payments.pay(order).await,
            None => Err(Error::configuration(
                "this payment ran already: its outcome is in the journal",
            )),
        }
    }
}

/// The payment of `order` through `gateway`: journaled when a journal is
/// given, a plain `Checkout` otherwise.
fn payable<G>(gateway: G, order: G::Order, journal: Option<&Journal>) -> Box<dyn Payable>
where
    G: DurableGateway + 'static,
    G::Order: Clone + 'static,
{
    match journal {
        Some(journal) => Box::new(JournaledPayment {
            payments: Journaled::new(gateway, journal.clone()),
            order: std::sync::Mutex::new(Some(order)),
        }),
        None => Box::new(Checkout::new(Arc::new(gateway), order)),
    }
}

/// A provider's payment, ready to run, with what the table needs.
struct Lane {
    payable: Box<dyn Payable>,
    requests: Box<dyn Fn() -> usize + Send + Sync>,
    injected: Box<dyn Fn() -> usize + Send + Sync>,
    _sandboxes: Vec<Box<dyn Any + Send + Sync>>,
}

type Built = Result<Lane, Box<dyn std::error::Error>>;

async fn jawali(faults: bool, journal: Option<&Journal>) -> Built {
    let sandbox = Arc::new(JawaliSandbox::start().await?);
    let client = JawaliClient::new(sandbox.config())?;
    let amount = Money::parse("1500", Currency::YER)?;
    let mobile = MobileNumber::new("771234567")?;
    let voucher = sandbox.create_voucher(amount, &mobile); // the customer, in the Jawali app
    if faults {
        sandbox.faults().inject("cash_out", Fault::DropAfterCommit);
    }
    let order = VoucherPayment::new(
        jawali::OrderId::generate(),
        voucher.as_str(),
        mobile.as_str(),
        amount,
    )?;
    let (a, b) = (Arc::clone(&sandbox), Arc::clone(&sandbox));
    Ok(Lane {
        payable: payable(client, order, journal),
        requests: Box::new(move || a.requests_served()),
        injected: Box::new(move || b.faults().injected().len()),
        _sandboxes: vec![Box::new(sandbox)],
    })
}

async fn paykassma(faults: bool, journal: Option<&Journal>) -> Built {
    let (sandbox, inbox, endpoint) = start_with_inbox(SandboxOptions::default()).await?;
    let sandbox = Arc::new(sandbox);
    let client = PaykassmaClient::new(sandbox.config())?;
    // The merchant's page shows the wallet; the user pays and types the transaction number.
    let order = sandbox
        .paid_deposit(
            &client,
            Label::new("user-55")?,
            Money::parse("500", Currency::MMK)?,
        )
        .await?;
    if faults {
        sandbox.faults().inject("activate", Fault::DropAfterCommit);
    }
    let gateway = PaykassmaGateway::new(client, inbox, Duration::from_secs(5));
    let (a, b) = (Arc::clone(&sandbox), Arc::clone(&sandbox));
    Ok(Lane {
        payable: payable(gateway, order, journal),
        requests: Box::new(move || a.requests_served()),
        injected: Box::new(move || b.faults().injected().len()),
        _sandboxes: vec![Box::new(sandbox), Box::new(endpoint)],
    })
}

async fn tr_qr_wallet(faults: bool, journal: Option<&Journal>) -> Built {
    let sandbox = Arc::new(QrWalletSandbox::start().await?);
    let wallet = WalletNumber::new("1011179271")?;
    sandbox.add_wallet(
        &wallet,
        Money::parse("100", Currency::TRY)?,
        Money::parse("1250", Currency::TRY)?,
    );
    let client = QrWalletClient::new(sandbox.config())?;
    let qr = sandbox.pos_creates_qr(Money::parse("12.50", Currency::TRY)?); // the point of sale
    if faults {
        sandbox.faults().inject("complete", Fault::DropAfterCommit);
    }
    let order = QrPayment::new(
        tr_qr_wallet::OrderId::generate(),
        wallet,
        qr,
        QrCodeType::Default,
    );
    let (a, b) = (Arc::clone(&sandbox), Arc::clone(&sandbox));
    Ok(Lane {
        payable: payable(client, order, journal),
        requests: Box::new(move || a.requests_served()),
        injected: Box::new(move || b.faults().injected().len()),
        _sandboxes: vec![Box::new(sandbox)],
    })
}

async fn allpay(faults: bool, journal: Option<&Journal>) -> Built {
    let sandbox = Arc::new(AllpaySandbox::start().await?);
    let mut config = sandbox.config();
    config.terminal_schedule.initial_backoff = Duration::from_millis(50);
    let client = AllpayClient::new(config)?;
    if faults {
        sandbox
            .faults()
            .inject("createCashInPayment", Fault::DropAfterCommit);
    }
    let order = CashInOrder::new(
        allpay_soap::OrderId::generate(),
        UserName::new("77011234567")?,
        Money::parse("1500", Currency::KZT)?,
    );
    let (a, b) = (Arc::clone(&sandbox), Arc::clone(&sandbox));
    Ok(Lane {
        payable: payable(client, order, journal),
        requests: Box::new(move || a.requests_served()),
        injected: Box::new(move || b.faults().injected().len()),
        _sandboxes: vec![Box::new(sandbox)],
    })
}

struct Row {
    provider: &'static str,
    outcome: Result<PaymentOutcome, String>,
    round_trips: usize,
    elapsed: Duration,
    note: String,
}

async fn run(name: &'static str, lane: Built) -> Row {
    let lane = match lane {
        Ok(lane) => lane,
        Err(e) => {
            return Row {
                provider: name,
                outcome: Err(format!("setup: {e}")),
                round_trips: 0,
                elapsed: Duration::ZERO,
                note: String::new(),
            };
        }
    };
    let before = (lane.requests)();
    let started = Instant::now();
    let outcome = lane.payable.pay().await.map_err(|e| e.to_string());
    let elapsed = started.elapsed();
    let note = if (lane.injected)() > 0 {
        format!(
            "answer dropped after commit → outcome unknown → reconciled by {}",
            lane.payable.capabilities().reconciliation
        )
    } else {
        String::new()
    };
    Row {
        provider: lane.payable.provider(),
        outcome,
        round_trips: (lane.requests)() - before,
        elapsed,
        note,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let faults = args.faults;
    let journal = match &args.journal {
        Some(path) => match examples::open_journal(path).await {
            Ok(journal) => Some(journal),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let journal = journal.as_ref();
    let rows = vec![
        run("jawali", jawali(faults, journal).await).await,
        run("paykassma", paykassma(faults, journal).await).await,
        run("tr-qr-wallet", tr_qr_wallet(faults, journal).await).await,
        run("allpay", allpay(faults, journal).await).await,
    ];
    print_table(&rows);
    if let (Some(journal), Some(path)) = (journal, &args.journal) {
        print_journal(journal, path, &rows).await;
    }
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

fn print_table(rows: &[Row]) {
    println!(
        "{:<13} {:<40} {:>14} {:<10} {:>11} {:>9}",
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
            "{:<13} {:<40} {:>14} {:<10} {:>11} {:>7}ms",
            row.provider,
            reference,
            amount,
            status,
            row.round_trips,
            row.elapsed.as_millis()
        );
        if !row.note.is_empty() {
            println!("{:<13} {}", "", row.note);
        }
    }
}

/// What the journal holds for this run's payments.
async fn print_journal(journal: &Journal, path: &std::path::Path, rows: &[Row]) {
    println!("\njournal {}:", path.display());
    for row in rows {
        let Ok(outcome) = &row.outcome else { continue };
        // Jawali's outcome names the refId that landed; the entry is under the first.
        let entries = journal.entries(row.provider).await.unwrap_or_default();
        let entry = entries.iter().rev().find(|e| {
            e.reference == outcome.reference.as_str()
                || e.outcome
                    .as_ref()
                    .is_some_and(|o| o.reference == outcome.reference)
        });
        match entry {
            Some(entry) => println!(
                "{:<13} {:<40} {}",
                row.provider, entry.reference, entry.stage
            ),
            None => println!("{:<13} not journaled", row.provider),
        }
    }
}
