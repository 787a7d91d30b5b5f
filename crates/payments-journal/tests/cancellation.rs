//! A journaled payment dropped at every await point in turn — a client that
//! went away, axum dropping the handler's future — is settled by the
//! sweeper: every payment whose commit may have left ends final, and the
//! provider's ledger (the sandbox) agrees with the journal: nothing paid
//! twice, nothing paid that the journal does not call completed.

#![cfg(feature = "sqlite")]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use payments_core::gateway::DurableGateway;
use payments_core::http::RetryPolicy;
use payments_core::sandbox::SandboxServer;
use payments_core::{Currency, Gateway, Money, async_trait};
use payments_journal::{Journal, Journaled, Stage};

/// Polls `future` until it has been pending `polls` times, then drops it;
/// its output when it finished first.
async fn poll_then_drop<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut pending = 0;
    std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(Some(output)),
        Poll::Pending => {
            pending += 1;
            if pending >= polls {
                Poll::Ready(None)
            } else {
                Poll::Pending
            }
        }
    })
    .await
}

/// How many times `future` yields before it finishes (it must succeed).
async fn count_yields<T, E: std::fmt::Debug>(future: impl Future<Output = Result<T, E>>) -> usize {
    let mut future = pin!(future);
    let mut pending = 0;
    let result = std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(output),
        Poll::Pending => {
            pending += 1;
            Poll::Pending
        }
    })
    .await;
    if let Err(error) = result {
        panic!("an undisturbed payment failed: {error:?}");
    }
    pending
}

/// A provider's sandbox, seen as a ledger.
#[async_trait]
trait Ledger: Send + Sync {
    type Gateway: DurableGateway + Clone + 'static;
    fn gateway(&self) -> Self::Gateway;
    async fn order(&self) -> <Self::Gateway as Gateway>::Order;
    /// How many payments the sandbox booked in all.
    fn bookings(&self) -> usize;
    /// How many times it booked the payment `reference` (as an outcome
    /// names it) belongs to.
    fn booked(&self, reference: &str) -> usize;
}

async fn drop_at_every_await_point<L: Ledger>(ledger: L) {
    let journal = Journal::in_memory().await.unwrap();
    let payments = Journaled::new(ledger.gateway(), journal.clone());
    let provider = ledger.gateway().provider();
    // Drop one payment after 1, 2, … polls, past the number of times an
    // undisturbed payment yields, in rounds: where each poll lands varies
    // from run to run (a database write answered by SQLite's worker thread
    // before the next poll does not yield), so rounds go on until payments
    // were dropped in every stage: before anything was written, prepared,
    // and committing.
    let yields = count_yields(payments.pay(ledger.order().await)).await;
    let mut dropped = std::collections::HashMap::<&str, usize>::new();
    for _round in 0..25 {
        for polls in 1..=yields + 2 {
            let before = journal.entries(provider).await.unwrap().len();
            let order = ledger.order().await;
            if let Some(result) = poll_then_drop(payments.pay(order), polls).await {
                assert!(
                    result.is_ok(),
                    "{provider}: an undisturbed payment failed: {result:?}"
                );
                continue;
            }
            let entries = journal.entries(provider).await.unwrap();
            let stage = if entries.len() == before {
                "unwritten"
            } else {
                entries.last().map_or("unwritten", |e| e.stage.as_str())
            };
            *dropped.entry(stage).or_default() += 1;
        }
        if ["unwritten", "prepared", "committing"]
            .iter()
            .all(|stage| dropped.contains_key(stage))
        {
            break;
        }
    }
    assert!(
        dropped.contains_key("committing"),
        "{provider}: no payment dropped while committing ({dropped:?}): the test is not testing"
    );

    // The sweeper, as a scheduler would run it, until nothing is open.
    for _ in 0..10 {
        payments.settle_pending(1000).await.unwrap();
        let entries = journal.entries(provider).await.unwrap();
        if entries.iter().all(|e| e.stage.is_final()) {
            break;
        }
    }
    let entries = journal.entries(provider).await.unwrap();
    let completed: Vec<_> = entries
        .iter()
        .filter(|e| e.stage == Stage::Completed)
        .collect();
    for entry in &entries {
        assert!(
            entry.stage.is_final(),
            "{provider}: {} left {} ({:?})",
            entry.reference,
            entry.stage,
            entry.detail
        );
        assert!(
            matches!(
                entry.stage,
                Stage::Completed | Stage::Failed | Stage::Abandoned
            ),
            "{provider}: {} is {} ({:?})",
            entry.reference,
            entry.stage,
            entry.detail
        );
    }
    for entry in &completed {
        let landed = entry
            .outcome
            .as_ref()
            .map_or(entry.reference.as_str(), |o| o.reference.as_str());
        assert_eq!(
            ledger.booked(landed),
            1,
            "{provider}: {} completed in the journal, booked otherwise",
            entry.reference
        );
    }
    assert_eq!(
        ledger.bookings(),
        completed.len(),
        "{provider}: the ledger booked {} payments, the journal completed {} (drops {dropped:?}, {} entries)",
        ledger.bookings(),
        completed.len(),
        entries.len()
    );
}

