//! Loopback throughput of one read (the balance inquiry, tokens cached)
//! through the SDK, against raw `reqwest` posting the same request bytes to
//! the same in-process server and reading the same answer into a minimal
//! struct; 1 and 64 calls at a time. `cargo xtask bench` prints the ratio
//! (target: the SDK keeps at least 0.9 of the raw throughput).

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use jawali::{Currency, Money, SecretString, codec};
use serde::Deserialize;

mod baseline;

const BALANCE_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"balance":125000.25,"currency":"YER"}}"#;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    response_status: Status,
    response_body: Body,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    system_status: String,
}

#[derive(Deserialize)]
struct Body {
    balance: f64,
    currency: String,
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    // The token endpoints, then the balance, always the same bytes.
    let server = answering(&runtime, "application/json", |request| {
        baseline::token_answer(&request.path, &request.body)
            .unwrap_or(BALANCE_ANSWER)
            .as_bytes()
            .into()
    });
    let client = baseline::sdk_client(server.base_url());
    let expected = Money::parse("125000.25", Currency::YER).unwrap();
    // Tokens fetched once, before measuring.
    assert_eq!(
        runtime.block_on(client.balance()).unwrap().available,
        expected
    );

    // The hand-written client builds each request as the SDK does (a fresh
    // corrID, the clock, the tokens): the same bytes but for those two.
    let request = codec::balance_request(
        &client,
        &SecretString::from("access-token-0123456789"),
        &SecretString::from("wallet-token-0123456789"),
    )
    .unwrap();
    let url = request.url().clone();
    let raw = raw_client();
    let build = {
        let raw = raw.clone();
        move || {
            baseline::call(
                &raw,
                &url,
                "PAYAG.AGENTBALANCEINQUIRY",
                baseline::Wallet {
                    agent_wallet: "777000111",
                    password: "wallet-pw",
                    access_token: "wallet-token-0123456789",
                },
            )
        }
    };
    baseline::same_request(&request, &build());

    let sdk = op(move || {
        let client = client.clone();
        async move {
            let balance = client.balance().await.unwrap();
            assert_eq!(balance.available, expected);
        }
    });
    let baseline = op(move || {
        let raw = raw.clone();
        let request = build();
        async move {
            let response = raw.execute(request).await.unwrap();
            let bytes = response.bytes().await.unwrap();
            let answer: Answer = serde_json::from_slice(&bytes).unwrap();
            assert!(
                answer.response_status.system_status == "0"
                    && answer.response_body.currency == "YER"
            );
            assert!(answer.response_body.balance > 0.0);
        }
    });
    compare_throughput(c, &runtime, "jawali/loopback", &sdk, &baseline);
    drop(server);
}

criterion_group! {
    name = loopback_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(loopback_benches);
