//! A stateful simulator of Sipay's identity server, a point-of-sale and the
//! wallet API, on loopback.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tr_qr_wallet::{Currency, Money};
//! use tr_qr_wallet::sandbox::{MERCHANT_CODE, QrWalletSandbox, TERMINAL_CODE};
//! use tr_qr_wallet::{QrCodeType, QrWalletClient, WalletNumber};
//!
//! let sandbox = QrWalletSandbox::start().await?;
//! let wallet = WalletNumber::new("1011179271")?;
//! sandbox.add_wallet(&wallet, Money::parse("100", Currency::TRY)?, Money::parse("1250", Currency::TRY)?);
//!
//! let client = QrWalletClient::new(sandbox.config())?;
//! let price = Money::parse("12.50", Currency::TRY)?;
//! let qr = client.create_qr_code(MERCHANT_CODE, TERMINAL_CODE, price).await?; // the POS
//! let session = client.begin(&wallet, &qr.qr_code, QrCodeType::Default).await?;
//! let receipt = client.complete(&session).await?;
//! assert_eq!(receipt.charged, price);
//! assert_eq!(sandbox.balance(&wallet), Some(Money::parse("87.50", Currency::TRY)?));
//! # Ok(()) }
//! ```
//!
//! What it simulates: client-credentials tokens expiring on the sandbox clock
//! (HTTP 401 after); the `x-client-id` header and `provider_id`; QR codes for
//! a sale, valid for [`SandboxOptions::qr_ttl`]; Begin opening a session that
//! expires after [`SandboxOptions::session_ttl`] (code 340 after); Complete
//! debiting the wallet once — a second Complete of the same session answers
//! 301 — with 311 for an insufficient balance and 310 for an amount over the
//! payment limit; 300 for an unknown wallet. Faults per operation (`token`,
//! `create_qr_code`, `begin`, `complete`) come from the core.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use payments_core::clock::{Clock, ManualClock};
use payments_core::sandbox::{
    Faults, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::wire::{DecimalStyle, JsonNumber, decimal_from_number_or_string};
use payments_core::{BaseUrl, Currency, Decimal, Money, SecretString, async_trait};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::macros::{format_description, offset};

use crate::config::QrWalletConfig;
use crate::model::{QrCode, WalletNumber};

/// The client id the sandbox's identity server accepts.
pub const CLIENT_ID: &str = "sandbox-client";
/// Its client secret.
pub const CLIENT_SECRET: &str = "sandbox-client-secret";
/// The `x-client-id` header value the API expects.
pub const X_CLIENT_ID: &str = "sandbox-x-client";
/// The `provider_id` of the integrator.
pub const PROVIDER_ID: &str = "sandbox-provider";
/// The sandbox point-of-sale's merchant code.
pub const MERCHANT_CODE: &str = "0007777777";
/// The sandbox point-of-sale's terminal code.
pub const TERMINAL_CODE: &str = "0007777778";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Access token life (default 1 h).
    pub token_ttl: Duration,
    /// How long a begun session can be completed (default 5 min).
    pub session_ttl: Duration,
    /// How long a QR code can be begun (default 15 min).
    pub qr_ttl: Duration,
    /// Where the clock starts (default: now).
    pub start: SystemTime,
    /// Seed for codes and ids (default: random, so that correlation ids are
    /// unique across runs, as the provider's are — a journal outlives a
    /// sandbox; set it to replay a run).
    pub seed: u64,
    /// The loopback port to serve on (default 0: a free one).
    pub port: u16,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            token_ttl: Duration::from_secs(3600),
            session_ttl: Duration::from_secs(300),
            qr_ttl: Duration::from_secs(900),
            start: SystemTime::now(),
            seed: fastrand::u64(..),
        }
    }
}

/// A debit the sandbox booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debit {
    /// The session's correlation id.
    pub correlation_id: String,
    /// The QR code paid (one sale).
    pub qr_code: String,
    /// The wallet debited.
    pub wallet: String,
    /// The amount.
    pub amount: Money,
}

