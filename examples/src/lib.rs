//! Helpers shared by the runnable examples: environment configuration, the
//! journal and its key, and the one-line error report.
#![allow(clippy::print_stderr)]

pub mod campaign;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use payments_core::{ExposeSecret, SecretString};
use payments_journal::{Journal, JournalKey};

/// Reads an environment variable; empty counts as unset.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The required variables among `names` that are unset: all of them set
/// means "talk to a real server", none means "use the sandbox", some is a mistake.
pub fn missing(names: &[&'static str]) -> Vec<&'static str> {
    names.iter().copied().filter(|n| env(n).is_none()).collect()
}

/// A payment amount from the command line: the SDK's own checks, with the
/// SDK's own words — "must be greater than zero" for zero and negative
/// amounts alike (the arguments accept a leading `-`, so `--amount -5` reaches here
/// instead of failing as an unknown flag).
///
/// # Errors
///
/// [`Error::InvalidInput`](payments_core::Error::InvalidInput) for field `amount`.
pub fn payment_amount(
    text: &str,
    currency: payments_core::Currency,
) -> Result<payments_core::Money, payments_core::Error> {
    use payments_core::{Error, Money, MoneyError};
    match Money::parse(text, currency) {
        Ok(money) => money
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e)),
        Err(MoneyError::Negative(_)) => Err(Error::invalid(
            "amount",
            format_args!("amount must be greater than zero, not {}", text.trim()),
        )),
        Err(error) => Err(Error::invalid_money("amount", &error)),
    }
}

/// A time as the examples print it: `2026-11-23 08:31:43 +03:00`.
pub fn display_time(at: time::OffsetDateTime) -> String {
    at.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    ))
    .unwrap_or_else(|_| at.to_string())
}

/// Prints `error: …` as one line on stderr and returns the failure exit code.
pub fn fail(error: impl Display) -> ExitCode {
    let text = error.to_string().replace('\n', " ");
    eprintln!("error: {text}");
    ExitCode::FAILURE
}

