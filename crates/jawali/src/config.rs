//! Client configuration.

use std::fmt;
use std::time::Duration;

use payments_core::http::HttpConfig;
use payments_core::{Environment, SecretString};

/// The published test system (`https://app.wecash.com.ye:9493`).
pub const TEST_BASE_URL: &str = "https://app.wecash.com.ye:9493";

/// How `clientDate` is written in the `callWS` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientDateFormat {
    /// UNIX time in milliseconds, as the provider's document says (`"1732345678901"`).
    #[default]
    UnixMillis,
    /// `yyyyMMddHHmm` in Yemen's time (UTC+03:00), as some integrations send it.
    Compact,
}

/// The OAuth client the `LOGIN` password grant authenticates as.
///
/// Every public integration uses `restapp`/`restapp` with scope `read`,
/// which are the defaults.
#[derive(Clone)]
#[non_exhaustive]
pub struct OAuthClient {
    /// `client_id` (default `restapp`).
    pub client_id: String,
    /// `client_secret` (default `restapp`).
    pub client_secret: SecretString,
    /// `scope` (default `read`).
    pub scope: String,
}

impl Default for OAuthClient {
    fn default() -> Self {
        OAuthClient {
            client_id: "restapp".to_owned(),
            client_secret: SecretString::from("restapp"),
            scope: "read".to_owned(),
        }
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("scope", &self.scope)
            .finish()
    }
}

/// Everything a [`JawaliClient`](crate::JawaliClient) needs. Secrets are
/// `SecretString`s: `Debug` never prints them.
///
/// ```
/// use jawali::JawaliConfig;
/// use jawali::{Environment, SecretString};
///
/// let config = JawaliConfig::builder()
///     .environment(Environment::Test)
///     .username("merchant-user")
///     .password(SecretString::from("login password"))
///     .org_id("1234")
///     .agent_wallet("777000111")
///     .wallet_password(SecretString::from("wallet password"))
///     .build()?
///     .external_user("checkout-web");
/// assert!(!format!("{config:?}").contains("wallet password"));
/// // Or from the environment: `JawaliConfig::from_env()?`.
/// # Ok::<(), jawali::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct JawaliConfig {
    /// Which system: [`Environment::Test`] is the published test host;
    /// production needs [`Environment::Custom`] with the address Jawali gave you.
    pub environment: Environment,
    /// `userID` / `username`: the merchant's user.
    pub username: String,
    /// The merchant user's password (`LOGIN`).
    pub password: SecretString,
    /// `orgID`: the merchant's organisation number.
    pub org_id: String,
    /// `agentWallet` / `identifier`: the merchant's wallet.
    pub agent_wallet: String,
    /// The merchant wallet's password (`WALLETAUTHENTICATION` and every wallet call).
    pub wallet_password: SecretString,
    /// `externalUser`: a user name in the merchant's system (defaults to `username`).
    pub external_user: String,
    /// The OAuth client of the `LOGIN` grant.
    pub oauth: OAuthClient,
    /// How `clientDate` is written.
    pub client_date: ClientDateFormat,
    /// `purpose` sent with inquiries and cash-outs when the call gives none.
    pub default_purpose: String,
    /// How long a wallet token is trusted when the provider does not say
    /// (it is renewed earlier whenever the provider rejects it).
    pub wallet_token_lifetime: Duration,
    /// Tokens are renewed this long before they expire.
    pub token_skew: Duration,
    /// Timeouts, response cap and read retries.
    pub http: HttpConfig,
}

impl JawaliConfig {
    /// A configuration by name ([`JawaliConfigBuilder`]).
    pub fn builder() -> JawaliConfigBuilder {
        JawaliConfigBuilder::default()
    }

    /// The configuration from the environment, with the documented
    /// defaults for the rest: `JAWALI_USERNAME`, `JAWALI_PASSWORD`,
    /// `JAWALI_ORG_ID`, `JAWALI_WALLET`, `JAWALI_WALLET_PASSWORD`
    /// (required), `JAWALI_EXTERNAL_USER` (else the username) and
    /// `JAWALI_BASE_URL` (a full base URL; unset, the published test host —
    /// set it in production).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`](payments_core::Error::Configuration) naming
    /// every missing variable, or a base URL that does not parse.
    pub fn from_env() -> Result<Self, payments_core::Error> {
        let mut env = payments_core::env_config::EnvReader::new();
        let (username, password, org_id) = (
            env.required("JAWALI_USERNAME"),
            env.secret("JAWALI_PASSWORD"),
            env.required("JAWALI_ORG_ID"),
        );
        let (wallet, wallet_password) = (
            env.required("JAWALI_WALLET"),
            env.secret("JAWALI_WALLET_PASSWORD"),
        );
        let environment = match env.optional("JAWALI_BASE_URL") {
            Some(url) => Environment::Custom(payments_core::BaseUrl::parse(&url)?),
            None => Environment::Test,
        };
        let external_user = env.optional("JAWALI_EXTERNAL_USER");
        env.finish()?;
        let config = JawaliConfig::new(
            environment,
            username,
            password,
            org_id,
            wallet,
            wallet_password,
        );
        Ok(match external_user {
            Some(user) => config.external_user(user),
            None => config,
        })
    }

