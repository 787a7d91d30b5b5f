//! What the merchant works with: wallet types, languages, validated inputs,
//! and the answers of create and activate.

use std::borrow::Cow;
use std::fmt;

use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{Error, MerchantReference, Money};

/// A payment method behind Paykassma's API. Open: Paykassma serves many
/// wallets (`kbzpay_manual`, `jazzcash_business`, `easypaisa`, `upi_s`,
/// `nagad`, `paytm`, `phonepe`, `bkash`, …) through the same calls.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct WalletType(Cow<'static, str>);

impl WalletType {
    /// Wavepay (Myanmar), the wallet this crate is documented for.
    pub const WAVEPAY: WalletType = WalletType(Cow::Borrowed("wavepay"));

    /// Any wallet type, as Paykassma names it.
    pub fn new(name: impl Into<String>) -> Self {
        WalletType(Cow::Owned(name.into()))
    }

    /// The name as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let name = self.as_str();
        if name.is_empty() || name.len() > 190 {
            return Err(Error::invalid("wallet_type", "must be 1 to 190 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Error::invalid(
                "wallet_type",
                "must be ASCII letters, digits, '_' or '-' (it is a path segment)",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for WalletType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The payment window's language. Open: `en` and `my` (Burmese) are
/// documented for Wavepay; other wallets offer others.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lang(Cow<'static, str>);

impl Lang {
    /// English.
    pub const EN: Lang = Lang(Cow::Borrowed("en"));
    /// Burmese.
    pub const MY: Lang = Lang(Cow::Borrowed("my"));

    /// Any language code.
    pub fn new(code: impl Into<String>) -> Self {
        Lang(Cow::Owned(code.into()))
    }

    /// The code as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The user label: Paykassma's id of the paying user, 1–190 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Label(String);

/// The longest label Paykassma accepts.
pub const MAX_LABEL_LEN: usize = 190;

impl Label {
    /// Validates a label.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `label`: empty, or over 190 characters.
    pub fn new(label: impl Into<String>) -> Result<Self, Error> {
        let label = label.into();
        if label.trim().is_empty() {
            return Err(Error::invalid("label", "must not be empty"));
        }
        let len = label.chars().count();
        if len > MAX_LABEL_LEN {
            return Err(Error::invalid(
                "label",
                format_args!("is {len} characters long; at most {MAX_LABEL_LEN} are accepted"),
            ));
        }
        Ok(Label(label))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The transaction number the user got from their wallet app (`key1`): 1–11 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct TransactionNumber(pub(crate) String);

/// The longest `key1` Paykassma accepts.
pub const MAX_KEY1_LEN: usize = 11;

impl TransactionNumber {
    /// Validates a transaction number; surrounding whitespace is trimmed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `key1`.
    pub fn new(number: &str) -> Result<Self, Error> {
        let number = number.trim();
        if number.is_empty() {
            return Err(Error::invalid("key1", "must not be empty"));
        }
        if number.chars().count() > MAX_KEY1_LEN {
            return Err(Error::invalid(
                "key1",
                format_args!("is longer than {MAX_KEY1_LEN} characters"),
            ));
        }
        if number.chars().any(char::is_whitespace) {
            return Err(Error::invalid("key1", "must not contain spaces"));
        }
        Ok(TransactionNumber(number.to_owned()))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TransactionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The rules for `custom_transaction_id`: 1–190 printable ASCII characters.
pub const CUSTOM_TRANSACTION_ID_RULES: ReferenceRules = ReferenceRules {
    field: "custom_transaction_id",
    max_len: 190,
    charset: Charset::PrintableAscii,
};

/// Where the user must pay (the answer of create).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct DepositDetails {
    /// The wallet type asked for.
    pub wallet_type: WalletType,
    /// The wallet to pay into (`params.identifier`, Wavepay's wallet number).
    pub identifier: Option<String>,
    /// Every parameter as sent: other wallet types' details live here.
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// An activation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// The paying user's label.
    pub label: Label,
    /// The wallet type.
    pub wallet_type: WalletType,
    /// The transaction number the user typed in.
    pub key1: TransactionNumber,
    /// The amount the user says they paid.
    pub amount: Money,
    /// The merchant's unique id of this deposit.
    pub custom_transaction_id: MerchantReference,
}

/// What one activation request answered (the wire call's answer; the
/// payment's outcome is [`PaymentOutcome`](payments_core::PaymentOutcome),
/// from [`PaykassmaGateway`](crate::PaykassmaGateway)). A deposit credited
/// with another amount than requested is not an answer but an
/// [`Error::IntegrityMismatch`](payments_core::Error::IntegrityMismatch)
/// carrying both amounts as money — as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActivationOutcome {
    /// Credited with exactly the requested amount.
    Credited {
        /// The amount credited.
        amount: Money,
    },
    /// The check is running; the result comes by postback.
    Pending {
        /// Paykassma's message.
        message: String,
    },
    /// No such transaction yet; Paykassma recorded a possible transaction
    /// for late or manual matching. The result, if any, comes by postback.
    PossibleTransactionCreated {
        /// Paykassma's message.
        message: String,
    },
}

impl ActivationOutcome {
    /// The amount credited now, if any.
    pub fn credited_amount(&self) -> Option<Money> {
        match self {
            ActivationOutcome::Credited { amount } => Some(*amount),
            ActivationOutcome::Pending { .. }
            | ActivationOutcome::PossibleTransactionCreated { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_core::Currency;

    #[test]
    fn an_activation_outcome_serializes_tagged() {
        let mmk = |a| Money::parse(a, Currency::MMK).unwrap();
        let json = serde_json::to_value(ActivationOutcome::Credited {
            amount: mmk("6000"),
        })
        .unwrap();
        assert_eq!(json["outcome"], "credited");
        assert_eq!(json["amount"], serde_json::to_value(mmk("6000")).unwrap());
        let json = serde_json::to_value(ActivationOutcome::Pending {
            message: "checking".into(),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"outcome": "pending", "message": "checking"})
        );
    }
}
