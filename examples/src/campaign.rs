//! The money-safety campaign: many money-moving payments per provider
//! against its sandbox, with seeded random faults on the committing call
//! (a delay past the client's timeout, a drop before or after the commit, an
//! HTTP 5xx, a malformed body, expired tokens), each driven to a final state
//! by the SDK's own reconciliation — then the sandbox's ledger is compared
//! with what the merchant was told.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use allpay_soap::sandbox::{AllpaySandbox, SandboxOptions as AllpayOptions};
use allpay_soap::{AllpayClient, CashInOrder, UserName};
use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber, VoucherPayment};
use paykassma::postback::PostbackVerifier;
use paykassma::sandbox::{PaykassmaSandbox, SandboxOptions as PaykassmaOptions, serve_inbox};
use paykassma::{
    DepositOrder, Label, PaykassmaClient, PaykassmaGateway, PostbackInbox, WalletType,
};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::{Fault, Faults};
use payments_core::{Currency, Gateway, Money, PaymentStatus, Result, pay};
use tr_qr_wallet::sandbox::QrWalletSandbox;
use tr_qr_wallet::{QrCodeType, QrPayment, QrWalletClient, WalletNumber};

/// The client's total timeout in the campaign; delays go past it.
const TIMEOUT: Duration = Duration::from_millis(250);
const DELAY: Duration = Duration::from_millis(400);

/// What the campaign found for one provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The provider.
    pub provider: &'static str,
    /// Money-moving payments run.
    pub operations: usize,
    /// Faults injected.
    pub faults: usize,
    /// Payments whose commit answer was lost or unreadable (an unknown outcome).
    pub unknown_outcomes: usize,
    /// Of those, settled to a final state by reconciliation.
    pub reconciled: usize,
    /// Payments booked more than once by the provider. Must be 0.
    pub double_charges: usize,
    /// Payments the provider booked that the merchant was not told completed. Must be 0.
    pub lost_payments: usize,
    /// Payments the merchant was told completed that the provider never booked. Must be 0.
    pub false_completions: usize,
    /// Payments not driven to a final state.
    pub unsettled: usize,
}

impl Report {
    /// Whether no money was doubled, lost or invented, and everything settled.
    pub fn is_clean(&self) -> bool {
        self.double_charges == 0
            && self.lost_payments == 0
            && self.false_completions == 0
            && self.unsettled == 0
    }
}

/// One fault drawn for one payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drawn {
    None,
    Fault(FaultKind),
    TokensExpire,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultKind {
    Delay,
    DropAfterCommit,
    DropBeforeCommit,
    Http5xx,
    Malformed,
}

impl FaultKind {
    fn fault(self) -> Fault {
        match self {
            FaultKind::Delay => Fault::Delay(DELAY),
            FaultKind::DropAfterCommit => Fault::DropAfterCommit,
            FaultKind::DropBeforeCommit => Fault::DropBeforeCommit,
            FaultKind::Http5xx => Fault::Status(503),
            FaultKind::Malformed => Fault::MalformedBody,
        }
    }
}

fn draw(rng: &mut fastrand::Rng, tokens: bool) -> Drawn {
    let kinds = [
        FaultKind::Delay,
        FaultKind::DropAfterCommit,
        FaultKind::DropBeforeCommit,
        FaultKind::Http5xx,
        FaultKind::Malformed,
    ];
    match rng.u32(0..100) {
        0..=59 => Drawn::None,
        60..=67 if tokens => Drawn::TokensExpire,
        roll => Drawn::Fault(
            kinds
                .get((roll as usize) % kinds.len())
                .copied()
                .unwrap_or(FaultKind::DropAfterCommit),
        ),
    }
}

/// What happened to one payment, as the merchant saw it.
struct Seen {
    reference: String,
    completed: bool,
    settled: bool,
    faulted: bool,
}

async fn run_one<G: Gateway>(gateway: &G, order: G::Order, faulted: bool) -> Seen {
    match pay(gateway, order).await {
        Ok(outcome) => Seen {
            reference: outcome.reference.to_string(),
            completed: outcome.status == PaymentStatus::Completed,
            settled: outcome.status.is_final(),
            faulted,
        },
        Err(error) => Seen {
            reference: match &error {
                payments_core::Error::OutcomeUnknown { reference, .. } => {
                    reference.clone().unwrap_or_default()
                }
                _ => String::new(),
            },
            completed: false,
            settled: error.outcome_known(),
            faulted,
        },
    }
}