    /// A configuration with the documented defaults for everything else.
    pub fn new(
        environment: Environment,
        username: impl Into<String>,
        password: SecretString,
        org_id: impl Into<String>,
        agent_wallet: impl Into<String>,
        wallet_password: SecretString,
    ) -> Self {
        let username = username.into();
        JawaliConfig {
            environment,
            external_user: username.clone(),
            username,
            password,
            org_id: org_id.into(),
            agent_wallet: agent_wallet.into(),
            wallet_password,
            oauth: OAuthClient::default(),
            client_date: ClientDateFormat::default(),
            default_purpose: "Online purchase".to_owned(),
            wallet_token_lifetime: Duration::from_secs(30 * 60),
            token_skew: Duration::from_secs(60),
            http: HttpConfig::default(),
        }
    }

    /// Sets `externalUser`.
    #[must_use]
    pub fn external_user(mut self, user: impl Into<String>) -> Self {
        self.external_user = user.into();
        self
    }

    /// Sets the `clientDate` format.
    #[must_use]
    pub fn client_date(mut self, format: ClientDateFormat) -> Self {
        self.client_date = format;
        self
    }

    /// Sets the OAuth client.
    #[must_use]
    pub fn oauth(mut self, oauth: OAuthClient) -> Self {
        self.oauth = oauth;
        self
    }

    /// Sets the HTTP configuration.
    #[must_use]
    pub fn http(mut self, http: HttpConfig) -> Self {
        self.http = http;
        self
    }
}

/// A [`JawaliConfig`] by name — no positional strings to swap:
///
/// ```
/// use jawali::{Environment, JawaliConfig, SecretString};
///
/// let config = JawaliConfig::builder()
///     .environment(Environment::Test)
///     .username("merchant-user")
///     .password(SecretString::from("login password"))
///     .org_id("1234")
///     .agent_wallet("777000111")
///     .wallet_password(SecretString::from("wallet password"))
///     .build()?;
/// assert_eq!(config.org_id, "1234");
///
/// // What is missing is named, all of it at once.
/// let error = JawaliConfig::builder().username("merchant-user").build().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "configuration: JawaliConfig needs password, org_id, agent_wallet, wallet_password"
/// );
/// # Ok::<(), jawali::Error>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct JawaliConfigBuilder {
    environment: Option<Environment>,
    username: Option<String>,
    password: Option<SecretString>,
    org_id: Option<String>,
    agent_wallet: Option<String>,
    wallet_password: Option<SecretString>,
}

impl fmt::Debug for JawaliConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JawaliConfigBuilder")
            .field("environment", &self.environment)
            .field("username", &self.username)
            .field("org_id", &self.org_id)
            .field("agent_wallet", &self.agent_wallet)
            .finish_non_exhaustive()
    }
}

impl JawaliConfigBuilder {
    /// The system (by default [`Environment::Test`]).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The merchant's API user name.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The API user's password.
    pub fn password(mut self, password: SecretString) -> Self {
        self.password = Some(password);
        self
    }

    /// The organisation id.
    pub fn org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// The merchant's agent wallet.
    pub fn agent_wallet(mut self, wallet: impl Into<String>) -> Self {
        self.agent_wallet = Some(wallet.into());
        self
    }

    /// The agent wallet's password.
    pub fn wallet_password(mut self, password: SecretString) -> Self {
        self.wallet_password = Some(password);
        self
    }

    /// The configuration, with the documented defaults for everything else
    /// (set them on it: [`JawaliConfig::external_user`], …).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`](payments_core::Error::Configuration) naming
    /// every field not given.
    pub fn build(self) -> Result<JawaliConfig, payments_core::Error> {
        let mut fields = payments_core::env_config::Required::new("JawaliConfig");
        let username = fields.take("username", self.username);
        let password = fields.take("password", self.password);
        let org_id = fields.take("org_id", self.org_id);
        let wallet = fields.take("agent_wallet", self.agent_wallet);
        let wallet_password = fields.take("wallet_password", self.wallet_password);
        match (username, password, org_id, wallet, wallet_password) {
            (Some(username), Some(password), Some(org_id), Some(wallet), Some(wallet_password)) => {
                Ok(JawaliConfig::new(
                    self.environment.unwrap_or(Environment::Test),
                    username,
                    password,
                    org_id,
                    wallet,
                    wallet_password,
                ))
            }
            _ => Err(fields.error()),
        }
    }
}

impl fmt::Debug for JawaliConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JawaliConfig")
            .field("environment", &self.environment)
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("org_id", &self.org_id)
            .field("agent_wallet", &self.agent_wallet)
            .field("wallet_password", &"[REDACTED]")
            .field("external_user", &self.external_user)
            .field("oauth", &self.oauth)
            .field("client_date", &self.client_date)
            .field("default_purpose", &self.default_purpose)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}
