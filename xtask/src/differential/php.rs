//! `cargo xtask php-json`: PHP's `json_encode` against Paykassma's.
//!
//! For each generated document (nested objects and arrays, every escape
//! class, U+2028/U+2029, astral characters written raw or as surrogate
//! pairs, `/` and `\/`, integers at and past 2^53 and 2^63, floats of every
//! magnitude and exponent form, `-0.0`, empty containers, whitespace
//! between tokens):
//!
//! 1. PHP's `json_encode(json_decode($d))` and the crate's encoding of the
//!    document (`php_encode_document`) are byte-identical, or both refuse;
//! 2. PHP's encoding of serde_json's writing of the parsed value and the
//!    crate's encoding of that value (`php_encode`, what
//!    `PostbackSigner::sign_flat` signs) are byte-identical;
//! 3. PHP's output is a fixed point of the crate's verification form
//!    (`php_recompact`).
//!
//! Every fourth document is a postback: PHP signs it as Paykassma does, in
//! the flat and the batch layout, compact and pretty-printed; each body
//! verifies with the crate, and the same body with one byte of its signed
//! data changed does not.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paykassma::payments_core::SecretString;
use paykassma::postback::{PostbackError, PostbackKeys, PostbackVerifier};

use super::{Chars, Result, ensure_command, keep, options, pipe};

pub(crate) fn run(root: &Path, args: &[String]) -> Result {
    let (documents, seed) = options(args, "--documents", 2_000)?;
    ensure_command("php", "php-cli")?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let access = random_text(&mut rng, 12);
    let private = random_text(&mut rng, 24);
    let keys = PostbackKeys::new(
        SecretString::from(access.clone()),
        SecretString::from(private.clone()),
    );
    let verifier = PostbackVerifier::new(keys);

    // Every task, then one PHP process for all of them.
    let mut tasks = Vec::new();
    for i in 0..documents {
        let mut generator = Generator::new(&mut rng);
        if i % 4 == 3 {
            let text = generator.postback();
            let layout = if rng.bool() { 'F' } else { 'B' };
            tasks.push(Task::Postback(text, layout));
        } else {
            let text = generator.document();
            tasks.push(Task::Document(text.clone()));
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                tasks.push(Task::Value(value));
            }
        }
    }
    let mut input = String::new();
    for task in &tasks {
        match task {
            Task::Document(text) => writeln!(input, "D {}", B64.encode(text)),
            Task::Value(value) => writeln!(input, "D {}", B64.encode(value.to_string())),
            Task::Postback(text, layout) => writeln!(
                input,
                "{layout} {} {} {}",
                B64.encode(text),
                B64.encode(&access),
                B64.encode(&private)
            ),
        }
        .map_err(|e| e.to_string())?;
    }
    let output = pipe(
        Command::new("php")
            .args(["-d", "display_errors=stderr"])
            .arg(root.join("xtask/php_json.php")),
        input.as_bytes(),
    )?;
    let output = String::from_utf8(output).map_err(|e| e.to_string())?;
    let answers: Vec<&str> = output.lines().collect();
    if answers.len() != tasks.len() {
        return Err(format!(
            "PHP answered {} of {} tasks",
            answers.len(),
            tasks.len()
        ));
    }

    let mut counts = Counts::default();
    for (n, (task, answer)) in tasks.iter().zip(&answers).enumerate() {
        let php = if let Some(code) = answer.strip_prefix('!') {
            Err(code.to_owned())
        } else {
            let (first, _) = answer.split_once(' ').unwrap_or((answer, ""));
            Ok(decode(first)?)
        };
        let report = |what: &str, input: &str, crate_wrote: &str, php: &str| {
            let file = keep(root, &format!("php-json-{seed}-{n}.json"), input.as_bytes());
            format!(
                "{what} differs (seed {seed}, task {n}, input in {file}):\n  PHP:   {php}\n  crate: {crate_wrote}"
            )
        };
        match task {
            Task::Document(text) => {
                let ours = paykassma::codec::php_encode_document(text);
                match (&php, &ours) {
                    (Ok(php), Ok(ours)) if php == ours => counts.documents += 1,
                    (Err(_), Err(_)) => counts.refused += 1,
                    _ => {
                        return Err(report(
                            "json_encode(json_decode(document))",
                            text,
                            &format!("{ours:?}"),
                            &format!("{php:?}"),
                        ));
                    }
                }
                if let Ok(php) = &php {
                    let again = paykassma::codec::php_recompact(php, None);
                    if again.as_deref() != Ok(php.as_str()) {
                        return Err(report(
                            "the verification form of PHP's output",
                            php,
                            &format!("{again:?}"),
                            php,
                        ));
                    }
                }
            }
            Task::Value(value) => {
                let ours = paykassma::codec::php_encode(value);
                match &php {
                    Ok(php) if *php == ours => counts.values += 1,
                    _ => {
                        return Err(report(
                            "json_encode of the parsed value",
                            &value.to_string(),
                            &format!("{ours:?}"),
                            &format!("{php:?}"),
                        ));
                    }
                }
            }
            Task::Postback(..) => {
                if php.is_err() {
                    // PHP cannot write it (a number it reads as infinity):
                    // Paykassma could not send it either.
                    counts.refused += 1;
                    continue;
                }
                let (compact, pretty) = answer
                    .split_once(' ')
                    .ok_or_else(|| format!("PHP wrote one body for postback {n}"))?;
                for body in [decode(compact)?, decode(pretty)?] {
                    match verifier.verify(body.as_bytes()) {
                        Ok(verified) if !verified.transactions.is_empty() => {}
                        other => {
                            return Err(report(
                                "a postback PHP signed",
                                &body,
                                &format!("{other:?}"),
                                "signed",
                            ));
                        }
                    }
                    let tampered = tamper(&body);
                    match verifier.verify(tampered.as_bytes()) {
                        Err(PostbackError::BadSignature | PostbackError::Malformed(_)) => {}
                        other => {
                            return Err(report(
                                "a postback with one byte changed",
                                &tampered,
                                &format!("{other:?}"),
                                "refused",
                            ));
                        }
                    }
                    counts.postbacks += 1;
                }
            }
        }
    }
    println!(
        "php-json: {} documents byte-identical to PHP ({} refused by both), {} parsed values byte-identical, {} PHP-signed postback bodies verified and refused with one byte changed (seed {seed})",
        counts.documents, counts.refused, counts.values, counts.postbacks
    );
    Ok(())
}

