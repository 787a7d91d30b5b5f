//! Merchant and provider references.
//!
//! A [`MerchantReference`] is the merchant's own id for one payment attempt
//! (Jawali's `refId`, Paykassma's `custom_transaction_id`, Allpay's GUID). It
//! is what an unknown outcome is reconciled by, so it is made once per
//! payment and reused on every lookup, never regenerated on a retry.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// Which characters a provider accepts in a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Charset {
    /// `0-9` only.
    Digits,
    /// ASCII letters and digits.
    Alphanumeric,
    /// ASCII letters, digits, `-` and `_` (fits a UUID).
    AlphanumericDashUnderscore,
    /// A braced UUID's characters: hex digits, `-`, `{`, `}`.
    BracedUuid,
    /// Printable ASCII without spaces.
    PrintableAscii,
}

impl Charset {
    fn allows(self, c: char) -> bool {
        match self {
            Charset::Digits => c.is_ascii_digit(),
            Charset::Alphanumeric => c.is_ascii_alphanumeric(),
            Charset::AlphanumericDashUnderscore => {
                c.is_ascii_alphanumeric() || c == '-' || c == '_'
            }
            Charset::BracedUuid => c.is_ascii_hexdigit() || matches!(c, '-' | '{' | '}'),
            Charset::PrintableAscii => c.is_ascii_graphic(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Charset::Digits => "digits",
            Charset::Alphanumeric => "ASCII letters and digits",
            Charset::AlphanumericDashUnderscore => "ASCII letters, digits, '-' and '_'",
            Charset::BracedUuid => "hex digits, '-', '{' and '}'",
            Charset::PrintableAscii => "printable ASCII without spaces",
        }
    }
}

/// A provider's rules for merchant references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceRules {
    /// The field's name on the provider's side, for error messages (`"refId"`).
    pub field: &'static str,
    /// The longest reference accepted, in characters.
    pub max_len: usize,
    /// The characters accepted.
    pub charset: Charset,
}

/// The merchant's validated id for one payment.
///
/// Serialized as its text. Read back, it is checked against
/// [`STORED_REFERENCE_RULES`] only — the union of every provider's rules —
/// since a stored reference does not say whose it is: a provider restoring
/// its prepared payments re-checks its own with [`MerchantReference::new`].
///
/// ```
/// use payments_core::reference::{Charset, MerchantReference, ReferenceRules};
///
/// const RULES: ReferenceRules = ReferenceRules { field: "refId", max_len: 36, charset: Charset::AlphanumericDashUnderscore };
/// let reference = MerchantReference::new("order-42", &RULES)?;
/// assert_eq!(reference.as_str(), "order-42");
/// assert!(MerchantReference::new("", &RULES).is_err());
/// assert!(MerchantReference::new("order 42", &RULES).is_err());
/// # Ok::<(), payments_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct MerchantReference(String);

/// What a stored reference is checked against when read back: non-empty,
/// at most 128 characters of printable ASCII without spaces (every
/// provider's references fit).
pub const STORED_REFERENCE_RULES: ReferenceRules = ReferenceRules {
    field: "reference",
    max_len: 128,
    charset: Charset::PrintableAscii,
};

impl<'de> serde::Deserialize<'de> for MerchantReference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        MerchantReference::new(text, &STORED_REFERENCE_RULES).map_err(serde::de::Error::custom)
    }
}

impl MerchantReference {
    /// Validates `value` against `rules`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming `rules.field` when the value is empty,
    /// too long, or has a character outside the charset.
    pub fn new(value: impl Into<String>, rules: &ReferenceRules) -> Result<Self, Error> {
        let value = value.into();
        if value.is_empty() {
            return Err(Error::invalid(rules.field, "must not be empty"));
        }
        let len = value.chars().count();
        if len > rules.max_len {
            return Err(Error::invalid(
                rules.field,
                format_args!(
                    "is {len} characters long; at most {} are accepted",
                    rules.max_len
                ),
            ));
        }
        if let Some(bad) = value.chars().find(|c| !rules.charset.allows(*c)) {
            return Err(Error::invalid(
                rules.field,
                format_args!(
                    "contains {bad:?}; only {} are accepted",
                    rules.charset.describe()
                ),
            ));
        }
        Ok(MerchantReference(value))
    }

