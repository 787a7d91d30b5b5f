//! A strict reading of JSON bytes before anything else reads them: what a
//! postback gets, whose bytes are re-encoded (PHP's form) for its signature
//! before they are decoded. An answer is read strictly in the pass that
//! decodes it instead ([`from_json`](super::from_json)).
//!
//! serde_json accepts things a payment SDK must not believe:
//!
//! - **a member name twice in one object** — `{"status":"FAILED",…,
//!   "status":"ACCEPTED"}` — where a typed struct, a `Value` and a hand-written
//!   visitor each keep a different one (serde's derive refuses duplicates of
//!   the fields it knows, `Value` keeps the last, `flatten` passes both on);
//! - **a fraction an `f64` cannot carry exactly** — `500.0000000000000001`
//!   — which reaches serde as the nearest double, so an amount read from a
//!   `Value` would be silently rounded (integers are left alone: past `u64`
//!   they are identifiers that a reader keeps from the raw text, and the
//!   decimal readers refuse a double past 2^53 themselves);
//! - **nesting without limit** where it skips a value (`IgnoredAny`,
//!   `RawValue`): a hand-written reader after it would recurse once per level.
//!
//! [`check_json`] refuses all three in one pass over the bytes, with no
//! recursion and no allocation for the common answer, before any other
//! reading. After it, every number with a fraction or an exponent that serde
//! hands over as an `f64` is exactly the number as written, every object has
//! one value per name, and no reader meets more than [`MAX_DEPTH`] levels.
//!
//! It is not a JSON validator: text that is not JSON is left to serde_json,
//! which refuses it with a better message. Whatever serde_json accepts, this
//! reads as serde_json does.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// The deepest nesting an answer may have: serde_json's own limit for typed
/// parses, so no answer that a typed parse accepts is refused for its depth.
pub const MAX_DEPTH: usize = 128;

/// How many names an object keeps in a list before they go into a hash set:
/// comparing a name with a few dozen short ones costs less than hashing it
/// with a keyed hasher (Sipay's 20-member `payment_data` took twice as long
/// through the set), and stays bounded for a hostile object: past this, the
/// keyed set takes over.
pub(super) const LINEAR_NAMES: usize = 64;

/// A member name as a strict reader keeps it: [`check_json`] as bytes, the
/// one-pass reader as text.
pub(super) trait Name: Eq + std::hash::Hash {
    /// The name's bytes.
    fn bytes(&self) -> &[u8];
}

impl Name for Cow<'_, [u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

impl Name for Cow<'_, str> {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// The names one open object has given so far, to refuse one given twice:
/// `names[first..]` of a stack every open object shares (compared only
/// where a mask of their [`name_bit`]s says one may match), and past
/// [`LINEAR_NAMES`] a keyed hash set.
pub(super) struct ObjectNames<N> {
    first: usize,
    /// One bit per [`name_bit`] of the names so far: a name whose bit is
    /// not set is new without comparing it to any other.
    seen: u64,
    set: Option<HashSet<N>>,
}

impl<N: Name> ObjectNames<N> {
    /// An object opening now, its names to follow those on `names`.
    #[inline(always)]
    pub(super) fn opening(names: &[N]) -> Self {
        ObjectNames {
            first: names.len(),
            seen: 0,
            set: None,
        }
    }

    /// Notes `name`; the name back, unnoted, if this object gave it before.
    #[inline(always)]
    pub(super) fn add(&mut self, names: &mut Vec<N>, name: N) -> Result<(), N> {
        if let Some(set) = &mut self.set {
            if set.contains(&name) {
                return Err(name);
            }
            set.insert(name);
            return Ok(());
        }
        let bit = name_bit(name.bytes());
        if self.seen & bit != 0 && names.get(self.first..).unwrap_or_default().contains(&name) {
            return Err(name);
        }
        self.seen |= bit;
        if names.len() - self.first >= LINEAR_NAMES {
            let mut set: HashSet<N> = names.drain(self.first..).collect();
            set.insert(name);
            self.set = Some(set);
        } else {
            names.push(name);
        }
        Ok(())
    }

    /// The object ended: its names leave the stack.
    #[inline(always)]
    pub(super) fn end(&self, names: &mut Vec<N>) {
        names.truncate(self.first);
    }
}

