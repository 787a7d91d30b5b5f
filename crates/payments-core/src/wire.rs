//! Writing and reading amounts on the wire without binary floats.
//!
//! Providers disagree on how an amount looks in JSON: some want a number
//! (`500`, `500.5`), some a string with the currency's scale (`"500.50"`).
//! Everything here works from the [`Decimal`] digits, so `0.1 + 0.2` is
//! never `0.30000000000000004` on the wire.
//!
//! **Never route a wire body through `serde_json::Value`:** a [`JsonNumber`]
//! written into a `Value` becomes an `f64`. Serialize wire structs straight
//! to bytes with `serde_json::to_vec`.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::money::Money;

mod one_pass;
mod strict;

use one_pass::raw_text;
pub use one_pass::{from_json, from_json_str, from_json_str_seed};
pub use strict::{MAX_DEPTH, StrictJsonError, check_json};

/// How a decimal is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalStyle {
    /// Shortest exact form: trailing fractional zeros removed (`500`, `500.5`, `0.13`).
    Normalized,
    /// Exactly this many fractional digits (`500.50` with 2, `500` with 0).
    ///
    /// Digits beyond the scale are never silently dropped: see [`render_decimal`].
    Fixed(u32),
}

/// Renders `value` in `style`: plain digits, `.` as separator, no exponent, no
/// sign for zero.
///
/// With [`DecimalStyle::Fixed`], a value with more fractional digits than the
/// scale is written with all its digits rather than rounded: a wrong-looking
/// amount is better than a silently different one. [`Money`] never has more
/// digits than its currency's exponent, so this does not happen for money
/// rendered at its currency's scale.
pub fn render_decimal(value: Decimal, style: DecimalStyle) -> String {
    let mut value = value.normalize();
    if let DecimalStyle::Fixed(scale) = style
        && value.scale() < scale
    {
        value.rescale(scale);
    }
    value.to_string()
}

impl Money {
    /// The amount as wire text in `style` (`Normalized` → `"500.5"`, `Fixed(2)` → `"500.50"`).
    pub fn to_wire_string(&self, style: DecimalStyle) -> String {
        render_decimal(self.amount(), style)
    }

    /// The amount as wire text with exactly the currency's number of decimals (`"500.50"`).
    pub fn to_scaled_string(&self) -> String {
        render_decimal(
            self.amount(),
            DecimalStyle::Fixed(u32::from(self.currency().exponent())),
        )
    }

    /// The amount as a JSON number with the shortest exact digits (`500`, `500.5`).
    pub fn to_json_number(&self) -> JsonNumber {
        JsonNumber::new(self.amount(), DecimalStyle::Normalized)
    }
}

/// A JSON number written verbatim from decimal digits.
///
/// Use it as the type of a wire field that the provider reads as a number:
///
/// ```
/// use payments_core::wire::{DecimalStyle, JsonNumber};
/// use rust_decimal::Decimal;
///
/// #[derive(serde::Serialize)]
/// struct Activate { amount: JsonNumber }
///
/// let body = Activate { amount: JsonNumber::new(Decimal::new(50050, 2), DecimalStyle::Normalized) };
/// assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"amount":500.5}"#);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JsonNumber(String);

impl JsonNumber {
    /// The number `value`, written in `style`.
    pub fn new(value: Decimal, style: DecimalStyle) -> Self {
        JsonNumber(render_decimal(value, style))
    }

