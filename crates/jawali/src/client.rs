//! The client: token life, the `callWS` envelope, every operation.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use payments_core::clock::{Clock, SystemClock};
use payments_core::http::{HttpClient, RawResponse, Request, RetryPolicy};
use payments_core::reference::{ReferenceGenerator, UuidReferences};
use payments_core::secret::Scrubber;
use payments_core::token::{FreshToken, Lease, TokenCache};
use payments_core::wire::money_in_answer as money;
use payments_core::{
    BaseUrl, Currency, Decline, Diagnostics, Error, ExposeSecret, MerchantReference,
    ProviderReference, Result, SecretString,
};
use serde::Serialize;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::config::{ClientDateFormat, JawaliConfig, TEST_BASE_URL};
use crate::model::{
    Balance, CashOut, CashOutReceipt, MobileNumber, REF_ID_RULES, Repeat, SentUnder,
    StatementEntry, TransactionState, TransactionStatus, Voucher, VoucherCode, VoucherState,
};
use crate::wire::{self, LOGIN, ResponseEnvelope, Service, Signon};

/// How many recent `refId`s a client remembers to refuse an accidental reuse.
const REMEMBERED_REFERENCES: usize = 10_000;

/// A Jawali client. Cheap to clone (clones share tokens and connections),
/// `Send + Sync`, safe to share across tasks.
///
/// Tokens are implicit: the first call logs in (`LOGIN`) and authenticates
/// the merchant wallet (`WALLETAUTHENTICATION`); both tokens are cached and
/// renewed before they expire, after an HTTP 401 (log in again, then
/// re-authenticate the wallet) and after an answer saying the wallet token
/// is invalid or expired (re-authenticate the wallet). A call refused for a
/// dead token was not processed, so it is repeated once with fresh tokens —
/// also a cash-out. Concurrent calls on a cold client share one `LOGIN` and
/// one `WALLETAUTHENTICATION`.
#[derive(Clone)]
pub struct JawaliClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: JawaliConfig,
    token_url: url::Url,
    ws_url: url::Url,
    http: HttpClient,
    access: TokenCache<SecretString>,
    wallet: TokenCache<SecretString>,
    references: Arc<dyn ReferenceGenerator>,
    correlation: Arc<dyn ReferenceGenerator>,
    clock: Arc<dyn Clock>,
    settle: RetryPolicy,
    deadline: Duration,
    used: Mutex<UsedReferences>,
    open: payments_core::gateway::OpenPayments<crate::CheckedVoucher>,
}

#[derive(Default)]
struct UsedReferences {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl UsedReferences {
    /// Records `reference`; `false` if this client used it before.
    fn insert(&mut self, reference: &str) -> bool {
        if !self.set.insert(reference.to_owned()) {
            return false;
        }
        self.order.push_back(reference.to_owned());
        if self.order.len() > REMEMBERED_REFERENCES
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}

/// Builds a [`JawaliClient`] with non-default parts.
pub struct JawaliClientBuilder {
    config: JawaliConfig,
    http_client: Option<reqwest::Client>,
    references: Arc<dyn ReferenceGenerator>,
    correlation: Arc<dyn ReferenceGenerator>,
    clock: Arc<dyn Clock>,
    settle: RetryPolicy,
    deadline: Duration,
}

impl JawaliClientBuilder {
    /// Sends through the caller's `reqwest::Client` (shared pool, proxy).
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Generates `refId`s with `generator` (UUIDs by default).
    #[must_use]
    pub fn references(mut self, generator: Arc<dyn ReferenceGenerator>) -> Self {
        self.references = generator;
        self
    }

    /// Generates `corrID`s with `generator` (UUIDs by default).
    #[must_use]
    pub fn correlation_ids(mut self, generator: Arc<dyn ReferenceGenerator>) -> Self {
        self.correlation = generator;
        self
    }

    /// Reads time (`clientDate`, token expiry) from `clock`.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How [`JawaliClient::collect`] looks up a cash-out whose outcome is
    /// unknown (default: 8 lookups, from 250 ms to 5 s apart).
    #[must_use]
    pub fn settle_policy(mut self, policy: RetryPolicy) -> Self {
        self.settle = policy;
        self
    }