/// Request counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxCounts {
    /// Tokens issued.
    pub tokens: usize,
    /// Begin requests processed.
    pub begins: usize,
    /// Complete requests processed.
    pub completes: usize,
    /// Calls refused with HTTP 401.
    pub unauthorized: usize,
}

/// The running simulator. Stops when dropped.
pub struct QrWalletSandbox {
    server: SandboxServer,
    shared: Arc<Shared>,
}

impl QrWalletSandbox {
    /// Starts a sandbox with default options.
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
        let shared = Arc::new(Shared {
            clock: ManualClock::new(options.start),
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(options.seed),
                ..State::default()
            }),
            options,
        });
        let server =
            SandboxServer::start_on(port, Arc::new(Simulator(Arc::clone(&shared)))).await?;
        Ok(QrWalletSandbox { server, shared })
    }

    /// `http://127.0.0.1:<port>/`: the API and the identity server.
    pub fn base_url(&self) -> BaseUrl {
        self.server.base_url()
    }

    /// A client configuration for this sandbox.
    pub fn config(&self) -> QrWalletConfig {
        let base = self.base_url();
        // A fixed relative path below a valid base URL always joins.
        #[allow(clippy::expect_used)]
        let token_url = base
            .join("connect/token")
            .expect("connect/token joins a valid base URL");
        QrWalletConfig::assemble(
            base,
            token_url,
            CLIENT_ID.to_owned(),
            SecretString::from(CLIENT_SECRET),
            X_CLIENT_ID.to_owned(),
            PROVIDER_ID.to_owned(),
        )
    }

    /// The sandbox clock (token, QR code and session expiry read it).
    pub fn clock(&self) -> &ManualClock {
        &self.shared.clock
    }

    /// HTTP requests received so far (the round trips clients made).
    pub fn requests_served(&self) -> usize {
        self.server.requests()
    }

    /// The faults to inject into the next requests.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Opens (or replaces) a TRY wallet with a balance and a payment limit.
    pub fn add_wallet(&self, number: &WalletNumber, balance: Money, payment_limit: Money) {
        self.shared.lock().wallets.insert(
            number.as_str().to_owned(),
            Wallet {
                balance,
                payment_limit,
            },
        );
    }

    /// A wallet's balance.
    pub fn balance(&self, number: &WalletNumber) -> Option<Money> {
        self.shared
            .lock()
            .wallets
            .get(number.as_str())
            .map(|w| w.balance)
    }

    /// Plays the point-of-sale: a QR code for a sale of `amount`.
    pub fn pos_creates_qr(&self, amount: Money) -> QrCode {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let (code, _) = state.new_qr(amount, now + self.shared.options.qr_ttl);
        QrCode(code)
    }

    /// Every debit booked, in order.
    pub fn debits(&self) -> Vec<Debit> {
        self.shared.lock().debits.clone()
    }

    /// Request counters.
    pub fn counts(&self) -> SandboxCounts {
        self.shared.lock().counts
    }

    /// Every secret a merchant's side holds with this sandbox: the client
    /// secret it accepts and every token it has issued (revoked ones too) —
    /// for tests that search logs, errors and stored data for them.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![CLIENT_SECRET.to_owned()];
        secrets.extend(self.shared.lock().issued_tokens.iter().cloned());
        secrets
    }

    /// Revokes every token: the next call gets HTTP 401.
    pub fn revoke_tokens(&self) {
        self.shared.lock().tokens.clear();
    }
}

struct Wallet {
    balance: Money,
    payment_limit: Money,
}

struct PosQr {
    amount: Money,
    expires: SystemTime,
    used: bool,
    short_code: String,
}

struct Session {
    wallet: String,
    qr: String,
    amount: Money,
    sale_reference: String,
    approval: u64,
    expires: SystemTime,
    completed: bool,
}

#[derive(Default)]
struct State {
    rng: fastrand::Rng,
    tokens: HashMap<String, SystemTime>,
    /// Every token ever issued, revoked ones included.
    issued_tokens: Vec<String>,
    wallets: HashMap<String, Wallet>,
    qr_codes: HashMap<String, PosQr>,
    sessions: HashMap<String, Session>,
    debits: Vec<Debit>,
    counts: SandboxCounts,
}

