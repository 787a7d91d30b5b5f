//! The high-level flow: inquiry → checks → one cash-out → settle by status.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use payments_core::gateway::{Attempt, commit_and_settle_within, prepare_within, settle_by};
use payments_core::order::OrderId;
use payments_core::{Error, Mismatched, Money, PaymentOutcome, Result};
use tracing::Instrument;

use crate::JawaliClient;
use crate::gateway::{CheckedVoucher, VoucherPayment};
use crate::model::{CashOut, CashOutReceipt, Repeat, SentUnder, TransactionState, VoucherState};
use crate::wire::Service;

impl JawaliClient {
    /// Collects a voucher payment, end to end, moving money at most once:
    ///
    /// 1. inquiry; the voucher must be `PENDING` and for exactly `expected`
    ///    (amount and currency) — otherwise a typed error and **no cash-out
    ///    is sent**: [`DeclineKind::Expired`](payments_core::DeclineKind::Expired),
    ///    [`AlreadyUsed`](payments_core::DeclineKind::AlreadyUsed),
    ///    [`Cancelled`](payments_core::DeclineKind::Cancelled) — declines the
    ///    SDK makes from the voucher's state, which is their code
    ///    (`EXPIRED`, `ACCEPTED`, `CANCELED`, …) — or
    ///    [`Error::TermsMismatch`] on `amount`/`currency`;
    /// 2. one cash-out with a fresh `refId`;
    /// 3. if its outcome is unknown (timeout, dropped connection, gateway
    ///    error, unreadable answer), status lookups by that `refId` on the
    ///    client's settle policy until the provider says how it ended.
    ///
    /// ```no_run
    /// # async fn run(client: jawali::JawaliClient) -> jawali::Result<()> {
    /// use jawali::{Currency, Money};
    /// let outcome = client
    ///     .collect("483920", "+967771234567", Money::parse("1500", Currency::YER)?)
    ///     .await?;
    /// println!("{} (refId {})", outcome.status, outcome.reference);
    /// # Ok(()) }
    /// ```
    ///
    /// Each call is a new payment (under a fresh [`OrderId`]): to make a
    /// repeated request for one order answer the first payment, pay a
    /// [`VoucherPayment`] with the order's id through
    /// `payments_journal::Journaled`.
    ///
    /// It all runs within the client's deadline (one minute by default,
    /// [`JawaliClientBuilder::deadline`](crate::JawaliClientBuilder::deadline)),
    /// in a `jawali_collect` span carrying the `refId`.
    ///
    /// # Cancellation
    ///
    /// Dropped after its cash-out may have left, the payment stays open in
    /// this client under its `refId` (in the `jawali_collect` span of the
    /// logs): [`settle`](Self::settle) with that `refId` settles it in this
    /// process (the order id `collect` makes up is not remembered). A service that
    /// must settle it after a restart pays through
    /// `payments_journal::Journaled` with the order's id — a repeat of the
    /// order, or its sweeper, settles what a dropped call left.
    ///
    /// # Errors
    ///
    /// Invalid input; the voucher errors above; a cash-out decline;
    /// [`Error::OutcomeUnknown`] if the lookups could not settle it, or the
    /// deadline passed after the cash-out may have left (then
    /// [`settle`](Self::settle) with the error's reference settles it
    /// later).
    pub async fn collect(
        &self,
        voucher: &str,
        customer_mobile: &str,
        expected: Money,
    ) -> Result<PaymentOutcome> {
        let payment = VoucherPayment::new(OrderId::generate(), voucher, customer_mobile, expected)?;
        let span = tracing::info_span!("jawali_collect", ref_id = tracing::field::Empty);
        async move {
            let (checked, left) = prepare_within(self, payment, self.deadline()).await?;
            tracing::Span::current().record("ref_id", tracing::field::display(&checked.reference));
            commit_and_settle_within(self, &checked, left).await
        }
        .instrument(span)
        .await
    }

