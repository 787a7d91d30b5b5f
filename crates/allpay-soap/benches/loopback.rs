//! Loopback throughput of one read (`checkUser`: signed request, verified
//! answer) through the SDK, against raw `reqwest` (the same transport
//! policy) posting the same signed bytes to the same in-process server,
//! doing per call what a correct hand-written client must: the request's
//! enveloped-signature digest (its canonical form, SHA-1) and a bare
//! RSA-SHA1 signature of its `SignedInfo`; then one XML parse of the
//! answer, its digest checked (the document without its `Signature`,
//! canonical, SHA-1, against `DigestValue` — without it the signature
//! proves nothing about the body) and one bare RSA-SHA1 verification. The
//! canonical forms come from this crate's `dsig::canonicalize`, as a raw
//! client's would from an XML-DSig library. 1 and 64 calls at a time. The
//! clock is fixed, so every request is the same bytes and the server's one
//! signed answer echoes its digest. `cargo xtask bench` prints the ratio
//! (target: at least 0.9).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use allpay_soap::dsig::{SigningKey, sign_envelope};
use allpay_soap::payments_core::clock::ManualClock;
use allpay_soap::sandbox::{allpay_private_key, allpay_public_key, merchant_private_key};
use allpay_soap::{UserName, codec, reqwest};
use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{answering, compare_throughput, op, raw_client, runtime};
use rsa::pkcs1v15;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::Verifier;
use sha1::Sha1;

mod baseline;

const CI_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800));
    let user = UserName::new("77011234567").unwrap();
    let client_for = |base| baseline::sdk_client(base, &clock);
    // The request every call sends, and the one answer to it.
    let probe = client_for(allpay_soap::BaseUrl::parse("http://127.0.0.1:9").unwrap());
    let prepared = codec::check_user_request(&probe, &user).unwrap();
    let unsigned = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{}</requestDsig></soapenv:Header><soapenv:Body><ns2:checkUserResponse xmlns:ns2="{CI_NS}"><return><header><userMessage>Операция выполнена</userMessage><developerMessage>OK</developerMessage><status>0</status><timestamp>2026-11-23T10:00:00+05:00</timestamp></header><basicUserInfo><identified>true</identified><IIN>900101300123</IIN><firstName>Айгерим</firstName><lastName>Сапарова</lastName></basicUserInfo></return></ns2:checkUserResponse></soapenv:Body></soapenv:Envelope>"#,
        prepared.digest()
    );
    let answer = sign_envelope(
        &unsigned,
        &SigningKey::from_pem(allpay_private_key()).unwrap(),
    )
    .unwrap()
    .xml;
    // What the bare verification covers: the canonical SignedInfo.
    let (signed_info, signature) = baseline::signed_info(&answer);
    let signature = pkcs1v15::Signature::try_from(signature.as_slice()).unwrap();
    let allpay = pkcs1v15::VerifyingKey::<Sha1>::from_public_key_pem(allpay_public_key()).unwrap();
    allpay.verify(signed_info.as_bytes(), &signature).unwrap();

    let answer = bench_support::Bytes::from(answer);
    let server = answering(&runtime, "text/xml; charset=utf-8", move |_| answer.clone());
    let client = client_for(server.base_url());
    let request = codec::check_user_request(&client, &user)
        .unwrap()
        .request()
        .unwrap();
    assert_eq!(
        request.body_bytes().unwrap().as_ref(),
        prepared.xml().as_bytes()
    );
    let (url, body) = (request.url().clone(), request.body_bytes().unwrap().clone());
    let raw = raw_client();

    let sdk = op(move || {
        let (client, user) = (client.clone(), user.clone());
        async move {
            let info = client.check_user(&user).await.unwrap().unwrap();
            assert!(info.identified);
        }
    });
    let merchant = pkcs1v15::SigningKey::<Sha1>::from_pkcs8_pem(merchant_private_key()).unwrap();
    let request_signed_info = Arc::new(baseline::signed_info(prepared.xml()).0);
    let (signed_info, signature) = (Arc::new(signed_info), Arc::new(signature));
    // The request as it is before its signature: what its digest covers.
    let unsigned_request: Arc<str> = baseline::without_signature(prepared.xml()).into();
    let baseline = op(move || {
        let (raw, url, body) = (raw.clone(), url.clone(), body.clone());
        let (allpay, signed_info, signature) = (
            allpay.clone(),
            Arc::clone(&signed_info),
            Arc::clone(&signature),
        );
        let (merchant, request_signed_info) = (merchant.clone(), Arc::clone(&request_signed_info));
        let unsigned_request = Arc::clone(&unsigned_request);
        async move {
            // Each request digested and signed, as the SDK does.
            baseline::sign_request(&merchant, &unsigned_request, &request_signed_info);
            let response = raw
                .post(url)
                .header("soapaction", "\"checkUser\"")
                .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
                .body(body)
                .send()
                .await
                .unwrap();
            let bytes = response.bytes().await.unwrap();
            let text = std::str::from_utf8(&bytes).unwrap();
            let document = baseline::verify_answer(text, &allpay, &signed_info, &signature);
            assert!(document.descendants().any(|n| n.has_tag_name("identified")));
        }
    });
    compare_throughput(c, &runtime, "allpay/loopback", &sdk, &baseline);
    drop(server);
}

criterion_group! {
    name = loopback_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(loopback_benches);
