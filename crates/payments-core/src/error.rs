//! One error taxonomy for every provider.
//!
//! The variants answer the question a merchant has after a failed call:
//! *did money move?* [`Error::outcome_known`] says whether that is certain,
//! and [`Error::is_retryable`] whether the same call may simply be tried
//! again. An [`Error::OutcomeUnknown`] is neither: the payment must be looked
//! up by its merchant reference before anything else is done.

use std::borrow::Cow;
use std::fmt;

use crate::money::MoneyError;
use crate::operation::{Operation, OperationKind};
use crate::secret::RedactedText;

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
    #[error("{operation}: request not sent: {reason}")]
    NotSent {
        /// The operation.
        operation: Operation,
        /// What failed, scrubbed of secrets.
        reason: String,
        /// The transport error, its URL removed.
        #[source]
        source: Option<BoxError>,
    },

    /// A money-moving request may have been processed, but no answer says so:
    /// a timeout or a broken connection after sending, a gateway error, or
    /// an answer that could not be read. **Do not send it again**: look the
    /// payment up by `reference` (the provider crate offers the lookup).
    #[error(
        "{operation}: outcome unknown{}: {reason}; the request may have been processed, look it up before retrying",
        reference.as_deref().map(|r| format!(" for reference {r}")).unwrap_or_default()
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
    },

    /// A read failed in transport after it may have been sent (timeout,
    /// broken connection). Reads change nothing: safe to repeat.
    #[error("{operation}: {}: {reason}", if *timed_out { "timed out" } else { "transport failure" })]
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
    },

    /// The provider answered with an HTTP status the operation does not expect.
    #[error("{operation}: HTTP {status}: {body}")]
    Http {
        /// The operation.
        operation: Operation,
        /// The HTTP status code.
        status: u16,
        /// The start of the body, scrubbed.
        body: RedactedText,
    },

    /// The provider understood the request and said no.
    #[error("{operation}: declined: {decline}")]
    Declined {
        /// The operation.
        operation: Operation,
        /// The provider's code and messages.
        decline: Decline,
    },

    /// The answer could not be decoded (HTML error page, empty or truncated
    /// body, a missing field, JSON-in-string that is not JSON, an answer over
    /// the size limit).
    #[error("{operation}: undecodable response: {detail}; body: {raw}")]
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
    },

    /// Credentials were refused (wrong password, revoked client).
    #[error("{operation}: authentication failed: {message}")]
    Authentication {
        /// The operation.
        operation: Operation,
        /// The provider's message, scrubbed.
        message: String,
    },

    /// The client is misconfigured (bad base URL, missing production URL).
    #[error("configuration: {message}")]
    Configuration {
        /// What is wrong.
        message: String,
    },

    /// The provider answered success but echoed a different amount,
    /// currency or reference than the request carried.
    #[error(
        "{operation}: integrity mismatch on {field}: sent {expected}, provider answered {actual}"
    )]
    IntegrityMismatch {
        /// The operation.
        operation: Operation,
        /// Which field differs.
        field: Cow<'static, str>,
        /// What the request said.
        expected: String,
        /// What the provider said.
        actual: String,
    },
}

