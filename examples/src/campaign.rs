//! The money-safety campaign: many payments per provider against its
//! sandbox under a realistic fault model, then the sandbox's ledger compared
//! with what the merchant was told.
//!
//! **The fault model.** Seeded random faults hit *any* call — prepare,
//! commit, every reconciliation call, token fetches — of every payment:
//!
//! - before processing: a dropped connection, HTTP 500 and 503 error pages;
//! - after processing (the provider booked it): a delay past the client's
//!   timeout, a dropped connection, a truncated answer, HTTP 500 and 502
//!   error pages, a 200 HTML page, and the provider's own "system error"
//!   answer (Jawali `systemStatus -1`, Sipay code 999, an unsigned Allpay
//!   500 `soap:Server` Fault, a Paykassma status nobody documented);
//!
//! and per payment, drawn from the same seed: slow commits (Jawali: the
//! cash-out answered PENDING and its lookups PENDING for a while), revoked
//! tokens (the token endpoint is as faulty as the rest), Paykassma
//! postbacks late, preceded by a `pending` one, repeated, or refused by the
//! merchant's endpoint and redelivered, and deposits credited with another
//! amount than ordered.
//!
//! The providers' own "system error" answers quote the merchant's
//! credentials, as a provider echoing a request line would: every text the
//! merchant is told (each error's `Display`, `Debug` and sources) is
//! searched for each sandbox's secrets — credentials and every token it
//! issued — and must hold none (`leaks`).
//!
//! **Double submits.** A share of the orders (15 %, drawn from the seed)
//! is submitted 2–5 times at once under its order id — a double click, a
//! load balancer repeating a request — through a journal
//! (`payments_journal::Journaled`), and once more after they finished.
//!
//! **The measure.** Every other payment is prepared, then committed once
//! and settled by [`commit_and_settle`]; the payments it leaves unknown are
//! settled by a later [`settle`] once the faults stop. Then, against the
//! sandbox's ledger: double charges, lost payments (booked, never told
//! completed), false completions (told completed, never booked), false
//! failures (told failed or declined, but booked) and payments still
//! unsettled after the later settle must all be 0; and for the
//! double-submitted orders, bookings beyond the first (extra charges) and
//! submits of one order told different final outcomes.
//!
//! Payments run concurrently, so which payment a random fault hits depends
//! on scheduling: the seed fixes the fault model and the draws, not the
//! exact interleaving.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use allpay_soap::sandbox::{AllpaySandbox, SandboxOptions as AllpayOptions};
use allpay_soap::{AllpayClient, CashInOrder, UserName};
use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber, VoucherPayment};
use paykassma::sandbox::{PostbackQuirks, SandboxOptions as PaykassmaOptions, start_with_inbox};
use paykassma::{DepositOrder, Label, PaykassmaClient, PaykassmaGateway, WalletType};
use payments_core::gateway::{DurableGateway, commit_and_settle, settle};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::{Fault, Faults};
use payments_core::{
    Currency, Error, Gateway, MerchantOrder, Money, PaymentOutcome, PaymentStatus, Result,
};
use tr_qr_wallet::sandbox::QrWalletSandbox;
use tr_qr_wallet::{QrCodeType, QrPayment, QrWalletClient, WalletNumber};

/// The client's total timeout in the campaign; delays go past it.
const TIMEOUT: Duration = Duration::from_millis(250);
const DELAY: Duration = Duration::from_millis(400);
/// Random faults per thousand requests, on every operation.
const PER_MILLE: u32 = 80;
/// Payments in flight at once, per provider.
const CONCURRENCY: usize = 16;

