//! Jawali behind the core's traits: the order ([`VoucherPayment`]), the
//! prepared payment ([`CheckedVoucher`]), [`CAPABILITIES`], and the
//! `Gateway`, `DurableGateway` (with its saved state) and `StatusLookup`
//! impls for [`JawaliClient`].

use payments_core::gateway::{DurableGateway, OpenPayments, restore_state, save_state};
use payments_core::order::{MerchantOrder, OrderId, OrderTerm};
use payments_core::{
    Capabilities, Error, Gateway, MerchantReference, Money, PaymentOutcome, PaymentStatus,
    ProviderReference, Reconciliation, Result, StatusLookup, async_trait,
};
use serde::{Deserialize, Serialize};

use crate::JawaliClient;
use crate::model::{
    CashOut, MobileNumber, REF_ID_RULES, SentUnder, TransactionState, TransactionStatus, Voucher,
    VoucherCode, VoucherState,
};
use crate::wire::Service;

/// What a customer hands over at checkout, for one merchant order.
///
/// Jawali has no idempotency key of its own (its `refId` is unique per
/// request, and a voucher is cashed out once): an unjournaled repeat of
/// the order makes a second attempt, which Jawali refuses for the used
/// voucher. Pay through `payments_journal::Journaled`, keyed by the order
/// id, so that a repeat answers the first payment's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherPayment {
    /// The merchant's id of the order.
    pub order_id: OrderId,
    /// The purchase code from the customer's Jawali app.
    pub voucher: VoucherCode,
    /// The customer's wallet number.
    pub customer_mobile: MobileNumber,
    /// What the merchant expects to collect: amount and currency must match the voucher.
    pub expected: Money,
    attempt: u32,
}

impl VoucherPayment {
    /// Validates the customer's input for order `order_id`; nothing is sent.
    ///
    /// ```
    /// use jawali::{Currency, Money, OrderId, VoucherPayment};
    ///
    /// let payment = VoucherPayment::new(
    ///     OrderId::new("order-1001")?,
    ///     "8412345",
    ///     "771234567",
    ///     Money::parse("1500", Currency::YER)?,
    /// )?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming `voucher`, `customer_mobile` or `amount`.
    pub fn new(
        order_id: OrderId,
        voucher: &str,
        customer_mobile: &str,
        expected: Money,
    ) -> Result<Self> {
        let voucher = VoucherCode::new(voucher)?;
        let customer_mobile = MobileNumber::new(customer_mobile)?;
        let expected = expected
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        Ok(VoucherPayment {
            order_id,
            voucher,
            customer_mobile,
            expected,
            attempt: 1,
        })
    }
}

impl MerchantOrder for VoucherPayment {
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
        vec![
            OrderTerm::new("voucher", self.voucher.0.as_str()),
            OrderTerm::new("customer_mobile", self.customer_mobile.as_str()),
            OrderTerm::money("amount", &self.expected),
        ]
    }
}

/// A voucher that passed inquiry and the checks, with the `refId` its
/// cash-out will carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedVoucher {
    /// The payment as the customer gave it.
    pub payment: VoucherPayment,
    /// The voucher as the inquiry described it (state `Pending`).
    pub voucher: Voucher,
    /// The cash-out's first `refId`, fixed now: the payment's merchant reference.
    pub reference: MerchantReference,
    /// Every `refId` the cash-out was sent under (the first, and each repeat's).
    pub sent_under: SentUnder,
}

impl CheckedVoucher {
    /// The cash-out this voucher leads to.
    pub fn cash_out(&self) -> CashOut {
        CashOut {
            voucher: self.payment.voucher.clone(),
            customer_mobile: self.payment.customer_mobile.clone(),
            amount: self.payment.expected,
            reference: self.reference.clone(),
            purpose: None,
        }
    }
}

/// A prepared cash-out as a journal keeps it (version 1): the customer's
/// input, the voucher as inquired, and every `refId` the cash-out may be
/// sent under.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedVoucher {
    voucher: String,
    customer_mobile: String,
    expected: Money,
    voucher_amount: Money,
    issuer_reference: Option<ProviderReference>,
    receiver_mobile: Option<String>,
    sender_mobile: Option<String>,
    date: Option<String>,
    reference: String,
    /// The `refId`s requests were sent under beyond the first.
    sent: Vec<String>,
    /// The `refId`s reserved for repeats and not yet taken.
    reserve: Vec<String>,
    /// The merchant's order id and the attempt (absent in states written
    /// before order ids: restored with a fresh id, which reconciliation
    /// never reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_id: Option<OrderId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attempt: Option<u32>,
}

