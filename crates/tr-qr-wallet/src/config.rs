//! Client configuration.

use std::fmt;
use std::time::Duration;

use payments_core::http::{HttpConfig, RetryPolicy};
use payments_core::{BaseUrl, Error, SecretString};
use url::Url;

/// Sipay's UAT wallet API.
pub const UAT_API_URL: &str = "https://stsapiuat.walletgate.io";
/// Sipay's UAT identity server's token endpoint.
pub const UAT_TOKEN_URL: &str = "https://idsuat.walletgate.io/connect/token";

/// How `tx_correlation_id` goes back on the wire in Complete.
///
/// The document types it `int` and its example request sends a bare
/// 22-digit number, while Begin answers it as a string. The default follows
/// the document — a JSON number, its digits written exactly as received
/// (never through `u64` or `f64`) — and `String` is there for a deployment
/// that wants the quoted form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CorrelationIdEncoding {
    /// `"tx_correlation_id": 7777777777777777777777`.
    #[default]
    Number,
    /// `"tx_correlation_id": "7777777777777777777777"`.
    String,
}

/// Everything a [`QrWalletClient`](crate::QrWalletClient) needs.
///
/// ```
/// use tr_qr_wallet::SecretString;
/// use tr_qr_wallet::QrWalletConfig;
///
/// let config = QrWalletConfig::uat("client-id", SecretString::from("client-secret"), "x-client", "provider-1")?;
/// assert_eq!(config.token_url.as_str(), "https://idsuat.walletgate.io/connect/token");
/// assert!(!format!("{config:?}").contains("client-secret"));
/// # Ok::<(), tr_qr_wallet::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct QrWalletConfig {
    /// The wallet API (`https://stsapiuat.walletgate.io/` in UAT).
    pub api_url: BaseUrl,
    /// The identity server's token endpoint (`…/connect/token`).
    pub token_url: Url,
    /// The OAuth2 client id.
    pub client_id: String,
    /// The OAuth2 client secret.
    pub client_secret: SecretString,
    /// The OAuth2 scope (default `api`).
    pub scope: String,
    /// The `x-client-id` header every API call carries.
    pub x_client_id: String,
    /// `provider_id`: the integrating company's id.
    pub provider_id: String,
    /// How `tx_correlation_id` is sent back.
    pub correlation_id_encoding: CorrelationIdEncoding,
    /// Tokens are renewed this long before they expire.
    pub token_skew: Duration,
    /// Timeouts, response cap and read retries.
    pub http: HttpConfig,
    /// How [`settle_session`](crate::QrWalletClient::settle_session) (and
    /// so [`settle`](crate::QrWalletClient::settle)) repeats Complete while
    /// its outcome stays unknown (default:
    /// [`default_reconcile_policy`](payments_core::gateway::default_reconcile_policy)).
    pub settle: RetryPolicy,
}

impl QrWalletConfig {
    /// A configuration by name: [`QrWalletConfigBuilder`].
    pub fn builder() -> QrWalletConfigBuilder {
        QrWalletConfigBuilder::default()
    }

    /// The configuration from the environment: `TR_QR_API_URL`,
    /// `TR_QR_TOKEN_URL`, `TR_QR_CLIENT_ID`, `TR_QR_CLIENT_SECRET`,
    /// `TR_QR_X_CLIENT_ID`, `TR_QR_PROVIDER_ID` (required) and
    /// `TR_QR_SCOPE` (optional).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] naming every missing variable, or a URL that
    /// does not parse.
    pub fn from_env() -> Result<Self, Error> {
        let mut env = payments_core::env_config::EnvReader::new();
        let (api, token) = (
            env.required("TR_QR_API_URL"),
            env.required("TR_QR_TOKEN_URL"),
        );
        let (client_id, client_secret) = (
            env.required("TR_QR_CLIENT_ID"),
            env.secret("TR_QR_CLIENT_SECRET"),
        );
        let (x_client_id, provider_id) = (
            env.required("TR_QR_X_CLIENT_ID"),
            env.required("TR_QR_PROVIDER_ID"),
        );
        let scope = env.optional("TR_QR_SCOPE");
        env.finish()?;
        let config = QrWalletConfig::new(
            BaseUrl::parse(&api)?,
            BaseUrl::endpoint(&token)?,
            client_id,
            client_secret,
            x_client_id,
            provider_id,
        )?;
        Ok(match scope {
            Some(scope) => config.scope(scope),
            None => config,
        })
    }

    /// A configuration with explicit URLs.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for an empty `provider_id`.
    pub fn new(
        api_url: BaseUrl,
        token_url: Url,
        client_id: impl Into<String>,
        client_secret: SecretString,
        x_client_id: impl Into<String>,
        provider_id: impl Into<String>,
    ) -> Result<Self, Error> {
        let provider_id = provider_id.into();
        if provider_id.trim().is_empty() {
            return Err(Error::configuration("provider_id must not be empty"));
        }
        Ok(Self::assemble(
            api_url,
            token_url,
            client_id.into(),
            client_secret,
            x_client_id.into(),
            provider_id,
        ))
    }

