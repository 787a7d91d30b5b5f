use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use url::Url;

use super::retry::RetryPolicy;
use crate::error::{Diagnostics, Error, Result, is_transient_status};
use crate::operation::{Operation, OperationKind};
use crate::secret::{ExposeSecret, Scrubber, SecretString};

/// Connect and total time limits for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing the connection (TCP and TLS).
    pub connect: Duration,
    /// The whole attempt: connect, send, wait, read the answer.
    pub total: Duration,
}

impl Timeouts {
    /// `connect` to establish the connection, `total` for the whole attempt.
    pub const fn new(connect: Duration, total: Duration) -> Self {
        Timeouts { connect, total }
    }
}

impl Default for Timeouts {
    /// 10 s to connect, 30 s in all.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

/// How a provider client uses HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Time limits per attempt.
    pub timeouts: Timeouts,
    /// Answers longer than this are an error, not an allocation (default 1 MiB).
    pub max_response_bytes: usize,
    /// Retries for reads and for requests that were not sent.
    pub retry: RetryPolicy,
}

impl HttpConfig {
    /// A configuration from its parts.
    pub const fn new(timeouts: Timeouts, max_response_bytes: usize, retry: RetryPolicy) -> Self {
        HttpConfig {
            timeouts,
            max_response_bytes,
            retry,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeouts: Timeouts::default(),
            max_response_bytes: 1024 * 1024,
            retry: RetryPolicy::default(),
        }
    }
}

/// `"<crate>/<version>"` of the crate that expands it, for [`HttpClient::new`].
#[macro_export]
macro_rules! user_agent {
    () => {
        concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"))
    };
}

/// An access token as requests carry it: the `Authorization: Bearer <token>`
/// value, made once when the token is issued rather than for every request,
/// and marked sensitive. Cheap to clone: what a token cache hands each call.
/// Never printed.
///
/// Like every header value a request carries (and every request's own copy
/// did before this type), it is not wiped from memory when dropped: HTTP
/// clients write headers from plain buffers. The [`SecretString`] it is
/// made from is.
///
/// ```
/// use payments_core::http::{BearerToken, Request};
/// use payments_core::{Operation, SecretString};
///
/// const LOGIN: Operation = Operation::authentication("demo", "login");
/// let token = BearerToken::new(LOGIN, &SecretString::from("t0k3n")).unwrap();
/// let request = Request::get("https://api.example/v1/balance".parse().unwrap())
///     .bearer_token(&token);
/// assert_eq!(request.headers()["authorization"], "Bearer t0k3n");
/// assert_eq!(format!("{token:?}"), "BearerToken([REDACTED])");
/// // A token no header can carry is refused when it is issued.
/// assert!(BearerToken::new(LOGIN, &SecretString::from("t0k\n3n")).is_err());
/// ```
#[derive(Clone)]
pub struct BearerToken(HeaderValue);

impl BearerToken {
    /// The bearer `token` issued by `operation`.
    ///
    /// # Errors
    ///
    /// [`Error::UndecodableResponse`] for `operation` if the token has
    /// characters an HTTP header cannot carry (the answer that issued it is
    /// withheld: it holds the token).
    pub fn new(operation: Operation, token: &SecretString) -> Result<Self> {
        bearer_value(token)
            .map(BearerToken)
            .ok_or_else(|| Error::UndecodableResponse {
                operation,
                detail: UNCARRIED_TOKEN.to_owned(),
                raw: crate::secret::RedactedText::from_static(
                    "[withheld: a token answer holds a token]",
                ),
                source: None,
                diagnostics: None,
            })
    }
}

/// Why a token makes no `Authorization` value.
const UNCARRIED_TOKEN: &str = "the access token has characters an HTTP header cannot carry";

/// `Bearer <token>`, marked sensitive; `None` if a header cannot carry it.
fn bearer_value(token: &SecretString) -> Option<HeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken([REDACTED])")
    }
}

/// A request, built by a pure function before anything is sent, so that
/// provider crates can snapshot-test their bodies without a network.
#[derive(Clone)]
pub struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
}

impl Request {
    /// A `POST` to `url`.
    pub fn post(url: Url) -> Self {
        Self::new(Method::POST, url)
    }

