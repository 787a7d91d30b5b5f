//! One error taxonomy for every provider.
//!
//! The variants answer the question a merchant has after a failed call:
//! *did money move?* [`Error::outcome_known`] says whether that is certain,
//! and [`Error::is_retryable`] whether the same call may simply be tried
//! again. An [`Error::OutcomeUnknown`] is neither: the payment must be looked
//! up by its merchant reference before anything else is done.
//!
//! A service branches on [`Error::code`] and returns the error as JSON
//! (`Error` is `Serialize`). What provider crates use to build errors is
//! public but kept off [`Error`]'s page (see the `build` module's source).

use std::borrow::Cow;
use std::fmt;

use crate::money::MoneyError;
use crate::operation::{Operation, OperationKind};
use crate::secret::RedactedText;

mod build;

/// A boxed error source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What every SDK call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller's input was refused before anything was sent.
    #[error("invalid {field}: {reason} (nothing was sent)")]
    InvalidInput {
        /// The field, as the caller knows it (`"voucher"`, `"amount"`).
        field: Cow<'static, str>,
        /// Why it was refused.
        reason: String,
    },

    /// The request certainly did not reach the provider (connection refused,
    /// DNS failure, TLS handshake failure). Safe to repeat.
    #[error("{operation}: request not sent: {reason}{}", suffix(diagnostics))]
    NotSent {
        /// The operation.
        operation: Operation,
        /// What failed, scrubbed of secrets.
        reason: String,
        /// The transport error, its URL removed.
        #[source]
        source: Option<BoxError>,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// A money-moving request may have been processed, but no answer says so:
    /// a timeout or a broken connection after sending, a gateway error, or
    /// an answer that could not be read. **Do not send it again**: look the
    /// payment up by `reference` (the provider crate offers the lookup).
    #[error(
        "{operation}: outcome unknown{}: {reason}; the request may have been processed: settle it by its reference before paying again{}",
        reference.as_deref().map(|r| format!(" for reference {r}")).unwrap_or_default(),
        suffix(diagnostics)
    )]
    OutcomeUnknown {
        /// The operation.
        operation: Operation,
        /// The merchant reference to reconcile with.
        reference: Option<String>,
        /// What happened, scrubbed of secrets.
        reason: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// A read failed in transport after it may have been sent (timeout,
    /// broken connection). Reads change nothing: safe to repeat.
    #[error("{operation}: {}: {reason}{}", if *timed_out { "timed out" } else { "transport failure" }, suffix(diagnostics))]
    Transport {
        /// The operation.
        operation: Operation,
        /// Whether the cause was a timeout.
        timed_out: bool,
        /// What happened, scrubbed of secrets.
        reason: String,
        /// The transport error, its URL removed.
        #[source]
        source: Option<BoxError>,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// The provider answered with an HTTP status the operation does not expect.
    #[error(
        "{operation}: HTTP {status}: {}{}",
        short_excerpt(body),
        suffix(diagnostics)
    )]
    Http {
        /// The operation.
        operation: Operation,
        /// The HTTP status code.
        status: u16,
        /// The start of the body, scrubbed.
        body: RedactedText,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// The provider understood the request and said no.
    #[error("{operation}: declined: {decline}{}", suffix(diagnostics))]
    Declined {
        /// The operation.
        operation: Operation,
        /// The provider's code and messages.
        decline: Box<Decline>,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// The answer could not be decoded (HTML error page, empty or truncated
    /// body, a missing field, JSON-in-string that is not JSON, an answer over
    /// the size limit).
    #[error(
        "{operation}: undecodable response: {detail}; body: {raw}{}",
        suffix(diagnostics)
    )]
    UndecodableResponse {
        /// The operation.
        operation: Operation,
        /// What was wrong.
        detail: String,
        /// The start of the body, scrubbed.
        raw: RedactedText,
        /// The decoder's error.
        #[source]
        source: Option<BoxError>,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// Credentials were refused (wrong password, revoked client).
    #[error("{operation}: authentication failed: {message}{}", suffix(diagnostics))]
    Authentication {
        /// The operation.
        operation: Operation,
        /// The provider's message, scrubbed.
        message: String,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// The client is misconfigured (bad base URL, missing production URL).
    #[error("configuration: {message}")]
    Configuration {
        /// What is wrong.
        message: String,
    },

    /// The provider answered on other terms than asked: it echoed a
    /// different amount, currency or reference, or booked another amount.
    /// For a money-moving call, *something* moved (see
    /// [`Error::outcome_known`]): a person looks at the booking. A quote
    /// for another amount *before* anything moved is
    /// [`Error::TermsMismatch`] instead.
    #[error(
        "{operation}: integrity mismatch on {field}: the request said {expected}, the provider answered {actual}{}",
        suffix(diagnostics)
    )]
    IntegrityMismatch {
        /// The operation.
        operation: Operation,
        /// Which field differs, as the provider names it on the wire.
        field: &'static str,
        /// What the request said: [`Mismatched::Money`] for an amount.
        expected: Box<Mismatched>,
        /// What the provider said: [`Mismatched::Money`] for an amount.
        actual: Box<Mismatched>,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },

    /// What the customer presented — a voucher, a QR sale — is for other
    /// money than the order's, and the payment stopped there: **nothing
    /// moved**. The customer's mistake, or the wrong order: show it to
    /// them.
    #[error(
        "{operation}: the {field} presented is {actual}, the order is for {expected}; nothing was paid{}",
        suffix(diagnostics)
    )]
    TermsMismatch {
        /// The operation that read the terms (an inquiry, a QR begin).
        operation: Operation,
        /// What differs (`"amount"`, `"currency"`).
        field: &'static str,
        /// The order's money.
        expected: Box<crate::Money>,
        /// The money presented.
        actual: Box<crate::Money>,
        /// Where to find the call in the provider's records (see
        /// [`Error::diagnostics`]).
        diagnostics: Option<Box<Diagnostics>>,
    },
}

