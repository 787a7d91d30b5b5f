//! Voucher operations on the wire: the inquiry (`ECOMMERCEINQUIRY`) and
//! the cash-out (`ECOMMCASHOUT`), with the client's `refId` reuse check.

use std::sync::PoisonError;

use payments_core::wire::money_in_answer as money;
use payments_core::{Decline, Error, MerchantReference, ProviderReference, Result};

use crate::JawaliClient;
use crate::model::{
    CashOut, CashOutReceipt, MobileNumber, Repeat, SentUnder, TransactionState, Voucher,
    VoucherCode, VoucherState,
};
use crate::session::{decline, parse_currency};
use crate::wire::{self, ResponseEnvelope, Service};

impl JawaliClient {
    /// Checks a voucher (`ECOMMERCEINQUIRY`): its state, amount and currency.
    /// The inquiry carries its own fresh `refId`.
    ///
    /// # Errors
    ///
    /// A decline (unknown voucher, wrong mobile), [`Error::UndecodableResponse`],
    /// transport errors.
    pub async fn inquire_voucher(
        &self,
        voucher: &VoucherCode,
        customer_mobile: &MobileNumber,
    ) -> Result<Voucher> {
        self.call(
            Service::Inquiry,
            || {
                let reference = self.new_reference()?;
                let fields = self.inquiry_fields(voucher, customer_mobile, &reference);
                Ok((fields, Some(reference.to_string())))
            },
            |envelope| self.read_inquiry(voucher, &envelope),
        )
        .await
    }