/// Prepared cash-outs are saved with every `refId` they may be sent under
/// (the first, those sent, those reserved). Restored, all of them are
/// looked up, since a repeat may have taken a reserved one after the save;
/// a resend (only when the provider knows none of them and the voucher is
/// still `PENDING`) takes a reserved one — never a `refId` no record names.
impl DurableGateway for JawaliClient {
    fn save_prepared(&self, prepared: &CheckedVoucher) -> Result<serde_json::Value> {
        let texts = |references: Vec<MerchantReference>| -> Vec<String> {
            references
                .into_iter()
                .filter(|r| r != &prepared.reference)
                .map(|r| r.as_str().to_owned())
                .collect()
        };
        let voucher = &prepared.voucher;
        save_state(
            1,
            &SavedVoucher {
                voucher: prepared.payment.voucher.as_str().to_owned(),
                customer_mobile: prepared.payment.customer_mobile.as_str().to_owned(),
                expected: prepared.payment.expected,
                voucher_amount: voucher.amount,
                issuer_reference: voucher.issuer_reference.clone(),
                receiver_mobile: voucher.receiver_mobile.clone(),
                sender_mobile: voucher.sender_mobile.clone(),
                date: voucher.date.clone(),
                reference: prepared.reference.as_str().to_owned(),
                sent: texts(prepared.sent_under.all()),
                reserve: texts(prepared.sent_under.reserve()),
                order_id: Some(prepared.payment.order_id.clone()),
                attempt: Some(prepared.payment.attempt),
            },
        )
    }

    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<CheckedVoucher> {
        let saved: SavedVoucher = restore_state(saved, 1, "a saved Jawali payment")?;
        let code = VoucherCode::new(&saved.voucher)?;
        let reference = MerchantReference::new(saved.reference, &REF_ID_RULES)?;
        let ref_id = |text: String| MerchantReference::new(text, &REF_ID_RULES);
        let sent = saved
            .sent
            .into_iter()
            .map(ref_id)
            .collect::<Result<Vec<_>>>()?;
        let reserve = saved
            .reserve
            .into_iter()
            .map(ref_id)
            .collect::<Result<Vec<_>>>()?;
        Ok(CheckedVoucher {
            payment: VoucherPayment {
                order_id: saved.order_id.unwrap_or_else(OrderId::generate),
                attempt: saved.attempt.unwrap_or(1).max(1),
                voucher: code.clone(),
                customer_mobile: MobileNumber::new(&saved.customer_mobile)?,
                expected: saved
                    .expected
                    .require_positive()
                    .map_err(|e| Error::invalid_money("expected", &e))?,
            },
            voucher: Voucher {
                code,
                state: VoucherState::Pending,
                amount: saved.voucher_amount,
                issuer_reference: saved.issuer_reference,
                receiver_mobile: saved.receiver_mobile,
                sender_mobile: saved.sender_mobile,
                date: saved.date,
            },
            sent_under: SentUnder::restored(&reference, sent, reserve),
            reference,
        })
    }
}

/// What Jawali can do: a status lookup by `refId`, reconciliation by it.
pub const CAPABILITIES: Capabilities =
    Capabilities::new(true, false, false, true, Reconciliation::StatusLookup);

/// Jawali as a [`Gateway`]: prepare = inquiry and checks, commit = cash-out,
/// reconcile = status lookups (and the same-`refId` resend above).
#[async_trait]
impl Gateway for JawaliClient {
    type Order = VoucherPayment;
    type Prepared = CheckedVoucher;

    fn provider(&self) -> &'static str {
        "jawali"
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn prepare(&self, order: VoucherPayment) -> Result<CheckedVoucher> {
        self.check_voucher(order).await
    }

    fn reference<'a>(&self, prepared: &'a CheckedVoucher) -> &'a MerchantReference {
        &prepared.reference
    }

    async fn commit(&self, prepared: &CheckedVoucher) -> Result<PaymentOutcome> {
        self.cash_out_logged(&prepared.cash_out(), &prepared.sent_under)
            .await
            .map(PaymentOutcome::from)
    }

    async fn reconcile(&self, prepared: &CheckedVoucher) -> Result<PaymentOutcome> {
        let cause = Error::OutcomeUnknown {
            operation: Service::CashOut.operation(),
            reference: Some(prepared.reference.to_string()),
            reason: "reconciliation requested".to_owned(),
            source: None,
            diagnostics: None,
        };
        self.settle_cash_out(&prepared.cash_out(), &prepared.sent_under, cause)
            .await
            .map(PaymentOutcome::from)
    }

    fn commit_operation(&self) -> payments_core::Operation {
        Service::CashOut.operation()
    }

    fn open_payments(&self) -> Option<&OpenPayments<CheckedVoucher>> {
        Some(self.open())
    }
}

impl JawaliClient {
    /// The payment status model of a status lookup.
    pub(crate) fn payment_status(status: &TransactionStatus) -> PaymentStatus {
        match &status.state {
            TransactionState::Succeeded => PaymentStatus::Completed,
            TransactionState::Pending => PaymentStatus::Pending,
            TransactionState::Failed => PaymentStatus::Failed {
                reason: "the provider reports the operation failed".into(),
            },
            TransactionState::NotFound => PaymentStatus::Unknown {
                detail: "no operation with this refId (yet)".into(),
            },
            TransactionState::Unknown(state) => PaymentStatus::Unknown {
                detail: format!("provider state `{state}`"),
            },
        }
    }
}

/// Jawali looks payments up by `refId` (`AGENTCHECKSTATUS`).
#[async_trait]
impl StatusLookup for JawaliClient {
    async fn status(&self, reference: &MerchantReference) -> Result<PaymentOutcome> {
        let status = self.check_status(reference).await?;
        let mut outcome = PaymentOutcome::new(reference.clone(), Self::payment_status(&status));
        if let Some(amount) = status.amount {
            outcome = outcome.with_amount(amount);
        }
        Ok(match status.issuer_reference {
            Some(issuer) => outcome.with_provider_reference(issuer),
            None => outcome,
        })
    }
}
