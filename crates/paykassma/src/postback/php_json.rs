//! JSON written the way PHP's `json_encode($data, JSON_UNESCAPED_SLASHES |
//! JSON_UNESCAPED_UNICODE)` writes it: compact, `/` and non-ASCII as they
//! are, `"` `\` and control characters escaped (`\b \f \n \r \t`, others as
//! lowercase `\u00XX`), U+2028 and U+2029 escaped (PHP keeps them escaped
//! without `JSON_UNESCAPED_LINE_TERMINATORS`).
//!
//! [`recompact`] rewrites JSON *text*: whitespace between tokens is dropped,
//! strings are decoded and re-escaped as above, and numbers and literals are
//! kept exactly as written — an intermediary that only re-indented a body
//! must not change `500.50` into `500.5`. [`encode_document`] and [`encode`]
//! write what PHP's `json_encode(json_decode($text))` writes, numbers
//! included (PHP's default `serialize_precision = -1`):
//!
//! - an integer that fits PHP's `int` (64 bits) as itself (`-0` is `0`);
//! - any other number as a PHP float: the shortest digits that read back as
//!   the same double, in exponent form (`1.0e+25`, `1.5e-7`) when the decimal
//!   exponent is below -4 or above 16, as plain digits otherwise, with no
//!   `.0` on integral values (`1.0` is `1`, `1e16` is `10000000000000000`,
//!   `-0.0` is `-0`);
//! - a number no double can hold (`1e400`) is refused: PHP reads it as
//!   infinity, and `json_encode` refuses infinity.
//!
//! `cargo xtask php-json` checks all of this byte for byte against PHP itself.

use std::fmt::Write as _;

use payments_core::wire::MAX_DEPTH;

/// Why a text could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotJson(pub(crate) String);

/// Appends `text` as a PHP-escaped JSON string (quotes included).
pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// Exactly as in the text.
    AsWritten,
    /// As PHP writes the number it reads from the text.
    Php,
}

/// The compact PHP-style form of the JSON `text`, leaving out the members
/// named `skip_top_level` of the top-level object (the signature itself).
/// Numbers are kept as written.
pub(crate) fn recompact(text: &str, skip_top_level: Option<&str>) -> Result<String, NotJson> {
    rewrite(text, skip_top_level, Numbers::AsWritten)
}

/// What PHP's `json_encode(json_decode($text), JSON_UNESCAPED_SLASHES |
/// JSON_UNESCAPED_UNICODE)` writes for the JSON `text`: member order kept,
/// numbers as PHP writes them (see the module docs). A member name that
/// appears twice in one object is kept twice (PHP keeps the last value, in
/// the first one's place): PHP never writes such a document.
pub(crate) fn encode_document(text: &str) -> Result<String, NotJson> {
    rewrite(text, None, Numbers::Php)
}

/// What PHP's `json_encode` (with the flags above) writes for `value`, numbers
/// included. Objects are written in `value`'s member order. A serde_json
/// value holds no number past a double, so this cannot fail.
pub(crate) fn encode(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Writes `value` with an explicit stack, not recursion: a value built in
/// code may nest as deep as its builder likes.
fn write_value(out: &mut String, value: &serde_json::Value) {
    use serde_json::Value;
    /// An array or object being written, and whether a member was written.
    enum Open<'a> {
        Array(std::slice::Iter<'a, Value>, bool),
        Object(serde_json::map::Iter<'a>, bool),
    }
    let mut open: Vec<Open<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            match value {
                Value::Null => out.push_str("null"),
                Value::Bool(true) => out.push_str("true"),
                Value::Bool(false) => out.push_str("false"),
                // PHP's int where it fits, otherwise a double (a u64 past i64 too).
                Value::Number(number) => match (number.as_i64(), number.as_f64()) {
                    (Some(int), _) => {
                        let _ = write!(out, "{int}");
                    }
                    (None, Some(double)) => write_double(out, double),
                    (None, None) => out.push_str(&number.to_string()),
                },
                Value::String(text) => write_string(out, text),
                Value::Array(items) => {
                    out.push('[');
                    open.push(Open::Array(items.iter(), false));
                }
                Value::Object(members) => {
                    out.push('{');
                    open.push(Open::Object(members.iter(), false));
                }
            }
        }
        match open.last_mut() {
            None => return,
            Some(Open::Array(items, wrote)) => match items.next() {
                Some(item) => {
                    if std::mem::replace(wrote, true) {
                        out.push(',');
                    }
                    next = Some(item);
                }
                None => {
                    out.push(']');
                    open.pop();
                }
            },
            Some(Open::Object(members, wrote)) => match members.next() {
                Some((name, item)) => {
                    if std::mem::replace(wrote, true) {
                        out.push(',');
                    }
                    write_string(out, name);
                    out.push(':');
                    next = Some(item);
                }
                None => {
                    out.push('}');
                    open.pop();
                }
            },
        }
    }
}