    /// How long [`JawaliClient::collect`] may take in all (default
    /// [`DEFAULT_PAY_DEADLINE`](payments_core::gateway::DEFAULT_PAY_DEADLINE),
    /// one minute). Past it, a cash-out that may have left is
    /// [`Error::OutcomeUnknown`] with its `refId`.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad base URL or HTTP setup.
    pub fn build(self) -> Result<JawaliClient> {
        let config = self.config;
        let base: BaseUrl = config.environment.resolve(TEST_BASE_URL, None)?;
        let (token_url, ws_url) = endpoints(&base)?;
        let scrubber = Scrubber::new()
            .with(&config.password)
            .with(&config.wallet_password)
            .with(&config.oauth.client_secret);
        let user_agent = payments_core::user_agent!();
        let http = HttpClient::build(self.http_client, user_agent, config.http.clone(), scrubber)?;
        Ok(JawaliClient {
            inner: Arc::new(Inner {
                access: TokenCache::with_clock(config.token_skew, Arc::clone(&self.clock)),
                wallet: TokenCache::with_clock(config.token_skew, Arc::clone(&self.clock)),
                config,
                token_url,
                ws_url,
                http,
                references: self.references,
                correlation: self.correlation,
                clock: self.clock,
                settle: self.settle,
                deadline: self.deadline,
                used: Mutex::new(UsedReferences::default()),
                open: payments_core::gateway::OpenPayments::default(),
            }),
        })
    }
}

impl JawaliClient {
    /// A client with default parts.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad base URL or HTTP setup.
    pub fn new(config: JawaliConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// A builder, to replace the HTTP client, generators, clock or settle policy.
    pub fn builder(config: JawaliConfig) -> JawaliClientBuilder {
        JawaliClientBuilder {
            config,
            http_client: None,
            references: Arc::new(UuidReferences::default()),
            correlation: Arc::new(UuidReferences::default()),
            clock: Arc::new(SystemClock),
            settle: payments_core::gateway::default_reconcile_policy(),
            deadline: payments_core::gateway::DEFAULT_PAY_DEADLINE,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &JawaliConfig {
        &self.inner.config
    }

    /// A fresh `refId` from the client's generator.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the generator's output breaks [`REF_ID_RULES`].
    pub fn new_reference(&self) -> Result<MerchantReference> {
        MerchantReference::generate(self.inner.references.as_ref(), &REF_ID_RULES)
    }

    // ------------------------------------------------------------ tokens

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

    async fn access_token(&self) -> Result<Lease<SecretString>> {
        self.inner.access.get(|| self.fetch_access_token()).await
    }

    async fn wallet_token(&self) -> Result<Lease<SecretString>> {
        self.inner.wallet.get(|| self.fetch_wallet_token()).await
    }

    async fn fetch_access_token(&self) -> Result<FreshToken<SecretString>> {
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
        payments_core::wire::check_json(&response.body)
            .map_err(|e| credential_undecodable_detail(LOGIN, &format!("refused JSON: {e}")))?;
        let token: wire::OAuthToken = serde_json::from_slice(&response.body)
            .map_err(|e| credential_undecodable(LOGIN, &response, &e))?;
        if token.access_token.is_empty() {
            return Err(credential_undecodable_detail(LOGIN, "empty access_token"));
        }
        self.inner.http.scrubber().learn(&token.access_token);
        tracing::debug!(provider = wire::PROVIDER, "logged in");
        Ok(FreshToken {
            value: SecretString::from(token.access_token),
            expires_in: Duration::from_secs(token.expires_in.unwrap_or(3600)),
        })
    }

    async fn fetch_wallet_token(&self) -> Result<FreshToken<SecretString>> {
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
            let (request, corr_id) = self.ws_request(service, &access, &body)?;
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
    ) -> Result<FreshToken<SecretString>> {
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
            value: SecretString::from(answer.access_token),
            expires_in: answer
                .expires_in
                .map_or(self.inner.config.wallet_token_lifetime, Duration::from_secs),
        })
    }

    // ------------------------------------------------------------ callWS

    fn client_date(&self) -> String {
        let now = self.inner.clock.now();
        match self.inner.config.client_date {
            ClientDateFormat::UnixMillis => now
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
                .to_string(),
            ClientDateFormat::Compact => compact_minute(OffsetDateTime::from(now)),
        }
    }

    /// A merchant-domain `callWS` request — the wallet credentials and the
    /// operation's `fields` — and its fresh `corrID`.
    pub(crate) fn wallet_request<F: Serialize>(
        &self,
        service: Service,
        access: &SecretString,
        wallet: &SecretString,
        fields: &F,
    ) -> Result<(Request, String)> {
        let config = &self.inner.config;
        let body = wire::WalletCall {
            credentials: wire::WalletCredentials {
                agent_wallet: &config.agent_wallet,
                password: config.wallet_password.expose_secret(),
                access_token: wallet.expose_secret(),
            },
            fields,
        };
        self.ws_request(service, access, &body)
    }

    /// A `callWS` request and its fresh `corrID`.
    fn ws_request<B: Serialize>(
        &self,
        service: Service,
        access: &SecretString,
        body: &B,
    ) -> Result<(Request, String)> {
        let config = &self.inner.config;
        let corr_id = self.inner.correlation.generate();
        let client_date = self.client_date();
        let signon = Signon {
            org_id: &config.org_id,
            user_id: &config.username,
            external_user: &config.external_user,
        };
        // The provider's correlation id of this request, for its support desk.
        tracing::info!(provider = wire::PROVIDER, service = service.operation().name, corr_id = %corr_id, "callWS request");
        let envelope = wire::envelope(service, &corr_id, &client_date, &signon, body);
        let request = Request::post(self.inner.ws_url.clone())
            .bearer(access)?
            .json(&envelope)?;
        Ok((request, corr_id))
    }

    pub(crate) fn envelope<'r>(
        &self,
        operation: payments_core::Operation,
        reference: Option<&str>,
        response: &'r RawResponse,
    ) -> Result<ResponseEnvelope<'r>> {
        if !response.is_success() {
            return Err(self
                .inner
                .http
                .unexpected_status(operation, reference, response));
        }
        self.inner.http.decode_json(operation, response)
    }

