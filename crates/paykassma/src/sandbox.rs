//! A stateful Paykassma simulator on loopback.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use paykassma::sandbox::PaykassmaSandbox;
//! use paykassma::{Activation, ActivationOutcome, Label, PaykassmaClient, WalletType};
//! // The wire call, driven by hand (a payment goes through PaykassmaGateway).
//! use paykassma::{Currency, Money};
//!
//! let sandbox = PaykassmaSandbox::start().await?;
//! let client = PaykassmaClient::new(sandbox.config())?;
//! let label = Label::new("user-55")?;
//! let deposit = client.create_deposit(&label, Currency::MMK).await?;
//!
//! // The user pays 500 MMK in their Wavepay app and gets a transaction number:
//! let paid = Money::parse("500", Currency::MMK)?;
//! let key1 = sandbox.customer_pays(deposit.identifier.as_deref().unwrap_or_default(), paid);
//!
//! let outcome = client
//!     .activate(&Activation {
//!         label,
//!         wallet_type: WalletType::WAVEPAY,
//!         key1,
//!         amount: paid,
//!         custom_transaction_id: client.new_reference()?,
//!     })
//!     .await?;
//! assert_eq!(outcome, ActivationOutcome::Credited { amount: paid });
//! # Ok(()) }
//! ```
//!
//! What it simulates: the `secret` query parameter (HTTP 404 without the
//! right one); create, answering a wallet number per deposit; the customer
//! paying into it ([`PaykassmaSandbox::customer_pays`]); activation — credited
//! with the amount actually paid, `pending` for a payment whose check is slow
//! ([`PaykassmaSandbox::customer_pays_slowly`]) and credited later,
//! `possible_transaction_created` for an unknown transaction number, `fail`
//! for a reused `custom_transaction_id` or transaction number; and a signed
//! postback for every credited deposit, delivered to
//! [`SandboxOptions::postback_url`] and repeated until it answers
//! `{"status":"ok"}`. Fault injection per operation (`create`, `activate`)
//! comes from the core ([`PaykassmaSandbox::faults`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use payments_core::clock::{Clock, ManualClock};
use payments_core::http::{HttpClient, HttpConfig, Request, Timeouts};
use payments_core::sandbox::{
    Faults, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::wire::{DecimalStyle, JsonNumber, decimal_from_number_or_string};
use payments_core::{BaseUrl, Currency, Decimal, ExposeSecret, Money, SecretString, async_trait};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::macros::format_description;
use url::Url;

use crate::config::PaykassmaConfig;
use crate::model::TransactionNumber;
use crate::postback::{DEFAULT_OFFSET, PostbackKeys, PostbackSigner};

/// A postback delivery: sent once per attempt, the sandbox's own loop
/// repeating it as Paykassma does.
const POSTBACK: payments_core::Operation =
    payments_core::Operation::money_moving("paykassma-sandbox", "postback");

/// The plugin API secret the sandbox accepts.
pub const SECRET: &str = "sandbox-plugin-api-secret";
/// The sandbox's postback access key.
pub const POSTBACK_ACCESS_KEY: &str = "sandbox-postback-access-key";
/// The sandbox's postback private key.
pub const POSTBACK_PRIVATE_KEY: &str = "sandbox-postback-private-key";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Where postbacks go (none: not sent).
    pub postback_url: Option<Url>,
    /// The wait between two deliveries of an unacknowledged postback.
    pub postback_retry_interval: Duration,
    /// Deliveries before the sandbox gives up on a postback.
    pub postback_max_attempts: u32,
    /// How long a slow payment's check takes before it is credited.
    pub slow_check: Duration,
    /// Whether postbacks use the older batch layout instead of the flat one.
    pub batch_postbacks: bool,
    /// Seed for wallet and transaction numbers.
    pub seed: u64,
    /// The loopback port to serve on (default 0: a free one).
    pub port: u16,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            postback_url: None,
            postback_retry_interval: Duration::from_millis(50),
            postback_max_attempts: 20,
            slow_check: Duration::from_millis(200),
            batch_postbacks: false,
            seed: 11,
        }
    }
}

/// A deposit the sandbox credited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditedDeposit {
    /// The merchant's `custom_transaction_id`.
    pub custom_transaction_id: String,
    /// The transaction number.
    pub key1: String,
    /// The user's label.
    pub label: String,
    /// The amount actually paid and credited.
    pub amount: Money,
}

/// One delivery attempt of a postback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackDelivery {
    /// The deposit's `custom_transaction_id`.
    pub custom_transaction_id: String,
    /// 1 for the first delivery.
    pub attempt: u32,
    /// The merchant endpoint's HTTP status (`None`: no connection).
    pub status: Option<u16>,
    /// Whether the answer was the acknowledgement.
    pub acknowledged: bool,
}