fn compare(
    provider: &'static str,
    seen: &[Seen],
    ledger: &[String],
    faults: &Faults,
    token_expiries: usize,
) -> Report {
    let mut booked: HashMap<&str, usize> = HashMap::new();
    for reference in ledger {
        *booked.entry(reference.as_str()).or_default() += 1;
    }
    let told_completed: std::collections::HashSet<&str> = seen
        .iter()
        .filter(|s| s.completed)
        .map(|s| s.reference.as_str())
        .collect();
    let injected = faults.injected().len() + token_expiries;
    let unknown = seen.iter().filter(|s| s.faulted).count();
    Report {
        provider,
        operations: seen.len(),
        faults: injected,
        unknown_outcomes: unknown,
        reconciled: seen.iter().filter(|s| s.faulted && s.settled).count(),
        double_charges: booked.values().filter(|n| **n > 1).count(),
        lost_payments: booked
            .keys()
            .filter(|r| !told_completed.contains(*r))
            .count(),
        false_completions: told_completed
            .iter()
            .filter(|r| !booked.contains_key(*r))
            .count(),
        unsettled: seen.iter().filter(|s| !s.settled).count(),
    }
}

fn amount(rng: &mut fastrand::Rng, currency: Currency) -> Result<Money> {
    Ok(Money::from_minor_units(
        i64::from(rng.u32(100..100_000)),
        currency,
    )?)
}

/// Injects the drawn fault into the next `operation`; whether one was
/// injected (every kind leaves the client not knowing the outcome).
fn inject(faults: &Faults, operation: &str, drawn: Drawn) -> bool {
    if let Drawn::Fault(kind) = drawn {
        faults.inject(operation, kind.fault());
        return true;
    }
    false
}

/// Jawali: voucher cash-outs.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn jawali(operations: usize, seed: u64) -> Result<Report> {
    let sandbox = JawaliSandbox::start()
        .await
        .map_err(payments_core::Error::configuration)?;
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    let settle = RetryPolicy {
        max_attempts: 6,
        initial_backoff: Duration::from_millis(40),
        max_backoff: Duration::from_millis(200),
        jitter: false,
    };
    let client = JawaliClient::builder(config)
        .settle_policy(settle)
        .build()?;
    let mobile = MobileNumber::new("771234567")?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = Vec::new();
    let mut expiries = 0;
    for _ in 0..operations {
        let price = amount(&mut rng, Currency::YER)?;
        let voucher = sandbox.create_voucher(price, &mobile);
        let drawn = draw(&mut rng, true);
        if drawn == Drawn::TokensExpire {
            sandbox.revoke_access_tokens();
            expiries += 1;
        }
        let faulted = inject(sandbox.faults(), "cash_out", drawn);
        let order = VoucherPayment::new(voucher.as_str(), mobile.as_str(), price)?;
        seen.push(run_one(&client, order, faulted).await);
    }
    tokio::time::sleep(DELAY * 2).await; // let delayed commits land before counting
    let ledger: Vec<String> = sandbox
        .cash_outs()
        .into_iter()
        .map(|c| c.reference)
        .collect();
    Ok(compare(
        "jawali",
        &seen,
        &ledger,
        sandbox.faults(),
        expiries,
    ))
}

/// Paykassma: deposits activated with the user's transaction number.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn paykassma(operations: usize, seed: u64) -> Result<Report> {
    let inbox = Arc::new(PostbackInbox::new(PostbackVerifier::new(
        PaykassmaSandbox::postback_keys(),
    )));
    let endpoint = serve_inbox(Arc::clone(&inbox))
        .await
        .map_err(payments_core::Error::configuration)?;
    let options = PaykassmaOptions {
        postback_url: Some(endpoint.base_url().join("postbacks")?),
        postback_retry_interval: Duration::from_millis(20),
        ..PaykassmaOptions::default()
    };
    let sandbox = PaykassmaSandbox::start_with(options)
        .await
        .map_err(payments_core::Error::configuration)?;
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    let client = PaykassmaClient::new(config)?;
    let gateway = PaykassmaGateway::new(client.clone(), inbox, Duration::from_secs(3));
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = Vec::new();
    for n in 0..operations {
        let label = Label::new(format!("user-{n}"))?;
        let price = amount(&mut rng, Currency::MMK)?;
        let wallet = client
            .create_deposit(&label, Currency::MMK, None)
            .await?
            .identifier
            .unwrap_or_default();
        let key1 = sandbox.customer_pays(&wallet, price);
        let faulted = inject(sandbox.faults(), "activate", draw(&mut rng, false));
        let order = DepositOrder {
            label,
            wallet_type: WalletType::WAVEPAY,
            key1,
            amount: price,
        };
        seen.push(run_one(&gateway, order, faulted).await);
    }
    tokio::time::sleep(DELAY * 2).await;
    let ledger: Vec<String> = sandbox
        .credited()
        .into_iter()
        .map(|c| c.custom_transaction_id)
        .collect();
    drop(endpoint);
    Ok(compare("paykassma", &seen, &ledger, sandbox.faults(), 0))
}

