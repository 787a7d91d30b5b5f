//! The API client: its parts, building a request and sending one call.
//! The operations it sends are in `deposit`.

use std::fmt;
use std::sync::Arc;

use payments_core::http::{HttpClient, RawResponse, Request};
use payments_core::reference::{ReferenceGenerator, UuidReferences};
use payments_core::secret::Scrubber;
use payments_core::{
    Currency, Diagnostics, Error, ExposeSecret, MerchantReference, Operation, Result,
};
use serde::Serialize;

use crate::config::PaykassmaConfig;
use crate::link::PaymentLink;
use crate::model::{CUSTOM_TRANSACTION_ID_RULES, Label, WalletType};
use crate::postback::PostbackVerifier;

/// A Paykassma API client. Cheap to clone, `Send + Sync`.
///
/// The plugin API secret travels in the `secret` query parameter, as
/// Paykassma requires. It never appears in this client's errors, logs or
/// `Debug` output: transport errors (whose text would carry the URL) are
/// stripped of it.
#[derive(Clone)]
pub struct PaykassmaClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: PaykassmaConfig,
    http: HttpClient,
    references: Arc<dyn ReferenceGenerator>,
    /// The activation's URL, `secret` and all, joined once.
    activate_url: url::Url,
    /// The create URL for the configuration's wallet type, joined once
    /// (`None` when that wallet type is not valid: each call refuses it).
    default_create_url: Option<url::Url>,
}

/// Builds a [`PaykassmaClient`] with non-default parts.
pub struct PaykassmaClientBuilder {
    config: PaykassmaConfig,
    http_client: Option<reqwest::Client>,
    references: Arc<dyn ReferenceGenerator>,
}

impl PaykassmaClientBuilder {
    /// Sends through the caller's `reqwest::Client` (shared pool, proxy).
    /// The SDK still refuses to follow redirects and applies its total
    /// timeout to every request; the connect timeout is the caller's.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Generates `custom_transaction_id`s with `generator` (UUIDs by default).
    #[must_use]
    pub fn references(mut self, generator: Arc<dyn ReferenceGenerator>) -> Self {
        self.references = generator;
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] when the HTTP client cannot be set up.
    pub fn build(self) -> Result<PaykassmaClient> {
        let config = self.config;
        let mut scrubber = Scrubber::new().with(&config.secret);
        if let Some(keys) = &config.postback_keys {
            scrubber = scrubber.with(&keys.access_key).with(&keys.private_key);
        }
        let user_agent = payments_core::user_agent!();
        let http = HttpClient::build(self.http_client, user_agent, config.http.clone(), scrubber)?;
        let activate_url = api_url(&config, ACTIVATE_PATH)?;
        let default_create_url = match config.default_wallet_type.validate() {
            Ok(()) => Some(api_url(&config, &create_path(&config.default_wallet_type))?),
            Err(_) => None,
        };
        Ok(PaykassmaClient {
            inner: Arc::new(Inner {
                config,
                http,
                references: self.references,
                activate_url,
                default_create_url,
            }),
        })
    }
}

impl PaykassmaClient {
    /// A client with default parts.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] when the HTTP client cannot be set up.
    pub fn new(config: PaykassmaConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// A builder, to replace the HTTP client or the reference generator.
    pub fn builder(config: PaykassmaConfig) -> PaykassmaClientBuilder {
        PaykassmaClientBuilder {
            config,
            http_client: None,
            references: Arc::new(UuidReferences::default()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PaykassmaConfig {
        &self.inner.config
    }

    /// A fresh `custom_transaction_id`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the generator's output breaks the rules.
    pub fn new_reference(&self) -> Result<MerchantReference> {
        MerchantReference::generate(self.inner.references.as_ref(), &CUSTOM_TRANSACTION_ID_RULES)
    }

    /// A verifier for postbacks, if the configuration has the postback keys.
    pub fn postback_verifier(&self) -> Option<PostbackVerifier> {
        self.inner
            .config
            .postback_keys
            .clone()
            .map(PostbackVerifier::new)
    }

    /// A payment-window link for `label` paying in `currency` (the configuration's wallet type).
    pub fn payment_link(&self, label: &Label, currency: Currency) -> PaymentLink {
        PaymentLink::new(
            &self.inner.config.plugin_url,
            label,
            &self.inner.config.default_wallet_type,
            currency,
        )
    }

    /// The URL of a create request for `wallet_type` (validated).
    pub(crate) fn create_url(&self, wallet_type: &WalletType) -> Result<url::Url> {
        match &self.inner.default_create_url {
            Some(url) if *wallet_type == self.inner.config.default_wallet_type => Ok(url.clone()),
            _ => api_url(&self.inner.config, &create_path(wallet_type)),
        }
    }

    /// The activation's URL.
    pub(crate) fn activate_url(&self) -> url::Url {
        self.inner.activate_url.clone()
    }

    /// The HTTP client, for the operations' readers.
    pub(crate) fn http(&self) -> &HttpClient {
        &self.inner.http
    }

    /// A JSON `POST` of `body` to `url`.
    pub(crate) fn post_request<B: Serialize>(&self, url: url::Url, body: &B) -> Result<Request> {
        Request::post(url).json(body)
    }

    /// Sends `request` and reads the answer with `read`. Every error,
    /// `read`'s included, names the reference and the HTTP status.
    pub(crate) async fn post<T>(
        &self,
        operation: Operation,
        reference: Option<&str>,
        request: Request,
        read: impl FnOnce(&RawResponse) -> Result<T>,
    ) -> Result<T> {
        let mut diagnostics = Diagnostics::new();
        let response = self
            .inner
            .http
            .execute_noting(operation, reference, &request, &mut diagnostics)
            .await?;
        // A provider's message may quote the request line, `?secret=…` and all.
        diagnostics
            .annotate(self.answer(operation, reference, &response).and_then(read))
            .map_err(|e| e.scrubbed(self.inner.http.scrubber()))
    }

    /// The answer to read, by its HTTP status: 2xx, or a JSON `fail` with a 4xx.
    pub(crate) fn answer<'r>(
        &self,
        operation: Operation,
        reference: Option<&str>,
        response: &'r RawResponse,
    ) -> Result<&'r RawResponse> {
        match response.status {
            200..=299 => Ok(response),
            404 => Err(Error::Authentication {
                operation,
                message: "HTTP 404: the API secret is missing or wrong, or this server's IP is not registered with Paykassma"
                    .to_owned(), diagnostics: None,
            }),
            // A JSON `fail` may come with a 4xx; read it as an answer.
            400..=499 if looks_like_json(response) => Ok(response),
            _ => Err(self.inner.http.unexpected_status(operation, reference, response)),
        }
    }
}

fn looks_like_json(response: &RawResponse) -> bool {
    response.body.trim_ascii_start().first() == Some(&b'{')
}

impl fmt::Debug for PaykassmaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaykassmaClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Where activations go, below the API's base URL.
const ACTIVATE_PATH: &str = "api/v1/transaction/activate";

/// Where a create for `wallet_type` goes, below the API's base URL.
fn create_path(wallet_type: &WalletType) -> String {
    format!("api/v1/transaction/create/{}", wallet_type.as_str())
}

/// `path` below the configuration's API URL, with the `secret` query
/// parameter.
fn api_url(config: &PaykassmaConfig, path: &str) -> Result<url::Url> {
    let mut url = config.api_url.join(path)?;
    url.query_pairs_mut()
        .append_pair("secret", config.secret.expose_secret());
    Ok(url)
}
