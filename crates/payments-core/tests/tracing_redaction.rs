//! Secrets stay out of `tracing` output, and the call span says what came
//! back. In a test binary of their own: tracing caches per-callsite
//! interest process-wide, so a test on another thread without a subscriber
//! could hide these tests' spans (each sets its own subscriber).
#![cfg(feature = "testkit")]

use std::time::Duration;

use payments_core::http::{HttpClient, HttpConfig, Request, RetryPolicy, Timeouts};
use payments_core::secret::{Scrubber, SecretString};
use payments_core::testkit::{CapturedLogs, assert_no_secret, closed_port, error_texts};
use payments_core::{Error, Operation};

const SECRET: &str = "Plug1n-S3cret/with+chars";

#[tokio::test]
async fn tracing_output_names_the_operation_but_never_the_secret() {
    let logs = CapturedLogs::start();
    let mut url = url::Url::parse(&format!(
        "http://127.0.0.1:{}/api/v1/transaction/activate",
        closed_port()
    ))
    .unwrap();
    url.query_pairs_mut().append_pair("secret", SECRET);
    let config = HttpConfig::new(
        Timeouts::new(Duration::from_secs(2), Duration::from_secs(2)),
        1 << 20,
        RetryPolicy::none(),
    );
    let client = HttpClient::new(
        "test/1",
        config,
        Scrubber::new().with(&SecretString::from(SECRET)),
    )
    .unwrap();
    let error = client
        .execute(
            Operation::money_moving("paykassma", "activate"),
            Some("r"),
            &Request::post(url),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotSent { .. }), "{error:?}");
    let text = logs.text();
    assert!(
        text.contains(
            "provider_call{provider=\"paykassma\" operation=\"activate\" attempt=1 reference=\"r\"}"
        ),
        "{text}"
    );
    assert!(text.contains("transport failure"), "{text}");
    let mut texts = error_texts(&error);
    texts.push(text);
    assert_no_secret(&texts, &["Plug1n"]);
}

/// The call's span carries the answer's HTTP status, so that the
/// "provider answered" line says what came back.
#[tokio::test]
async fn the_call_span_records_the_answers_status() {
    let logs = CapturedLogs::start();
    let server = httpmock::MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/v1/status");
            then.status(202).body("{}");
        })
        .await;
    let client = HttpClient::new("test/1", HttpConfig::default(), Scrubber::new()).unwrap();
    let url = url::Url::parse(&server.url("/v1/status")).unwrap();
    let answer = client
        .execute(
            Operation::read("paykassma", "status"),
            None,
            &Request::get(url),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 202);
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains("provider answered"))
        .unwrap_or_else(|| panic!("no answer line in {text}"));
    assert!(
        line.contains("provider_call{provider=\"paykassma\" operation=\"status\" attempt=1 reference=\"\" status=202}"),
        "{line}"
    );
}
