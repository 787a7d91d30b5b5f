//! The shared HTTP client against a mock server: what goes on the wire, and
//! what each failure is reported as.

use std::time::Duration;

use httpmock::prelude::*;
use payments_core::http::{HttpClient, HttpConfig, RawResponse, Request, RetryPolicy, Timeouts};
use payments_core::secret::{Scrubber, SecretString};
use payments_core::{BaseUrl, Error, Operation};

const INQUIRY: Operation = Operation::read("test", "inquiry");
const CASH_OUT: Operation = Operation::money_moving("test", "cash_out");

fn fast_retries() -> RetryPolicy {
    RetryPolicy::new(3, Duration::from_millis(1), Duration::from_millis(5)).with_jitter(true)
}

fn client(total: Duration) -> HttpClient {
    let config = HttpConfig::new(
        Timeouts::new(Duration::from_secs(2), total),
        1024,
        fast_retries(),
    );
    let scrubber = Scrubber::new().with(&SecretString::from("pa55/word+"));
    HttpClient::new("payments-core-tests/1.0", config, scrubber).unwrap()
}

fn url(server: &MockServer, path: &str) -> url::Url {
    BaseUrl::parse(&server.base_url())
        .unwrap()
        .join(path)
        .unwrap()
}

#[tokio::test]
async fn sends_method_path_user_agent_bearer_and_exact_json_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/pay")
                .header("user-agent", "payments-core-tests/1.0")
                .header("authorization", "Bearer tok-1")
                .header("content-type", "application/json")
                .body(r#"{"amount":500.5,"ref":"r-1"}"#);
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"ok":true}"#);
        })
        .await;
    #[derive(serde::Serialize)]
    struct Body {
        amount: payments_core::wire::JsonNumber,
        r#ref: &'static str,
    }
    let amount = payments_core::Money::parse("500.50", payments_core::Currency::MMK).unwrap();
    let request = Request::post(url(&server, "v1/pay"))
        .bearer(&SecretString::from("tok-1"))
        .unwrap()
        .json(&Body {
            amount: amount.to_json_number(),
            r#ref: "r-1",
        })
        .unwrap();
    let response = client(Duration::from_secs(5))
        .execute(CASH_OUT, Some("r-1"), &request)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], br#"{"ok":true}"#);
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn form_bodies_are_url_encoded() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=password&username=a+b&password=p%2Fq");
            then.status(200).body("{}");
        })
        .await;
    let request = Request::post(url(&server, "token")).form([
        ("grant_type", "password"),
        ("username", "a b"),
        ("password", "p/q"),
    ]);
    client(Duration::from_secs(5))
        .execute(INQUIRY, None, &request)
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn reads_are_retried_on_transient_statuses() {
    let server = MockServer::start_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.path("/status");
            then.status(503).body("busy");
        })
        .await;
    busy.up_to_n_times_async(2).await;
    let ok = server
        .mock_async(|when, then| {
            when.path("/status");
            then.status(200).body("{}");
        })
        .await;
    let response = client(Duration::from_secs(5))
        .execute(INQUIRY, None, &Request::get(url(&server, "status")))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(busy.calls_async().await, 2);
    assert_eq!(ok.calls_async().await, 1);
}