/// The running simulator. Stops when dropped.
pub struct PaykassmaSandbox {
    server: SandboxServer,
    simulator: Arc<Shared>,
}

impl PaykassmaSandbox {
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
        // Each delivery attempt waits at most 5 s for the endpoint.
        let mut delivery_config = HttpConfig::default();
        delivery_config.timeouts = Timeouts::new(Duration::from_secs(5), Duration::from_secs(5));
        let simulator = Arc::new(Shared {
            clock: ManualClock::starting_now(),
            // The SDK's own client, so the TLS provider features apply
            // (a bare reqwest client panics under `rustls-ring` alone).
            http: HttpClient::new(
                "paykassma-sandbox/1",
                delivery_config,
                payments_core::Scrubber::new(),
            )
            .map_err(std::io::Error::other)?,
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(options.seed),
                ..State::default()
            }),
            options: Mutex::new(options),
        });
        let server =
            SandboxServer::start_on(port, Arc::new(Simulator(Arc::clone(&simulator)))).await?;
        Ok(PaykassmaSandbox { server, simulator })
    }

    /// `http://127.0.0.1:<port>/`: both the API and the payment window.
    pub fn base_url(&self) -> BaseUrl {
        self.server.base_url()
    }

    /// The postback keys the sandbox signs with.
    pub fn postback_keys() -> PostbackKeys {
        PostbackKeys::new(
            SecretString::from(POSTBACK_ACCESS_KEY),
            SecretString::from(POSTBACK_PRIVATE_KEY),
        )
    }

    /// A client configuration for this sandbox.
    pub fn config(&self) -> PaykassmaConfig {
        PaykassmaConfig::with_urls(self.base_url(), self.base_url(), SecretString::from(SECRET))
            .postback_keys(Self::postback_keys())
    }

    /// Every secret a merchant's side holds with this sandbox: the API
    /// secret and both postback keys — for tests that search logs, errors
    /// and stored data for them.
    pub fn secrets(&self) -> Vec<String> {
        let keys = Self::postback_keys();
        vec![
            SECRET.to_owned(),
            keys.access_key.expose_secret().to_owned(),
            keys.private_key.expose_secret().to_owned(),
        ]
    }

    /// Sends postbacks to `url` from now on.
    pub fn set_postback_url(&self, url: Url) {
        self.simulator.options().postback_url = Some(url);
    }

    /// HTTP requests received so far (the round trips clients made).
    pub fn requests_served(&self) -> usize {
        self.server.requests()
    }

    /// The faults to inject into the next requests.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Plays the user paying `amount` into the wallet `identifier` (from
    /// create) in their app; returns the transaction number they get.
    pub fn customer_pays(&self, identifier: &str, amount: Money) -> TransactionNumber {
        self.customer_pays_with(identifier, amount, false, PostbackQuirks::NONE)
    }

    /// The customer's side of a Wavepay deposit, end to end: the
    /// merchant's page asks `client` for the wallet to pay into (for
    /// `label`), the customer pays `amount` there, and types the transaction
    /// number in — the order the merchant then activates, under a fresh
    /// order id (set [`DepositOrder::order_id`](crate::DepositOrder::order_id)
    /// to the merchant's own).
    ///
    /// # Errors
    ///
    /// What asking for the wallet fails with; [`Error::UndecodableResponse`](payments_core::Error::UndecodableResponse)
    /// if the answer names no wallet.
    pub async fn paid_deposit(
        &self,
        client: &crate::PaykassmaClient,
        label: crate::Label,
        amount: Money,
    ) -> payments_core::Result<crate::DepositOrder> {
        let wallet = client
            .create_deposit(&label, amount.currency())
            .await?
            .identifier
            .ok_or_else(|| payments_core::Error::UndecodableResponse {
                operation: crate::wire::CREATE,
                detail: "the sandbox's deposit names no wallet".to_owned(),
                raw: payments_core::secret::RedactedText::from_static(""),
                source: None,
                diagnostics: None,
            })?;
        let key1 = self.customer_pays(&wallet, amount);
        Ok(crate::DepositOrder::new(
            payments_core::OrderId::generate(),
            label,
            crate::WalletType::WAVEPAY,
            key1,
            amount,
        ))
    }

    /// As [`customer_pays`](Self::customer_pays) (slowly, if `slow`), with
    /// postbacks that misbehave as `quirks` say.
    pub fn customer_pays_with(
        &self,
        identifier: &str,
        amount: Money,
        slow: bool,
        quirks: PostbackQuirks,
    ) -> TransactionNumber {
        let mut state = self.simulator.lock();
        let number = loop {
            let candidate = state.rng.u64(1_000_000_000..10_000_000_000).to_string();
            if !state.payments.contains_key(&candidate) {
                break candidate;
            }
        };
        state.payments.insert(
            number.clone(),
            Payment {
                wallet: identifier.to_owned(),
                amount,
                slow,
                activated: false,
                quirks,
            },
        );
        // Ten digits: a valid `key1` by construction.
        TransactionNumber(number)
    }

    /// As [`customer_pays`](Self::customer_pays), but the payment's check is
    /// slow: activation answers `pending`, and the deposit is credited (and
    /// its postback sent) after [`SandboxOptions::slow_check`].
    pub fn customer_pays_slowly(&self, identifier: &str, amount: Money) -> TransactionNumber {
        self.customer_pays_with(identifier, amount, true, PostbackQuirks::NONE)
    }

    /// Every credited deposit, in order.
    pub fn credited(&self) -> Vec<CreditedDeposit> {
        self.simulator.lock().credited.clone()
    }

    /// Every postback delivery attempt, in order.
    pub fn deliveries(&self) -> Vec<PostbackDelivery> {
        self.simulator.lock().deliveries.clone()
    }

    /// Activation requests processed.
    pub fn activations(&self) -> usize {
        self.simulator.lock().activations
    }
}

