//! A stateful Jawali simulator on loopback, speaking the crate's wire
//! contract: for tests and for developing a checkout offline.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use jawali::sandbox::JawaliSandbox;
//! use jawali::{JawaliClient, MobileNumber};
//! use jawali::{Currency, Money};
//!
//! let sandbox = JawaliSandbox::start().await?;
//! let mobile = MobileNumber::new("771234567")?;
//! let amount = Money::parse("1500", Currency::YER)?;
//! let voucher = sandbox.create_voucher(amount, &mobile);
//!
//! let client = JawaliClient::new(sandbox.config())?;
//! let outcome = client.collect(voucher.as_str(), mobile.as_str(), amount).await?;
//! assert_eq!(outcome.amount, Some(amount));
//! assert_eq!(sandbox.cash_outs().len(), 1);
//! # Ok(()) }
//! ```
//!
//! What it simulates:
//!
//! - `LOGIN` with the [`SandboxCredentials`]; access tokens expire after
//!   [`SandboxOptions::access_token_ttl`] on the sandbox clock (HTTP 401 after).
//! - `WALLETAUTHENTICATION`; wallet tokens expire after
//!   [`SandboxOptions::wallet_token_ttl`] (an HTTP 200 "Invalid access token" after).
//! - Vouchers made with [`JawaliSandbox::create_voucher`]: `PENDING` until
//!   cashed out (`ACCEPTED`), cancelled ([`JawaliSandbox::cancel_voucher`]),
//!   or an hour old on the sandbox clock (`EXPIRED`).
//! - Cash-outs move the voucher's amount into the merchant wallet's balance
//!   and statement; a `refId` used before is refused as a duplicate.
//! - Status lookups by `refId`; statement by date range; balance.
//! - The core's fault injection, per operation: `login`,
//!   `wallet_authentication`, `inquiry`, `cash_out`, `check_status`,
//!   `statement`, `balance` ([`JawaliSandbox::faults`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use payments_core::clock::{Clock, ManualClock};
use payments_core::sandbox::{
    Faults, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::wire::{DecimalStyle, JsonNumber};
use payments_core::{BaseUrl, Currency, Decimal, Environment, Money, SecretString, async_trait};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::macros::{format_description, offset};

use crate::config::JawaliConfig;
use crate::model::{MobileNumber, VoucherCode, VoucherState};
use crate::wire::Service;

/// The credentials the sandbox accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCredentials {
    /// `username`.
    pub username: &'static str,
    /// The login password.
    pub password: &'static str,
    /// `orgID`.
    pub org_id: &'static str,
    /// The merchant wallet.
    pub agent_wallet: &'static str,
    /// The merchant wallet's password.
    pub wallet_password: &'static str,
}

/// The sandbox's fixed credentials.
pub const CREDENTIALS: SandboxCredentials = SandboxCredentials {
    username: "sandbox-merchant",
    password: "sandbox-login-password",
    org_id: "9001",
    agent_wallet: "700000001",
    wallet_password: "sandbox-wallet-password",
};

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Access token life, on the sandbox clock (default 1 h).
    pub access_token_ttl: Duration,
    /// Wallet token life (default 30 min).
    pub wallet_token_ttl: Duration,
    /// Voucher life while pending (default 1 h, as the provider documents).
    pub voucher_ttl: Duration,
    /// The merchant wallet's currency, reported by the balance inquiry (default YER).
    pub wallet_currency: Currency,
    /// Where the clock starts (default: the system time at start).
    pub start: SystemTime,
    /// Seed for voucher codes and tokens.
    pub seed: u64,
    /// The loopback port to serve on (default 0: a free one).
    pub port: u16,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            access_token_ttl: Duration::from_secs(3600),
            wallet_token_ttl: Duration::from_secs(1800),
            voucher_ttl: Duration::from_secs(3600),
            wallet_currency: Currency::YER,
            start: SystemTime::now(),
            seed: 7,
        }
    }
}

/// A cash-out the sandbox booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedCashOut {
    /// Its `refId`.
    pub reference: String,
    /// The voucher redeemed.
    pub voucher: String,
    /// The amount moved.
    pub amount: Money,
    /// The issuer reference the sandbox gave it.
    pub issuer_reference: String,
}