/// What the campaign found for one provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The provider.
    pub provider: &'static str,
    /// Payments run.
    pub operations: usize,
    /// Faults injected, by kind (random ones by fault, scripted ones by name).
    pub faults: BTreeMap<String, usize>,
    /// Payments the provider completed, as the merchant was finally told.
    pub completed: usize,
    /// Payments refused before the commit (prepare failed): nothing could move.
    pub refused: usize,
    /// Payments that failed after the commit in a way the provider proved.
    pub failed: usize,
    /// Payments booked on other terms than ordered (integrity mismatch), told so.
    pub mismatches: usize,
    /// Payments left unknown by the first `pay` (settled later, or not).
    pub unknown_before_settle: usize,
    /// Payments booked more than once by the provider. Must be 0.
    pub double_charges: usize,
    /// Payments the provider booked that the merchant was never told
    /// completed (nor booked on other terms). Must be 0.
    pub lost_payments: usize,
    /// Payments the merchant was told completed that the provider never booked. Must be 0.
    pub false_completions: usize,
    /// Payments the merchant was told failed or declined that the provider
    /// booked — the merchant would ask the customer to pay again. Must be 0.
    pub false_failures: usize,
    /// Payments still unknown after the later settle call. Must be 0.
    pub unsettled: usize,
    /// Errors the merchant was told whose texts hold one of the sandbox's
    /// secrets. Must be 0.
    pub leaks: usize,
    /// Orders submitted more than once under one order id (2–5 times at
    /// once through a journal, then once more after they finished).
    pub double_submitted: usize,
    /// The submits of those orders beyond the first.
    pub extra_submits: usize,
    /// Bookings of a double-submitted order beyond its first. Must be 0.
    pub extra_charges: usize,
    /// Double-submitted orders whose submits were told different final
    /// outcomes. Must be 0.
    pub disagreements: usize,
}

impl Report {
    /// Whether no money was doubled, lost, invented or falsely failed, and
    /// every payment settled.
    pub fn is_clean(&self) -> bool {
        self.double_charges == 0
            && self.lost_payments == 0
            && self.false_completions == 0
            && self.false_failures == 0
            && self.unsettled == 0
            && self.leaks == 0
            && self.extra_charges == 0
            && self.disagreements == 0
    }

    /// Every fault injected.
    pub fn total_faults(&self) -> usize {
        self.faults.values().sum()
    }
}

/// What the merchant was told about one payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Told {
    Completed,
    /// Failed, cancelled, expired or declined: "money did not move".
    Failed,
    /// Booked on other terms: a person looks.
    Mismatch,
    Unknown,
    /// Refused before anything was sent (a timed-out or failed read, a
    /// request that never left): says nothing about the order — one of its
    /// other submits may pay it.
    Refused,
}

fn told(result: &Result<PaymentOutcome>) -> Told {
    match result {
        Ok(outcome) if outcome.status == PaymentStatus::Completed => Told::Completed,
        Ok(outcome) if outcome.status.is_final() => Told::Failed,
        Ok(_) | Err(Error::OutcomeUnknown { .. }) => Told::Unknown,
        Err(Error::IntegrityMismatch { .. } | Error::TermsMismatch { .. }) => Told::Mismatch,
        Err(_) => Told::Failed,
    }
}

/// One payment's story.
struct Seen {
    /// `None`: refused at prepare, nothing could move.
    reference: Option<String>,
    first: Told,
    last: Told,
    /// Every text of every error the merchant was told.
    texts: Vec<String>,
    /// How many times the order was submitted (1, or 3–6 for a double
    /// submit: 2–5 at once, then once more after they finished).
    submits: usize,
    /// Submits of one order told completed and failed (or booked on other
    /// terms and not): they must agree.
    disagreed: bool,
}

/// The texts of `result`'s error, if it is one.
fn texts_of<T>(result: &Result<T>) -> Vec<String> {
    result
        .as_ref()
        .err()
        .map(payments_core::testkit::error_texts)
        .unwrap_or_default()
}

/// The share of orders submitted more than once, in percent.
const DOUBLE_SUBMITS: u32 = 15;