/// One of 64 bits for `name`, from its length and its first and last
/// bytes: equal names share it, and an object's names mostly differ in it
/// (cheap: the one-pass reader pays it on every name it reads).
#[inline(always)]
fn name_bit(name: &[u8]) -> u64 {
    let (first, last) = match (name.first(), name.last()) {
        (Some(first), Some(last)) => (u32::from(*first), u32::from(*last)),
        _ => (0, 0),
    };
    let len = u32::try_from(name.len()).unwrap_or(u32::MAX);
    1 << (len
        .wrapping_mul(5)
        .wrapping_add(first.wrapping_mul(3))
        .wrapping_add(last)
        & 63)
}

/// Why a JSON text was refused by [`check_json`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StrictJsonError {
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("nested deeper than {MAX_DEPTH} levels (at byte {at})")]
    TooDeep {
        /// The offset of the bracket that went too deep.
        at: usize,
    },
    /// One object names a member twice.
    #[error("the member `{name}` appears twice in one object")]
    DuplicateMember {
        /// The name (at most 40 characters of it).
        name: String,
    },
    /// A number with a fraction or an exponent that would not be read as
    /// written: an `f64` cannot hold it.
    #[error("the number `{number}` cannot be read exactly")]
    InexactNumber {
        /// The number as written (at most 40 characters of it).
        number: String,
    },
}

/// Refuses JSON text that names a member twice in one object, holds a number
/// with a fraction or an exponent that an `f64` cannot carry exactly, or
/// nests deeper than [`MAX_DEPTH`]. Text that is not JSON passes: serde_json
/// refuses it afterwards.
///
/// Linear in the text; allocates only for member names with escapes and for
/// objects with more than a few members.
///
/// ```
/// use payments_core::wire::{check_json, StrictJsonError};
///
/// assert!(check_json(br#"{"amount":500.5,"status":"ok","items":[{"id":1},{"id":2}]}"#).is_ok());
/// assert!(matches!(
///     check_json(br#"{"status":"FAILED","status":"ACCEPTED"}"#),
///     Err(StrictJsonError::DuplicateMember { .. })
/// ));
/// assert!(matches!(
///     check_json(br#"{"amount":500.0000000000000001}"#),
///     Err(StrictJsonError::InexactNumber { .. })
/// ));
/// let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
/// assert!(matches!(check_json(deep.as_bytes()), Err(StrictJsonError::TooDeep { .. })));
/// ```
///
/// # Errors
///
/// [`StrictJsonError`], naming what was refused.
pub fn check_json(text: &[u8]) -> Result<(), StrictJsonError> {
    Checker {
        // Small: an allocation past about a kilobyte takes glibc's slower
        // path, and most answers are a few levels and a few dozen names.
        open: Vec::with_capacity(8),
        names: Vec::with_capacity(16),
    }
    .run(text)
}

/// One open object: its names so far, and whether a name comes next.
struct Object<'a> {
    names: ObjectNames<Cow<'a, [u8]>>,
    wants_name: bool,
}

struct Checker<'a> {
    /// What is open, innermost last: `Some` an object, `None` an array.
    open: Vec<Option<Object<'a>>>,
    /// The names of every open object's members so far, innermost last.
    names: Vec<Cow<'a, [u8]>>,
}

