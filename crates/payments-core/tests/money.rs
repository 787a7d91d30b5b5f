//! Money: precision per currency exponent, sign, arithmetic, serde.

use payments_core::{Currency, Decimal, Money, MoneyError};

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

#[test]
fn exponent_zero_currency_refuses_any_fraction() {
    assert_eq!(Currency::JPY.exponent(), 0);
    assert!(Money::parse("1500", Currency::JPY).is_ok());
    assert!(
        Money::parse("1500.0", Currency::JPY).is_ok(),
        "a zero fraction is not precision"
    );
    assert!(matches!(
        Money::parse("1500.5", Currency::JPY),
        Err(MoneyError::TooPrecise { exponent: 0, .. })
    ));
}

#[test]
fn exponent_two_currencies_accept_cents_and_refuse_mills() {
    for currency in [
        Currency::YER,
        Currency::MMK,
        Currency::TRY,
        Currency::KZT,
        Currency::USD,
        Currency::EUR,
        Currency::SAR,
        Currency::PKR,
        Currency::INR,
        Currency::BDT,
    ] {
        assert_eq!(currency.exponent(), 2, "{currency}");
        assert!(Money::parse("0.01", currency).is_ok(), "{currency}");
        assert!(
            Money::parse("12.340", currency).is_ok(),
            "{currency}: trailing zero"
        );
        assert!(
            matches!(
                Money::parse("0.001", currency),
                Err(MoneyError::TooPrecise { exponent: 2, .. })
            ),
            "{currency}"
        );
    }
}

#[test]
fn exponent_three_currency_accepts_mills_and_refuses_more() {
    assert_eq!(Currency::KWD.exponent(), 3);
    assert_eq!(
        Money::parse("1.005", Currency::KWD).unwrap().to_string(),
        "1.005 KWD"
    );
    assert!(matches!(
        Money::parse("1.0005", Currency::KWD),
        Err(MoneyError::TooPrecise { exponent: 3, .. })
    ));
}

#[test]
fn negative_amounts_are_refused_and_zero_is_not_positive() {
    assert!(matches!(
        Money::parse("-0.01", Currency::YER),
        Err(MoneyError::Negative(_))
    ));
    assert!(Money::parse("-0", Currency::YER).unwrap().is_zero());
    // A negative zero, at the currency's scale or another, is a plain zero.
    for scale in [0, 2, 3] {
        let mut negative_zero = Decimal::new(0, scale);
        negative_zero.set_sign_negative(true);
        let zero = Money::new(negative_zero, Currency::YER).unwrap();
        assert_eq!(zero.to_string(), "0.00 YER", "scale {scale}");
        assert!(!zero.amount().is_sign_negative(), "scale {scale}");
    }
    assert_eq!(
        Money::zero(Currency::YER).require_positive(),
        Err(MoneyError::NotPositive)
    );
    assert!(
        Money::parse("0.01", Currency::YER)
            .unwrap()
            .require_positive()
            .is_ok()
    );
}

#[test]
fn text_that_is_not_a_plain_decimal_is_refused() {
    for text in ["", "abc", "1e3", "1,5", "NaN", "0x10", "1.2.3"] {
        assert!(
            matches!(
                Money::parse(text, Currency::USD),
                Err(MoneyError::NotANumber(_))
            ),
            "{text:?}"
        );
    }
}

#[test]
fn amounts_are_scaled_to_the_currency() {
    let money = Money::new(dec("1500.5"), Currency::YER).unwrap();
    assert_eq!(money.amount().to_string(), "1500.50");
    assert_eq!(money.minor_units(), 150_050);
    assert_eq!(
        Money::from_minor_units(150_050, Currency::YER).unwrap(),
        money
    );
    assert_eq!(
        Money::from_minor_units(7, Currency::JPY)
            .unwrap()
            .to_string(),
        "7 JPY"
    );
    assert_eq!(
        Money::from_minor_units(7, Currency::KWD)
            .unwrap()
            .to_string(),
        "0.007 KWD"
    );
}

#[test]
fn currency_lookup_by_alpha_and_numeric_code() {
    assert_eq!(Currency::from_code("YER"), Some(Currency::YER));
    assert_eq!(Currency::from_numeric(886), Some(Currency::YER));
    assert_eq!(Currency::from_numeric(949), Some(Currency::TRY));
    assert_eq!(Currency::from_code("yer"), None, "codes are upper case");
    assert!(matches!(
        "XXX".parse::<Currency>(),
        Err(MoneyError::UnknownCurrency(_))
    ));
}

#[test]
fn arithmetic_is_checked_and_refuses_mixed_currencies() {
    let a = Money::parse("10.25", Currency::TRY).unwrap();
    let b = Money::parse("0.75", Currency::TRY).unwrap();
    assert_eq!(
        a.checked_add(b).unwrap(),
        Money::parse("11", Currency::TRY).unwrap()
    );
    assert_eq!(
        a.checked_sub(b).unwrap(),
        Money::parse("9.50", Currency::TRY).unwrap()
    );
    assert_eq!(
        b.checked_sub(a),
        Err(MoneyError::Overflow),
        "money is never negative"
    );
    let other = Money::parse("1", Currency::KZT).unwrap();
    assert!(matches!(
        a.checked_add(other),
        Err(MoneyError::CurrencyMismatch { .. })
    ));
    let max = Money::new(Decimal::MAX, Currency::JPY).unwrap();
    assert_eq!(
        max.checked_add(Money::parse("1", Currency::JPY).unwrap()),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn serde_writes_the_amount_as_a_string_and_validates_on_read() {
    let money = Money::parse("1500.5", Currency::YER).unwrap();
    let json = serde_json::to_string(&money).unwrap();
    assert_eq!(json, r#"{"amount":"1500.50","currency":"YER"}"#);
    assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
    // Numbers are read too, exactly.
    assert_eq!(
        serde_json::from_str::<Money>(r#"{"amount":1500.5,"currency":"YER"}"#).unwrap(),
        money
    );
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1.001","currency":"YER"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"-1","currency":"YER"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"ZZZ"}"#).is_err());
}