/// One side of an [`Error::IntegrityMismatch`]: money (an amount and its
/// currency), or the text of any other field (a reference, a status).
/// Serialized as [`Money`](crate::Money) is, or as a string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Mismatched {
    /// An amount and its currency.
    Money(crate::Money),
    /// Any other value, as text (scrubbed of secrets).
    Text(String),
}

impl Mismatched {
    /// The money, when this side is money.
    pub fn money(&self) -> Option<crate::Money> {
        match self {
            Mismatched::Money(money) => Some(*money),
            Mismatched::Text(_) => None,
        }
    }
}

impl fmt::Display for Mismatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatched::Money(money) => money.fmt(f),
            Mismatched::Text(text) => f.write_str(text),
        }
    }
}

/// Compares the value as it is displayed (`"12.50 TRY"` for money).
impl PartialEq<str> for Mismatched {
    fn eq(&self, other: &str) -> bool {
        match self {
            Mismatched::Text(text) => text == other,
            Mismatched::Money(money) => money.to_string() == other,
        }
    }
}

/// Compares the value as it is displayed (`"12.50 TRY"` for money).
impl PartialEq<&str> for Mismatched {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl From<crate::Money> for Mismatched {
    fn from(money: crate::Money) -> Self {
        Mismatched::Money(money)
    }
}

impl From<String> for Mismatched {
    fn from(text: String) -> Self {
        Mismatched::Text(text)
    }
}

impl From<&str> for Mismatched {
    fn from(text: &str) -> Self {
        Mismatched::Text(text.to_owned())
    }
}

impl From<&String> for Mismatched {
    fn from(text: &String) -> Self {
        Mismatched::Text(text.clone())
    }
}

/// An integer field (Allpay's `transactionId`), as its digits.
impl From<i64> for Mismatched {
    fn from(value: i64) -> Self {
        Mismatched::Text(value.to_string())
    }
}

impl From<crate::Currency> for Mismatched {
    fn from(currency: crate::Currency) -> Self {
        Mismatched::Text(currency.code().to_owned())
    }
}

impl From<fmt::Arguments<'_>> for Mismatched {
    fn from(text: fmt::Arguments<'_>) -> Self {
        Mismatched::Text(text.to_string())
    }
}

