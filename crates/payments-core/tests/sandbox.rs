//! The sandbox server and its faults, seen from the shared HTTP client.
#![cfg(feature = "sandbox")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use payments_core::async_trait;
use payments_core::http::{HttpClient, HttpConfig, Request, RetryPolicy, Timeouts};
use payments_core::sandbox::{
    Fault, Faults, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::secret::Scrubber;
use payments_core::{Error, Operation};

const PAY: Operation = Operation::money_moving("sim", "pay");

/// A provider that books one payment per request.
#[derive(Default)]
struct Ledger {
    booked: AtomicUsize,
}

#[async_trait]
impl SandboxHandler for Ledger {
    fn operation(&self, request: &SandboxRequest) -> String {
        request.path.trim_start_matches('/').to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        assert_eq!(request.query_param("k").as_deref(), Some("v w"));
        let n = self.booked.fetch_add(1, Ordering::SeqCst) + 1;
        SandboxResponse::json(
            200,
            &serde_json::json!({ "booked": n, "echo": request.json::<serde_json::Value>().ok() }),
        )
    }
}

async fn start() -> (Arc<Ledger>, SandboxServer, HttpClient) {
    let ledger = Arc::new(Ledger::default());
    let server = SandboxServer::start(ledger.clone()).await.unwrap();
    let config = HttpConfig::new(
        Timeouts::new(Duration::from_secs(2), Duration::from_millis(300)),
        1 << 20,
        RetryPolicy::none(),
    );
    let client = HttpClient::new("sim/1", config, Scrubber::new()).unwrap();
    (ledger, server, client)
}

fn pay_request(server: &SandboxServer) -> Request {
    let mut url = server.base_url().join("pay").unwrap();
    url.query_pairs_mut().append_pair("k", "v w");
    Request::post(url)
        .json(&serde_json::json!({"amount": 1}))
        .unwrap()
}

#[tokio::test]
async fn serves_the_handler_on_loopback() {
    let (ledger, server, client) = start().await;
    assert!(server.base_url().is_loopback());
    let response = client
        .execute(PAY, Some("r"), &pay_request(&server))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], br#"{"booked":1,"echo":{"amount":1}}"#);
    assert_eq!(ledger.booked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn drop_after_commit_books_the_payment_and_the_client_reports_an_unknown_outcome() {
    let (ledger, server, client) = start().await;
    server.faults().inject("pay", Fault::DropAfterCommit);
    let error = client
        .execute(PAY, Some("ref-7"), &pay_request(&server))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == "ref-7"),
        "{error:?}"
    );
    assert_eq!(
        ledger.booked.load(Ordering::SeqCst),
        1,
        "the provider committed"
    );
    // The fault was used up: the next request is answered normally.
    assert_eq!(
        client
            .execute(PAY, None, &pay_request(&server))
            .await
            .unwrap()
            .status,
        200
    );
}

#[tokio::test]
async fn drop_before_commit_books_nothing_but_the_client_cannot_tell() {
    let (ledger, server, client) = start().await;
    server.faults().inject("pay", Fault::DropBeforeCommit);
    let error = client
        .execute(PAY, Some("r"), &pay_request(&server))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_eq!(ledger.booked.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_delay_past_the_timeout_still_books_the_payment() {
    let (ledger, server, client) = start().await;
    server
        .faults()
        .inject("pay", Fault::Delay(Duration::from_millis(600)));
    let error = client
        .execute(PAY, Some("r"), &pay_request(&server))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_eq!(ledger.booked.load(Ordering::SeqCst), 0, "not yet");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        ledger.booked.load(Ordering::SeqCst),
        1,
        "processed after the client gave up"
    );
}

#[tokio::test]
async fn a_status_fault_answers_an_html_page_without_booking() {
    let (ledger, server, client) = start().await;
    server.faults().inject("pay", Fault::Status(502));
    let response = client
        .execute(PAY, Some("r"), &pay_request(&server))
        .await
        .unwrap();
    assert_eq!(response.status, 502);
    assert!(response.body.starts_with(b"<html>"));
    assert_eq!(ledger.booked.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_malformed_body_fault_books_and_answers_half_a_body() {
    let (ledger, server, client) = start().await;
    server.faults().inject("pay", Fault::MalformedBody);
    let response = client
        .execute(PAY, Some("r"), &pay_request(&server))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&response.body).is_err());
    assert_eq!(ledger.booked.load(Ordering::SeqCst), 1);
    assert_eq!(server.faults().injected().len(), 1);
}

#[test]
fn faults_only_hit_their_operation_and_say_whether_they_commit() {
    let faults = Faults::default();
    faults.inject_times(Some("pay".into()), Fault::Status(503), 2);
    assert_eq!(faults.next_for("status"), None);
    assert_eq!(faults.next_for("pay"), Some(Fault::Status(503)));
    assert_eq!(faults.next_for("pay"), Some(Fault::Status(503)));
    assert_eq!(faults.next_for("pay"), None);
    assert!(Fault::DropAfterCommit.commits());
    assert!(!Fault::DropBeforeCommit.commits());
    assert!(!Fault::Status(500).commits());
}

#[test]
fn random_faults_are_reproducible_from_their_seed() {
    let run = |seed| {
        let faults = Faults::default();
        faults.random(
            seed,
            300,
            vec![
                Fault::DropAfterCommit,
                Fault::Status(503),
                Fault::MalformedBody,
            ],
            Some(vec!["pay".into()]),
        );
        (0..200).map(|_| faults.next_for("pay")).collect::<Vec<_>>()
    };
    let a = run(11);
    assert_eq!(a, run(11));
    assert_ne!(a, run(12));
    let hits = a.iter().filter(|f| f.is_some()).count();
    assert!((30..=90).contains(&hits), "about 30% of 200: {hits}");
    let faults = Faults::default();
    faults.random(
        1,
        1000,
        vec![Fault::DropAfterCommit],
        Some(vec!["pay".into()]),
    );
    assert_eq!(
        faults.next_for("status"),
        None,
        "other operations are spared"
    );
}