    /// Steps 2 and 3 of [`collect`](Self::collect): one cash-out of a checked
    /// voucher, settled by status lookups if its outcome is unknown —
    /// [`commit_and_settle`](payments_core::gateway::commit_and_settle)
    /// through this client's [`Gateway`](payments_core::Gateway).
    ///
    /// # Errors
    ///
    /// A cash-out decline; [`Error::OutcomeUnknown`] if the lookups could
    /// not settle it ([`settle`](Self::settle) it later by its reference).
    pub async fn redeem(&self, checked: &CheckedVoucher) -> Result<PaymentOutcome> {
        payments_core::gateway::commit_and_settle(self, checked).await
    }

    /// Settles a payment this client committed — by the reference
    /// [`Error::reference`] gives for an [`Error::OutcomeUnknown`], or by the
    /// merchant's order id it was paid for —
    /// by status lookups of every `refId` its cash-out was sent under,
    /// never by a second cash-out. A payment that ended answers how it
    /// ended again.
    /// A reference answers for its own payment; an order id (paid through
    /// `pay`, `Checkout` or `payments_journal::Journaled`) for the order's
    /// latest attempt.
    ///
    /// ```no_run
    /// # async fn run(client: jawali::JawaliClient, order: jawali::VoucherPayment) -> jawali::Result<()> {
    /// match jawali::pay(&client, order).await {
    ///     Err(error) if error.code() == "outcome_unknown" => {
    ///         let reference = error.reference().unwrap_or_default().to_owned();
    ///         // Later (a button in the back office, a timer):
    ///         let outcome = client.settle(&reference).await?;
    ///         println!("{reference}: {}", outcome.status);
    ///     }
    ///     other => println!("{:?}", other.map(|outcome| outcome.status)),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// It knows the last 10,000 payments this client (and its clones)
    /// committed in this process — those whose future was dropped
    /// mid-commit included (settle those by the order id they were paid
    /// for through `pay`, `Checkout` or a journal: the reference went with
    /// the future). A payment made by another process is settled
    /// through the journal that made it (`payments_journal::Journaled`).
    ///
    /// # Errors
    ///
    /// A proven decline or mismatch; [`Error::OutcomeUnknown`] while Jawali
    /// cannot tell yet; [`Error::InvalidInput`] naming `reference` for a
    /// reference this process did not commit.
    pub async fn settle(&self, reference: &str) -> Result<PaymentOutcome> {
        payments_core::gateway::settle_reference(self, reference).await
    }

    /// Step 1 of [`collect`](Self::collect): inquiry and checks, nothing moved.
    ///
    /// # Errors
    ///
    /// As [`collect`](Self::collect)'s first step.
    pub async fn check_voucher(&self, payment: VoucherPayment) -> Result<CheckedVoucher> {
        let operation = Service::Inquiry.operation();
        let voucher = self
            .inquire_voucher(&payment.voucher, &payment.customer_mobile)
            .await?;
        let refuse = |kind, message: String| {
            Error::declined(
                operation,
                payments_core::Decline::new(voucher.state.as_wire(), kind, message),
            )
            .scrubbed(self.scrubber())
        };
        use payments_core::DeclineKind;
        match &voucher.state {
            VoucherState::Pending => {}
            VoucherState::Expired => {
                return Err(refuse(
                    DeclineKind::Expired,
                    "the voucher has expired".into(),
                ));
            }
            VoucherState::Accepted => {
                return Err(refuse(
                    DeclineKind::AlreadyUsed,
                    "the voucher was already cashed out".into(),
                ));
            }
            VoucherState::Canceled => {
                return Err(refuse(
                    DeclineKind::Cancelled,
                    "the customer cancelled the voucher".into(),
                ));
            }
            VoucherState::Rejected => {
                return Err(refuse(
                    DeclineKind::Other,
                    "the voucher was rejected".into(),
                ));
            }
            VoucherState::Unknown(state) => {
                return Err(refuse(
                    DeclineKind::Other,
                    format!("the voucher is in state `{state}`, not PENDING"),
                ));
            }
        }
        // The voucher is for other money: the customer's mistake (or the
        // wrong order), and nothing has moved.
        if voucher.amount.currency() != payment.expected.currency() {
            return Err(Error::terms_mismatch(
                operation,
                "currency",
                payment.expected,
                voucher.amount,
            ));
        }
        if voucher.amount != payment.expected {
            return Err(Error::terms_mismatch(
                operation,
                "amount",
                payment.expected,
                voucher.amount,
            ));
        }
        let reference = self.new_reference()?;
        // Two repeats after refused tokens, one resend: every refId the
        // cash-out can carry is fixed now, so a journal that keeps this
        // prepared payment names them all.
        let reserve = (0..RESERVED_REF_IDS)
            .map(|_| self.new_reference())
            .collect::<Result<Vec<_>>>()?;
        Ok(CheckedVoucher {
            payment,
            voucher,
            reference,
            sent_under: SentUnder::planned(reserve),
        })
    }

