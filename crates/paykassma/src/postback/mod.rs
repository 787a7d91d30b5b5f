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
mod signature;
mod transaction;

use time::UtcOffset;

pub use signature::{PostbackKeys, PostbackSigner, PostbackVerifier};
pub use transaction::{PostbackLayout, PostbackStatus, PostbackTransaction, VerifiedPostback};

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
