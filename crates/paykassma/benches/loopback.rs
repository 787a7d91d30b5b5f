//! Loopback throughput of one read (create: the wallet to pay into) through
//! the SDK, against raw `reqwest` (the same transport policy: timeouts, no
//! redirects) posting the same request bytes to the same in-process server
//! and reading the same answer into a minimal struct; 1 and 64 calls at a
//! time. `cargo xtask bench` prints the ratio (target: at least 0.9 of the
//! raw throughput).

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use paykassma::{
    Currency, Label, PaykassmaClient, PaykassmaConfig, SecretString, WalletType, codec,
};
use serde::Deserialize;

mod baseline;

const CREATE_ANSWER: &str = r#"{"status": "ok", "params": {"identifier": "324342342"}}"#;

#[derive(Deserialize)]
struct Answer {
    status: String,
    params: serde_json::Map<String, serde_json::Value>,
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    let server = answering(&runtime, "application/json", |_| {
        CREATE_ANSWER.as_bytes().into()
    });
    let client = PaykassmaClient::new(PaykassmaConfig::with_urls(
        server.base_url(),
        server.base_url(),
        SecretString::from(baseline::SECRET),
    ))
    .unwrap();
    let label = Label::new("user-55").unwrap();
    let request =
        codec::create_request(&client, &label, Currency::MMK, &WalletType::WAVEPAY).unwrap();
    // The hand-written client builds each request as the SDK does: the
    // URL joined with the secret, the body written from a struct.
    let raw = raw_client();
    let base = server.base_url().as_url().clone();
    let path = request.url().path().trim_start_matches('/').to_owned();
    let build = {
        let raw = raw.clone();
        move || {
            baseline::post(
                &raw,
                &base,
                &path,
                &baseline::Create {
                    currency: "MMK",
                    label: "user-55",
                },
            )
        }
    };
    bench_support::same_request(&request, &build());

    let sdk = op(move || {
        let (client, label) = (client.clone(), label.clone());
        async move {
            let details = client.create_deposit(&label, Currency::MMK).await.unwrap();
            assert_eq!(details.identifier.as_deref(), Some("324342342"));
        }
    });
    let baseline = op(move || {
        let raw = raw.clone();
        let request = build();
        async move {
            let response = raw.execute(request).await.unwrap();
            let bytes = response.bytes().await.unwrap();
            let answer: Answer = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(answer.status, "ok");
            assert_eq!(answer.params["identifier"], "324342342");
        }
    });
    compare_throughput(c, &runtime, "paykassma/loopback", &sdk, &baseline);
    drop(server);
}

criterion_group! {
    name = loopback_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(loopback_benches);
