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

mod http;
mod ledger;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use payments_core::clock::{Clock, ManualClock};
use payments_core::sandbox::{Faults, SandboxServer};
use payments_core::{BaseUrl, Money, SecretString};

use self::http::Simulator;
use self::ledger::{Shared, Wallet};
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
        let shared = Arc::new(Shared::new(options));
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
        let (code, _, _) = self.shared.create_qr(amount, self.shared.clock.now());
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
