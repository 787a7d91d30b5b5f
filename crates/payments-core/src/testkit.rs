//! Helpers for the provider crates' tests (feature `testkit`): capturing
//! `tracing` output, collecting every text an error exposes, finding a
//! loopback port nobody listens on.
//!
//! ```
//! use payments_core::testkit::{CapturedLogs, error_texts};
//! use payments_core::Error;
//!
//! let logs = CapturedLogs::start();
//! tracing::warn!(provider = "demo", "something happened");
//! assert!(logs.text().contains("something happened"));
//!
//! let error = Error::invalid("voucher", "must not be empty");
//! assert!(error_texts(&error).iter().all(|t| !t.contains("hunter2")));
//! ```

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Error;

/// Everything written by `tracing` on the current thread while it lives
/// (a thread-local default subscriber at TRACE level, no colours).
///
/// Tracing caches, per call site and process-wide, whether anyone is
/// interested: a test that captures logs should sit alone in its test
/// binary, or another test running without a subscriber may hide its spans.
pub struct CapturedLogs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct Writer(Arc<Mutex<Vec<u8>>>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Starts capturing on this thread.
    pub fn start() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Writer(Arc::clone(&buffer));
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        CapturedLogs {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// What was captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }
}

/// Every text `error` exposes: `Display`, `Debug`, and both for each source
/// down the chain.
pub fn error_texts(error: &Error) -> Vec<String> {
    let mut texts = vec![error.to_string(), format!("{error:?}")];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        texts.push(cause.to_string());
        texts.push(format!("{cause:?}"));
        source = cause.source();
    }
    texts
}

/// Panics naming the leak if any of `texts` contains any of `secrets`.
///
/// # Panics
///
/// When a secret is found: this is an assertion for tests.
#[allow(clippy::panic)]
pub fn assert_no_secret<S: AsRef<str>>(texts: &[String], secrets: &[S]) {
    for text in texts {
        for secret in secrets {
            let secret = secret.as_ref();
            if !secret.is_empty() && text.contains(secret) {
                panic!("secret `{secret}` leaked into: {text}");
            }
        }
    }
}

/// A loopback port with nothing listening on it (bound, then released).
///
/// # Panics
///
/// When no loopback port can be bound: the test machine is broken.
#[allow(clippy::expect_used)]
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener
        .local_addr()
        .expect("a bound socket has an address")
        .port();
    drop(listener);
    port
}
