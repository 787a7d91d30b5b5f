//! Exact decimal → wire rendering, and reading numbers back without loss.

use payments_core::wire::{
    DecimalStyle, JsonNumber, decimal_from_number_or_string,
    optional_decimal_from_number_or_string, render_decimal,
};
use payments_core::{Currency, Decimal, Money};

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

/// (decimal, normalized JSON number, fixed at 2 decimals)
const CASES: &[(&str, &str, &str)] = &[
    ("500", "500", "500.00"),
    ("500.50", "500.5", "500.50"),
    ("500.5", "500.5", "500.50"),
    ("0", "0", "0.00"),
    ("0.00", "0", "0.00"),
    ("0.1", "0.1", "0.10"),
    ("0.01", "0.01", "0.01"),
    ("0.13", "0.13", "0.13"),
    ("0.30", "0.3", "0.30"),
    ("1", "1", "1.00"),
    ("10", "10", "10.00"),
    ("100.000", "100", "100.00"),
    ("1500", "1500", "1500.00"),
    ("6000", "6000", "6000.00"),
    ("12.5", "12.5", "12.50"),
    ("99.99", "99.99", "99.99"),
    ("1234567.89", "1234567.89", "1234567.89"),
    (
        "9007199254740993",
        "9007199254740993",
        "9007199254740993.00",
    ),
    (
        "9007199254740993.01",
        "9007199254740993.01",
        "9007199254740993.01",
    ),
    ("0.000001", "0.000001", "0.000001"),
    ("1e0", "1", "1.00"),
    ("-0", "0", "0.00"),
    (
        "79228162514264337593543950335",
        "79228162514264337593543950335",
        "79228162514264337593543950335",
    ),
    ("1.005", "1.005", "1.005"),
];

#[test]
fn decimals_render_exactly_in_both_styles() {
    for (input, normalized, fixed) in CASES {
        let value = input
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(input))
            .unwrap();
        assert_eq!(
            render_decimal(value, DecimalStyle::Normalized),
            *normalized,
            "{input} normalized"
        );
        assert_eq!(
            render_decimal(value, DecimalStyle::Fixed(2)),
            *fixed,
            "{input} fixed(2)"
        );
    }
    assert!(CASES.len() >= 20);
}

#[test]
fn json_numbers_are_written_verbatim_never_through_f64() {
    #[derive(serde::Serialize)]
    struct Body {
        amount: JsonNumber,
    }
    for (input, normalized, _) in CASES {
        let value = input
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(input))
            .unwrap();
        let body = Body {
            amount: JsonNumber::new(value, DecimalStyle::Normalized),
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            format!(r#"{{"amount":{normalized}}}"#),
            "{input}"
        );
    }
    // 0.1 + 0.2 in decimal is 0.3 on the wire, not 0.30000000000000004.
    let sum = dec("0.1") + dec("0.2");
    assert_eq!(
        JsonNumber::new(sum, DecimalStyle::Normalized).as_str(),
        "0.3"
    );
}

#[test]
fn money_renders_at_its_currency_scale_or_shortest() {
    let kyat = Money::parse("500", Currency::MMK).unwrap();
    assert_eq!(kyat.to_json_number().as_str(), "500");
    assert_eq!(kyat.to_scaled_string(), "500.00");
    let dinar = Money::parse("2.5", Currency::KWD).unwrap();
    assert_eq!(dinar.to_scaled_string(), "2.500");
    assert_eq!(dinar.to_wire_string(DecimalStyle::Normalized), "2.5");
    let yen = Money::parse("1500", Currency::JPY).unwrap();
    assert_eq!(yen.to_scaled_string(), "1500");
}

#[test]
fn fixed_style_never_drops_digits() {
    assert_eq!(
        render_decimal(dec("1.005"), DecimalStyle::Fixed(2)),
        "1.005"
    );
}

#[derive(serde::Deserialize)]
struct Amount {
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    amount: Decimal,
}

#[derive(serde::Deserialize)]
struct MaybeAmount {
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    amount: Option<Decimal>,
}

