//! The API client: create and activate.

use std::fmt;
use std::sync::Arc;

use payments_core::http::{HttpClient, RawResponse, Request};
use payments_core::reference::{ReferenceGenerator, UuidReferences};
use payments_core::secret::Scrubber;
use payments_core::{
    Currency, Decline, DeclineKind, Diagnostics, Error, ExposeSecret, MerchantReference, Money,
    Operation, Result,
};
use serde::Serialize;

use crate::config::PaykassmaConfig;
use crate::link::PaymentLink;
use crate::model::{
    Activation, ActivationOutcome, CUSTOM_TRANSACTION_ID_RULES, DepositDetails, Label, WalletType,
};
use crate::postback::PostbackVerifier;
use crate::wire::{self, ACTIVATE, CREATE};

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
        Ok(PaykassmaClient {
            inner: Arc::new(Inner {
                config,
                http,
                references: self.references,
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

    fn url(&self, path: &str) -> Result<url::Url> {
        let mut url = self.inner.config.api_url.join(path)?;
        url.query_pairs_mut()
            .append_pair("secret", self.inner.config.secret.expose_secret());
        Ok(url)
    }

    /// A JSON `POST` of `body` to `path`.
    fn post_request<B: Serialize>(&self, path: &str, body: &B) -> Result<Request> {
        Request::post(self.url(path)?).json(body)
    }

    /// Sends `request` and reads the answer with `read`. Every error,
    /// `read`'s included, names the reference and the HTTP status.
    async fn post<T>(
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

    /// Asks for the wallet the user must pay into
    /// (`POST /api/v1/transaction/create/{wallet_type}`), for the
    /// configuration's wallet type ([`create_deposit_for`](Self::create_deposit_for)
    /// names another). Repeating it moves no money.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad wallet type; a decline for
    /// `{"status": "fail"}`; [`Error::Authentication`] for HTTP 404 (bad
    /// secret); [`Error::UndecodableResponse`]; transport errors.
    pub async fn create_deposit(
        &self,
        label: &Label,
        currency: Currency,
    ) -> Result<DepositDetails> {
        let wallet_type = self.inner.config.default_wallet_type.clone();
        self.create_deposit_for(label, currency, &wallet_type).await
    }

    /// As [`create_deposit`](Self::create_deposit), for `wallet_type`
    /// rather than the configuration's default.
    ///
    /// # Errors
    ///
    /// As [`create_deposit`](Self::create_deposit).
    pub async fn create_deposit_for(
        &self,
        label: &Label,
        currency: Currency,
        wallet_type: &WalletType,
    ) -> Result<DepositDetails> {
        let request = self.create_request(label, currency, wallet_type)?;
        self.post(CREATE, None, request, |response| {
            self.read_create(wallet_type, response)
        })
        .await
    }

    /// The create request (the wallet type checked first).
    pub(crate) fn create_request(
        &self,
        label: &Label,
        currency: Currency,
        wallet_type: &WalletType,
    ) -> Result<Request> {
        wallet_type.validate()?;
        let path = format!("api/v1/transaction/create/{}", wallet_type.as_str());
        let body = wire::CreateBody {
            currency: currency.code(),
            label: label.as_str(),
        };
        self.post_request(&path, &body)
    }

    /// What a create answer says.
    pub(crate) fn read_create(
        &self,
        wallet_type: &WalletType,
        response: &RawResponse,
    ) -> Result<DepositDetails> {
        let answer: wire::CreateAnswer = self.inner.http.decode_json(CREATE, response)?;
        match answer.status.as_str() {
            "ok" => {
                let params = answer.params.unwrap_or_default();
                let identifier = params.get("identifier").and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
                Ok(DepositDetails {
                    wallet_type: wallet_type.clone(),
                    identifier,
                    params,
                })
            }
            "fail" => Err(decline(CREATE, answer.message.unwrap_or_default())),
            other => Err(self.inner.http.undecodable(
                CREATE,
                format_args!("unknown status `{other}`"),
                response,
                None,
            )),
        }
    }

    /// The wire call: activates a deposit with the user's transaction
    /// number (`POST /api/v1/transaction/activate`), once. A payment goes
    /// through [`PaykassmaGateway`](crate::PaykassmaGateway) (`pay`), which
    /// sends this call, waits for the postback, repeats it under the same
    /// id when it provably never arrived, and whose
    /// [`settle`](crate::PaykassmaGateway::settle) settles an unknown
    /// outcome by its reference.
    ///
    /// The amount is written as an exact JSON number. **Not retried**: an
    /// [`Error::OutcomeUnknown`] is settled by the postback for its
    /// `custom_transaction_id` — do not credit the user until it arrives.
    /// A deposit credited with another amount is an
    /// [`Error::IntegrityMismatch`] on `amount` with both amounts as
    /// money, as through the gateway.
    ///
    /// # Cancellation
    ///
    /// Dropped once its request may have left, the deposit may be credited
    /// with nobody told: its postback (delivered to the merchant's endpoint,
    /// [`PostbackInbox`](crate::PostbackInbox)) says so for
    /// `activation.custom_transaction_id`. Through the
    /// [`PaykassmaGateway`](crate::PaykassmaGateway) (journaled with
    /// `payments_journal::Journaled`), an activation that never arrived is
    /// repeated under the same id.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (zero amount, bad wallet type); a decline
    /// for `{"status": "fail"}`; [`Error::Authentication`] for HTTP 404;
    /// [`Error::IntegrityMismatch`] for another amount credited;
    /// [`Error::OutcomeUnknown`]; [`Error::UndecodableResponse`].
    pub async fn activate(&self, activation: &Activation) -> Result<ActivationOutcome> {
        let (request, requested) = self.activate_request(activation)?;
        let reference = activation.custom_transaction_id.as_str();
        self.post(ACTIVATE, Some(reference), request, |response| {
            self.read_activate(requested, reference, response)
        })
        .await
    }

    /// The activate request and the amount it asks for (checked first).
    pub(crate) fn activate_request(&self, activation: &Activation) -> Result<(Request, Money)> {
        let requested = activation
            .amount
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        activation.wallet_type.validate()?;
        let body = wire::ActivateBody {
            currency_code: requested.currency().code(),
            wallet_type: activation.wallet_type.as_str(),
            label: activation.label.as_str(),
            amount: requested.to_json_number(),
            key1: activation.key1.as_str(),
            custom_transaction_id: activation.custom_transaction_id.as_str(),
        };
        Ok((
            self.post_request("api/v1/transaction/activate", &body)?,
            requested,
        ))
    }

    /// What an activate answer says about the deposit of `requested` under `reference`.
    pub(crate) fn read_activate(
        &self,
        requested: Money,
        reference: &str,
        response: &RawResponse,
    ) -> Result<ActivationOutcome> {
        let answer: wire::ActivateAnswer = self.inner.http.decode_json(ACTIVATE, response)?;
        let message = answer.message.clone().unwrap_or_default();
        match answer.status.as_str() {
            "ok" => {
                let (Some(true), Some(value)) = (answer.deposit, answer.deposit_amount) else {
                    return Err(self.inner.http.undecodable(
                        ACTIVATE,
                        "`ok` without `deposit: true` and a `deposit_amount`",
                        response,
                        None,
                    ));
                };
                let currency = match &answer.currency {
                    Some(info) => Currency::from_code(info.code()).ok_or_else(|| {
                        self.inner.http.undecodable(
                            ACTIVATE,
                            format_args!("unknown currency `{}`", info.code()),
                            response,
                            None,
                        )
                    })?,
                    None => requested.currency(),
                };
                if currency != requested.currency() {
                    return Err(Error::mismatch(
                        ACTIVATE,
                        "currency",
                        requested.currency(),
                        currency,
                    ));
                }
                let credited = Money::new(value, currency).map_err(|e| {
                    self.inner.http.undecodable(
                        ACTIVATE,
                        format_args!("deposit_amount: {e}"),
                        response,
                        None,
                    )
                })?;
                if credited == requested {
                    Ok(ActivationOutcome::Credited { amount: credited })
                } else {
                    tracing::warn!(
                        provider = wire::PROVIDER,
                        %reference,
                        %requested,
                        %credited,
                        "deposit credited with a different amount than requested"
                    );
                    // Money moved, for another amount: one event, one error,
                    // whichever door the activation came through.
                    Err(Error::mismatch(ACTIVATE, "amount", requested, credited))
                }
            }
            "pending" => Ok(ActivationOutcome::Pending { message }),
            "possible_transaction_created" => {
                Ok(ActivationOutcome::PossibleTransactionCreated { message })
            }
            "fail" => Err(decline(ACTIVATE, message)),
            other => Err(self.inner.http.undecodable(
                ACTIVATE,
                format_args!("unknown status `{other}`"),
                response,
                None,
            )),
        }
    }
}

fn looks_like_json(response: &RawResponse) -> bool {
    response.body.trim_ascii_start().first() == Some(&b'{')
}

/// A `{"status": "fail"}` answer. Paykassma documents no codes, only a
/// free-text message: the message is kept, and one kind only is read from
/// its words: a message naming `custom_transaction_id` (or "custom
/// transaction id") as taken (Paykassma's validation message, "The
/// custom_transaction_id has already been taken.") is [`DeclineKind::DuplicateReference`] — for an order's id, the
/// order was activated before. Read wrongly, it costs no money: the gateway
/// then waits for the postback and answers unknown without one, never
/// completed. Every other `fail` is [`DeclineKind::Other`].
fn decline(operation: Operation, message: String) -> Error {
    let names_the_id = message.contains("custom_transaction_id")
        || message
            .to_ascii_lowercase()
            .contains("custom transaction id");
    let kind = if names_the_id && message.contains("taken") {
        DeclineKind::DuplicateReference
    } else {
        DeclineKind::Other
    };
    Error::declined(operation, Decline::new("fail", kind, message))
}

impl fmt::Debug for PaykassmaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaykassmaClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