/// How many requests of each kind the sandbox processed (faulted-away ones excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxCounts {
    /// `LOGIN`s answered with a token.
    pub logins: usize,
    /// `WALLETAUTHENTICATION`s answered with a token.
    pub wallet_authentications: usize,
    /// Inquiries processed.
    pub inquiries: usize,
    /// Cash-out requests processed (successful or not).
    pub cash_out_requests: usize,
    /// Status lookups processed.
    pub status_lookups: usize,
    /// Statements processed.
    pub statements: usize,
    /// Balance inquiries processed.
    pub balances: usize,
    /// Calls refused with HTTP 401.
    pub unauthorized: usize,
}

/// The running simulator. Stops when dropped.
pub struct JawaliSandbox {
    server: SandboxServer,
    simulator: Arc<Simulator>,
}

impl JawaliSandbox {
    /// Starts a sandbox with default options on `127.0.0.1`.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(SandboxOptions::default()).await
    }

    /// Starts a sandbox with `options`.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start_with(options: SandboxOptions) -> std::io::Result<Self> {
        let port = options.port;
        let simulator = Arc::new(Simulator {
            clock: ManualClock::new(options.start),
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(options.seed),
                ..State::default()
            }),
            options,
        });
        let server = SandboxServer::start_on(port, simulator.clone()).await?;
        Ok(JawaliSandbox { server, simulator })
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> BaseUrl {
        self.server.base_url()
    }

    /// A client configuration for this sandbox, with its credentials.
    pub fn config(&self) -> JawaliConfig {
        JawaliConfig::new(
            Environment::Custom(self.base_url()),
            CREDENTIALS.username,
            SecretString::from(CREDENTIALS.password),
            CREDENTIALS.org_id,
            CREDENTIALS.agent_wallet,
            SecretString::from(CREDENTIALS.wallet_password),
        )
        .external_user("sandbox-shop")
    }

    /// The sandbox clock (token and voucher expiry read it).
    pub fn clock(&self) -> &ManualClock {
        &self.simulator.clock
    }

    /// HTTP requests received so far (the round trips clients made).
    pub fn requests_served(&self) -> usize {
        self.server.requests()
    }

    /// The faults to inject into the next requests.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Plays a customer creating a voucher for `amount` in their app.
    pub fn create_voucher(&self, amount: Money, customer_mobile: &MobileNumber) -> VoucherCode {
        self.add_voucher(None, amount, customer_mobile)
    }

    /// Plays the customer creating the voucher `code` (a code named on a
    /// command line, say) for `amount` in their app. A voucher already there
    /// under that code is replaced.
    pub fn create_voucher_with_code(
        &self,
        code: &VoucherCode,
        amount: Money,
        customer_mobile: &MobileNumber,
    ) -> VoucherCode {
        self.add_voucher(Some(code.as_str()), amount, customer_mobile)
    }

    fn add_voucher(
        &self,
        code: Option<&str>,
        amount: Money,
        customer_mobile: &MobileNumber,
    ) -> VoucherCode {
        let now = self.simulator.clock.now();
        let mut state = self.simulator.lock();
        let code = match code {
            Some(code) => code.to_owned(),
            None => loop {
                let candidate = state.rng.u32(100_000..1_000_000).to_string();
                if !state.vouchers.contains_key(&candidate) {
                    break candidate;
                }
            },
        };
        state.issued += 1;
        let issuer = format!("JWI{:08}", state.issued);
        let sender_mobile = format!("73{:07}", state.issued);
        state.vouchers.insert(
            code.clone(),
            SimVoucher {
                amount,
                customer_mobile: customer_mobile.as_str().to_owned(),
                sender_mobile,
                created: now,
                state: VoucherState::Pending,
                issuer_reference: issuer,
            },
        );
        // Six ASCII digits, or a code that was already a valid `VoucherCode`.
        VoucherCode(code)
    }

    /// Plays the customer cancelling a pending voucher; `false` if it is not pending.
    pub fn cancel_voucher(&self, code: &VoucherCode) -> bool {
        let now = self.simulator.clock.now();
        let ttl = self.simulator.options.voucher_ttl;
        let mut state = self.simulator.lock();
        match state.vouchers.get_mut(code.as_str()) {
            Some(voucher) if voucher.current_state(now, ttl) == VoucherState::Pending => {
                voucher.state = VoucherState::Canceled;
                true
            }
            _ => false,
        }
    }

    /// A voucher's state now, on the sandbox clock.
    pub fn voucher_state(&self, code: &VoucherCode) -> Option<VoucherState> {
        let now = self.simulator.clock.now();
        let ttl = self.simulator.options.voucher_ttl;
        self.simulator
            .lock()
            .vouchers
            .get(code.as_str())
            .map(|v| v.current_state(now, ttl))
    }

    /// Every cash-out booked, in order.
    pub fn cash_outs(&self) -> Vec<BookedCashOut> {
        self.simulator.lock().cash_outs.clone()
    }

    /// The merchant wallet's balance in `currency`.
    pub fn balance(&self, currency: Currency) -> Money {
        self.simulator
            .lock()
            .balances
            .get(currency.code())
            .copied()
            .unwrap_or_else(|| Money::zero(currency))
    }

    /// Request counters.
    pub fn counts(&self) -> SandboxCounts {
        self.simulator.lock().counts
    }

    /// Every secret a merchant's side holds with this sandbox: the
    /// credentials it accepts and every token it has issued (revoked ones
    /// too) — for tests that search logs, errors and stored data for them.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![
            CREDENTIALS.password.to_owned(),
            CREDENTIALS.wallet_password.to_owned(),
        ];
        secrets.extend(self.simulator.lock().issued_tokens.iter().cloned());
        secrets
    }

    /// Revokes every access token: the next call gets HTTP 401.
    pub fn revoke_access_tokens(&self) {
        self.simulator.lock().access_tokens.clear();
    }

    /// Revokes every wallet token: the next call gets "Invalid access token".
    pub fn revoke_wallet_tokens(&self) {
        self.simulator.lock().wallet_tokens.clear();
    }

    /// Makes the next cash-out slow, as a provider under load is: it is
    /// booked, but answered with `status: PENDING`, and the next `lookups`
    /// status lookups of its `refId` answer PENDING before SUCCESS.
    pub fn slow_next_cash_out(&self, lookups: u32) {
        self.simulator.lock().slow.push(lookups);
    }
}

