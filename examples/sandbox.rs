//! A provider's sandbox as a server of its own, for tests in other
//! processes (or languages) and for crash tests.
//!
//! ```text
//! cargo run --example sandbox -- --provider jawali --port 8080 --state sandbox.json
//! ```
//!
//! Serves the same simulator as the embedded sandboxes on
//! `127.0.0.1:PORT`, prints the environment that points the provider's
//! example at it, and an admin address for what the test plays itself:
//!
//! - `GET /ledger`: what the sandbox booked (`{"provider", "bookings",
//!   "requests", "faults_injected"}`);
//! - `POST /fault` `{"operation": "cash_out", "delay_ms": 2000}` (or
//!   `"fault": "drop_after_commit" | "drop_before_commit"`): a fault for the
//!   next request of that operation;
//! - `POST /voucher` `{"amount": "1500", "currency": "YER", "mobile":
//!   "771234567"}` (Jawali): a voucher the customer created;
//! - `POST /qr` `{"amount": "12.50"}` (Sipay): a QR code the point of sale
//!   shows, for the wallet `1011179271`;
//! - `POST /pay` `{"wallet": "…", "amount": "500", "currency": "MMK"}`
//!   (Paykassma): the customer pays into a deposit's wallet; answers `key1`.
//!
//! With `--state FILE`, the ledger is written to FILE as it changes, for
//! another process to read. A restarted sandbox starts empty.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use allpay_soap::sandbox::AllpaySandbox;
use clap::{Parser, ValueEnum};
use jawali::sandbox::JawaliSandbox;
use paykassma::sandbox::PaykassmaSandbox;
use payments_core::sandbox::{
    Fault, Faults, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::{BaseUrl, Currency, Money, async_trait};
use serde_json::{Value, json};
use tr_qr_wallet::sandbox::QrWalletSandbox;

#[derive(Clone, Copy, ValueEnum)]
enum Provider {
    Jawali,
    Paykassma,
    TrQrWallet,
    Allpay,
}

#[derive(Parser)]
#[command(about = "A provider's sandbox as a server of its own")]
struct Args {
    /// Which provider to simulate.
    #[arg(long, value_enum)]
    provider: Provider,
    /// The loopback port to serve on (0: a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Write the ledger to this file as it changes.
    #[arg(long, value_name = "FILE")]
    state: Option<std::path::PathBuf>,
    /// Paykassma: where postbacks go.
    #[arg(long, value_name = "URL")]
    postback_url: Option<url::Url>,
}

/// The Sipay wallet the sandbox funds.
const SIPAY_WALLET: &str = "1011179271";

enum Running {
    Jawali(JawaliSandbox),
    Paykassma(PaykassmaSandbox),
    TrQrWallet(QrWalletSandbox),
    Allpay(AllpaySandbox),
}

impl Running {
    async fn start(args: &Args) -> Result<Running, Box<dyn std::error::Error>> {
        Ok(match args.provider {
            Provider::Jawali => Running::Jawali(
                JawaliSandbox::start_with(jawali::sandbox::SandboxOptions {
                    port: args.port,
                    ..jawali::sandbox::SandboxOptions::default()
                })
                .await?,
            ),
            Provider::Paykassma => Running::Paykassma(
                PaykassmaSandbox::start_with(paykassma::sandbox::SandboxOptions {
                    port: args.port,
                    postback_url: args.postback_url.clone(),
                    ..paykassma::sandbox::SandboxOptions::default()
                })
                .await?,
            ),
            Provider::TrQrWallet => {
                let sandbox = QrWalletSandbox::start_with(tr_qr_wallet::sandbox::SandboxOptions {
                    port: args.port,
                    ..tr_qr_wallet::sandbox::SandboxOptions::default()
                })
                .await?;
                let lira = |text| Money::parse(text, Currency::TRY);
                sandbox.add_wallet(
                    &tr_qr_wallet::WalletNumber::new(SIPAY_WALLET)?,
                    lira("100000")?,
                    lira("100000")?,
                );
                Running::TrQrWallet(sandbox)
            }
            Provider::Allpay => Running::Allpay(
                AllpaySandbox::start_with(allpay_soap::sandbox::SandboxOptions {
                    port: args.port,
                    ..allpay_soap::sandbox::SandboxOptions::default()
                })
                .await?,
            ),
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Running::Jawali(_) => "jawali",
            Running::Paykassma(_) => "paykassma",
            Running::TrQrWallet(_) => "tr-qr-wallet",
            Running::Allpay(_) => "allpay",
        }
    }

    fn base_url(&self) -> BaseUrl {
        match self {
            Running::Jawali(s) => s.base_url(),
            Running::Paykassma(s) => s.base_url(),
            Running::TrQrWallet(s) => s.base_url(),
            Running::Allpay(s) => s.base_url(),
        }
    }

    fn faults(&self) -> &Faults {
        match self {
            Running::Jawali(s) => s.faults(),
            Running::Paykassma(s) => s.faults(),
            Running::TrQrWallet(s) => s.faults(),
            Running::Allpay(s) => s.faults(),
        }
    }

    fn requests(&self) -> usize {
        match self {
            Running::Jawali(s) => s.requests_served(),
            Running::Paykassma(s) => s.requests_served(),
            Running::TrQrWallet(s) => s.requests_served(),
            Running::Allpay(s) => s.requests_served(),
        }
    }

    /// The environment that points the provider's example at this server.
    fn environment(&self, scratch: &std::path::Path) -> std::io::Result<Vec<(String, String)>> {
        let url = self.base_url().to_string();
        let pairs = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        Ok(match self {
            Running::Jawali(_) => {
                let c = jawali::sandbox::CREDENTIALS;
                pairs(&[
                    ("JAWALI_BASE_URL", &url),
                    ("JAWALI_USERNAME", c.username),
                    ("JAWALI_PASSWORD", c.password),
                    ("JAWALI_ORG_ID", c.org_id),
                    ("JAWALI_WALLET", c.agent_wallet),
                    ("JAWALI_WALLET_PASSWORD", c.wallet_password),
                ])
            }
            Running::Paykassma(_) => pairs(&[
                ("PAYKASSMA_API_URL", &url),
                ("PAYKASSMA_SECRET", paykassma::sandbox::SECRET),
            ]),
            Running::TrQrWallet(_) => {
                let token = format!("{url}connect/token");
                pairs(&[
                    ("TR_QR_API_URL", &url),
                    ("TR_QR_TOKEN_URL", &token),
                    ("TR_QR_CLIENT_ID", tr_qr_wallet::sandbox::CLIENT_ID),
                    ("TR_QR_CLIENT_SECRET", tr_qr_wallet::sandbox::CLIENT_SECRET),
                    ("TR_QR_X_CLIENT_ID", tr_qr_wallet::sandbox::X_CLIENT_ID),
                    ("TR_QR_PROVIDER_ID", tr_qr_wallet::sandbox::PROVIDER_ID),
                ])
            }
            Running::Allpay(_) => {
                let private = scratch.join("allpay-merchant-key.pem");
                let public = scratch.join("allpay-server-key.pem");
                std::fs::write(&private, allpay_soap::sandbox::merchant_private_key())?;
                std::fs::write(&public, allpay_soap::sandbox::allpay_public_key())?;
                pairs(&[
                    ("ALLPAY_BASE_URL", &url),
                    ("ALLPAY_REQUESTER", allpay_soap::sandbox::REQUESTER),
                    (
                        "ALLPAY_CERT_NUMBER",
                        allpay_soap::sandbox::CERTIFICATE_NUMBER,
                    ),
                    ("ALLPAY_PRIVATE_KEY", &private.display().to_string()),
                    ("ALLPAY_SERVER_PUBLIC_KEY", &public.display().to_string()),
                ])
            }
        })
    }

    /// What the sandbox booked.
    fn ledger(&self) -> Value {
        let bookings: Vec<Value> = match self {
            Running::Jawali(s) => s
                .cash_outs()
                .iter()
                .map(|c| json!({"reference": c.reference, "voucher": c.voucher, "amount": c.amount}))
                .collect(),
            Running::Paykassma(s) => s
                .credited()
                .iter()
                .map(|c| json!({"reference": c.custom_transaction_id, "label": c.label, "amount": c.amount}))
                .collect(),
            Running::TrQrWallet(s) => s
                .debits()
                .iter()
                .map(|d| json!({"reference": d.correlation_id, "wallet": d.wallet, "amount": d.amount}))
                .collect(),
            Running::Allpay(s) => s
                .cashed_in()
                .iter()
                .map(|c| json!({"reference": c.guid, "to_user": c.to_user, "amount": c.amount}))
                .collect(),
        };
        json!({
            "provider": self.name(),
            "bookings": bookings,
            "requests": self.requests(),
            "faults_injected": self.faults().injected().len(),
        })
    }

    /// The customer's side, as the test plays it.
    fn setup(&self, path: &str, body: &Value) -> Result<Value, String> {
        let text = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`{name}` is required"))
        };
        let money = |currency: Currency| -> Result<Money, String> {
            Money::parse(text("amount")?, currency).map_err(|e| e.to_string())
        };
        let currency = |default: Currency| -> Result<Currency, String> {
            body.get("currency")
                .and_then(Value::as_str)
                .map_or(Ok(default), |c| c.parse().map_err(|e| format!("{e}")))
        };
        match (self, path) {
            (Running::Jawali(s), "/voucher") => {
                let mobile =
                    jawali::MobileNumber::new(text("mobile")?).map_err(|e| e.to_string())?;
                let voucher = s.create_voucher(money(currency(Currency::YER)?)?, &mobile);
                Ok(json!({"voucher": voucher.as_str()}))
            }
            (Running::TrQrWallet(s), "/qr") => {
                let qr = s.pos_creates_qr(money(Currency::TRY)?);
                Ok(json!({"qr_code": qr.as_str(), "wallet": SIPAY_WALLET}))
            }
            (Running::Paykassma(s), "/pay") => {
                let key1 = s.customer_pays(text("wallet")?, money(currency(Currency::MMK)?)?);
                Ok(json!({"key1": key1.as_str()}))
            }
            _ => Err(format!("no {path} for {}", self.name())),
        }
    }
}

/// The admin address's handler.
struct Admin(Arc<Running>);

#[async_trait]
impl SandboxHandler for Admin {
    fn operation(&self, request: &SandboxRequest) -> String {
        format!("admin {}", request.path)
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        let body: Value = request.json().unwrap_or(Value::Null);
        let answer = match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/ledger") => Ok(self.0.ledger()),
            ("POST", "/fault") => inject(self.0.faults(), &body),
            ("POST", path) => self.0.setup(path, &body),
            (_, path) => Err(format!("no {path}")),
        };
        match answer {
            Ok(value) => SandboxResponse::json(200, &value),
            Err(message) => SandboxResponse::json(400, &json!({"error": message})),
        }
    }
}