impl<'a> Checker<'a> {
    fn run(mut self, text: &'a [u8]) -> Result<(), StrictJsonError> {
        let mut at = 0;
        while let Some(&byte) = text.get(at) {
            match byte {
                b'{' | b'[' => {
                    if self.open.len() >= MAX_DEPTH {
                        return Err(StrictJsonError::TooDeep { at });
                    }
                    self.value_starts();
                    self.open.push((byte == b'{').then(|| Object {
                        names: ObjectNames::opening(&self.names),
                        wants_name: true,
                    }));
                    at += 1;
                }
                b'}' | b']' => {
                    match self.open.pop() {
                        Some(Some(object)) => object.names.end(&mut self.names),
                        Some(None) => {}
                        // Not JSON: serde_json says so.
                        None => return Ok(()),
                    }
                    at += 1;
                }
                b',' => {
                    if let Some(Some(object)) = self.open.last_mut() {
                        object.wants_name = true;
                    }
                    at += 1;
                }
                b'"' => {
                    let Some((end, escaped)) = string_end(text, at) else {
                        return Ok(());
                    };
                    if let Some(Some(object)) = self.open.last_mut()
                        && object.wants_name
                    {
                        object.wants_name = false;
                        let token = text.get(at..=end).unwrap_or_default();
                        let Some(name) = decode_name(token, escaped) else {
                            return Ok(());
                        };
                        self.add_name(name)?;
                    }
                    at = end + 1;
                }
                b'-' | b'0'..=b'9' => {
                    let len = text
                        .get(at..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                        .count();
                    let token = text.get(at..at + len).unwrap_or_default();
                    if !is_exact(token) {
                        return Err(StrictJsonError::InexactNumber {
                            number: excerpt(&String::from_utf8_lossy(token)),
                        });
                    }
                    at += len;
                }
                _ => at += 1,
            }
        }
        Ok(())
    }

    /// A value (not a name) starts: the object it is in wants no name now.
    fn value_starts(&mut self) {
        if let Some(Some(object)) = self.open.last_mut() {
            object.wants_name = false;
        }
    }

    fn add_name(&mut self, name: Cow<'a, [u8]>) -> Result<(), StrictJsonError> {
        let Some(Some(object)) = self.open.last_mut() else {
            return Ok(());
        };
        object
            .names
            .add(&mut self.names, name)
            .map_err(|name| StrictJsonError::DuplicateMember {
                name: excerpt(&String::from_utf8_lossy(&name)),
            })
    }
}

/// The offset of the quote closing the string that starts at `start`,
/// and whether the string holds an escape.
fn string_end(text: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut at = start + 1;
    let mut escaped = false;
    loop {
        at += quote_or_backslash(text.get(at..)?)?;
        if text.get(at) == Some(&b'"') {
            return Some((at, escaped));
        }
        escaped = true;
        at += 2;
    }
}

/// The first `"` or `\` in `bytes`. Most strings in an answer are a few
/// bytes long, where `memchr2`'s per-call setup costs more than the search,
/// and a loop over single bytes mispredicts its exit: the first
/// [`SHORT_STRING`] bytes are searched eight at a time in a `u64`, the rest
/// by `memchr2`.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    let head = bytes.get(..SHORT_STRING).unwrap_or(bytes);
    let (words, tail) = head.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*word);
        // A byte of `quotes` (`backslashes`) is zero where `word` holds a
        // quote (a backslash). The lowest byte flagged in `HIGHS` is the
        // first zero byte: a borrow only flags bytes above a real zero.
        let (quotes, backslashes) = (word ^ QUOTES, word ^ BACKSLASHES);
        let found = ((quotes.wrapping_sub(ONES) & !quotes)
            | (backslashes.wrapping_sub(ONES) & !backslashes))
            & HIGHS;
        if found != 0 {
            return Some(index * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    if let Some(found) = tail.iter().position(|b| matches!(b, b'"' | b'\\')) {
        return Some(words.len() * 8 + found);
    }
    let rest = bytes.get(head.len()..)?;
    memchr::memchr2(b'"', b'\\', rest).map(|found| found + head.len())
}

/// How many bytes of a string [`quote_or_backslash`] searches itself before
/// `memchr2` takes over.
const SHORT_STRING: usize = 64;

/// A member name token (quotes included) as the bytes of the text it stands
/// for: borrowed as written when it holds no escape (serde_json checks its
/// UTF-8 afterwards), decoded otherwise.
fn decode_name(token: &[u8], escaped: bool) -> Option<Cow<'_, [u8]>> {
    let inner = token.get(1..token.len().saturating_sub(1))?;
    if escaped {
        serde_json::from_slice::<String>(token)
            .ok()
            .map(|name| Cow::Owned(name.into_bytes()))
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// A number's value as digits and a power of ten: `digits × 10^exponent`,
/// `digits` without leading or trailing zeros (empty for zero).
#[derive(PartialEq, Eq)]
struct Digits {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

/// Reads a JSON number token; `None` if it is not one (serde_json refuses it).
fn digits(token: &[u8]) -> Option<Digits> {
    let (negative, rest) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    let (mantissa, exponent) = match rest.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(e) => (rest.get(..e)?, parse_exponent(rest.get(e + 1..)?)?),
        None => (rest, 0),
    };
    let (whole, fraction) = match mantissa.iter().position(|b| *b == b'.') {
        Some(dot) => (mantissa.get(..dot)?, mantissa.get(dot + 1..)?),
        None => (mantissa, &[][..]),
    };
    if whole.is_empty() || !whole.iter().chain(fraction).all(u8::is_ascii_digit) {
        return None;
    }
    let mut digits: Vec<u8> = whole.iter().chain(fraction).copied().collect();
    let mut exponent = exponent.saturating_sub(i64::try_from(fraction.len()).unwrap_or(i64::MAX));
    let leading = digits.iter().take_while(|d| **d == b'0').count();
    digits.drain(..leading);
    while digits.last() == Some(&b'0') {
        digits.pop();
        exponent = exponent.saturating_add(1);
    }
    if digits.is_empty() {
        exponent = 0;
    }
    Some(Digits {
        negative: negative && !digits.is_empty(),
        digits,
        exponent,
    })
}

fn parse_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0_i64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'))
    });
    Some(if negative { -value } else { value })
}

