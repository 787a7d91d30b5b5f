//! The shared HTTP client's own cost: `HttpClient::execute` of a prebuilt
//! request against raw `reqwest` (the same transport policy) sending the
//! same bytes to the same in-process server, 1 and 64 at a time.

use std::sync::Arc;

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use payments_core::http::{HttpClient, HttpConfig, Request};
use payments_core::{Operation, Scrubber};

const ANSWER: &str = r#"{"status": "ok", "params": {"identifier": "324342342"}}"#;

const READ: Operation = Operation::read("bench", "read");

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    let server = answering(&runtime, "application/json", |_| ANSWER.as_bytes().into());
    let url = server.base_url().join("api/read").unwrap();
    let body = br#"{"currency":"MMK","label":"user-55"}"#.as_slice();
    let client =
        Arc::new(HttpClient::new("bench/1", HttpConfig::default(), Scrubber::new()).unwrap());
    let request = Arc::new(
        Request::post(url.clone()).body(http::HeaderValue::from_static("application/json"), body),
    );
    let raw = raw_client();
    let sdk = op(move || {
        let (client, request) = (Arc::clone(&client), Arc::clone(&request));
        async move {
            let response = client.execute(READ, None, &request).await.unwrap();
            assert_eq!(response.body.len(), ANSWER.len());
        }
    });
    let baseline = op(move || {
        let (raw, url) = (raw.clone(), url.clone());
        async move {
            let response = raw
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.bytes().await.unwrap().len(), ANSWER.len());
        }
    });
    compare_throughput(c, &runtime, "payments-core/http", &sdk, &baseline);
    drop(server);
}

criterion_group! {
    name = http_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(http_benches);
