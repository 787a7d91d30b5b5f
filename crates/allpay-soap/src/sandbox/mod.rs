//! A stateful Allpay simulator on loopback that checks request signatures
//! and signs its answers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use allpay_soap::sandbox::AllpaySandbox;
//! use allpay_soap::{AllpayClient, CashIn, TerminalStatus, UserName};
//! use allpay_soap::{Currency, Money};
//!
//! let sandbox = AllpaySandbox::start().await?;
//! let client = AllpayClient::new(sandbox.config())?;
//! let user = UserName::new("77011234567")?;
//! assert!(client.check_user(&user).await?.is_some());
//! let payment = CashIn { to_user: user, amount: Money::parse("1500", Currency::KZT)?, guid: client.new_guid()? };
//! let done = client.drive_cash_in_payment(&payment).await?;
//! assert_eq!(done.status, TerminalStatus::Completed);
//! # Ok(()) }
//! ```
//!
//! What it simulates: signature checks on every request (an unsigned
//! `soap:Client` "Sign Error" Fault for a bad signature or certificate
//! number); signed answers echoing the request's digest as `requestDsig`;
//! customers ([`AllpaySandbox::add_user`]); the agent's balance; terminal
//! payments that stay `PENDING` for [`SandboxOptions::pending_polls`]
//! repeats, then complete (or are declined for an unknown customer or a
//! short balance), found again by GUID + requester; two-phase transactions
//! that block, then move or release the money; business Faults with
//! `developerMessage`, `userMessage`, `stackHash`. Faults per operation come
//! from the core ([`AllpaySandbox::faults`]).
//!
//! Its keys are sandbox-only test keys, published with this crate.

mod http;
mod ledger;

use std::sync::{Arc, Mutex};

use payments_core::sandbox::{Faults, SandboxServer};
use payments_core::{BaseUrl, Currency, Decimal, Money};

use self::http::Simulator;
use self::ledger::{Shared, State};
use crate::config::AllpayConfig;
use crate::dsig::{SigningKey, VerifyingKey};
use crate::model::UserInfo;

/// The sandbox merchant's private key (PKCS#8 PEM). Generated at run time
/// from a fixed seed — the same key every run, shipped in no file: a test
/// key, for the sandbox only.
pub fn merchant_private_key() -> &'static str {
    &crate::sandbox_keys::keys().merchant.private_pem
}

/// The sandbox merchant's public key (PEM), which the sandbox verifies requests with.
pub fn merchant_public_key() -> &'static str {
    &crate::sandbox_keys::keys().merchant.public_pem
}

/// The sandbox's own ("Allpay's") private key (PKCS#8 PEM), generated like
/// [`merchant_private_key`]. Sandbox only.
pub fn allpay_private_key() -> &'static str {
    &crate::sandbox_keys::keys().allpay.private_pem
}

/// The sandbox's ("Allpay's") public key (PEM), which verifies its answers.
pub fn allpay_public_key() -> &'static str {
    &crate::sandbox_keys::keys().allpay.public_pem
}
/// The agent login the sandbox accepts as `requester`.
pub const REQUESTER: &str = "sandbox-agent";
/// The certificate number the sandbox expects.
pub const CERTIFICATE_NUMBER: &str = "1001";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// The agent's starting balance (default 1 000 000 KZT).
    pub agent_balance: Money,
    /// How many repeats a terminal payment stays `PENDING` before it is final (default 1).
    pub pending_polls: u32,
    /// The loopback port to serve on (default 0: a free one).
    pub port: u16,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            agent_balance: Money::from_minor_units(100_000_000, Currency::KZT)
                .unwrap_or_else(|_| Money::zero(Currency::KZT)),
            pending_polls: 1,
        }
    }
}

/// Money the sandbox moved to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashedIn {
    /// The GUID.
    pub guid: String,
    /// The customer.
    pub to_user: String,
    /// The amount.
    pub amount: Money,
}

/// Money the sandbox moved from a customer to the agent (a completed cash-out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashedOut {
    /// The GUID.
    pub guid: String,
    /// The customer.
    pub from_user: String,
    /// The amount.
    pub amount: Money,
}

/// The running simulator. Stops when dropped.
pub struct AllpaySandbox {
    server: SandboxServer,
    shared: Arc<Shared>,
}

