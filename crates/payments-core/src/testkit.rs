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
    _guard: Option<tracing::subscriber::DefaultGuard>,
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
        let (buffer, subscriber) = Self::subscriber();
        CapturedLogs {
            buffer,
            _guard: Some(tracing::subscriber::set_default(subscriber)),
        }
    }

    /// Starts capturing on every thread of the process, for good (the
    /// global default subscriber): for a test binary whose work runs on a
    /// multi-threaded runtime. `None` if a global subscriber is set already.
    pub fn start_global() -> Option<Self> {
        let (buffer, subscriber) = Self::subscriber();
        tracing::subscriber::set_global_default(subscriber).ok()?;
        Some(CapturedLogs {
            buffer,
            _guard: None,
        })
    }

    fn subscriber() -> (Arc<Mutex<Vec<u8>>>, impl tracing::Subscriber + Send + Sync) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Writer(Arc::clone(&buffer));
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        (buffer, subscriber)
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

/// A loopback port with nothing listening on it: one below 1024 that
/// refuses connections (no test server can be handed it), else one bound
/// and released.
///
/// # Panics
///
/// When no loopback port can be bound: the test machine is broken.
#[allow(clippy::expect_used)]
pub fn closed_port() -> u16 {
    // A port below 1024 that refuses connections: `bind(0)` never hands
    // those out, so no test server started meanwhile can take it (a port
    // freed from the ephemeral range can be, and was, by a parallel test).
    let refused = (1..1024).find(|port| {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], *port));
        matches!(
            std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_millis(200)),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused
        )
    });
    if let Some(port) = refused {
        return port;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener
        .local_addr()
        .expect("a bound socket has an address")
        .port();
    drop(listener);
    port
}

pub mod conformance {
    //! The conformance kit: one suite every provider crate runs against its
    //! sandbox, so that every provider keeps the workspace's promises.
    //!
    //! A provider crate implements [`Harness`] for its sandbox and calls
    //! [`run`] from one test (alone in its test binary, since it captures
    //! `tracing` output):
    //!
    //! ```text
    //! #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    //! async fn conformance() {
    //!     payments_core::testkit::conformance::run::<MyHarness>().await;
    //! }
    //! ```
    //!
    //! It checks: a payment completes and is booked once; bad input is
    //! refused before any request; reads are retried through a transient
    //! error; a money-moving call answered with a gateway error is not
    //! repeated blindly and ends booked once; an unknown outcome (answer
    //! dropped after the commit) is reconciled to the true state; an
    //! integrity mismatch is detected; every call reconciliation makes
    //! failing (HTTP 500 and 503, a timeout, a dropped connection, a garbled
    //! answer, the token endpoint failing) after an unknown commit ends the
    //! payment in [`Error::OutcomeUnknown`] — never a known failure — and a
    //! later [`settle`] settles it, booked once;
    //! malformed answers (HTML, empty,
    //! truncated, oversized) are typed errors; tokens are renewed after
    //! expiry and after a refusal, once for 100 concurrent calls; and no
    //! secret reaches `Debug` output, error texts or the captured logs.

    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::{CapturedLogs, assert_no_secret, error_texts};
    use crate::error::{Error, Result};
    use crate::gateway::{Gateway, PaymentStatus, commit_and_settle, pay, settle};
    use crate::sandbox::{Fault, Faults};

    /// A future returned by a harness hook.
    pub type Hook<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// What a provider's tests give the kit.
    #[async_trait]
    pub trait Harness: Send + Sync + Sized + 'static {
        /// The provider's gateway.
        type Gateway: Gateway + 'static;

