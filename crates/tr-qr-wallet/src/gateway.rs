//! The Sipay wallet as a [`Gateway`].

use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{
    Capabilities, Gateway, MerchantReference, PaymentOutcome, PaymentStatus, ProviderReference,
    Reconciliation, Result, async_trait,
};

use crate::QrWalletClient;
use crate::model::{QrCode, QrCodeType, QrReceipt, QrSession, Settlement, WalletNumber};

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

/// A scanned QR code to pay from a wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayment {
    /// The paying wallet.
    pub wallet: WalletNumber,
    /// The scanned code.
    pub qr_code: QrCode,
    /// Full or short code.
    pub kind: QrCodeType,
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

/// prepare = Begin, commit = Complete, reconcile = [`QrWalletClient::settle`].
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
        match self.settle(&prepared.session).await? {
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
}