/// Sipay wallet: QR payments.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn tr_qr_wallet(operations: usize, seed: u64) -> Result<Report> {
    let sandbox = QrWalletSandbox::start()
        .await
        .map_err(payments_core::Error::configuration)?;
    let wallet = WalletNumber::new("1011179271")?;
    sandbox.add_wallet(
        &wallet,
        Money::parse("100000000", Currency::TRY)?,
        Money::parse("100000", Currency::TRY)?,
    );
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    let client = QrWalletClient::with_parts(config, None, Arc::new(sandbox.clock().clone()))?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = Vec::new();
    let mut expiries = 0;
    for _ in 0..operations {
        let qr = sandbox.pos_creates_qr(amount(&mut rng, Currency::TRY)?);
        let drawn = draw(&mut rng, true);
        if drawn == Drawn::TokensExpire {
            sandbox.revoke_tokens();
            expiries += 1;
        }
        let faulted = inject(sandbox.faults(), "complete", drawn);
        let order = QrPayment {
            wallet: wallet.clone(),
            qr_code: qr,
            kind: QrCodeType::Default,
        };
        seen.push(run_one(&client, order, faulted).await);
    }
    tokio::time::sleep(DELAY * 2).await;
    let ledger: Vec<String> = sandbox
        .debits()
        .into_iter()
        .map(|d| d.correlation_id)
        .collect();
    Ok(compare(
        "tr-qr-wallet",
        &seen,
        &ledger,
        sandbox.faults(),
        expiries,
    ))
}

/// Allpay: terminal cash-ins.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn allpay(operations: usize, seed: u64) -> Result<Report> {
    let options = AllpayOptions {
        agent_balance: Money::parse("100000000", Currency::KZT)?,
        ..AllpayOptions::default()
    };
    let sandbox = AllpaySandbox::start_with(options)
        .await
        .map_err(payments_core::Error::configuration)?;
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    config.terminal_schedule = RetryPolicy {
        max_attempts: 10,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(100),
        jitter: false,
    };
    let client = AllpayClient::new(config)?;
    let user = UserName::new("77011234567")?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = Vec::new();
    for _ in 0..operations {
        let faulted = inject(
            sandbox.faults(),
            "createCashInPayment",
            draw(&mut rng, false),
        );
        let order = CashInOrder {
            to_user: user.clone(),
            amount: amount(&mut rng, Currency::KZT)?,
        };
        seen.push(run_one(&client, order, faulted).await);
    }
    tokio::time::sleep(DELAY * 2).await;
    let ledger: Vec<String> = sandbox.cashed_in().into_iter().map(|c| c.guid).collect();
    Ok(compare("allpay", &seen, &ledger, sandbox.faults(), 0))
}

/// The whole campaign: `operations` payments per provider, faults from `seed`.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn run(operations: usize, seed: u64) -> Result<Vec<Report>> {
    Ok(vec![
        jawali(operations, seed).await?,
        paykassma(operations, seed.wrapping_add(1)).await?,
        tr_qr_wallet(operations, seed.wrapping_add(2)).await?,
        allpay(operations, seed.wrapping_add(3)).await?,
    ])
}

/// The table `cargo xtask faults` prints.
pub fn table(reports: &[Report], seed: u64) -> String {
    let mut out = format!(
        "seed {seed}\n{:<13} {:>10} {:>7} {:>8} {:>10} {:>14} {:>13} {:>17} {:>9}\n",
        "provider",
        "operations",
        "faults",
        "unknown",
        "reconciled",
        "double charges",
        "lost payments",
        "false completions",
        "unsettled"
    );
    for r in reports {
        out.push_str(&format!(
            "{:<13} {:>10} {:>7} {:>8} {:>10} {:>14} {:>13} {:>17} {:>9}\n",
            r.provider,
            r.operations,
            r.faults,
            r.unknown_outcomes,
            r.reconciled,
            r.double_charges,
            r.lost_payments,
            r.false_completions,
            r.unsettled
        ));
    }
    out
}