#[tokio::test]
async fn money_moving_calls_are_never_retried_and_a_5xx_is_an_unknown_outcome() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/cash-out");
            then.status(503).body("<html>gateway</html>");
        })
        .await;
    let client = client(Duration::from_secs(5));
    let response = client
        .execute(
            CASH_OUT,
            Some("ref-9"),
            &Request::post(url(&server, "cash-out")),
        )
        .await
        .unwrap();
    assert_eq!(mock.calls_async().await, 1);
    let error = client.unexpected_status(CASH_OUT, Some("ref-9"), &response);
    match &error {
        Error::OutcomeUnknown {
            reference, reason, ..
        } => {
            assert_eq!(reference.as_deref(), Some("ref-9"));
            assert!(reason.contains("HTTP 503"), "{reason}");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(!error.outcome_known());
    assert_eq!(error.diagnostics().http_status, Some(503));
    assert!(
        error
            .to_string()
            .ends_with("before paying again [HTTP 503]"),
        "{error}"
    );
    // The same status on a read is a plain, retryable HTTP error.
    let read_error = client.unexpected_status(INQUIRY, Some("ref-7"), &response);
    assert!(matches!(read_error, Error::Http { status: 503, .. }));
    assert!(read_error.is_retryable());
    assert_eq!(read_error.reference(), Some("ref-7"));
    assert_eq!(read_error.diagnostics().http_status, Some(503));
}

#[tokio::test]
async fn a_money_moving_timeout_is_an_unknown_outcome_sent_once() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/cash-out");
            then.status(200)
                .delay(Duration::from_millis(600))
                .body("{}");
        })
        .await;
    let error = client(Duration::from_millis(150))
        .execute(
            CASH_OUT,
            Some("ref-1"),
            &Request::post(url(&server, "cash-out")),
        )
        .await
        .unwrap_err();
    match &error {
        Error::OutcomeUnknown {
            reference, reason, ..
        } => {
            assert_eq!(reference.as_deref(), Some("ref-1"));
            assert!(reason.starts_with("no answer within"), "{reason}");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_read_timeout_is_a_transport_error_and_is_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/status");
            then.status(200)
                .delay(Duration::from_millis(600))
                .body("{}");
        })
        .await;
    let error = client(Duration::from_millis(100))
        .execute(
            INQUIRY,
            Some("ref-3"),
            &Request::get(url(&server, "status")),
        )
        .await
        .unwrap_err();
    // The reference the read carried names it, for a support desk.
    assert_eq!(error.reference(), Some("ref-3"));
    assert_eq!(error.diagnostics().http_status, None);
    assert!(
        matches!(
            error,
            Error::Transport {
                timed_out: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(mock.calls_async().await, 3);
}

fn closed_port_url(path: &str) -> url::Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    url::Url::parse(&format!("http://127.0.0.1:{port}/{path}")).unwrap()
}

#[tokio::test]
async fn a_refused_connection_is_not_sent_even_for_money_moving_calls() {
    let error = client(Duration::from_secs(2))
        .execute(
            CASH_OUT,
            Some("r"),
            &Request::post(closed_port_url("cash-out")),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotSent { .. }), "{error:?}");
    assert!(error.outcome_known());
    assert!(error.is_retryable());
}