    /// The configuration, `provider_id` already checked.
    pub(crate) fn assemble(
        api_url: BaseUrl,
        token_url: Url,
        client_id: String,
        client_secret: SecretString,
        x_client_id: String,
        provider_id: String,
    ) -> Self {
        QrWalletConfig {
            api_url,
            token_url,
            client_id,
            client_secret,
            scope: "api".to_owned(),
            x_client_id,
            provider_id,
            correlation_id_encoding: CorrelationIdEncoding::default(),
            token_skew: Duration::from_secs(60),
            http: HttpConfig::default(),
            settle: payments_core::gateway::default_reconcile_policy(),
        }
    }

    /// Sipay's UAT system.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for an empty `provider_id`.
    pub fn uat(
        client_id: impl Into<String>,
        client_secret: SecretString,
        x_client_id: impl Into<String>,
        provider_id: impl Into<String>,
    ) -> Result<Self, Error> {
        Self::new(
            BaseUrl::parse(UAT_API_URL)?,
            BaseUrl::endpoint(UAT_TOKEN_URL)?,
            client_id,
            client_secret,
            x_client_id,
            provider_id,
        )
    }

    /// Sets the scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }
}

/// A [`QrWalletConfig`] by name — no positional strings to swap:
///
/// ```
/// use tr_qr_wallet::{QrWalletConfig, SecretString};
///
/// let config = QrWalletConfig::builder()
///     .uat()
///     .client_id("client-id")
///     .client_secret(SecretString::from("client-secret"))
///     .x_client_id("x-client-id")
///     .provider_id("provider-id")
///     .build()?;
/// assert_eq!(config.provider_id, "provider-id");
///
/// let error = QrWalletConfig::builder().client_id("client-id").build().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "configuration: QrWalletConfig needs api_url (or uat()), token_url (or uat()), client_secret, x_client_id, provider_id"
/// );
/// # Ok::<(), tr_qr_wallet::Error>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct QrWalletConfigBuilder {
    api_url: Option<String>,
    token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    x_client_id: Option<String>,
    provider_id: Option<String>,
    scope: Option<String>,
}

impl fmt::Debug for QrWalletConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrWalletConfigBuilder")
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("x_client_id", &self.x_client_id)
            .field("provider_id", &self.provider_id)
            .finish_non_exhaustive()
    }
}

impl QrWalletConfigBuilder {
    /// Sipay's UAT system ([`UAT_API_URL`], [`UAT_TOKEN_URL`]).
    pub fn uat(self) -> Self {
        self.api_url(UAT_API_URL).token_url(UAT_TOKEN_URL)
    }

    /// The wallet API's base URL.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// The identity server's token endpoint (`…/connect/token`).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// The OAuth2 client id.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The OAuth2 client secret.
    pub fn client_secret(mut self, secret: SecretString) -> Self {
        self.client_secret = Some(secret);
        self
    }

    /// The `x-client-id` header.
    pub fn x_client_id(mut self, id: impl Into<String>) -> Self {
        self.x_client_id = Some(id.into());
        self
    }

    /// `provider_id`: the integrating company's id.
    pub fn provider_id(mut self, id: impl Into<String>) -> Self {
        self.provider_id = Some(id.into());
        self
    }

    /// The OAuth2 scope (default `api`).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] naming every missing field, or a URL that
    /// does not parse.
    pub fn build(self) -> Result<QrWalletConfig, Error> {
        let mut fields = payments_core::env_config::Required::new("QrWalletConfig");
        let api_url = fields.take("api_url (or uat())", self.api_url);
        let token_url = fields.take("token_url (or uat())", self.token_url);
        let client_id = fields.take("client_id", self.client_id);
        let client_secret = fields.take("client_secret", self.client_secret);
        let x_client_id = fields.take("x_client_id", self.x_client_id);
        let provider_id = fields.take("provider_id", self.provider_id);
        let (
            Some(api_url),
            Some(token_url),
            Some(client_id),
            Some(client_secret),
            Some(x_client_id),
            Some(provider_id),
        ) = (
            api_url,
            token_url,
            client_id,
            client_secret,
            x_client_id,
            provider_id,
        )
        else {
            return Err(fields.error());
        };
        let config = QrWalletConfig::new(
            BaseUrl::parse(&api_url)?,
            BaseUrl::endpoint(&token_url)?,
            client_id,
            client_secret,
            x_client_id,
            provider_id,
        )?;
        Ok(match self.scope {
            Some(scope) => config.scope(scope),
            None => config,
        })
    }
}

impl fmt::Debug for QrWalletConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrWalletConfig")
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("scope", &self.scope)
            .field("x_client_id", &self.x_client_id)
            .field("provider_id", &self.provider_id)
            .field("correlation_id_encoding", &self.correlation_id_encoding)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}
