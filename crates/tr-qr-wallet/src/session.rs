//! The client itself: its state, token life (client-credentials tokens,
//! renewed once on HTTP 401), the envelope, and sending one call.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use payments_core::clock::{Clock, SystemClock};
use payments_core::http::{BearerToken, HttpClient, RawResponse, Request};
use payments_core::secret::Scrubber;
use payments_core::token::{FreshToken, Lease, TokenCache};
use payments_core::{
    BaseUrl, Decline, DeclineKind, Diagnostics, Error, ExposeSecret, Operation, Result,
    SecretString,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::QrWalletConfig;
use crate::model::WalletCode;
use crate::payment::{BEGIN_PATH, COMPLETE_PATH};
use crate::qr::CREATE_QR_PATH;
use crate::wire::{self, Envelope, TOKEN};

/// A client of Sipay's wallet "Mobile API" for third-party QR payments.
/// Cheap to clone, `Send + Sync`; tokens are shared and single-flight.
#[derive(Clone)]
pub struct QrWalletClient {
    pub(crate) inner: Arc<Inner>,
}

/// A client's state, shared by its clones.
pub(crate) struct Inner {
    pub(crate) config: QrWalletConfig,
    /// Each operation's URL, joined once.
    pub(crate) begin_url: url::Url,
    pub(crate) complete_url: url::Url,
    pub(crate) create_qr_url: url::Url,
    /// The `x-client-id` header, checked and made once.
    pub(crate) x_client_id: http::HeaderValue,
    pub(crate) http: HttpClient,
    pub(crate) tokens: TokenCache<BearerToken>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) open: payments_core::gateway::OpenPayments<crate::BegunPayment>,
}

/// Builds a [`QrWalletClient`] with non-default parts.
pub struct QrWalletClientBuilder {
    config: QrWalletConfig,
    http_client: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
}

impl QrWalletClientBuilder {
    /// Sends through the caller's `reqwest::Client` (shared pool, proxy).
    /// The SDK still refuses to follow redirects and applies its total
    /// timeout to every request; the connect timeout is the caller's.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Reads time (token and session expiry) from `clock`.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a token URL that breaks the https rule,
    /// or when the HTTP client cannot be set up.
    pub fn build(self) -> Result<QrWalletClient> {
        let (config, clock) = (self.config, self.clock);
        // The token endpoint carries the client secret: the same https
        // (or loopback http) rule as every other URL.
        BaseUrl::endpoint(config.token_url.as_str())
            .map_err(|e| Error::configuration(format_args!("token_url: {e}")))?;
        let scrubber = Scrubber::new().with(&config.client_secret);
        let user_agent = payments_core::user_agent!();
        let http = HttpClient::build(self.http_client, user_agent, config.http.clone(), scrubber)?;
        Ok(QrWalletClient {
            inner: Arc::new(Inner {
                open: payments_core::gateway::OpenPayments::default(),
                tokens: TokenCache::with_clock(config.token_skew, Arc::clone(&clock)),
                begin_url: config.api_url.join(BEGIN_PATH)?,
                complete_url: config.api_url.join(COMPLETE_PATH)?,
                create_qr_url: config.api_url.join(CREATE_QR_PATH)?,
                x_client_id: http::HeaderValue::try_from(config.x_client_id.as_str()).map_err(
                    |_| {
                        Error::configuration(
                            "x_client_id has characters an HTTP header cannot carry",
                        )
                    },
                )?,
                config,
                http,
                clock,
            }),
        })
    }
}