/// Whether order `index` is submitted more than once, and how many times at
/// once (2–5): drawn from the seed.
fn double_submit(seed: u64, index: usize) -> Option<usize> {
    let mut rng =
        fastrand::Rng::with_seed(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    (rng.u32(0..100) < DOUBLE_SUBMITS).then(|| rng.usize(2..=5))
}

/// What one submit of a double-submitted order was told: as [`told`], and
/// [`Told::Refused`] for an error that proves only that this call sent
/// nothing — one of a call that moves no money (its prepare: a login, an
/// inquiry), or a repeatable one (`pay` answers those only before a
/// commit).
fn told_submit(result: &Result<PaymentOutcome>) -> Told {
    match result {
        Err(error)
            if error.is_retryable()
                || error
                    .operation()
                    .is_some_and(|op| op.kind != payments_core::OperationKind::MoneyMoving) =>
        {
            Told::Refused
        }
        other => told(other),
    }
}

/// What the concurrent submits of one order were told, as one: the final
/// answer they agree on (an unknown one — a caller that waited past its
/// deadline — and a refused one agree with any), and whether two final
/// answers differ.
fn agreed(results: &[Result<PaymentOutcome>]) -> (Told, bool) {
    let all: Vec<Told> = results.iter().map(told_submit).collect();
    let finals: Vec<Told> = all
        .iter()
        .copied()
        .filter(|t| !matches!(t, Told::Unknown | Told::Refused))
        .collect();
    let first = finals.first().copied().unwrap_or_else(|| {
        if all.contains(&Told::Unknown) {
            Told::Unknown
        } else {
            Told::Refused
        }
    });
    (first, finals.iter().any(|t| *t != first))
}

/// Prepares and pays every order, `CONCURRENCY` at a time; `before` runs
/// before each payment (token revocations). A share of the orders
/// ([`DOUBLE_SUBMITS`] percent, drawn from `seed`) is instead submitted 2–5
/// times at once under its order id, through a journal — a double click,
/// a retried request — and once more after they finished. Then settles,
/// once the faults have stopped (`stop_faults`), every payment left
/// unknown (a double-submitted one by submitting it again). `identity`
/// names an order as the sandbox's ledger does (Jawali: the voucher, since
/// a resend carries a fresh `refId`; Sipay: the QR code; Allpay, Paykassma:
/// the merchant reference the order id gives).
async fn run_payments<G, B>(
    gateway: Arc<G>,
    orders: Vec<G::Order>,
    identity: fn(&G, &G::Order) -> String,
    before: B,
    stop_faults: impl FnOnce(),
    seed: u64,
) -> Result<Vec<Seen>>
where
    G: DurableGateway + Clone + 'static,
    G::Order: Send + 'static,
    G::Prepared: Send + 'static,
    B: Fn(usize) + Send + Sync + 'static,
{
    /// A payment's story, and what its later settle needs.
    enum Later<G: Gateway> {
        Prepared(G::Prepared),
        Resubmit(G::Order),
    }
    type Slot<G> = (Seen, Option<Later<G>>);
    let journal = payments_journal::Journal::in_memory()
        .await
        .map_err(Error::configuration)?;
    let journaled = Arc::new(payments_journal::Journaled::new(
        gateway.as_ref().clone(),
        journal,
    ));
    let queue = Arc::new(Mutex::new(
        orders.into_iter().enumerate().collect::<VecDeque<_>>(),
    ));
    let before = Arc::new(before);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (queue, gateway, before, journaled) = (
            Arc::clone(&queue),
            Arc::clone(&gateway),
            Arc::clone(&before),
            Arc::clone(&journaled),
        );
        workers.spawn(async move {
            let mut done: Vec<(usize, Slot<G>)> = Vec::new();
            loop {
                let next = queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                let Some((index, order)) = next else { break };
                before(index);
                let name = identity(gateway.as_ref(), &order);
                if let Some(times) = double_submit(seed, index) {
                    let mut submits = tokio::task::JoinSet::new();
                    for _ in 0..times {
                        let (journaled, order) = (Arc::clone(&journaled), order.clone());
                        submits.spawn(async move { journaled.pay(order).await });
                    }
                    let mut results = Vec::with_capacity(times);
                    while let Some(result) = submits.join_next().await {
                        if let Ok(result) = result {
                            results.push(result);
                        }
                    }
                    let (first, disagreed) = agreed(&results);

                    let seen = Seen {
                        reference: Some(name),
                        first,
                        last: first,
                        texts: results.iter().flat_map(texts_of).collect(),
                        submits: times,
                        disagreed,
                    };
                    done.push((index, (seen, Some(Later::Resubmit(order)))));
                    continue;
                }
                let prepared = match gateway.prepare(order).await {
                    Ok(prepared) => prepared,
                    Err(error) => {
                        let seen = Seen {
                            reference: None,
                            first: Told::Failed,
                            last: Told::Failed,
                            texts: payments_core::testkit::error_texts(&error),
                            submits: 1,
                            disagreed: false,
                        };
                        done.push((index, (seen, None)));
                        continue;
                    }
                };
                let result = commit_and_settle(gateway.as_ref(), &prepared).await;
                let first = told(&result);
                let seen = Seen {
                    reference: Some(name),
                    first,
                    last: first,
                    texts: texts_of(&result),
                    submits: 1,
                    disagreed: false,
                };
                done.push((index, (seen, Some(Later::Prepared(prepared)))));
            }
            done
        });
    }
    let mut slots: Vec<(usize, Slot<G>)> = Vec::new();
    while let Some(done) = workers.join_next().await {
        slots.extend(done.unwrap_or_default());
    }
    slots.sort_by_key(|(index, _)| *index);
    // The faults stop; the merchant's later settle call (a sweeper, a
    // support person) settles what was left unknown; a double-submitted
    // order is submitted once more, as a customer refreshing the page does.
    stop_faults();
    tokio::time::sleep(DELAY * 2).await;
    let mut seen = Vec::with_capacity(slots.len());
    for (_, (mut story, later)) in slots {
        match later {
            Some(Later::Prepared(prepared)) if story.first == Told::Unknown => {
                let result = settle(gateway.as_ref(), &prepared).await;
                story.last = told(&result);
                story.texts.extend(texts_of(&result));
            }
            Some(Later::Resubmit(order)) => {
                let written = journaled
                    .outcome(order.order_id())
                    .await
                    .map_err(Error::configuration)?;
                if written.is_none() {
                    // Refused before anything was written down: a new
                    // submit would be a new payment, not a repeat.
                    story.reference = None;
                } else {
                    let result = journaled.pay(order).await;
                    let again = told_submit(&result);
                    story.disagreed |= !matches!(story.first, Told::Unknown | Told::Refused)
                        && !matches!(again, Told::Unknown | Told::Refused)
                        && again != story.first;
                    story.last = again;
                    story.submits += 1;
                    story.texts.extend(texts_of(&result));
                }
            }
            _ => {}
        }
        seen.push(story);
    }
    Ok(seen)
}

