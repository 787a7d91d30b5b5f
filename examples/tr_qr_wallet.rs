//! A Sipay wallet QR payment: (sandbox: a POS creates a QR code) → begin →
//! show the sale → complete → receipt.
//!
//! ```text
//! cargo run --example tr_qr_wallet -- --wallet 1011179271 --amount 12.50
//! ```
//!
//! With no configuration it runs against the embedded sandbox (the wallet
//! gets a balance first). With `TR_QR_API_URL`, `TR_QR_TOKEN_URL` (the
//! identity server's full token endpoint), `TR_QR_CLIENT_ID`,
//! `TR_QR_CLIENT_SECRET`, `TR_QR_X_CLIENT_ID`, `TR_QR_PROVIDER_ID` (and
//! optionally `TR_QR_SCOPE`) set it runs against that system, paying the
//! code given with `--qr` (or, on a test system, a code it creates with
//! `--merchant`/`--terminal` for `--amount`). Exits 0 only when the wallet
//! was debited.
//!
//! With `--journal FILE`, the payment is journaled in that SQLite file
//! before its Complete may leave, under `--order ID` (the merchant's order
//! id; a fresh one without it): the same order run again — at once from
//! another process, or later — is paid once (a later run prints the
//! recorded outcome and sends nothing; one for another QR code or wallet is
//! refused before any request). `--settle FILE` (no payment) settles what
//! the journal holds open, from a fresh process after a crash.
//! The journal's saved states are sealed with the key in
//! `PAYMENTS_JOURNAL_KEY` (64 hexadecimal characters), or else in `FILE.key`
//! beside the journal (created, readable by its owner only, if missing).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use clap::Parser;
use examples::missing;
use payments_core::{Currency, Money};
use tr_qr_wallet::sandbox::{MERCHANT_CODE, QrWalletSandbox, TERMINAL_CODE};
use tr_qr_wallet::{
    QrCode, QrCodeType, QrPayment, QrWalletClient, QrWalletConfig, Settlement, WalletNumber,
};

#[derive(Parser)]
#[command(about = "A Sipay wallet third-party QR payment")]
struct Args {
    /// The paying wallet.
    #[arg(long, default_value = "1011179271")]
    wallet: String,
    /// The sale amount in TRY: a test QR code is created for it; a scanned
    /// one (`--qr`) naming another amount is not paid when journaled.
    #[arg(long, default_value = "12.50", allow_hyphen_values = true)]
    amount: String,
    /// A scanned QR code to pay instead of creating one.
    #[arg(long)]
    qr: Option<String>,
    /// The merchant code for a created QR code (real systems).
    #[arg(long)]
    merchant: Option<String>,
    /// The terminal code for a created QR code (real systems).
    #[arg(long)]
    terminal: Option<String>,
    #[command(flatten)]
    journaled: examples::OrderArgs,
}

const REQUIRED: [&str; 6] = [
    "TR_QR_API_URL",
    "TR_QR_TOKEN_URL",
    "TR_QR_CLIENT_ID",
    "TR_QR_CLIENT_SECRET",
    "TR_QR_X_CLIENT_ID",
    "TR_QR_PROVIDER_ID",
];

#[tokio::main]
async fn main() -> ExitCode {
    examples::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let wallet = WalletNumber::new(&args.wallet)?;
    let amount = examples::payment_amount(&args.amount, Currency::TRY)?;
    let missing = missing(&REQUIRED);
    let (client, _sandbox, merchant, terminal) = if missing.len() == REQUIRED.len() {
        let sandbox = QrWalletSandbox::start().await?;
        sandbox.add_wallet(
            &wallet,
            Money::parse("1000", Currency::TRY)?,
            Money::parse("1250", Currency::TRY)?,
        );
        println!(
            "sandbox      : {} (wallet {wallet} holds 1000.00 TRY)",
            sandbox.base_url()
        );
        let client = QrWalletClient::new(sandbox.config())?;
        (
            client,
            Some(sandbox),
            MERCHANT_CODE.to_owned(),
            TERMINAL_CODE.to_owned(),
        )
    } else {
        // Named, every variable missing, by the SDK itself.
        let client = QrWalletClient::new(QrWalletConfig::from_env()?)?;
        (
            client,
            None,
            args.merchant.clone().unwrap_or_default(),
            args.terminal.clone().unwrap_or_default(),
        )
    };

    if let Some(path) = &args.journaled.settle {
        return examples::settle_journal(client, path).await;
    }
    let qr = match args.qr {
        Some(code) => QrCode::new(&code)?,
        None => {
            if merchant.is_empty() || terminal.is_empty() {
                return Err("--qr CODE, or --merchant and --terminal to create a test code, is required against a real system".into());
            }
            let created = client.create_qr_code(&merchant, &terminal, amount).await?;
            println!(
                "point of sale: QR code {} (short code {})",
                created.qr_code.as_str(),
                created.short_code.as_deref().unwrap_or("-")
            );
            created.qr_code
        }
    };
    if let Some(path) = &args.journaled.journal {
        // Paid only if the sale is for `--amount`.
        let order = QrPayment::new(args.journaled.order_id()?, wallet, qr, QrCodeType::Default)
            .expecting(amount);
        return examples::pay_journaled(client, order, path, args.journaled.deadline()).await;
    }
    let session = client.begin(&wallet, &qr, QrCodeType::Default).await?;
    match session.sale.decoded() {
        Some(sale) => println!(
            "sale         : {} at {} ({} / {}), VAT {}%, expires {}",
            sale.amount,
            sale.merchant_name,
            sale.city.as_deref().unwrap_or("-"),
            sale.district.as_deref().unwrap_or("-"),
            sale.vat_ratio
                .map_or_else(|| "-".to_owned(), |v| v.to_string()),
            sale.expires_at
                .map_or_else(|| "-".to_owned(), examples::display_time),
        ),
        None => {
            return Err(
                "the sale's details could not be read; not paying an unknown amount".into(),
            );
        }
    }
    println!(
        "session      : tx_correlation_id {}",
        session.correlation_id
    );
    let receipt = match client.complete(&session).await {
        Ok(receipt) => receipt,
        Err(error) if !error.outcome_known() => {
            println!(
                "complete     : outcome unknown ({error}); settling with the same correlation id"
            );
            match client.settle_session(&session).await? {
                Settlement::Completed(receipt) => *receipt,
                Settlement::CompletedEarlier { correlation_id } => {
                    println!(
                        "receipt      : paid (the first attempt went through), tx_correlation_id {correlation_id}"
                    );
                    return Ok(());
                }
                other => return Err(format!("settled as {other:?}").into()),
            }
        }
        Err(error) => return Err(error.into()),
    };
    println!(
        "receipt      : paid {} (fee {}), transaction {}, wallet balance {}",
        receipt.charged,
        receipt.fee,
        receipt.transaction_id,
        receipt
            .sender
            .and_then(|s| s.total_balance)
            .map_or_else(|| "-".to_owned(), |b| b.to_string()),
    );
    Ok(())
}