#[tokio::test]
async fn answers_over_the_size_cap_are_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/big");
            then.status(200).body("x".repeat(4096));
        })
        .await;
    let error = client(Duration::from_secs(5))
        .execute(INQUIRY, None, &Request::get(url(&server, "big")))
        .await
        .unwrap_err();
    assert_eq!(error.diagnostics().http_status, Some(200));
    match error {
        Error::UndecodableResponse { detail, .. } => {
            assert!(detail.contains("1024 byte limit"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

/// A one-shot HTTP/1.1 server answering with `chunks` as a chunked body
/// (no `Content-Length`), each chunk sent on its own.
fn chunked_server(chunks: Vec<String>) -> url::Url {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        for chunk in chunks {
            let _ = write!(stream, "{:x}\r\n{chunk}\r\n", chunk.len());
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = stream.write_all(b"0\r\n\r\n");
    });
    url::Url::parse(&format!("http://127.0.0.1:{port}/chunked")).unwrap()
}

#[tokio::test]
async fn a_chunked_answer_is_read_whole_in_one_chunk_or_several() {
    for chunks in [vec!["hello world"], vec!["hello", " ", "world"]] {
        let url = chunked_server(chunks.iter().map(|c| (*c).to_owned()).collect());
        let response = client(Duration::from_secs(5))
            .execute(INQUIRY, None, &Request::get(url))
            .await
            .unwrap();
        assert_eq!(response.body.as_ref(), b"hello world", "{chunks:?}");
        assert_eq!(response.header("content-type"), Some("text/plain"));
    }
}

#[tokio::test]
async fn a_chunked_answer_growing_over_the_size_cap_is_refused() {
    // No Content-Length: the cap (1024 bytes) is enforced while reading.
    let url = chunked_server(vec!["x".repeat(600), "y".repeat(600)]);
    let error = client(Duration::from_secs(5))
        .execute(INQUIRY, None, &Request::get(url))
        .await
        .unwrap_err();
    match error {
        Error::UndecodableResponse { detail, .. } => {
            assert!(detail.contains("1024 byte limit"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

fn raw(status: u16, body: &str) -> RawResponse {
    RawResponse {
        status,
        headers: Default::default(),
        body: bytes::Bytes::from(body.to_owned()),
    }
}

#[test]
fn malformed_json_bodies_become_typed_errors_naming_what_was_wrong() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Answer {
        status: String,
    }
    let client = client(Duration::from_secs(1));
    for (body, expected) in [
        ("", "empty body"),
        ("   ", "empty body"),
        (
            "<html><body>502 Bad Gateway</body></html>",
            "an HTML or XML page instead of JSON",
        ),
        (r#"{"status": "o"#, "truncated JSON"),
        ("status=ok", "not JSON"),
        (r#"{"status": 5}"#, "unexpected JSON shape"),
    ] {
        match client.decode_json::<Answer>(INQUIRY, &raw(200, body)) {
            Err(Error::UndecodableResponse {
                operation,
                detail,
                raw,
                ..
            }) => {
                assert_eq!(operation, INQUIRY);
                assert!(detail.starts_with(expected), "{body:?}: {detail}");
                assert_eq!(raw.as_str(), body);
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

#[test]
fn error_excerpts_are_scrubbed_and_bounded() {
    let client = client(Duration::from_secs(1));
    let body = format!(
        r#"{{"password":"pa55/word+","pad":"{}"}}"#,
        "y".repeat(5000)
    );
    let error = client
        .decode_json::<u32>(INQUIRY, &raw(200, &body))
        .unwrap_err();
    let text = error.to_string();
    assert!(!text.contains("pa55"), "{text}");
    assert!(text.contains("[REDACTED]"));
    match error {
        Error::UndecodableResponse { raw, .. } => {
            assert!(raw.is_truncated());
            assert!(raw.as_str().len() <= payments_core::secret::EXCERPT_LIMIT);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn debug_of_a_request_shows_neither_query_nor_header_values() {
    let request = Request::post(url::Url::parse("https://api.example.com/x?secret=pa55").unwrap())
        .bearer(&SecretString::from("tok-secret"))
        .unwrap();
    let debug = format!("{request:?}");
    assert!(
        !debug.contains("pa55") && !debug.contains("tok-secret"),
        "{debug}"
    );
    assert!(debug.contains("authorization"));
}

#[tokio::test]
async fn a_caller_supplied_reqwest_client_gets_the_user_agent_and_the_total_timeout() {
    let server = MockServer::start_async().await;
    let slow = server
        .mock_async(|when, then| {
            when.path("/slow")
                .header("user-agent", "payments-core-tests/1.0");
            then.status(200)
                .delay(Duration::from_millis(600))
                .body("{}");
        })
        .await;
    let config = HttpConfig::new(
        Timeouts::new(Duration::from_secs(1), Duration::from_millis(100)),
        1024,
        RetryPolicy::none(),
    );
    let client = HttpClient::with_client(
        reqwest::Client::new(),
        "payments-core-tests/1.0",
        config,
        Scrubber::new(),
    )
    .unwrap();
    let error = client
        .execute(CASH_OUT, Some("r"), &Request::post(url(&server, "slow")))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_eq!(slow.calls_async().await, 1);
}

/// A caller-supplied client that follows redirects cannot make the SDK take
/// another URL's answer for the provider's: the SDK's own client never
/// follows one (the 3xx is the answer), and a followed one is an error.
#[tokio::test]
async fn a_redirect_is_never_an_answer_even_through_a_callers_client() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/v1/pay");
            then.status(302).header("location", "/elsewhere");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200)
                .json_body(serde_json::json!({"status": "ok"}));
        })
        .await;
    // The SDK's own client: the 302 is the answer, not followed.
    let own = client(Duration::from_secs(2));
    let answer = own
        .execute(INQUIRY, None, &Request::get(url(&server, "v1/pay")))
        .await
        .unwrap();
    assert_eq!(answer.status, 302);
    // A caller's client that follows redirects (reqwest's default).
    let callers = HttpClient::with_client(
        reqwest::Client::new(),
        "test/1",
        HttpConfig::default(),
        Scrubber::new(),
    )
    .unwrap();
    let read = callers
        .execute(INQUIRY, None, &Request::get(url(&server, "v1/pay")))
        .await
        .unwrap_err();
    assert!(matches!(read, Error::Configuration { .. }), "{read:?}");
    let pay = callers
        .execute(
            Operation::money_moving("demo", "pay"),
            Some("order-1"),
            &Request::get(url(&server, "v1/pay")),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&pay, Error::OutcomeUnknown { reference: Some(r), reason, .. }
            if r == "order-1" && reason.contains("redirect")),
        "{pay:?}"
    );
}
