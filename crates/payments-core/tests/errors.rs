//! Error classification: for every variant, may the same call be repeated,
//! and is it known whether money moved?

use payments_core::secret::Scrubber;
use payments_core::{Decline, DeclineKind, Diagnostics, Error, Operation};

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
                diagnostics: None,
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
                diagnostics: None,
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
                diagnostics: None,
            },
            true,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 503,
                body: excerpt("busy"),
                diagnostics: None,
            },
            true,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 429,
                body: excerpt("slow down"),
                diagnostics: None,
            },
            true,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 404,
                body: excerpt("no"),
                diagnostics: None,
            },
            false,
            true,
        ),
        (
            Error::Http {
                operation: INQUIRY,
                status: 500,
                body: excerpt("bug"),
                diagnostics: None,
            },
            false,
            true,
        ),
        (
            Error::Http {
                operation: CASH_OUT,
                status: 503,
                body: excerpt("busy"),
                diagnostics: None,
            },
            false,
            true,
        ),
        (
            Error::Declined {
                operation: CASH_OUT,
                decline: Box::new(Decline::new(
                    "-1",
                    DeclineKind::InsufficientFunds,
                    "no funds",
                )),
                diagnostics: None,
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
                diagnostics: None,
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
                diagnostics: None,
            },
            false,
            false,
        ),
        (
            Error::Authentication {
                operation: LOGIN,
                message: "bad credentials".into(),
                diagnostics: None,
            },
            false,
            true,
        ),
        (Error::configuration("no base URL"), false, true),
        (
            Error::IntegrityMismatch {
                operation: INQUIRY,
                field: "amount",
                expected: Box::new("1500.00 YER".into()),
                actual: Box::new("15.00 YER".into()),
                diagnostics: None,
            },
            false,
            true,
        ),
        (
            Error::IntegrityMismatch {
                operation: CASH_OUT,
                field: "amount",
                expected: Box::new("1500.00 YER".into()),
                actual: Box::new("15.00 YER".into()),
                diagnostics: None,
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
        diagnostics: None,
    };
    assert_eq!(
        error.to_string(),
        "jawali.cash_out: outcome unknown for reference ref-1: timed out; the request may have been processed: settle it by its reference before paying again"
    );
    assert_eq!(error.operation(), Some(CASH_OUT));
}

#[test]
fn declines_keep_code_message_and_user_message() {
    let decline = Decline::new("-1", DeclineKind::Expired, "Voucher expired")
        .with_user_message("انتهت صلاحية القسيمة");
    let error = Error::Declined {
        operation: CASH_OUT,
        decline: Box::new(decline.clone()),
        diagnostics: None,
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
        diagnostics: None,
    };
    let source = std::error::Error::source(&error).expect("source kept");
    assert_eq!(source.to_string(), "refused");
}

fn declined() -> Error {
    Error::Declined {
        operation: CASH_OUT,
        decline: Box::new(Decline::new("-1", DeclineKind::Other, "system error")),
        diagnostics: None,
    }
}

#[test]
fn diagnostics_fill_what_an_error_does_not_know_and_keep_what_it_does() {
    let inner = Diagnostics::new()
        .with_correlation_id("corr-2")
        .with_http_status(200);
    let outer = Diagnostics::new()
        .with_correlation_id("corr-1")
        .with_reference("ref-1")
        .with_http_status(502);
    let error = declined().with_diagnostics(&inner).with_diagnostics(&outer);
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.correlation_id.as_deref(), Some("corr-2"));
    assert_eq!(diagnostics.http_status, Some(200));
    assert_eq!(diagnostics.reference.as_deref(), Some("ref-1"));
    assert_eq!(
        error.to_string(),
        "jawali.cash_out: declined: [-1] system error [reference ref-1, correlation id corr-2, HTTP 200]"
    );
    // Shared copies keep them.
    assert_eq!(error.share().diagnostics(), diagnostics);
    // Nothing was sent: nothing to name.
    let invalid = Error::invalid("voucher", "empty").with_diagnostics(&outer);
    assert!(invalid.diagnostics().is_empty());
    assert_eq!(invalid.reference(), None);
}

