//! The high-level flow: inquiry → checks → one cash-out → settle by status.

use payments_core::http::RetryPolicy;
use payments_core::{
    Capabilities, Error, Gateway, MerchantReference, Money, PaymentOutcome, PaymentStatus,
    Reconciliation, Result, StatusLookup, async_trait,
};

use crate::JawaliClient;
use crate::client::mismatch;
use crate::model::{
    CashOut, CashOutReceipt, MobileNumber, TransactionState, TransactionStatus, Voucher,
    VoucherCode, VoucherState,
};
use crate::wire::Service;

/// What a customer hands over at checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherPayment {
    /// The purchase code from the customer's Jawali app.
    pub voucher: VoucherCode,
    /// The customer's wallet number.
    pub customer_mobile: MobileNumber,
    /// What the merchant expects to collect: amount and currency must match the voucher.
    pub expected: Money,
}

impl VoucherPayment {
    /// Validates the customer's input; nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming `voucher`, `customer_mobile` or `amount`.
    pub fn new(voucher: &str, customer_mobile: &str, expected: Money) -> Result<Self> {
        let voucher = VoucherCode::new(voucher)?;
        let customer_mobile = MobileNumber::new(customer_mobile)?;
        let expected = expected
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        Ok(VoucherPayment {
            voucher,
            customer_mobile,
            expected,
        })
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
    /// The cash-out's `refId`, fixed now so an unknown outcome can be looked up.
    pub reference: MerchantReference,
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
    ///    [`Error::IntegrityMismatch`] on `amount`/`currency`;
    /// 2. one cash-out with a fresh `refId`;
    /// 3. if its outcome is unknown (timeout, dropped connection, gateway
    ///    error, unreadable answer), status lookups by that `refId` on the
    ///    client's settle policy until the provider says how it ended.
    ///
    /// ```no_run
    /// # async fn run(client: jawali::JawaliClient) -> payments_core::Result<()> {
    /// use payments_core::{Currency, Money};
    /// let receipt = client
    ///     .collect("483920", "+967771234567", Money::parse("1500", Currency::YER)?)
    ///     .await?;
    /// println!("collected {} (refId {})", receipt.amount, receipt.reference);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Invalid input; the voucher errors above; a cash-out decline;
    /// [`Error::OutcomeUnknown`] only if the lookups could not settle it
    /// (then [`check_status`](Self::check_status) with the error's reference
    /// settles it later).
    pub async fn collect(
        &self,
        voucher: &str,
        customer_mobile: &str,
        expected: Money,
    ) -> Result<CashOutReceipt> {
        let payment = VoucherPayment::new(voucher, customer_mobile, expected)?;
        let checked = self.check_voucher(payment).await?;
        self.redeem(&checked).await
    }

    /// Steps 2 and 3 of [`collect`](Self::collect): one cash-out of a checked
    /// voucher, settled by status lookups if its outcome is unknown.
    ///
    /// # Errors
    ///
    /// A cash-out decline; [`Error::OutcomeUnknown`] if the lookups could not settle it.
    pub async fn redeem(&self, checked: &CheckedVoucher) -> Result<CashOutReceipt> {
        let cash_out = checked.cash_out();
        match self.cash_out(&cash_out).await {
            Ok(receipt) => Ok(receipt),
            Err(error) if !error.outcome_known() => self.settle(&cash_out, error).await,
            Err(error) => Err(error),
        }
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
        let refuse = |kind, message: String| Error::Declined {
            operation,
            decline: payments_core::Decline::new(voucher.state.as_wire(), kind, message),
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
        if voucher.amount.currency() != payment.expected.currency() {
            return Err(mismatch(
                operation,
                "currency",
                payment.expected.currency(),
                voucher.amount.currency(),
            ));
        }
        if voucher.amount != payment.expected {
            return Err(mismatch(
                operation,
                "amount",
                payment.expected,
                voucher.amount,
            ));
        }
        let reference = self.new_reference()?;
        Ok(CheckedVoucher {
            payment,
            voucher,
            reference,
        })
    }

    /// Settles a cash-out whose outcome is unknown. Status lookups first;
    /// when they keep answering that no operation has this `refId` and the
    /// voucher is still `PENDING`, the cash-out never landed: it is sent
    /// again under the *same* `refId`. That cannot move money twice — the
    /// provider refuses a `refId` it has seen, and a voucher is cashed out
    /// once — and it turns "never arrived" into a final answer.
    pub(crate) async fn settle(&self, cash_out: &CashOut, cause: Error) -> Result<CashOutReceipt> {
        let operation = Service::CashOut.operation();
        tracing::warn!(provider = "jawali", reference = %cash_out.reference, error = %cause, "cash-out outcome unknown: settling by status");
        let mut last = String::from("no lookup answered");
        for round in 0..2 {
            match self.look_up(cash_out).await? {
                Lookup::Settled(receipt) => return Ok(receipt),
                Lookup::Open(state) => last = state,
                Lookup::NotFound if round == 0 => {
                    let voucher = self
                        .inquire_voucher(&cash_out.voucher, &cash_out.customer_mobile)
                        .await;
                    match voucher.map(|v| v.state) {
                        Ok(VoucherState::Pending) => {
                            tracing::info!(provider = "jawali", reference = %cash_out.reference, "cash-out never landed: resending under the same refId");
                            match self.send_cash_out(cash_out).await {
                                Ok(receipt) => return Ok(receipt),
                                // A duplicate (the first one landed meanwhile) or an
                                // unknown outcome: the next round of lookups settles it.
                                Err(error)
                                    if error.decline().is_some() || !error.outcome_known() =>
                                {
                                    last = error.to_string();
                                }
                                Err(error) => return Err(error),
                            }
                        }
                        Ok(
                            VoucherState::Expired | VoucherState::Canceled | VoucherState::Rejected,
                        ) => {
                            return Err(Error::Declined {
                                operation,
                                decline: payments_core::Decline::new(
                                    "NOT_PAID",
                                    payments_core::DeclineKind::Expired,
                                    "the cash-out never landed and the voucher can no longer be cashed out",
                                ),
                            });
                        }
                        Ok(state) => {
                            last = format!("voucher {state}, no operation with this refId yet");
                        }
                        Err(error) => last = error.to_string(),
                    }
                }
                Lookup::NotFound => last = "no operation with this refId".to_owned(),
            }
        }
        Err(Error::OutcomeUnknown {
            operation,
            reference: Some(cash_out.reference.to_string()),
            reason: format!("{cause}; not settled yet (last: {last})"),
            source: Some(Box::new(cause)),
        })
    }

    /// Status lookups on the settle policy until one is final or it runs out.
    async fn look_up(&self, cash_out: &CashOut) -> Result<Lookup> {
        let operation = Service::CashOut.operation();
        let policy: &RetryPolicy = self.settle_policy();
        let mut rng = fastrand::Rng::new();
        let mut outcome = Lookup::Open("no lookup answered".to_owned());
        for attempt in 1..=policy.max_attempts.max(1) {
            match self.check_status(&cash_out.reference).await {
                Ok(TransactionStatus {
                    state: TransactionState::Succeeded,
                    amount,
                    issuer_reference,
                    ..
                }) => {
                    if let Some(amount) = amount
                        && amount != cash_out.amount
                    {
                        return Err(mismatch(operation, "amount", cash_out.amount, amount));
                    }
                    return Ok(Lookup::Settled(CashOutReceipt {
                        amount: cash_out.amount,
                        reference: cash_out.reference.clone(),
                        issuer_reference,
                        balance: None,
                        settled_by_lookup: true,
                    }));
                }
                Ok(TransactionStatus {
                    state: TransactionState::Failed,
                    ..
                }) => {
                    return Err(Error::Declined {
                        operation,
                        decline: payments_core::Decline::new(
                            "FAILED",
                            payments_core::DeclineKind::Other,
                            "the cash-out failed (status lookup after an unknown outcome)",
                        ),
                    });
                }
                Ok(TransactionStatus {
                    state: TransactionState::NotFound,
                    ..
                }) => outcome = Lookup::NotFound,
                Ok(status) => outcome = Lookup::Open(format!("status {:?}", status.state)),
                Err(error) if error.is_retryable() || !error.outcome_known() => {
                    outcome = Lookup::Open(error.to_string());
                }
                Err(error) => return Err(error),
            }
            if attempt < policy.max_attempts {
                tokio::time::sleep(policy.backoff(attempt, &mut rng)).await;
            }
        }
        Ok(outcome)
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

/// What the status lookups said.
enum Lookup {
    Settled(CashOutReceipt),
    NotFound,
    Open(String),
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
        let receipt = self.cash_out(&prepared.cash_out()).await?;
        let outcome = PaymentOutcome::new(receipt.reference, PaymentStatus::Completed)
            .with_amount(receipt.amount);
        Ok(match receipt.issuer_reference {
            Some(issuer) => outcome.with_provider_reference(issuer),
            None => outcome,
        })
    }

    async fn reconcile(&self, prepared: &CheckedVoucher) -> Result<PaymentOutcome> {
        let cause = Error::OutcomeUnknown {
            operation: Service::CashOut.operation(),
            reference: Some(prepared.reference.to_string()),
            reason: "reconciliation requested".to_owned(),
            source: None,
        };
        let receipt = self.settle(&prepared.cash_out(), cause).await?;
        let outcome = PaymentOutcome::new(receipt.reference, PaymentStatus::Completed)
            .with_amount(receipt.amount);
        Ok(match receipt.issuer_reference {
            Some(issuer) => outcome.with_provider_reference(issuer),
            None => outcome,
        })
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
