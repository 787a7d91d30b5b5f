//! JSON written the way PHP's `json_encode($data, JSON_UNESCAPED_SLASHES |
//! JSON_UNESCAPED_UNICODE)` writes it: compact, `/` and non-ASCII as they
//! are, `"` `\` and control characters escaped (`\b \f \n \r \t`, others as
//! lowercase `\u00XX`), U+2028 and U+2029 escaped (PHP keeps them escaped
//! without `JSON_UNESCAPED_LINE_TERMINATORS`).
//!
//! [`recompact`] rewrites JSON *text*: whitespace between tokens is dropped,
//! strings are decoded and re-escaped as above, and numbers and literals are
//! kept exactly as written — an intermediary that only re-indented a body
//! must not change `500.50` into `500.5`.

use std::fmt::Write as _;

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

/// The compact PHP-style form of the JSON `text`, leaving out the members
/// named `skip_top_level` of the top-level object (the signature itself).
pub(crate) fn recompact(text: &str, skip_top_level: Option<&str>) -> Result<String, NotJson> {
    // Validate first, so the writer below can trust the structure.
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| NotJson(e.to_string()))?;
    let mut reader = Reader { text, pos: 0 };
    let mut out = String::with_capacity(text.len());
    reader.value(&mut out, skip_top_level)?;
    Ok(out)
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
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
            Some(b'{') => self.object(out, skip),
            Some(b'[') => self.array(out),
            Some(b'"') => {
                let s = self.string()?;
                write_string(out, &s);
                Ok(())
            }
            Some(_) => {
                // A number or a literal: copied exactly as written.
                let rest = self.text.get(self.pos..).unwrap_or_default();
                let len = rest
                    .find([',', '}', ']', ' ', '\t', '\n', '\r'])
                    .unwrap_or(rest.len());
                out.push_str(rest.get(..len).unwrap_or_default());
                self.pos += len;
                Ok(())
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
}