    /// The digits as they go on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for JsonNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for JsonNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for JsonNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A raw value is written by serde_json exactly as given: no f64 in between.
        let raw = RawValue::from_string(self.0.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// `deserialize_with` helper: a decimal from a JSON number or a string.
///
/// Read from the text as written, never through an `f64`: a JSON number's
/// digits (an exponent applied exactly), or a string's decimal. A number
/// no [`Decimal`] holds exactly (more than 28 significant digits) is refused,
/// never rounded. From a `serde_json::Value` (whose numbers are doubles
/// already) or a reader's copy of the text, a number is read only where its
/// text and its double agree: at most 15 significant digits, no integer
/// past 2^53. From a value serde buffered (`flatten`, `untagged`) or one of
/// serde's in-memory deserializers, whose text is lost, strings and
/// integers are read and a number with a fraction is refused.
///
/// ```
/// use payments_core::Decimal;
///
/// #[derive(serde::Deserialize)]
/// struct Answer {
///     #[serde(deserialize_with = "payments_core::wire::decimal_from_number_or_string")]
///     amount: Decimal,
/// }
/// let read = |text: &str| payments_core::wire::from_json_str::<Answer>(text).map(|a| a.amount);
/// assert_eq!(read(r#"{"amount":0.10000000000000000555}"#).unwrap().to_string(), "0.10000000000000000555");
/// assert_eq!(read(r#"{"amount":"500.50"}"#).unwrap().to_string(), "500.50");
/// assert_eq!(read(r#"{"amount":125e-2}"#).unwrap().to_string(), "1.25");
/// assert!(read(r#"{"amount":1.00000000000000000000000000001}"#).is_err());
/// ```
///
/// # Errors
///
/// A deserialization error for anything that is not a finite decimal.
pub fn decimal_from_number_or_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Decimal, D::Error> {
    raw_text(deserializer, decimal_from_json_text, DecimalVisitor)
}

/// A decimal from the JSON text of a number, or of a string holding one.
fn decimal_from_json_text(text: &str) -> Result<Decimal, String> {
    if text.starts_with('"') {
        let inner: std::borrow::Cow<'_, str> =
            serde_json::from_str(text).map_err(|e| e.to_string())?;
        return DecimalVisitor
            .visit_str::<serde_json::Error>(&inner)
            .map_err(|e| e.to_string());
    }
    if !text.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
        return Err(format!("`{}` is not a decimal", Excerpt(text)));
    }
    let too_long = || {
        format!(
            "the number {} has more digits than a decimal holds exactly: not read",
            Excerpt(text)
        )
    };
    let Some(e) = text.find(['e', 'E']) else {
        return Decimal::from_str_exact(text).map_err(|_| too_long());
    };
    // `digits × 10^exponent`, scaled exactly or refused.
    let (digits, exponent) = (
        text.get(..e).unwrap_or_default(),
        text.get(e + 1..).unwrap_or_default(),
    );
    let digits = Decimal::from_str_exact(digits).map_err(|_| too_long())?;
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    if digits.is_zero() && !exponent.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let exponent: i32 = exponent.parse().map_err(|_| too_long())?;
    let mut mantissa = digits.mantissa();
    let mut scale = i64::from(digits.scale()) - i64::from(exponent);
    // Trailing zeros give way before the scale is refused (`100e-30`).
    while scale > 28 && mantissa != 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if scale >= 0 {
        let scale = u32::try_from(scale).map_err(|_| too_long())?;
        Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| too_long())
    } else {
        let power = u32::try_from(-scale).map_err(|_| too_long())?;
        10_i128
            .checked_pow(power)
            .and_then(|power| mantissa.checked_mul(power))
            .and_then(|mantissa| Decimal::try_from_i128_with_scale(mantissa, 0).ok())
            .ok_or_else(too_long)
    }
}

/// `deserialize_with` helper for an optional decimal (`null` or absent is `None`).
///
/// # Errors
///
/// As [`decimal_from_number_or_string`].
pub fn optional_decimal_from_number_or_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    deserializer.deserialize_option(OptionalDecimalVisitor)
}

/// 2^53: every integer below it is a double of its own.
#[allow(clippy::cast_precision_loss)]
const EXACT_INTEGERS: f64 = (1_u64 << 53) as f64;

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or a string holding one")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom("not a finite number"));
        }
        // Past 2^53 a double stands for many integers (an integer past
        // `u64` arrives here too, already rounded): not read as an amount.
        if v.abs() >= EXACT_INTEGERS {
            return Err(E::custom(format_args!(
                "the number {v:e} is too large to be read exactly"
            )));
        }
        // The shortest text that round-trips (zmij's, as serde_json writes
        // doubles; `Display`'s where zmij chose exponent notation, which
        // `Display` never does), without an integer's `.0`.
        let mut shortest = zmij::Buffer::new();
        let text = match shortest.format_finite(v) {
            text if text.contains(['e', 'E']) => std::borrow::Cow::Owned(v.to_string()),
            text => std::borrow::Cow::Borrowed(text.strip_suffix(".0").unwrap_or(text)),
        };
        let decimal = Decimal::from_str_exact(&text).map_err(E::custom)?;
        // Up to 15 significant digits a double stands for one decimal of
        // that length. From 16 on, two texts of the same length can read as
        // one double (`718033974354117.2` and `…117.3`): which was written
        // is lost, so the amount is not read.
        let significant = u64::try_from(decimal.normalize().mantissa().unsigned_abs())
            .map_or(u32::MAX, |mantissa| {
                mantissa.checked_ilog10().map_or(0, |log| log + 1)
            });
        if significant > 15 {
            return Err(E::custom(format_args!(
                "the number {text} has more than 15 significant digits, which a double cannot carry exactly: send it as a string"
            )));
        }
        Ok(decimal)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        Decimal::from_str_exact(v.trim())
            .map_err(|_| E::custom(format_args!("`{}` is not a decimal", Excerpt(v))))
    }
}

struct OptionalDecimalVisitor;

impl<'de> Visitor<'de> for OptionalDecimalVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null, a decimal number or a string holding one")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        decimal_from_number_or_string(d).map(Some)
    }
}