impl std::fmt::Debug for JawaliSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JawaliSandbox")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

struct SimVoucher {
    amount: Money,
    customer_mobile: String,
    sender_mobile: String,
    created: SystemTime,
    state: VoucherState,
    issuer_reference: String,
}

impl SimVoucher {
    fn current_state(&self, now: SystemTime, ttl: Duration) -> VoucherState {
        if self.state == VoucherState::Pending && now >= self.created + ttl {
            VoucherState::Expired
        } else {
            self.state.clone()
        }
    }
}

struct StatementLine {
    at: SystemTime,
    reference: String,
    issuer_reference: String,
    amount: Money,
    balance: Money,
}

#[derive(Default)]
struct State {
    rng: fastrand::Rng,
    issued: u64,
    access_tokens: HashMap<String, SystemTime>,
    wallet_tokens: HashMap<String, SystemTime>,
    /// Every token and refresh token ever issued, revoked ones included.
    issued_tokens: Vec<String>,
    vouchers: HashMap<String, SimVoucher>,
    used_references: HashSet<String>,
    cash_outs: Vec<BookedCashOut>,
    /// Cash-outs refused, by `refId`: a status lookup answers FAILED.
    refused: HashSet<String>,
    /// Cash-outs still "processing", by `refId`: lookups left that answer PENDING.
    processing: HashMap<String, u32>,
    /// How many PENDING lookups the next cash-outs get (slow commits).
    slow: Vec<u32>,
    balances: BTreeMap<&'static str, Money>,
    statement: Vec<StatementLine>,
    counts: SandboxCounts,
}

