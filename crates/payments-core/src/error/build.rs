//! How provider crates build and carry errors. These constructors and
//! transformations (but `Error::invalid` and `Error::invalid_money`, which
//! a merchant uses for its own refused input too) are public for the
//! provider crates of this workspace
//! (and for anyone writing another): they are hidden from [`Error`]'s
//! documentation page, whose surface is what a merchant reads and calls.
//!
//! - configuration: `Error::configuration`;
//! - a provider's answer: `Error::declined`, `Error::mismatch` (an
//!   [`Error::IntegrityMismatch`]), `Error::terms_mismatch` (an
//!   [`Error::TermsMismatch`]);
//! - a money-moving call's answer that proves nothing:
//!   `Error::undocumented_refusal`, `Error::into_outcome_unknown`;
//! - carrying an error: `Error::with_diagnostics`, `Error::scrubbed`
//!   (every error a provider crate returns passes its client's scrubber),
//!   `Error::share` (one failure answering several callers).

use std::borrow::Cow;
use std::fmt;

use super::{BoxError, Decline, Diagnostics, Error, Mismatched, SharedSource};
use crate::money::{Money, MoneyError};
use crate::operation::Operation;

impl Error {
    /// Refused input, nothing sent: `field` is named as the caller knows
    /// it. A service uses it for its own refusals (a missing field), so
    /// that they reach its frontend in the same shape as the SDK's.
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
    #[doc(hidden)]
    pub fn configuration(message: impl fmt::Display) -> Self {
        Error::Configuration {
            message: message.to_string(),
        }
    }

    /// The provider's "no" to `operation` (no diagnostics yet: see
    /// [`Error::with_diagnostics`]).
    #[doc(hidden)]
    pub fn declined(operation: Operation, decline: Decline) -> Self {
        Error::Declined {
            operation,
            decline: Box::new(decline),
            diagnostics: None,
        }
    }

    /// The provider answered `operation` on other terms than asked: `field`
    /// (as the provider names it) was `expected`, the answer says `actual`.
    #[doc(hidden)]
    pub fn mismatch(
        operation: Operation,
        field: &'static str,
        expected: impl Into<Mismatched>,
        actual: impl Into<Mismatched>,
    ) -> Self {
        Error::IntegrityMismatch {
            operation,
            field,
            expected: Box::new(expected.into()),
            actual: Box::new(actual.into()),
            diagnostics: None,
        }
    }

    /// What the customer presented (read by `operation`) is for `actual`,
    /// the order for `expected`, and nothing moved:
    /// [`Error::TermsMismatch`] on `field`.
    #[doc(hidden)]
    pub fn terms_mismatch(
        operation: Operation,
        field: &'static str,
        expected: Money,
        actual: Money,
    ) -> Self {
        Error::TermsMismatch {
            operation,
            field,
            expected: Box::new(expected),
            actual: Box::new(actual),
            diagnostics: None,
        }
    }

