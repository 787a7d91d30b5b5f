//! What the merchant works with: vouchers, receipts, statuses, and the
//! validated inputs of each call.

use std::fmt;

use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{Error, MerchantReference, Money, ProviderReference};

/// The rules for `refId`: 1–50 ASCII letters, digits, `-`, `_` (fits a UUID).
pub const REF_ID_RULES: ReferenceRules = ReferenceRules {
    field: "refId",
    max_len: 50,
    charset: Charset::AlphanumericDashUnderscore,
};

/// The longest voucher (purchase code) accepted.
pub const MAX_VOUCHER_LEN: usize = 32;

/// A purchase code the customer created in their Jawali app.
///
/// ```
/// use jawali::VoucherCode;
/// assert_eq!(VoucherCode::new(" 123456 ")?.as_str(), "123456");
/// assert!(VoucherCode::new("").is_err());
/// assert!(VoucherCode::new("12 34").is_err());
/// # Ok::<(), jawali::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoucherCode(pub(crate) String);

impl VoucherCode {
    /// Validates a voucher: surrounding whitespace is trimmed; then non-empty,
    /// at most [`MAX_VOUCHER_LEN`] characters, ASCII letters, digits and `-` only.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `voucher`.
    pub fn new(code: &str) -> Result<Self, Error> {
        let code = code.trim();
        if code.is_empty() {
            return Err(Error::invalid("voucher", "must not be empty"));
        }
        if code.chars().any(char::is_whitespace) {
            return Err(Error::invalid("voucher", "must not contain spaces"));
        }
        if code.chars().count() > MAX_VOUCHER_LEN {
            return Err(Error::invalid(
                "voucher",
                format_args!("is longer than {MAX_VOUCHER_LEN} characters"),
            ));
        }
        if let Some(bad) = code
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(Error::invalid(
                "voucher",
                format_args!("contains {bad:?}; only letters, digits and '-' are accepted"),
            ));
        }
        Ok(VoucherCode(code.to_owned()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VoucherCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Yemeni mobile wallet number, normalised to its 9 national digits.
///
/// ```
/// use jawali::MobileNumber;
/// for form in ["771234567", "+967771234567", "00967771234567", "967 77-123-4567"] {
///     assert_eq!(MobileNumber::new(form)?.as_str(), "771234567");
/// }
/// assert!(MobileNumber::new("12345").is_err());
/// # Ok::<(), jawali::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Accepts `7XXXXXXXX`, `+9677XXXXXXXX`, `009677XXXXXXXX` and `9677XXXXXXXX`,
    /// with spaces or dashes anywhere, and keeps the 9 national digits.
    /// Yemeni mobile numbers have 9 digits and start with `7`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `customer_mobile`.
    pub fn new(number: &str) -> Result<Self, Error> {
        const FIELD: &str = "customer_mobile";
        let compact: String = number
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if compact.is_empty() {
            return Err(Error::invalid(FIELD, "must not be empty"));
        }
        let digits = compact
            .strip_prefix("+967")
            .or_else(|| compact.strip_prefix("00967"))
            .or_else(|| compact.strip_prefix("967").filter(|rest| rest.len() == 9))
            .unwrap_or(&compact);
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(
                FIELD,
                "must contain only digits (and a leading +967)",
            ));
        }
        if digits.len() != 9 || !digits.starts_with('7') {
            return Err(Error::invalid(
                FIELD,
                "is not a Yemeni mobile number (9 digits starting with 7, optionally after +967 or 00967)",
            ));
        }
        Ok(MobileNumber(digits.to_owned()))
    }

    /// The 9 national digits, as sent in `receiverMobile`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The state of a voucher, as `ECOMMERCEINQUIRY` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VoucherState {
    /// New and unused: it can be cashed out.
    Pending,
    /// Expired (one hour after it was created).
    Expired,
    /// Already cashed out.
    Accepted,
    /// Cancelled by the customer.
    Canceled,
    /// Rejected (seen in one integration).
    Rejected,
    /// A state this SDK does not know, as the provider wrote it.
    Unknown(String),
}

