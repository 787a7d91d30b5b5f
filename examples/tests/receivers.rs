//! The two postback receiver examples as processes of their own, fed what
//! anyone on the internet can send them: unsigned bodies nested as deep as
//! their 64 KiB cap allows. Each is refused with a 4xx in bounded time, a
//! valid signed postback after them is acknowledged, and the process is
//! still up. (A 20 KB body nested 10,000 deep used to abort the process.)
#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use paykassma::postback::PostbackSigner;
use paykassma::sandbox::PaykassmaSandbox;

/// The receivers' cap on a postback body.
const CAP: usize = paykassma::postback::MAX_POSTBACK_BYTES;

mod support;

use support::{example, spawn_listening};

/// A receiver process, killed (and its scratch folder removed) when dropped.
struct Receiver {
    child: Child,
    url: String,
    scratch: PathBuf,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

fn start(name: &str) -> Receiver {
    let scratch = std::env::temp_dir().join(format!(
        "receiver-test-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let (child, url) = spawn_listening(
        Command::new(example(name))
            .env("PAYKASSMA_POSTBACK_ADDR", "127.0.0.1:0")
            .env("PAYKASSMA_JOURNAL", scratch.join("postbacks.db"))
            .env_remove("PAYKASSMA_POSTBACK_ACCESS_KEY")
            .env_remove("PAYKASSMA_POSTBACK_PRIVATE_KEY"),
    );
    Receiver {
        child,
        url,
        scratch,
    }
}

/// Unsigned bodies, each at most the cap: deep arrays and objects in both
/// layouts, bare, and the 20 KB one that aborted the process.
fn hostile_bodies() -> Vec<(&'static str, String)> {
    let arrays = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let objects = |levels: usize| format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
    let most = (CAP - 100) / 2;
    vec![
        (
            "10,000 levels, 20 KB",
            format!(r#"{{"signature":"00","x":{}}}"#, arrays(10_000)),
        ),
        (
            "flat, arrays to the cap",
            format!(r#"{{"signature":"00","x":{}}}"#, arrays(most)),
        ),
        (
            "flat, objects to the cap",
            format!(r#"{{"signature":"00","x":{}}}"#, objects((CAP - 100) / 6)),
        ),
        (
            "batch, arrays to the cap",
            format!(
                r#"{{"access_key":"x","signature":"00","transactions":[{}]}}"#,
                arrays(most - 40)
            ),
        ),
        ("bare arrays to the cap", arrays(most)),
        (
            "a member named twice",
            r#"{"status":"failed","status":"success","signature":"00"}"#.to_owned(),
        ),
    ]
}

#[tokio::test]
async fn hostile_unsigned_bodies_get_a_4xx_quickly_and_the_receivers_stay_up() {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let valid = PostbackSigner::new(PaykassmaSandbox::postback_keys())
        .sign_flat(&serde_json::json!({
            "status": "success", "amount": 500, "currency_code": "MMK",
            "custom_transaction_id": "hostile-test-1", "label": "user-55"
        }))
        .unwrap();
    for name in ["paykassma_postbacks", "paykassma_axum"] {
        let mut receiver = start(name);
        for (what, body) in hostile_bodies() {
            assert!(body.len() <= CAP, "{what}: {}", body.len());
            let started = Instant::now();
            let answer = http
                .post(&receiver.url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name}, {what}: no answer: {e}"));
            let took = started.elapsed();
            assert!(
                answer.status().is_client_error(),
                "{name}, {what}: {}",
                answer.status()
            );
            assert!(took < Duration::from_secs(2), "{name}, {what}: {took:?}");
        }
        let answer = http
            .post(&receiver.url)
            .body(valid.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{name}: the valid postback");
        assert!(
            receiver.child.try_wait().unwrap().is_none(),
            "{name}: the process is still up"
        );
    }
}

/// The receivers' own self-tests: a sandbox deposit's postback credited (or
/// stored) once; a duplicate, a tampered body, another amount and an
/// unknown order credit nothing.
#[test]
fn the_receivers_self_tests_pass() {
    for name in ["paykassma_postbacks", "paykassma_axum"] {
        let output = Command::new(example(name))
            .arg("--self-test")
            .env_remove("PAYKASSMA_POSTBACK_ADDR")
            .env_remove("PAYKASSMA_JOURNAL")
            .env_remove("PAYKASSMA_POSTBACK_ACCESS_KEY")
            .env_remove("PAYKASSMA_POSTBACK_PRIVATE_KEY")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
