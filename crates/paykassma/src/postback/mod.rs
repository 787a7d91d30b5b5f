//! Postbacks: Paykassma's server-to-server notifications, verified.
//!
//! Paykassma `POST`s JSON to the merchant's endpoint and repeats it until the
//! endpoint answers HTTP 200 with `{"status":"ok"}` ([`ACK_BODY`]). So the
//! endpoint **will** see the same postback more than once: verify it, then
//! de-duplicate on [`PostbackTransaction::custom_transaction_id`] before
//! crediting anyone:
//!
//! ```
//! use std::collections::HashSet;
//! use paykassma::postback::{PostbackKeys, PostbackSigner, PostbackVerifier, ACK_BODY};
//! use paykassma::SecretString;
//!
//! let keys = PostbackKeys::new(SecretString::from("access"), SecretString::from("private"));
//! let verifier = PostbackVerifier::new(keys.clone());
//! let body = PostbackSigner::new(keys).sign_flat(&serde_json::json!({
//!     "status": "success", "amount": 500, "currency_code": "MMK",
//!     "custom_transaction_id": "order-1", "label": "user-55", "wallet_type": "wavepay"
//! }))?;
//!
//! let mut credited = HashSet::new(); // in production: a unique index in your database
//! for delivery in [&body, &body] {   // Paykassma retries: the same postback twice
//!     let postback = verifier.verify(delivery.as_bytes())?;
//!     for tx in &postback.transactions {
//!         let id = tx.custom_transaction_id.clone().unwrap_or_default();
//!         if tx.status.is_success() && credited.insert(id) {
//!             // credit the user once
//!         }
//!     }
//!     // answer HTTP 200 with ACK_BODY either way, or Paykassma keeps retrying
//!     assert_eq!(ACK_BODY, r#"{"status":"ok"}"#);
//! }
//! assert_eq!(credited.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The signature
//!
//! `sha1(access_key . private_key . md5(json))`, lowercase hex, where `json`
//! is the signed data written like PHP's `json_encode` with
//! `JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE`. Two layouts exist:
//!
//! - the current, flat one: the postback's fields and a `signature`; the
//!   signed data is the object without `signature`, members in the order
//!   they arrived;
//! - the older one, `{"access_key": …, "signature": …, "transactions": [ … ]}`:
//!   the signed data is the `transactions` array, and `access_key` must be
//!   the configured access key. A body is read in this layout when it has an
//!   `access_key` and its `transactions` is an array; a flat postback may
//!   carry a field named `transactions` of its own.
//!
//! The signed data is hashed exactly as it arrived when it is already in that
//! compact form, and otherwise rewritten to it (whitespace dropped, strings
//! re-escaped the PHP way, numbers kept as written), so a body re-indented by
//! a proxy still verifies, while a signature computed over pretty-printed
//! JSON does not. The comparison is constant-time.
//!
//! Fields seen under two spellings are read with a precedence, the first
//! present and not `null` winning: `transaction_id` before `id`,
//! `currency_code` before `currency` (a postback may carry both).

pub(crate) mod php_json;

use std::fmt;

use md5::Md5;
use payments_core::wire::{
    optional_decimal_from_number_or_string, optional_string_from_string_or_number,
};
use payments_core::{Currency, Decimal, ExposeSecret, Money, SecretString};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::model::WalletType;

/// The largest postback body a receiver should read (64 KiB). A postback is
/// a few hundred bytes: refuse a larger body before reading it into memory
/// (HTTP 413). [`PostbackVerifier::verify`] refuses whatever lies within
/// this cap in time linear in its length.
pub const MAX_POSTBACK_BYTES: usize = 64 * 1024;

/// The body to answer a postback with (HTTP 200), verified or duplicate alike.
pub const ACK_BODY: &str = r#"{"status":"ok"}"#;

/// The offset of postback times that carry none: +08:00.
pub const DEFAULT_OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The two postback keys from the merchant's Paykassma settings.
#[derive(Clone)]
pub struct PostbackKeys {
    /// The postback access key.
    pub access_key: SecretString,
    /// The postback private access key.
    pub private_key: SecretString,
}

impl PostbackKeys {
    /// The keys.
    pub fn new(access_key: SecretString, private_key: SecretString) -> Self {
        PostbackKeys {
            access_key,
            private_key,
        }
    }

    /// `sha1(access_key . private_key . md5(signed_json))` in lowercase hex.
    fn signature(&self, signed_json: &str) -> String {
        let md5 = hex::encode(Md5::digest(signed_json.as_bytes()));
        let mut sha = Sha1::new();
        sha.update(self.access_key.expose_secret().as_bytes());
        sha.update(self.private_key.expose_secret().as_bytes());
        sha.update(md5.as_bytes());
        hex::encode(sha.finalize())
    }
}

impl fmt::Debug for PostbackKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PostbackKeys([REDACTED])")
    }
}

