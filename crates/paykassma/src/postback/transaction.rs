//! What a verified postback says: its layout, and each transaction with
//! its status, read from the signed fields.

use std::fmt;

use payments_core::wire::{
    optional_decimal_from_number_or_string, optional_string_from_string_or_number,
};
use payments_core::{Currency, Decimal, Money};
use serde::Deserialize;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{DEFAULT_OFFSET, PostbackError};
use crate::model::WalletType;

/// Which layout a postback came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PostbackLayout {
    /// The current layout: one transaction's fields and a `signature`.
    Flat,
    /// The older layout: `access_key`, `signature`, `transactions: [...]`.
    Batch,
}

/// A transaction's outcome as a postback reports it. Serialized as the
/// SDK's name (`"success"`) or, for [`PostbackStatus::Other`], as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", from = "String")]
#[non_exhaustive]
pub enum PostbackStatus {
    /// The deposit succeeded: credit the user (once).
    Success,
    /// It failed.
    Failed,
    /// It was rejected.
    Rejected,
    /// It was cancelled.
    Cancelled,
    /// Any other value, as sent.
    Other(String),
}

impl From<PostbackStatus> for String {
    fn from(status: PostbackStatus) -> String {
        match status {
            PostbackStatus::Other(text) => text,
            known => known.to_string(),
        }
    }
}

/// The SDK's name (`success`), or the status as sent.
impl fmt::Display for PostbackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PostbackStatus::Success => "success",
            PostbackStatus::Failed => "failed",
            PostbackStatus::Rejected => "rejected",
            PostbackStatus::Cancelled => "cancelled",
            PostbackStatus::Other(text) => text,
        })
    }
}

impl From<String> for PostbackStatus {
    fn from(text: String) -> PostbackStatus {
        PostbackStatus::from_wire(&text)
    }
}

impl PostbackStatus {
    fn from_wire(status: &str) -> Self {
        match status.trim().to_ascii_lowercase().as_str() {
            "success" | "ok" | "successful" | "completed" => PostbackStatus::Success,
            "failed" | "fail" | "failure" | "error" => PostbackStatus::Failed,
            "rejected" | "declined" => PostbackStatus::Rejected,
            "cancelled" | "canceled" => PostbackStatus::Cancelled,
            _ => PostbackStatus::Other(status.to_owned()),
        }
    }

    /// Whether the money arrived.
    pub fn is_success(&self) -> bool {
        *self == PostbackStatus::Success
    }

    /// Whether this status will not change any more. A status this SDK
    /// does not know ([`PostbackStatus::Other`]) is *not* final: it may be
    /// an intermediate one (`pending`, `in_process`), and reading it as a
    /// failure would tell the merchant "failed" for a deposit that may still
    /// succeed.
    pub fn is_final(&self) -> bool {
        !matches!(self, PostbackStatus::Other(_))
    }
}

/// One transaction of a verified postback. Serializable, for a
/// [`PostbackStore`](crate::PostbackStore) (times as RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct PostbackTransaction {
    /// Its status.
    pub status: PostbackStatus,
    /// The merchant's id from the activation: the key to de-duplicate on.
    pub custom_transaction_id: Option<String>,
    /// Paykassma's transaction id (`transaction_id`, also read as `id`).
    pub transaction_id: Option<String>,
    /// The user's label.
    pub label: Option<String>,
    /// The wallet type (`wavepay`, …).
    pub wallet_type: Option<WalletType>,
    /// `ingoing` for deposits.
    pub direction: Option<String>,
    /// The amount, when the currency is one this SDK knows.
    pub amount: Option<Money>,
    /// The amount as sent, whatever the currency.
    pub amount_value: Option<Decimal>,
    /// The currency code as sent (`currency_code`, also read as `currency`).
    pub currency_code: Option<String>,
    /// When it was created; times without an offset are read as +08:00.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When it was activated; times without an offset are read as +08:00.
    #[serde(with = "time::serde::rfc3339::option")]
    pub activated_at: Option<OffsetDateTime>,
    /// Every field as sent, for what this type does not name.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A postback whose signature matched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedPostback {
    /// The layout it came in.
    pub layout: PostbackLayout,
    /// Its transactions: one for the flat layout, any number for the batch one.
    pub transactions: Vec<PostbackTransaction>,
}
#[derive(Deserialize)]
struct WireTransaction {
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    status: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    custom_transaction_id: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    transaction_id: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    label: Option<String>,
    #[serde(default)]
    wallet_type: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    amount: Option<Decimal>,
    #[serde(default)]
    currency_code: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    activated_at: Option<String>,
}