enum Task {
    Document(String),
    Value(serde_json::Value),
    Postback(String, char),
}

#[derive(Default)]
struct Counts {
    documents: usize,
    refused: usize,
    values: usize,
    postbacks: usize,
}

fn decode(b64: &str) -> std::result::Result<String, String> {
    let bytes = B64.decode(b64).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// `body` with one byte of its signed data changed: the first `status`
/// member's name written `Status` (signed in both layouts); without one,
/// the byte after the opening brace.
fn tamper(body: &str) -> String {
    let at = body.find("\"status\":").map_or(1, |at| at + 1);
    let mut out = body.to_owned();
    out.replace_range(at..=at, "S");
    out
}

fn random_text(rng: &mut fastrand::Rng, len: usize) -> String {
    (0..len).map(|_| Chars::any(rng)).collect()
}

/// Writes random JSON text, choosing among the ways to write each token.
struct Generator<'r> {
    rng: &'r mut fastrand::Rng,
    out: String,
}

impl<'r> Generator<'r> {
    fn new(rng: &'r mut fastrand::Rng) -> Self {
        Generator {
            rng,
            out: String::new(),
        }
    }

    fn document(&mut self) -> String {
        self.ws();
        self.value(0);
        self.ws();
        std::mem::take(&mut self.out)
    }

    /// A flat postback's fields: the ones the verifier types, sane, and
    /// random others.
    fn postback(&mut self) -> String {
        let statuses = ["success", "failed", "rejected", "cancelled", "pending"];
        let status = self.rng.choice(statuses).unwrap_or("success");
        self.out.push('{');
        self.ws();
        let _ = write!(self.out, "\"status\":\"{status}\",");
        let amount = self
            .rng
            .choice(["500", "500.5", "0.13", "\"1500.50\"", "12"]);
        let _ = write!(
            self.out,
            "\"amount\":{},\"currency_code\":\"MMK\",",
            amount.unwrap_or("1")
        );
        let id = self.rng.u64(..);
        let _ = write!(self.out, "\"custom_transaction_id\":\"{id}\",\"label\":");
        self.string(8);
        let members = self.rng.usize(0..6);
        for i in 0..members {
            self.out.push(',');
            self.ws();
            let _ = write!(self.out, "\"x_{i}_");
            for _ in 0..self.rng.usize(0..4) {
                self.out.push(self.rng.alphanumeric());
            }
            self.out.push_str("\":");
            self.ws();
            self.value(1);
        }
        self.out.push('}');
        std::mem::take(&mut self.out)
    }

    fn ws(&mut self) {
        if self.rng.u8(0..4) == 0 {
            for _ in 0..self.rng.usize(1..4) {
                let c = self.rng.choice([' ', '\t', '\n', '\r']).unwrap_or(' ');
                self.out.push(c);
            }
        }
    }

    fn value(&mut self, depth: usize) {
        let leaf = depth > 4;
        match self.rng.u8(0..if leaf { 7 } else { 9 }) {
            0 | 1 => self.string(12),
            2 => self.integer(),
            3 | 4 => self.float(),
            5 => {
                let literal = self.rng.choice(["true", "false", "null"]).unwrap_or("null");
                self.out.push_str(literal);
            }
            6 => self.integer(),
            7 => self.array(depth),
            _ => self.object(depth),
        }
    }

    fn array(&mut self, depth: usize) {
        self.out.push('[');
        self.ws();
        let len = self.rng.usize(0..5);
        for i in 0..len {
            if i > 0 {
                self.out.push(',');
                self.ws();
            }
            self.value(depth + 1);
            self.ws();
        }
        self.out.push(']');
    }