#[test]
fn an_unknown_outcome_holds_its_reference_once_and_an_http_error_its_status() {
    let unknown = Error::OutcomeUnknown {
        operation: CASH_OUT,
        reference: None,
        reason: "timed out".into(),
        source: None,
        diagnostics: None,
    }
    .with_diagnostics(
        &Diagnostics::new()
            .with_reference("ref-1")
            .with_correlation_id("c-1"),
    );
    assert!(
        matches!(&unknown, Error::OutcomeUnknown { reference: Some(r), .. } if r == "ref-1"),
        "{unknown:?}"
    );
    assert_eq!(
        unknown.to_string(),
        "jawali.cash_out: outcome unknown for reference ref-1: timed out; the request may have been processed: settle it by its reference before paying again [correlation id c-1]"
    );
    let http = Error::Http {
        operation: INQUIRY,
        status: 503,
        body: excerpt("busy"),
        diagnostics: None,
    }
    .with_diagnostics(&Diagnostics::new().with_http_status(200));
    assert_eq!(http.diagnostics().http_status, Some(503));
    assert_eq!(http.to_string(), "jawali.inquiry: HTTP 503: busy");
}

/// An error page reads as its status and a short text: tags stripped,
/// whitespace collapsed, at most 100 characters; the whole (scrubbed)
/// excerpt stays in the error's body.
#[test]
fn an_http_error_shows_a_short_tag_stripped_excerpt() {
    let page = "<html><head><title>503 Service Unavailable</title></head>\n<body><h1>Service\n   Unavailable</h1><p>Try later.</p></body></html>";
    let http = Error::Http {
        operation: INQUIRY,
        status: 503,
        body: excerpt(page),
        diagnostics: None,
    };
    assert_eq!(
        http.to_string(),
        "jawali.inquiry: HTTP 503: 503 Service Unavailable Service Unavailable Try later."
    );
    let long = format!("<p>{}</p>", "x".repeat(300));
    let http = Error::Http {
        operation: INQUIRY,
        status: 502,
        body: excerpt(&long),
        diagnostics: None,
    };
    let shown = http.to_string();
    assert!(shown.ends_with(&format!("{}…", "x".repeat(100))), "{shown}");
    let Error::Http { body, .. } = &http else {
        unreachable!()
    };
    assert!(body.as_str().contains(&"x".repeat(300)));
    let empty = Error::Http {
        operation: INQUIRY,
        status: 500,
        body: excerpt("<html></html>"),
        diagnostics: None,
    };
    assert_eq!(empty.to_string(), "jawali.inquiry: HTTP 500: (no text)");
}

/// Deadlines read rounded: never `3.999965002s`.
#[test]
fn deadlines_read_rounded() {
    let op = payments_core::Operation::money_moving("jawali", "commit");
    let reference = payments_core::MerchantReference::new(
        "ref-1",
        &payments_core::reference::ReferenceRules {
            field: "ref",
            max_len: 10,
            charset: payments_core::reference::Charset::AlphanumericDashUnderscore,
        },
    )
    .unwrap();
    let late = payments_core::gateway::deadline_passed(
        op,
        &reference,
        std::time::Duration::from_nanos(3_999_965_002),
    );
    assert!(
        late.to_string().contains("deadline of 4.0 s passed"),
        "{late}"
    );
    let early =
        payments_core::gateway::deadline_before_commit(op, std::time::Duration::from_millis(250));
    assert!(
        early.to_string().contains("deadline of 250 ms passed"),
        "{early}"
    );
}

#[test]
fn a_decline_read_as_an_unknown_outcome_keeps_its_diagnostics() {
    let error = declined()
        .with_diagnostics(
            &Diagnostics::new()
                .with_correlation_id("corr-5")
                .with_http_status(200),
        )
        .undocumented_refusal(Some("ref-5".into()), "not a documented refusal");
    assert!(matches!(error, Error::OutcomeUnknown { .. }));
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.correlation_id.as_deref(), Some("corr-5"));
    assert_eq!(diagnostics.http_status, Some(200));
    assert_eq!(error.reference(), Some("ref-5"));
}
