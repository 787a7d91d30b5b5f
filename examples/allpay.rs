//! An Allpay cash-in: check the customer → terminal cash-in → drive it to a
//! final status → result.
//!
//! ```text
//! cargo run --example allpay -- --user 77011234567 --amount 1500
//! ```
//!
//! With no configuration it runs against the embedded sandbox. With
//! `ALLPAY_BASE_URL`, `ALLPAY_REQUESTER`, `ALLPAY_CERT_NUMBER`,
//! `ALLPAY_PRIVATE_KEY` (a PEM file: the merchant's key) and
//! `ALLPAY_SERVER_PUBLIC_KEY` (a PEM file: Allpay's key) set it runs against
//! that server. Exits 0 only when the cash-in COMPLETED.
//!
//! `--order ID` is the merchant's order id (a fresh one without it); the
//! cash-in's GUID derives from it, so running the same order again — even
//! without a journal — finds the first cash-in instead of paying twice.
//! With `--journal FILE`, the cash-in is journaled in that SQLite file
//! before it may leave: the same order run again — at once from another
//! process, or later — is paid once (a later run prints the recorded
//! outcome and sends nothing; one with another amount or customer is
//! refused before any request). `--settle FILE` (no payment) settles what
//! the journal holds open, from a fresh process after a crash.
//! The journal's saved states are sealed with the key in
//! `PAYMENTS_JOURNAL_KEY` (64 hexadecimal characters), or else in `FILE.key`
//! beside the journal (created, readable by its owner only, if missing).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use allpay_soap::sandbox::AllpaySandbox;
use allpay_soap::{AllpayClient, AllpayConfig, CashIn, CashInOrder, TerminalStatus, UserName};
use clap::Parser;
use examples::missing;
use payments_core::Currency;

#[derive(Parser)]
#[command(about = "An Allpay cash-in")]
struct Args {
    /// The customer's Allpay login.
    #[arg(long, default_value = "77011234567")]
    user: String,
    /// The amount in KZT.
    #[arg(long, default_value = "1500", allow_hyphen_values = true)]
    amount: String,
    #[command(flatten)]
    journaled: examples::OrderArgs,
}

const REQUIRED: [&str; 5] = [
    "ALLPAY_BASE_URL",
    "ALLPAY_REQUESTER",
    "ALLPAY_CERT_NUMBER",
    "ALLPAY_PRIVATE_KEY",
    "ALLPAY_SERVER_PUBLIC_KEY",
];

#[tokio::main]
async fn main() -> ExitCode {
    examples::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let user = UserName::new(&args.user)?;
    let amount = examples::payment_amount(&args.amount, Currency::KZT)?;
    let missing = missing(&REQUIRED);
    let mut _sandbox = None;
    let config = if missing.len() == REQUIRED.len() {
        let sandbox = AllpaySandbox::start().await?;
        println!("sandbox      : {}", sandbox.base_url());
        let config = sandbox.config();
        _sandbox = Some(sandbox);
        config
    } else {
        // Named, every variable missing, by the SDK itself.
        AllpayConfig::from_env()?
    };
    let client = AllpayClient::new(config)?;
    if let Some(path) = &args.journaled.settle {
        return examples::settle_journal(client, path).await;
    }
    let order_id = args.journaled.order_id()?;
    if let Some(path) = &args.journaled.journal {
        let order = CashInOrder::new(order_id, user, amount);
        return examples::pay_journaled(client, order, path, args.journaled.deadline()).await;
    }
    let Some(info) = client.check_user_for_cash_in(&user).await? else {
        return Err(format!("no Allpay customer `{user}`").into());
    };
    println!(
        "check user   : {user} is {} {} ({})",
        info.first_name.as_deref().unwrap_or("-"),
        info.last_name.as_deref().unwrap_or("-"),
        if info.identified {
            "identified"
        } else {
            "not identified"
        }
    );
    let payment = CashIn {
        to_user: user,
        amount,
        // The order's GUID: run again with the same `--order`, Allpay
        // answers the first cash-in instead of paying twice.
        guid: client.order_guid(&order_id, 1)?,
    };
    println!("cash-in      : {amount} with GUID {}", payment.guid);
    let first = client.create_cash_in_payment(&payment).await;
    if let Ok(answer) = &first {
        println!("first answer : {:?}", answer.status);
    }
    let done = client.drive_cash_in_payment(&payment).await?;
    match done.status {
        TerminalStatus::Completed => {
            println!(
                "result       : COMPLETED, {amount} reached the customer (GUID {})",
                payment.guid
            );
            Ok(())
        }
        other => Err(format!("cash-in {:?}: {}", other, done.reason.unwrap_or_default()).into()),
    }
}