fn fault_name(fault: &Fault) -> String {
    match fault {
        Fault::Delay(_) => "delay past timeout (processed)".to_owned(),
        Fault::Status(status) => format!("HTTP {status} (not processed)"),
        Fault::MalformedBody => "truncated answer (processed)".to_owned(),
        Fault::ReplaceBody(_) => "200 HTML page (processed)".to_owned(),
        Fault::DropBeforeCommit => "drop (not processed)".to_owned(),
        Fault::DropAfterCommit => "drop (processed)".to_owned(),
        Fault::CommitThenStatus(status) => format!("HTTP {status} (processed)"),
        Fault::CommitThenAnswer { .. } => "system error code (processed)".to_owned(),
        other => format!("{other:?}"),
    }
}

fn compare(
    provider: &'static str,
    seen: &[Seen],
    ledger: &[String],
    faults: &[&Faults],
    scripted: BTreeMap<String, usize>,
    secrets: &[String],
) -> Report {
    let mut booked: HashMap<&str, usize> = HashMap::new();
    for reference in ledger {
        *booked.entry(reference.as_str()).or_default() += 1;
    }
    let is_booked = |s: &Seen| {
        s.reference
            .as_deref()
            .is_some_and(|r| booked.contains_key(r))
    };
    let mut by_kind = scripted;
    for injected in faults.iter().flat_map(|f| f.injected()) {
        *by_kind.entry(fault_name(&injected.fault)).or_default() += 1;
    }
    let count = |f: &dyn Fn(&Seen) -> bool| seen.iter().filter(|s| f(s)).count();
    Report {
        provider,
        operations: seen.len(),
        faults: by_kind,
        completed: count(&|s| s.last == Told::Completed),
        refused: count(&|s| s.reference.is_none()),
        failed: count(&|s| s.reference.is_some() && s.last == Told::Failed),
        mismatches: count(&|s| s.last == Told::Mismatch),
        unknown_before_settle: count(&|s| s.first == Told::Unknown),
        double_charges: booked.values().filter(|n| **n > 1).count(),
        lost_payments: count(&|s| {
            is_booked(s) && !matches!(s.last, Told::Completed | Told::Mismatch)
        }),
        false_completions: count(&|s| {
            (s.first == Told::Completed || s.last == Told::Completed) && !is_booked(s)
        }),
        false_failures: count(&|s| {
            is_booked(s) && (s.first == Told::Failed || s.last == Told::Failed)
        }),
        unsettled: count(&|s| s.last == Told::Unknown),
        leaks: count(&|s| {
            s.texts
                .iter()
                .any(|text| secrets.iter().any(|secret| text.contains(secret.as_str())))
        }),
        double_submitted: count(&|s| s.submits > 1),
        extra_submits: seen
            .iter()
            .filter(|s| s.submits > 1)
            .map(|s| s.submits - 1)
            .sum(),
        extra_charges: seen
            .iter()
            .filter(|s| s.submits > 1)
            .filter_map(|s| s.reference.as_deref())
            .map(|r| booked.get(r).copied().unwrap_or(0).saturating_sub(1))
            .sum(),
        disagreements: count(&|s| s.disagreed),
    }
}

