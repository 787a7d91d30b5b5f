//! Token life: `LOGIN` (the access token) and `WALLETAUTHENTICATION` (the
//! wallet token), cached, shared by concurrent calls and renewed.

use std::sync::Arc;
use std::time::Duration;

use payments_core::http::{BearerToken, RawResponse, Request};
use payments_core::token::{FreshToken, Lease};
use payments_core::{Diagnostics, Error, ExposeSecret, Result, SecretString};

use super::decline;
use crate::JawaliClient;
use crate::config::JawaliConfig;
use crate::wire::{self, LOGIN, Service};

impl JawaliClient {
    /// Logs in now (`LOGIN`), replacing the cached access token and the
    /// wallet token issued under it. Normally implicit.
    ///
    /// # Errors
    ///
    /// [`Error::Authentication`] for refused credentials; transport errors.
    pub async fn login(&self) -> Result<()> {
        self.inner.access.clear();
        self.inner.wallet.clear();
        self.access_token().await.map(drop)
    }

    /// Authenticates the merchant wallet now (`WALLETAUTHENTICATION`),
    /// replacing the cached wallet token. Normally implicit.
    ///
    /// # Errors
    ///
    /// A decline for a refused wallet password; transport errors.
    pub async fn authenticate_wallet(&self) -> Result<()> {
        self.inner.wallet.clear();
        self.wallet_token().await.map(drop)
    }

    pub(super) async fn access_token(&self) -> Result<Lease<BearerToken>> {
        self.inner.access.get(|| self.fetch_access_token()).await
    }

    pub(super) async fn wallet_token(&self) -> Result<Lease<Arc<SecretString>>> {
        self.inner.wallet.get(|| self.fetch_wallet_token()).await
    }

    async fn fetch_access_token(&self) -> Result<FreshToken<BearerToken>> {
        let config = &self.inner.config;
        let request = login_request(&self.inner.token_url, config);
        let response = self.inner.http.execute(LOGIN, None, &request).await?;
        if matches!(response.status, 400 | 401 | 403) {
            let message = serde_json::from_slice::<wire::OAuthError>(&response.body)
                .map(|e| match e.error_description {
                    Some(description) => format!("{}: {description}", e.error),
                    None => e.error,
                })
                .unwrap_or_else(|_| format!("HTTP {}", response.status));
            return Err(Error::Authentication {
                operation: LOGIN,
                message: self.inner.http.scrubber().scrub(&message),
                diagnostics: None,
            }
            .with_diagnostics(&Diagnostics::new().with_http_status(response.status)));
        }
        if !response.is_success() {
            return Err(self.inner.http.unexpected_status(LOGIN, None, &response));
        }
        let token: wire::OAuthToken = payments_core::wire::from_json(&response.body)
            .map_err(|e| credential_undecodable(LOGIN, &response, &e))?;
        if token.access_token.is_empty() {
            return Err(credential_undecodable_detail(LOGIN, "empty access_token"));
        }
        self.inner.http.scrubber().learn(&token.access_token);
        let value =
            BearerToken::new(LOGIN, &SecretString::from(token.access_token)).map_err(|e| {
                e.with_diagnostics(&Diagnostics::new().with_http_status(response.status))
            })?;
        tracing::debug!(provider = wire::PROVIDER, "logged in");
        Ok(FreshToken {
            value,
            expires_in: Duration::from_secs(token.expires_in.unwrap_or(3600)),
        })
    }

    async fn fetch_wallet_token(&self) -> Result<FreshToken<Arc<SecretString>>> {
        let service = Service::WalletAuthentication;
        let operation = service.operation();
        let config = &self.inner.config;
        let mut session_renewed = false;
        loop {
            let access = self.access_token().await?;
            let body = wire::WalletAuthBody {
                identifier: &config.agent_wallet,
                password: config.wallet_password.expose_secret(),
            };
            let (request, corr_id) =
                self.ws_request(service, |r| Ok(r.bearer_token(&access)), &body)?;
            let mut diagnostics = Diagnostics::new().with_correlation_id(corr_id);
            let response = self
                .inner
                .http
                .execute_noting(operation, None, &request, &mut diagnostics)
                .await?;
            if response.status == 401 && !session_renewed {
                self.inner.access.invalidate(&access);
                session_renewed = true;
                continue;
            }
            return diagnostics
                .annotate(self.read_wallet_token(operation, &response))
                .map_err(|e| e.scrubbed(self.inner.http.scrubber()));
        }
    }

    /// The wallet token in an answer to `WALLETAUTHENTICATION`.
    fn read_wallet_token(
        &self,
        operation: payments_core::Operation,
        response: &RawResponse,
    ) -> Result<FreshToken<Arc<SecretString>>> {
        // A garbled answer may still hold the wallet token: withhold it.
        let envelope = self
            .envelope(operation, None, response)
            .map_err(|error| match error {
                // serde's text may quote the token: not even the detail is kept.
                Error::UndecodableResponse { .. } => credential_undecodable_detail(
                    operation,
                    "the wallet-authentication answer is not the expected JSON envelope",
                ),
                other => other,
            })?;
        if !envelope.status.is_success() {
            return Err(decline(operation, &envelope.status));
        }
        let answer: wire::WalletAuthAnswer =
            self.parse_body(operation, &envelope).map_err(|_| {
                credential_undecodable_detail(operation, "no access_token in responseBody")
            })?;
        if answer.access_token.is_empty() {
            return Err(credential_undecodable_detail(
                operation,
                "empty access_token",
            ));
        }
        // Every token the client holds is a secret to its scrubber.
        self.inner.http.scrubber().learn(&answer.access_token);
        tracing::debug!(provider = wire::PROVIDER, "wallet authenticated");
        Ok(FreshToken {
            value: Arc::new(SecretString::from(answer.access_token)),
            expires_in: answer
                .expires_in
                .map_or(self.inner.config.wallet_token_lifetime, Duration::from_secs),
        })
    }
}

/// The `LOGIN` request: an OAuth2 password grant, form-encoded.
pub(crate) fn login_request(url: &url::Url, config: &JawaliConfig) -> Request {
    Request::post(url.clone()).form([
        ("grant_type", "password"),
        ("client_id", config.oauth.client_id.as_str()),
        ("client_secret", config.oauth.client_secret.expose_secret()),
        ("scope", config.oauth.scope.as_str()),
        ("username", config.username.as_str()),
        ("password", config.password.expose_secret()),
    ])
}

/// A credential answer that does not parse: its body is withheld, since it
/// may hold a token.
fn credential_undecodable(
    operation: payments_core::Operation,
    response: &RawResponse,
    error: &serde_json::Error,
) -> Error {
    credential_undecodable_detail(
        operation,
        &payments_core::http::describe_json_failure(&response.body, error),
    )
}

fn credential_undecodable_detail(operation: payments_core::Operation, detail: &str) -> Error {
    Error::UndecodableResponse {
        operation,
        detail: detail.to_owned(),
        raw: payments_core::secret::RedactedText::from_static(
            "[withheld: a credential answer may hold a token]",
        ),
        source: None,
        diagnostics: None,
    }
}