impl std::fmt::Debug for PaykassmaSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaykassmaSandbox")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

struct Payment {
    wallet: String,
    amount: Money,
    slow: bool,
    activated: bool,
    quirks: PostbackQuirks,
}

/// How the postbacks of one payment misbehave, as real deliveries do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostbackQuirks {
    /// Wait this long before the first delivery (a late postback).
    pub delay: Duration,
    /// Deliver a `pending` postback before the final one (out of order
    /// statuses a merchant must not read as final).
    pub pending_first: bool,
    /// Deliver the final postback a second time after it was acknowledged.
    pub repeat: bool,
}

impl PostbackQuirks {
    /// No quirks.
    pub const NONE: PostbackQuirks = PostbackQuirks {
        delay: Duration::ZERO,
        pending_first: false,
        repeat: false,
    };

    /// Quirks with these settings.
    pub fn new(delay: Duration, pending_first: bool, repeat: bool) -> Self {
        PostbackQuirks {
            delay,
            pending_first,
            repeat,
        }
    }
}

#[derive(Default)]
struct State {
    rng: fastrand::Rng,
    wallets: HashMap<String, String>,
    payments: HashMap<String, Payment>,
    used_ids: HashMap<String, String>,
    credited: Vec<CreditedDeposit>,
    deliveries: Vec<PostbackDelivery>,
    activations: usize,
    next_id: u64,
}

/// The simulator's state, shared with the tasks that deliver postbacks.
struct Shared {
    clock: ManualClock,
    http: HttpClient,
    state: Mutex<State>,
    options: Mutex<SandboxOptions>,
}

/// The request handler.
struct Simulator(Arc<Shared>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn options(&self) -> MutexGuard<'_, SandboxOptions> {
        self.options.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Deserialize)]
struct CreateRequest {
    currency: String,
    label: String,
}

#[derive(Deserialize)]
struct ActivateRequest {
    currency_code: String,
    wallet_type: String,
    label: String,
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    amount: Decimal,
    key1: String,
    custom_transaction_id: String,
}

fn fail(message: &str) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &serde_json::json!({"status": "fail", "message": message}),
    )
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        if request.path.starts_with("/api/v1/transaction/create/") {
            "create".to_owned()
        } else if request.path == "/api/v1/transaction/activate" {
            "activate".to_owned()
        } else {
            "other".to_owned()
        }
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        if request.query_param("secret").as_deref() != Some(SECRET) {
            return SandboxResponse::with_type(
                404,
                "text/html",
                "<html><body><h1>404 Not Found</h1></body></html>",
            );
        }
        if request.method != "POST" {
            return SandboxResponse::with_type(
                405,
                "text/html",
                "<html><body>Method Not Allowed</body></html>",
            );
        }
        if let Some(wallet_type) = request.path.strip_prefix("/api/v1/transaction/create/") {
            return self.0.create(wallet_type, &request);
        }
        if request.path == "/api/v1/transaction/activate" {
            return Shared::activate(&self.0, &request);
        }
        SandboxResponse::with_type(
            404,
            "text/html",
            "<html><body><h1>404 Not Found</h1></body></html>",
        )
    }
}