        /// A fresh sandbox and client.
        async fn start() -> Self;
        /// The gateway under test.
        fn gateway(&self) -> &Self::Gateway;
        /// A payable order (the sandbox is set up for it).
        async fn order(&self) -> <Self::Gateway as Gateway>::Order;
        /// The sandbox's faults.
        fn faults(&self) -> &Faults;
        /// The fault-rule name of the committing call (`"cash_out"`).
        fn commit_operation(&self) -> &'static str;
        /// The fault-rule name of the call [`Harness::read`] makes.
        fn read_operation(&self) -> &'static str;
        /// The fault-rule names of every call reconciliation makes: status
        /// lookups, inquiries, the repeated commit.
        fn reconcile_operations(&self) -> Vec<&'static str>;
        /// The fault-rule name of the token call; `None` without tokens.
        fn token_operation(&self) -> Option<&'static str>;
        /// A read call (inquiry, balance, check user, create).
        async fn read(&self) -> Result<()>;
        /// HTTP requests the sandbox has received.
        fn requests(&self) -> usize;
        /// How many times the sandbox booked the payment that `reference`
        /// (a reference an outcome named) belongs to.
        fn booked(&self, reference: &str) -> usize;
        /// Builds an order from bad input; the error must be the refusal.
        fn bad_input(&self) -> Error;
        /// Provokes an integrity mismatch the provider-specific way.
        async fn integrity_mismatch(&self) -> Error;
        /// Expires the tokens on the sandbox's clock; `false` if the provider has no tokens.
        fn expire_tokens(&self) -> bool;
        /// Revokes the tokens, so the next call is refused; `false` if none.
        fn revoke_tokens(&self) -> bool;
        /// Tokens issued so far (logins); 0 for providers without tokens.
        fn tokens_issued(&self) -> usize;
        /// The credentials and tokens that must never show.
        fn secrets(&self) -> Vec<String>;
        /// `Debug` of the configuration and the client.
        fn debug_texts(&self) -> Vec<String>;
    }

    fn check(name: &str, ok: bool, detail: impl std::fmt::Display) {
        assert!(ok, "conformance: {name}: {detail}");
    }

    /// Runs every check, each on a fresh sandbox.
    ///
    /// # Panics
    ///
    /// On the first broken promise, naming the check.
    #[allow(clippy::panic, clippy::too_many_lines)]
    pub async fn run<H: Harness>() {
        let logs = CapturedLogs::start();
        let mut texts: Vec<String> = Vec::new();

        // A payment completes and is booked once.
        let h = H::start().await;
        let outcome = pay(h.gateway(), h.order().await).await;
        let outcome =
            outcome.unwrap_or_else(|e| panic!("conformance: a clean payment failed: {e}"));
        check(
            "clean payment",
            outcome.status == PaymentStatus::Completed,
            format_args!("{outcome:?}"),
        );
        check(
            "booked once",
            h.booked(outcome.reference.as_str()) == 1,
            outcome.reference.as_str(),
        );
        texts.extend(h.debug_texts());

        // Bad input is refused before anything is sent.
        let before = h.requests();
        let error = h.bad_input();
        check(
            "bad input",
            matches!(error, Error::InvalidInput { .. }),
            format_args!("{error:?}"),
        );
        check(
            "bad input sends nothing",
            h.requests() == before,
            "a request was sent",
        );
        texts.extend(error_texts(&error));

        // Reads are retried through a transient error.
        h.faults().inject(h.read_operation(), Fault::Status(503));
        let read = h.read().await;
        check(
            "read retried after 503",
            read.is_ok(),
            format_args!("{read:?}"),
        );

        // Malformed answers are typed errors, never panics.
        for (what, fault) in [
            (
                "an HTML page",
                Fault::ReplaceBody(bytes::Bytes::from_static(
                    b"<html><body>Bad Gateway</body></html>",
                )),
            ),
            ("an empty body", Fault::ReplaceBody(bytes::Bytes::new())),
            ("a truncated body", Fault::MalformedBody),
            (
                "an oversized body",
                Fault::ReplaceBody(bytes::Bytes::from(vec![b'x'; 2 * 1024 * 1024])),
            ),
        ] {
            h.faults().inject(h.read_operation(), fault);
            match h.read().await {
                Err(error @ (Error::UndecodableResponse { .. } | Error::Http { .. })) => {
                    texts.extend(error_texts(&error));
                }
                other => panic!("conformance: {what} gave {other:?}, not a typed decoding error"),
            }
        }

        // A money-moving call answered by a gateway error is not repeated
        // blindly: reconciliation settles it, booked once.
        let h = H::start().await;
        h.faults().inject(h.commit_operation(), Fault::Status(503));
        let outcome = pay(h.gateway(), h.order().await).await;
        let outcome = outcome.unwrap_or_else(|e| panic!("conformance: after a 503 on commit: {e}"));
        check(
            "503 on commit reconciled",
            outcome.status == PaymentStatus::Completed,
            format_args!("{outcome:?}"),
        );
        check(
            "503 on commit booked once",
            h.booked(outcome.reference.as_str()) == 1,
            outcome.reference.as_str(),
        );

        // An unknown outcome is reconciled to the true state.
        for fault in [Fault::DropAfterCommit, Fault::DropBeforeCommit] {
            let h = H::start().await;
            h.faults().inject(h.commit_operation(), fault.clone());
            let outcome = pay(h.gateway(), h.order().await).await;
            let outcome = outcome.unwrap_or_else(|e| panic!("conformance: after {fault:?}: {e}"));
            check(
                "unknown outcome reconciled",
                outcome.status == PaymentStatus::Completed,
                format_args!("{fault:?}: {outcome:?}"),
            );
            check(
                "unknown outcome booked once",
                h.booked(outcome.reference.as_str()) == 1,
                format_args!("{fault:?}"),
            );
        }

        // Reconciliation's own calls failing never make an unknown outcome a
        // known failure; once they work again, settle() settles it, once.
        let mut cases: Vec<(&str, Option<Fault>)> = vec![
            ("HTTP 500", Some(Fault::Status(500))),
            ("HTTP 503", Some(Fault::Status(503))),
            (
                "a timeout",
                Some(Fault::Delay(std::time::Duration::from_secs(2))),
            ),
            ("a dropped connection", Some(Fault::DropBeforeCommit)),
            ("a garbled answer", Some(Fault::MalformedBody)),
            (
                "an HTML page",
                Some(Fault::ReplaceBody(bytes::Bytes::from_static(
                    b"<html><body>Internal error</body></html>",
                ))),
            ),
        ];
        if H::start().await.token_operation().is_some() {
            cases.push(("the token endpoint failing", None));
        }
        for (what, fault) in cases {
            let h = H::start().await;
            let prepared = h
                .gateway()
                .prepare(h.order().await)
                .await
                .unwrap_or_else(|e| panic!("conformance: prepare: {e}"));
            let reference = h.gateway().reference(&prepared).to_string();
            h.faults()
                .inject(h.commit_operation(), Fault::DropAfterCommit);
            match &fault {
                Some(fault) => {
                    for operation in h.reconcile_operations() {
                        h.faults()
                            .inject_times(Some(operation.to_owned()), fault.clone(), 10_000);
                    }
                }
                None => {
                    h.revoke_tokens();
                    if let Some(operation) = h.token_operation() {
                        h.faults().inject_times(
                            Some(operation.to_owned()),
                            Fault::Status(503),
                            10_000,
                        );
                    }
                }
            }
            let result = commit_and_settle(h.gateway(), &prepared).await;
            match &result {
                Err(Error::OutcomeUnknown {
                    reference: Some(r), ..
                }) => check(
                    "unknown outcome names its reference",
                    *r == reference,
                    format_args!("{what}: {r} vs {reference}"),
                ),
                Ok(outcome) if outcome.status == PaymentStatus::Completed => {}
                other => panic!(
                    "conformance: reconciliation calls failing with {what} after an unknown commit gave {other:?}, not OutcomeUnknown"
                ),
            }
            if let Err(error) = &result {
                texts.extend(error_texts(error));
            }
            h.faults().clear();
            let settled = settle(h.gateway(), &prepared).await;
            check(
                "settled once the faults stop",
                settled
                    .as_ref()
                    .is_ok_and(|o| o.status == PaymentStatus::Completed),
                format_args!("{what}: {settled:?}"),
            );
            // The outcome names the reference that landed (a provider may
            // have resent under a fresh one).
            let landed = settled
                .as_ref()
                .map_or(reference.clone(), |o| o.reference.to_string());
            check(
                "settled, booked once",
                h.booked(&landed) == 1,
                format_args!("{what}: booked {} times", h.booked(&landed)),
            );
        }

        // Mismatches are detected: money moved on other terms, or (before
        // anything moved) terms presented for other money.
        let h = H::start().await;
        let error = h.integrity_mismatch().await;
        check(
            "integrity mismatch",
            matches!(
                error,
                Error::IntegrityMismatch { .. } | Error::TermsMismatch { .. }
            ),
            format_args!("{error:?}"),
        );
        texts.extend(error_texts(&error));

        // Tokens: renewed after expiry and after a refusal; once for 100 callers.
        let h = Arc::new(H::start().await);
        if h.expire_tokens() || h.tokens_issued() > 0 {
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let h = Arc::clone(&h);
                    tokio::spawn(async move { h.read().await })
                })
                .collect();
            for task in tasks {
                let result = task
                    .await
                    .unwrap_or_else(|e| panic!("conformance: task: {e}"));
                check(
                    "concurrent read",
                    result.is_ok(),
                    format_args!("{result:?}"),
                );
            }
            check(
                "single-flight token",
                h.tokens_issued() == 1,
                format_args!("{} tokens for 100 calls", h.tokens_issued()),
            );
            h.expire_tokens();
            check("read after expiry", h.read().await.is_ok(), "failed");
            check(
                "token renewed after expiry",
                h.tokens_issued() == 2,
                h.tokens_issued(),
            );
            h.revoke_tokens();
            check("read after a refusal", h.read().await.is_ok(), "failed");
            check(
                "token renewed after a refusal",
                h.tokens_issued() == 3,
                h.tokens_issued(),
            );
        }

        // No secret in Debug output, errors or logs.
        let secrets = h.secrets();
        texts.push(logs.text());
        assert_no_secret(&texts, &secrets);
    }
}