    /// A fresh reference from `generator`, validated against `rules`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the generator's output does not fit the rules.
    pub fn generate(
        generator: &dyn ReferenceGenerator,
        rules: &ReferenceRules,
    ) -> Result<Self, Error> {
        Self::new(generator.generate(), rules)
    }

    /// The reference text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MerchantReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MerchantReference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The provider's id for a payment (issuer reference, transaction id). Opaque.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ProviderReference(String);

impl ProviderReference {
    /// Wraps the provider's id as received.
    pub fn new(value: impl Into<String>) -> Self {
        ProviderReference(value.into())
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Makes merchant references. Clients take one so that tests can make
/// references deterministic.
pub trait ReferenceGenerator: Send + Sync + fmt::Debug {
    /// A reference that this generator has not returned before.
    fn generate(&self) -> String;
}

/// How a UUID is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UuidFormat {
    /// `67e55044-10b1-426f-9247-bb680e5fe0c8`
    #[default]
    Hyphenated,
    /// `67e5504410b1426f9247bb680e5fe0c8`
    Simple,
    /// `{67e55044-10b1-426f-9247-bb680e5fe0c8}`
    Braced,
}

fn format_uuid(uuid: uuid::Uuid, format: UuidFormat) -> String {
    match format {
        UuidFormat::Hyphenated => uuid.hyphenated().to_string(),
        UuidFormat::Simple => uuid.simple().to_string(),
        UuidFormat::Braced => uuid.braced().to_string(),
    }
}

/// A name-based UUID (version 5, RFC 9562 §5.5) from the SHA-1 digest of
/// its namespace's bytes followed by the name, written in `format`: the
/// same name always gives the same UUID. For references derived from the
/// merchant's order id (Allpay's GUID), so that a repeat of an order is
/// the same payment on the provider's side.
///
/// ```
/// use payments_core::reference::{UuidFormat, name_based_uuid};
///
/// // SHA-1 of the DNS namespace and "www.example.com", from RFC 9562.
/// let digest = [
///     0x2e, 0xd6, 0x65, 0x7d, 0xe9, 0x27, 0x46, 0x8b, 0x55, 0xe1,
///     0x26, 0x65, 0xa8, 0xae, 0xa6, 0xa2, 0x2d, 0xee, 0x3e, 0x35,
/// ];
/// assert_eq!(
///     name_based_uuid(&digest, UuidFormat::Hyphenated),
///     "2ed6657d-e927-568b-95e1-2665a8aea6a2"
/// );
/// ```
pub fn name_based_uuid(sha1_digest: &[u8; 20], format: UuidFormat) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(sha1_digest.get(..16).unwrap_or(&[0; 16]));
    format_uuid(uuid::Builder::from_sha1_bytes(bytes).into_uuid(), format)
}

/// Random (version 4) UUIDs: the production generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidReferences {
    /// How the UUID is written.
    pub format: UuidFormat,
}

impl ReferenceGenerator for UuidReferences {
    fn generate(&self) -> String {
        format_uuid(uuid::Uuid::new_v4(), self.format)
    }
}

/// Version 4 UUIDs from a seeded generator: the same seed gives the same
/// sequence, for tests and reproducible runs. Not for production.
#[derive(Debug)]
pub struct SeededUuidReferences {
    rng: Mutex<fastrand::Rng>,
    format: UuidFormat,
}

impl SeededUuidReferences {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64, format: UuidFormat) -> Self {
        SeededUuidReferences {
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            format,
        }
    }
}

impl ReferenceGenerator for SeededUuidReferences {
    fn generate(&self) -> String {
        let bits = {
            let mut rng = self
                .rng
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            rng.u128(..)
        };
        format_uuid(
            uuid::Builder::from_random_bytes(bits.to_be_bytes()).into_uuid(),
            self.format,
        )
    }
}

/// `prefix-000001`, `prefix-000002`, …: readable references for tests and examples.
#[derive(Debug)]
pub struct SequentialReferences {
    prefix: String,
    next: AtomicU64,
}

impl SequentialReferences {
    /// Starts at `prefix-000001`.
    pub fn new(prefix: impl Into<String>) -> Self {
        SequentialReferences {
            prefix: prefix.into(),
            next: AtomicU64::new(1),
        }
    }
}

impl ReferenceGenerator for SequentialReferences {
    fn generate(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:06}", self.prefix)
    }
}