impl State {
    fn digits(&mut self, n: usize) -> String {
        let first = char::from(b'1' + self.rng.u8(0..9));
        std::iter::once(first)
            .chain((1..n).map(|_| char::from(b'0' + self.rng.u8(0..10))))
            .collect()
    }

    fn new_qr(&mut self, amount: Money, expires: SystemTime) -> (String, String) {
        let code = self.digits(20);
        let short_code = self.digits(6);
        self.qr_codes.insert(
            code.clone(),
            PosQr {
                amount,
                expires,
                used: false,
                short_code: short_code.clone(),
            },
        );
        (code, short_code)
    }
}

struct Shared {
    clock: ManualClock,
    options: SandboxOptions,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Simulator(Arc<Shared>);

#[derive(Serialize)]
struct Envelope<P> {
    status: i32,
    code: &'static str,
    message: Option<String>,
    payload: Option<P>,
}

fn ok<P: Serialize>(message: Option<&str>, payload: P) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &Envelope {
            status: 0,
            code: "100",
            message: message.map(str::to_owned),
            payload: Some(payload),
        },
    )
}

fn refuse(code: &'static str, message: &str) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &Envelope::<()> {
            status: 1,
            code,
            message: Some(message.to_owned()),
            payload: None,
        },
    )
}

fn local(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .to_offset(offset!(+3))
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:2]"
        ))
        .unwrap_or_default()
}

fn four(amount: Money) -> JsonNumber {
    JsonNumber::new(amount.amount(), DecimalStyle::Fixed(4))
}

#[derive(Deserialize)]
struct BeginRequest {
    wallet_number: String,
    provider_id: String,
    qr_code: String,
    qr_code_type: u8,
}

#[derive(Deserialize)]
struct CompleteRequest {
    wallet_number: String,
    provider_id: String,
    tx_correlation_id: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateQrData {
    merchant_code: String,
    terminal_code: String,
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    transaction_amount: Decimal,
}

#[derive(Deserialize)]
struct CreateQrRequest {
    provider_id: String,
    data: CreateQrData,
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        match request.path.as_str() {
            "/connect/token" => "token",
            "/v1/Transaction/Create3rdPartyQrCode" => "create_qr_code",
            "/v1/Transaction/Begin3rdPartyQRCodePayment" => "begin",
            "/v1/Transaction/Complete3rdPartyQRCodePayment" => "complete",
            _ => "other",
        }
        .to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        let shared = &self.0;
        if request.path == "/connect/token" {
            return shared.token(&request);
        }
        let now = shared.clock.now();
        let authorised = request.bearer().is_some_and(|token| {
            shared
                .lock()
                .tokens
                .get(token)
                .is_some_and(|expiry| now < *expiry)
        });
        if !authorised {
            shared.lock().counts.unauthorized += 1;
            return SandboxResponse::with_type(
                401,
                "application/json",
                r#"{"message":"Unauthorized"}"#,
            );
        }
        if request.header("x-client-id") != Some(X_CLIENT_ID) {
            return SandboxResponse::json(
                403,
                &Envelope::<()> {
                    status: 1,
                    code: "403",
                    message: Some("invalid x-client-id".into()),
                    payload: None,
                },
            );
        }
        match request.path.as_str() {
            "/v1/Transaction/Create3rdPartyQrCode" => shared.create_qr(&request, now),
            "/v1/Transaction/Begin3rdPartyQRCodePayment" => shared.begin(&request, now),
            "/v1/Transaction/Complete3rdPartyQRCodePayment" => shared.complete(&request, now),
            _ => {
                SandboxResponse::with_type(404, "text/html", "<html><body>Not Found</body></html>")
            }
        }
    }
}

impl Shared {
    fn token(&self, request: &SandboxRequest) -> SandboxResponse {
        let field = |name| request.form_field(name).unwrap_or_default();
        if field("grant_type") != "client_credentials"
            || field("client_id") != CLIENT_ID
            || field("client_secret") != CLIENT_SECRET
        {
            return SandboxResponse::json(400, &serde_json::json!({"error": "invalid_client"}));
        }
        let now = self.clock.now();
        let mut state = self.lock();
        let token = format!("tok-{}", state.digits(16));
        state
            .tokens
            .insert(token.clone(), now + self.options.token_ttl);
        state.issued_tokens.push(token.clone());
        state.counts.tokens += 1;
        SandboxResponse::json(
            200,
            &serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": self.options.token_ttl.as_secs(), "scope": field("scope")}),
        )
    }

