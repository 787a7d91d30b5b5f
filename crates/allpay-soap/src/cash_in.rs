//! Terminal cash-in payments: `createCashInPayment`, once or driven to
//! its final status by repeating the identical signed request.

use payments_core::gateway::{Attempt, deadline_passed, settle_by, within};
use payments_core::{Error, Result};
use tracing::Instrument;

use crate::generated::{self as g, cash_in};
use crate::model::{CashIn, TerminalPayment, TerminalStatus};
use crate::session::{AllpayClient, CASH_IN_PAYMENT, Prepared, header_ok};

impl AllpayClient {
    pub(crate) fn check_cash_in(&self, payment: &CashIn) -> Result<()> {
        self.check_amount_and_guid(payment.amount, &payment.guid)
    }

    pub(crate) fn cash_in_request(&self, payment: &CashIn) -> g::CashInRequest {
        g::CashInRequest {
            header: self.header(),
            to_user_name: payment.to_user.as_str().to_owned(),
            amount: payment.amount.to_json_number().as_str().to_owned(),
            guid: payment.guid.as_str().to_owned(),
            value_date: None,
        }
    }

    pub(crate) fn prepare_cash_in_payment(&self, payment: &CashIn) -> Result<Prepared> {
        self.check_cash_in(payment)?;
        let body = cash_in::CreateCashInPaymentBody {
            operation: cash_in::CreateCashInPayment {
                request: self.cash_in_request(payment),
            },
        };
        self.prepare(
            CASH_IN_PAYMENT,
            false,
            "createCashInPayment",
            body,
            Some(payment.guid.as_str()),
        )
    }

    /// One `createCashInPayment`. Allpay's rule for terminal payments: only
    /// a final status in an answer is final; "in any other case (we could
    /// not be reached, our balancer answered 500 for whatever reason) treat
    /// the answer as PENDING". So every error here — a Fault, signed or not,
    /// "Sign Error" included; a header status other than 0; an HTML page;
    /// a 5xx; an answer whose signature does not verify; a timeout — is
    /// [`Error::OutcomeUnknown`] for the GUID, except what proves the
    /// request never left (not sent, bad input, configuration).
    async fn send_cash_in_payment(&self, prepared: &Prepared) -> Result<TerminalPayment> {
        let answer = async {
            self.send::<cash_in::CreateCashInPaymentResponseBody, _>(prepared, |answer| {
                let answer = answer.result;
                header_ok(CASH_IN_PAYMENT, &answer.header)?;
                Ok(TerminalPayment {
                    status: TerminalStatus::from_wire(
                        &answer.terminal_payment_transaction_status.value,
                    ),
                    reason: answer.reason,
                })
            })
            .await
        }
        .await;
        answer.map_err(|error| match error {
            Error::OutcomeUnknown { .. }
            | Error::NotSent { .. }
            | Error::InvalidInput { .. }
            | Error::Configuration { .. } => error,
            other => {
                let reason =
                    format!("Allpay treats this answer to a terminal payment as PENDING: {other}");
                other.into_outcome_unknown(prepared.reference.clone(), reason)
            }
        })
    }

    /// `createCashInPayment`, once. The first answer is usually `PENDING`:
    /// the same request (same GUID) must be repeated until it is final —
    /// [`drive_cash_in_payment`](Self::drive_cash_in_payment) does that.
    ///
    /// # Cancellation
    ///
    /// Dropped once its request may have left, the cash-in may have been
    /// made with nobody told: [`drive_cash_in_payment`](Self::drive_cash_in_payment)
    /// with the same [`CashIn`] (same GUID) answers it — Allpay answers a
    /// repeated GUID with the transaction it made.
    ///
    /// # Errors
    ///
    /// Invalid input (not KZT, zero, a malformed GUID); a decline;
    /// [`Error::OutcomeUnknown`]; transport, signature and decoding errors.
    pub async fn create_cash_in_payment(&self, payment: &CashIn) -> Result<TerminalPayment> {
        let prepared = self.prepare_cash_in_payment(payment)?;
        self.send_cash_in_payment(&prepared).await
    }

    /// A terminal cash-in driven to its final status: the identical signed
    /// request (same GUID) is sent again on the configured schedule until a
    /// verified answer carries a final status (COMPLETED or DECLINED).
    /// Everything else counts as PENDING, as Allpay documents: a PENDING
    /// answer, a Fault (signed or not, HTTP 500 or 200), an HTML page, a
    /// 5xx, a timeout, a dropped connection, an answer whose signature does
    /// not verify. Allpay finds the same transaction by GUID, so the
    /// repeats never cash in twice.
    ///
    /// # Cancellation
    ///
    /// Dropped at any point, call it again with the same [`CashIn`]: the
    /// same GUID is never paid twice. A GUID derived from the order
    /// ([`AllpayClient::order_guid`]) is found again from the order id
    /// alone.
    ///
    /// # Errors
    ///
    /// Invalid input or configuration (nothing was sent);
    /// [`Error::OutcomeUnknown`] when the schedule or the deadline
    /// ([`AllpayConfig::deadline`](crate::AllpayConfig::deadline)) ran out without a final status, carrying the last answer (a Fault's code, text and detail)
    /// as its reason and source — repeat later with the same [`CashIn`]:
    /// Allpay declines a payment left without repeats for more than a day.
    pub async fn drive_cash_in_payment(&self, payment: &CashIn) -> Result<TerminalPayment> {
        let prepared = self.prepare_cash_in_payment(payment)?;
        let policy = &self.config().terminal_schedule;
        let deadline = self.config().deadline;
        let span = tracing::info_span!("allpay_drive", guid = %payment.guid);
        let drive = settle_by(policy, CASH_IN_PAYMENT, &payment.guid, None, |attempt| {
            let prepared = &prepared;
            async move {
                match self.send_cash_in_payment(prepared).await {
                    Ok(payment) if payment.status.is_final() => Attempt::Settled(Ok(payment)),
                    Ok(payment) => Attempt::waiting(format!("status {:?}", payment.status)),
                    // Nothing can have left: the request cannot be built.
                    Err(error @ (Error::Configuration { .. } | Error::InvalidInput { .. }))
                        if attempt == 1 =>
                    {
                        Attempt::Settled(Err(error))
                    }
                    Err(error) => Attempt::failed(error),
                }
            }
        });
        within(deadline, drive, || {
            deadline_passed(CASH_IN_PAYMENT, &payment.guid, deadline)
        })
        .instrument(span)
        .await
    }
}
