//! Paykassma's create and activate (request building and answer reading, as
//! the client runs them: `paykassma::codec`) against a hand-written minimal
//! serde client doing the same work on the same bytes; and postback
//! verification (PHP-form re-encoding, MD5, SHA-1, typed fields) against a
//! plain `serde_json` parse of the same body. `cargo xtask bench` prints
//! the ratios; `cargo test --benches` runs each once.

use std::alloc::System;
use std::hint::black_box;

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{INSTRUMENTED_SYSTEM, StatsAlloc, compare};
use paykassma::payments_core::http::RawResponse;
use paykassma::postback::{MAX_POSTBACK_BYTES, PostbackKeys, PostbackSigner, PostbackVerifier};
use paykassma::{
    Activation, ActivationOutcome, BaseUrl, Currency, Decimal, Label, MerchantReference, Money,
    PaykassmaClient, PaykassmaConfig, SecretString, TransactionNumber, WalletType, codec, reqwest,
};
use serde_json::value::RawValue;

mod baseline;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CREATE_ANSWER: &str = r#"{"status": "ok", "params": {"identifier": "324342342"}}"#;
const ACTIVATE_ANSWER: &str = r#"{"status": "ok", "deposit": true, "deposit_amount": 500.5, "currency": {"code": "MMK", "symbol": "MMK"}}"#;
/// A postback as Paykassma's PHP writes it (slashes and Burmese unescaped).
const POSTBACK_DATA: &str = r#"{"transaction_id":98765,"wallet_type":"wavepay","direction":"ingoing","status":"success","amount":500.50,"currency_code":"MMK","label":"user/55 ဝေ့ပေး","custom_transaction_id":"order-1","created_at":"2026-11-23 10:15:00","activated_at":"2026-11-23 10:16:30","additional_data":{"payer":"ကိုကို","url":"https://shop.example/return?x=1"}}"#;

fn client() -> PaykassmaClient {
    let base = BaseUrl::parse("https://api.paykassma.example/").unwrap();
    PaykassmaClient::new(PaykassmaConfig::with_urls(
        base.clone(),
        base,
        SecretString::from(baseline::SECRET),
    ))
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let client = client();
    let http = reqwest::Client::new();
    let base = reqwest::Url::parse("https://api.paykassma.example/").unwrap();
    let label = Label::new("user-55").unwrap();
    let wallet_type = WalletType::WAVEPAY;
    let mmk = |a: &str| Money::parse(a, Currency::MMK).unwrap();

    // --- create
    let sdk_create = || {
        let request = codec::create_request(&client, &label, Currency::MMK, &wallet_type).unwrap();
        let response = RawResponse::new(200, CREATE_ANSWER.as_bytes());
        let details = codec::create_answer(&client, &response, &wallet_type).unwrap();
        (request, details)
    };
    let baseline_create = || {
        let request = baseline::post(
            &http,
            &base,
            "api/v1/transaction/create/wavepay",
            &baseline::Create {
                currency: "MMK",
                label: "user-55",
            },
        );
        let answer: baseline::CreateAnswer = serde_json::from_str(CREATE_ANSWER).unwrap();
        assert_eq!(answer.status, "ok");
        let identifier = answer
            .params
            .get("identifier")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        (request, answer, identifier)
    };
    let (request, details) = sdk_create();
    let (body, answer, identifier) = baseline_create();
    bench_support::same_request(&request, &body);
    assert_eq!(details.identifier, identifier);
    assert_eq!(details.params, answer.params);
    compare(
        c,
        GLOBAL,
        "paykassma/create",
        || drop(black_box(sdk_create())),
        || drop(black_box(baseline_create())),
    );

    // --- activate
    let activation = Activation {
        label: label.clone(),
        wallet_type: wallet_type.clone(),
        key1: TransactionNumber::new("1394646476").unwrap(),
        amount: mmk("500.50"),
        custom_transaction_id: MerchantReference::new(
            "123465477897",
            &paykassma::CUSTOM_TRANSACTION_ID_RULES,
        )
        .unwrap(),
    };
    let sdk_activate = || {
        let request = codec::activate_request(&client, &activation).unwrap();
        let response = RawResponse::new(200, ACTIVATE_ANSWER.as_bytes());
        let outcome = codec::activate_answer(&client, &response, &activation).unwrap();
        (request, outcome)
    };
    let baseline_activate = || {
        // The amount written from its decimal digits, as JSON number.
        let amount =
            RawValue::from_string(activation.amount.amount().normalize().to_string()).unwrap();
        let request = baseline::post(
            &http,
            &base,
            "api/v1/transaction/activate",
            &baseline::activate(&amount, "123465477897"),
        );
        let answer: baseline::ActivateAnswer = serde_json::from_str(ACTIVATE_ANSWER).unwrap();
        assert!(answer.status == "ok" && answer.deposit);
        let currency = Currency::from_code(&answer.currency.code).unwrap();
        let credited = Money::new(
            Decimal::from_str_exact(&answer.deposit_amount.to_string()).unwrap(),
            currency,
        )
        .unwrap();
        (request, credited)
    };
    let (request, outcome) = sdk_activate();
    let (body, credited) = baseline_activate();
    bench_support::same_request(&request, &body);
    assert_eq!(outcome, ActivationOutcome::Credited { amount: credited });
    compare(
        c,
        GLOBAL,
        "paykassma/activate",
        || drop(black_box(sdk_activate())),
        || drop(black_box(baseline_activate())),
    );

    // --- postback verification, against parsing the same body
    let keys = || {
        PostbackKeys::new(
            SecretString::from("acc-key-01"),
            SecretString::from("priv/key+02"),
        )
    };
    // The body as Paykassma sends it: the signed fields, `signature` appended.
    let body = PostbackSigner::new(keys())
        .sign_flat_text(POSTBACK_DATA)
        .unwrap();
    let verifier = PostbackVerifier::new(keys());
    let verified = verifier.verify(body.as_bytes()).unwrap();
    assert_eq!(verified.transactions[0].amount, Some(mmk("500.50")));
    compare(
        c,
        GLOBAL,
        "paykassma/postback",
        || {
            drop(black_box(
                verifier.verify(black_box(body.as_bytes())).unwrap(),
            ));
        },
        || {
            let value: serde_json::Value =
                serde_json::from_slice(black_box(body.as_bytes())).unwrap();
            drop(black_box(value));
        },
    );

    // --- refusing what anyone can send, at the receiver's cap
    let mut group = c.benchmark_group("paykassma/postback-hostile");
    for (name, body) in hostile_postbacks() {
        assert!(body.len() <= MAX_POSTBACK_BYTES, "{name}: {}", body.len());
        assert!(verifier.verify(body.as_bytes()).is_err(), "{name}");
        group.bench_function(name, |b| {
            b.iter(|| drop(black_box(verifier.verify(black_box(body.as_bytes())))));
        });
    }
    group.finish();
}