impl VoucherState {
    /// Reads the provider's state text (case-insensitive; `CANCELLED` too).
    pub fn from_wire(state: &str) -> Self {
        match state.trim().to_ascii_uppercase().as_str() {
            "PENDING" => VoucherState::Pending,
            "EXPIRED" => VoucherState::Expired,
            "ACCEPTED" => VoucherState::Accepted,
            "CANCELED" | "CANCELLED" => VoucherState::Canceled,
            "REJECTED" => VoucherState::Rejected,
            _ => VoucherState::Unknown(state.to_owned()),
        }
    }

    /// The provider's spelling.
    pub fn as_wire(&self) -> &str {
        match self {
            VoucherState::Pending => "PENDING",
            VoucherState::Expired => "EXPIRED",
            VoucherState::Accepted => "ACCEPTED",
            VoucherState::Canceled => "CANCELED",
            VoucherState::Rejected => "REJECTED",
            VoucherState::Unknown(state) => state,
        }
    }
}

impl fmt::Display for VoucherState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

/// Serialized as its wire name (`"PENDING"`), or the unknown state as
/// Jawali wrote it.
impl serde::Serialize for VoucherState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_wire())
    }
}

/// A voucher as `ECOMMERCEINQUIRY` describes it. Serialized without its
/// code: a voucher code is a bearer instrument, never sent on to a
/// frontend or a log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Voucher {
    /// The code.
    #[serde(skip)]
    pub code: VoucherCode,
    /// Its state.
    pub state: VoucherState,
    /// Its amount (`txnamount` + `txncurrency`).
    pub amount: Money,
    /// The issuer's reference (`issuerTrxRef`).
    pub issuer_reference: Option<ProviderReference>,
    /// The customer's wallet (`receiverMobile`), when given.
    pub receiver_mobile: Option<String>,
    /// The sender's wallet (`senderMobile`), when given.
    pub sender_mobile: Option<String>,
    /// The voucher's date as the provider wrote it (`trxDate`).
    pub date: Option<String>,
}

/// What a cash-out (`ECOMMCASHOUT`) is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashOut {
    /// The voucher to redeem.
    pub voucher: VoucherCode,
    /// The customer's wallet.
    pub customer_mobile: MobileNumber,
    /// The amount to collect: the voucher's amount and currency.
    pub amount: Money,
    /// This cash-out's `refId`, unique: what [`JawaliClient::check_status`](crate::JawaliClient::check_status) looks up.
    pub reference: MerchantReference,
    /// `purpose`; the configuration's default when `None`.
    pub purpose: Option<String>,
}

/// The result of a successful cash-out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CashOutReceipt {
    /// The amount moved to the merchant's wallet.
    pub amount: Money,
    /// The `refId` of the cash-out.
    pub reference: MerchantReference,
    /// The issuer's reference (`issuerRef`), when given.
    pub issuer_reference: Option<ProviderReference>,
    /// The merchant wallet's balance after the cash-out, when given (not
    /// after a status lookup).
    pub balance: Option<Money>,
}

/// A cash-out's receipt is the payment's outcome: completed, for its
/// amount, under its `refId` (and the issuer's reference when given).
impl From<CashOutReceipt> for payments_core::PaymentOutcome {
    fn from(receipt: CashOutReceipt) -> Self {
        let outcome = payments_core::PaymentOutcome::new(
            receipt.reference,
            payments_core::PaymentStatus::Completed,
        )
        .with_amount(receipt.amount);
        match receipt.issuer_reference {
            Some(issuer) => outcome.with_provider_reference(issuer),
            None => outcome,
        }
    }
}