fn amount(rng: &mut fastrand::Rng, currency: Currency) -> Result<Money> {
    Ok(Money::from_minor_units(
        i64::from(rng.u32(100..100_000)),
        currency,
    )?)
}

/// The faults of every provider, and its own "system error after
/// processing" answer.
fn random_faults(faults: &Faults, seed: u64, system_error: Fault) {
    faults.random(
        seed,
        PER_MILLE,
        vec![
            Fault::Delay(DELAY),
            Fault::DropBeforeCommit,
            Fault::DropAfterCommit,
            Fault::Status(503),
            Fault::Status(500),
            Fault::MalformedBody,
            Fault::CommitThenStatus(500),
            Fault::CommitThenStatus(502),
            Fault::ReplaceBody(bytes::Bytes::from_static(
                b"<html><body><h1>Service Unavailable</h1></body></html>",
            )),
            system_error,
        ],
        None,
    );
}

fn settle_policy() -> RetryPolicy {
    RetryPolicy::new(6, Duration::from_millis(40), Duration::from_millis(200))
}

/// How long an outage lasts: this many requests of the operation fail.
const OUTAGE: u32 = 12;

/// Draws whether a payment starts an outage of its provider's
/// reconciliation (lookups, repeats, postback endpoint) or token endpoint.
fn outage(rng: &mut fastrand::Rng, scripted: &mut BTreeMap<String, usize>, kind: &str) -> bool {
    // Token outages hit every payment in flight: rarer.
    let percent = if kind.starts_with("token") { 1 } else { 4 };
    let hit = rng.u32(0..100) < percent;
    if hit {
        tally(scripted, kind);
    }
    hit
}

/// Before one payment of a provider with tokens: the outages drawn for it
/// — its reconciliation call (`operations.0`) and its token endpoint
/// (`operations.1`, tokens revoked so the next call needs one) failing for
/// a while — and a plain token revocation.
fn before_payment(
    faults: &Faults,
    outages: Option<(bool, bool)>,
    revoke: bool,
    operations: (&str, &str),
    revoke_tokens: impl Fn(),
) {
    let (reconcile, tokens) = outages.unwrap_or_default();
    if reconcile {
        faults.inject_times(Some(operations.0.into()), Fault::Status(503), OUTAGE);
    }
    if tokens {
        revoke_tokens();
        faults.inject_times(Some(operations.1.into()), Fault::Status(503), OUTAGE / 3);
    }
    if revoke {
        revoke_tokens();
    }
}

/// Counts a scripted fault kind.
fn tally(scripted: &mut BTreeMap<String, usize>, kind: &str) {
    *scripted.entry(kind.to_owned()).or_default() += 1;
}

