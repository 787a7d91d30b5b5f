//! Client configuration.

use std::fmt;

use payments_core::http::HttpConfig;
use payments_core::{BaseUrl, Error, SecretString};

use crate::model::WalletType;
use crate::postback::PostbackKeys;

/// Everything a [`PaykassmaClient`](crate::PaykassmaClient) needs.
///
/// Paykassma gives each merchant a server host `{server}`; the API lives at
/// `https://api.{server}` and the payment window at `https://plugin.{server}`.
///
/// ```
/// use paykassma::PaykassmaConfig;
/// use paykassma::SecretString;
///
/// let config = PaykassmaConfig::for_server("pay.example.com", SecretString::from("plugin-api-secret"))?;
/// assert_eq!(config.api_url.to_string(), "https://api.pay.example.com/");
/// assert!(!format!("{config:?}").contains("plugin-api-secret"));
/// # Ok::<(), paykassma::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct PaykassmaConfig {
    /// `https://api.{server}/` (or any override, a loopback sandbox included).
    pub api_url: BaseUrl,
    /// `https://plugin.{server}/`, for payment-window links.
    pub plugin_url: BaseUrl,
    /// The plugin API secret (`PLUGINAPI_SECRET`), sent as the `secret` query parameter.
    pub secret: SecretString,
    /// The postback keys, for [`PostbackVerifier`](crate::postback::PostbackVerifier).
    pub postback_keys: Option<PostbackKeys>,
    /// The wallet type used when a call names none (default `wavepay`).
    pub default_wallet_type: WalletType,
    /// Timeouts, response cap and read retries.
    pub http: HttpConfig,
}

impl PaykassmaConfig {
    /// A configuration by name: [`PaykassmaConfigBuilder`].
    pub fn builder() -> PaykassmaConfigBuilder {
        PaykassmaConfigBuilder::default()
    }

    /// The configuration from the environment: `PAYKASSMA_SECRET`
    /// (required), and either `PAYKASSMA_API_URL` (a full API base URL, with
    /// `PAYKASSMA_PLUGIN_URL` if the plugin API lives elsewhere) or
    /// `PAYKASSMA_DOMAIN` (the merchant's server host); the postback keys
    /// from `PAYKASSMA_POSTBACK_ACCESS_KEY` and
    /// `PAYKASSMA_POSTBACK_PRIVATE_KEY` when both are set.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] naming every missing variable (or a
    /// postback key set without the other), or a URL or host that does not
    /// parse.
    pub fn from_env() -> Result<Self, Error> {
        let mut env = payments_core::env_config::EnvReader::new();
        let secret = env.secret("PAYKASSMA_SECRET");
        let (api, domain) = (
            env.optional("PAYKASSMA_API_URL"),
            env.optional("PAYKASSMA_DOMAIN"),
        );
        if api.is_none() && domain.is_none() {
            env.required("PAYKASSMA_DOMAIN");
        }
        let keys = match (
            env.optional("PAYKASSMA_POSTBACK_ACCESS_KEY"),
            env.optional("PAYKASSMA_POSTBACK_PRIVATE_KEY"),
        ) {
            (Some(access), Some(private)) => Some(PostbackKeys::new(
                SecretString::from(access),
                SecretString::from(private),
            )),
            (None, None) => None,
            (Some(_), None) => {
                env.required("PAYKASSMA_POSTBACK_PRIVATE_KEY");
                None
            }
            (None, Some(_)) => {
                env.required("PAYKASSMA_POSTBACK_ACCESS_KEY");
                None
            }
        };
        let plugin = env.optional("PAYKASSMA_PLUGIN_URL");
        env.finish()?;
        let config = match (api, domain) {
            (Some(api), _) => {
                let api = BaseUrl::parse(&api)?;
                let plugin = match plugin {
                    Some(url) => BaseUrl::parse(&url)?,
                    None => api.clone(),
                };
                PaykassmaConfig::with_urls(api, plugin, secret)
            }
            (None, domain) => PaykassmaConfig::for_server(&domain.unwrap_or_default(), secret)?,
        };
        Ok(match keys {
            Some(keys) => config.postback_keys(keys),
            None => config,
        })
    }

    /// The configuration for the merchant's Paykassma server host (`pay.example.com`).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] if `server` is not a host name.
    pub fn for_server(server: &str, secret: SecretString) -> Result<Self, Error> {
        let server = server.trim().trim_end_matches('/');
        if server.is_empty() || server.contains("://") || server.contains('/') {
            return Err(Error::configuration(format_args!(
                "`{server}` is not a server host (expected something like `pay.example.com`)"
            )));
        }
        Ok(Self::with_urls(
            BaseUrl::parse(&format!("https://api.{server}"))?,
            BaseUrl::parse(&format!("https://plugin.{server}"))?,
            secret,
        ))
    }

