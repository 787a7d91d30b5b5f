//! Error classification: for every variant, may the same call be repeated,
//! and is it known whether money moved?

use std::borrow::Cow;

use payments_core::secret::Scrubber;
use payments_core::{Decline, DeclineKind, Error, Operation};

const INQUIRY: Operation = Operation::read("jawali", "inquiry");
const CASH_OUT: Operation = Operation::money_moving("jawali", "cash_out");
const LOGIN: Operation = Operation::authentication("jawali", "login");

fn excerpt(text: &str) -> payments_core::secret::RedactedText {
    Scrubber::new().excerpt(text.as_bytes())
}

/// (error, is_retryable, outcome_known)
fn table() -> Vec<(Error, bool, bool)> {
    vec![
        (Error::invalid("voucher", "must not be empty"), false, true),
        (
            Error::NotSent {
                operation: CASH_OUT,
                reason: "connection refused".into(),
                source: None,
            },
            true,
            true,
        ),
        (
            Error::OutcomeUnknown {
                operation: CASH_OUT,
                reference: Some("ref-1".into()),
                reason: "timed out".into(),
                source: None,
            },
            false,
            false,
        ),
        (
            Error::Transport {
                operation: INQUIRY,
                timed_out: true,
                reason: "timed out".into(),
                source: None,
            },
            true,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 503,
                body: excerpt("busy"),
            },
            true,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 429,
                body: excerpt("slow down"),
            },
            true,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 404,
                body: excerpt("no"),
            },
            false,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 500,
                body: excerpt("bug"),
            },
            false,
            true,
        ),
        (
            Error::Http {
                operation: CASH_OUT,
                status: 503,
                body: excerpt("busy"),
            },
            false,
            true,
        ),
        (
            Error::Declined {
                operation: CASH_OUT,
                decline: Decline::new("-1", DeclineKind::InsufficientFunds, "no funds"),
            },
            false,
            true,
        ),
        (
            Error::UndecodableResponse {
                operation: INQUIRY,
                detail: "html".into(),
                raw: excerpt("<html>"),
                source: None,
            },
            false,
            true,
        ),
        (
            Error::UndecodableResponse {
                operation: CASH_OUT,
                detail: "html".into(),
                raw: excerpt("<html>"),
                source: None,
            },
            false,
            false,
        ),
        (
            Error::Authentication {
                operation: LOGIN,
                message: "bad credentials".into(),
            },
            false,
            true,
        ),
        (Error::configuration("no base URL"), false, true),
        (
            Error::IntegrityMismatch {
                operation: INQUIRY,
                field: Cow::Borrowed("amount"),
                expected: "1500.00 YER".into(),
                actual: "15.00 YER".into(),
            },
            false,
            true,
        ),
        (
            Error::IntegrityMismatch {
                operation: CASH_OUT,
                field: Cow::Borrowed("amount"),
                expected: "1500.00 YER".into(),
                actual: "15.00 YER".into(),
            },
            false,
            false,
        ),
    ]
}

#[test]
fn every_variant_is_classified() {
    for (error, retryable, known) in table() {
        assert_eq!(error.is_retryable(), retryable, "is_retryable of {error:?}");
        assert_eq!(error.outcome_known(), known, "outcome_known of {error:?}");
    }
}

#[test]
fn an_unknown_outcome_says_so_and_names_the_reference() {
    let error = Error::OutcomeUnknown {
        operation: CASH_OUT,
        reference: Some("ref-1".into()),
        reason: "timed out".into(),
        source: None,
    };
    assert_eq!(
        error.to_string(),
        "jawali.cash_out: outcome unknown for reference ref-1: timed out; the request may have been processed, look it up before retrying"
    );
    assert_eq!(error.operation(), Some(CASH_OUT));
}

#[test]
fn declines_keep_code_message_and_user_message() {
    let decline = Decline::new("-1", DeclineKind::Expired, "Voucher expired")
        .with_user_message("انتهت صلاحية القسيمة");
    let error = Error::Declined {
        operation: CASH_OUT,
        decline: decline.clone(),
    };
    assert_eq!(error.decline(), Some(&decline));
    assert_eq!(
        error.to_string(),
        "jawali.cash_out: declined: [-1] Voucher expired (انتهت صلاحية القسيمة)"
    );
    assert_eq!(Error::invalid("x", "y").decline(), None);
}

#[test]
fn invalid_input_names_the_field_and_says_nothing_was_sent() {
    let error = Error::invalid("voucher", "must not be empty");
    assert_eq!(
        error.to_string(),
        "invalid voucher: must not be empty (nothing was sent)"
    );
    assert_eq!(error.operation(), None);
}

#[test]
fn error_sources_are_kept() {
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    let error = Error::NotSent {
        operation: INQUIRY,
        reason: "refused".into(),
        source: Some(Box::new(io)),
    };
    let source = std::error::Error::source(&error).expect("source kept");
    assert_eq!(source.to_string(), "refused");
}