/// Jawali: voucher cash-outs.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn jawali(operations: usize, seed: u64) -> Result<Report> {
    let sandbox = Arc::new(
        JawaliSandbox::start()
            .await
            .map_err(payments_core::Error::configuration)?,
    );
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    let client = JawaliClient::builder(config)
        .settle_policy(settle_policy())
        .build()?;
    let mobile = MobileNumber::new("771234567")?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut orders = Vec::with_capacity(operations);
    let mut revoke = Vec::with_capacity(operations);
    let mut outages = Vec::with_capacity(operations);
    let mut scripted = BTreeMap::new();
    for _ in 0..operations {
        outages.push((
            outage(
                &mut rng,
                &mut scripted,
                "status lookups failing for a while",
            ),
            outage(
                &mut rng,
                &mut scripted,
                "token endpoint failing for a while",
            ),
        ));
        let price = amount(&mut rng, Currency::YER)?;
        let voucher = sandbox.create_voucher(price, &mobile);
        orders.push(VoucherPayment::new(
            jawali::OrderId::generate(),
            voucher.as_str(),
            mobile.as_str(),
            price,
        )?);
        match rng.u32(0..100) {
            0..=4 => {
                sandbox.slow_next_cash_out(rng.u32(1..5));
                tally(&mut scripted, "slow commit (PENDING lookups)");
                revoke.push(false);
            }
            5..=9 => {
                tally(&mut scripted, "tokens revoked");
                revoke.push(true);
            }
            _ => revoke.push(false),
        }
    }
    random_faults(
        sandbox.faults(),
        seed,
        Fault::commit_then(
            200,
            "application/json",
            format!(
                r#"{{"responseStatus":{{"systemStatus":"-1","systemStatusDesc":"System error (wallet {} password {})","systemStatusDescNative":"خطأ في النظام {}"}},"responseBody":null}}"#,
                jawali::sandbox::CREDENTIALS.agent_wallet,
                jawali::sandbox::CREDENTIALS.wallet_password,
                jawali::sandbox::CREDENTIALS.password,
            ),
        ),
    );
    let before_sandbox = Arc::clone(&sandbox);
    let seen = run_payments(
        Arc::new(client),
        orders,
        |_, order: &VoucherPayment| order.voucher.as_str().to_owned(),
        move |index| {
            before_payment(
                before_sandbox.faults(),
                outages.get(index).copied(),
                revoke.get(index).copied().unwrap_or(false),
                ("check_status", "login"),
                || before_sandbox.revoke_access_tokens(),
            );
        },
        || sandbox.faults().clear(),
        seed,
    )
    .await?;
    // One payment is one voucher (a resend carries a fresh refId).
    let ledger: Vec<String> = sandbox.cash_outs().into_iter().map(|c| c.voucher).collect();
    Ok(compare(
        "jawali",
        &seen,
        &ledger,
        &[sandbox.faults()],
        scripted,
        &sandbox.secrets(),
    ))
}

/// Paykassma: deposits activated with the user's transaction number.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn paykassma(operations: usize, seed: u64) -> Result<Report> {
    let (sandbox, inbox, endpoint) = start_with_inbox(PaykassmaOptions {
        postback_retry_interval: Duration::from_millis(20),
        postback_max_attempts: 1000,
        slow_check: Duration::from_millis(150),
        ..PaykassmaOptions::default()
    })
    .await
    .map_err(payments_core::Error::configuration)?;
    let endpoint = Arc::new(endpoint);
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    let client = PaykassmaClient::new(config)?;
    let gateway = PaykassmaGateway::new(client.clone(), inbox, Duration::from_secs(2))
        .with_settle_policy(settle_policy());
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut orders = Vec::with_capacity(operations);
    let mut outages = Vec::with_capacity(operations);
    let mut scripted = BTreeMap::new();
    for n in 0..operations {
        outages.push(outage(
            &mut rng,
            &mut scripted,
            "merchant's postback endpoint down for a while",
        ));
        let label = Label::new(format!("user-{n}"))?;
        let price = amount(&mut rng, Currency::MMK)?;
        let wallet = client
            .create_deposit(&label, Currency::MMK)
            .await?
            .identifier
            .unwrap_or_default();
        let roll = rng.u32(0..100);
        let paid = if roll < 3 {
            tally(&mut scripted, "credited amount differs");
            price.checked_add(Money::from_minor_units(100, Currency::MMK)?)?
        } else {
            price
        };
        let slow = rng.u32(0..100) < 15;
        if slow {
            tally(&mut scripted, "slow check (pending, then postback)");
        }
        let delay = if rng.u32(0..100) < 10 {
            tally(&mut scripted, "postback late");
            Duration::from_millis(rng.u64(50..400))
        } else {
            Duration::ZERO
        };
        let pending_first = rng.u32(0..100) < 10;
        if pending_first {
            tally(&mut scripted, "postback pending before final");
        }
        let repeat = rng.u32(0..100) < 10;
        if repeat {
            tally(&mut scripted, "postback repeated");
        }
        let key1 = sandbox.customer_pays_with(
            &wallet,
            paid,
            slow,
            PostbackQuirks::new(delay, pending_first, repeat),
        );
        orders.push(DepositOrder::new(
            paykassma::OrderId::generate(),
            label,
            WalletType::WAVEPAY,
            key1,
            price,
        ));
    }
    random_faults(
        sandbox.faults(),
        seed,
        Fault::commit_then(
            200,
            "application/json",
            format!(
                r#"{{"status":"error","message":"Internal server error: POST /api/v1/transaction/activate?secret={}"}}"#,
                paykassma::sandbox::SECRET
            ),
        ),
    );
    // The merchant's own endpoint fails now and then: postbacks arrive only
    // after a redelivery.
    endpoint.faults().random(
        seed.wrapping_add(17),
        100,
        vec![Fault::Status(503), Fault::DropBeforeCommit],
        None,
    );
    let before_endpoint = Arc::clone(&endpoint);
    let seen = run_payments(
        Arc::new(gateway),
        orders,
        |_, order: &DepositOrder| order.order_id.attempt_key(order.attempt()),
        move |index| {
            if outages.get(index).copied().unwrap_or(false) {
                before_endpoint.faults().inject_times(
                    Some("postback".into()),
                    Fault::Status(503),
                    OUTAGE * 10,
                );
            }
        },
        || {
            sandbox.faults().clear();
            endpoint.faults().clear();
        },
        seed,
    )
    .await?;
    let ledger: Vec<String> = sandbox
        .credited()
        .into_iter()
        .map(|c| c.custom_transaction_id)
        .collect();
    Ok(compare(
        "paykassma",
        &seen,
        &ledger,
        &[sandbox.faults(), endpoint.faults()],
        scripted,
        &sandbox.secrets(),
    ))
}