impl Error {
    /// Refused input: `field` is named as the caller knows it.
    pub fn invalid(field: impl Into<Cow<'static, str>>, reason: impl fmt::Display) -> Self {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.to_string(),
        }
    }

    /// Refused money input.
    pub fn invalid_money(field: impl Into<Cow<'static, str>>, error: &MoneyError) -> Self {
        Self::invalid(field, error)
    }

    /// A configuration error.
    pub fn configuration(message: impl fmt::Display) -> Self {
        Error::Configuration {
            message: message.to_string(),
        }
    }

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
            | Error::IntegrityMismatch { .. } => false,
        }
    }

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
            | Error::Configuration { .. } => true,
        }
    }

    /// The operation that failed, when one was under way.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::NotSent { operation, .. }
            | Error::OutcomeUnknown { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Http { operation, .. }
            | Error::Declined { operation, .. }
            | Error::UndecodableResponse { operation, .. }
            | Error::Authentication { operation, .. }
            | Error::IntegrityMismatch { operation, .. } => Some(*operation),
            Error::InvalidInput { .. } | Error::Configuration { .. } => None,
        }
    }

    /// A copy of this error for another caller: the same variant and texts,
    /// with each source kept as its (already scrubbed) text. Used where one
    /// failure answers several callers (a token fetch they all waited for).
    pub fn share(&self) -> Error {
        fn text(source: Option<&BoxError>) -> Option<BoxError> {
            source.map(|s| Box::new(SharedSource(s.to_string())) as BoxError)
        }
        match self {
            Error::InvalidInput { field, reason } => Error::InvalidInput {
                field: field.clone(),
                reason: reason.clone(),
            },
            Error::NotSent {
                operation,
                reason,
                source,
            } => Error::NotSent {
                operation: *operation,
                reason: reason.clone(),
                source: text(source.as_ref()),
            },
            Error::OutcomeUnknown {
                operation,
                reference,
                reason,
                source,
            } => Error::OutcomeUnknown {
                operation: *operation,
                reference: reference.clone(),
                reason: reason.clone(),
                source: text(source.as_ref()),
            },
            Error::Transport {
                operation,
                timed_out,
                reason,
                source,
            } => Error::Transport {
                operation: *operation,
                timed_out: *timed_out,
                reason: reason.clone(),
                source: text(source.as_ref()),
            },
            Error::Http {
                operation,
                status,
                body,
            } => Error::Http {
                operation: *operation,
                status: *status,
                body: body.clone(),
            },
            Error::Declined { operation, decline } => Error::Declined {
                operation: *operation,
                decline: decline.clone(),
            },
            Error::UndecodableResponse {
                operation,
                detail,
                raw,
                source,
            } => Error::UndecodableResponse {
                operation: *operation,
                detail: detail.clone(),
                raw: raw.clone(),
                source: text(source.as_ref()),
            },
            Error::Authentication { operation, message } => Error::Authentication {
                operation: *operation,
                message: message.clone(),
            },
            Error::Configuration { message } => Error::Configuration {
                message: message.clone(),
            },
            Error::IntegrityMismatch {
                operation,
                field,
                expected,
                actual,
            } => Error::IntegrityMismatch {
                operation: *operation,
                field: field.clone(),
                expected: expected.clone(),
                actual: actual.clone(),
            },
        }
    }

    /// The provider's decline, if this is one.
    pub fn decline(&self) -> Option<&Decline> {
        match self {
            Error::Declined { decline, .. } => Some(decline),
            _ => None,
        }
    }

    /// This error — a provider's answer to a money-moving call whose code the
    /// provider does not document as a refusal *before processing* — as
    /// what it means for the payment: [`Error::OutcomeUnknown`] for
    /// `reference`, because the request may have been processed. The answer
    /// is kept as the source, where [`Error::provider_decline`] reads it;
    /// `reason` says why it is not a decline.
    pub fn undocumented_refusal(
        self,
        reference: Option<String>,
        reason: impl fmt::Display,
    ) -> Error {
        Error::OutcomeUnknown {
            operation: self
                .operation()
                .unwrap_or(Operation::money_moving("unknown", "unknown")),
            reference,
            reason: reason.to_string(),
            source: Some(Box::new(self)),
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

/// Money that does not validate is refused input for the field `amount`.
/// Use [`Error::invalid_money`] to name another field.
impl From<MoneyError> for Error {
    fn from(error: MoneyError) -> Self {
        Error::invalid_money("amount", &error)
    }
}

/// HTTP statuses that say "try again later" without the request having been
/// processed by the provider's application (for reads; a money-moving call
/// turns them into [`Error::OutcomeUnknown`]).
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// A provider's "no", with its own words kept.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// What a decline means, whatever the provider's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