/// An example's exit: success, or its error as one line (see [`fail`]).
pub fn finish(result: Result<(), Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

/// The workspace README's code, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// For the postback endpoints' self-tests: a Paykassma sandbox posting to
/// `postback_url`, one deposit paid and activated there, and its postback
/// delivered (and acknowledged, or given up on after two seconds). The
/// deposit's `custom_transaction_id` and amount are handed to `expect`
/// before it is activated, as a shop records its order first. The
/// sandbox, kept alive by the caller, and the deposit's
/// `custom_transaction_id`.
///
/// # Errors
///
/// What the sandbox or the client fail with.
pub async fn paykassma_postback_delivered(
    postback_url: url::Url,
    expect: impl FnOnce(&payments_core::MerchantReference, payments_core::Money),
) -> Result<
    (
        paykassma::sandbox::PaykassmaSandbox,
        payments_core::MerchantReference,
    ),
    Box<dyn std::error::Error>,
> {
    use paykassma::sandbox::{PaykassmaSandbox, SandboxOptions};
    use paykassma::{Activation, Label, PaykassmaClient};
    use payments_core::{Currency, Money};

    let sandbox = PaykassmaSandbox::start_with(SandboxOptions {
        postback_url: Some(postback_url),
        ..SandboxOptions::default()
    })
    .await?;
    let client = PaykassmaClient::new(sandbox.config())?;
    let order = sandbox
        .paid_deposit(
            &client,
            Label::new("self-test")?,
            Money::parse("500", Currency::MMK)?,
        )
        .await?;
    let reference = client.new_reference()?;
    expect(&reference, order.amount);
    client
        .activate(&Activation {
            label: order.label,
            wallet_type: order.wallet_type,
            key1: order.key1,
            amount: order.amount,
            custom_transaction_id: reference.clone(),
        })
        .await?;
    for _ in 0..100 {
        if sandbox.deliveries().iter().any(|d| d.acknowledged) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Ok((sandbox, reference))
}

/// The postback keys from `PAYKASSMA_POSTBACK_ACCESS_KEY` and
/// `PAYKASSMA_POSTBACK_PRIVATE_KEY`, or the sandbox's when both are unset
/// (said on standard output).
///
/// # Errors
///
/// When only one of the two is set.
#[allow(clippy::print_stdout)]
pub fn paykassma_postback_keys() -> Result<paykassma::postback::PostbackKeys, String> {
    use paykassma::postback::PostbackKeys;
    use payments_core::SecretString;

    match (
        env("PAYKASSMA_POSTBACK_ACCESS_KEY"),
        env("PAYKASSMA_POSTBACK_PRIVATE_KEY"),
    ) {
        (Some(access), Some(private)) => Ok(PostbackKeys::new(
            SecretString::from(access),
            SecretString::from(private),
        )),
        (None, None) => {
            println!(
                "keys         : the sandbox's (set PAYKASSMA_POSTBACK_ACCESS_KEY and PAYKASSMA_POSTBACK_PRIVATE_KEY for real ones)"
            );
            Ok(paykassma::sandbox::PaykassmaSandbox::postback_keys())
        }
        _ => Err(
            "set both PAYKASSMA_POSTBACK_ACCESS_KEY and PAYKASSMA_POSTBACK_PRIVATE_KEY".to_owned(),
        ),
    }
}

/// How long past a payment's deadline the examples' journal holds it
/// before another process may settle it: an example's process settles its
/// own payment long before, and a payer killed mid-commit is settled by the
/// next run soon after.
pub const JOURNAL_SWEEP_LEASE: std::time::Duration = std::time::Duration::from_secs(5);

/// The order and journal options every provider example takes.
#[derive(clap::Args, Debug, Clone)]
pub struct OrderArgs {
    /// The merchant's order id (1 to 64 printable ASCII characters; a fresh
    /// one without it). Journaled, the same order submitted again — at once
    /// from another process, or later — is paid once.
    #[arg(long, value_name = "ID")]
    pub order: Option<String>,
    /// Journal the payment in this SQLite file before its commit may leave.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Make no payment: settle what the journal in this file holds open.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["journal", "order"])]
    pub settle: Option<PathBuf>,
    /// The payment's deadline, in seconds: past it, an unknown outcome is
    /// reported (and a payment this process left open is another's to
    /// settle once the deadline and 5 s more have passed).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub deadline: u64,
}

impl OrderArgs {
    /// `--order`, or a fresh order id.
    ///
    /// # Errors
    ///
    /// An `--order` [`payments_core::OrderId`] refuses (naming `order_id`).
    pub fn order_id(&self) -> Result<payments_core::OrderId, payments_core::Error> {
        self.order.as_deref().map_or_else(
            || Ok(payments_core::OrderId::generate()),
            payments_core::OrderId::new,
        )
    }

    /// `--deadline`.
    pub fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.deadline.max(1))
    }
}

/// The variable the examples read the journal's key from: 64 hexadecimal
/// characters (`payments_journal::JournalKey`).
pub const JOURNAL_KEY_VAR: &str = "PAYMENTS_JOURNAL_KEY";

/// The key file beside the journal at `journal`: `<journal>.key`.
pub fn journal_key_file(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// The key of the journal at `journal`: from `PAYMENTS_JOURNAL_KEY` when it
/// is set; otherwise from the key file beside the journal
/// ([`journal_key_file`]), created with a new random key (readable by its
/// owner only) when missing — which the first call of the process says on
/// standard error. Every process that opens one journal file finds the
/// same key there.
///
/// # Errors
///
/// One line: a malformed `PAYMENTS_JOURNAL_KEY` (named), a key file that
/// cannot be created or read, or does not hold a key.
pub fn journal_key(journal: &Path) -> Result<JournalKey, String> {
    if let Some(text) = env(JOURNAL_KEY_VAR) {
        let text = SecretString::from(text);
        return JournalKey::from_hex(text.expose_secret())
            .map_err(|e| format!("{JOURNAL_KEY_VAR}: {e}"));
    }
    let file = journal_key_file(journal);
    let (key, created) = key_file(&file)?;
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        eprintln!(
            "journal key  : {} ({}; set {JOURNAL_KEY_VAR} to use a key of your own, and keep it: without it open payments cannot be settled)",
            file.display(),
            if created { "created" } else { "read" }
        );
    });
    Ok(key)
}

