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

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use payments_core::clock::{Clock, ManualClock};
use payments_core::sandbox::{Faults, SandboxServer};
use payments_core::{BaseUrl, Currency, Environment, Money, SecretString};

use crate::config::JawaliConfig;
use crate::model::{MobileNumber, VoucherCode, VoucherState};

mod http;
mod ledger;

use ledger::{SimVoucher, Simulator, State};

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
