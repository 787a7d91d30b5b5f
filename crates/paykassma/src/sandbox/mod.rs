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

mod http;
mod ledger;
mod postbacks;

/// The loopback server [`start_with_inbox`] and [`serve_inbox`] return
/// (keep it as long as the sandbox).
pub use payments_core::sandbox::SandboxServer;
use std::sync::Arc;
use std::time::Duration;

use payments_core::sandbox::{Faults, SandboxHandler, SandboxRequest, SandboxResponse};
use payments_core::{BaseUrl, ExposeSecret, Money, SecretString, async_trait};
use url::Url;

use crate::config::PaykassmaConfig;
use crate::model::TransactionNumber;
use crate::postback::PostbackKeys;
use http::Simulator;
pub use ledger::CreditedDeposit;
use ledger::Shared;
pub use postbacks::PostbackDelivery;

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
        let simulator = Arc::new(Shared::new(options)?);
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
        self.simulator.pay(identifier, amount, slow, quirks)
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