/// The key held in `file`, and whether it was created just now.
fn key_file(file: &Path) -> Result<(JournalKey, bool), String> {
    use std::io::Write as _;

    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(mut written) => {
            let key = JournalKey::generate().map_err(|e| format!("{}: {e}", file.display()))?;
            written
                .write_all(key.to_hex().expose_secret().as_bytes())
                .and_then(|()| written.write_all(b"\n"))
                .and_then(|()| written.sync_all())
                .map_err(|e| format!("{}: the key file cannot be written: {e}", file.display()))?;
            Ok((key, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Another process may be writing it this very moment: a short
            // file is read again, for up to a second.
            let mut attempts = 0;
            loop {
                let text = SecretString::from(std::fs::read_to_string(file).map_err(|e| {
                    format!("{}: the key file cannot be read: {e}", file.display())
                })?);
                match JournalKey::from_hex(text.expose_secret()) {
                    Ok(key) => return Ok((key, false)),
                    Err(_) if text.expose_secret().len() < 64 && attempts < 50 => {
                        attempts += 1;
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    Err(e) => return Err(format!("{}: {e}", file.display())),
                }
            }
        }
        Err(e) => Err(format!(
            "{}: the key file cannot be created: {e}",
            file.display()
        )),
    }
}

/// The SQLite journal at `path`, opened with its key ([`journal_key`]).
///
/// # Errors
///
/// The key's ([`journal_key`]); the journal's, naming the file.
pub async fn open_journal(path: &Path) -> Result<Journal, Box<dyn std::error::Error>> {
    let key = journal_key(path)?;
    Journal::sqlite(path, key)
        .await
        .map_err(|e| format!("journal {}: {e}", path.display()).into())
}

/// `--journal FILE`: pays `order` through `gateway`, journaled in that
/// SQLite file before its commit may leave, once per order id: an order the
/// journal holds as final is answered from it (printed as recorded, nothing
/// sent); one in flight in another process is waited for; one submitted
/// again on other terms is refused before any request.
///
/// # Errors
///
/// The payment's error; a payment that did not complete.
#[allow(clippy::print_stdout)]
pub async fn pay_journaled<G: payments_core::gateway::DurableGateway>(
    gateway: G,
    order: G::Order,
    path: &std::path::Path,
    deadline: std::time::Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    use payments_core::MerchantOrder as _;
    let journal = open_journal(path).await?;
    let payments = payments_journal::Journaled::new(gateway, journal)
        .with_deadline(deadline)
        .with_sweep_lease(JOURNAL_SWEEP_LEASE);
    let order_id = order.order_id().clone();
    let recorded = payments
        .outcome(&order_id)
        .await?
        .filter(|entry| entry.stage.is_final());
    let outcome = payments.pay(order).await?;
    let how = if recorded.is_some() {
        "recorded earlier, nothing sent"
    } else {
        "paid now"
    };
    println!(
        "journaled    : order {order_id}: {} {}, reference {} ({how})",
        outcome
            .amount
            .map_or_else(|| "-".to_owned(), |a| a.to_string()),
        outcome.status,
        outcome.reference
    );
    if outcome.status == payments_core::PaymentStatus::Completed {
        Ok(())
    } else {
        Err(format!("order {order_id}: the payment is {}", outcome.status).into())
    }
}

/// `--settle FILE`: settles what the journal in that file holds open for
/// `gateway`'s provider — after a crash, from a fresh process.
///
/// # Errors
///
/// The journal's; anything still open.
#[allow(clippy::print_stdout)]
pub async fn settle_journal<G: payments_core::gateway::DurableGateway>(
    gateway: G,
    path: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let journal = open_journal(path).await?;
    let payments = payments_journal::Journaled::new(gateway, journal.clone())
        .with_sweep_lease(JOURNAL_SWEEP_LEASE);
    let report = payments.settle_pending(100).await?;
    println!(
        "settled      : {} taken, {} completed, {} failed, {} mismatched, {} still open, {} abandoned, {} quarantined",
        report.claimed,
        report.completed,
        report.failed,
        report.mismatched,
        report.still_open,
        report.abandoned,
        report.quarantined.len()
    );
    for (reference, reason) in &report.quarantined {
        println!("quarantined  : {reference}: {reason}");
    }
    let entries = journal.entries(payments.scope()).await?;
    for entry in &entries {
        println!("journal      : {} {}", entry.reference, entry.stage);
    }
    match entries.iter().filter(|e| !e.stage.is_final()).count() {
        0 => Ok(()),
        open => Err(format!("{open} payment(s) still open; run --settle again later").into()),
    }
}