/// Sipay wallet: QR payments.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn tr_qr_wallet(operations: usize, seed: u64) -> Result<Report> {
    let sandbox = Arc::new(
        QrWalletSandbox::start()
            .await
            .map_err(payments_core::Error::configuration)?,
    );
    let wallet = WalletNumber::new("1011179271")?;
    sandbox.add_wallet(
        &wallet,
        Money::parse("100000000", Currency::TRY)?,
        Money::parse("100000", Currency::TRY)?,
    );
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    config.settle = settle_policy();
    let client = QrWalletClient::builder(config)
        .clock(Arc::new(sandbox.clock().clone()))
        .build()?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut orders = Vec::with_capacity(operations);
    let mut revoke = Vec::with_capacity(operations);
    let mut outages = Vec::with_capacity(operations);
    let mut scripted = BTreeMap::new();
    for _ in 0..operations {
        outages.push((
            outage(&mut rng, &mut scripted, "Complete failing for a while"),
            outage(
                &mut rng,
                &mut scripted,
                "token endpoint failing for a while",
            ),
        ));
        let qr = sandbox.pos_creates_qr(amount(&mut rng, Currency::TRY)?);
        orders.push(QrPayment::new(
            tr_qr_wallet::OrderId::generate(),
            wallet.clone(),
            qr,
            QrCodeType::Default,
        ));
        let revoked = rng.u32(0..100) < 8;
        if revoked {
            tally(&mut scripted, "tokens revoked");
        }
        revoke.push(revoked);
    }
    random_faults(
        sandbox.faults(),
        seed,
        Fault::commit_then(
            200,
            "application/json",
            format!(
                r#"{{"status":1,"code":"999","message":"Sistem hatası (client_secret={})","payload":null}}"#,
                tr_qr_wallet::sandbox::CLIENT_SECRET
            ),
        ),
    );
    let before_sandbox = Arc::clone(&sandbox);
    let seen = run_payments(
        Arc::new(client),
        orders,
        |_, order: &QrPayment| order.qr_code.as_str().to_owned(),
        move |index| {
            before_payment(
                before_sandbox.faults(),
                outages.get(index).copied(),
                revoke.get(index).copied().unwrap_or(false),
                ("complete", "token"),
                || before_sandbox.revoke_tokens(),
            );
        },
        || sandbox.faults().clear(),
        seed,
    )
    .await?;
    // One payment is one sale: its QR code (a session per Begin).
    let ledger: Vec<String> = sandbox.debits().into_iter().map(|d| d.qr_code).collect();
    Ok(compare(
        "tr-qr-wallet",
        &seen,
        &ledger,
        &[sandbox.faults()],
        scripted,
        &sandbox.secrets(),
    ))
}

/// An unsigned SOAP 1.1 Fault, as a balancer or a crashed handler answers.
const ALLPAY_SERVER_FAULT: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Internal server error</faultstring><detail><developerMessage>database timeout</developerMessage></detail></soap:Fault></soap:Body></soap:Envelope>"#;