/// An error as a service returns it (JSON, a log line): its [`code`](Error::code),
/// its message (its `Display`, scrubbed of secrets by the SDK that made
/// it), whether its outcome is known and whether the same call may be
/// repeated, the operation, the merchant reference to settle it by, the
/// field of refused input or of a mismatch, the provider's decline and the
/// diagnostics. Sources are not serialized (their texts are in the
/// message).
///
/// ```
/// use payments_core::Error;
///
/// let error = Error::invalid("amount", "amount -1 is negative");
/// let json = serde_json::to_value(&error).unwrap();
/// assert_eq!(json["code"], "invalid_input");
/// assert_eq!(json["field"], "amount");
/// assert_eq!(json["outcome_known"], true);
/// assert_eq!(json["message"], "invalid amount: amount -1 is negative (nothing was sent)");
/// ```
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let field = match self {
            Error::InvalidInput { field, .. } => Some(field.as_ref()),
            Error::IntegrityMismatch { field, .. } | Error::TermsMismatch { field, .. } => {
                Some(*field)
            }
            _ => None,
        };
        let (expected, actual) = match self {
            Error::IntegrityMismatch {
                expected, actual, ..
            } => (
                Some(expected.as_ref().clone()),
                Some(actual.as_ref().clone()),
            ),
            Error::TermsMismatch {
                expected, actual, ..
            } => (
                Some(Mismatched::Money(**expected)),
                Some(Mismatched::Money(**actual)),
            ),
            _ => (None, None),
        };
        let decline = match self {
            Error::Declined { decline, .. } => Some(decline.as_ref()),
            _ => None,
        };
        let diagnostics = self.diagnostics();
        let mut out = serializer.serialize_struct("Error", 11)?;
        out.serialize_field("code", self.code())?;
        out.serialize_field("message", &self.to_string())?;
        out.serialize_field("outcome_known", &self.outcome_known())?;
        out.serialize_field("retryable", &self.is_retryable())?;
        out.serialize_field("operation", &self.operation().map(|op| op.to_string()))?;
        out.serialize_field("reference", &diagnostics.reference)?;
        out.serialize_field("field", &field)?;
        out.serialize_field("expected", &expected)?;
        out.serialize_field("actual", &actual)?;
        out.serialize_field("decline", &decline)?;
        out.serialize_field("diagnostics", &diagnostics)?;
        out.end()
    }
}

