//! A Paykassma (Wavepay) deposit: create → the customer pays → activate → result.
//!
//! ```text
//! cargo run --example paykassma -- --label L --amount 500 --currency MMK
//! ```
//!
//! With no configuration it runs against the embedded sandbox, which plays
//! the customer paying. With `PAYKASSMA_SECRET` and `PAYKASSMA_DOMAIN` (the
//! merchant's server host; or `PAYKASSMA_API_URL`, a full API base URL,
//! optionally with `PAYKASSMA_PLUGIN_URL`) it runs against that server, and
//! the customer's transaction number comes from `--key1` (the user paid
//! already: only the activation is left). Exits 0 only when the deposit was
//! credited.
//!
//! With `--journal FILE`, the deposit is journaled in that SQLite file
//! before its activation may leave, under `--order ID` (the merchant's
//! order id, also its `custom_transaction_id`; a fresh one without it): the
//! same order run again — at once from another process, or later — is
//! credited once, and one with another amount is refused before any
//! request; and settled by the postbacks the
//! journal's store holds (`cargo run --example paykassma_axum` with
//! `PAYKASSMA_JOURNAL=FILE` receives them); `--settle FILE` (no deposit)
//! settles what the journal holds open, from a fresh process after a crash.
//! The journal's saved states are sealed with the key in
//! `PAYMENTS_JOURNAL_KEY` (64 hexadecimal characters), or else in `FILE.key`
//! beside the journal (created, readable by its owner only, if missing).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use examples::env;
use paykassma::postback::PostbackVerifier;
use paykassma::sandbox::PaykassmaSandbox;
use paykassma::{
    Activation, ActivationOutcome, DepositOrder, Label, Lang, PaykassmaClient, PaykassmaConfig,
    PaykassmaGateway, PostbackInbox, TransactionNumber, WalletType,
};
use payments_core::{Currency, Error};
use payments_journal::PaykassmaPostbacks;

#[derive(Parser)]
#[command(about = "A Paykassma wallet deposit")]
struct Args {
    /// The paying user's label (their id on your platform).
    #[arg(long, default_value = "user-55")]
    label: String,
    /// The amount the user pays.
    #[arg(long, default_value = "500", allow_hyphen_values = true)]
    amount: String,
    /// The currency (ISO 4217 code).
    #[arg(long, default_value = "MMK")]
    currency: String,
    /// The transaction number the user got from their wallet app (required against a real server).
    #[arg(long)]
    key1: Option<String>,
    /// The wallet type.
    #[arg(long, default_value = "wavepay")]
    wallet_type: String,
    #[command(flatten)]
    journaled: examples::OrderArgs,
}

/// The gateway of a journaled deposit: postbacks read from the journal's
/// store, whichever process received them.
async fn journaled_gateway(
    client: PaykassmaClient,
    path: &std::path::Path,
) -> Result<PaykassmaGateway, Box<dyn std::error::Error>> {
    let store = PaykassmaPostbacks::new(examples::open_journal(path).await?);
    let inbox = PostbackInbox::with_store(
        PostbackVerifier::new(examples::paykassma_postback_keys()?),
        Arc::new(store),
    );
    Ok(PaykassmaGateway::new(
        client,
        Arc::new(inbox),
        std::time::Duration::from_secs(5),
    ))
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::finish(run(Args::parse()).await)
}

/// The server's configuration when any of its variables is set (then
/// every one it needs, named by the SDK when missing); `None`: the sandbox.
fn real_config() -> Result<Option<PaykassmaConfig>, Box<dyn std::error::Error>> {
    let any = ["PAYKASSMA_SECRET", "PAYKASSMA_DOMAIN", "PAYKASSMA_API_URL"]
        .iter()
        .any(|name| env(name).is_some());
    if !any {
        return Ok(None);
    }
    Ok(Some(PaykassmaConfig::from_env()?))
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let currency: Currency = args
        .currency
        .parse()
        .map_err(|e| Error::invalid("currency", e))?;
    let amount = examples::payment_amount(&args.amount, currency)?;
    let label = Label::new(args.label)?;
    let wallet_type = WalletType::new(args.wallet_type);
    let key1 = args
        .key1
        .as_deref()
        .map(TransactionNumber::new)
        .transpose()?;

    let (config, sandbox) = match real_config()? {
        Some(config) => (config, None),
        None => {
            let sandbox = PaykassmaSandbox::start().await?;
            println!("sandbox      : {}", sandbox.base_url());
            (sandbox.config(), Some(sandbox))
        }
    };
    let client = PaykassmaClient::new(config)?;
    if let Some(path) = &args.journaled.settle {
        let gateway = journaled_gateway(client, path).await?;
        return examples::settle_journal(gateway, path).await;
    }
    // The order's id is its `custom_transaction_id`: run again with the
    // same `--order`, Paykassma refuses the taken id rather than crediting
    // twice.
    let order_id = args.journaled.order_id()?;
    let reference = paykassma::MerchantReference::new(
        order_id.attempt_key(1),
        &paykassma::CUSTOM_TRANSACTION_ID_RULES,
    )?;
    let key1 = match (key1, &sandbox) {
        // The user paid already and typed their transaction number in:
        // only the activation is left.
        (Some(key1), _) => key1,
        (None, Some(sandbox)) => {
            let deposit = client
                .create_deposit_for(&label, currency, &wallet_type)
                .await?;
            let wallet = deposit.identifier.clone().unwrap_or_default();
            println!(
                "create       : pay into {} wallet {wallet}",
                deposit.wallet_type
            );
            let link = client
                .payment_link(&label, currency)
                .lang(&Lang::EN)
                .custom_transaction_id(&reference)
                .fixed_amount(amount)?
                .build();
            println!("window link  : {link}");
            let key1 = sandbox.customer_pays(&wallet, amount);
            println!("customer     : paid {amount} in the wallet app, transaction number {key1}");
            key1
        }
        (None, None) => {
            return Err(
                "--key1 (the user's transaction number) is required against a real server".into(),
            );
        }
    };
    if let Some(path) = &args.journaled.journal {
        let gateway = journaled_gateway(client, path).await?;
        let order = DepositOrder::new(order_id, label, wallet_type, key1, amount);
        return examples::pay_journaled(gateway, order, path, args.journaled.deadline()).await;
    }
    let outcome = client
        .activate(&Activation {
            label,
            wallet_type,
            key1,
            amount,
            custom_transaction_id: reference.clone(),
        })
        .await?;
    match outcome {
        ActivationOutcome::Credited { amount } => {
            println!("activate     : credited {amount} (custom_transaction_id {reference})");
            Ok(())
        }
        ActivationOutcome::Pending { message } => Err(format!(
            "activation pending ({message}); the postback for {reference} brings the result"
        )
        .into()),
        ActivationOutcome::PossibleTransactionCreated { message } => Err(format!(
            "transaction not found ({message}); a possible transaction was recorded for {reference}"
        )
        .into()),
        other => Err(format!("activation answered {other:?}").into()),
    }
}
