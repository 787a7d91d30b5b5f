//! The Sipay wallet as a [`Gateway`].

use payments_core::gateway::{DurableGateway, restore_state, save_state};
use payments_core::order::{MerchantOrder, OrderId, OrderTerm};
use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{
    Capabilities, Error, Gateway, MerchantReference, Money, PaymentOutcome, PaymentStatus,
    ProviderReference, Reconciliation, Result, async_trait,
};

use crate::QrWalletClient;
use crate::model::{
    CorrelationId, Embedded, QrCode, QrCodeType, QrReceipt, QrSession, Sale, Settlement,
    WalletNumber,
};

/// What the Sipay wallet can do: no status lookup; an unknown Complete is
/// settled by completing the same session again.
pub const CAPABILITIES: Capabilities =
    Capabilities::new(false, false, false, true, Reconciliation::IdempotentRepeat);

/// The merchant reference of a QR payment is the wallet's correlation id
/// (the integrator has no reference of its own in this API).
pub(crate) const CORRELATION_RULES: ReferenceRules = ReferenceRules {
    field: "tx_correlation_id",
    max_len: 64,
    charset: Charset::Digits,
};

/// A scanned QR code to pay from a wallet, for one merchant order.
///
/// The Sipay wallet has no idempotency key of its own (a session is opened
/// per Begin, and a sale is paid once): an unjournaled repeat of the order
/// opens a second session, which the wallet refuses for the paid sale. Pay
/// through `payments_journal::Journaled`, keyed by the order id, so that a
/// repeat answers the first payment's outcome.
///
/// ```
/// use tr_qr_wallet::{OrderId, QrCode, QrCodeType, QrPayment, WalletNumber};
///
/// let order = QrPayment::new(
///     OrderId::new("qr-1001")?,
///     WalletNumber::new("1011179271")?,
///     QrCode::new("00020101021126...6304ABCD")?,
///     QrCodeType::Default,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayment {
    /// The merchant's id of the order.
    pub order_id: OrderId,
    /// The paying wallet.
    pub wallet: WalletNumber,
    /// The scanned code.
    pub qr_code: QrCode,
    /// Full or short code.
    pub kind: QrCodeType,
    /// The amount the payer agreed to pay, if known: a sale that names
    /// another amount (or none that can be read) is refused after Begin,
    /// before Complete — nothing is paid.
    pub expected: Option<Money>,
    attempt: u32,
}

impl QrPayment {
    /// A payment from `wallet` of the sale `qr_code` names, for order
    /// `order_id` (its first attempt).
    pub fn new(order_id: OrderId, wallet: WalletNumber, qr_code: QrCode, kind: QrCodeType) -> Self {
        QrPayment {
            order_id,
            wallet,
            qr_code,
            kind,
            expected: None,
            attempt: 1,
        }
    }

    /// The same payment, paid only if the sale is for `amount`.
    #[must_use]
    pub fn expecting(mut self, amount: Money) -> Self {
        self.expected = Some(amount);
        self
    }
}

impl MerchantOrder for QrPayment {
    fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    fn attempt(&self) -> u32 {
        self.attempt
    }

    fn set_attempt(&mut self, attempt: u32) {
        self.attempt = attempt.max(1);
    }

    fn terms(&self) -> Vec<OrderTerm> {
        let mut terms = vec![
            OrderTerm::new("wallet", self.wallet.as_str()),
            OrderTerm::new("qr_code", self.qr_code.0.as_str()),
            // Its wire code: stable whatever the enum's names.
            OrderTerm::new("kind", self.kind.wire().to_string()),
        ];
        if let Some(amount) = &self.expected {
            terms.push(OrderTerm::money("amount", amount));
        }
        terms
    }
}

/// A begun payment, with its reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BegunPayment {
    /// The session Begin opened.
    pub session: QrSession,
    /// The correlation id, as a merchant reference.
    pub reference: MerchantReference,
}

fn completed(reference: &MerchantReference, receipt: &QrReceipt) -> PaymentOutcome {
    PaymentOutcome::new(reference.clone(), PaymentStatus::Completed)
        .with_amount(receipt.charged)
        .with_provider_reference(ProviderReference::new(receipt.transaction_id.clone()))
}

