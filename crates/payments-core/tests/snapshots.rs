//! Snapshots of what the core puts in front of people: error texts and the
//! serialized forms of money.

use payments_core::secret::{Scrubber, SecretString};
use payments_core::{Currency, Decline, DeclineKind, Error, Money, Operation};

#[test]
fn error_messages() {
    let scrubber = Scrubber::new().with(&SecretString::from("hunter2"));
    let cash_out = Operation::money_moving("jawali", "cash_out");
    let inquiry = Operation::read("jawali", "inquiry");
    let errors = vec![
        Error::invalid("voucher", "must not be empty"),
        Error::NotSent {
            operation: cash_out,
            reason: "tcp connect error: Connection refused".into(),
            source: None,
            diagnostics: None,
        },
        Error::OutcomeUnknown {
            operation: cash_out,
            reference: Some("order-1".into()),
            reason: "no answer within 30s".into(),
            source: None,
            diagnostics: None,
        },
        Error::Transport {
            operation: inquiry,
            timed_out: true,
            reason: "operation timed out".into(),
            source: None,
            diagnostics: None,
        },
        Error::Http {
            operation: inquiry,
            status: 404,
            body: scrubber.excerpt(b"Not Found: secret=hunter2"),
            diagnostics: None,
        },
        Error::Declined {
            operation: cash_out,
            decline: Box::new(
                Decline::new("-1", DeclineKind::Expired, "Voucher is expired")
                    .with_user_message("القسيمة منتهية"),
            ),
            diagnostics: None,
        },
        Error::UndecodableResponse {
            operation: inquiry,
            detail: "an HTML or XML page instead of JSON".into(),
            raw: scrubber.excerpt(b"<html><body>Bad Gateway</body></html>"),
            source: None,
            diagnostics: None,
        },
        Error::Authentication {
            operation: Operation::authentication("jawali", "login"),
            message: "Bad credentials".into(),
            diagnostics: None,
        },
        Error::configuration("base URL `http://example.com` uses plain http"),
        Error::IntegrityMismatch {
            operation: cash_out,
            field: "amount",
            expected: Box::new("1500.00 YER".into()),
            actual: Box::new("150.00 YER".into()),
            diagnostics: None,
        },
    ];
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_json_snapshot!(texts);
}

#[test]
fn money_serialization() {
    let values = vec![
        Money::parse("1500", Currency::YER).unwrap(),
        Money::parse("500.5", Currency::MMK).unwrap(),
        Money::parse("0.13", Currency::TRY).unwrap(),
        Money::parse("2.125", Currency::KWD).unwrap(),
        Money::parse("7", Currency::JPY).unwrap(),
    ];
    insta::assert_json_snapshot!(values);
}
