//! A merchant's Paykassma postback endpoint, kept in this process's memory.
//!
//! ```text
//! cargo run --example paykassma_postbacks                 # serve until Ctrl-C
//! cargo run --example paykassma_postbacks -- --self-test  # drive a sandbox deposit into it, then stop
//! ```
//!
//! Listens on `PAYKASSMA_POSTBACK_ADDR` (default `127.0.0.1:8080`) and
//! verifies postbacks with `PAYKASSMA_POSTBACK_ACCESS_KEY` and
//! `PAYKASSMA_POSTBACK_PRIVATE_KEY` (the sandbox's keys when both are unset).
//! A valid postback is answered HTTP 200 `{"status":"ok"}` — a repeat too,
//! reported as a duplicate, since Paykassma retries until it sees that
//! answer. It credits only a verified `success` for an order the shop knows,
//! naming exactly the order's amount and currency, and only the first time
//! (per `custom_transaction_id`); another amount, an unknown order, other
//! statuses and postbacks without an id are acknowledged and credit nothing.
//! A bad signature or a malformed body (nested past 128 levels, a member
//! named twice, an inexact number) gets a 4xx JSON error, a body over
//! 64 KiB a 413. One printed line per event.
//!
//! **It forgets on restart.** The orders and what was credited live in this
//! process's memory: after a restart, a postback Paykassma redelivers (or
//! anyone replays: a verified postback stays valid) would be news again.
//! A shop keeps both in its database — the `paykassma_axum` example keeps
//! postbacks in the journal's.
#![allow(clippy::print_stdout)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clap::Parser;
use examples::env;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paykassma::postback::{ACK_BODY, PostbackVerifier};
use paykassma::sandbox::PaykassmaSandbox;
use payments_core::Money;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "A Paykassma postback endpoint")]
struct Args {
    /// Start a sandbox deposit whose postback comes here, send a duplicate
    /// and a tampered copy, print what happened, and stop.
    #[arg(long)]
    self_test: bool,
}

/// The largest postback body read (64 KiB).
const MAX_BODY: usize = paykassma::postback::MAX_POSTBACK_BYTES;

/// What the endpoint has seen.
struct Endpoint {
    verifier: PostbackVerifier,
    /// What the shop expects per `custom_transaction_id`: in production,
    /// its orders table.
    orders: Mutex<HashMap<String, Money>>,
    /// What was credited: in production, a unique index in the database.
    credited: Mutex<HashSet<String>>,
    events: Mutex<Vec<&'static str>>,
}

impl Endpoint {
    fn handle(&self, body: &[u8]) -> (u16, String) {
        match self.verifier.verify(body) {
            Ok(postback) => {
                for tx in &postback.transactions {
                    let amount = tx.amount.map_or_else(|| "-".to_owned(), |a| a.to_string());
                    let Some(id) = tx.custom_transaction_id.clone() else {
                        println!(
                            "postback     : {} {amount} without custom_transaction_id: kept for manual matching, not credited",
                            tx.status
                        );
                        self.record("unmatched");
                        continue;
                    };
                    // Only a success credits anyone; pending, failed and
                    // statuses this SDK does not know credit nothing.
                    if !tx.status.is_success() {
                        println!(
                            "postback     : {} {amount} for {id}: not credited",
                            tx.status
                        );
                        self.record("not credited");
                        continue;
                    }
                    // Only for an order the shop knows, and exactly its
                    // amount and currency: a success naming another amount
                    // (or none) is for a person, not a credit.
                    let expected = self
                        .orders
                        .lock()
                        .ok()
                        .and_then(|orders| orders.get(&id).copied());
                    let Some(expected) = expected else {
                        println!(
                            "postback     : success {amount} for {id}: no such order, not credited"
                        );
                        self.record("unknown order");
                        continue;
                    };
                    if tx.amount != Some(expected) {
                        println!(
                            "postback     : success {amount} for {id}, whose order is {expected}: NOT credited, for a person"
                        );
                        self.record("amount differs");
                        continue;
                    }
                    if self
                        .credited
                        .lock()
                        .map(|mut c| c.insert(id.clone()))
                        .unwrap_or(false)
                    {
                        println!("postback     : success {amount} for {id}: credit it, once");
                        self.record("credited");
                    } else {
                        println!(
                            "postback     : duplicate of {id}: already credited, acknowledged again"
                        );
                        self.record("duplicate");
                    }
                }
                (200, ACK_BODY.to_owned())
            }
            Err(error) => {
                println!("postback     : refused ({error})");
                self.record("refused");
                (
                    error.http_status(),
                    serde_json::json!({"status": "error", "message": error.to_string()})
                        .to_string(),
                )
            }
        }
    }

