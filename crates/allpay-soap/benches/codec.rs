//! Allpay's request building and signing, and answer parsing and
//! verification, as the client runs them (`allpay_soap::codec`), against the
//! irreducible part: one XML parse of the same document plus a bare
//! RSA-SHA1 signature (or verification) of the same `SignedInfo` bytes with
//! the `rsa` crate; and the crate's exclusive canonicalization next to the
//! XML parse alone. Keys: the sandbox's (1024-bit, as Allpay's published
//! test keys). `cargo xtask bench` prints the ratios; `cargo test --benches
//! --all-features` runs each once.

use std::alloc::System;
use std::hint::black_box;

use allpay_soap::dsig::{Canonicalization, SigningKey, VerifyingKey, canonicalize, sign_envelope};
use allpay_soap::payments_core::http::RawResponse;
use allpay_soap::sandbox::{
    allpay_private_key, allpay_public_key, merchant_private_key, merchant_public_key,
};
use allpay_soap::{AllpayClient, AllpayConfig, BaseUrl, UserName, codec};
use bench_support::criterion::{Criterion, Throughput, criterion_group, criterion_main};
use bench_support::{INSTRUMENTED_SYSTEM, StatsAlloc, compare, record_bytes};
use rsa::pkcs1v15;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha1::Sha1;

mod baseline;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CI_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";

fn client() -> AllpayClient {
    let config = AllpayConfig::new(
        BaseUrl::parse("https://allpay.example").unwrap(),
        "agent-7",
        "1001",
        SigningKey::from_pem(merchant_private_key()).unwrap(),
        VerifyingKey::from_pem(allpay_public_key()).unwrap(),
    );
    AllpayClient::new(config).unwrap()
}

/// A signed `checkUser` answer echoing `digest`, as Allpay sends it.
fn signed_answer(digest: &str) -> String {
    let unsigned = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{digest}</requestDsig></soapenv:Header><soapenv:Body><ns2:checkUserResponse xmlns:ns2="{CI_NS}"><return><header><userMessage>Операция выполнена</userMessage><developerMessage>OK</developerMessage><status>0</status><timestamp>2026-11-23T10:00:00+05:00</timestamp></header><basicUserInfo><identified>true</identified><IIN>900101300123</IIN><firstName>Айгерим</firstName><lastName>Сапарова</lastName></basicUserInfo></return></ns2:checkUserResponse></soapenv:Body></soapenv:Envelope>"#
    );
    sign_envelope(
        &unsigned,
        &SigningKey::from_pem(allpay_private_key()).unwrap(),
    )
    .unwrap()
    .xml
}

/// A large answer-like document (about 100 KB): nested namespaces, Cyrillic
/// text, attributes, for canonicalization throughput.
fn large_document() -> String {
    let mut body = String::new();
    for i in 0..300 {
        body.push_str(&format!(
            r#"<tm:transactionInfo xmlns:tm="urn:allpay:tm" id="{i}" kind="cash-in"><tm:guid>{{6f1c2a9e-8d7b-4c3e-9a1f-{i:012}}}</tm:guid><tm:amount>1500.50</tm:amount><tm:comment>Пополнение кошелька № {i} — спасибо</tm:comment><tm:status code="0">Выполнено</tm:status></tm:transactionInfo>"#
        ));
    }
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:unused="urn:unused"><soapenv:Header/><soapenv:Body><ns2:list xmlns:ns2="{CI_NS}">{body}</ns2:list></soapenv:Body></soapenv:Envelope>"#
    )
}