/// Unsigned bodies at the receiver's cap, shaped to cost the verifier the
/// most: deep nesting (refused at level 129), thousands of distinct member
/// names (a set), numbers of 17 significant digits (each checked against
/// its double), escaped strings (decoded and re-escaped), a batch of
/// thousands of transactions, and a well-formed flat body with a wrong
/// signature (read to the end, hashed, compared).
pub fn hostile_postbacks() -> Vec<(&'static str, String)> {
    let cap = MAX_POSTBACK_BYTES;
    let fill = |unit: &dyn Fn(usize) -> String, room: usize| {
        let mut out = String::new();
        let mut i = 0;
        loop {
            let next = unit(i);
            if out.len() + next.len() + 1 > room {
                return out;
            }
            if i > 0 {
                out.push(',');
            }
            out.push_str(&next);
            i += 1;
        }
    };
    let room = cap - 64;
    vec![
        (
            "deep-arrays",
            format!(
                r#"{{"signature":"00","x":{}{}}}"#,
                "[".repeat(room / 2),
                "]".repeat(room / 2)
            ),
        ),
        (
            "wide-object",
            format!(
                r#"{{"signature":"00",{}}}"#,
                fill(&|i| format!(r#""k{i}":0"#), room)
            ),
        ),
        (
            "long-numbers",
            format!(
                r#"{{"signature":"00","x":[{}]}}"#,
                // Doubles' own shortest digits (17 of them): each passes the
                // exactness check only after a parse and a format.
                fill(
                    &|i| format!("{:e}", f64::from_bits(0x3FD3_3333_3333_3334 + i as u64)),
                    room
                )
            ),
        ),
        (
            "escaped-strings",
            format!(
                r#"{{"signature":"00","x":"{}"}}"#,
                "\\u00e9".repeat(room / 6)
            ),
        ),
        (
            "batch",
            format!(
                r#"{{"access_key":"acc-key-01","signature":"00","transactions":[{}]}}"#,
                fill(&|i| format!(r#"{{"status":"success","id":{i}}}"#), room)
            ),
        ),
        (
            "flat-wrong-signature",
            format!(
                r#"{{"signature":"00",{}}}"#,
                fill(&|i| format!(r#""f{i}":"ဝေ့ပေး/x""#), room)
            ),
        ),
    ]
}

criterion_group! {
    name = codec_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(codec_benches);