    /// A copy of this error for another caller: the same variant, texts and
    /// diagnostics, with each source kept as its (already scrubbed) text.
    /// Used where one failure answers several callers (a token fetch they
    /// all waited for).
    #[doc(hidden)]
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
                diagnostics,
            } => Error::NotSent {
                operation: *operation,
                reason: reason.clone(),
                source: text(source.as_ref()),
                diagnostics: diagnostics.clone(),
            },
            Error::OutcomeUnknown {
                operation,
                reference,
                reason,
                source,
                diagnostics,
            } => Error::OutcomeUnknown {
                operation: *operation,
                reference: reference.clone(),
                reason: reason.clone(),
                source: text(source.as_ref()),
                diagnostics: diagnostics.clone(),
            },
            Error::Transport {
                operation,
                timed_out,
                reason,
                source,
                diagnostics,
            } => Error::Transport {
                operation: *operation,
                timed_out: *timed_out,
                reason: reason.clone(),
                source: text(source.as_ref()),
                diagnostics: diagnostics.clone(),
            },
            Error::Http {
                operation,
                status,
                body,
                diagnostics,
            } => Error::Http {
                operation: *operation,
                status: *status,
                body: body.clone(),
                diagnostics: diagnostics.clone(),
            },
            Error::Declined {
                operation,
                decline,
                diagnostics,
            } => Error::Declined {
                operation: *operation,
                decline: decline.clone(),
                diagnostics: diagnostics.clone(),
            },
            Error::UndecodableResponse {
                operation,
                detail,
                raw,
                source,
                diagnostics,
            } => Error::UndecodableResponse {
                operation: *operation,
                detail: detail.clone(),
                raw: raw.clone(),
                source: text(source.as_ref()),
                diagnostics: diagnostics.clone(),
            },
            Error::Authentication {
                operation,
                message,
                diagnostics,
            } => Error::Authentication {
                operation: *operation,
                message: message.clone(),
                diagnostics: diagnostics.clone(),
            },
            Error::Configuration { message } => Error::Configuration {
                message: message.clone(),
            },
            Error::IntegrityMismatch {
                operation,
                field,
                expected,
                actual,
                diagnostics,
            } => Error::IntegrityMismatch {
                operation: *operation,
                field,
                expected: expected.clone(),
                actual: actual.clone(),
                diagnostics: diagnostics.clone(),
            },
            Error::TermsMismatch {
                operation,
                field,
                expected,
                actual,
                diagnostics,
            } => Error::TermsMismatch {
                operation: *operation,
                field,
                expected: expected.clone(),
                actual: actual.clone(),
                diagnostics: diagnostics.clone(),
            },
        }
    }

    /// This error with every text it carries — a provider's decline code and
    /// messages, reasons, details, echoed values, its sources' texts —
    /// scrubbed of every secret `scrubber` knows. Provider crates pass every
    /// error they return through their client's scrubber: a provider's
    /// message may quote the request (`?secret=…`), and whatever an error
    /// holds reaches logs and the journal.
    #[must_use]
    #[doc(hidden)]
    pub fn scrubbed(self, scrubber: &crate::secret::Scrubber) -> Error {
        let clean = |text: String| {
            if scrubber.finds_secret(&text) {
                scrubber.scrub(&text)
            } else {
                text
            }
        };
        let source = |source: Option<BoxError>| -> Option<BoxError> {
            let source = source?;
            Some(match source.downcast::<Error>() {
                Ok(error) => Box::new(error.scrubbed(scrubber)),
                Err(other) => {
                    let text = other.to_string();
                    if scrubber.finds_secret(&text) {
                        Box::new(SharedSource(scrubber.scrub(&text)))
                    } else {
                        other
                    }
                }
            })
        };
        match self {
            Error::InvalidInput { field, reason } => Error::InvalidInput {
                field,
                reason: clean(reason),
            },
            Error::NotSent {
                operation,
                reason,
                source: cause,
                diagnostics,
            } => Error::NotSent {
                operation,
                reason: clean(reason),
                source: source(cause),
                diagnostics,
            },
            Error::OutcomeUnknown {
                operation,
                reference,
                reason,
                source: cause,
                diagnostics,
            } => Error::OutcomeUnknown {
                operation,
                reference,
                reason: clean(reason),
                source: source(cause),
                diagnostics,
            },
            Error::Transport {
                operation,
                timed_out,
                reason,
                source: cause,
                diagnostics,
            } => Error::Transport {
                operation,
                timed_out,
                reason: clean(reason),
                source: source(cause),
                diagnostics,
            },
            Error::Http {
                operation,
                status,
                body,
                diagnostics,
            } => Error::Http {
                operation,
                status,
                body: body.rescrubbed(scrubber),
                diagnostics,
            },
            Error::Declined {
                operation,
                decline,
                diagnostics,
            } => {
                let Decline {
                    code,
                    kind,
                    message,
                    user_message,
                } = *decline;
                Error::Declined {
                    operation,
                    decline: Box::new(Decline {
                        code: clean(code),
                        kind,
                        message: clean(message),
                        user_message: user_message.map(clean),
                    }),
                    diagnostics,
                }
            }
            Error::UndecodableResponse {
                operation,
                detail,
                raw,
                source: cause,
                diagnostics,
            } => Error::UndecodableResponse {
                operation,
                detail: clean(detail),
                raw: raw.rescrubbed(scrubber),
                source: source(cause),
                diagnostics,
            },
            Error::Authentication {
                operation,
                message,
                diagnostics,
            } => Error::Authentication {
                operation,
                message: clean(message),
                diagnostics,
            },
            Error::Configuration { message } => Error::Configuration {
                message: clean(message),
            },
            Error::IntegrityMismatch {
                operation,
                field,
                expected,
                actual,
                diagnostics,
            } => {
                let clean = |value: Box<Mismatched>| match *value {
                    Mismatched::Text(text) => Box::new(Mismatched::Text(clean(text))),
                    money => Box::new(money),
                };
                Error::IntegrityMismatch {
                    operation,
                    field,
                    expected: clean(expected),
                    actual: clean(actual),
                    diagnostics,
                }
            }
            terms @ Error::TermsMismatch { .. } => terms,
        }
    }

    /// This error with what `diagnostics` knows and it does not: what the
    /// error already names is kept (the innermost account is the most
    /// exact). [`Error::InvalidInput`] and [`Error::Configuration`] are
    /// returned as they are.
    #[must_use]
    #[doc(hidden)]
    pub fn with_diagnostics(mut self, diagnostics: &Diagnostics) -> Error {
        let mut extra = diagnostics.clone();
        match &mut self {
            Error::OutcomeUnknown { reference, .. } => {
                // The variant's own field holds (and prints) the reference.
                if reference.is_none() {
                    *reference = extra.reference.take();
                } else {
                    extra.reference = None;
                }
            }
            // The variant's own field holds (and prints) the status.
            Error::Http { .. } => extra.http_status = None,
            _ => {}
        }
        if let Some(slot) = self.diagnostics_slot()
            && !extra.is_empty()
        {
            slot.get_or_insert_with(Box::default).fill(extra);
        }
        self
    }

    /// This error — a provider's answer to a money-moving call whose code the
    /// provider does not document as a refusal *before processing* — as
    /// what it means for the payment: [`Error::OutcomeUnknown`] for
    /// `reference`, because the request may have been processed. The answer
    /// is kept as the source, where [`Error::provider_decline`] reads it;
    /// `reason` says why it is not a decline.
    #[doc(hidden)]
    pub fn undocumented_refusal(
        self,
        reference: Option<String>,
        reason: impl fmt::Display,
    ) -> Error {
        self.into_outcome_unknown(reference, reason)
    }

    /// This error, from a money-moving call that may have been processed
    /// whatever it says, as [`Error::OutcomeUnknown`] for `reference`: kept
    /// as the source, its diagnostics carried over; `reason` says why the
    /// outcome is unknown. (For a provider's undocumented refusal, say so
    /// with [`Error::undocumented_refusal`].)
    #[doc(hidden)]
    pub fn into_outcome_unknown(
        self,
        reference: Option<String>,
        reason: impl fmt::Display,
    ) -> Error {
        let diagnostics = self.stored_diagnostics().cloned();
        Error::OutcomeUnknown {
            operation: self
                .operation()
                .unwrap_or(Operation::money_moving("unknown", "unknown")),
            reference,
            reason: reason.to_string(),
            source: Some(Box::new(self)),
            diagnostics: None,
        }
        .with_diagnostics(&diagnostics.unwrap_or_default())
    }
}
