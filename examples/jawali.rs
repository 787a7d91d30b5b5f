//! Collects a Jawali voucher: inquiry → checks → cash-out → receipt.
//!
//! ```text
//! cargo run --example jawali -- --voucher V --mobile M --amount 1500 --currency YER
//! ```
//!
//! With no configuration it starts the embedded sandbox and creates the
//! voucher there first — the one `--voucher` names, or a new one — for the
//! amount and wallet given (`--voucher` and `--mobile` may be omitted).
//! With `JAWALI_USERNAME`, `JAWALI_PASSWORD`, `JAWALI_ORG_ID`,
//! `JAWALI_WALLET`, `JAWALI_WALLET_PASSWORD` set (and optionally
//! `JAWALI_EXTERNAL_USER`, and `JAWALI_BASE_URL` — the published test host
//! otherwise) it runs against that server. Exits 0 only when the money moved.
//!
//! With `--journal FILE`, the payment is journaled in that SQLite file
//! before its cash-out may leave, under `--order ID` (the merchant's order
//! id; a fresh one without it): the same order run again — at once from
//! another process, or later — is paid once (a later run prints the
//! recorded outcome and sends nothing; one with another amount, voucher or
//! wallet is refused before any request). `--settle FILE` (no payment)
//! settles what the journal holds open — after a crash, from a fresh
//! process — and exits 0 only when nothing is left open. A payment a killed
//! process left open is another's to settle once its deadline
//! (`--deadline`, 60 s) and 5 s more have passed.
//! The journal's saved states are sealed with the key in
//! `PAYMENTS_JOURNAL_KEY` (64 hexadecimal characters), or else in `FILE.key`
//! beside the journal (created, readable by its owner only, if missing).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use clap::Parser;
use examples::missing;
use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, JawaliConfig, MobileNumber, VoucherCode, VoucherPayment};
use payments_core::{Currency, Error, PaymentStatus};

#[derive(Parser)]
#[command(about = "Collect a Jawali voucher payment")]
struct Args {
    /// The purchase code the customer created in their Jawali app.
    #[arg(long)]
    voucher: Option<String>,
    /// The customer's wallet number (771234567, +967771234567, …).
    #[arg(long)]
    mobile: Option<String>,
    /// The amount to collect.
    #[arg(long, default_value = "1500", allow_hyphen_values = true)]
    amount: String,
    /// The currency (ISO 4217 code).
    #[arg(long, default_value = "YER")]
    currency: String,
    #[command(flatten)]
    journaled: examples::OrderArgs,
}

const REQUIRED: [&str; 5] = [
    "JAWALI_USERNAME",
    "JAWALI_PASSWORD",
    "JAWALI_ORG_ID",
    "JAWALI_WALLET",
    "JAWALI_WALLET_PASSWORD",
];

#[tokio::main]
async fn main() -> ExitCode {
    examples::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let currency: Currency = args
        .currency
        .parse()
        .map_err(|e| Error::invalid("currency", e))?;
    let amount = examples::payment_amount(&args.amount, currency)?;

    let missing = missing(&REQUIRED);
    if let Some(path) = &args.journaled.settle {
        if !missing.is_empty() {
            return Err(format!(
                "--settle needs the server's configuration: set {}",
                missing.join(", ")
            )
            .into());
        }
        return examples::settle_journal(JawaliClient::new(JawaliConfig::from_env()?)?, path).await;
    }
    // Kept alive for the whole run when used.
    let mut _sandbox = None;
    let (config, voucher, mobile) = if missing.len() == REQUIRED.len() {
        let sandbox = JawaliSandbox::start().await?;
        let mobile = MobileNumber::new(args.mobile.as_deref().unwrap_or("771234567"))?;
        // The sandbox plays the customer: a voucher named on the command
        // line is created there, for this amount and wallet.
        let voucher = match args.voucher {
            Some(code) => {
                sandbox.create_voucher_with_code(&VoucherCode::new(&code)?, amount, &mobile)
            }
            None => sandbox.create_voucher(amount, &mobile),
        };
        println!(
            "sandbox      : {} (voucher {voucher} for {amount}, wallet {mobile})",
            sandbox.base_url()
        );
        let config = sandbox.config();
        _sandbox = Some(sandbox);
        (config, voucher, mobile)
    } else {
        // Named, every variable missing, by the SDK itself.
        let config = JawaliConfig::from_env()?;
        let voucher = VoucherCode::new(
            &args
                .voucher
                .ok_or("--voucher is required against a real server")?,
        )?;
        let mobile = MobileNumber::new(
            &args
                .mobile
                .ok_or("--mobile is required against a real server")?,
        )?;
        (config, voucher, mobile)
    };

    let client = JawaliClient::new(config)?;
    let payment = VoucherPayment::new(
        args.journaled.order_id()?,
        voucher.as_str(),
        mobile.as_str(),
        amount,
    )?;
    if let Some(path) = &args.journaled.journal {
        return examples::pay_journaled(client, payment, path, args.journaled.deadline()).await;
    }
    let checked = client.check_voucher(payment).await?;
    println!(
        "inquiry      : voucher {} is {} for {} (issuer ref {})",
        checked.voucher.code,
        checked.voucher.state,
        checked.voucher.amount,
        checked
            .voucher
            .issuer_reference
            .as_ref()
            .map_or("-", |r| r.as_str()),
    );
    println!("cash-out     : refId {}", checked.reference);
    let outcome = client.redeem(&checked).await?;
    println!(
        "outcome      : {} {}, refId {}, issuer ref {}",
        outcome.status,
        outcome
            .amount
            .map_or_else(|| "-".to_owned(), |a| a.to_string()),
        outcome.reference,
        outcome
            .provider_reference
            .as_ref()
            .map_or("-", |r| r.as_str()),
    );
    if outcome.status != PaymentStatus::Completed {
        return Err(format!("payment {}: {}", outcome.reference, outcome.status).into());
    }
    Ok(())
}