    fn record(&self, event: &'static str) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let keys = examples::paykassma_postback_keys()?;
    let default_addr = if args.self_test {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:8080"
    };
    let addr: SocketAddr = env("PAYKASSMA_POSTBACK_ADDR")
        .as_deref()
        .unwrap_or(default_addr)
        .parse()?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    println!("listening    : http://{addr}/");
    println!("memory       : orders and credits are kept in memory only; a restart forgets them");
    let endpoint = Arc::new(Endpoint {
        verifier: PostbackVerifier::new(keys),
        orders: Mutex::default(),
        credited: Mutex::default(),
        events: Mutex::default(),
    });
    let server = tokio::spawn(serve(listener, Arc::clone(&endpoint)));
    if args.self_test {
        let result = self_test(addr, &endpoint).await;
        server.abort();
        return result;
    }
    tokio::signal::ctrl_c().await?;
    server.abort();
    Ok(())
}

async fn serve(listener: TcpListener, endpoint: Arc<Endpoint>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let endpoint = Arc::clone(&endpoint);
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let endpoint = Arc::clone(&endpoint);
                async move {
                    let (status, body) = if request.method() != hyper::Method::POST {
                        (
                            405,
                            r#"{"status":"error","message":"POST only"}"#.to_owned(),
                        )
                    } else {
                        // A postback is a few hundred bytes: anything larger
                        // is refused before it is read into memory.
                        match Limited::new(request.into_body(), MAX_BODY).collect().await {
                            Ok(body) => endpoint.handle(&body.to_bytes()),
                            Err(error) if error.is::<LengthLimitError>() => {
                                endpoint.record("too large");
                                (
                                    413,
                                    r#"{"status":"error","message":"body too large"}"#.to_owned(),
                                )
                            }
                            Err(_) => (
                                400,
                                r#"{"status":"error","message":"unreadable body"}"#.to_owned(),
                            ),
                        }
                    };
                    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
                    *response.status_mut() = hyper::StatusCode::from_u16(status)
                        .unwrap_or(hyper::StatusCode::BAD_REQUEST);
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn self_test(
    addr: SocketAddr,
    endpoint: &Endpoint,
) -> Result<(), Box<dyn std::error::Error>> {
    let url = url_of(addr)?;
    let (_sandbox, reference) =
        examples::paykassma_postback_delivered(url.clone(), |reference, amount| {
            if let Ok(mut orders) = endpoint.orders.lock() {
                orders.insert(reference.as_str().to_owned(), amount);
            }
        })
        .await?;
    // A repeat of the same postback, a tampered one, one signed with another
    // amount, one for an order the shop does not know.
    let signer = paykassma::postback::PostbackSigner::new(PaykassmaSandbox::postback_keys());
    let success = |id: &str, amount: u32| {
        signer.sign_flat(&serde_json::json!({
            "status": "success", "amount": amount, "currency_code": "MMK", "custom_transaction_id": id, "label": "self-test"
        }))
    };
    let body = success(reference.as_str(), 500)?;
    let http = reqwest::Client::new();
    let pending = paykassma::postback::PostbackSigner::new(PaykassmaSandbox::postback_keys())
        .sign_flat(&serde_json::json!({
            "status": "pending", "amount": 700, "currency_code": "MMK", "custom_transaction_id": "other-deposit", "label": "self-test"
        }))?;
    let pending = http.post(url.clone()).body(pending).send().await?.status();
    let oversized = http
        .post(url.clone())
        .body(vec![b' '; MAX_BODY + 1])
        .send()
        .await?
        .status();
    let duplicate = http
        .post(url.clone())
        .body(body.clone())
        .send()
        .await?
        .status();
    let tampered = http
        .post(url.clone())
        .body(body.replace("500", "5000"))
        .send()
        .await?
        .status();
    let other_amount = http
        .post(url.clone())
        .body(success(reference.as_str(), 50)?)
        .send()
        .await?
        .status();
    let unknown = http
        .post(url)
        .body(success("no-such-order", 500)?)
        .send()
        .await?
        .status();
    let events = endpoint
        .events
        .lock()
        .map(|e| e.clone())
        .unwrap_or_default();
    println!(
        "self-test    : events {events:?}; pending answered {pending}, oversized answered {oversized}, duplicate answered {duplicate}, tampered answered {tampered}, another amount answered {other_amount}, an unknown order answered {unknown}"
    );
    if events
        == [
            "credited",
            "not credited",
            "too large",
            "duplicate",
            "refused",
            "amount differs",
            "unknown order",
        ]
        && pending == 200
        && oversized == 413
        && duplicate == 200
        && tampered == 401
        && other_amount == 200
        && unknown == 200
    {
        Ok(())
    } else {
        Err("the endpoint did not behave as expected".into())
    }
}

fn url_of(addr: SocketAddr) -> Result<url::Url, url::ParseError> {
    url::Url::parse(&format!("http://{addr}/postbacks/paykassma"))
}