#[test]
fn amounts_are_read_exactly_from_numbers_and_strings() {
    for (json, expected) in [
        (r#"{"amount":6000}"#, "6000"),
        (r#"{"amount":0.13}"#, "0.13"),
        (r#"{"amount":500.5}"#, "500.5"),
        (r#"{"amount":1234567.89}"#, "1234567.89"),
        (r#"{"amount":"1500.00"}"#, "1500.00"),
        (r#"{"amount":" 12.5 "}"#, "12.5"),
        (r#"{"amount":-3}"#, "-3"),
        (r#"{"amount":18446744073709551615}"#, "18446744073709551615"),
    ] {
        let parsed: Amount = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.amount, dec(expected), "{json}");
    }
    for json in [
        r#"{"amount":"12,5"}"#,
        r#"{"amount":true}"#,
        r#"{"amount":"abc"}"#,
        r#"{"amount":null}"#,
    ] {
        assert!(serde_json::from_str::<Amount>(json).is_err(), "{json}");
    }
}

#[test]
fn optional_amounts_accept_null_and_absence() {
    assert_eq!(
        serde_json::from_str::<MaybeAmount>(r#"{}"#).unwrap().amount,
        None
    );
    assert_eq!(
        serde_json::from_str::<MaybeAmount>(r#"{"amount":null}"#)
            .unwrap()
            .amount,
        None
    );
    assert_eq!(
        serde_json::from_str::<MaybeAmount>(r#"{"amount":"7.10"}"#)
            .unwrap()
            .amount,
        Some(dec("7.10"))
    );
}

/// An amount in JSON text is read from its digits as written, however
/// long. From a `serde_json::Value`, whose numbers are doubles already, it is
/// read as the double nearest to what was written (the workspace builds
/// serde_json with `float_roundtrip`: its default parser can be one double
/// off on long numbers; `cargo xtask php-json` found `2244424340127481.75`
/// read as `2244424340127481.5`), and a number with more than 15 significant
/// digits is refused there: two texts of one length can read as one double,
/// and which was written is lost.
#[test]
fn long_json_floats_are_read_as_written_and_from_a_value_as_the_nearest_double() {
    #[derive(serde::Deserialize)]
    struct Amount {
        #[serde(deserialize_with = "decimal_from_number_or_string")]
        amount: Decimal,
    }
    let from_text = |text: &str| {
        serde_json::from_str::<Amount>(&format!(r#"{{"amount":{text}}}"#))
            .map(|a| a.amount.to_string())
            .map_err(|e| e.to_string())
    };
    let from_value = |text: &str| {
        let value: serde_json::Value =
            serde_json::from_str(&format!(r#"{{"amount":{text}}}"#)).unwrap();
        serde_json::from_value::<Amount>(value)
            .map(|a| a.amount.to_string())
            .map_err(|e| e.to_string())
    };
    for text in [
        "2244424340127481.75",
        "0.30000000000000004",
        "718033974354117.2",
    ] {
        assert_eq!(from_text(text).as_deref(), Ok(text));
        // Rust's own parser is correctly rounded.
        let nearest: f64 = text.parse().unwrap();
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value.as_f64(), Some(nearest), "{text}");
        let refused = from_value(text).unwrap_err();
        assert!(
            refused.contains("more than 15 significant digits"),
            "{text}: {refused}"
        );
    }
    assert_eq!(from_value("123456789012.345").unwrap(), "123456789012.345");
    // From 2^53 on, a double stands for many numbers: refused, not guessed.
    for text in [
        "9007199254740993.5",
        "9007199254740992",
        "100000000000000000001",
    ] {
        assert_eq!(from_text(text).as_deref(), Ok(text));
        let refused = from_value(text);
        if text == "9007199254740992" {
            assert_eq!(
                refused.as_deref(),
                Ok(text),
                "an integer up to u64 is read exactly"
            );
        } else {
            let refused = refused.unwrap_err();
            assert!(
                refused.contains("too large to be read exactly"),
                "{text}: {refused}"
            );
        }
    }
}
