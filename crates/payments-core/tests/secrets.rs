//! Secrets never leave the SDK as text: not through reqwest's error text
//! (which prints the URL), not through our errors.
#![cfg(feature = "testkit")]
use std::time::Duration;

use payments_core::http::{HttpClient, HttpConfig, Request, RetryPolicy, Timeouts};
use payments_core::secret::{REDACTED, Scrubber, SecretString};
use payments_core::testkit::{assert_no_secret, closed_port, error_texts};
use payments_core::{Error, Operation};

const SECRET: &str = "Plug1n-S3cret/with+chars";

fn url_with_secret(port: u16) -> url::Url {
    let mut url = url::Url::parse(&format!(
        "http://127.0.0.1:{port}/api/v1/transaction/activate"
    ))
    .unwrap();
    url.query_pairs_mut().append_pair("secret", SECRET);
    url
}

fn scrubber() -> Scrubber {
    Scrubber::new().with(&SecretString::from(SECRET))
}

#[tokio::test]
async fn the_scrubber_removes_a_secret_from_a_reqwest_errors_text() {
    let url = url_with_secret(closed_port());
    let error = reqwest::Client::new().post(url).send().await.unwrap_err();
    let unsafe_text = format!("{error} {error:?}");
    assert!(
        unsafe_text.contains("Plug1n-S3cret"),
        "the test needs reqwest's own text to carry the secret: {unsafe_text}"
    );
    let (text, stripped) = scrubber().scrub_reqwest(error);
    assert!(!text.contains("Plug1n-S3cret"), "{text}");
    assert!(!format!("{stripped} {stripped:?}").contains("Plug1n-S3cret"));
}

#[test]
fn every_encoding_of_a_secret_is_scrubbed() {
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    let json = serde_json::to_string(SECRET).unwrap();
    for text in [
        SECRET.to_owned(),
        encoded.clone(),
        encoded.replace('+', "%20"),
        json,
    ] {
        let clean = scrubber().scrub(&format!("before {text} after"));
        assert!(!clean.contains("Plug1n"), "{clean}");
        assert!(clean.contains(REDACTED));
    }
    assert_eq!(
        Scrubber::new().with(&SecretString::from("")).scrub("text"),
        "text"
    );
}

#[test]
fn a_secret_that_contains_another_is_replaced_whole() {
    let s = Scrubber::new()
        .with(&SecretString::from("abc"))
        .with(&SecretString::from("abcdef"));
    assert_eq!(s.scrub("x abcdef y abc"), "x [REDACTED] y [REDACTED]");
}

#[test]
fn debug_of_secrets_and_of_the_scrubber_shows_no_value() {
    let secret = SecretString::from(SECRET);
    assert!(!format!("{secret:?}").contains("Plug1n"));
    assert!(!format!("{:?}", scrubber()).contains("Plug1n"));
}

fn client(total: Duration) -> HttpClient {
    let config = HttpConfig::new(
        Timeouts::new(Duration::from_secs(2), total),
        1 << 20,
        RetryPolicy::none(),
    );
    HttpClient::new("test/1", config, scrubber()).unwrap()
}

#[tokio::test]
async fn a_timeout_error_carries_no_secret() {
    use httpmock::prelude::*;
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .delay(Duration::from_millis(500))
                .body("{}");
        })
        .await;
    let mut url = url::Url::parse(&server.url("/api/v1/transaction/activate")).unwrap();
    url.query_pairs_mut().append_pair("secret", SECRET);
    let error = client(Duration::from_millis(100))
        .execute(
            Operation::money_moving("paykassma", "activate"),
            Some("r"),
            &Request::post(url),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_no_secret(&error_texts(&error), &["Plug1n"]);
}

#[tokio::test]
async fn a_refused_connection_error_carries_no_secret_in_text_debug_or_sources() {
    let request = Request::post(url_with_secret(closed_port()));
    let error = client(Duration::from_secs(2))
        .execute(
            Operation::money_moving("paykassma", "activate"),
            Some("r"),
            &request,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotSent { .. }), "{error:?}");
    assert_no_secret(&error_texts(&error), &["Plug1n"]);
}

#[test]
fn tokens_learned_at_run_time_are_scrubbed_by_every_clone() {
    let scrubber = Scrubber::new();
    let clone = scrubber.clone();
    scrubber.learn("eyJhbGciOi.wallet+token/1");
    let text = r#"{"access_token":"eyJhbGciOi.wallet+token/1"} and eyJhbGciOi.wallet%2Btoken%2F1"#;
    let clean = clone.scrub(text);
    assert!(!clean.contains("eyJhbGciOi"), "{clean}");
    // Bounded: the oldest of more than LEARNED_TOKENS is forgotten.
    for n in 0..payments_core::secret::LEARNED_TOKENS {
        scrubber.learn(&format!("later-token-{n:04}"));
    }
    assert!(
        scrubber
            .scrub("eyJhbGciOi.wallet+token/1")
            .contains("eyJhbGciOi")
    );
    assert!(!scrubber.scrub("later-token-0001").contains("later-token"));
}