    /// Sends a merchant-domain `callWS` — the wallet credentials and the
    /// operation's fields — and reads its answer's envelope (success or
    /// not) with `read`, renewing dead tokens once. Every error, `read`'s
    /// included, names the request's `corrID`, reference and HTTP status.
    ///
    /// `fields` is asked for the fields of every request sent, with the
    /// merchant reference the request carries (the `refId` of a cash-out or
    /// an inquiry, the one a status lookup asks about): a request repeated
    /// after a refused token is a new request, with a fresh `refId`
    /// ("unique, never repeated, in every request").
    async fn call<F: Serialize, T>(
        &self,
        service: Service,
        mut fields: impl FnMut() -> Result<(F, Option<String>)>,
        read: impl FnOnce(ResponseEnvelope<'_>) -> Result<T>,
    ) -> Result<T> {
        let operation = service.operation();
        let mut session_renewed = false;
        let mut wallet_renewed = false;
        loop {
            let access = self.access_token().await?;
            let wallet = self.wallet_token().await?;
            let (fields, reference) = fields()?;
            let reference = reference.as_deref();
            let (request, corr_id) = self.wallet_request(service, &access, &wallet, &fields)?;
            let mut diagnostics = Diagnostics::new().with_correlation_id(corr_id);
            let response = self
                .inner
                .http
                .execute_noting(operation, reference, &request, &mut diagnostics)
                .await?;
            if response.status == 401 {
                if session_renewed {
                    return Err(Error::Authentication {
                        operation,
                        message: "the provider refused a freshly issued access token".to_owned(),
                        diagnostics: None,
                    }
                    .with_diagnostics(&diagnostics));
                }
                tracing::info!(
                    provider = wire::PROVIDER,
                    operation = operation.name,
                    "HTTP 401: logging in again"
                );
                self.inner.access.invalidate(&access);
                self.inner.wallet.invalidate(&wallet);
                session_renewed = true;
                continue;
            }
            let envelope = diagnostics.annotate(self.envelope(operation, reference, &response))?;
            if !envelope.status.is_success()
                && envelope.status.rejects_wallet_token()
                && !wallet_renewed
            {
                tracing::info!(
                    provider = wire::PROVIDER,
                    operation = operation.name,
                    "wallet token rejected: re-authenticating"
                );
                self.inner.wallet.invalidate(&wallet);
                wallet_renewed = true;
                continue;
            }
            // A provider's message may quote the request: scrubbed whole.
            return diagnostics
                .annotate(read(envelope))
                .map_err(|e| e.scrubbed(self.inner.http.scrubber()));
        }
    }

    // ------------------------------------------------------------ operations

    /// Checks a voucher (`ECOMMERCEINQUIRY`): its state, amount and currency.
    /// The inquiry carries its own fresh `refId`.
    ///
    /// # Errors
    ///
    /// A decline (unknown voucher, wrong mobile), [`Error::UndecodableResponse`],
    /// transport errors.
    pub async fn inquire_voucher(
        &self,
        voucher: &VoucherCode,
        customer_mobile: &MobileNumber,
    ) -> Result<Voucher> {
        self.call(
            Service::Inquiry,
            || {
                let reference = self.new_reference()?;
                let fields = self.inquiry_fields(voucher, customer_mobile, &reference);
                Ok((fields, Some(reference.to_string())))
            },
            |envelope| self.read_inquiry(voucher, &envelope),
        )
        .await
    }

    /// The fields of an inquiry about `voucher` under `reference`.
    pub(crate) fn inquiry_fields<'a>(
        &'a self,
        voucher: &'a VoucherCode,
        customer_mobile: &'a MobileNumber,
        reference: &MerchantReference,
    ) -> wire::InquiryFields<'a> {
        wire::InquiryFields {
            voucher: voucher.as_str(),
            receiver_mobile: customer_mobile.as_str(),
            ref_id: reference.to_string().into(),
            purpose: &self.inner.config.default_purpose,
        }
    }