    /// A configuration with explicit API and plugin URLs.
    pub fn with_urls(api_url: BaseUrl, plugin_url: BaseUrl, secret: SecretString) -> Self {
        PaykassmaConfig {
            api_url,
            plugin_url,
            secret,
            postback_keys: None,
            default_wallet_type: WalletType::WAVEPAY,
            http: HttpConfig::default(),
        }
    }

    /// Sets the postback keys.
    #[must_use]
    pub fn postback_keys(mut self, keys: PostbackKeys) -> Self {
        self.postback_keys = Some(keys);
        self
    }
}

/// A [`PaykassmaConfig`] by name:
///
/// ```
/// use paykassma::{PaykassmaConfig, SecretString, WalletType};
///
/// let config = PaykassmaConfig::builder()
///     .server("pay.example.com")
///     .secret(SecretString::from("plugin-api-secret"))
///     .default_wallet_type(WalletType::WAVEPAY)
///     .build()?;
/// assert_eq!(config.plugin_url.to_string(), "https://plugin.pay.example.com/");
///
/// let error = PaykassmaConfig::builder().build().unwrap_err();
/// assert_eq!(error.to_string(), "configuration: PaykassmaConfig needs server or api_url, secret");
/// # Ok::<(), paykassma::Error>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct PaykassmaConfigBuilder {
    server: Option<String>,
    api_url: Option<BaseUrl>,
    plugin_url: Option<BaseUrl>,
    secret: Option<SecretString>,
    postback_keys: Option<PostbackKeys>,
    default_wallet_type: Option<WalletType>,
    http: Option<HttpConfig>,
}

impl fmt::Debug for PaykassmaConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaykassmaConfigBuilder")
            .field("server", &self.server)
            .field("api_url", &self.api_url)
            .field("plugin_url", &self.plugin_url)
            .finish_non_exhaustive()
    }
}

impl PaykassmaConfigBuilder {
    /// The merchant's server host (`pay.example.com`): the API at
    /// `https://api.{server}`, the payment window at `https://plugin.{server}`.
    pub fn server(mut self, server: impl Into<String>) -> Self {
        self.server = Some(server.into());
        self
    }

    /// The API's base URL instead of a server host (a sandbox, a proxy).
    pub fn api_url(mut self, url: BaseUrl) -> Self {
        self.api_url = Some(url);
        self
    }

    /// The payment window's base URL, with [`api_url`](Self::api_url)
    /// (default: the API's).
    pub fn plugin_url(mut self, url: BaseUrl) -> Self {
        self.plugin_url = Some(url);
        self
    }

    /// The plugin API secret (`PLUGINAPI_SECRET`).
    pub fn secret(mut self, secret: SecretString) -> Self {
        self.secret = Some(secret);
        self
    }

    /// The postback keys.
    pub fn postback_keys(mut self, keys: PostbackKeys) -> Self {
        self.postback_keys = Some(keys);
        self
    }

    /// The wallet type used when a call names none (default `wavepay`).
    pub fn default_wallet_type(mut self, wallet_type: WalletType) -> Self {
        self.default_wallet_type = Some(wallet_type);
        self
    }

    /// Timeouts, response cap and read retries.
    pub fn http(mut self, http: HttpConfig) -> Self {
        self.http = Some(http);
        self
    }

    /// The configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] naming every missing field, or a server
    /// host that is not one.
    pub fn build(self) -> Result<PaykassmaConfig, Error> {
        let mut fields = payments_core::env_config::Required::new("PaykassmaConfig");
        let place = fields.take(
            "server or api_url",
            match (self.server, self.api_url) {
                (Some(server), _) => Some(Err(server)),
                (None, Some(api)) => Some(Ok(api)),
                (None, None) => None,
            },
        );
        let secret = fields.take("secret", self.secret);
        let (Some(place), Some(secret)) = (place, secret) else {
            return Err(fields.error());
        };
        let mut config = match place {
            Err(server) => PaykassmaConfig::for_server(&server, secret)?,
            Ok(api) => {
                let plugin = self.plugin_url.unwrap_or_else(|| api.clone());
                PaykassmaConfig::with_urls(api, plugin, secret)
            }
        };
        config.postback_keys = self.postback_keys;
        if let Some(wallet_type) = self.default_wallet_type {
            config.default_wallet_type = wallet_type;
        }
        if let Some(http) = self.http {
            config.http = http;
        }
        Ok(config)
    }
}

impl fmt::Debug for PaykassmaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaykassmaConfig")
            .field("api_url", &self.api_url)
            .field("plugin_url", &self.plugin_url)
            .field("secret", &"[REDACTED]")
            .field("postback_keys", &self.postback_keys)
            .field("default_wallet_type", &self.default_wallet_type)
            .field("http", &self.http)
            .finish()
    }
}