impl Shared {
    fn create(&self, wallet_type: &str, request: &SandboxRequest) -> SandboxResponse {
        let Ok(body) = request.json::<CreateRequest>() else {
            return fail("currency and label are required");
        };
        if body.currency.len() != 3 || Currency::from_code(&body.currency).is_none() {
            return fail("The currency must be 3 characters.");
        }
        if body.label.is_empty() || body.label.chars().count() > 190 {
            return fail("The label may not be greater than 190 characters.");
        }
        let mut state = self.lock();
        let identifier = format!("09{:09}", state.rng.u64(0..1_000_000_000));
        state
            .wallets
            .insert(identifier.clone(), wallet_type.to_owned());
        SandboxResponse::json(
            200,
            &serde_json::json!({"status": "ok", "params": {"identifier": identifier}}),
        )
    }

    fn activate(this: &Arc<Self>, request: &SandboxRequest) -> SandboxResponse {
        let Ok(body) = request.json::<ActivateRequest>() else {
            return fail(
                "currency_code, wallet_type, label, key1, amount and custom_transaction_id are required",
            );
        };
        if body.key1.is_empty() || body.key1.chars().count() > 11 {
            return fail("The key1 may not be greater than 11 characters.");
        }
        if body.label.is_empty()
            || body.label.chars().count() > 190
            || body.custom_transaction_id.chars().count() > 190
        {
            return fail(
                "The label and custom_transaction_id may not be greater than 190 characters.",
            );
        }
        let Some(currency) = Currency::from_code(&body.currency_code) else {
            return fail("Unknown currency.");
        };
        if Money::new(body.amount, currency).is_err() {
            return fail("The amount is not valid.");
        }
        let mut state = this.lock();
        state.activations += 1;
        if state.used_ids.contains_key(&body.custom_transaction_id) {
            return fail("The custom_transaction_id has already been taken.");
        }
        let Some(payment) = state.payments.get_mut(&body.key1) else {
            state
                .used_ids
                .insert(body.custom_transaction_id.clone(), body.key1);
            return SandboxResponse::json(
                200,
                &serde_json::json!({"status": "possible_transaction_created", "message": "Transaction not found. Possible transaction created"}),
            );
        };
        if payment.activated {
            return fail("The transaction has already been activated.");
        }
        payment.activated = true;
        let (paid, slow, wallet, quirks) = (
            payment.amount,
            payment.slow,
            payment.wallet.clone(),
            payment.quirks,
        );
        state
            .used_ids
            .insert(body.custom_transaction_id.clone(), body.key1.clone());
        let wallet_type = state
            .wallets
            .get(&wallet)
            .cloned()
            .unwrap_or(body.wallet_type.clone());
        let deposit = CreditedDeposit {
            custom_transaction_id: body.custom_transaction_id.clone(),
            key1: body.key1.clone(),
            label: body.label.clone(),
            amount: paid,
        };
        drop(state);
        if slow {
            let simulator = Arc::clone(this);
            let delay = this.options().slow_check;
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                simulator.credit(deposit, wallet_type, quirks).await;
            });
            return SandboxResponse::json(
                200,
                &serde_json::json!({"status": "pending", "message": "The deposit status check has been started. The operation may take longer than expected. Upon completion of the verification, the funds will be credited to your account"}),
            );
        }
        #[derive(Serialize)]
        struct CurrencyInfo {
            code: &'static str,
            symbol: &'static str,
        }
        #[derive(Serialize)]
        struct Credited {
            status: &'static str,
            deposit: bool,
            deposit_amount: JsonNumber,
            currency: CurrencyInfo,
        }
        let answer = Credited {
            status: "ok",
            deposit: true,
            deposit_amount: JsonNumber::new(paid.amount(), DecimalStyle::Normalized),
            currency: CurrencyInfo {
                code: paid.currency().code(),
                symbol: paid.currency().code(),
            },
        };
        let simulator = Arc::clone(this);
        tokio::spawn(async move { simulator.credit(deposit, wallet_type, quirks).await });
        SandboxResponse::json(200, &answer)
    }
}

#[derive(Serialize)]
struct PostbackFields<'a> {
    transaction_id: u64,
    wallet_type: &'a str,
    direction: &'static str,
    status: &'static str,
    amount: JsonNumber,
    currency_code: &'static str,
    label: &'a str,
    custom_transaction_id: &'a str,
    created_at: String,
    activated_at: String,
}