    /// What an inquiry's answer says about `voucher`.
    pub(crate) fn read_inquiry(
        &self,
        voucher: &VoucherCode,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<Voucher> {
        let operation = Service::Inquiry.operation();
        if !envelope.status.is_success() {
            return Err(decline(operation, &envelope.status));
        }
        let answer: wire::InquiryAnswer = self.parse_body(operation, envelope)?;
        let currency = parse_currency(operation, &answer.txncurrency)?;
        let amount = money(operation, "txnamount", answer.txnamount, currency)?;
        Ok(Voucher {
            code: voucher.clone(),
            state: VoucherState::from_wire(&answer.state),
            amount,
            issuer_reference: answer.issuer_trx_ref.map(ProviderReference::new),
            receiver_mobile: answer.receiver_mobile,
            sender_mobile: answer.sender_mobile,
            date: answer.trx_date,
        })
    }

    /// Redeems a voucher (`ECOMMCASHOUT`): moves its amount from the
    /// customer's wallet to the merchant's. **Not retried**: if the outcome
    /// is unknown ([`Error::OutcomeUnknown`]), look it up with
    /// [`check_status`](Self::check_status) by `request.reference` — or use
    /// [`collect`](Self::collect), which does that.
    ///
    /// The answer's amount and currency are checked against the request's.
    ///
    /// # Cancellation
    ///
    /// Dropped once its request may have left (an HTTP handler whose client
    /// went away: axum drops the future), the cash-out may have happened
    /// with nobody told. `request.reference` (its `refId`) settles it:
    /// [`check_status`](Self::check_status) with it, or pay through
    /// `payments_journal::Journaled`, which writes it down before the
    /// request leaves and settles it after a crash.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (zero amount, a `refId` this client already
    /// used), a decline, [`Error::OutcomeUnknown`],
    /// [`Error::IntegrityMismatch`], transport errors.
    pub async fn cash_out(&self, request: &CashOut) -> Result<CashOutReceipt> {
        self.cash_out_logged(request, &SentUnder::default()).await
    }

    /// [`cash_out`](Self::cash_out), recording in `log` every `refId` the
    /// cash-out is sent under.
    pub(crate) async fn cash_out_logged(
        &self,
        request: &CashOut,
        log: &SentUnder,
    ) -> Result<CashOutReceipt> {
        request
            .amount
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        let reference = request.reference.as_str();
        let fresh = self
            .inner
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(reference);
        if !fresh {
            return Err(Error::invalid(
                "refId",
                format_args!(
                    "`{reference}` was already used by this client; every request needs a new one"
                ),
            ));
        }
        self.send_cash_out(request, log).await
    }

    /// A new `refId`, remembered as used by this client.
    fn fresh_reference(&self) -> Result<MerchantReference> {
        let reference = self.new_reference()?;
        self.inner
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(reference.as_str());
        Ok(reference)
    }

    /// Sends a cash-out, without the client's reuse check: its first request
    /// carries `request.reference`, every repeat (after a refused token) the
    /// next `refId` of `log`'s plan, or a fresh one when it has none (no
    /// repeat is sent once a plan is used up); each is appended to `log`.
    /// The receipt names the `refId` that landed.
    pub(crate) async fn send_cash_out(
        &self,
        request: &CashOut,
        log: &SentUnder,
    ) -> Result<CashOutReceipt> {
        let service = Service::CashOut;
        let operation = service.operation();
        let config = &self.inner.config;
        let purpose = request
            .purpose
            .as_deref()
            .unwrap_or(&config.default_purpose);
        let mut first = Some(request.reference.clone());
        let fields = || {
            let reference = match first.take() {
                Some(reference) => reference,
                None => match log.next_repeat() {
                    Repeat::Planned(reference) => reference,
                    Repeat::Unplanned => self.fresh_reference()?,
                    Repeat::Exhausted => {
                        return Err(Error::NotSent {
                            operation,
                            reason: PLAN_USED_UP.to_owned(),
                            source: None,
                            diagnostics: None,
                        });
                    }
                },
            };
            log.push(reference.clone());
            let fields = cash_out_fields(request, &reference, purpose);
            Ok((fields, Some(reference.to_string())))
        };
        self.call(service, fields, |envelope| {
            self.read_cash_out(request, log, &envelope)
        })
        .await
    }

    /// What a cash-out's answer says: the receipt, checked against the
    /// request, under the `refId` that landed (the last in `log`).
    pub(crate) fn read_cash_out(
        &self,
        request: &CashOut,
        log: &SentUnder,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<CashOutReceipt> {
        let operation = Service::CashOut.operation();
        let landed = log.last().unwrap_or_else(|| request.reference.clone());
        let reference = landed.as_str();
        if !envelope.status.is_success() {
            // Jawali documents no code as "refused before processing": any
            // non-zero systemStatus to a cash-out may follow a booking (a
            // "system error" after the debit). Only a lookup settles it.
            return Err(decline(operation, &envelope.status).undocumented_refusal(
                Some(reference.to_owned()),
                format_args!(
                    "the cash-out was answered with systemStatus `{}`, which Jawali does not document as a refusal before processing: look it up",
                    envelope.status.code
                ),
            ));
        }
        let answer: wire::CashOutAnswer = self.parse_body(operation, envelope)?;
        match answer.status.as_deref().map(TransactionState::from_wire) {
            None | Some(TransactionState::Succeeded) => {}
            Some(TransactionState::Failed) => {
                return Err(Error::declined(
                    operation,
                    Decline::new(
                        answer.status.unwrap_or_default(),
                        payments_core::DeclineKind::Other,
                        "the cash-out answer says it failed",
                    ),
                ));
            }
            Some(state) => {
                return Err(Error::OutcomeUnknown {
                    operation,
                    reference: Some(reference.to_owned()),
                    reason: format!(
                        "the cash-out answer says `{}` ({state:?}): not final, look it up",
                        answer.status.as_deref().unwrap_or_default()
                    ),
                    source: None,
                    diagnostics: None,
                });
            }
        }
        let currency = match &answer.currency {
            Some(code) => parse_currency(operation, code)?,
            None => request.amount.currency(),
        };
        if currency != request.amount.currency() {
            return Err(Error::mismatch(
                operation,
                "currency",
                request.amount.currency(),
                currency,
            ));
        }
        // A receipt proves the amount only by naming it: an answer that says
        // the cash-out went through but not for how much is a mismatch.
        let Some(amount) = answer.amount else {
            return Err(Error::mismatch(
                operation,
                "amount",
                request.amount,
                "no amount",
            ));
        };
        let amount = money(operation, "amount", amount, currency)?;
        if amount != request.amount {
            return Err(Error::mismatch(operation, "amount", request.amount, amount));
        }
        if let Some(echoed) = &answer.ref_id
            && echoed != reference
        {
            return Err(Error::mismatch(operation, "refId", reference, echoed));
        }
        let balance = answer
            .balance
            .map(|b| money(operation, "balance", b, currency))
            .transpose()?;
        Ok(CashOutReceipt {
            amount,
            reference: landed,
            issuer_reference: answer.issuer_ref.map(ProviderReference::new),
            balance,
            settled_by_lookup: false,
        })
    }

    /// Looks an earlier operation up by its `refId` (`AGENTCHECKSTATUS`).
    /// "No such operation" is [`TransactionState::NotFound`], not an error.
    ///
    /// # Errors
    ///
    /// A decline, [`Error::UndecodableResponse`], transport errors.
    pub async fn check_status(&self, reference: &MerchantReference) -> Result<TransactionStatus> {
        self.call(
            Service::CheckStatus,
            || {
                Ok((
                    wire::CheckStatusFields {
                        ref_id: reference.as_str(),
                    },
                    Some(reference.to_string()),
                ))
            },
            |envelope| self.read_status(reference, &envelope),
        )
        .await
    }

    /// What a status lookup's answer says about `reference`.
    pub(crate) fn read_status(
        &self,
        reference: &MerchantReference,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<TransactionStatus> {
        let operation = Service::CheckStatus.operation();
        if !envelope.status.is_success() {
            if envelope.status.says_not_found() {
                return Ok(TransactionStatus {
                    reference: reference.clone(),
                    state: TransactionState::NotFound,
                    amount: None,
                    issuer_reference: None,
                });
            }
            return Err(decline(operation, &envelope.status));
        }
        let answer: wire::StatusAnswer = self.parse_body(operation, envelope)?;
        let amount = match (answer.amount, &answer.currency) {
            (Some(amount), Some(code)) => {
                let currency = parse_currency(operation, code)?;
                Some(money(operation, "amount", amount, currency)?)
            }
            _ => None,
        };
        Ok(TransactionStatus {
            reference: reference.clone(),
            state: TransactionState::from_wire(&answer.status),
            amount,
            issuer_reference: answer.issuer_ref.map(ProviderReference::new),
        })
    }

    /// The merchant wallet's operations from `from` to `to`, both included
    /// (`AGENTSTATEMENT`, dates sent as `yyyy-MM-dd`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `from` is after `to`; a decline,
    /// [`Error::UndecodableResponse`], transport errors.
    pub async fn statement(&self, from: time::Date, to: time::Date) -> Result<Vec<StatementEntry>> {
        if from > to {
            return Err(Error::invalid("from", format_args!("{from} is after {to}")));
        }
        let (from, to) = (
            iso_date(from).ok_or_else(|| Error::invalid("from", "the year is not four digits"))?,
            iso_date(to).ok_or_else(|| Error::invalid("to", "the year is not four digits"))?,
        );
        self.call(
            Service::Statement,
            || {
                Ok((
                    wire::StatementFields {
                        from_date: &from,
                        to_date: &to,
                    },
                    None,
                ))
            },
            |envelope| self.read_statement(&envelope),
        )
        .await
    }

    /// A statement's lines.
    pub(crate) fn read_statement(
        &self,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<Vec<StatementEntry>> {
        let operation = Service::Statement.operation();
        if !envelope.status.is_success() {
            return Err(decline(operation, &envelope.status));
        }
        // Read in one pass, each line where it lies (see `StatementAnswer`).
        let answer: wire::StatementAnswer =
            self.parse_body_with(operation, envelope, serde_json::from_str)?;
        answer
            .transactions
            .into_iter()
            .map(|wire::SpelledValue(line)| {
                let currency = parse_currency(operation, &line.currency)?;
                Ok(StatementEntry {
                    reference: line.ref_id,
                    issuer_reference: line.issuer_ref.map(ProviderReference::new),
                    amount: money(operation, "amount", line.amount.abs(), currency)?,
                    description: line.description,
                    date: line.trx_date,
                    balance_after: line
                        .balance
                        .map(|b| money(operation, "balance", b, currency))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// The merchant wallet's balance (`AGENTBALANCEINQUIRY`).
    ///
    /// # Errors
    ///
    /// A decline, [`Error::UndecodableResponse`], transport errors.
    pub async fn balance(&self) -> Result<Balance> {
        self.call(
            Service::Balance,
            || Ok((wire::NoFields {}, None)),
            |envelope| self.read_balance(&envelope),
        )
        .await
    }

    /// The balance an answer states.
    pub(crate) fn read_balance(&self, envelope: &ResponseEnvelope<'_>) -> Result<Balance> {
        let operation = Service::Balance.operation();
        if !envelope.status.is_success() {
            return Err(decline(operation, &envelope.status));
        }
        let answer: wire::BalanceAnswer = self.parse_body(operation, envelope)?;
        let currency = parse_currency(operation, &answer.currency)?;
        Ok(Balance {
            available: money(operation, "balance", answer.balance, currency)?,
        })
    }

    /// The answer's `responseBody` read with its spellings ([`wire::decode`]).
    fn parse_body<'a, T: wire::Spelled + serde::Deserialize<'a>>(
        &self,
        operation: payments_core::Operation,
        envelope: &ResponseEnvelope<'a>,
    ) -> Result<T> {
        self.parse_body_with(operation, envelope, wire::decode)
    }

    /// The answer's `responseBody` read by `decode`.
    fn parse_body_with<'a, T>(
        &self,
        operation: payments_core::Operation,
        envelope: &ResponseEnvelope<'a>,
        decode: impl FnOnce(&'a str) -> serde_json::Result<T>,
    ) -> Result<T> {
        let raw = envelope
            .body
            .map_or("null", serde_json::value::RawValue::get);
        decode(raw).map_err(|e| Error::UndecodableResponse {
            operation,
            detail: format!("responseBody is not the expected shape: {e}"),
            raw: self.inner.http.scrubber().excerpt(raw.as_bytes()),
            source: Some(Box::new(e)),
            diagnostics: None,
        })
    }

    /// The client's scrubber: every secret and token it knows.
    pub(crate) fn scrubber(&self) -> &payments_core::Scrubber {
        self.inner.http.scrubber()
    }

    pub(crate) fn settle_policy(&self) -> &RetryPolicy {
        &self.inner.settle
    }

    pub(crate) fn deadline(&self) -> Duration {
        self.inner.deadline
    }

    pub(crate) fn open(&self) -> &payments_core::gateway::OpenPayments<crate::CheckedVoucher> {
        &self.inner.open
    }
}

impl fmt::Debug for JawaliClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JawaliClient")
            .field("config", &self.inner.config)
            .field("access_token", &self.inner.access)
            .field("wallet_token", &self.inner.wallet)
            .finish_non_exhaustive()
    }
}

/// The LOGIN and callWS URLs under `base`. Public integrations configure
/// the base both as `https://host:9493` and as `https://host:9493/paygate`:
/// both are accepted, and `/paygate` is never doubled.
/// Why a cash-out's repeat was not sent.
const PLAN_USED_UP: &str = "the repeat was not sent: every refId planned for this cash-out is used";

/// The fields of a cash-out sent under `reference`.
pub(crate) fn cash_out_fields<'a>(
    request: &'a CashOut,
    reference: &MerchantReference,
    purpose: &'a str,
) -> wire::CashOutFields<'a> {
    wire::CashOutFields {
        inquiry: wire::InquiryFields {
            voucher: request.voucher.as_str(),
            receiver_mobile: request.customer_mobile.as_str(),
            ref_id: reference.to_string().into(),
            purpose,
        },
        amount: request.amount.to_json_number(),
        currency: request.amount.currency().code(),
    }
}

pub(crate) fn endpoints(base: &BaseUrl) -> Result<(url::Url, url::Url)> {
    let prefix = if base
        .as_url()
        .path()
        .trim_end_matches('/')
        .ends_with("/paygate")
    {
        ""
    } else {
        "paygate/"
    };
    Ok((
        base.join(&format!("{prefix}oauth/token"))?,
        base.join(&format!("{prefix}v1/ws/callWS"))?,
    ))
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

fn decline(operation: payments_core::Operation, status: &wire::ResponseStatus<'_>) -> Error {
    let mut decline = Decline::new(
        status.code.clone(),
        status.decline_kind(),
        status.description.clone().unwrap_or_default(),
    );
    if let Some(native) = &status.native {
        decline = decline.with_user_message(native.clone());
    }
    Error::declined(operation, decline)
}

fn parse_currency(operation: payments_core::Operation, code: &str) -> Result<Currency> {
    let code = code.trim();
    // An alphabetic code in any case, uppercased on the stack; or ISO numeric.
    let found = match <[u8; 3]>::try_from(code.as_bytes()) {
        Ok(letters) if letters.iter().all(u8::is_ascii_alphabetic) => {
            let upper = letters.map(|b| b.to_ascii_uppercase());
            std::str::from_utf8(&upper)
                .ok()
                .and_then(Currency::from_code)
        }
        _ => code.parse::<u16>().ok().and_then(Currency::from_numeric),
    };
    found.ok_or_else(|| Error::UndecodableResponse {
        operation,
        detail: format!(
            "unknown currency `{}`",
            code.chars().take(12).collect::<String>()
        ),
        raw: payments_core::secret::RedactedText::from_static(""),
        source: None,
        diagnostics: None,
    })
}

/// Yemen's clock (UTC+3, no daylight saving), in which Jawali reads its
/// compact `clientDate`.
const YEMEN: UtcOffset = match UtcOffset::from_hms(3, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// `YYYYMMDDhhmm` in Yemen's time; empty past year 9999 (as the wire can
/// carry no more digits).
fn compact_minute(at: OffsetDateTime) -> String {
    let at = at.to_offset(YEMEN);
    match iso_date(at.date()) {
        Some(_) => format!(
            "{:04}{:02}{:02}{:02}{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        ),
        None => String::new(),
    }
}

/// `YYYY-MM-DD`, or `None` for a year outside 0000–9999.
pub(crate) fn iso_date(date: Date) -> Option<String> {
    (0..=9999).contains(&date.year()).then(|| {
        format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    })
}

#[cfg(test)]
mod tests {
    use time::{Date, Month, PrimitiveDateTime, Time};

    use super::{compact_minute, iso_date};

    #[test]
    fn dates_are_written_with_padded_fields_and_four_digit_years_only() {
        let date = |y, m, d| Date::from_calendar_date(y, m, d).unwrap();
        assert_eq!(
            iso_date(date(2026, Month::March, 5)).as_deref(),
            Some("2026-03-05")
        );
        assert_eq!(
            iso_date(date(999, Month::December, 31)).as_deref(),
            Some("0999-12-31")
        );
        assert_eq!(iso_date(date(-1, Month::January, 1)), None);
        let late_evening = PrimitiveDateTime::new(
            date(2026, Month::December, 31),
            Time::from_hms(22, 7, 0).unwrap(),
        );
        // 22:07 UTC is 01:07 the next day (and year) in Yemen.
        assert_eq!(compact_minute(late_evening.assume_utc()), "202701010107");
    }
}