impl Error {
    /// Whether repeating the *same* call may succeed: the request was not
    /// sent, or the failure is transient for a call that changes nothing.
    ///
    /// Never true for [`Error::OutcomeUnknown`]: that needs a lookup first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::NotSent { .. } | Error::Transport { .. } => true,
            Error::Http {
                status, operation, ..
            } => operation.kind.is_idempotent() && is_transient_status(*status),
            Error::InvalidInput { .. }
            | Error::OutcomeUnknown { .. }
            | Error::Declined { .. }
            | Error::UndecodableResponse { .. }
            | Error::Authentication { .. }
            | Error::Configuration { .. }
            | Error::IntegrityMismatch { .. }
            | Error::TermsMismatch { .. } => false,
        }
    }

    /// The error's kind as a stable, machine-readable code, one per
    /// variant — what a service branches on, logs and sends to its frontend.
    /// The codes are part of the API: kept across releases, listed in
    /// [`Error::CODES`].
    ///
    /// | code | variant | did money move? |
    /// |---|---|---|
    /// | `invalid_input` | [`Error::InvalidInput`] | no: refused before anything was sent |
    /// | `not_sent` | [`Error::NotSent`] | no: safe to repeat |
    /// | `outcome_unknown` | [`Error::OutcomeUnknown`] | maybe: settle it by its reference |
    /// | `transport` | [`Error::Transport`] | no for reads; a money-moving call ends in `outcome_unknown` instead |
    /// | `http` | [`Error::Http`] | as `transport` |
    /// | `declined` | [`Error::Declined`] | no: the provider refused it |
    /// | `undecodable_response` | [`Error::UndecodableResponse`] | as `transport` |
    /// | `authentication` | [`Error::Authentication`] | no |
    /// | `configuration` | [`Error::Configuration`] | no |
    /// | `integrity_mismatch` | [`Error::IntegrityMismatch`] | the provider answered on other terms than asked (for a money-moving call: something moved): for a person |
    /// | `terms_mismatch` | [`Error::TermsMismatch`] | no: what the customer presented is for other money than the order |
    ///
    /// ```
    /// use payments_core::Error;
    ///
    /// let error = Error::invalid("amount", "amount -1 is negative");
    /// assert_eq!(error.code(), "invalid_input");
    /// assert!(Error::CODES.contains(&error.code()));
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotSent { .. } => "not_sent",
            Error::OutcomeUnknown { .. } => "outcome_unknown",
            Error::Transport { .. } => "transport",
            Error::Http { .. } => "http",
            Error::Declined { .. } => "declined",
            Error::UndecodableResponse { .. } => "undecodable_response",
            Error::Authentication { .. } => "authentication",
            Error::Configuration { .. } => "configuration",
            Error::IntegrityMismatch { .. } => "integrity_mismatch",
            Error::TermsMismatch { .. } => "terms_mismatch",
        }
    }

    /// Every code [`Error::code`] gives.
    pub const CODES: &'static [&'static str] = &[
        "invalid_input",
        "not_sent",
        "outcome_unknown",
        "transport",
        "http",
        "declined",
        "undecodable_response",
        "authentication",
        "configuration",
        "integrity_mismatch",
        "terms_mismatch",
    ];

    /// Whether it is certain what the provider did with the request.
    ///
    /// `false` means money may have moved: reconcile by merchant reference.
    pub fn outcome_known(&self) -> bool {
        match self {
            Error::OutcomeUnknown { .. } => false,
            // An unreadable answer to a money-moving call says nothing about
            // whether it was processed.
            Error::UndecodableResponse { operation, .. } => {
                operation.kind != OperationKind::MoneyMoving
            }
            // The provider said it succeeded, but with different terms: it
            // processed *something*; what exactly needs a lookup.
            Error::IntegrityMismatch { operation, .. } => {
                operation.kind != OperationKind::MoneyMoving
            }
            Error::InvalidInput { .. }
            | Error::NotSent { .. }
            | Error::Transport { .. }
            | Error::Http { .. }
            | Error::Declined { .. }
            | Error::Authentication { .. }
            | Error::Configuration { .. }
            | Error::TermsMismatch { .. } => true,
        }
    }

    /// The operation that failed, when one was under way.
    pub fn operation(&self) -> Option<Operation> {
        self.provider_call().map(|(operation, _)| operation)
    }

    /// The operation and diagnostics of an error from a provider call;
    /// `None` when nothing was sent.
    fn provider_call(&self) -> Option<(Operation, &Option<Box<Diagnostics>>)> {
        match self {
            Error::NotSent {
                operation,
                diagnostics,
                ..
            }
            | Error::OutcomeUnknown {
                operation,
                diagnostics,
                ..
            }
            | Error::Transport {
                operation,
                diagnostics,
                ..
            }
            | Error::Http {
                operation,
                diagnostics,
                ..
            }
            | Error::Declined {
                operation,
                diagnostics,
                ..
            }
            | Error::UndecodableResponse {
                operation,
                diagnostics,
                ..
            }
            | Error::Authentication {
                operation,
                diagnostics,
                ..
            }
            | Error::IntegrityMismatch {
                operation,
                diagnostics,
                ..
            }
            | Error::TermsMismatch {
                operation,
                diagnostics,
                ..
            } => Some((*operation, diagnostics)),
            Error::InvalidInput { .. } | Error::Configuration { .. } => None,
        }
    }

    /// Where a support desk finds this call in the provider's records: the
    /// provider's correlation id, the merchant reference and the HTTP
    /// status, as far as they were known when the call failed. Empty for
    /// [`Error::InvalidInput`] and [`Error::Configuration`] (nothing was
    /// sent).
    ///
    /// ```
    /// use payments_core::{Decline, DeclineKind, Diagnostics, Error, Operation};
    ///
    /// let error = Error::Declined {
    ///     operation: Operation::money_moving("jawali", "cash_out"),
    ///     decline: Box::new(Decline::new("311", DeclineKind::InsufficientFunds, "no funds")),
    ///     diagnostics: None,
    /// }
    /// .with_diagnostics(
    ///     &Diagnostics::new()
    ///         .with_correlation_id("6f1c2a")
    ///         .with_reference("ORDER-1")
    ///         .with_http_status(200),
    /// );
    /// let diagnostics = error.diagnostics();
    /// assert_eq!(diagnostics.correlation_id.as_deref(), Some("6f1c2a"));
    /// assert_eq!(error.reference(), Some("ORDER-1"));
    /// assert_eq!(diagnostics.http_status, Some(200));
    /// assert!(error.to_string().ends_with("[reference ORDER-1, correlation id 6f1c2a, HTTP 200]"));
    /// ```
    pub fn diagnostics(&self) -> Diagnostics {
        let mut diagnostics = self.stored_diagnostics().cloned().unwrap_or_default();
        match self {
            Error::OutcomeUnknown {
                reference: Some(reference),
                ..
            } => diagnostics.reference = Some(reference.clone()),
            Error::Http { status, .. } => diagnostics.http_status = Some(*status),
            _ => {}
        }
        diagnostics
    }

    /// The merchant reference the failed call carried, when it carried one.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Error::OutcomeUnknown {
                reference: Some(reference),
                ..
            } => Some(reference),
            _ => self.stored_diagnostics()?.reference.as_deref(),
        }
    }

    fn stored_diagnostics(&self) -> Option<&Diagnostics> {
        self.provider_call()?.1.as_deref()
    }

    fn diagnostics_slot(&mut self) -> Option<&mut Option<Box<Diagnostics>>> {
        match self {
            Error::NotSent { diagnostics, .. }
            | Error::OutcomeUnknown { diagnostics, .. }
            | Error::Transport { diagnostics, .. }
            | Error::Http { diagnostics, .. }
            | Error::Declined { diagnostics, .. }
            | Error::UndecodableResponse { diagnostics, .. }
            | Error::Authentication { diagnostics, .. }
            | Error::IntegrityMismatch { diagnostics, .. }
            | Error::TermsMismatch { diagnostics, .. } => Some(diagnostics),
            Error::InvalidInput { .. } | Error::Configuration { .. } => None,
        }
    }

    /// The provider's decline, if this is one.
    pub fn decline(&self) -> Option<&Decline> {
        match self {
            Error::Declined { decline, .. } => Some(decline),
            _ => None,
        }
    }

    /// What the provider answered, when it answered with a code: this
    /// error's own decline, or — for an [`Error::OutcomeUnknown`] read from
    /// a code the provider does not document as a refusal — the decline it
    /// was read from (its source). For diagnosis only: in the second case
    /// the payment may still have happened.
    pub fn provider_decline(&self) -> Option<&Decline> {
        match self {
            Error::Declined { decline, .. } => Some(decline),
            Error::OutcomeUnknown {
                source: Some(source),
                ..
            } => source
                .downcast_ref::<Error>()
                .and_then(Error::provider_decline),
            _ => None,
        }
    }
}