/// Why a postback was refused. Answer it with [`PostbackError::http_status`]
/// and a short JSON error: Paykassma will retry it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PostbackError {
    /// The body is not a JSON object of either layout.
    #[error("malformed postback: {0}")]
    Malformed(String),
    /// The body carries no `signature`.
    #[error("postback has no signature")]
    MissingSignature,
    /// The signature does not match the body and the configured keys.
    #[error("postback signature does not match")]
    BadSignature,
}

impl PostbackError {
    /// The HTTP status to answer with: 400 for a malformed body, 401 for a
    /// missing or bad signature.
    pub fn http_status(&self) -> u16 {
        match self {
            PostbackError::Malformed(_) => 400,
            PostbackError::MissingSignature | PostbackError::BadSignature => 401,
        }
    }
}

/// A [`PostbackError`] in the workspace's error taxonomy (operation
/// `paykassma.postback`): a malformed body is an undecodable answer, a
/// missing or bad signature an authentication failure — so `?` works in
/// code that returns [`payments_core::Result`]. Answer the sender with
/// [`PostbackError::http_status`] either way.
impl From<PostbackError> for payments_core::Error {
    fn from(error: PostbackError) -> Self {
        let operation = payments_core::Operation::read("paykassma", "postback");
        match error {
            PostbackError::Malformed(detail) => payments_core::Error::UndecodableResponse {
                operation,
                detail: format!("malformed postback: {detail}"),
                raw: payments_core::secret::RedactedText::from_static(""),
                source: None,
                diagnostics: None,
            },
            other => payments_core::Error::Authentication {
                operation,
                message: other.to_string(),
                diagnostics: None,
            },
        }
    }
}

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

/// Checks postback signatures. Cheap to clone; keeps the keys secret.
#[derive(Debug, Clone)]
pub struct PostbackVerifier {
    keys: PostbackKeys,
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default, borrow)]
    access_key: Option<&'a RawValue>,
    #[serde(default, borrow)]
    signature: Option<&'a RawValue>,
    #[serde(default, borrow)]
    transactions: Option<&'a RawValue>,
}

impl<'a> Probe<'a> {
    /// The `transactions` of a body in the batch layout: an access key and
    /// an array of transactions. A flat postback may carry a field named
    /// `transactions` of its own. The verifier and the signer both ask this.
    fn batch(&self) -> Option<&'a RawValue> {
        self.transactions
            .filter(|raw| raw.get().starts_with('[') && self.access_key.is_some())
    }
}

impl PostbackVerifier {
    /// A verifier for `keys`.
    pub fn new(keys: PostbackKeys) -> Self {
        PostbackVerifier { keys }
    }

    /// Verifies `raw_body` and reads its transactions. Verification is all it
    /// does: de-duplicating and crediting are the caller's.
    ///
    /// # Errors
    ///
    /// [`PostbackError`]: malformed body, missing or bad signature.
    pub fn verify(&self, raw_body: &[u8]) -> Result<VerifiedPostback, PostbackError> {
        let text = std::str::from_utf8(raw_body)
            .map_err(|_| PostbackError::Malformed("not UTF-8".to_owned()))?;
        // Before anything else, and before the signature: a member named
        // twice, a number no double carries exactly and nesting past
        // serde_json's limit are refused in one linear pass, so what follows
        // never meets them (PHP's `json_encode` writes none of them).
        payments_core::wire::check_json(raw_body)
            .map_err(|e| PostbackError::Malformed(e.to_string()))?;
        let probe: Probe<'_> = serde_json::from_str(text)
            .map_err(|e| PostbackError::Malformed(format!("not a JSON object: {e}")))?;
        let signature: String = match probe.signature {
            Some(raw) => {
                serde_json::from_str(raw.get()).map_err(|_| PostbackError::MissingSignature)?
            }
            None => return Err(PostbackError::MissingSignature),
        };
        if signature.trim().is_empty() {
            return Err(PostbackError::MissingSignature);
        }
        let batch = probe.batch();
        let (layout, signed) = match batch {
            Some(transactions) => {
                // The batch layout names the access key outside the signed
                // data: it must be ours, or the envelope was tampered with.
                let access_key: Option<String> = probe
                    .access_key
                    .and_then(|raw| serde_json::from_str(raw.get()).ok());
                let ours = self.keys.access_key.expose_secret().as_bytes();
                if !access_key.is_some_and(|key| bool::from(key.as_bytes().ct_eq(ours))) {
                    return Err(PostbackError::BadSignature);
                }
                (
                    PostbackLayout::Batch,
                    php_json::recompact(transactions.get(), None),
                )
            }
            None => (
                PostbackLayout::Flat,
                php_json::recompact(text, Some("signature")),
            ),
        };
        let signed = signed.map_err(|e| PostbackError::Malformed(e.0))?;
        let expected = self.keys.signature(&signed);
        // Exact comparison: PHP's sha1() is lowercase hex.
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(PostbackError::BadSignature);
        }
        let transactions = match layout {
            PostbackLayout::Batch => {
                let items: Vec<serde_json::Map<String, serde_json::Value>> = batch
                    .map(|t| serde_json::from_str(t.get()))
                    .transpose()
                    .map_err(|e| PostbackError::Malformed(format!("transactions: {e}")))?
                    .unwrap_or_default();
                items
                    .into_iter()
                    .map(transaction)
                    .collect::<Result<_, _>>()?
            }
            PostbackLayout::Flat => {
                let mut fields: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(text)
                        .map_err(|e| PostbackError::Malformed(e.to_string()))?;
                fields.remove("signature");
                vec![transaction(fields)?]
            }
        };
        Ok(VerifiedPostback {
            layout,
            transactions,
        })
    }
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