    /// A `GET` of `url`.
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }

    /// A request with any method.
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// Sets a header.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets `Authorization: Bearer <token>`, marked sensitive.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] if the token has characters a header cannot carry.
    pub fn bearer(self, token: &SecretString) -> Result<Self> {
        let value = bearer_value(token).ok_or_else(|| Error::configuration(UNCARRIED_TOKEN))?;
        Ok(self.header(AUTHORIZATION, value))
    }

    /// Sets `Authorization: Bearer <token>` from a token made ready when it
    /// was issued ([`BearerToken`]), marked sensitive.
    #[must_use]
    pub fn bearer_token(self, token: &BearerToken) -> Self {
        self.header(AUTHORIZATION, token.0.clone())
    }

    /// A JSON body, with `Content-Type: application/json`.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] if `body` does not serialize.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Result<Self> {
        // Sized for a typical provider request: written without regrowing.
        let mut bytes = Vec::with_capacity(1024);
        serde_json::to_writer(&mut bytes, body).map_err(|e| {
            Error::configuration(format_args!("request body does not serialize: {e}"))
        })?;
        Ok(self.body(HeaderValue::from_static("application/json"), bytes))
    }

    /// A form body, with `Content-Type: application/x-www-form-urlencoded`.
    pub fn form<'a>(self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.body(
            HeaderValue::from_static("application/x-www-form-urlencoded"),
            encoded.into_bytes(),
        )
    }

    /// Any body with its content type.
    #[must_use]
    pub fn body(mut self, content_type: HeaderValue, body: impl Into<Bytes>) -> Self {
        self.headers.insert(CONTENT_TYPE, content_type);
        self.body = Some(body.into());
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL. It may carry secrets in its query: never log it unscrubbed.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body bytes, if any.
    pub fn body_bytes(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The query and the header values may be credentials.
        let mut url = self.url.clone();
        url.set_query(None);
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &url.as_str())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.as_ref().map_or(0, Bytes::len))
            .finish()
    }
}

/// A provider's answer, whatever its status, read in full (up to the size cap).
#[derive(Clone)]
pub struct RawResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RawResponse {
    /// An answer with `status`, `body` and no headers: what the provider
    /// crates' codecs read in tests, benchmarks and fuzz targets.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        RawResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The HTTP client every provider crate sends through.
///
/// It enforces the workspace's transport rules: rustls, finite timeouts, no
/// redirects (a redirect could carry a secret query to another host), a
/// `User-Agent` naming the crate, a response size cap, a tracing span per
/// attempt, and retries only where they are safe.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    user_agent: HeaderValue,
    config: Arc<HttpConfig>,
    scrubber: Scrubber,
    rng: Arc<Mutex<fastrand::Rng>>,
    /// The client is the caller's ([`with_client`](Self::with_client)):
    /// the total timeout is set on every request, not trusted to its builder.
    foreign: bool,
}

impl HttpClient {
    /// A client with its own connection pool. `user_agent` is usually
    /// [`user_agent!()`](crate::user_agent).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] if the TLS stack cannot be set up (no crypto
    /// provider: see [`tls`](super::tls)) or the user agent is not a header value.
    pub fn new(user_agent: &str, config: HttpConfig, scrubber: Scrubber) -> Result<Self> {
        let builder = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .timeout(config.timeouts.total)
            .redirect(reqwest::redirect::Policy::none());
        let client = super::tls::configure(builder)?
            .build()
            .map_err(|e| Error::configuration(format_args!("HTTP client: {e}")))?;
        // Built with the total timeout: no request needs to carry it.
        Self::over(client, false, user_agent, config, scrubber)
    }

    /// Over the caller's `reqwest::Client` when one is given
    /// ([`with_client`](Self::with_client)), otherwise a client of the SDK's
    /// own ([`new`](Self::new)): what every provider crate's builder does.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new) and [`with_client`](Self::with_client).
    pub fn build(
        client: Option<reqwest::Client>,
        user_agent: &str,
        config: HttpConfig,
        scrubber: Scrubber,
    ) -> Result<Self> {
        match client {
            Some(client) => Self::with_client(client, user_agent, config, scrubber),
            None => Self::new(user_agent, config, scrubber),
        }
    }