    fn create_qr(&self, request: &SandboxRequest, now: SystemTime) -> SandboxResponse {
        let Ok(body) = request.json::<CreateQrRequest>() else {
            return refuse(
                "400",
                "provider_id and data {MerchantCode, TerminalCode, TransactionAmount} are required",
            );
        };
        if body.provider_id != PROVIDER_ID {
            return refuse("400", "unknown provider_id");
        }
        if body.data.merchant_code != MERCHANT_CODE || body.data.terminal_code != TERMINAL_CODE {
            return refuse("400", "unknown merchant or terminal");
        }
        let Ok(amount) = Money::new(body.data.transaction_amount, Currency::TRY) else {
            return refuse("400", "invalid TransactionAmount");
        };
        let expires = now + self.options.qr_ttl;
        let (qr_code, short_code) = self.lock().new_qr(amount, expires);
        ok(
            None,
            serde_json::json!({"qr_code": qr_code, "short_code": short_code, "expire_date": local(expires)}),
        )
    }

    fn begin(&self, request: &SandboxRequest, now: SystemTime) -> SandboxResponse {
        let Ok(body) = request.json::<BeginRequest>() else {
            return refuse(
                "400",
                "wallet_number, provider_id, qr_code and qr_code_type are required",
            );
        };
        if body.provider_id != PROVIDER_ID {
            return refuse("400", "unknown provider_id");
        }
        let mut state = self.lock();
        state.counts.begins += 1;
        if !state.wallets.contains_key(&body.wallet_number) {
            return refuse("300", "Cüzdan bulunamadı");
        }
        let code = match body.qr_code_type {
            2 => state
                .qr_codes
                .iter()
                .find(|(_, qr)| qr.short_code == body.qr_code)
                .map(|(code, _)| code.clone()),
            _ => Some(body.qr_code.clone()),
        };
        let Some((code, amount)) = code.and_then(|code| {
            let qr = state.qr_codes.get(&code)?;
            (!qr.used && now < qr.expires).then_some((code, qr.amount))
        }) else {
            return refuse("330", "QR kod bulunamadı veya süresi doldu");
        };
        let correlation_id = state.digits(22);
        let sale_reference = state.digits(22);
        let approval = state.rng.u64(10_000_000..100_000_000);
        let expires = now + self.options.session_ttl;
        state.sessions.insert(
            correlation_id.clone(),
            Session {
                wallet: body.wallet_number,
                qr: code,
                amount,
                sale_reference: sale_reference.clone(),
                approval,
                expires,
                completed: false,
            },
        );
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct PaymentData<'a> {
            merchant_no: &'a str,
            terminal_no: &'a str,
            merchant_name: &'a str,
            brand_id: i32,
            brand_name: &'a str,
            city_name: &'a str,
            district_name: &'a str,
            request_amount: JsonNumber,
            batch_no: i32,
            transaction_id: u64,
            product_id: i32,
            product_name: &'a str,
            kdv: &'a str,
            discount_ratio: &'a str,
            currency_id: &'a str,
            sale_ref_code: &'a str,
            session_expire_date: String,
            response_code: i32,
            response_message: &'a str,
            error_message: Option<&'a str>,
        }
        let payment_data = serde_json::to_string(&PaymentData {
            merchant_no: MERCHANT_CODE,
            terminal_no: TERMINAL_CODE,
            merchant_name: "Sandbox Cafe",
            brand_id: 0,
            brand_name: "",
            city_name: "Antalya",
            district_name: "Aksu",
            request_amount: JsonNumber::new(amount.amount(), DecimalStyle::Normalized),
            batch_no: 1,
            transaction_id: approval,
            product_id: 2,
            product_name: "RESTO %1",
            kdv: "1,00",
            discount_ratio: "0,00",
            currency_id: "1",
            sale_ref_code: &sale_reference,
            session_expire_date: local(expires),
            response_code: 0,
            response_message: "Sorgulama işlemi başarılı.",
            error_message: None,
        })
        .unwrap_or_default();
        ok(
            None,
            serde_json::json!({"tx_correlation_id": correlation_id, "payment_data": payment_data}),
        )
    }

    fn complete(&self, request: &SandboxRequest, now: SystemTime) -> SandboxResponse {
        let Ok(body) = request.json::<CompleteRequest>() else {
            return refuse(
                "400",
                "wallet_number, provider_id and tx_correlation_id are required",
            );
        };
        if body.provider_id != PROVIDER_ID {
            return refuse("400", "unknown provider_id");
        }
        let raw = body.tx_correlation_id.get();
        let correlation_id = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned());
        let mut state = self.lock();
        state.counts.completes += 1;
        let Some(session) = state.sessions.get(&correlation_id) else {
            return refuse("350", "İşlem bulunamadı");
        };
        if session.wallet != body.wallet_number {
            return refuse("300", "Cüzdan bulunamadı");
        }
        if session.completed {
            return refuse("301", "Mükerrer işlem");
        }
        if now >= session.expires {
            return refuse("340", "Oturum süresi doldu");
        }
        let (amount, qr, sale_reference, approval) = (
            session.amount,
            session.qr.clone(),
            session.sale_reference.clone(),
            session.approval,
        );
        let Some(wallet) = state.wallets.get(&body.wallet_number) else {
            return refuse("300", "Cüzdan bulunamadı");
        };
        if amount.amount() > wallet.payment_limit.amount() {
            return refuse("310", "Limit yetersiz");
        }
        let Ok(balance) = wallet.balance.checked_sub(amount) else {
            return refuse("311", "Yetersiz bakiye");
        };
        let limit = wallet.payment_limit;
        if let Some(wallet) = state.wallets.get_mut(&body.wallet_number) {
            wallet.balance = balance;
        }
        if let Some(session) = state.sessions.get_mut(&correlation_id) {
            session.completed = true;
        }
        if let Some(qr) = state.qr_codes.get_mut(&qr) {
            qr.used = true;
        }
        state.debits.push(Debit {
            correlation_id: correlation_id.clone(),
            qr_code: qr,
            wallet: body.wallet_number.clone(),
            amount,
        });
        let transaction_id = state.digits(20);
        let zero = Money::zero(Currency::TRY);
        #[derive(Serialize)]
        struct Pair {
            available: JsonNumber,
            unavailable: JsonNumber,
        }
        let ext_order_id =
            serde_json::json!({"saleRefCode": sale_reference, "transactionId": approval})
                .to_string();
        let payload = serde_json::json!({
            "transaction_id": transaction_id,
            "transaction_amount": four(amount),
            "transaction_fee": four(zero),
            "charged_amount": four(amount),
            "ext_order_id": ext_order_id,
            "business_code": "",
            "business_name": "",
            "friendly_name": "",
            "receiver_account_number": "SANDBOXPOS01",
            "receiver_wallet_number": MERCHANT_CODE,
            "sender_wallet_info": {
                "id": "7997777777777777777",
                "name": "",
                "account_number": "SANDBOX010",
                "account_type": "Personal",
                "created_date_utc": "2021-09-20T10:52:35.5927212+00:00",
                "number": body.wallet_number,
                "phone_country_code": null,
                "phone_number": null,
                "email": null,
                "total_balance": four(balance),
                "access_level_status_id": 1,
                "access_level_status": "Aktif",
                "payment_balance": Pair { available: four(balance), unavailable: four(zero) },
                "cash_balance": Pair { available: four(zero), unavailable: four(zero) },
                "transaction_limits": {
                    "max_balance": four(limit), "topup_credit_limit": four(limit), "topup_cash_limit": four(limit),
                    "withdrawal_limit": four(limit), "payment_limit": four(limit), "wallet_to_wallet_limit": four(limit)
                },
                "kyc_level_status": null,
                "currency_code": "TRY",
                "user_kyc_info": null
            }
        });
        ok(Some("İşlem başarılı"), payload)
    }
}