// ------------------------------------------------------------------ Jawali

struct Jawali {
    sandbox: jawali::sandbox::JawaliSandbox,
    client: jawali::JawaliClient,
}

fn yer(amount: &str) -> Money {
    Money::parse(amount, Currency::YER).unwrap()
}

fn quick_settle() -> RetryPolicy {
    RetryPolicy::new(4, Duration::from_millis(5), Duration::from_millis(20))
}

impl Jawali {
    async fn start() -> Self {
        let sandbox = jawali::sandbox::JawaliSandbox::start().await.unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(500);
        let client = jawali::JawaliClient::builder(config)
            .clock(Arc::new(sandbox.clock().clone()))
            .settle_policy(quick_settle())
            .build()
            .unwrap();
        Jawali { sandbox, client }
    }
}

#[async_trait]
impl Ledger for Jawali {
    type Gateway = jawali::JawaliClient;

    fn gateway(&self) -> jawali::JawaliClient {
        self.client.clone()
    }

    async fn order(&self) -> jawali::VoucherPayment {
        let mobile = jawali::MobileNumber::new("771234567").unwrap();
        let voucher = self.sandbox.create_voucher(yer("1500"), &mobile);
        jawali::VoucherPayment::new(voucher.as_str(), mobile.as_str(), yer("1500")).unwrap()
    }

    fn bookings(&self) -> usize {
        self.sandbox.cash_outs().len()
    }

    fn booked(&self, reference: &str) -> usize {
        let cash_outs = self.sandbox.cash_outs();
        let Some(voucher) = cash_outs
            .iter()
            .find(|c| c.reference == reference)
            .map(|c| c.voucher.clone())
        else {
            return 0;
        };
        cash_outs.iter().filter(|c| c.voucher == voucher).count()
    }
}

#[tokio::test]
async fn jawali_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Jawali::start().await).await;
}

// ------------------------------------------------------------------- Sipay

struct Sipay {
    sandbox: tr_qr_wallet::sandbox::QrWalletSandbox,
    client: tr_qr_wallet::QrWalletClient,
}

fn tl(amount: &str) -> Money {
    Money::parse(amount, Currency::TRY).unwrap()
}

fn sipay_wallet() -> tr_qr_wallet::WalletNumber {
    tr_qr_wallet::WalletNumber::new("1011179271").unwrap()
}

impl Sipay {
    async fn start() -> Self {
        let sandbox = tr_qr_wallet::sandbox::QrWalletSandbox::start()
            .await
            .unwrap();
        sandbox.add_wallet(&sipay_wallet(), tl("100000"), tl("100000"));
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(500);
        config.settle = quick_settle();
        let client = tr_qr_wallet::QrWalletClient::builder(config)
            .clock(Arc::new(sandbox.clock().clone()))
            .build()
            .unwrap();
        Sipay { sandbox, client }
    }
}

#[async_trait]
impl Ledger for Sipay {
    type Gateway = tr_qr_wallet::QrWalletClient;

    fn gateway(&self) -> tr_qr_wallet::QrWalletClient {
        self.client.clone()
    }