/// Whether a number with a fraction or an exponent reaches serde as an
/// `f64` whose shortest digits are the number's. Integers pass: serde_json
/// reads them exactly up to `u64`, past it a reader keeps them from the raw
/// text (an identifier) or refuses the double (an amount). A token that is
/// not a number passes too: serde_json refuses it.
fn is_exact(token: &[u8]) -> bool {
    let mut fraction = false;
    let mut digits_written = 0_usize;
    for byte in token {
        match byte {
            b'0'..=b'9' => digits_written += 1,
            b'.' => fraction = true,
            // An exponent: the slow path below.
            b'e' | b'E' => {
                fraction = true;
                digits_written = usize::MAX;
                break;
            }
            _ => {}
        }
    }
    // An integer; or at most 15 digits in all, so at most 15 significant
    // ones between 1e-15 and 1e15: read back from its nearest double
    // unchanged (every realistic amount, with no allocation).
    if !fraction || digits_written <= 15 {
        return true;
    }
    let Some(written) = digits(token) else {
        return true;
    };
    // At most 15 significant digits, well inside a double's normal range:
    // any such decimal reads back from its nearest double unchanged.
    if written.digits.len() <= 15 && (-300..=300).contains(&written.exponent) {
        return true;
    }
    let Ok(double) = std::str::from_utf8(token)
        .unwrap_or_default()
        .parse::<f64>()
    else {
        return true;
    };
    if !double.is_finite() {
        // Out of range: serde_json refuses it.
        return true;
    }
    // The text reads as `double`; it is the number as written when it is
    // one of `double`'s shortest texts (no digit more than Rust's shortest:
    // its equal, or the other of two equally short ones, as PHP writes a
    // tie). A longer text (`0.30000000000000001`) would come back shorter.
    let mut buffer = String::with_capacity(32);
    let _ = fmt::Write::write_fmt(&mut buffer, format_args!("{double:e}"));
    digits(buffer.as_bytes()).is_some_and(|shortest| written.digits.len() <= shortest.digits.len())
}