    /// Settles a cash-out whose outcome is unknown, on the client's settle
    /// policy. Each attempt looks up every `refId` the cash-out was sent
    /// under (`log`; the request's own when it is empty):
    ///
    /// - one `SUCCESS` (amount checked) settles it as collected, under the
    ///   `refId` that landed;
    /// - `PENDING` or a state this SDK does not know: the provider is still
    ///   at it, ask again;
    /// - `FAILED` for every `refId`: a decline of the cash-out — the
    ///   provider's own word on it. `FAILED` for some and "no such `refId`"
    ///   for others: a decline only once the voucher can no longer be cashed
    ///   out (expired, cancelled, rejected); while it is `PENDING` or
    ///   `ACCEPTED` a request may still be on its way, so ask again;
    /// - "no such `refId`" for all of them, on half the policy's lookups in
    ///   a row (at least two): the voucher is inquired; still `PENDING`, the
    ///   cash-out never landed and is sent again **under a fresh `refId`**
    ///   (once per settle call) — that cannot move money twice, as a voucher
    ///   is cashed out once; `EXPIRED`/`CANCELED`/`REJECTED`, it never can:
    ///   a decline;
    /// - a lookup (or inquiry, or resend) that fails — HTTP 5xx, a timeout,
    ///   a garbled answer, a refused LOGIN — says nothing about the cash-out:
    ///   ask again.
    ///
    /// When the policy runs out: [`Error::OutcomeUnknown`] with the first
    /// `refId` and the last failure — never a lookup's own error.
    pub(crate) async fn settle_cash_out(
        &self,
        cash_out: &CashOut,
        log: &SentUnder,
        cause: Error,
    ) -> Result<CashOutReceipt> {
        let operation = Service::CashOut.operation();
        tracing::warn!(provider = "jawali", reference = %cash_out.reference, sent_under = ?log, error = %cause, "cash-out outcome unknown: settling by status");
        let not_found = AtomicU32::new(0);
        let resent = AtomicBool::new(false);
        settle_by(
            self.settle_policy(),
            operation,
            &cash_out.reference,
            Some(cause),
            |_| self.settle_attempt(cash_out, log, &not_found, &resent),
        )
        .await
    }