fn transaction(
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<PostbackTransaction, PostbackError> {
    let wire: WireTransaction =
        serde_json::from_value(serde_json::Value::Object(canonical(&fields)))
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
const SPELLINGS: &[&[&str]] = &[&["transaction_id", "id"], &["currency_code", "currency"]];

/// `fields` with one spelling per field, under the preferred name.
fn canonical(
    fields: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = fields.clone();
    for group in SPELLINGS {
        let chosen = group
            .iter()
            .filter_map(|name| fields.get(*name))
            .find(|value| !value.is_null())
            .cloned();
        for name in *group {
            out.remove(*name);
        }
        if let (Some(name), Some(value)) = (group.first(), chosen) {
            out.insert((*name).to_owned(), value);
        }
    }
    out
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

/// Signs postbacks exactly like Paykassma: for tests of a merchant's
/// endpoint, and for the sandbox.
#[derive(Debug, Clone)]
pub struct PostbackSigner {
    keys: PostbackKeys,
}

impl PostbackSigner {
    /// A signer for `keys`.
    pub fn new(keys: PostbackKeys) -> Self {
        PostbackSigner { keys }
    }

    /// A flat-layout body: `fields` (a JSON object) with its `signature`
    /// appended, written as PHP's `json_encode` writes it (numbers included:
    /// `1e20` is `1.0e+20`, `2.50` is `2.5`).
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `fields` is not an object, or has both
    /// an `access_key` and a `transactions` array (which is the batch layout).
    pub fn sign_flat(&self, fields: &serde_json::Value) -> Result<String, PostbackError> {
        if !fields.is_object() {
            return Err(PostbackError::Malformed(
                "fields must be a JSON object".to_owned(),
            ));
        }
        let text = php_json::encode(fields);
        let reads_as_batch = serde_json::from_str::<Probe<'_>>(&text)
            .ok()
            .and_then(|probe| probe.batch())
            .is_some();
        if reads_as_batch {
            return Err(PostbackError::Malformed(
                "fields with an access_key and a transactions array read as the batch layout"
                    .to_owned(),
            ));
        }
        self.sign_flat_text(&text)
    }

    /// As [`sign_flat`](Self::sign_flat), from JSON text: member order and
    /// number spellings (`500.50`) are kept as written.
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `fields` is not a JSON object.
    pub fn sign_flat_text(&self, fields: &str) -> Result<String, PostbackError> {
        if !fields.trim_start().starts_with('{') {
            return Err(PostbackError::Malformed(
                "fields must be a JSON object".to_owned(),
            ));
        }
        let signed = php_json::recompact(fields, Some("signature"))
            .map_err(|e| PostbackError::Malformed(e.0))?;
        let signature = self.keys.signature(&signed);
        // Append the signature member to the compact object.
        let mut body = signed;
        body.pop();
        if body.len() > 1 {
            body.push(',');
        }
        body.push_str("\"signature\":");
        php_json::write_string(&mut body, &signature);
        body.push('}');
        Ok(body)
    }

    /// An older-layout body: `{"access_key": …, "signature": …, "transactions": […]}`,
    /// written as PHP's `json_encode` writes it.
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `transactions` is not an array.
    pub fn sign_batch(&self, transactions: &serde_json::Value) -> Result<String, PostbackError> {
        if !transactions.is_array() {
            return Err(PostbackError::Malformed(
                "transactions must be a JSON array".to_owned(),
            ));
        }
        self.sign_batch_text(&php_json::encode(transactions))
    }

    /// As [`sign_batch`](Self::sign_batch), from JSON text.
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `transactions` is not a JSON array.
    pub fn sign_batch_text(&self, transactions: &str) -> Result<String, PostbackError> {
        if !transactions.trim_start().starts_with('[') {
            return Err(PostbackError::Malformed(
                "transactions must be a JSON array".to_owned(),
            ));
        }
        let signed =
            php_json::recompact(transactions, None).map_err(|e| PostbackError::Malformed(e.0))?;
        let signature = self.keys.signature(&signed);
        let mut body = String::from("{\"access_key\":");
        php_json::write_string(&mut body, self.keys.access_key.expose_secret());
        body.push_str(",\"signature\":");
        php_json::write_string(&mut body, &signature);
        body.push_str(",\"transactions\":");
        body.push_str(&signed);
        body.push('}');
        Ok(body)
    }
}