fn key_error(e: &crate::dsig::SignatureError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl AllpaySandbox {
    /// Starts a sandbox with default options and one identified customer,
    /// `77011234567`.
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
        let mut state = State {
            available: options.agent_balance.amount(),
            next_id: 5000,
            ..State::default()
        };
        state.users.insert(
            "77011234567".to_owned(),
            UserInfo {
                identified: true,
                iin: Some("900101300123".to_owned()),
                first_name: Some("Айгерим".to_owned()),
                last_name: Some("Серикова".to_owned()),
                patronymic: None,
            },
        );
        state
            .wallets
            .insert("77011234567".to_owned(), Decimal::from(500_000));
        let shared = Arc::new(Shared {
            merchant: VerifyingKey::from_pem(merchant_public_key()).map_err(|e| key_error(&e))?,
            allpay: SigningKey::from_pem(allpay_private_key()).map_err(|e| key_error(&e))?,
            options,
            state: Mutex::new(state),
        });
        let server =
            SandboxServer::start_on(port, Arc::new(Simulator(Arc::clone(&shared)))).await?;
        Ok(AllpaySandbox { server, shared })
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> BaseUrl {
        self.server.base_url()
    }

    /// A client configuration for this sandbox, with its keys.
    ///
    /// # Panics
    ///
    /// Never: the sandbox's generated keys are valid PEM.
    #[allow(clippy::expect_used)]
    pub fn config(&self) -> AllpayConfig {
        AllpayConfig::new(
            self.base_url(),
            REQUESTER,
            CERTIFICATE_NUMBER,
            SigningKey::from_pem(merchant_private_key()).expect("generated sandbox key"),
            VerifyingKey::from_pem(allpay_public_key()).expect("generated sandbox key"),
        )
    }

    /// Every secret a merchant's side holds with this sandbox: the body of
    /// the merchant's private key (each of its base64 lines) — for tests
    /// that search logs, errors and stored data for them.
    pub fn secrets(&self) -> Vec<String> {
        merchant_private_key()
            .lines()
            .filter(|line| !line.starts_with("-----") && line.len() > 16)
            .map(str::to_owned)
            .collect()
    }

    /// HTTP requests received so far (the round trips clients made).
    pub fn requests_served(&self) -> usize {
        self.server.requests()
    }

    /// The faults to inject into the next requests.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Adds (or replaces) a customer.
    pub fn add_user(&self, login: &str, info: UserInfo) {
        self.shared.lock().users.insert(login.to_owned(), info);
    }

    /// The agent's available balance.
    pub fn agent_balance(&self) -> Money {
        Money::new(self.shared.lock().available, Currency::KZT)
            .unwrap_or_else(|_| Money::zero(Currency::KZT))
    }

    /// Money blocked by pending two-phase transactions.
    pub fn blocked(&self) -> Money {
        Money::new(self.shared.lock().blocked, Currency::KZT)
            .unwrap_or_else(|_| Money::zero(Currency::KZT))
    }

    /// Every cash-in that reached a customer, in order.
    pub fn cashed_in(&self) -> Vec<CashedIn> {
        self.shared.lock().cashed_in.clone()
    }

    /// Every completed cash-out, in order.
    pub fn cashed_out(&self) -> Vec<CashedOut> {
        self.shared.lock().cashed_out.clone()
    }

    /// Plays the customer `user` opening a cash-out in their app: the
    /// six-digit code their device shows, which a cash-out must carry.
    pub fn cash_out_token(&self, user: &str) -> String {
        let mut state = self.shared.lock();
        let token = format!("{:06}", (state.next_id * 7919 + 104_729) % 1_000_000);
        state.next_id += 1;
        state.tokens.insert(user.to_owned(), token.clone());
        token
    }

    /// A customer's wallet balance (`77011234567` starts with 500 000 KZT).
    pub fn wallet_balance(&self, user: &str) -> Option<Money> {
        let state = self.shared.lock();
        let balance = state.wallets.get(user)?;
        Money::new(*balance, Currency::KZT).ok()
    }

    /// Requests received (signature failures included).
    pub fn requests(&self) -> usize {
        self.shared.lock().requests
    }
}

impl std::fmt::Debug for AllpaySandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AllpaySandbox")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}