    async fn settle_attempt(
        &self,
        cash_out: &CashOut,
        log: &SentUnder,
        not_found: &AtomicU32,
        resent: &AtomicBool,
    ) -> Attempt<CashOutReceipt> {
        let operation = Service::CashOut.operation();
        let mut references = log.all();
        if references.is_empty() {
            references.push(cash_out.reference.clone());
        }
        let mut statuses = Vec::with_capacity(references.len());
        for reference in references.iter().rev() {
            match self.check_status(reference).await {
                Ok(status) => statuses.push(status),
                Err(error) => return Attempt::failed(error),
            }
        }
        if let Some(landed) = statuses
            .iter()
            .find(|s| s.state == TransactionState::Succeeded)
        {
            // A lookup proves the amount only by naming it.
            if landed.amount != Some(cash_out.amount) {
                let landed_amount = landed
                    .amount
                    .map_or_else(|| Mismatched::from("no amount"), Mismatched::from);
                return Attempt::Settled(Err(Error::mismatch(
                    operation,
                    "amount",
                    cash_out.amount,
                    landed_amount,
                )));
            }
            return Attempt::Settled(Ok(CashOutReceipt {
                amount: cash_out.amount,
                reference: landed.reference.clone(),
                issuer_reference: landed.issuer_reference.clone(),
                balance: None,
            }));
        }
        if let Some(open) = statuses.iter().find(|s| {
            matches!(
                s.state,
                TransactionState::Pending | TransactionState::Unknown(_)
            )
        }) {
            not_found.store(0, Ordering::SeqCst);
            return Attempt::waiting(format!("status {:?} for {}", open.state, open.reference));
        }
        let failed = statuses
            .iter()
            .filter(|s| s.state == TransactionState::Failed)
            .count();
        if failed == statuses.len() {
            return Attempt::Settled(Err(Error::declined(
                operation,
                payments_core::Decline::new(
                    "FAILED",
                    payments_core::DeclineKind::Other,
                    "the cash-out failed (status lookup after an unknown outcome)",
                ),
            )));
        }
        if failed > 0 {
            // Some requests failed, others are unknown to the provider: only
            // a voucher that can no longer be cashed out proves none landed.
            return match self
                .inquire_voucher(&cash_out.voucher, &cash_out.customer_mobile)
                .await
            {
                Ok(voucher) => match voucher.state {
                    VoucherState::Expired | VoucherState::Canceled | VoucherState::Rejected => {
                        Attempt::Settled(Err(never_paid(operation)))
                    }
                    state => Attempt::waiting(format!(
                        "a request failed, another is unknown, voucher {state}"
                    )),
                },
                Err(error) => Attempt::failed(error),
            };
        }
        // Patience first: a cash-out still on its way (a slow network, a
        // provider queue) is not "never landed" yet.
        let needed = (self.settle_policy().max_attempts / 2).max(2);
        let seen = not_found.fetch_add(1, Ordering::SeqCst) + 1;
        if seen < needed || resent.load(Ordering::SeqCst) {
            return Attempt::waiting("no operation with these refIds yet");
        }
        self.resend_if_never_landed(cash_out, log, resent).await
    }

    /// The cash-out is unknown to the provider: if the voucher is still
    /// payable, it never landed — send it again, under a fresh `refId`, once.
    async fn resend_if_never_landed(
        &self,
        cash_out: &CashOut,
        log: &SentUnder,
        resent: &AtomicBool,
    ) -> Attempt<CashOutReceipt> {
        let operation = Service::CashOut.operation();
        let voucher = match self
            .inquire_voucher(&cash_out.voucher, &cash_out.customer_mobile)
            .await
        {
            Ok(voucher) => voucher,
            Err(error) => return Attempt::failed(error),
        };
        match voucher.state {
            VoucherState::Pending => {
                let reference = match log.next_repeat() {
                    Repeat::Planned(reference) => reference,
                    Repeat::Unplanned => match self.new_reference() {
                        Ok(reference) => reference,
                        Err(error) => return Attempt::failed(error),
                    },
                    // Restored from a journal, or every planned refId used:
                    // a resend under a refId no record names could not be
                    // settled after a crash. The voucher expires, and then
                    // the payment is settled as never paid.
                    Repeat::Exhausted => {
                        return Attempt::waiting(
                            "voucher still PENDING and no refId left for a resend: waiting for it to expire",
                        );
                    }
                };
                let again = CashOut {
                    reference,
                    ..cash_out.clone()
                };
                tracing::info!(provider = "jawali", reference = %cash_out.reference, resent_as = %again.reference, "cash-out never landed: resending under a fresh refId");
                resent.store(true, Ordering::SeqCst);
                match self.cash_out_logged(&again, log).await {
                    Ok(receipt) => Attempt::Settled(Ok(receipt)),
                    // A refusal (the first one landed meanwhile), an unknown
                    // outcome: the next lookups — of every refId — settle it.
                    Err(error) => Attempt::failed(error),
                }
            }
            VoucherState::Expired | VoucherState::Canceled | VoucherState::Rejected => {
                Attempt::Settled(Err(never_paid(operation)))
            }
            state => Attempt::waiting(format!(
                "voucher {state}, no operation with these refIds yet"
            )),
        }
    }
}

fn never_paid(operation: payments_core::Operation) -> Error {
    Error::declined(
        operation,
        payments_core::Decline::new(
            "NOT_PAID",
            payments_core::DeclineKind::Expired,
            "the cash-out never landed and the voucher can no longer be cashed out",
        ),
    )
}

/// How many `refId`s a prepared cash-out reserves beyond its first: two
/// repeats after refused tokens, one resend after "never landed".
const RESERVED_REF_IDS: usize = 3;