    /// The fields of an inquiry about `voucher` under `reference`.
    pub(crate) fn inquiry_fields<'a>(
        &'a self,
        voucher: &'a VoucherCode,
        customer_mobile: &'a MobileNumber,
        reference: &MerchantReference,
    ) -> wire::InquiryFields<'a> {
        wire::InquiryFields {
            voucher: voucher.as_str(),
            receiver_mobile: customer_mobile.as_str(),
            ref_id: reference.to_string().into(),
            purpose: &self.inner.config.default_purpose,
        }
    }

    /// What an inquiry's answer says about `voucher`.
    pub(crate) fn read_inquiry(
        &self,
        voucher: &VoucherCode,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<Voucher> {
        let operation = Service::Inquiry.operation();
        if !envelope.status.is_success() {
            return Err(decline(operation, &envelope.status));
        }
        let answer: wire::InquiryAnswer = self.parse_body(operation, envelope)?;
        let currency = parse_currency(operation, &answer.txncurrency)?;
        let amount = money(operation, "txnamount", answer.txnamount, currency)?;
        Ok(Voucher {
            code: voucher.clone(),
            state: VoucherState::from_wire(&answer.state),
            amount,
            issuer_reference: answer.issuer_trx_ref.map(ProviderReference::new),
            receiver_mobile: answer.receiver_mobile,
            sender_mobile: answer.sender_mobile,
            date: answer.trx_date,
        })
    }

    /// Redeems a voucher (`ECOMMCASHOUT`): moves its amount from the
    /// customer's wallet to the merchant's. **Not retried**: if the outcome
    /// is unknown ([`Error::OutcomeUnknown`]), look it up with
    /// [`check_status`](Self::check_status) by `request.reference` — or use
    /// [`collect`](Self::collect), which does that.
    ///
    /// The answer's amount and currency are checked against the request's.
    ///
    /// # Cancellation
    ///
    /// Dropped once its request may have left (an HTTP handler whose client
    /// went away: axum drops the future), the cash-out may have happened
    /// with nobody told. `request.reference` (its `refId`) settles it:
    /// [`check_status`](Self::check_status) with it, or pay through
    /// `payments_journal::Journaled`, which writes it down before the
    /// request leaves and settles it after a crash.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (zero amount, a `refId` this client already
    /// used), a decline, [`Error::OutcomeUnknown`],
    /// [`Error::IntegrityMismatch`], transport errors.
    pub async fn cash_out(&self, request: &CashOut) -> Result<CashOutReceipt> {
        self.cash_out_logged(request, &SentUnder::default()).await
    }

    /// [`cash_out`](Self::cash_out), recording in `log` every `refId` the
    /// cash-out is sent under.
    pub(crate) async fn cash_out_logged(
        &self,
        request: &CashOut,
        log: &SentUnder,
    ) -> Result<CashOutReceipt> {
        request
            .amount
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        let reference = request.reference.as_str();
        let fresh = self
            .inner
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(reference);
        if !fresh {
            return Err(Error::invalid(
                "refId",
                format_args!(
                    "`{reference}` was already used by this client; every request needs a new one"
                ),
            ));
        }
        self.send_cash_out(request, log).await
    }

    /// Sends a cash-out, without the client's reuse check: its first request
    /// carries `request.reference`, every repeat (after a refused token) the
    /// next `refId` of `log`'s plan, or a fresh one when it has none (no
    /// repeat is sent once a plan is used up); each is appended to `log`.
    /// The receipt names the `refId` that landed.
    pub(crate) async fn send_cash_out(
        &self,
        request: &CashOut,
        log: &SentUnder,
    ) -> Result<CashOutReceipt> {
        let service = Service::CashOut;
        let operation = service.operation();
        let config = &self.inner.config;
        let purpose = request
            .purpose
            .as_deref()
            .unwrap_or(&config.default_purpose);
        let mut first = Some(request.reference.clone());
        let fields = || {
            let reference = match first.take() {
                Some(reference) => reference,
                None => match log.next_repeat() {
                    Repeat::Planned(reference) => reference,
                    Repeat::Unplanned => self.fresh_reference()?,
                    Repeat::Exhausted => {
                        return Err(Error::NotSent {
                            operation,
                            reason: PLAN_USED_UP.to_owned(),
                            source: None,
                            diagnostics: None,
                        });
                    }
                },
            };
            log.push(reference.clone());
            let fields = cash_out_fields(request, &reference, purpose);
            Ok((fields, Some(reference.to_string())))
        };
        self.call(service, fields, |envelope| {
            self.read_cash_out(request, log, &envelope)
        })
        .await
    }

    /// What a cash-out's answer says: the receipt, checked against the
    /// request, under the `refId` that landed (the last in `log`).
    pub(crate) fn read_cash_out(
        &self,
        request: &CashOut,
        log: &SentUnder,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<CashOutReceipt> {
        let operation = Service::CashOut.operation();
        let landed = log.last().unwrap_or_else(|| request.reference.clone());
        let reference = landed.as_str();
        if !envelope.status.is_success() {
            // Jawali documents no code as "refused before processing": any
            // non-zero systemStatus to a cash-out may follow a booking (a
            // "system error" after the debit). Only a lookup settles it.
            return Err(decline(operation, &envelope.status).undocumented_refusal(
                Some(reference.to_owned()),
                format_args!(
                    "the cash-out was answered with systemStatus `{}`, which Jawali does not document as a refusal before processing: look it up",
                    envelope.status.code
                ),
            ));
        }
        let answer: wire::CashOutAnswer = self.parse_body(operation, envelope)?;
        match answer.status.as_deref().map(TransactionState::from_wire) {
            None | Some(TransactionState::Succeeded) => {}
            Some(TransactionState::Failed) => {
                return Err(Error::declined(
                    operation,
                    Decline::new(
                        answer.status.unwrap_or_default(),
                        payments_core::DeclineKind::Other,
                        "the cash-out answer says it failed",
                    ),
                ));
            }
            Some(state) => {
                return Err(Error::OutcomeUnknown {
                    operation,
                    reference: Some(reference.to_owned()),
                    reason: format!(
                        "the cash-out answer says `{}` ({state:?}): not final, look it up",
                        answer.status.as_deref().unwrap_or_default()
                    ),
                    source: None,
                    diagnostics: None,
                });
            }
        }
        let currency = match &answer.currency {
            Some(code) => parse_currency(operation, code)?,
            None => request.amount.currency(),
        };
        if currency != request.amount.currency() {
            return Err(Error::mismatch(
                operation,
                "currency",
                request.amount.currency(),
                currency,
            ));
        }
        // A receipt proves the amount only by naming it: an answer that says
        // the cash-out went through but not for how much is a mismatch.
        let Some(amount) = answer.amount else {
            return Err(Error::mismatch(
                operation,
                "amount",
                request.amount,
                "no amount",
            ));
        };
        let amount = money(operation, "amount", amount, currency)?;
        if amount != request.amount {
            return Err(Error::mismatch(operation, "amount", request.amount, amount));
        }
        if let Some(echoed) = &answer.ref_id
            && echoed != reference
        {
            return Err(Error::mismatch(operation, "refId", reference, echoed));
        }
        let balance = answer
            .balance
            .map(|b| money(operation, "balance", b, currency))
            .transpose()?;
        Ok(CashOutReceipt {
            amount,
            reference: landed,
            issuer_reference: answer.issuer_ref.map(ProviderReference::new),
            balance,
        })
    }
}

/// Why a cash-out's repeat was not sent.
const PLAN_USED_UP: &str = "the repeat was not sent: every refId planned for this cash-out is used";

/// The fields of a cash-out sent under `reference`.
pub(crate) fn cash_out_fields<'a>(
    request: &'a CashOut,
    reference: &MerchantReference,
    purpose: &'a str,
) -> wire::CashOutFields<'a> {
    wire::CashOutFields {
        inquiry: wire::InquiryFields {
            voucher: request.voucher.as_str(),
            receiver_mobile: request.customer_mobile.as_str(),
            ref_id: reference.to_string().into(),
            purpose,
        },
        amount: request.amount.to_json_number(),
        currency: request.amount.currency().code(),
    }
}