pub(super) fn transaction(
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<PostbackTransaction, PostbackError> {
    let wire =
        WireTransaction::deserialize(
            serde::de::value::MapDeserializer::<'_, _, serde_json::Error>::new(canonical(&fields)),
        )
        .map_err(|e| PostbackError::Malformed(format!("transaction fields: {e}")))?;
    let status = wire
        .status
        .as_deref()
        .map(PostbackStatus::from_wire)
        .ok_or_else(|| PostbackError::Malformed("a transaction has no status".to_owned()))?;
    let amount = match (
        wire.amount,
        wire.currency_code.as_deref().and_then(Currency::from_code),
    ) {
        (Some(value), Some(currency)) => Some(
            Money::new(value, currency)
                .map_err(|e| PostbackError::Malformed(format!("amount: {e}")))?,
        ),
        _ => None,
    };
    Ok(PostbackTransaction {
        status,
        custom_transaction_id: wire.custom_transaction_id,
        transaction_id: wire.transaction_id,
        label: wire.label,
        wallet_type: wire.wallet_type.map(WalletType::new),
        direction: wire.direction,
        amount,
        amount_value: wire.amount,
        currency_code: wire.currency_code,
        created_at: wire.created_at.as_deref().map(parse_time).transpose()?,
        activated_at: wire.activated_at.as_deref().map(parse_time).transpose()?,
        fields,
    })
}

/// Fields that arrive under two spellings, the preferred one first: both
/// layouts have been seen with `transaction_id` or `id`, and `currency_code`
/// or `currency` — sometimes both in one postback. The first present and not
/// `null` is read; the signature covers the whole object either way.
const SPELLINGS: [(&str, &str); 2] = [("transaction_id", "id"), ("currency_code", "currency")];

/// `fields` with one spelling per field, under the preferred name: each
/// field as it is, but of a field that has two spellings only the one
/// chosen, renamed (nothing is copied).
fn canonical(
    fields: &serde_json::Map<String, serde_json::Value>,
) -> impl Iterator<Item = (&str, &serde_json::Value)> {
    let present = |name: &str| fields.get(name).is_some_and(|value| !value.is_null());
    let choices = SPELLINGS.map(|(preferred, other)| {
        let chosen = [preferred, other].into_iter().find(|name| present(name));
        (preferred, other, chosen)
    });
    fields.iter().filter_map(move |(name, value)| {
        let name = name.as_str();
        match choices
            .iter()
            .find(|(preferred, other, _)| name == *preferred || name == *other)
        {
            None => Some((name, value)),
            Some((preferred, _, Some(chosen))) if *chosen == name => Some((*preferred, value)),
            Some(_) => None,
        }
    })
}

/// `2021-05-01 12:00:00` (+08:00), `2021-05-01T12:00:00`, or RFC 3339 with an offset.
fn parse_time(text: &str) -> Result<OffsetDateTime, PostbackError> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    for format in [
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    ] {
        if let Ok(at) = PrimitiveDateTime::parse(text, format) {
            return Ok(at.assume_offset(DEFAULT_OFFSET));
        }
    }
    Err(PostbackError::Malformed(format!(
        "time `{}` is not a date and time",
        text.chars().take(32).collect::<String>()
    )))
}
