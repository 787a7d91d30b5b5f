//! The client itself: its parts and shared state, the `callWS` envelope
//! (`corrID`, `orgID`, `clientDate`, …), and sending one call and reading
//! its envelope, renewing refused tokens. Token life is in `token`; the
//! operations are in `voucher`, `account` and `collect`.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use payments_core::clock::{Clock, SystemClock};
use payments_core::http::{BearerToken, HttpClient, RawResponse, Request, RetryPolicy};
use payments_core::reference::{ReferenceGenerator, UuidReferences};
use payments_core::secret::Scrubber;
use payments_core::token::TokenCache;
use payments_core::{
    BaseUrl, Currency, Decline, Diagnostics, Error, ExposeSecret, MerchantReference, Result,
    SecretString,
};
use serde::Serialize;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::config::{ClientDateFormat, JawaliConfig, TEST_BASE_URL};
use crate::model::REF_ID_RULES;
use crate::wire::{self, ResponseEnvelope, Service, Signon};

mod token;

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
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: JawaliConfig,
    token_url: url::Url,
    ws_url: url::Url,
    http: HttpClient,
    access: TokenCache<BearerToken>,
    wallet: TokenCache<Arc<SecretString>>,
    references: Arc<dyn ReferenceGenerator>,
    correlation: Arc<dyn ReferenceGenerator>,
    clock: Arc<dyn Clock>,
    settle: RetryPolicy,
    deadline: Duration,
    pub(crate) used: Mutex<UsedReferences>,
    open: payments_core::gateway::OpenPayments<crate::CheckedVoucher>,
}

#[derive(Default)]
pub(crate) struct UsedReferences {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl UsedReferences {
    /// Records `reference`; `false` if this client used it before.
    pub(crate) fn insert(&mut self, reference: &str) -> bool {
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

    /// How a cash-out whose outcome is unknown is looked up — by `pay`,
    /// [`JawaliClient::collect`], [`JawaliClient::redeem`] and
    /// [`JawaliClient::settle`] alike (default: 8 lookups, from 250 ms to
    /// 5 s apart).
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

    /// A new `refId`, remembered as used by this client.
    pub(crate) fn fresh_reference(&self) -> Result<MerchantReference> {
        let reference = self.new_reference()?;
        self.inner
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(reference.as_str());
        Ok(reference)
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
    /// operation's `fields` — and its fresh `corrID`; `authorize` sets its
    /// bearer access token (the cache's ready header, or a token's text).
    pub(crate) fn wallet_request<F: Serialize>(
        &self,
        service: Service,
        authorize: impl FnOnce(Request) -> Result<Request>,
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
        self.ws_request(service, authorize, &body)
    }

    /// A `callWS` request, its access token set by `authorize`, and its
    /// fresh `corrID`.
    fn ws_request<B: Serialize>(
        &self,
        service: Service,
        authorize: impl FnOnce(Request) -> Result<Request>,
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
        let request = authorize(Request::post(self.inner.ws_url.clone()))?.json(&envelope)?;
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
    pub(crate) async fn call<F: Serialize, T>(
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
            let (request, corr_id) =
                self.wallet_request(service, |r| Ok(r.bearer_token(&access)), &wallet, &fields)?;
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

    /// The answer's `responseBody` read as `T` (an answer with spellings
    /// reads them itself: see [`spelled_answer!`](crate::spelling)).
    pub(crate) fn parse_body<'a, T: serde::Deserialize<'a>>(
        &self,
        operation: payments_core::Operation,
        envelope: &ResponseEnvelope<'a>,
    ) -> Result<T> {
        let raw = envelope
            .body
            .map_or("null", serde_json::value::RawValue::get);
        payments_core::wire::from_json_str(raw).map_err(|e| Error::UndecodableResponse {
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

pub(crate) fn decline(
    operation: payments_core::Operation,
    status: &wire::ResponseStatus<'_>,
) -> Error {
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

pub(crate) fn parse_currency(operation: payments_core::Operation, code: &str) -> Result<Currency> {
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
