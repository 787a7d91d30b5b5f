//! What the merchant works with.

use std::fmt;

use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{Error, MerchantReference, Money};

/// The rules for a braced GUID (`{67e55044-10b1-426f-9247-bb680e5fe0c8}`).
pub const BRACED_GUID_RULES: ReferenceRules = ReferenceRules {
    field: "GUID",
    max_len: 38,
    charset: Charset::BracedUuid,
};

/// The rules for a plain GUID (`67e55044-10b1-426f-9247-bb680e5fe0c8`).
pub const PLAIN_GUID_RULES: ReferenceRules = ReferenceRules {
    field: "GUID",
    max_len: 36,
    charset: Charset::AlphanumericDashUnderscore,
};

/// An Allpay login (`userName`), normally a phone number: 1–64 characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct UserName(String);

impl UserName {
    /// Validates a login; surrounding whitespace is trimmed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `userName`.
    pub fn new(name: &str) -> Result<Self, Error> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > 64
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid(
                "userName",
                "must be 1 to 64 characters without spaces",
            ));
        }
        Ok(UserName(name.to_owned()))
    }

    /// The login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A customer, as `checkUser` describes them (`basicUserInfo`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// Whether the customer passed identification.
    pub identified: bool,
    /// The 12-digit individual identification number, when given.
    pub iin: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Patronymic.
    pub patronymic: Option<String>,
}

impl UserInfo {
    /// An identified customer with a first name only: for sandboxes and tests.
    pub fn identified_for_tests(first_name: &str) -> Self {
        UserInfo {
            identified: true,
            iin: None,
            first_name: Some(first_name.to_owned()),
            last_name: None,
            patronymic: None,
        }
    }
}

/// A cash-in: money pushed from the agent to a customer's wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashIn {
    /// The customer's login (`toUserName`).
    pub to_user: UserName,
    /// The amount, in KZT.
    pub amount: Money,
    /// The merchant's unique id of this cash-in (`GUID`, a.k.a. RRN): the
    /// pair GUID + requester is unique at Allpay, and repeating a request
    /// with the same GUID finds the same transaction.
    pub guid: MerchantReference,
}

/// The code a customer's device shows to authorise a cash-out (`token`:
/// six digits, Allpay's `OnlineTransactionCommons.xsd`). It authorises
/// taking money from the customer: kept out of `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct CashOutToken(String);

impl CashOutToken {
    /// Validates a token: exactly six ASCII digits.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `token`.
    pub fn new(token: &str) -> Result<Self, Error> {
        let token = token.trim();
        if token.len() != 6 || !token.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("token", "must be exactly 6 digits"));
        }
        Ok(CashOutToken(token.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CashOutToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CashOutToken([REDACTED])")
    }
}

/// A cash-out (`createCashOutTransaction`): money taken from a customer's
/// wallet to the agent, authorised by the code on the customer's device.
/// Phase one only blocks it; [`complete_transaction`](crate::AllpayClient::complete_transaction)
/// moves it, [`decline_transaction`](crate::AllpayClient::decline_transaction) releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashOut {
    /// The customer's login (`fromUserName`).
    pub from_user: UserName,
    /// The amount, in KZT.
    pub amount: Money,
    /// The merchant's unique id (`GUID`): a repeat finds the same transaction.
    pub guid: MerchantReference,
    /// The customer's authorisation code.
    pub token: CashOutToken,
}

/// The agent's balance as `availableBalance` answers it. Allpay's schema
/// types `agentBalanceResponse` as a string (`xs:string`): the text is kept
/// as sent, and read as money only when it is exactly a KZT decimal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AgentBalance {
    /// `agentBalanceResponse`, as sent.
    pub text: String,
    /// The balance, when the text is exactly a non-negative decimal with at
    /// most two places.
    pub amount: Option<Money>,
}

/// A terminal payment's status (`terminalPaymentTransactionStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TerminalStatus {
    /// Not final: repeat the same request (same GUID) later.
    Pending,
    /// Final: the money reached the customer.
    Completed,
    /// Final: it failed.
    Declined,
    /// A value this SDK does not know, kept as sent (treated as not final).
    Unknown(String),
}

impl TerminalStatus {
    pub(crate) fn from_wire(value: &str) -> Self {
        match value.trim() {
            "PENDING" => TerminalStatus::Pending,
            "COMPLETED" => TerminalStatus::Completed,
            "DECLINED" => TerminalStatus::Declined,
            other => TerminalStatus::Unknown(other.to_owned()),
        }
    }

    /// Whether it will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(self, TerminalStatus::Completed | TerminalStatus::Declined)
    }
}

impl TerminalStatus {
    /// The status as Allpay writes it (`PENDING`, `COMPLETED`, `DECLINED`,
    /// or an unknown value as received).
    pub fn as_str(&self) -> &str {
        match self {
            TerminalStatus::Pending => "PENDING",
            TerminalStatus::Completed => "COMPLETED",
            TerminalStatus::Declined => "DECLINED",
            TerminalStatus::Unknown(other) => other,
        }
    }
}

impl fmt::Display for TerminalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as Allpay writes it ([`TerminalStatus::as_str`]).
impl serde::Serialize for TerminalStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The answer to `createCashInPayment`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TerminalPayment {
    /// Its status.
    pub status: TerminalStatus,
    /// Why it was declined, for logs (not for customers).
    pub reason: Option<String>,
}

/// A two-phase transaction's status (`transactionStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionStatus {
    /// Created, the agent's money blocked.
    Pending,
    /// Completed: the money moved.
    Completed,
    /// Declined: the blocked money was released.
    Declined,
    /// Failed.
    Failed,
    /// A value this SDK does not know, kept as sent.
    Unknown(String),
}

impl TransactionStatus {
    pub(crate) fn from_wire(value: &str) -> Self {
        match value.trim() {
            "PENDING" => TransactionStatus::Pending,
            "COMPLETED" | "COMPLETE" => TransactionStatus::Completed,
            "DECLINED" => TransactionStatus::Declined,
            "FAILED" => TransactionStatus::Failed,
            other => TransactionStatus::Unknown(other.to_owned()),
        }
    }
}

impl TransactionStatus {
    /// The status as Allpay writes it (`PENDING`, `COMPLETED`, `DECLINED`,
    /// `FAILED`, or an unknown value as received).
    pub fn as_str(&self) -> &str {
        match self {
            TransactionStatus::Pending => "PENDING",
            TransactionStatus::Completed => "COMPLETED",
            TransactionStatus::Declined => "DECLINED",
            TransactionStatus::Failed => "FAILED",
            TransactionStatus::Unknown(other) => other,
        }
    }
}

impl fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as Allpay writes it ([`TransactionStatus::as_str`]).
impl serde::Serialize for TransactionStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A two-phase transaction (`transactionInfo`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Transaction {
    /// The merchant's GUID.
    pub guid: String,
    /// The amount.
    pub amount: Money,
    /// Allpay's transaction id.
    pub transaction_id: i64,
    /// Its status.
    pub status: TransactionStatus,
    /// The commission, when given.
    pub commission: Option<Money>,
    /// The commission to the receiver, when given.
    pub commission_to: Option<Money>,
}
