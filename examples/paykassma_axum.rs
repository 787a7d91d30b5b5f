//! A merchant's Paykassma postback receiver in axum, storing every verified
//! postback in the journal's database so that any replica's
//! reconciliation sees it, and it outlives a restart.
//!
//! ```text
//! cargo run --example paykassma_axum                 # serve until Ctrl-C
//! cargo run --example paykassma_axum -- --self-test  # drive a sandbox deposit into it, then stop
//! ```
//!
//! Listens on `PAYKASSMA_POSTBACK_ADDR` (default `127.0.0.1:8080`), verifies
//! with `PAYKASSMA_POSTBACK_ACCESS_KEY` and `PAYKASSMA_POSTBACK_PRIVATE_KEY`
//! (the sandbox's keys when both are unset), and stores in the SQLite
//! journal `PAYKASSMA_JOURNAL` (default `postbacks.db`; its key from
//! `PAYMENTS_JOURNAL_KEY`, or the key file beside it). A verified postback
//! is acknowledged (HTTP 200 `{"status":"ok"}`, a repeat too) only once it
//! is stored; a bad signature or a malformed body (nested past 128 levels,
//! a member named twice, an inexact number) gets a 4xx, a body over 64 KiB
//! a 413, a store that fails a 500 — and Paykassma delivers again.
//!
//! It credits nothing itself: the payment is settled by the gateway's
//! reconciliation reading the stored postbacks ([`paykassma::PaykassmaGateway`]),
//! which completes a deposit only for a final `success` naming the order's
//! amount and currency, once, and raises a mismatch for anything else.
//! Stored in the journal, postbacks survive a restart: one Paykassma
//! redelivers later is a duplicate, not news.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::post;
use clap::Parser;
use examples::env;
use paykassma::postback::{PostbackStatus, PostbackVerifier};
use paykassma::sandbox::PaykassmaSandbox;
use paykassma::{InboxReply, PostbackInbox};
use payments_journal::PaykassmaPostbacks;

#[derive(Parser)]
#[command(about = "A Paykassma postback receiver in axum, backed by the journal")]
struct Args {
    /// Start a sandbox deposit whose postback comes here, check it was
    /// stored (read back through a second connection to the journal), and stop.
    #[arg(long)]
    self_test: bool,
}

/// The largest postback body read (64 KiB).
const MAX_BODY: usize = paykassma::postback::MAX_POSTBACK_BYTES;

/// The handler around the inbox (`paykassma::axum_postbacks::router` is the
/// same without the log): what each delivery applied, then the inbox's
/// reply as the response.
async fn receive(State(inbox): State<Arc<PostbackInbox>>, body: Bytes) -> InboxReply {
    let reply = inbox.receive(&body).await;
    println!(
        "postback     : HTTP {}{}{}",
        reply.status,
        if reply.new { ", new" } else { "" },
        reply
            .alarm
            .as_deref()
            .map(|a| format!(", ALARM {a}"))
            .unwrap_or_default()
    );
    for applied in &reply.applied {
        // A new success is where a shop credits the deposit.
        println!(
            "applied      : {} {} {}{}",
            applied
                .custom_transaction_id
                .as_deref()
                .unwrap_or("(unmatched)"),
            applied.status,
            applied
                .amount
                .map_or_else(|| "-".to_owned(), |a| a.to_string()),
            if applied.new { " (new)" } else { " (repeat)" }
        );
    }
    reply
}

/// The receiver: `POST /postbacks`.
fn router(inbox: Arc<PostbackInbox>) -> Router {
    Router::new()
        .route("/postbacks", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(inbox)
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let keys = examples::paykassma_postback_keys()?;
    let scratch = tempfile_dir(args.self_test)?;
    let path = match (env("PAYKASSMA_JOURNAL"), &scratch) {
        (Some(path), _) => std::path::PathBuf::from(path),
        (None, Some(dir)) => dir.join("postbacks.db"),
        (None, None) => std::path::PathBuf::from("postbacks.db"),
    };
    let journal = examples::open_journal(&path).await?;
    println!("journal      : {}", path.display());
    let inbox = Arc::new(PostbackInbox::with_store(
        PostbackVerifier::new(keys),
        Arc::new(PaykassmaPostbacks::new(journal)),
    ));
    let default_addr = if args.self_test {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:8080"
    };
    let addr: SocketAddr = env("PAYKASSMA_POSTBACK_ADDR")
        .as_deref()
        .unwrap_or(default_addr)
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    println!("listening    : http://{addr}/postbacks");
    let server = tokio::spawn(async move { axum::serve(listener, router(inbox)).await });
    if args.self_test {
        let result = self_test(addr, &path).await;
        server.abort();
        if let Some(dir) = scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
        return result;
    }
    tokio::signal::ctrl_c().await?;
    server.abort();
    Ok(())
}

/// A scratch folder for the self-test's journal.
fn tempfile_dir(wanted: bool) -> std::io::Result<Option<std::path::PathBuf>> {
    if !wanted {
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("paykassma-axum-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(Some(dir))
}

async fn self_test(
    addr: SocketAddr,
    journal: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let url = url::Url::parse(&format!("http://{addr}/postbacks"))?;
    let (_sandbox, reference) = examples::paykassma_postback_delivered(url, |_, _| {}).await?;
    // Read back as another replica would: a second connection to the journal.
    let elsewhere = PostbackInbox::with_store(
        PostbackVerifier::new(PaykassmaSandbox::postback_keys()),
        Arc::new(PaykassmaPostbacks::new(
            examples::open_journal(journal).await?,
        )),
    );
    let stored = elsewhere
        .get(reference.as_str())
        .await
        .map_err(|e| format!("the postback store could not be read: {e}"))?;
    println!(
        "self-test    : deposit {reference}: {}",
        stored.as_ref().map_or_else(
            || "not stored".to_owned(),
            |tx| format!("{:?}, stored", tx.status)
        )
    );
    match stored {
        Some(tx) if tx.status == PostbackStatus::Success => Ok(()),
        _ => Err("the postback was not stored as a success".into()),
    }
}