    async fn order(&self) -> tr_qr_wallet::QrPayment {
        tr_qr_wallet::QrPayment {
            wallet: sipay_wallet(),
            qr_code: self.sandbox.pos_creates_qr(tl("12.50")),
            kind: tr_qr_wallet::QrCodeType::Default,
        }
    }

    fn bookings(&self) -> usize {
        self.sandbox.debits().len()
    }

    fn booked(&self, reference: &str) -> usize {
        self.sandbox
            .debits()
            .iter()
            .filter(|d| d.correlation_id == reference)
            .count()
    }
}

#[tokio::test]
async fn sipay_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Sipay::start().await).await;
}

// ------------------------------------------------------------------ Allpay

struct Allpay {
    sandbox: allpay_soap::sandbox::AllpaySandbox,
    client: allpay_soap::AllpayClient,
}

impl Allpay {
    async fn start() -> Self {
        let sandbox = allpay_soap::sandbox::AllpaySandbox::start().await.unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(500);
        config.terminal_schedule =
            RetryPolicy::new(8, Duration::from_millis(5), Duration::from_millis(20));
        let client = allpay_soap::AllpayClient::new(config).unwrap();
        Allpay { sandbox, client }
    }
}

#[async_trait]
impl Ledger for Allpay {
    type Gateway = allpay_soap::AllpayClient;

    fn gateway(&self) -> allpay_soap::AllpayClient {
        self.client.clone()
    }

    async fn order(&self) -> allpay_soap::CashInOrder {
        allpay_soap::CashInOrder {
            to_user: allpay_soap::UserName::new("77011234567").unwrap(),
            amount: Money::parse("1500", Currency::KZT).unwrap(),
        }
    }

    fn bookings(&self) -> usize {
        self.sandbox.cashed_in().len()
    }

    fn booked(&self, reference: &str) -> usize {
        self.sandbox
            .cashed_in()
            .iter()
            .filter(|c| c.guid == reference)
            .count()
    }
}

#[tokio::test]
async fn allpay_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Allpay::start().await).await;
}

// --------------------------------------------------------------- Paykassma

struct Paykassma {
    sandbox: paykassma::sandbox::PaykassmaSandbox,
    gateway: paykassma::PaykassmaGateway,
    labels: AtomicUsize,
    _endpoint: SandboxServer,
}

fn mmk(amount: &str) -> Money {
    Money::parse(amount, Currency::MMK).unwrap()
}

impl Paykassma {
    async fn start() -> Self {
        use paykassma::sandbox::{SandboxOptions, start_with_inbox};
        let (sandbox, inbox, endpoint) = start_with_inbox(SandboxOptions {
            postback_retry_interval: Duration::from_millis(10),
            ..SandboxOptions::default()
        })
        .await
        .unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(500);
        let gateway = paykassma::PaykassmaGateway::new(
            paykassma::PaykassmaClient::new(config).unwrap(),
            inbox,
            Duration::from_secs(2),
        )
        .with_settle_policy(quick_settle());
        Paykassma {
            sandbox,
            gateway,
            labels: AtomicUsize::new(0),
            _endpoint: endpoint,
        }
    }
}

#[async_trait]
impl Ledger for Paykassma {
    type Gateway = paykassma::PaykassmaGateway;

    fn gateway(&self) -> paykassma::PaykassmaGateway {
        self.gateway.clone()
    }

    async fn order(&self) -> paykassma::DepositOrder {
        let label = paykassma::Label::new(format!(
            "user-{}",
            self.labels.fetch_add(1, Ordering::SeqCst)
        ))
        .unwrap();
        self.sandbox
            .paid_deposit(self.gateway.client(), label, mmk("500"))
            .await
            .unwrap()
    }

    fn bookings(&self) -> usize {
        self.sandbox.credited().len()
    }

    fn booked(&self, reference: &str) -> usize {
        self.sandbox
            .credited()
            .iter()
            .filter(|c| c.custom_transaction_id == reference)
            .count()
    }
}

#[tokio::test]
async fn paykassma_payments_dropped_at_every_await_point_are_settled() {
    drop_at_every_await_point(Paykassma::start().await).await;
}
