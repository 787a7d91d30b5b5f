//! A whole payment over loopback — what a merchant pays per order: through
//! the SDK, `allpay_soap::pay` (`checkUserAndValidateCashIn`, then one
//! terminal `createCashInPayment` under the order's GUID, answered
//! `COMPLETED`; each request signed, each answer verified and checked
//! against the request's digest), against a hand-written client doing per
//! payment what a correct one must for the same two calls (each request's
//! digest and RSA-SHA1 signature; each answer parsed, its digest checked
//! against `DigestValue`, its signature verified, its values read), one
//! in-process server answering both; 1 and 64 payments at a time. The
//! clock and the order are fixed, so every payment sends the same bytes
//! (a repeat of one order: same GUID) and the server's two signed answers
//! echo their digests. `cargo xtask bench` prints the ratio (target: at
//! least 0.9).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use allpay_soap::dsig::{SigningKey, sign_envelope};
use allpay_soap::payments_core::clock::ManualClock;
use allpay_soap::sandbox::{allpay_private_key, allpay_public_key, merchant_private_key};
use allpay_soap::{
    CashIn, CashInOrder, Currency, Money, OrderId, PaymentStatus, UserName, codec, reqwest,
};
use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{Bytes, answering, compare_throughput, op, raw_client, runtime};
use rsa::pkcs1v15;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use sha1::Sha1;

mod baseline;

const CI_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";
const HEADER: &str = "<header><userMessage>Операция выполнена</userMessage><developerMessage>OK</developerMessage><status>0</status><timestamp>2026-11-23T10:00:00+05:00</timestamp></header>";

/// One call of the payment as the hand-written client makes it: the bytes
/// it sends, what its per-call signing covers, and what verifying the
/// answer covers.
struct Leg {
    action: &'static str,
    body: Bytes,
    unsigned_request: String,
    request_signed_info: String,
    answer_signed_info: String,
    answer_signature: pkcs1v15::Signature,
    /// An element the answer must hold.
    expect: &'static str,
}

/// The signed answer to `prepared` carrying `result` in `operation`'s
/// response.
fn answer(prepared: &codec::Prepared, operation: &str, result: &str) -> String {
    let unsigned = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{}</requestDsig></soapenv:Header><soapenv:Body><ns2:{operation}Response xmlns:ns2="{CI_NS}"><return>{HEADER}{result}</return></ns2:{operation}Response></soapenv:Body></soapenv:Envelope>"#,
        prepared.digest()
    );
    sign_envelope(
        &unsigned,
        &SigningKey::from_pem(allpay_private_key()).unwrap(),
    )
    .unwrap()
    .xml
}

fn leg(
    prepared: &codec::Prepared,
    action: &'static str,
    answer: &str,
    expect: &'static str,
) -> Leg {
    let (answer_signed_info, signature) = baseline::signed_info(answer);
    let signature = pkcs1v15::Signature::try_from(signature.as_slice()).unwrap();
    Leg {
        action,
        body: Bytes::from(prepared.xml().to_owned()),
        unsigned_request: baseline::without_signature(prepared.xml()),
        request_signed_info: baseline::signed_info(prepared.xml()).0,
        answer_signed_info,
        answer_signature: signature,
        expect,
    }
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800));
    let user = UserName::new("77011234567").unwrap();
    let amount = Money::parse("1500", Currency::KZT).unwrap();
    let order_id = OrderId::new("order-1001").unwrap();
    let client_for = |base| baseline::sdk_client(base, &clock);
    // The two requests every payment sends, and the answers to them.
    let probe = client_for(allpay_soap::BaseUrl::parse("http://127.0.0.1:9").unwrap());
    let check = codec::check_user_for_cash_in_request(&probe, &user).unwrap();
    let payment = CashIn {
        to_user: user.clone(),
        amount,
        guid: probe.order_guid(&order_id, 1).unwrap(),
    };
    let pay = codec::cash_in_payment_request(&probe, &payment).unwrap();
    let check_answer = answer(
        &check,
        "checkUserAndValidateCashIn",
        "<basicUserInfo><identified>true</identified><IIN>900101300123</IIN><firstName>Айгерим</firstName><lastName>Сапарова</lastName></basicUserInfo>",
    );
    let pay_answer = answer(
        &pay,
        "createCashInPayment",
        "<terminalPaymentTransactionStatus>COMPLETED</terminalPaymentTransactionStatus>",
    );
    let legs = Arc::new([
        leg(
            &check,
            "\"checkUserAndValidateCashIn\"",
            &check_answer,
            "identified",
        ),
        leg(
            &pay,
            "\"createCashInPayment\"",
            &pay_answer,
            "terminalPaymentTransactionStatus",
        ),
    ]);
    let (check_answer, pay_answer) = (Bytes::from(check_answer), Bytes::from(pay_answer));
    let server = answering(&runtime, "text/xml; charset=utf-8", move |request| {
        if request.header("soapaction") == Some("\"checkUserAndValidateCashIn\"") {
            check_answer.clone()
        } else {
            pay_answer.clone()
        }
    });
    let client = client_for(server.base_url());
    // The SDK sends exactly these bytes, and is paid.
    let request = codec::check_user_for_cash_in_request(&client, &user)
        .unwrap()
        .request()
        .unwrap();
    assert_eq!(
        request.body_bytes().unwrap().as_ref(),
        check.xml().as_bytes()
    );
    let url = request.url().clone();
    let order = move || CashInOrder::new(order_id.clone(), user.clone(), amount);
    let paid = runtime
        .block_on(allpay_soap::pay(&client, order()))
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Completed);

    let sdk = bench_support::payments(client, order);
    let merchant = pkcs1v15::SigningKey::<Sha1>::from_pkcs8_pem(merchant_private_key()).unwrap();
    let allpay = pkcs1v15::VerifyingKey::<Sha1>::from_public_key_pem(allpay_public_key()).unwrap();
    let raw = raw_client();
    let baseline = op(move || {
        let (raw, url, legs) = (raw.clone(), url.clone(), Arc::clone(&legs));
        let (merchant, allpay) = (merchant.clone(), allpay.clone());
        async move {
            for leg in legs.iter() {
                // The request digested and signed, as the SDK does.
                baseline::sign_request(&merchant, &leg.unsigned_request, &leg.request_signed_info);
                let response = raw
                    .post(url.clone())
                    .header("soapaction", leg.action)
                    .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
                    .body(leg.body.clone())
                    .send()
                    .await
                    .unwrap();
                let bytes = response.bytes().await.unwrap();
                let text = std::str::from_utf8(&bytes).unwrap();
                let document = baseline::verify_answer(
                    text,
                    &allpay,
                    &leg.answer_signed_info,
                    &leg.answer_signature,
                );
                assert!(document.descendants().any(|n| n.has_tag_name(leg.expect)));
            }
        }
    });
    compare_throughput(c, &runtime, "allpay/payment", &sdk, &baseline);
    drop(server);
}

criterion_group! {
    name = payment_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(payment_benches);