/// prepare = Begin (and, for an order [expecting](QrPayment::expecting) an
/// amount, the sale's amount checked against it), commit = Complete,
/// reconcile = [`QrWalletClient::settle`].
impl QrWalletClient {
    /// Completes a payment begun with [`Gateway::prepare`] once the user
    /// confirmed the sale they were shown: one Complete, settled by
    /// completing the same session again if its outcome is unknown —
    /// [`commit_and_settle`](payments_core::gateway::commit_and_settle)
    /// through this client's [`Gateway`]. An outcome still unknown is
    /// settled later by [`settle`](QrWalletClient::settle) with its
    /// reference.
    ///
    /// # Cancellation
    ///
    /// Dropped once its Complete may have left, the payment stays open in
    /// this client: [`settle`](QrWalletClient::settle) with the payment's
    /// reference ([`BegunPayment::reference`]) settles it.
    ///
    /// # Errors
    ///
    /// A decline (the debit did not happen); an integrity mismatch;
    /// [`Error::OutcomeUnknown`].
    pub async fn confirm(&self, begun: &BegunPayment) -> Result<PaymentOutcome> {
        payments_core::gateway::commit_and_settle(self, begun).await
    }
}

#[async_trait]
impl Gateway for QrWalletClient {
    type Order = QrPayment;
    type Prepared = BegunPayment;

    fn provider(&self) -> &'static str {
        "tr-qr-wallet"
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn prepare(&self, order: QrPayment) -> Result<BegunPayment> {
        let session = self
            .begin(&order.wallet, &order.qr_code, order.kind)
            .await?;
        if let Some(expected) = order.expected {
            match session.sale.decoded().map(|sale| sale.amount) {
                Some(amount) if amount == expected => {}
                // The sale is for other money: nothing has moved.
                Some(amount) => {
                    return Err(Error::terms_mismatch(
                        crate::wire::BEGIN,
                        "amount",
                        expected,
                        amount,
                    ));
                }
                None => {
                    return Err(Error::mismatch(
                        crate::wire::BEGIN,
                        "amount",
                        expected,
                        "a sale whose amount cannot be read",
                    ));
                }
            }
        }
        let reference =
            MerchantReference::new(session.correlation_id.as_str(), &CORRELATION_RULES)?;
        Ok(BegunPayment { session, reference })
    }

    fn reference<'a>(&self, prepared: &'a BegunPayment) -> &'a MerchantReference {
        &prepared.reference
    }

    async fn commit(&self, prepared: &BegunPayment) -> Result<PaymentOutcome> {
        let receipt = self.complete(&prepared.session).await?;
        Ok(completed(&prepared.reference, &receipt))
    }

    async fn reconcile(&self, prepared: &BegunPayment) -> Result<PaymentOutcome> {
        match self.settle_session(&prepared.session).await? {
            Settlement::Completed(receipt) => Ok(completed(&prepared.reference, &receipt)),
            Settlement::CompletedEarlier { .. } => {
                let mut outcome =
                    PaymentOutcome::new(prepared.reference.clone(), PaymentStatus::Completed);
                if let Some(sale) = prepared.session.sale.decoded() {
                    outcome = outcome.with_amount(sale.amount);
                }
                Ok(outcome)
            }
        }
    }

    fn commit_operation(&self) -> payments_core::Operation {
        crate::wire::COMPLETE
    }

    fn open_payments(&self) -> Option<&payments_core::gateway::OpenPayments<BegunPayment>> {
        Some(self.open())
    }
}

/// A begun payment as a journal keeps it (version 1): the wallet, the
/// correlation id and the sale Complete is checked against.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSession {
    wallet_number: String,
    correlation_id: String,
    sale: Embedded<Sale>,
}

/// Begun payments are saved as their session; restored, they are settled
/// by completing the same session again ([`QrWalletClient::settle`]),
/// which the wallet does at most once.
impl DurableGateway for QrWalletClient {
    fn save_prepared(&self, prepared: &BegunPayment) -> Result<serde_json::Value> {
        let session = &prepared.session;
        save_state(
            1,
            &SavedSession {
                wallet_number: session.wallet_number.as_str().to_owned(),
                correlation_id: session.correlation_id.as_str().to_owned(),
                sale: session.sale.clone(),
            },
        )
    }

    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<BegunPayment> {
        let saved: SavedSession = restore_state(saved, 1, "a saved Sipay session")?;
        let correlation_id = CorrelationId::new(&saved.correlation_id)?;
        let reference = MerchantReference::new(correlation_id.as_str(), &CORRELATION_RULES)?;
        Ok(BegunPayment {
            session: QrSession {
                wallet_number: WalletNumber::new(&saved.wallet_number)?,
                correlation_id,
                sale: saved.sale,
            },
            reference,
        })
    }
}