/// Allpay: terminal cash-ins.
///
/// # Errors
///
/// When a sandbox or client cannot be set up.
pub async fn allpay(operations: usize, seed: u64) -> Result<Report> {
    let options = AllpayOptions {
        agent_balance: Money::parse("100000000000", Currency::KZT)?,
        pending_polls: 1,
        ..AllpayOptions::default()
    };
    let sandbox = Arc::new(
        AllpaySandbox::start_with(options)
            .await
            .map_err(payments_core::Error::configuration)?,
    );
    let mut config = sandbox.config();
    config.http.timeouts.total = TIMEOUT;
    config.terminal_schedule =
        RetryPolicy::new(8, Duration::from_millis(5), Duration::from_millis(100));
    let client = AllpayClient::new(config)?;
    let user = UserName::new("77011234567")?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut orders = Vec::with_capacity(operations);
    let mut outages = Vec::with_capacity(operations);
    let mut scripted = BTreeMap::new();
    for _ in 0..operations {
        outages.push(outage(
            &mut rng,
            &mut scripted,
            "500 Faults to the pay call for a while",
        ));
        orders.push(CashInOrder::new(
            allpay_soap::OrderId::generate(),
            user.clone(),
            amount(&mut rng, Currency::KZT)?,
        ));
    }
    random_faults(
        sandbox.faults(),
        seed,
        Fault::commit_then(500, "text/xml; charset=utf-8", ALLPAY_SERVER_FAULT),
    );
    let before_sandbox = Arc::clone(&sandbox);
    let seen = run_payments(
        Arc::new(client),
        orders,
        |client: &AllpayClient, order: &CashInOrder| {
            client
                .order_guid(&order.order_id, order.attempt())
                .map(|guid| guid.to_string())
                .unwrap_or_default()
        },
        move |index| {
            if outages.get(index).copied().unwrap_or(false) {
                before_sandbox.faults().inject_times(
                    Some("createCashInPayment".into()),
                    Fault::commit_then(500, "text/xml; charset=utf-8", ALLPAY_SERVER_FAULT),
                    OUTAGE,
                );
            }
        },
        || sandbox.faults().clear(),
        seed,
    )
    .await?;
    let ledger: Vec<String> = sandbox.cashed_in().into_iter().map(|c| c.guid).collect();
    scripted.insert(
        "first answer PENDING (every payment)".to_owned(),
        operations,
    );
    Ok(compare(
        "allpay",
        &seen,
        &ledger,
        &[sandbox.faults()],
        scripted,
        &sandbox.secrets(),
    ))
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

/// The table `cargo xtask faults` prints: the outcome columns per provider,
/// then the faults injected per provider and kind.
pub fn table(reports: &[Report], seed: u64) -> String {
    let mut out = format!(
        "seed {seed}\n{:<13} {:>8} {:>7} {:>9} {:>7} {:>6} {:>10} {:>15} {:>7} {:>5} {:>6} {:>6} {:>9} {:>5} {:>14} {:>6} {:>8}\n",
        "provider",
        "payments",
        "faults",
        "completed",
        "refused",
        "failed",
        "mismatches",
        "unknown->settled",
        "double",
        "lost",
        "false+",
        "false-",
        "unsettled",
        "leaks",
        "resubmitted",
        "extra",
        "disagree"
    );
    for r in reports {
        out.push_str(&format!(
            "{:<13} {:>8} {:>7} {:>9} {:>7} {:>6} {:>10} {:>15} {:>7} {:>5} {:>6} {:>6} {:>9} {:>5} {:>14} {:>6} {:>8}\n",
            r.provider,
            r.operations,
            r.total_faults(),
            r.completed,
            r.refused,
            r.failed,
            r.mismatches,
            format!(
                "{}->{}",
                r.unknown_before_settle,
                r.unknown_before_settle - r.unsettled.min(r.unknown_before_settle)
            ),
            r.double_charges,
            r.lost_payments,
            r.false_completions,
            r.false_failures,
            r.unsettled,
            r.leaks,
            format!("{} (+{})", r.double_submitted, r.extra_submits),
            r.extra_charges,
            r.disagreements
        ));
    }
    out.push_str("(refused: before the commit, nothing moved; unknown->settled: left unknown by pay, then settled by the later settle call; double: double charges; lost: booked, never told completed; false+: false completions; false-: false failures, told failed while booked; leaks: errors whose texts hold a sandbox secret; resubmitted: orders submitted 2-5 times at once under one order id, then once more after they finished (+ the submits beyond the first); extra: their bookings beyond the first; disagree: their submits told different final outcomes)\n");
    for r in reports {
        out.push_str(&format!("{} faults:", r.provider));
        for (kind, n) in &r.faults {
            out.push_str(&format!(" {kind} {n};"));
        }
        out.push('\n');
    }
    out
}