/// The text of an error source, standing in for it in a shared copy.
#[derive(Debug)]
struct SharedSource(String);

impl fmt::Display for SharedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SharedSource {}

/// Where a support desk finds a call in the provider's records: what an
/// [`Error`] knew about the exchange when it failed
/// ([`Error::diagnostics`]).
///
/// The correlation id is the provider's handle on one request: Jawali's
/// `corrID` (fresh per request), Sipay's `tx_correlation_id`, Allpay's
/// transaction GUID. The reference is the merchant's.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Diagnostics {
    /// The provider's correlation id of the request.
    pub correlation_id: Option<String>,
    /// The merchant reference the request carried.
    pub reference: Option<String>,
    /// The HTTP status of the provider's answer, when one came.
    pub http_status: Option<u16>,
}

impl Diagnostics {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// With the provider's correlation id.
    #[must_use]
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// With the merchant reference.
    #[must_use]
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// With the HTTP status of the answer.
    #[must_use]
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// `result`, its error given what this knows
    /// ([`Error::with_diagnostics`]).
    ///
    /// # Errors
    ///
    /// `result`'s error, annotated.
    pub fn annotate<T>(&self, result: Result<T>) -> Result<T> {
        result.map_err(|error| error.with_diagnostics(self))
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.correlation_id.is_none() && self.reference.is_none() && self.http_status.is_none()
    }

    /// Takes from `other` what this does not know.
    fn fill(&mut self, other: Diagnostics) {
        if self.correlation_id.is_none() {
            self.correlation_id = other.correlation_id;
        }
        if self.reference.is_none() {
            self.reference = other.reference;
        }
        if self.http_status.is_none() {
            self.http_status = other.http_status;
        }
    }
}

/// `reference R, correlation id C, HTTP 200`: what is known, in that order.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        if let Some(reference) = &self.reference {
            write!(f, "reference {reference}")?;
            separator = ", ";
        }
        if let Some(id) = &self.correlation_id {
            write!(f, "{separator}correlation id {id}")?;
            separator = ", ";
        }
        if let Some(status) = self.http_status {
            write!(f, "{separator}HTTP {status}")?;
        }
        Ok(())
    }
}

/// The ` [diagnostics]` an error's message ends with, when there are any.
/// How long an HTTP error's body may run in its message.
const EXCERPT_CHARS: usize = 100;