/// An HTTP configuration for tests against mocks and sandboxes: 2 s to
/// connect, `total` per attempt, the usual 1 MiB cap, and reads retried once
/// after 1 ms (no jitter), so retry tests are quick and deterministic.
pub fn quick_http(total: std::time::Duration) -> crate::http::HttpConfig {
    use std::time::Duration;
    crate::http::HttpConfig {
        timeouts: crate::http::Timeouts {
            connect: Duration::from_secs(2),
            total,
        },
        max_response_bytes: 1 << 20,
        retry: crate::http::RetryPolicy::new(2, Duration::from_millis(1), Duration::from_millis(2)),
    }
}

/// An order for test gateways: an order id, its attempt, and one term (an
/// amount as text), for gateways whose orders carry nothing else.
///
/// ```
/// use payments_core::MerchantOrder;
/// use payments_core::testkit::TestOrder;
///
/// let order = TestOrder::new("order-1")?.with_amount("10 TRY");
/// assert_eq!(order.order_id().as_str(), "order-1");
/// assert_eq!(order.attempt(), 1);
/// # Ok::<(), payments_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOrder {
    /// The order id.
    pub order_id: crate::OrderId,
    /// The attempt, from 1.
    pub attempt: u32,
    /// Its one term, `amount`.
    pub amount: String,
}

impl TestOrder {
    /// Attempt 1 at order `id`, for an amount of `10 TRY`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an id [`OrderId`](crate::OrderId) refuses.
    pub fn new(id: &str) -> Result<Self, Error> {
        Ok(TestOrder {
            order_id: crate::OrderId::new(id)?,
            attempt: 1,
            amount: "10 TRY".to_owned(),
        })
    }

    /// The same order for another amount.
    #[must_use]
    pub fn with_amount(mut self, amount: &str) -> Self {
        amount.clone_into(&mut self.amount);
        self
    }

    /// The attempt's key with `~` written `-`: a reference for charsets
    /// without `~`.
    pub fn reference_text(&self) -> String {
        self.order_id.attempt_key(self.attempt).replace('~', "-")
    }
}

impl crate::MerchantOrder for TestOrder {
    fn order_id(&self) -> &crate::OrderId {
        &self.order_id
    }

    fn attempt(&self) -> u32 {
        self.attempt
    }

    fn set_attempt(&mut self, attempt: u32) {
        self.attempt = attempt.max(1);
    }

    fn terms(&self) -> Vec<crate::order::OrderTerm> {
        vec![crate::order::OrderTerm::new("amount", self.amount.clone())]
    }
}