impl Shared {
    /// Books `deposit` and delivers its postback until acknowledged (with
    /// the payment's quirks: late, a `pending` one first, repeated).
    async fn credit(
        self: Arc<Self>,
        deposit: CreditedDeposit,
        wallet_type: String,
        quirks: PostbackQuirks,
    ) {
        let id = {
            let mut state = self.lock();
            state.next_id += 1;
            state.credited.push(deposit.clone());
            state.next_id
        };
        let (url, batch) = {
            let options = self.options();
            (options.postback_url.clone(), options.batch_postbacks)
        };
        let Some(url) = url else { return };
        if !quirks.delay.is_zero() {
            tokio::time::sleep(quirks.delay).await;
        }
        let now = OffsetDateTime::from(self.clock.now())
            .to_offset(DEFAULT_OFFSET)
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap_or_default();
        let body = |status: &'static str| {
            let fields = PostbackFields {
                transaction_id: id,
                wallet_type: &wallet_type,
                direction: "ingoing",
                status,
                amount: JsonNumber::new(deposit.amount.amount(), DecimalStyle::Normalized),
                currency_code: deposit.amount.currency().code(),
                label: &deposit.label,
                custom_transaction_id: &deposit.custom_transaction_id,
                created_at: now.clone(),
                activated_at: now.clone(),
            };
            let signer = PostbackSigner::new(PaykassmaSandbox::postback_keys());
            serde_json::to_string(&fields)
                .ok()
                .and_then(|text| {
                    if batch {
                        signer.sign_batch_text(&format!("[{text}]")).ok()
                    } else {
                        signer.sign_flat_text(&text).ok()
                    }
                })
                .unwrap_or_default()
        };
        if quirks.pending_first {
            self.deliver(&url, &deposit, body("pending")).await;
        }
        let last = body("success");
        self.deliver(&url, &deposit, last.clone()).await;
        if quirks.repeat {
            self.deliver(&url, &deposit, last).await;
        }
    }

    /// Delivers one postback body until acknowledged or out of attempts.
    async fn deliver(&self, url: &Url, deposit: &CreditedDeposit, body: String) {
        let (interval, attempts) = {
            let options = self.options();
            (
                options.postback_retry_interval,
                options.postback_max_attempts,
            )
        };
        for attempt in 1..=attempts {
            let request = Request::post(url.clone()).body(
                reqwest::header::HeaderValue::from_static("application/json"),
                body.clone(),
            );
            let answer = self.http.execute(POSTBACK, None, &request).await;
            let (status, acknowledged) = match answer {
                Ok(response) => {
                    let ack = response.status == 200
                        && serde_json::from_slice::<serde_json::Value>(&response.body)
                            .is_ok_and(|v| v == serde_json::json!({"status": "ok"}));
                    (Some(response.status), ack)
                }
                Err(_) => (None, false),
            };
            self.lock().deliveries.push(PostbackDelivery {
                custom_transaction_id: deposit.custom_transaction_id.clone(),
                attempt,
                status,
                acknowledged,
            });
            if acknowledged {
                return;
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// The whole postback loop on loopback: an inbox verifying with the
/// sandbox's keys (in memory), served as the merchant's endpoint, and a
/// sandbox started with `options` whose postbacks go there. Keep the
/// endpoint as long as the sandbox.
///
/// # Errors
///
/// When no loopback port can be bound.
pub async fn start_with_inbox(
    mut options: SandboxOptions,
) -> std::io::Result<(PaykassmaSandbox, Arc<crate::PostbackInbox>, SandboxServer)> {
    let inbox = Arc::new(crate::PostbackInbox::new(
        crate::postback::PostbackVerifier::new(PaykassmaSandbox::postback_keys()),
    ));
    let endpoint = serve_inbox(Arc::clone(&inbox)).await?;
    options.postback_url = Some(
        endpoint
            .base_url()
            .join("postbacks")
            .map_err(|e| std::io::Error::other(e.to_string()))?,
    );
    let sandbox = PaykassmaSandbox::start_with(options).await?;
    Ok((sandbox, inbox, endpoint))
}

/// A merchant's postback endpoint on loopback, feeding `inbox`: for tests and
/// examples that run the sandbox's postbacks end to end.
///
/// # Errors
///
/// When no loopback port can be bound.
pub async fn serve_inbox(inbox: Arc<crate::PostbackInbox>) -> std::io::Result<SandboxServer> {
    struct Endpoint(Arc<crate::PostbackInbox>);

    #[async_trait]
    impl SandboxHandler for Endpoint {
        fn operation(&self, _: &SandboxRequest) -> String {
            "postback".to_owned()
        }

        async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
            let reply = self.0.receive(&request.body).await;
            SandboxResponse::with_type(reply.status, "application/json", reply.body)
        }
    }

    SandboxServer::start(Arc::new(Endpoint(inbox))).await
}