/// Where an earlier operation stands, by its `refId` (`AGENTCHECKSTATUS`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionState {
    /// Done: money moved.
    Succeeded,
    /// In progress.
    Pending,
    /// Failed or rejected: money did not move.
    Failed,
    /// The provider has no operation with this `refId` (yet).
    NotFound,
    /// A state this SDK does not know, as the provider wrote it.
    Unknown(String),
}

impl TransactionState {
    /// Reads the provider's state text. Not confirmed by any public source:
    /// the spellings accepted are the ones integrations and the voucher
    /// states suggest, and anything else is kept as `Unknown`.
    pub fn from_wire(state: &str) -> Self {
        match state.trim().to_ascii_uppercase().as_str() {
            "SUCCESS" | "SUCCESSFUL" | "SUCCEEDED" | "ACCEPTED" | "COMPLETED" | "DONE" | "0" => {
                TransactionState::Succeeded
            }
            "PENDING" | "IN_PROGRESS" | "PROCESSING" => TransactionState::Pending,
            "FAILED" | "FAILURE" | "REJECTED" | "DECLINED" | "CANCELED" | "CANCELLED"
            | "REVERSED" => TransactionState::Failed,
            "NOT_FOUND" | "NOTFOUND" => TransactionState::NotFound,
            _ => TransactionState::Unknown(state.to_owned()),
        }
    }

    /// The state's name: `succeeded`, `pending`, `failed`, `not_found`, or
    /// an unknown state as Jawali wrote it.
    pub fn as_str(&self) -> &str {
        match self {
            TransactionState::Succeeded => "succeeded",
            TransactionState::Pending => "pending",
            TransactionState::Failed => "failed",
            TransactionState::NotFound => "not_found",
            TransactionState::Unknown(state) => state,
        }
    }
}

impl fmt::Display for TransactionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as its name ([`TransactionState::as_str`]).
impl serde::Serialize for TransactionState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The answer of a status lookup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TransactionStatus {
    /// The `refId` looked up.
    pub reference: MerchantReference,
    /// Where it stands.
    pub state: TransactionState,
    /// The amount, when the provider gives it.
    pub amount: Option<Money>,
    /// The issuer's reference, when given.
    pub issuer_reference: Option<ProviderReference>,
}

/// One line of the merchant wallet's statement (`AGENTSTATEMENT`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct StatementEntry {
    /// The operation's `refId`, when given.
    pub reference: Option<String>,
    /// The issuer's reference, when given.
    pub issuer_reference: Option<ProviderReference>,
    /// The amount.
    pub amount: Money,
    /// The provider's description or operation type, when given.
    pub description: Option<String>,
    /// The date as the provider wrote it.
    pub date: Option<String>,
    /// The wallet's balance after the operation, when given.
    pub balance_after: Option<Money>,
}

/// The merchant wallet's balance (`AGENTBALANCEINQUIRY`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Balance {
    /// The available balance.
    pub available: Money,
}

/// Every `refId` one cash-out was sent under, in order: the first request's,
/// then each repeat's (after a refused token, or a resend after the lookups
/// proved it never landed) — every request carries a fresh `refId`. Shared
/// by clones (the prepared payment and the requests made from it), so the
/// status lookups that settle an unknown outcome ask about each of them.
///
/// A cash-out prepared through the [`Gateway`](payments_core::Gateway)
/// draws its repeats' `refId`s from a *plan* fixed at prepare time
/// ([`SentUnder::planned`]): the prepared payment, written to a journal
/// before the cash-out leaves, then names every `refId` the cash-out can
/// ever be sent under, so a process that restores it after a crash looks
/// up all of them. With the plan used up, no further repeat is sent.
#[derive(Clone, Default)]
pub struct SentUnder(std::sync::Arc<std::sync::Mutex<Log>>);

#[derive(Default)]
struct Log {
    sent: Vec<MerchantReference>,
    /// The `refId`s repeats take, in order; `None`: fresh ones, unplanned.
    plan: Option<std::collections::VecDeque<MerchantReference>>,
}