    fn object(&mut self, depth: usize) {
        self.out.push('{');
        self.ws();
        let len = self.rng.usize(0..5);
        let mut names = std::collections::HashSet::new();
        for i in 0..len {
            // Distinct names: PHP keeps the last of repeated members. None
            // starting with U+0000: PHP's objects (which keep `{}` apart from
            // `[]`, unlike its arrays) refuse such property names.
            let name: String = (0..self.rng.usize(0..6))
                .map(|_| Chars::any(self.rng))
                .collect();
            if name.starts_with('\0') || !names.insert(name.clone()) {
                continue;
            }
            if i > 0 && names.len() > 1 {
                self.out.push(',');
                self.ws();
            }
            self.write_string(&name);
            self.ws();
            self.out.push(':');
            self.ws();
            self.value(depth + 1);
            self.ws();
        }
        self.out.push('}');
    }

    fn string(&mut self, max: usize) {
        let text: String = (0..self.rng.usize(0..max))
            .map(|_| Chars::any(self.rng))
            .collect();
        self.write_string(&text);
    }

    /// `text` as a JSON string, each character in one of its spellings.
    fn write_string(&mut self, text: &str) {
        self.out.push('"');
        for c in text.chars() {
            let code = u32::from(c);
            let escaped = self.rng.u8(0..3) == 0;
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\u{8}' if escaped => self.out.push_str("\\b"),
                '\u{c}' if escaped => self.out.push_str("\\f"),
                '\n' if escaped => self.out.push_str("\\n"),
                '\r' if escaped => self.out.push_str("\\r"),
                '\t' if escaped => self.out.push_str("\\t"),
                '/' if escaped => self.out.push_str("\\/"),
                _ if code < 0x20 || escaped => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        if self.rng.bool() {
                            let _ = write!(self.out, "\\u{unit:04x}");
                        } else {
                            let _ = write!(self.out, "\\u{unit:04X}");
                        }
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn integer(&mut self) {
        let rng = &mut *self.rng;
        let text = match rng.u8(0..8) {
            0 => rng.i64(-1000..1000).to_string(),
            1 => (2i64.pow(53) + rng.i64(-3..4)).to_string(),
            2 => (-(2i64.pow(53)) + rng.i64(-3..4)).to_string(),
            3 => (i128::from(i64::MAX) + i128::from(rng.i64(-3..4))).to_string(),
            4 => (i128::from(i64::MIN) + i128::from(rng.i64(-3..4))).to_string(),
            5 => (u128::from(u64::MAX) + u128::from(rng.u64(0..4))).to_string(),
            6 => {
                // Far past any integer type.
                let digits: String = (0..rng.usize(20..40))
                    .map(|i| char::from(b'1' + u8::from(i % 9 == 0)))
                    .collect();
                if rng.bool() {
                    format!("-{digits}")
                } else {
                    digits
                }
            }
            _ => rng.choice(["0", "-0", "1", "-1"]).unwrap_or("0").to_owned(),
        };
        self.out.push_str(&text);
    }

    fn float(&mut self) {
        let rng = &mut *self.rng;
        let text = match rng.u8(0..6) {
            // Digits, a point, more digits, an exponent in any spelling.
            0..=2 => {
                let mut text = String::new();
                if rng.bool() {
                    text.push('-');
                }
                let whole = rng.usize(1..20);
                text.push(char::from(b'1' + rng.u8(0..9)));
                for _ in 1..whole {
                    text.push(char::from(b'0' + rng.u8(0..10)));
                }
                if rng.bool() {
                    text.push('.');
                    for _ in 0..rng.usize(1..20) {
                        text.push(char::from(b'0' + rng.u8(0..10)));
                    }
                }
                if rng.bool() {
                    text.push(if rng.bool() { 'e' } else { 'E' });
                    if let Some(sign) = rng.choice(["", "+", "-"]) {
                        text.push_str(sign);
                    }
                    let _ = write!(text, "{}", rng.i32(0..330));
                }
                text
            }
            // A random double, written the shortest way.
            3 => {
                let double = f64::from_bits(rng.u64(..));
                if double.is_finite() {
                    format!("{double:e}")
                } else {
                    "1.5".to_owned()
                }
            }
            4 => format!("0.{}{}", "0".repeat(rng.usize(0..8)), rng.u32(1..99_999)),
            _ => rng
                .choice([
                    "-0.0",
                    "0.0",
                    "1.0",
                    "500.50",
                    "1e15",
                    "1e16",
                    "1e17",
                    "0.0001",
                    "0.00001",
                    "5e-324",
                    "2.2250738585072014e-308",
                    "1.7976931348623157e308",
                    "1e400",
                    "4.35",
                    "0.1",
                    "100000000000000000000000",
                ])
                .unwrap_or("0.5")
                .to_owned(),
        };
        self.out.push_str(&text);
    }
}