    /// A client over the caller's `reqwest::Client` (shared pool, proxy, custom
    /// roots). What the SDK enforces per request: the total timeout, and
    /// *no redirects* — an answer that arrives from another URL than the one
    /// requested (the caller's client followed a redirect) is an error,
    /// never a result: [`Error::OutcomeUnknown`] for a money-moving call,
    /// [`Error::Configuration`] otherwise. What only the caller's builder can
    /// set: the connect timeout, and not following redirects in the first
    /// place (`reqwest::redirect::Policy::none()`, which this SDK's own
    /// client uses) — without it, the redirected request has already been
    /// sent when the SDK sees it.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] if the user agent is not a header value.
    pub fn with_client(
        client: reqwest::Client,
        user_agent: &str,
        config: HttpConfig,
        scrubber: Scrubber,
    ) -> Result<Self> {
        Self::over(client, true, user_agent, config, scrubber)
    }

    /// A client over `client`, the caller's one when `foreign`.
    fn over(
        client: reqwest::Client,
        foreign: bool,
        user_agent: &str,
        config: HttpConfig,
        scrubber: Scrubber,
    ) -> Result<Self> {
        let user_agent = HeaderValue::try_from(user_agent)
            .map_err(|_| Error::configuration("the user agent is not a valid header value"))?;
        Ok(HttpClient {
            client,
            user_agent,
            config: Arc::new(config),
            scrubber,
            rng: Arc::new(Mutex::new(fastrand::Rng::new())),
            foreign,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// The scrubber that cleans everything this client reports.
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// Sends `request` for `operation`, retrying as the policy allows, and
    /// returns the answer whatever its status.
    ///
    /// `reference` is the merchant reference the request carries, if any; it
    /// is put into [`Error::OutcomeUnknown`] so the caller can reconcile.
    ///
    /// # Errors
    ///
    /// [`Error::NotSent`] (connect failure), [`Error::OutcomeUnknown`] (a
    /// money-moving request may have been processed: timeout, broken
    /// connection), [`Error::Transport`] (the same for a read),
    /// [`Error::UndecodableResponse`] (answer over the size cap).
    pub async fn execute(
        &self,
        operation: Operation,
        reference: Option<&str>,
        request: &Request,
    ) -> Result<RawResponse> {
        let mut attempt = 1;
        loop {
            let span = tracing::info_span!(
                "provider_call",
                provider = operation.provider,
                operation = operation.name,
                attempt,
                reference = reference.unwrap_or(""),
                status = tracing::field::Empty
            );
            let outcome = self
                .attempt(operation, reference, request, &span)
                .instrument(span.clone())
                .await
                .map_err(|error| error.with_diagnostics(&exchange(reference, None)));
            let retry = match &outcome {
                Ok(response) => {
                    operation.kind.is_idempotent()
                        && is_transient_status(response.status)
                        && attempt < self.config.retry.max_attempts
                }
                Err(error) => self
                    .config
                    .retry
                    .should_retry(operation.kind, error, attempt),
            };
            if !retry {
                return outcome;
            }
            let delay = {
                let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
                self.config.retry.backoff(attempt, &mut rng)
            };
            tracing::debug!(
                provider = operation.provider,
                operation = operation.name,
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// As [`execute`](Self::execute), noting in `diagnostics` what a
    /// support desk needs: `reference` (unless it names one already) before
    /// sending, the answer's HTTP status after. An error carries what
    /// `diagnostics` holds; so can the caller's own errors about the answer
    /// (with [`Diagnostics::annotate`]).
    ///
    /// # Errors
    ///
    /// As [`execute`](Self::execute).
    pub async fn execute_noting(
        &self,
        operation: Operation,
        reference: Option<&str>,
        request: &Request,
        diagnostics: &mut Diagnostics,
    ) -> Result<RawResponse> {
        if diagnostics.reference.is_none() {
            diagnostics.reference = reference.map(str::to_owned);
        }
        let response = diagnostics.annotate(self.execute(operation, reference, request).await)?;
        diagnostics.http_status = Some(response.status);
        Ok(response)
    }

    async fn attempt(
        &self,
        operation: Operation,
        reference: Option<&str>,
        request: &Request,
        span: &tracing::Span,
    ) -> Result<RawResponse> {
        let started = Instant::now();
        // Built whole rather than through reqwest's builder. The map is
        // sized for the request's headers, the user agent and the defaults
        // reqwest adds (`accept`): nothing grows it on the way out (a copy
        // of the request's own map would have no room left).
        let mut outgoing = reqwest::Request::new(request.method.clone(), request.url.clone());
        let headers = outgoing.headers_mut();
        headers.reserve(request.headers.len() + 2);
        headers.extend(
            request
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        );
        headers.insert(USER_AGENT, self.user_agent.clone());
        if self.foreign {
            // The caller's client may have no total timeout, or another.
            *outgoing.timeout_mut() = Some(self.config.timeouts.total);
        }
        *outgoing.body_mut() = request.body.clone().map(reqwest::Body::from);
        let mut response = self
            .client
            .execute(outgoing)
            .await
            .map_err(|e| self.transport_error(operation, reference, e))?;
        if response.url() != &request.url {
            return Err(self.redirected(operation, reference, response.url()));
        }
        let status = response.status().as_u16();
        span.record("status", status);
        let cap = self.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > u64::try_from(cap).unwrap_or(u64::MAX))
        {
            return Err(self.too_large(operation, status));
        }
        let headers = std::mem::take(response.headers_mut());
        // An answer that arrives in one chunk is kept as it came; only one
        // in several chunks is copied into one buffer.
        let mut single: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            self.transport_error(operation, reference, e)
                .with_diagnostics(&exchange(None, Some(status)))
        })? {
            let so_far = joined
                .as_ref()
                .map_or_else(|| single.as_ref().map_or(0, Bytes::len), BytesMut::len);
            if so_far + chunk.len() > cap {
                return Err(self.too_large(operation, status));
            }
            match (joined.as_mut(), single.take()) {
                (Some(buffer), _) => buffer.extend_from_slice(&chunk),
                (None, None) => single = Some(chunk),
                (None, Some(first)) => {
                    let mut buffer = BytesMut::with_capacity(first.len() + chunk.len());
                    buffer.extend_from_slice(&first);
                    buffer.extend_from_slice(&chunk);
                    joined = Some(buffer);
                }
            }
        }
        let body = joined.map_or_else(|| single.unwrap_or_default(), BytesMut::freeze);
        tracing::debug!(
            status,
            bytes = body.len(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "provider answered"
        );
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// A caller-supplied client followed a redirect: the SDK never follows
    /// one, so the answer is not the provider's to this request.
    fn redirected(&self, operation: Operation, reference: Option<&str>, to: &Url) -> Error {
        let reason = format!(
            "the HTTP client followed a redirect (to host {}); build it with reqwest::redirect::Policy::none()",
            to.host_str().unwrap_or("?")
        );
        tracing::warn!(provider = operation.provider, operation = operation.name, %reason, "redirect followed");
        match operation.kind {
            OperationKind::MoneyMoving => Error::OutcomeUnknown {
                operation,
                reference: reference.map(str::to_owned),
                reason,
                source: None,
                diagnostics: None,
            },
            OperationKind::Read | OperationKind::Authentication => Error::configuration(reason),
        }
    }

    fn too_large(&self, operation: Operation, status: u16) -> Error {
        Error::UndecodableResponse {
            operation,
            detail: format!(
                "the answer is longer than the {} byte limit",
                self.config.max_response_bytes
            ),
            raw: crate::secret::RedactedText::from_static(""),
            source: None,
            diagnostics: None,
        }
        .with_diagnostics(&exchange(None, Some(status)))
    }

    /// Classifies a transport error by what it proves about the request.
    fn transport_error(
        &self,
        operation: Operation,
        reference: Option<&str>,
        error: reqwest::Error,
    ) -> Error {
        let connect = error.is_connect();
        let builder = error.is_builder();
        let timed_out = error.is_timeout();
        let (reason, error) = self.scrubber.scrub_reqwest(error);
        tracing::warn!(
            provider = operation.provider,
            operation = operation.name,
            reason = %reason,
            connect,
            timed_out,
            "transport failure"
        );
        if builder {
            return Error::configuration(reason);
        }
        if connect {
            return Error::NotSent {
                operation,
                reason,
                source: Some(Box::new(error)),
                diagnostics: None,
            };
        }
        match operation.kind {
            OperationKind::MoneyMoving => Error::OutcomeUnknown {
                operation,
                reference: reference.map(str::to_owned),
                reason: if timed_out {
                    format!(
                        "no answer within {:?} ({reason})",
                        self.config.timeouts.total
                    )
                } else {
                    reason
                },
                source: Some(Box::new(error)),
                diagnostics: None,
            },
            OperationKind::Read | OperationKind::Authentication => Error::Transport {
                operation,
                timed_out,
                reason,
                source: Some(Box::new(error)),
                diagnostics: None,
            },
        }
    }

    /// The error for an answer whose status the operation does not expect.
    ///
    /// A 5xx or 408 to a money-moving call is an [`Error::OutcomeUnknown`]:
    /// a gateway or a crashed handler says nothing about whether the
    /// payment was booked. Everything else is an [`Error::Http`].
    pub fn unexpected_status(
        &self,
        operation: Operation,
        reference: Option<&str>,
        response: &RawResponse,
    ) -> Error {
        let body = self.scrubber.excerpt(&response.body);
        let diagnostics = exchange(reference, Some(response.status));
        if operation.kind == OperationKind::MoneyMoving
            && (response.status >= 500 || response.status == 408)
        {
            return Error::OutcomeUnknown {
                operation,
                reference: reference.map(str::to_owned),
                reason: format!("HTTP {} from the provider: {body}", response.status),
                source: None,
                diagnostics: None,
            }
            .with_diagnostics(&diagnostics);
        }
        Error::Http {
            operation,
            status: response.status,
            body,
            diagnostics: None,
        }
        .with_diagnostics(&diagnostics)
    }

    /// An [`Error::UndecodableResponse`] for `response`, with a scrubbed excerpt.
    pub fn undecodable(
        &self,
        operation: Operation,
        detail: impl fmt::Display,
        response: &RawResponse,
        source: Option<crate::error::BoxError>,
    ) -> Error {
        Error::UndecodableResponse {
            operation,
            detail: self.scrubber.scrub(&detail.to_string()),
            raw: self.scrubber.excerpt(&response.body),
            source,
            diagnostics: None,
        }
        .with_diagnostics(&exchange(None, Some(response.status)))
    }

    /// Decodes a JSON answer. HTML pages, empty and truncated bodies and
    /// mismatched shapes become [`Error::UndecodableResponse`] naming what was
    /// wrong. The body is read strictly in the same pass
    /// ([`from_json`](crate::wire::from_json)): a member named twice in one
    /// object (read or skipped) or nesting past
    /// [`MAX_DEPTH`](crate::wire::MAX_DEPTH) refuse the answer, and amounts
    /// are read from their text.
    ///
    /// # Errors
    ///
    /// [`Error::UndecodableResponse`].
    pub fn decode_json<'a, T: Deserialize<'a>>(
        &self,
        operation: Operation,
        response: &'a RawResponse,
    ) -> Result<T> {
        crate::wire::from_json(&response.body).map_err(|e| {
            let detail = describe_json_failure(&response.body, &e);
            self.undecodable(operation, detail, response, Some(Box::new(e)))
        })
    }
}

/// What is known of one exchange: the reference it carried, the status of
/// its answer.
fn exchange(reference: Option<&str>, status: Option<u16>) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    diagnostics.reference = reference.map(str::to_owned);
    diagnostics.http_status = status;
    diagnostics
}

/// A one-line account of why a body is not the JSON expected.
pub fn describe_json_failure(body: &[u8], error: &serde_json::Error) -> String {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return "empty body".to_owned();
    }
    if trimmed.first() == Some(&b'<') {
        return "an HTML or XML page instead of JSON".to_owned();
    }
    // serde_json's own words for nesting past its limit, which every strict
    // read keeps (a skipped value's included).
    if error.to_string().starts_with("recursion limit exceeded") {
        return format!(
            "nested deeper than {} levels ({error})",
            crate::wire::MAX_DEPTH
        );
    }
    match error.classify() {
        serde_json::error::Category::Eof => format!("truncated JSON ({error})"),
        serde_json::error::Category::Syntax => format!("not JSON ({error})"),
        serde_json::error::Category::Data => format!("unexpected JSON shape ({error})"),
        serde_json::error::Category::Io => format!("read failure ({error})"),
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("user_agent", &self.user_agent)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
