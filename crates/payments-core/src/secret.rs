//! Keeping credentials out of logs, errors and snapshots.
//!
//! Credentials are held as [`SecretString`] (from `secrecy`), whose `Debug`
//! prints a redaction marker. Text that leaves the SDK — response excerpts in
//! errors, transport error messages — first goes through a [`Scrubber`] that
//! knows the client's secret values and replaces every occurrence, raw,
//! percent-encoded (query strings, form bodies) and JSON-escaped.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

pub use secrecy::{ExposeSecret, SecretString};

/// What a scrubbed secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// How many tokens learned at run time a scrubber remembers ([`Scrubber::learn`]).
pub const LEARNED_TOKENS: usize = 16;

/// How many bytes of a provider's answer an error keeps.
pub const EXCERPT_LIMIT: usize = 2048;

/// Removes known secret values from text.
///
/// ```
/// use payments_core::secret::{Scrubber, SecretString};
///
/// let scrubber = Scrubber::new().with(&SecretString::from("s3cr3t/+key"));
/// let text = "GET /api?secret=s3cr3t%2F%2Bkey failed; body {\"password\":\"s3cr3t/+key\"}";
/// let clean = scrubber.scrub(text);
/// assert!(!clean.contains("s3cr3t"));
/// assert_eq!(clean, "GET /api?secret=[REDACTED] failed; body {\"password\":\"[REDACTED]\"}");
/// ```
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Every form of every secret, longest first so that a secret that
    /// contains another is replaced whole.
    needles: Arc<Vec<SecretString>>,
    /// Tokens learned at run time, newest last, each in all its forms;
    /// shared by every clone (a client and its clones see the same tokens).
    learned: Arc<Mutex<VecDeque<Vec<SecretString>>>>,
}

fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    let form_encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    forms.push(form_encoded.clone());
    // Path and query encoders differ on the space (`+` vs `%20`).
    forms.push(form_encoded.replace('+', "%20"));
    if let Ok(json) = serde_json::to_string(secret) {
        // Without the surrounding quotes.
        let inner = json
            .get(1..json.len().saturating_sub(1))
            .unwrap_or_default();
        forms.push(inner.to_owned());
    }
    forms.dedup();
    forms
}

impl Scrubber {
    /// A scrubber that knows no secret yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret (builder style). Empty secrets are ignored.
    #[must_use]
    pub fn with(mut self, secret: &SecretString) -> Self {
        self.add(secret.expose_secret());
        self
    }

    /// Adds a secret value. Empty values are ignored.
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let forms = forms(secret);
        let needles = Arc::make_mut(&mut self.needles);
        for form in forms {
            if !needles.iter().any(|n| n.expose_secret() == form) {
                needles.push(SecretString::from(form));
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.expose_secret().len()));
    }

    /// Remembers a secret the client was handed at run time (an access
    /// token, a wallet token), in every clone of this scrubber. The last
    /// [`LEARNED_TOKENS`] are kept: a long-running client that renews its
    /// token every hour does not grow without bound, and an expired token
    /// is worthless anyway. Empty values are ignored.
    pub fn learn(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let mut learned = self.learned.lock().unwrap_or_else(PoisonError::into_inner);
        if learned
            .iter()
            .any(|forms| forms.first().is_some_and(|f| f.expose_secret() == secret))
        {
            return;
        }
        if learned.len() >= LEARNED_TOKENS {
            learned.pop_front();
        }
        learned.push_back(forms(secret).into_iter().map(SecretString::from).collect());
    }

    /// `text` with every known secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        {
            let learned = self.learned.lock().unwrap_or_else(PoisonError::into_inner);
            for needle in learned.iter().flatten() {
                let needle = needle.expose_secret();
                if out.contains(needle) {
                    out = out.replace(needle, REDACTED);
                }
            }
        }
        for needle in self.needles.iter() {
            let needle = needle.expose_secret();
            if out.contains(needle) {
                out = out.replace(needle, REDACTED);
            }
        }
        out
    }

    /// Whether `text` holds any secret this scrubber knows, in any form.
    pub fn finds_secret(&self, text: &str) -> bool {
        let learned = self.learned.lock().unwrap_or_else(PoisonError::into_inner);
        learned
            .iter()
            .flatten()
            .chain(self.needles.iter())
            .any(|needle| text.contains(needle.expose_secret()))
    }

    /// A transport error's text with its URL removed and secrets scrubbed.
    ///
    /// `reqwest::Error`'s `Display` includes the full URL, query string and
    /// all: a secret passed as a query parameter would leak through it. The
    /// returned error has its URL stripped too, so it is safe to keep as an
    /// error source.
    pub fn scrub_reqwest(&self, error: reqwest::Error) -> (String, reqwest::Error) {
        let error = error.without_url();
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        (self.scrub(&text), error)
    }

    /// A bounded, scrubbed excerpt of a provider's answer, for errors and logs.
    pub fn excerpt(&self, raw: &[u8]) -> RedactedText {
        RedactedText::new(raw, self)
    }
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("forms", &self.needles.len())
            .finish()
    }
}

/// Provider text that has been scrubbed of secrets and cut to at most
/// [`EXCERPT_LIMIT`] bytes. It can only be made through a [`Scrubber`].
#[derive(Clone, PartialEq, Eq)]
pub struct RedactedText {
    text: String,
    truncated: bool,
}

impl RedactedText {
    fn new(raw: &[u8], scrubber: &Scrubber) -> Self {
        // Scrub the whole text first, so a secret cut by the limit cannot
        // survive as a prefix.
        let clean = scrubber.scrub(&String::from_utf8_lossy(raw));
        let mut end = clean.len().min(EXCERPT_LIMIT);
        while !clean.is_char_boundary(end) {
            end -= 1;
        }
        RedactedText {
            truncated: end < clean.len(),
            text: clean.get(..end).unwrap_or_default().to_owned(),
        }
    }

    /// This text scrubbed again by `scrubber`, which may know secrets the
    /// first one did not (a token learned since).
    #[must_use]
    pub fn rescrubbed(self, scrubber: &Scrubber) -> Self {
        if scrubber.finds_secret(&self.text) {
            RedactedText {
                text: scrubber.scrub(&self.text),
                truncated: self.truncated,
            }
        } else {
            self
        }
    }

    /// Text that is known to hold no secret (a fixed message).
    pub fn from_static(text: &'static str) -> Self {
        RedactedText {
            text: text.to_owned(),
            truncated: false,
        }
    }

    /// The scrubbed text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the original was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for RedactedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            return f.write_str("<empty body>");
        }
        f.write_str(&self.text)?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RedactedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}