/// Appends the JSON number `token` as PHP writes the number it reads from it.
fn write_number(out: &mut String, token: &str) -> Result<(), NotJson> {
    if !token.contains(['.', 'e', 'E'])
        && let Ok(int) = token.parse::<i64>()
    {
        let _ = write!(out, "{int}");
        return Ok(());
    }
    // A fraction, an exponent, or an integer past PHP's int: a double.
    match token.parse::<f64>() {
        Ok(double) if double.is_finite() => {
            write_double(out, double);
            Ok(())
        }
        _ => Err(NotJson(format!(
            "the number {} is out of a double's range",
            token.chars().take(32).collect::<String>()
        ))),
    }
}

/// Appends the finite `double` as PHP's `php_gcvt(double, 17, '.', 'e')`
/// with the shortest round-trip digits (`serialize_precision = -1`).
fn write_double(out: &mut String, double: f64) {
    if double.is_sign_negative() {
        out.push('-');
    }
    if double == 0.0 {
        out.push('0');
        return;
    }
    let (digits, exponent) = shortest_digits(double.abs());
    // PHP's `decpt`: the value is 0.DIGITS × 10^decpt.
    let decpt = exponent + 1;
    let (first, rest) = digits.split_at(1.min(digits.len()));
    if !(-3..=17).contains(&decpt) {
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        let _ = write!(
            out,
            "e{}{}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in decpt..0 {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let whole = usize::try_from(decpt).unwrap_or(0);
        if digits.len() > whole {
            let (integral, fraction) = digits.split_at(whole);
            out.push_str(integral);
            out.push('.');
            out.push_str(fraction);
        } else {
            out.push_str(&digits);
            for _ in digits.len()..whole {
                out.push('0');
            }
        }
    }
}

/// The shortest digits that read back as `double` (positive, finite) and
/// the decimal exponent of the first, as PHP's `zend_dtoa` mode 0 finds
/// them: where two candidates of that length are exactly as close to the
/// double, the one ending in an even digit (Rust's `{:e}` takes the upper).
fn shortest_digits(double: f64) -> (String, i32) {
    let split = |scientific: &str| -> (String, i32) {
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
        let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
        (digits, exponent.parse().unwrap_or(0))
    };
    // `{:e}` writes the shortest digits that read back as the same double,
    // as `d.ddde±x` (`1e20`, `1.5e-7`).
    let (digits, exponent) = split(&format!("{double:e}"));
    // A double's exact decimal expansion has at most 767 significant digits.
    let (exact, exact_exponent) = split(&format!("{double:.800e}"));
    let n = digits.len();
    let (Some(head), Some(tail)) = (exact.get(..n), exact.get(n..)) else {
        return (digits, exponent);
    };
    let tie = exact_exponent == exponent
        && tail.starts_with('5')
        && tail.bytes().skip(1).all(|b| b == b'0');
    if !tie || digits.bytes().last().is_some_and(|d| d % 2 == 0) {
        return (digits, exponent);
    }
    // Exactly half-way: the other candidate of the same length, `head` or
    // `head` + 1 in its last place, if it reads back as the same double.
    let other = if digits == head {
        increment(head)
    } else {
        Some(head.to_owned())
    };
    match other {
        Some(other)
            if other.len() == n
                && format!("{}.{}e{exponent}", &other[..1], &other[1..]).parse() == Ok(double) =>
        {
            (other, exponent)
        }
        _ => (digits, exponent),
    }
}

/// The decimal `digits` plus one in the last place, if no digit carries out.
fn increment(digits: &str) -> Option<String> {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

fn rewrite(text: &str, skip_top_level: Option<&str>, numbers: Numbers) -> Result<String, NotJson> {
    // Validate first, so the writer below can trust the structure.
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| NotJson(e.to_string()))?;
    let mut reader = Reader {
        text,
        pos: 0,
        numbers,
        depth: 0,
    };
    let mut out = String::with_capacity(text.len());
    reader.value(&mut out, skip_top_level)?;
    Ok(out)
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    numbers: Numbers,
    /// How many arrays and objects are open at the cursor.
    depth: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), NotJson> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(NotJson(format!(
                "expected `{}` at byte {}",
                byte as char, self.pos
            )))
        }
    }

    /// The raw string token at the cursor, quotes included.
    fn string_token(&mut self) -> Result<&str, NotJson> {
        self.skip_ws();
        let start = self.pos;
        let bytes = self.text.as_bytes();
        if bytes.get(start) != Some(&b'"') {
            return Err(NotJson(format!("expected a string at byte {start}")));
        }
        let mut i = start + 1;
        loop {
            match bytes.get(i) {
                Some(b'\\') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
                None => return Err(NotJson("unterminated string".to_owned())),
            }
        }
        self.pos = i + 1;
        self.text
            .get(start..=i)
            .ok_or_else(|| NotJson("string boundary".to_owned()))
    }

    fn string(&mut self) -> Result<String, NotJson> {
        let token = self.string_token()?;
        serde_json::from_str::<String>(token).map_err(|e| NotJson(e.to_string()))
    }

    fn value(&mut self, out: &mut String, skip: Option<&str>) -> Result<(), NotJson> {
        self.skip_ws();
        match self.peek() {
            Some(b'{' | b'[') => {
                // The reader recurses once per level: bounded before it does.
                if self.depth >= MAX_DEPTH {
                    return Err(NotJson(format!(
                        "nested deeper than {MAX_DEPTH} levels at byte {}",
                        self.pos
                    )));
                }
                self.depth += 1;
                let written = if self.peek() == Some(b'{') {
                    self.object(out, skip)
                } else {
                    self.array(out)
                };
                self.depth -= 1;
                written
            }
            Some(b'"') => {
                let s = self.string()?;
                write_string(out, &s);
                Ok(())
            }
            Some(_) => {
                // A number or a literal: copied exactly as written, or a
                // number written the PHP way.
                let rest = self.text.get(self.pos..).unwrap_or_default();
                let len = rest
                    .find([',', '}', ']', ' ', '\t', '\n', '\r'])
                    .unwrap_or(rest.len());
                let token = rest.get(..len).unwrap_or_default();
                self.pos += len;
                let number = token.starts_with(|c: char| c == '-' || c.is_ascii_digit());
                if number && self.numbers == Numbers::Php {
                    write_number(out, token)
                } else {
                    out.push_str(token);
                    Ok(())
                }
            }
            None => Err(NotJson("unexpected end".to_owned())),
        }
    }

    fn object(&mut self, out: &mut String, skip: Option<&str>) -> Result<(), NotJson> {
        self.expect(b'{')?;
        out.push('{');
        let mut first = true;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            out.push('}');
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            if skip == Some(key.as_str()) {
                // Still read the value, into nowhere.
                self.value(&mut String::new(), None)?;
            } else {
                if !first {
                    out.push(',');
                }
                first = false;
                write_string(out, &key);
                out.push(':');
                self.value(out, None)?;
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    out.push('}');
                    return Ok(());
                }
                _ => {
                    return Err(NotJson(format!(
                        "expected `,` or `}}` at byte {}",
                        self.pos
                    )));
                }
            }
        }
    }

    fn array(&mut self, out: &mut String) -> Result<(), NotJson> {
        self.expect(b'[')?;
        out.push('[');
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            out.push(']');
            return Ok(());
        }
        let mut first = true;
        loop {
            if !first {
                out.push(',');
            }
            first = false;
            self.value(out, None)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    out.push(']');
                    return Ok(());
                }
                _ => return Err(NotJson(format!("expected `,` or `]` at byte {}", self.pos))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_php_style_input_is_unchanged() {
        let text = r#"{"a":"https://x.example/p?q=1","b":"ဝေ့ပေး","c":[1,2.50,-3e2,true,null],"d":{"e":"x\"y\\z"}}"#;
        assert_eq!(recompact(text, None).unwrap(), text);
    }

    #[test]
    fn whitespace_goes_and_escapes_are_rewritten_the_php_way() {
        let pretty = "{\n  \"url\": \"https:\\/\\/x.example\\/p\",\n  \"name\": \"\\u1040\\u1041\",\n  \"n\": 500.50 ,\n  \"t\": \"a\\tb\\u0001\\u2028\"\n}";
        assert_eq!(
            recompact(pretty, None).unwrap(),
            "{\"url\":\"https://x.example/p\",\"name\":\"၀၁\",\"n\":500.50,\"t\":\"a\\tb\\u0001\\u2028\"}"
        );
    }

    #[test]
    fn a_top_level_member_can_be_left_out_but_not_a_nested_one() {
        let text = r#"{"signature":"abc","x":1,"nested":{"signature":"keep"},"y":2}"#;
        assert_eq!(
            recompact(text, Some("signature")).unwrap(),
            r#"{"x":1,"nested":{"signature":"keep"},"y":2}"#
        );
        assert_eq!(
            recompact(r#"{"x":1,"signature":"s"}"#, Some("signature")).unwrap(),
            r#"{"x":1}"#
        );
        assert_eq!(
            recompact(r#"{"signature":"s"}"#, Some("signature")).unwrap(),
            "{}"
        );
    }

    #[test]
    fn invalid_json_is_refused() {
        for bad in ["", "{", r#"{"a":}"#, "[1,]", "not json", r#"{"a":1}x"#] {
            assert!(recompact(bad, None).is_err(), "{bad:?}");
        }
    }

    /// Each pair: a document, and what PHP 8.2's `json_encode(json_decode(..))`
    /// wrote for it (`cargo xtask php-json` checks generated ones).
    const PHP_WROTE: &[(&str, &str)] = &[
        ("-0", "0"),
        ("-0.0", "-0"),
        ("0.0", "0"),
        ("1.0", "1"),
        ("500.50", "500.5"),
        ("1e15", "1000000000000000"),
        ("1e16", "10000000000000000"),
        ("1e17", "1.0e+17"),
        ("1e20", "1.0e+20"),
        ("9007199254740993", "9007199254740993"),
        ("9223372036854775807", "9223372036854775807"),
        ("9223372036854775808", "9.223372036854776e+18"),
        ("-9223372036854775809", "-9.223372036854776e+18"),
        ("18446744073709551616", "1.8446744073709552e+19"),
        ("0.0001", "0.0001"),
        ("0.00001", "1.0e-5"),
        ("-1e-7", "-1.0e-7"),
        ("1.5e-7", "1.5e-7"),
        ("1E2", "100"),
        ("2.5E+3", "2500"),
        ("123.456e5", "12345600"),
        ("0.1", "0.1"),
        ("1e-320", "1.0e-320"),
        ("5e-324", "5.0e-324"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        // Exactly half-way between two shortest candidates: the even one
        // (found by `cargo xtask php-json`, seed 1).
        ("2244424340127481.25", "2244424340127481.2"),
        ("2244424340127481.75", "2244424340127481.8"),
        ("1125899906842624.125", "1125899906842624"),
        (
            r#"[1, {"a" : [], "b": {}}, "\/\u00e9\ud83d\ude00\u2028"]"#,
            "[1,{\"a\":[],\"b\":{}},\"/é😀\\u2028\"]",
        ),
    ];

    #[test]
    fn documents_are_encoded_as_php_encodes_them() {
        for (document, php) in PHP_WROTE {
            assert_eq!(encode_document(document).unwrap(), *php, "{document}");
        }
    }

    #[test]
    fn parsed_values_are_encoded_as_php_encodes_them() {
        // serde_json reads `-0` as the double -0.0 (PHP: the integer 0).
        for (document, php) in PHP_WROTE.iter().filter(|(d, _)| *d != "-0") {
            let value: serde_json::Value = serde_json::from_str(document).unwrap();
            assert_eq!(encode(&value), *php, "{document}");
        }
    }

    #[test]
    fn nesting_past_the_limit_is_refused_without_recursing_into_it() {
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(recompact(&at_limit, None).unwrap(), at_limit);
        // 100,000 levels: recursing once per level would overflow the stack.
        for deep in [
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            format!(
                r#"{{"signature":"00","x":{}1{}}}"#,
                r#"{"a":"#.repeat(100_000),
                "}".repeat(100_000)
            ),
        ] {
            let refused = recompact(&deep, Some("signature")).unwrap_err();
            assert!(refused.0.contains("nested deeper than 128"), "{refused:?}");
            assert!(encode_document(&deep).is_err());
        }
    }

    #[test]
    fn values_built_in_code_are_written_at_any_depth() {
        let mut value = serde_json::json!(1);
        for _ in 0..100_000 {
            value = serde_json::Value::Array(vec![value]);
        }
        let written = encode(&value);
        // serde_json's own drop of this value recurses: take it apart by
        // hand before anything can panic and drop it.
        while let serde_json::Value::Array(mut items) = value {
            value = items.pop().unwrap_or_default();
        }
        let expected = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(written == expected, "{} bytes", written.len());
    }

    #[test]
    fn a_number_past_a_double_is_refused_as_php_refuses_it() {
        assert!(encode_document("[1e400]").is_err());
        assert!(encode_document("-1e400").is_err());
        // Kept as written where numbers are not rewritten.
        assert_eq!(recompact("[1e400]", None).unwrap(), "[1e400]");
    }
}
