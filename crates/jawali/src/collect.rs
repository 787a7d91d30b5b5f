//! The high-level flow: inquiry → checks → one cash-out → settle by status.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use payments_core::gateway::{
    Attempt, DurableGateway, OpenPayments, commit_and_settle_within, prepare_within, restore_state,
    save_state, settle_by,
};
use payments_core::order::{MerchantOrder, OrderId, OrderTerm};
use payments_core::{
    Capabilities, Error, Gateway, MerchantReference, Money, PaymentOutcome, PaymentStatus,
    ProviderReference, Reconciliation, Result, StatusLookup, async_trait,
};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::JawaliClient;
use crate::model::{
    CashOut, CashOutReceipt, MobileNumber, REF_ID_RULES, Repeat, SentUnder, TransactionState,
    TransactionStatus, Voucher, VoucherCode, VoucherState,
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

impl JawaliClient {
    /// Collects a voucher payment, end to end, moving money at most once:
    ///
    /// 1. inquiry; the voucher must be `PENDING` and for exactly `expected`
    ///    (amount and currency) — otherwise a typed error and **no cash-out
    ///    is sent**: [`DeclineKind::Expired`](payments_core::DeclineKind::Expired),
    ///    [`AlreadyUsed`](payments_core::DeclineKind::AlreadyUsed),
    ///    [`Cancelled`](payments_core::DeclineKind::Cancelled), or
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
    /// this client under its `refId` (in the `payment` span of the logs):
    /// [`settle`](Self::settle) settles it in this process. A service that
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
    /// through this client's [`Gateway`].
    ///
    /// # Errors
    ///
    /// A cash-out decline; [`Error::OutcomeUnknown`] if the lookups could
    /// not settle it ([`settle`](Self::settle) it later by its reference).
    pub async fn redeem(&self, checked: &CheckedVoucher) -> Result<PaymentOutcome> {
        payments_core::gateway::commit_and_settle(self, checked).await
    }

    /// Settles a payment this client committed — the reference as
    /// [`Error::reference`] gives it for an [`Error::OutcomeUnknown`] —
    /// by status lookups of every `refId` its cash-out was sent under,
    /// never by a second cash-out. A payment that ended answers how it
    /// ended again.
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
    /// It knows the payments this client (and its clones) committed in this
    /// process — those whose future was dropped mid-commit included. A
    /// payment made by another process is settled through the journal
    /// that made it (`payments_journal::Journaled`).
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
                return Attempt::Settled(Err(match landed.amount {
                    Some(amount) => Error::mismatch(operation, "amount", cash_out.amount, amount),
                    None => Error::mismatch(operation, "amount", cash_out.amount, "no amount"),
                }));
            }
            return Attempt::Settled(Ok(CashOutReceipt {
                amount: cash_out.amount,
                reference: landed.reference.clone(),
                issuer_reference: landed.issuer_reference.clone(),
                balance: None,
                settled_by_lookup: true,
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