impl QrWalletClient {
    /// A client on the system clock.
    ///
    /// # Errors
    ///
    /// As [`QrWalletClientBuilder::build`].
    pub fn new(config: QrWalletConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// A builder, to replace the HTTP client or the clock.
    pub fn builder(config: QrWalletConfig) -> QrWalletClientBuilder {
        QrWalletClientBuilder {
            config,
            http_client: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &QrWalletConfig {
        &self.inner.config
    }

    async fn token(&self) -> Result<Lease<BearerToken>> {
        self.inner.tokens.get(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<FreshToken<BearerToken>> {
        let config = &self.inner.config;
        let request = Request::post(config.token_url.clone()).form([
            ("grant_type", "client_credentials"),
            ("client_id", config.client_id.as_str()),
            ("client_secret", config.client_secret.expose_secret()),
            ("scope", config.scope.as_str()),
        ]);
        let response = self.inner.http.execute(TOKEN, None, &request).await?;
        if matches!(response.status, 400 | 401 | 403) {
            #[derive(serde::Deserialize)]
            struct OAuthError {
                error: String,
            }
            let reason = serde_json::from_slice::<OAuthError>(&response.body)
                .map_or_else(|_| format!("HTTP {}", response.status), |e| e.error);
            return Err(Error::Authentication {
                operation: TOKEN,
                message: format!("the identity server refused the client credentials ({reason})"),
                diagnostics: None,
            }
            .with_diagnostics(&Diagnostics::new().with_http_status(response.status)));
        }
        if !response.is_success() {
            return Err(self.inner.http.unexpected_status(TOKEN, None, &response));
        }
        let answer: wire::TokenAnswer = payments_core::wire::from_json(&response.body)
            .map_err(|e| payments_core::http::describe_json_failure(&response.body, &e))
            .map_err(|detail| Error::UndecodableResponse {
                operation: TOKEN,
                detail,
                raw: payments_core::secret::RedactedText::from_static(
                    "[withheld: a token answer may hold a token]",
                ),
                source: None,
                diagnostics: None,
            })?;
        self.inner.http.scrubber().learn(&answer.access_token);
        Ok(FreshToken {
            value: BearerToken::new(TOKEN, &SecretString::from(answer.access_token)).map_err(
                |e| e.with_diagnostics(&Diagnostics::new().with_http_status(response.status)),
            )?,
            expires_in: Duration::from_secs(answer.expires_in.unwrap_or(3600)),
        })
    }

    /// POSTs `body` to `path` with the bearer token and `x-client-id`;
    /// renews the token once on HTTP 401 (the call was refused, not processed).
    /// Reads the payload of a successful envelope with `read`. Every error,
    /// `read`'s included, names the reference — on Complete, the
    /// `tx_correlation_id`, which is also the correlation id — and the HTTP
    /// status.
    pub(crate) async fn call<B: Serialize, P: DeserializeOwned, T>(
        &self,
        operation: Operation,
        url: &url::Url,
        reference: Option<&str>,
        body: &B,
        read: impl FnOnce(P, &RawResponse) -> Result<T>,
    ) -> Result<T> {
        let mut diagnostics = Diagnostics::new();
        diagnostics.correlation_id = reference.map(str::to_owned);
        diagnostics
            .reference
            .clone_from(&diagnostics.correlation_id);
        let outcome = self
            .exchange(operation, url, reference, body, &mut diagnostics)
            .await
            .and_then(|(payload, response)| read(payload, &response));
        // A provider's message may quote the request: scrubbed whole.
        diagnostics
            .annotate(outcome)
            .map_err(|e| e.scrubbed(self.inner.http.scrubber()))
    }

    /// [`call`](Self::call) without the reading: the payload and the answer
    /// it came in, the exchange noted in `diagnostics`.
    async fn exchange<B: Serialize, P: DeserializeOwned>(
        &self,
        operation: Operation,
        url: &url::Url,
        reference: Option<&str>,
        body: &B,
        diagnostics: &mut Diagnostics,
    ) -> Result<(P, RawResponse)> {
        let mut renewed = false;
        loop {
            let token = self.token().await?;
            let request = self.api_request(url, |r| Ok(r.bearer_token(&token)), body)?;
            let response = self
                .inner
                .http
                .execute_noting(operation, reference, &request, diagnostics)
                .await?;
            if response.status == 401 && !renewed {
                self.inner.tokens.invalidate(&token);
                renewed = true;
                continue;
            }
            if response.status == 401 {
                return Err(Error::Authentication {
                    operation,
                    message: "the API refused a freshly issued token".to_owned(),
                    diagnostics: None,
                });
            }
            let payload = self.read_envelope(operation, reference, &response)?;
            return Ok((payload, response));
        }
    }

    /// A `POST` of `body` to `url` with `x-client-id`, the bearer token set
    /// by `authorize` (from the token cache's ready header, or from a token's
    /// text).
    pub(crate) fn api_request<B: Serialize>(
        &self,
        url: &url::Url,
        authorize: impl FnOnce(Request) -> Result<Request>,
        body: &B,
    ) -> Result<Request> {
        authorize(Request::post(url.clone()))?
            .header(
                http::HeaderName::from_static("x-client-id"),
                self.inner.x_client_id.clone(),
            )
            .json(body)
    }

    /// The payload of an answer other than 401: a successful envelope's, or
    /// the error the answer is.
    pub(crate) fn read_envelope<P: DeserializeOwned>(
        &self,
        operation: Operation,
        reference: Option<&str>,
        response: &RawResponse,
    ) -> Result<P> {
        {
            if !response.is_success() {
                return Err(self
                    .inner
                    .http
                    .unexpected_status(operation, reference, response));
            }
            let envelope: Envelope<P> = self.inner.http.decode_json(operation, response)?;
            let code = envelope.code.clone().unwrap_or_default();
            // Success is `status` 0 with code "100" — or "0": the seed's
            // Complete table says "0" while both its examples show "100".
            if envelope.status.trim() != "0" || !matches!(code.trim(), "100" | "0") {
                let decline = decline(
                    operation,
                    &code,
                    envelope.message.as_deref().unwrap_or_default(),
                );
                // On Complete, only the codes Sipay documents as refusals
                // (300, 310, 311) say "not debited"; any other code — 301,
                // a generic or undocumented error — may follow a debit.
                if operation.kind == payments_core::OperationKind::MoneyMoving
                    && !WalletCode::from_code(code.trim()).refuses_before_debit()
                {
                    return Err(decline.undocumented_refusal(
                        reference.map(str::to_owned),
                        format_args!(
                            "answered code `{}`, which Sipay does not document as a refusal before the debit: settle it",
                            code.trim()
                        ),
                    ));
                }
                return Err(decline);
            }
            envelope.payload.ok_or_else(|| {
                self.inner
                    .http
                    .undecodable(operation, "success without a payload", response, None)
            })
        }
    }
}

pub(crate) fn decline(operation: Operation, code: &str, message: &str) -> Error {
    let kind = match WalletCode::from_code(code) {
        WalletCode::WalletNotFound => DeclineKind::AccountNotFound,
        WalletCode::Duplicate => DeclineKind::DuplicateReference,
        WalletCode::LimitInsufficient => DeclineKind::LimitExceeded,
        WalletCode::InsufficientBalance => DeclineKind::InsufficientFunds,
        WalletCode::Success | WalletCode::Other(_) => DeclineKind::Other,
    };
    Error::declined(operation, Decline::new(code, kind, message))
}

impl fmt::Debug for QrWalletClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrWalletClient")
            .field("config", &self.inner.config)
            .field("token", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

impl QrWalletClient {
    pub(crate) fn open(&self) -> &payments_core::gateway::OpenPayments<crate::BegunPayment> {
        &self.inner.open
    }
}