/// At most 40 characters of `text`.
pub(super) fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time search finds what a byte-by-byte one finds: at
    /// every offset on both sides of the word-searched head, next to bytes
    /// that differ from `"` and `\` by one bit (`0xA2`, `0xDC`, `#`) or
    /// follow a zero byte, where a borrow could mislead a careless search.
    #[test]
    fn quote_or_backslash_finds_the_first_of_either() {
        let fillers: [&[u8]; 4] = [b"a", &[0xA2, 0xDC], &[0, 0x23, 0x5D], "ş€".as_bytes()];
        for filler in fillers {
            for len in 0..SHORT_STRING + 24 {
                let plain: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
                assert_eq!(quote_or_backslash(&plain), None, "{plain:?}");
                for sought in [b'"', b'\\'] {
                    for at in 0..len {
                        let mut bytes = plain.clone();
                        bytes[at] = sought;
                        assert_eq!(quote_or_backslash(&bytes), Some(at), "{bytes:?}");
                        if let Some(later) = bytes.get_mut(at + 1) {
                            *later = b'"';
                            assert_eq!(quote_or_backslash(&bytes), Some(at), "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ordinary_answers_pass() {
        for ok in [
            &br#"{"a":1,"b":[1,2,{"a":2}],"c":{"a":3},"d":"x,\"y\":1"}"#[..],
            br#"[{"id":1},{"id":1}]"#,
            br#"{"amount":500.50,"fee":-0.13,"big":18446744073709551615,"neg":-9223372036854775808}"#,
            br#"{"e":1.5e-7,"f":1E2,"g":0.1,"h":1e20,"i":100000000000000000000,"j":-0,"k":0.0}"#,
            br#"{"max":1.7976931348623157e308,"min":5e-324,"tiny":1e-320}"#,
            b"",
            b"not json",
            b"]]]}}}",
            br#"{"a":"unterminated"#,
        ] {
            assert_eq!(check_json(ok), Ok(()), "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn a_member_named_twice_is_refused_at_every_depth_and_spelling() {
        for bad in [
            &br#"{"status":"FAILED","x":1,"status":"ACCEPTED"}"#[..],
            br#"{"a":{"s":1,"s":2}}"#,
            br#"[0,[{"k":[],"k":{}}]]"#,
            br#"{"status":1,"st\u0061tus":2}"#,
            br#"{"\/":1,"/":2}"#,
        ] {
            assert!(
                matches!(
                    check_json(bad),
                    Err(StrictJsonError::DuplicateMember { .. })
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn names_in_sibling_and_nested_objects_are_their_own() {
        assert_eq!(
            check_json(br#"{"a":{"a":{"a":1}},"b":{"a":2},"c":[{"a":3}]}"#),
            Ok(())
        );
    }

    #[test]
    fn large_objects_are_checked_through_a_set() {
        let members: Vec<String> = (0..5_000).map(|i| format!("\"k{i}\":{i}")).collect();
        let unique = format!("{{{}}}", members.join(","));
        assert_eq!(check_json(unique.as_bytes()), Ok(()));
        let twice = format!("{{{},\"k17\":0}}", members.join(","));
        assert!(matches!(
            check_json(twice.as_bytes()),
            Err(StrictJsonError::DuplicateMember { name }) if name == "k17"
        ));
        // Below the set's threshold, compared one by one: the same answer.
        let few = members.get(..LINEAR_NAMES - 1).unwrap().join(",");
        assert_eq!(check_json(format!("{{{few}}}").as_bytes()), Ok(()));
        let twice = format!("{{{few},\"k3\":0}}");
        assert!(matches!(
            check_json(twice.as_bytes()),
            Err(StrictJsonError::DuplicateMember { name }) if name == "k3"
        ));
    }

    #[test]
    fn numbers_a_double_cannot_carry_are_refused() {
        for bad in [
            "500.0000000000000001",
            "100000000000000000001.0",
            "-18446744073709551617e0",
            "0.30000000000000001",
            "2244424340127481.25",
            "1e-400",
            "1234567890123456789012345678.90",
        ] {
            assert!(
                matches!(
                    check_json(format!("[{bad}]").as_bytes()),
                    Err(StrictJsonError::InexactNumber { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_read_back_as_written_pass() {
        for good in [
            // Ties: the other of two equally short texts of one double, as
            // PHP writes them (the decimal readers refuse 16+ digits).
            "718033974354117.2",
            "2244424340127481.2",
            // Integers of any length: identifiers are kept from the raw text.
            "7777777777777777777777",
            "-18446744073709551617",
            "0.1",
            "9007199254740993",
            "18446744073709551615",
            "2244424340127481.5",
            "123456789012345680000",
            "5e-324",
            "12345.678900000000000000",
        ] {
            assert_eq!(check_json(format!("[{good}]").as_bytes()), Ok(()), "{good}");
        }
    }

    #[test]
    fn depth_is_limited_before_any_other_work() {
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(check_json(at_limit.as_bytes()), Ok(()));
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            check_json(over.as_bytes()),
            Err(StrictJsonError::TooDeep { at: MAX_DEPTH })
        );
        let objects = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
        assert!(matches!(
            check_json(objects.as_bytes()),
            Err(StrictJsonError::TooDeep { .. })
        ));
    }

    #[test]
    fn what_is_inside_strings_is_not_structure() {
        assert_eq!(
            check_json(br#"{"a":"{\"a\":1,\"a\":2} [[[[ 1.00000000000000000001","b":"\\"}"#),
            Ok(())
        );
    }
}