fn benches(c: &mut Criterion) {
    let client = client();
    let user = UserName::new("77011234567").unwrap();
    let merchant = pkcs1v15::SigningKey::<Sha1>::from_pkcs8_pem(merchant_private_key()).unwrap();
    let allpay = pkcs1v15::VerifyingKey::<Sha1>::from_public_key_pem(allpay_public_key()).unwrap();
    let merchant_public =
        pkcs1v15::VerifyingKey::<Sha1>::from_public_key_pem(merchant_public_key()).unwrap();

    // --- build + sign a request
    let prepared = codec::check_user_request(&client, &user).unwrap();
    let request_xml = prepared.xml().to_owned();
    let (request_signed_info, request_signature) = baseline::signed_info(&request_xml);
    // The bare signature is the same bytes the crate signed.
    let bare = merchant.sign(request_signed_info.as_bytes()).to_vec();
    assert_eq!(
        bare, request_signature,
        "the baseline signs other bytes than the crate"
    );
    merchant_public
        .verify(
            request_signed_info.as_bytes(),
            &rsa::pkcs1v15::Signature::try_from(bare.as_slice()).unwrap(),
        )
        .unwrap();
    compare(
        c,
        GLOBAL,
        "allpay/request",
        || {
            let prepared = codec::check_user_request(&client, &user).unwrap();
            drop(black_box(prepared.request().unwrap()));
        },
        || {
            let document = roxmltree::Document::parse(black_box(&request_xml)).unwrap();
            let signature = merchant.sign(black_box(request_signed_info.as_bytes()));
            drop(black_box((
                document.root_element().tag_name().name().len(),
                signature,
            )));
        },
    );

    // --- parse + verify an answer
    let answer = signed_answer(prepared.digest());
    let response = RawResponse::new(200, answer.clone().into_bytes());
    let user_info = codec::check_user_answer(&client, &prepared, &response)
        .unwrap()
        .unwrap();
    assert!(user_info.identified);
    assert_eq!(user_info.last_name.as_deref(), Some("Сапарова"));
    let (answer_signed_info, answer_signature) = baseline::signed_info(&answer);
    let answer_signature = rsa::pkcs1v15::Signature::try_from(answer_signature.as_slice()).unwrap();
    allpay
        .verify(answer_signed_info.as_bytes(), &answer_signature)
        .unwrap();
    compare(
        c,
        GLOBAL,
        "allpay/answer",
        || {
            drop(black_box(
                codec::check_user_answer(&client, &prepared, &response).unwrap(),
            ));
        },
        || {
            let text = std::str::from_utf8(black_box(&response.body)).unwrap();
            let document = roxmltree::Document::parse(text).unwrap();
            allpay
                .verify(black_box(answer_signed_info.as_bytes()), &answer_signature)
                .unwrap();
            black_box(document.descendants().count());
        },
    );

    // --- exclusive canonicalization, next to the parse alone (MB/s)
    let document = large_document();
    let canonical = canonicalize(&document, Canonicalization::Exclusive, false).unwrap();
    assert!(canonical.contains(r#"<tm:status code="0">Выполнено</tm:status>"#));
    assert!(
        !canonical.contains("urn:unused"),
        "exclusive C14N drops unused namespaces"
    );
    record_bytes("allpay/c14n", document.len());
    let mut group = c.benchmark_group("allpay/c14n");
    group.throughput(Throughput::Bytes(u64::try_from(document.len()).unwrap()));
    group.bench_function("sdk", |b| {
        b.iter(|| canonicalize(black_box(&document), Canonicalization::Exclusive, false).unwrap());
    });
    group.bench_function("baseline", |b| {
        b.iter(|| {
            let parsed = roxmltree::Document::parse(black_box(&document)).unwrap();
            parsed.descendants().count()
        });
    });
    group.finish();

    // --- hostile answers at the 1 MiB cap: time to refusal
    let mut group = c.benchmark_group("allpay/hostile");
    for (shape, hostile) in hostile_answers(&answer) {
        let response = RawResponse::new(200, hostile.into_bytes());
        assert!(codec::check_user_answer(&client, &prepared, &response).is_err());
        group.bench_function(shape, |b| {
            b.iter(|| codec::check_user_answer(&client, &prepared, black_box(&response)).is_err());
        });
    }
    group.finish();
}

/// Hostile answers at the 1 MiB cap, by shape: what a party without
/// Allpay's key can send. `wide-signed` carries the signed answer's own
/// Signature, so its whole megabyte is canonicalized and digested before
/// it is refused.
fn hostile_answers(signed: &str) -> Vec<(&'static str, String)> {
    const CAP: usize = 1 << 20;
    let envelope = |content: &str| {
        format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>{content}</soapenv:Body></soapenv:Envelope>"#
        )
    };
    let fill = |open: String, unit: &str, close: &str| {
        let mut text = open;
        while text.len() + unit.len() + close.len() + 400 < CAP {
            text.push_str(unit);
        }
        text.push_str(close);
        text
    };
    let signature = {
        let start = signed.find("<Signature ").unwrap();
        let end = signed.find("</Signature>").unwrap() + "</Signature>".len();
        signed[start..end].to_owned()
    };
    let deep = 100_000;
    let declarations: String = (0..3000)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
        .collect();
    let nested: String = (0..16)
        .map(|level| {
            let declarations: String = (0..16)
                .map(|i| format!(" xmlns:p{level}x{i}=\"urn:{level}:{i}\""))
                .collect();
            format!("<r{declarations}>")
        })
        .collect();
    let mut attributes = String::from("<r");
    let mut i = 0;
    while attributes.len() + 400 < CAP {
        attributes.push_str(&format!(" a{i}=\"\""));
        i += 1;
    }
    attributes.push_str("/>");
    vec![
        (
            "deep",
            envelope(&format!("{}{}", "<a>".repeat(deep), "</a>".repeat(deep))),
        ),
        ("attributes", envelope(&attributes)),
        (
            "namespaces-x-elements",
            envelope(&fill(format!("<r{declarations}>"), "<e/>", "</r>")),
        ),
        (
            "nested-namespaces-x-elements",
            envelope(&fill(nested, "<e/>", &"</r>".repeat(16))),
        ),
        (
            "wide-signed",
            fill(
                format!(
                    r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>{signature}</soapenv:Header><soapenv:Body><r>"#
                ),
                "<e/>",
                "</r></soapenv:Body></soapenv:Envelope>",
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
