//! Secrets stay out of `tracing` output. Alone in its test binary: tracing
//! caches per-callsite interest process-wide, so a test on another thread
//! without a subscriber could hide this test's spans.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payments_core::http::{HttpClient, HttpConfig, Request, RetryPolicy, Timeouts};
use payments_core::secret::{Scrubber, SecretString};
use payments_core::{Error, Operation};

const SECRET: &str = "Plug1n-S3cret/with+chars";

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

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

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn client(total: Duration) -> HttpClient {
    let config = HttpConfig {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            total,
        },
        max_response_bytes: 1 << 20,
        retry: RetryPolicy::none(),
    };
    HttpClient::new("test/1", config, scrubber()).unwrap()
}

fn assert_clean(what: &str, error: &Error) {
    let mut texts = vec![error.to_string(), format!("{error:?}")];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        texts.push(cause.to_string());
        texts.push(format!("{cause:?}"));
        source = cause.source();
    }
    for text in texts {
        assert!(!text.contains("Plug1n"), "{what}: {text}");
    }
}

#[tokio::test]
async fn tracing_output_names_the_operation_but_never_the_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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
    assert_clean("refused", &error);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("paykassma") && logs.contains("transport failure"),
        "{logs}"
    );
    assert!(!logs.contains("Plug1n"), "{logs}");
}
