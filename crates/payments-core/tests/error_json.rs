//! Errors as a service returns them: a stable code per variant, and JSON
//! with the code, the message, what is known, the reference to settle by,
//! the decline and the diagnostics.

use payments_core::secret::RedactedText;
use payments_core::{
    Currency, Decline, DeclineKind, Diagnostics, Error, Mismatched, Money, Operation,
};
use serde_json::json;

const CASH_OUT: Operation = Operation::money_moving("jawali", "cash_out");
const INQUIRY: Operation = Operation::read("jawali", "inquiry");

fn every_variant() -> Vec<Error> {
    vec![
        Error::invalid("voucher", "empty"),
        Error::NotSent {
            operation: CASH_OUT,
            reason: "connection refused".into(),
            source: None,
            diagnostics: None,
        },
        Error::OutcomeUnknown {
            operation: CASH_OUT,
            reference: Some("ref-1".into()),
            reason: "timed out".into(),
            source: None,
            diagnostics: None,
        },
        Error::Transport {
            operation: INQUIRY,
            timed_out: true,
            reason: "slow".into(),
            source: None,
            diagnostics: None,
        },
        Error::Http {
            operation: INQUIRY,
            status: 503,
            body: RedactedText::from_static("busy"),
            diagnostics: None,
        },
        Error::declined(
            CASH_OUT,
            Decline::new("311", DeclineKind::InsufficientFunds, "no funds"),
        ),
        Error::UndecodableResponse {
            operation: INQUIRY,
            detail: "not JSON".into(),
            raw: RedactedText::from_static("<html>"),
            source: None,
            diagnostics: None,
        },
        Error::Authentication {
            operation: Operation::authentication("jawali", "login"),
            message: "bad password".into(),
            diagnostics: None,
        },
        Error::configuration("no base URL"),
        Error::mismatch(CASH_OUT, "amount", yer("1500"), yer("1400")),
        Error::terms_mismatch(INQUIRY, "amount", yer("1500"), yer("1000")),
    ]
}

fn yer(amount: &str) -> Money {
    Money::parse(amount, Currency::YER).unwrap()
}

#[test]
fn every_variant_has_its_own_listed_code() {
    let codes: Vec<&str> = every_variant().iter().map(Error::code).collect();
    assert_eq!(codes, Error::CODES);
}

#[test]
fn an_unknown_outcome_serializes_with_what_settles_it() {
    let error = Error::OutcomeUnknown {
        operation: CASH_OUT,
        reference: Some("ref-1".into()),
        reason: "timed out".into(),
        source: None,
        diagnostics: Some(Box::new(
            Diagnostics::new()
                .with_correlation_id("corr-9")
                .with_http_status(504),
        )),
    };
    assert_eq!(
        serde_json::to_value(&error).unwrap(),
        json!({
            "code": "outcome_unknown",
            "message": error.to_string(),
            "outcome_known": false,
            "retryable": false,
            "operation": "jawali.cash_out",
            "reference": "ref-1",
            "field": null,
            "expected": null,
            "actual": null,
            "decline": null,
            "diagnostics": {"correlation_id": "corr-9", "reference": "ref-1", "http_status": 504},
        })
    );
}

#[test]
fn a_decline_serializes_with_its_kind_by_name() {
    let error = Error::declined(
        CASH_OUT,
        Decline::new("311", DeclineKind::InsufficientFunds, "no funds"),
    );
    let json = serde_json::to_value(&error).unwrap();
    assert_eq!(json["code"], "declined");
    assert_eq!(
        json["decline"],
        json!({"code": "311", "kind": "insufficient_funds", "message": "no funds", "user_message": null})
    );
    assert_eq!(json["outcome_known"], true);
    assert_eq!(
        DeclineKind::InsufficientFunds.to_string(),
        "insufficient_funds"
    );
    assert_eq!(
        serde_json::to_value(DeclineKind::AlreadyUsed).unwrap(),
        json!("already_used")
    );
}

#[test]
fn refused_input_and_mismatches_name_their_field() {
    let json = serde_json::to_value(Error::invalid("voucher", "empty")).unwrap();
    assert_eq!(
        (json["code"].as_str(), json["field"].as_str()),
        (Some("invalid_input"), Some("voucher"))
    );
    let json = serde_json::to_value(Error::mismatch(
        CASH_OUT,
        "amount",
        "1500.00 YER",
        "1400.00 YER",
    ))
    .unwrap();
    assert_eq!(
        (json["code"].as_str(), json["field"].as_str()),
        (Some("integrity_mismatch"), Some("amount"))
    );
}

#[test]
fn mismatches_carry_money_and_say_whether_anything_moved() {
    let moved = Error::mismatch(CASH_OUT, "amount", yer("1500"), yer("1400"));
    let json = serde_json::to_value(&moved).unwrap();
    assert_eq!(json["code"], "integrity_mismatch");
    assert_eq!(json["outcome_known"], false, "money moved: for a person");
    assert_eq!(
        json["expected"],
        json!({"amount": "1500.00", "currency": "YER"})
    );
    assert_eq!(
        json["actual"],
        json!({"amount": "1400.00", "currency": "YER"})
    );
    let Error::IntegrityMismatch { actual, .. } = &moved else {
        panic!("{moved:?}")
    };
    assert_eq!(actual.money(), Some(yer("1400")));
    assert_eq!(Mismatched::from("refId-9").money(), None);

    let presented = Error::terms_mismatch(INQUIRY, "amount", yer("1500"), yer("1000"));
    let json = serde_json::to_value(&presented).unwrap();
    assert_eq!(json["code"], "terms_mismatch");
    assert_eq!(json["outcome_known"], true, "nothing moved");
    assert_eq!(json["field"], "amount");
    assert_eq!(
        json["actual"],
        json!({"amount": "1000.00", "currency": "YER"})
    );
    assert_eq!(
        presented.to_string(),
        "jawali.inquiry: the amount presented is 1000.00 YER, the order is for 1500.00 YER; nothing was paid"
    );
}