/// An error page's text as a message shows it: tags stripped, whitespace
/// collapsed, at most [`EXCERPT_CHARS`] characters (the whole scrubbed
/// excerpt stays in the error's `body`).
fn short_excerpt(body: &crate::secret::RedactedText) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    let mut space = false;
    let mut chars = 0;
    for c in body.as_str().chars() {
        match c {
            '<' => {
                in_tag = true;
                space = !text.is_empty();
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            c if c.is_whitespace() => space = !text.is_empty(),
            c => {
                if chars >= EXCERPT_CHARS {
                    text.push('…');
                    return text;
                }
                if space {
                    text.push(' ');
                    space = false;
                }
                text.push(c);
                chars += 1;
            }
        }
    }
    if text.is_empty() {
        "(no text)".to_owned()
    } else {
        text
    }
}

/// A duration as messages show it: whole milliseconds under a second,
/// else seconds to one decimal (`250 ms`, `4.0 s`), never `3.999965002s`.
pub(crate) fn rounded(duration: std::time::Duration) -> String {
    if duration < std::time::Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

fn suffix(diagnostics: &Option<Box<Diagnostics>>) -> String {
    match diagnostics {
        Some(d) if !d.is_empty() => format!(" [{d}]"),
        _ => String::new(),
    }
}

/// Money that does not validate is refused input for the field `amount`
/// (`currency` for an unknown currency or two that differ). Use
/// [`Error::invalid_money`] to name another field.
impl From<MoneyError> for Error {
    fn from(error: MoneyError) -> Self {
        let field = match error {
            MoneyError::UnknownCurrency(_) | MoneyError::CurrencyMismatch { .. } => "currency",
            _ => "amount",
        };
        Error::invalid_money(field, &error)
    }
}

/// HTTP statuses that say "try again later" without the request having been
/// processed by the provider's application (for reads; a money-moving call
/// turns them into [`Error::OutcomeUnknown`]).
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// A provider's "no", with its own words kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Decline {
    /// The provider's code (`"311"`, `"-1"`, a SOAP faultcode).
    pub code: String,
    /// The code's meaning across providers.
    pub kind: DeclineKind,
    /// The provider's technical message.
    pub message: String,
    /// A message meant for the paying customer, in their language, when the
    /// provider gives one (Jawali's Arabic `systemStatusDescNative`).
    pub user_message: Option<String>,
}

impl Decline {
    /// A decline with a code, its kind and the provider's message.
    pub fn new(code: impl Into<String>, kind: DeclineKind, message: impl Into<String>) -> Self {
        Decline {
            code: code.into(),
            kind,
            message: message.into(),
            user_message: None,
        }
    }

    /// Adds the customer-facing message.
    #[must_use]
    pub fn with_user_message(mut self, message: impl Into<String>) -> Self {
        self.user_message = Some(message.into());
        self
    }
}

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)?;
        if let Some(user) = &self.user_message
            && user != &self.message
        {
            write!(f, " ({user})")?;
        }
        Ok(())
    }
}

/// What a decline means, whatever the provider's code. Displayed and
/// serialized as its stable snake-case name (`insufficient_funds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeclineKind {
    /// The payer's balance does not cover the amount.
    InsufficientFunds,
    /// A daily, monthly or per-transaction limit would be exceeded.
    LimitExceeded,
    /// The wallet, user or account does not exist.
    AccountNotFound,
    /// The merchant reference was used before.
    DuplicateReference,
    /// The voucher, QR code or session has expired.
    Expired,
    /// The voucher or session was already used.
    AlreadyUsed,
    /// The payer cancelled it.
    Cancelled,
    /// The provider refused the request's signature or token.
    Unauthorized,
    /// Anything else; the code and message say more.
    Other,
}

impl DeclineKind {
    /// The kind's stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineKind::InsufficientFunds => "insufficient_funds",
            DeclineKind::LimitExceeded => "limit_exceeded",
            DeclineKind::AccountNotFound => "account_not_found",
            DeclineKind::DuplicateReference => "duplicate_reference",
            DeclineKind::Expired => "expired",
            DeclineKind::AlreadyUsed => "already_used",
            DeclineKind::Cancelled => "cancelled",
            DeclineKind::Unauthorized => "unauthorized",
            DeclineKind::Other => "other",
        }
    }
}

impl fmt::Display for DeclineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