/// The `refId` a repeat of the cash-out is to carry.
pub(crate) enum Repeat {
    /// The next planned one.
    Planned(MerchantReference),
    /// The plan is used up: no repeat may be sent.
    Exhausted,
    /// No plan: a fresh one.
    Unplanned,
}

impl SentUnder {
    /// A log whose repeats take `reserve`, in order, and nothing else.
    pub fn planned(reserve: Vec<MerchantReference>) -> Self {
        SentUnder(std::sync::Arc::new(std::sync::Mutex::new(Log {
            sent: Vec::new(),
            plan: Some(reserve.into()),
        })))
    }

    /// A log restored from a journal's record: the first `refId`, those
    /// recorded as sent and those reserved may all have carried the
    /// cash-out (a repeat may have taken a reserved one after the record
    /// was written), so all of them are looked up; repeats still take the
    /// reserved ones, in order.
    pub(crate) fn restored(
        first: &MerchantReference,
        sent: Vec<MerchantReference>,
        reserve: Vec<MerchantReference>,
    ) -> Self {
        let mut all = vec![first.clone()];
        for reference in sent.into_iter().chain(reserve.iter().cloned()) {
            if !all.contains(&reference) {
                all.push(reference);
            }
        }
        SentUnder(std::sync::Arc::new(std::sync::Mutex::new(Log {
            sent: all,
            plan: Some(reserve.into()),
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a `refId` a request was sent under.
    pub fn push(&self, reference: MerchantReference) {
        let mut log = self.lock();
        if !log.sent.contains(&reference) {
            log.sent.push(reference);
        }
    }

    /// Every `refId`, oldest first.
    pub fn all(&self) -> Vec<MerchantReference> {
        self.lock().sent.clone()
    }

    /// The latest `refId`.
    pub fn last(&self) -> Option<MerchantReference> {
        self.lock().sent.last().cloned()
    }

    /// The planned `refId`s no request has taken yet.
    pub fn reserve(&self) -> Vec<MerchantReference> {
        self.lock()
            .plan
            .as_ref()
            .map(|plan| plan.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The `refId` for the next repeat, taken from the plan.
    pub(crate) fn next_repeat(&self) -> Repeat {
        match &mut self.lock().plan {
            None => Repeat::Unplanned,
            Some(plan) => plan.pop_front().map_or(Repeat::Exhausted, Repeat::Planned),
        }
    }
}

impl std::fmt::Debug for SentUnder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let log = self.lock();
        let mut debug = f.debug_struct("SentUnder");
        debug.field("sent", &log.sent);
        if let Some(plan) = &log.plan {
            debug.field("reserve", plan);
        }
        debug.finish()
    }
}

impl PartialEq for SentUnder {
    fn eq(&self, other: &Self) -> bool {
        self.all() == other.all() && self.reserve() == other.reserve()
    }
}

impl Eq for SentUnder {}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_core::Currency;

    #[test]
    fn states_display_and_serialize_by_name() {
        assert_eq!(TransactionState::NotFound.to_string(), "not_found");
        assert_eq!(
            serde_json::to_value(TransactionState::Unknown("HELD".into())).unwrap(),
            serde_json::json!("HELD")
        );
        assert_eq!(
            serde_json::to_value(VoucherState::Accepted).unwrap(),
            serde_json::json!("ACCEPTED")
        );
    }

    #[test]
    fn a_receipt_serializes_for_a_service() {
        let receipt = CashOutReceipt {
            amount: Money::parse("1500", Currency::YER).unwrap(),
            reference: MerchantReference::new("123456", &REF_ID_RULES).unwrap(),
            issuer_reference: Some(ProviderReference::new("ISS-1")),
            balance: None,
        };
        let json = serde_json::to_value(&receipt).unwrap();
        assert_eq!(json["reference"], "123456");
        assert_eq!(json["issuer_reference"], "ISS-1");
        assert_eq!(
            json["amount"],
            serde_json::to_value(receipt.amount).unwrap()
        );
    }
}