/// At most 40 characters of provider text, for error messages.
struct Excerpt<'a>(&'a str);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        let head: String = chars.by_ref().take(40).collect();
        f.write_str(&head)?;
        if chars.next().is_some() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// `deserialize_with` helper: an identifier that arrives as a string or as
/// an integer, kept as text. Integers are read exactly up to `u64`/`i64`;
/// longer digit strings must arrive as strings to be kept exactly. A number
/// with a fraction or an exponent is refused: serde_json hands it over as a
/// double, not as written.
///
/// # Errors
///
/// A deserialization error for anything but a string, a boolean or an
/// integer up to 64 bits.
pub fn string_from_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    deserializer.deserialize_any(IdVisitor)
}

/// `deserialize_with` helper: as [`string_from_string_or_number`], borrowing
/// the text from the input where it can (a string without escapes).
///
/// # Errors
///
/// A deserialization error for anything but a string or a number.
pub fn cow_from_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<std::borrow::Cow<'de, str>, D::Error> {
    struct BorrowedId;
    impl<'de> Visitor<'de> for BorrowedId {
        type Value = std::borrow::Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(std::borrow::Cow::Borrowed(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            IdVisitor.visit_str(v).map(std::borrow::Cow::Owned)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            IdVisitor.visit_i64(v).map(std::borrow::Cow::Owned)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            IdVisitor.visit_u64(v).map(std::borrow::Cow::Owned)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            IdVisitor.visit_f64(v).map(std::borrow::Cow::Owned)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            IdVisitor.visit_bool(v).map(std::borrow::Cow::Owned)
        }
    }
    deserializer.deserialize_any(BorrowedId)
}

/// `deserialize_with` helper: as [`string_from_string_or_number`], with
/// `null`, absence and the empty string as `None`.
///
/// # Errors
///
/// A deserialization error for anything but a string, a number or `null`.
pub fn optional_string_from_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    struct OptionalId;
    impl<'de> Visitor<'de> for OptionalId {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("null, a string or a number")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            string_from_string_or_number(d).map(|s| (!s.is_empty()).then_some(s))
        }
    }
    deserializer.deserialize_option(OptionalId)
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // serde_json hands over a number with a fraction or an exponent, and
        // an integer past `u64`, as a double: not the text that was written
        // (`9.0000000000000001` would be `9`, `1e-400` `0`), so not an
        // identifier or a status code to believe.
        Err(E::custom(format_args!(
            "the identifier {v:e} is not an integer up to 64 bits; expected a string or an integer"
        )))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Money read from a provider's answer. An amount that is not valid money
/// for its currency (negative, more decimals than the currency has) makes
/// the answer undecodable, naming the field.
///
/// # Errors
///
/// [`Error::UndecodableResponse`](crate::Error::UndecodableResponse).
pub fn money_in_answer(
    operation: crate::Operation,
    field: &str,
    amount: Decimal,
    currency: crate::Currency,
) -> Result<Money, crate::Error> {
    Money::new(amount, currency).map_err(|e| crate::Error::UndecodableResponse {
        operation,
        detail: format!("{field}: {e}"),
        raw: crate::secret::RedactedText::from_static(""),
        source: Some(Box::new(e)),
        diagnostics: None,
    })
}

#[cfg(test)]
mod tests {
    use serde::de::Visitor;

    use super::*;

    fn read(v: f64) -> Result<Decimal, serde_json::Error> {
        DecimalVisitor.visit_f64::<serde_json::Error>(v)
    }

    /// The decimal read from a double is the one `Display` writes — the
    /// text the reader used before zmij — for amounts, fractions and the
    /// doubles zmij writes with an exponent.
    #[test]
    fn a_double_reads_as_its_shortest_display_text() {
        let mut rng = fastrand::Rng::with_seed(20_261_204);
        let mut doubles: Vec<f64> = vec![
            0.13,
            0.1300,
            796.0,
            1e-7,
            1.5e-9,
            123_456_789.25,
            5e15,
            0.0,
            -2.5,
        ];
        doubles.extend((0..20_000).map(|_| {
            let cents = rng.i64(-10_000_000_000..10_000_000_000);
            cents as f64 / 100.0
        }));
        doubles.extend((0..20_000).map(|_| rng.f64() * 10f64.powi(rng.i32(-12..15))));
        for v in doubles {
            let by_display = Decimal::from_str_exact(&v.to_string());
            match (read(v), by_display) {
                (Ok(read), Ok(display)) => {
                    assert_eq!(read, display, "{v:e}");
                    assert_eq!(read.scale(), display.scale(), "{v:e}");
                }
                (Err(_), _) => {}
                (Ok(read), Err(e)) => panic!("{v:e} read as {read}, Display's text refused: {e}"),
            }
        }
    }
}