fn inject(faults: &Faults, body: &Value) -> Result<Value, String> {
    let operation = body
        .get("operation")
        .and_then(Value::as_str)
        .ok_or("`operation` is required")?;
    let fault = match (
        body.get("delay_ms").and_then(Value::as_u64),
        body.get("fault").and_then(Value::as_str),
    ) {
        (Some(ms), None) => Fault::Delay(Duration::from_millis(ms)),
        (None, Some("drop_after_commit")) => Fault::DropAfterCommit,
        (None, Some("drop_before_commit")) => Fault::DropBeforeCommit,
        _ => {
            return Err(
                "give `delay_ms`, or `fault`: drop_after_commit | drop_before_commit".into(),
            );
        }
    };
    faults.inject(operation, fault);
    Ok(json!({"injected": operation}))
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let running = Arc::new(Running::start(&args).await?);
    let admin = SandboxServer::start(Arc::new(Admin(Arc::clone(&running)))).await?;
    let scratch = std::env::temp_dir().join(format!("sandbox-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    println!("sandbox {}: {}", running.name(), running.base_url());
    println!("admin: {}", admin.base_url());
    for (name, value) in running.environment(&scratch)? {
        println!("export {name}={value}");
    }
    println!("ready");
    let mut written = Value::Null;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        if let Some(path) = &args.state {
            let ledger = running.ledger();
            if ledger != written {
                write_atomically(path, &ledger)?;
                written = ledger;
            }
        }
    }
    let _ = std::fs::remove_dir_all(scratch);
    Ok(())
}

/// Writes `value` to `path` whole or not at all (a temporary file renamed).
fn write_atomically(path: &std::path::Path, value: &Value) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, serde_json::to_vec_pretty(value)?)?;
    std::fs::rename(partial, path)
}
