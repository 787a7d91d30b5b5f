//! The four providers' sandboxes, each seen as a ledger: a gateway, fresh
//! orders, and what the sandbox booked.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use payments_core::gateway::DurableGateway;
use payments_core::http::RetryPolicy;
use payments_core::sandbox::SandboxServer;
use payments_core::{Currency, Gateway, Money, async_trait};

/// A provider's sandbox, seen as a ledger.
#[async_trait]
pub(crate) trait Ledger: Send + Sync {
    type Gateway: DurableGateway + Clone + 'static;
    fn gateway(&self) -> Self::Gateway;
    async fn order(&self) -> <Self::Gateway as Gateway>::Order;
    /// `order` with the same order id and another value of one field: the
    /// order, and the field's name as a refusal names it.
    async fn other_terms(
        &self,
        order: &<Self::Gateway as Gateway>::Order,
    ) -> (<Self::Gateway as Gateway>::Order, &'static str);
    /// How many requests the sandbox has served.
    fn requests(&self) -> usize;
    /// The sandbox's name of the commit operation (`"cash_out"`).
    const COMMIT: &'static str;
    /// The sandbox's fault injection.
    fn faults(&self) -> &payments_core::sandbox::Faults;
    /// Holds the next commit `delay` at the sandbox before booking it.
    fn delay_commit(&self, delay: Duration) {
        self.faults()
            .inject(Self::COMMIT, payments_core::sandbox::Fault::Delay(delay));
    }
    /// How many payments the sandbox booked in all.
    fn bookings(&self) -> usize;
    /// How many times it booked the payment `reference` (as an outcome
    /// names it) belongs to.
    fn booked(&self, reference: &str) -> usize;
}

// ------------------------------------------------------------------ Jawali

pub(crate) struct Jawali {
    sandbox: jawali::sandbox::JawaliSandbox,
    client: jawali::JawaliClient,
}

pub(crate) fn yer(amount: &str) -> Money {
    Money::parse(amount, Currency::YER).unwrap()
}

pub(crate) fn quick_settle() -> RetryPolicy {
    RetryPolicy::new(4, Duration::from_millis(5), Duration::from_millis(20))
}

impl Jawali {
    pub(crate) async fn start() -> Self {
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
        jawali::VoucherPayment::new(
            jawali::OrderId::generate(),
            voucher.as_str(),
            mobile.as_str(),
            yer("1500"),
        )
        .unwrap()
    }

    async fn other_terms(
        &self,
        order: &jawali::VoucherPayment,
    ) -> (jawali::VoucherPayment, &'static str) {
        let mut other = order.clone();
        other.expected = yer("1400");
        (other, "amount")
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    const COMMIT: &'static str = "cash_out";

    fn faults(&self) -> &payments_core::sandbox::Faults {
        self.sandbox.faults()
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

// ------------------------------------------------------------------- Sipay

pub(crate) struct Sipay {
    sandbox: tr_qr_wallet::sandbox::QrWalletSandbox,
    client: tr_qr_wallet::QrWalletClient,
}

pub(crate) fn tl(amount: &str) -> Money {
    Money::parse(amount, Currency::TRY).unwrap()
}

pub(crate) fn sipay_wallet() -> tr_qr_wallet::WalletNumber {
    tr_qr_wallet::WalletNumber::new("1011179271").unwrap()
}

impl Sipay {
    pub(crate) async fn start() -> Self {
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
        tr_qr_wallet::QrPayment::new(
            tr_qr_wallet::OrderId::generate(),
            sipay_wallet(),
            self.sandbox.pos_creates_qr(tl("12.50")),
            tr_qr_wallet::QrCodeType::Default,
        )
    }

    async fn other_terms(
        &self,
        order: &tr_qr_wallet::QrPayment,
    ) -> (tr_qr_wallet::QrPayment, &'static str) {
        let mut other = order.clone();
        other.qr_code = self.sandbox.pos_creates_qr(tl("99.00"));
        (other, "qr_code")
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    const COMMIT: &'static str = "complete";

    fn faults(&self) -> &payments_core::sandbox::Faults {
        self.sandbox.faults()
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

// ------------------------------------------------------------------ Allpay

pub(crate) struct Allpay {
    sandbox: allpay_soap::sandbox::AllpaySandbox,
    client: allpay_soap::AllpayClient,
}

impl Allpay {
    pub(crate) async fn start() -> Self {
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
        allpay_soap::CashInOrder::new(
            allpay_soap::OrderId::generate(),
            allpay_soap::UserName::new("77011234567").unwrap(),
            Money::parse("1500", Currency::KZT).unwrap(),
        )
    }

    async fn other_terms(
        &self,
        order: &allpay_soap::CashInOrder,
    ) -> (allpay_soap::CashInOrder, &'static str) {
        let mut other = order.clone();
        other.amount = Money::parse("1400", Currency::KZT).unwrap();
        (other, "amount")
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    const COMMIT: &'static str = "createCashInPayment";

    fn faults(&self) -> &payments_core::sandbox::Faults {
        self.sandbox.faults()
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

// --------------------------------------------------------------- Paykassma

pub(crate) struct Paykassma {
    sandbox: paykassma::sandbox::PaykassmaSandbox,
    gateway: paykassma::PaykassmaGateway,
    labels: AtomicUsize,
    _endpoint: SandboxServer,
}

pub(crate) fn mmk(amount: &str) -> Money {
    Money::parse(amount, Currency::MMK).unwrap()
}

impl Paykassma {
    pub(crate) async fn start() -> Self {
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

    async fn other_terms(
        &self,
        order: &paykassma::DepositOrder,
    ) -> (paykassma::DepositOrder, &'static str) {
        let mut other = order.clone();
        other.amount = mmk("400");
        (other, "amount")
    }

    fn requests(&self) -> usize {
        self.sandbox.requests_served()
    }

    const COMMIT: &'static str = "activate";

    fn faults(&self) -> &payments_core::sandbox::Faults {
        self.sandbox.faults()
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