struct Simulator {
    clock: ManualClock,
    options: SandboxOptions,
    state: Mutex<State>,
}

impl Simulator {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// ------------------------------------------------------------ wire (simulator side)

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimEnvelope {
    header: SimHeader,
    body: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimHeader {
    service_detail: SimServiceDetail,
    signon_detail: SimSignon,
    message_context: SimContext,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimServiceDetail {
    #[serde(rename = "corrID")]
    corr_id: String,
    domain_name: String,
    service_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimSignon {
    #[serde(rename = "clientID")]
    client_id: String,
    #[serde(rename = "orgID")]
    org_id: String,
    #[serde(rename = "userID")]
    user_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimContext {
    client_date: String,
    body_type: String,
}

#[derive(Deserialize)]
struct SimWalletAuth {
    identifier: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimWalletCall {
    agent_wallet: String,
    password: String,
    access_token: String,
    #[serde(default)]
    voucher: Option<String>,
    #[serde(default)]
    receiver_mobile: Option<String>,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "payments_core::wire::optional_decimal_from_number_or_string"
    )]
    amount: Option<Decimal>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    from_date: Option<String>,
    #[serde(default)]
    to_date: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SimStatus {
    system_status: &'static str,
    system_status_desc: String,
    system_status_desc_native: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SimAnswer<B> {
    response_status: SimStatus,
    response_body: Option<B>,
}

fn ok<B: Serialize>(body: B) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &SimAnswer {
            response_status: SimStatus {
                system_status: "0",
                system_status_desc: "Success".to_owned(),
                system_status_desc_native: "تمت العملية بنجاح",
            },
            response_body: Some(body),
        },
    )
}

fn fail(code: &'static str, desc: impl Into<String>, native: &'static str) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &SimAnswer::<()> {
            response_status: SimStatus {
                system_status: code,
                system_status_desc: desc.into(),
                system_status_desc_native: native,
            },
            response_body: None,
        },
    )
}

fn number(money: Money) -> JsonNumber {
    JsonNumber::new(money.amount(), DecimalStyle::Normalized)
}

fn format_time(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .to_offset(offset!(+3))
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        if request.path.ends_with("/oauth/token") {
            return "login".to_owned();
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Peek {
            header: PeekHeader,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PeekHeader {
            service_detail: PeekService,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PeekService {
            service_name: String,
        }
        request
            .json::<Peek>()
            .ok()
            .and_then(|p| Service::from_service_name(&p.header.service_detail.service_name))
            .map_or_else(|| "unknown".to_owned(), |s| s.operation().name.to_owned())
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/paygate/oauth/token") => self.login(&request),
            ("POST", "/paygate/v1/ws/callWS") => self.call_ws(&request),
            _ => {
                SandboxResponse::with_type(404, "text/html", "<html><body>Not Found</body></html>")
            }
        }
    }
}

impl Simulator {
    fn login(&self, request: &SandboxRequest) -> SandboxResponse {
        let field = |name| request.form_field(name).unwrap_or_default();
        let client_ok = field("grant_type") == "password"
            && field("client_id") == "restapp"
            && field("client_secret") == "restapp"
            && field("scope") == "read";
        if !client_ok {
            return SandboxResponse::json(
                401,
                &serde_json::json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
            );
        }
        if field("username") != CREDENTIALS.username || field("password") != CREDENTIALS.password {
            return SandboxResponse::json(
                400,
                &serde_json::json!({"error": "invalid_grant", "error_description": "Bad credentials"}),
            );
        }
        let now = self.clock.now();
        let mut state = self.lock();
        let token = format!("at-{:016x}", state.rng.u64(..));
        let refresh = format!("rt-{:016x}", state.rng.u64(..));
        state
            .access_tokens
            .insert(token.clone(), now + self.options.access_token_ttl);
        state.issued_tokens.extend([token.clone(), refresh.clone()]);
        state.counts.logins += 1;
        SandboxResponse::json(
            200,
            &serde_json::json!({
                "access_token": token,
                "token_type": "bearer",
                "refresh_token": refresh,
                "expires_in": self.options.access_token_ttl.as_secs(),
                "scope": "read",
            }),
        )
    }

    fn call_ws(&self, request: &SandboxRequest) -> SandboxResponse {
        let now = self.clock.now();
        let bearer_ok = request.bearer().is_some_and(|token| {
            self.lock()
                .access_tokens
                .get(token)
                .is_some_and(|expiry| now < *expiry)
        });
        if !bearer_ok {
            self.lock().counts.unauthorized += 1;
            return SandboxResponse::json(
                401,
                &serde_json::json!({"error": "invalid_token", "error_description": "Access token expired or invalid"}),
            );
        }
        let Ok(envelope) = request.json::<SimEnvelope>() else {
            return fail("-100", "Malformed request", "طلب غير صالح");
        };
        let Some(service) =
            Service::from_service_name(&envelope.header.service_detail.service_name)
        else {
            return fail("-101", "Unknown service", "خدمة غير معروفة");
        };
        let header = &envelope.header;
        if header.service_detail.domain_name != service.domain_name()
            || header.service_detail.corr_id.is_empty()
            || header.signon_detail.client_id != "WeCash"
            || header.signon_detail.org_id != CREDENTIALS.org_id
            || header.signon_detail.user_id != CREDENTIALS.username
            || header.message_context.client_date.is_empty()
            || header.message_context.body_type != "Clear"
        {
            return fail("-102", "Invalid request header", "ترويسة الطلب غير صالحة");
        }
        if service == Service::WalletAuthentication {
            return self.wallet_authentication(envelope.body.get());
        }
        let Ok(call) = serde_json::from_str::<SimWalletCall>(envelope.body.get()) else {
            return fail("-100", "Malformed request body", "طلب غير صالح");
        };
        if call.agent_wallet != CREDENTIALS.agent_wallet
            || call.password != CREDENTIALS.wallet_password
        {
            return fail(
                "-103",
                "Invalid wallet credentials",
                "بيانات المحفظة غير صحيحة",
            );
        }
        let wallet_token_ok = self
            .lock()
            .wallet_tokens
            .get(&call.access_token)
            .is_some_and(|expiry| now < *expiry);
        if !wallet_token_ok {
            // The request was received and refused: its refId is spent
            // ("unique, never repeated, in every request"), so a repeat
            // must come with a fresh one.
            if let Some(reference) = call.ref_id.filter(|r| !r.is_empty())
                && matches!(service, Service::Inquiry | Service::CashOut)
            {
                self.lock().used_references.insert(reference);
            }
            return fail(
                "-104",
                "Invalid access token",
                "رمز الدخول غير صالح أو منتهي",
            );
        }
        match service {
            Service::Inquiry => self.inquiry(&call, now),
            Service::CashOut => self.cash_out(&call, now),
            Service::CheckStatus => self.check_status(&call),
            Service::Statement => self.statement(&call),
            Service::Balance => self.balance(),
            Service::WalletAuthentication => fail("-101", "Unknown service", "خدمة غير معروفة"),
        }
    }

    fn wallet_authentication(&self, body: &str) -> SandboxResponse {
        let Ok(auth) = serde_json::from_str::<SimWalletAuth>(body) else {
            return fail("-100", "Malformed request body", "طلب غير صالح");
        };
        if auth.identifier != CREDENTIALS.agent_wallet
            || auth.password != CREDENTIALS.wallet_password
        {
            return fail(
                "-103",
                "Invalid wallet credentials",
                "بيانات المحفظة غير صحيحة",
            );
        }
        let now = self.clock.now();
        let mut state = self.lock();
        let token = format!("wt-{:016x}", state.rng.u64(..));
        state
            .wallet_tokens
            .insert(token.clone(), now + self.options.wallet_token_ttl);
        state.issued_tokens.push(token.clone());
        state.counts.wallet_authentications += 1;
        ok(serde_json::json!({
            "access_token": token,
            "expires_in": self.options.wallet_token_ttl.as_secs(),
        }))
    }

    /// Records a request's `refId`; `false` for a duplicate.
    fn take_reference(state: &mut State, call: &SimWalletCall) -> Result<String, SandboxResponse> {
        let Some(reference) = call.ref_id.clone().filter(|r| !r.is_empty()) else {
            return Err(fail("-105", "refId is required", "المرجع مطلوب"));
        };
        if !state.used_references.insert(reference.clone()) {
            return Err(fail(
                "-106",
                format!("Duplicate refId {reference}"),
                "المرجع مكرر",
            ));
        }
        Ok(reference)
    }

    fn inquiry(&self, call: &SimWalletCall, now: SystemTime) -> SandboxResponse {
        let mut state = self.lock();
        state.counts.inquiries += 1;
        if let Err(answer) = Self::take_reference(&mut state, call) {
            return answer;
        }
        let ttl = self.options.voucher_ttl;
        let Some(voucher) = voucher_for(&state, call) else {
            return fail("-107", "Voucher not found", "كود الشراء غير موجود");
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            txnamount: JsonNumber,
            txncurrency: &'static str,
            state: String,
            issuer_trx_ref: String,
            receiver_mobile: String,
            sender_mobile: String,
            trx_date: String,
        }
        ok(Answer {
            txnamount: number(voucher.amount),
            txncurrency: voucher.amount.currency().code(),
            state: voucher.current_state(now, ttl).as_wire().to_owned(),
            issuer_trx_ref: voucher.issuer_reference.clone(),
            receiver_mobile: voucher.customer_mobile.clone(),
            sender_mobile: voucher.sender_mobile.clone(),
            trx_date: format_time(voucher.created),
        })
    }

    fn cash_out(&self, call: &SimWalletCall, now: SystemTime) -> SandboxResponse {
        let ttl = self.options.voucher_ttl;
        let mut state = self.lock();
        state.counts.cash_out_requests += 1;
        let reference = match Self::take_reference(&mut state, call) {
            Ok(reference) => reference,
            Err(answer) => return answer,
        };
        let Some(voucher) = voucher_for(&state, call) else {
            state.refused.insert(reference);
            return fail("-107", "Voucher not found", "كود الشراء غير موجود");
        };
        let current = voucher.current_state(now, ttl);
        if current != VoucherState::Pending {
            let (desc, native) = match current {
                VoucherState::Expired => ("Voucher expired", "انتهت صلاحية كود الشراء"),
                VoucherState::Accepted => ("Voucher already accepted", "تم صرف كود الشراء مسبقاً"),
                VoucherState::Canceled => ("Voucher canceled", "كود الشراء ملغى"),
                _ => ("Voucher not pending", "كود الشراء غير قابل للصرف"),
            };
            state.refused.insert(reference);
            return fail("-108", desc, native);
        }
        let amount = voucher.amount;
        let requested = call
            .amount
            .zip(call.currency.as_deref().and_then(Currency::from_code))
            .and_then(|(a, c)| Money::new(a, c).ok());
        if requested != Some(amount) {
            state.refused.insert(reference);
            return fail(
                "-109",
                "Amount or currency does not match the voucher",
                "المبلغ أو العملة لا تطابق كود الشراء",
            );
        }
        let voucher_code = call.voucher.clone().unwrap_or_default();
        let issuer_reference = voucher.issuer_reference.clone();
        if let Some(v) = state.vouchers.get_mut(&voucher_code) {
            v.state = VoucherState::Accepted;
        }
        let balance = state
            .balances
            .get(amount.currency().code())
            .copied()
            .unwrap_or_else(|| Money::zero(amount.currency()))
            .checked_add(amount)
            .unwrap_or(amount);
        state.balances.insert(amount.currency().code(), balance);
        state.cash_outs.push(BookedCashOut {
            reference: reference.clone(),
            voucher: voucher_code,
            amount,
            issuer_reference: issuer_reference.clone(),
        });
        state.statement.push(StatementLine {
            at: now,
            reference: reference.clone(),
            issuer_reference: issuer_reference.clone(),
            amount,
            balance,
        });
        // The capitalised spellings, as some deployments answer.
        #[derive(Serialize)]
        struct Answer {
            amount: JsonNumber,
            #[serde(rename = "refId")]
            ref_id: String,
            #[serde(rename = "IssuerRef")]
            issuer_ref: String,
            #[serde(rename = "Currency")]
            currency: &'static str,
            balance: JsonNumber,
            status: &'static str,
        }
        let slow = if state.slow.is_empty() {
            None
        } else {
            Some(state.slow.remove(0))
        };
        if let Some(lookups) = slow {
            state.processing.insert(reference.clone(), lookups);
        }
        ok(Answer {
            amount: number(amount),
            ref_id: reference,
            issuer_ref: issuer_reference,
            currency: amount.currency().code(),
            balance: number(balance),
            status: if slow.is_some() {
                "PENDING"
            } else {
                "ACCEPTED"
            },
        })
    }

    fn check_status(&self, call: &SimWalletCall) -> SandboxResponse {
        let mut state = self.lock();
        state.counts.status_lookups += 1;
        let reference = call.ref_id.clone().unwrap_or_default();
        let pending = match state.processing.get_mut(&reference) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        };
        let refused = state.refused.contains(&reference);
        let Some(booked) = state.cash_outs.iter().find(|c| c.reference == reference) else {
            if refused {
                #[derive(Serialize)]
                #[serde(rename_all = "camelCase")]
                struct Failed {
                    ref_id: String,
                    status: &'static str,
                }
                return ok(Failed {
                    ref_id: reference,
                    status: "FAILED",
                });
            }
            return fail("-110", "Transaction not found", "العملية غير موجودة");
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            ref_id: String,
            status: &'static str,
            amount: JsonNumber,
            currency: &'static str,
            issuer_ref: String,
        }
        ok(Answer {
            ref_id: booked.reference.clone(),
            status: if pending { "PENDING" } else { "SUCCESS" },
            amount: number(booked.amount),
            currency: booked.amount.currency().code(),
            issuer_ref: booked.issuer_reference.clone(),
        })
    }

    fn statement(&self, call: &SimWalletCall) -> SandboxResponse {
        let format = format_description!("[year]-[month]-[day]");
        let parse =
            |d: &Option<String>| d.as_deref().and_then(|d| time::Date::parse(d, format).ok());
        let (Some(from), Some(to)) = (parse(&call.from_date), parse(&call.to_date)) else {
            return fail(
                "-111",
                "fromDate and toDate must be yyyy-MM-dd",
                "صيغة التاريخ غير صحيحة",
            );
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Line {
            ref_id: String,
            issuer_ref: String,
            amount: JsonNumber,
            currency: &'static str,
            description: &'static str,
            trx_date: String,
            balance: JsonNumber,
        }
        #[derive(Serialize)]
        struct Answer {
            transactions: Vec<Line>,
        }
        let mut state = self.lock();
        state.counts.statements += 1;
        let transactions = state
            .statement
            .iter()
            .filter(|line| {
                let date = OffsetDateTime::from(line.at).to_offset(offset!(+3)).date();
                from <= date && date <= to
            })
            .map(|line| Line {
                ref_id: line.reference.clone(),
                issuer_ref: line.issuer_reference.clone(),
                amount: number(line.amount),
                currency: line.amount.currency().code(),
                description: "ECOMMCASHOUT",
                trx_date: format_time(line.at),
                balance: number(line.balance),
            })
            .collect();
        ok(Answer { transactions })
    }

    fn balance(&self) -> SandboxResponse {
        let currency = self.options.wallet_currency;
        let mut state = self.lock();
        state.counts.balances += 1;
        let balance = state
            .balances
            .get(currency.code())
            .copied()
            .unwrap_or_else(|| Money::zero(currency));
        #[derive(Serialize)]
        struct Answer {
            balance: JsonNumber,
            currency: &'static str,
        }
        ok(Answer {
            balance: number(balance),
            currency: currency.code(),
        })
    }
}

fn voucher_for<'a>(state: &'a State, call: &SimWalletCall) -> Option<&'a SimVoucher> {
    let voucher = state.vouchers.get(call.voucher.as_deref()?)?;
    (call.receiver_mobile.as_deref() == Some(voucher.customer_mobile.as_str())).then_some(voucher)
}
