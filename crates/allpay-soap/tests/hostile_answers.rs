//! Answers altered between the client and Allpay by a party without
//! Allpay's key, each sent by a loopback server to the public client: an
//! answer is believed only from the tree whose signature was checked, only
//! at the places the schema puts its values, only inside what the
//! signature covers, and only when it is bound to its request. A hostile
//! answer is refused in bounded time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use allpay_soap::dsig::{SigningKey, VerifyingKey, sign_envelope};
use allpay_soap::sandbox::{allpay_private_key, allpay_public_key, merchant_private_key};
use allpay_soap::{AllpayClient, AllpayConfig, CashIn, UserName};
use payments_core::http::{HttpConfig, RetryPolicy, Timeouts};
use payments_core::sandbox::{SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer};
use payments_core::{Currency, Error, Money, async_trait};

const CI_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";
const TM_NS: &str = "http://www.allpay.kz/mfs/soap/TransactionManagement/1.1";
const CAP: usize = 1 << 20;

/// A server that answers each request with `answer(request body)`.
struct Forger(Box<dyn Fn(&str) -> String + Send + Sync>);

#[async_trait]
impl SandboxHandler for Forger {
    fn operation(&self, _: &SandboxRequest) -> String {
        "forged".to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        SandboxResponse::with_type(200, "text/xml; charset=utf-8", (self.0)(&body))
    }
}

async fn forger(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> SandboxServer {
    SandboxServer::start(Arc::new(Forger(Box::new(answer))))
        .await
        .unwrap()
}

fn client(server: &SandboxServer) -> AllpayClient {
    let mut config = AllpayConfig::new(
        server.base_url(),
        "agent-7",
        "1001",
        SigningKey::from_pem(merchant_private_key()).unwrap(),
        VerifyingKey::from_pem(allpay_public_key()).unwrap(),
    );
    config.http = HttpConfig::new(
        Timeouts::new(Duration::from_secs(5), Duration::from_secs(5)),
        CAP,
        RetryPolicy::none(),
    );
    config.terminal_schedule =
        RetryPolicy::new(3, Duration::from_millis(5), Duration::from_millis(10));
    AllpayClient::new(config).unwrap()
}

/// The digest of the request, which Allpay echoes as `requestDsig`.
fn digest_of(request: &str) -> String {
    request
        .split_once("<DigestValue>")
        .and_then(|(_, rest)| rest.split_once("</DigestValue>"))
        .map(|(digest, _)| digest.to_owned())
        .unwrap()
}

/// An answer of `op` in `ns`, its `return` holding `inner`, echoing
/// `request_dsig`; unsigned.
fn answer(ns: &str, op: &str, inner: &str, request_dsig: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{request_dsig}</requestDsig></soapenv:Header><soapenv:Body><ns:{op}Response xmlns:ns="{ns}"><return>{inner}</return></ns:{op}Response></soapenv:Body></soapenv:Envelope>"#
    )
}

/// Signed with Allpay's (the sandbox's) key, as Allpay signs: the
/// Signature last in the Header.
fn signed(xml: &str) -> String {
    sign_envelope(xml, &SigningKey::from_pem(allpay_private_key()).unwrap())
        .unwrap()
        .xml
}

/// The signed envelope without its Signature, and the Signature.
fn take_signature(signed: &str) -> (String, String) {
    let start = signed.find("<Signature ").unwrap();
    let end = signed.find("</Signature>").unwrap() + "</Signature>".len();
    let signature = signed[start..end].to_owned();
    (format!("{}{}", &signed[..start], &signed[end..]), signature)
}

/// The Signature with `inside` added as its last child.
fn with_child(signature: &str, inside: &str) -> String {
    signature.replacen("</Signature>", &format!("{inside}</Signature>"), 1)
}

const OK: &str = "<header><userMessage>Операция выполнена успешно</userMessage><developerMessage>OK</developerMessage><status>0</status></header>";

fn terminal(status: &str) -> String {
    format!("{OK}<terminalPaymentTransactionStatus>{status}</terminalPaymentTransactionStatus>")
}

fn user_info(first_name: &str) -> String {
    format!(
        "{OK}<basicUserInfo><identified>true</identified><firstName>{first_name}</firstName></basicUserInfo>"
    )
}

fn payment(client: &AllpayClient, amount: &str) -> CashIn {
    CashIn {
        to_user: UserName::new("77019990000").unwrap(),
        amount: Money::parse(amount, Currency::KZT).unwrap(),
        guid: client.new_guid().unwrap(),
    }
}

fn is_signature_refusal(error: &Error) -> bool {
    matches!(error, Error::IntegrityMismatch { field, .. } if *field == "signature")
}

/// An old signed COMPLETED answer to another payment, replayed with the
/// new request's digest placed inside the Signature (which the digest
/// does not cover), the Signature moved to the front of the Header.
async fn replay_drive(inside: impl Fn(&str) -> String + Send + Sync + 'static) -> Error {
    let old = signed(&answer(
        CI_NS,
        "createCashInPayment",
        &terminal("COMPLETED"),
        "b2xkIHBheW1lbnQgQSdzIGRpZ2VzdA==",
    ));
    let server = forger(move |request| {
        let (rest, signature) = take_signature(&old);
        let signature = with_child(&signature, &inside(&digest_of(request)));
        rest.replacen(
            "<soapenv:Header>",
            &format!("<soapenv:Header>{signature}"),
            1,
        )
    })
    .await;
    let client = client(&server);
    let payment = payment(&client, "900000");
    let outcome = client.drive_cash_in_payment(&payment).await;
    // Never the replayed COMPLETED: the drive runs out unknown.
    let error = outcome.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    error
}

#[tokio::test]
async fn a_replayed_answer_with_the_echo_inside_the_signatures_object_is_not_completed() {
    let error = replay_drive(|digest| {
        format!(r#"<Object><requestDsig xmlns="https://allpay.kz">{digest}</requestDsig></Object>"#)
    })
    .await;
    assert!(error.to_string().contains("Signature"), "{error}");
}

#[tokio::test]
async fn a_replayed_answer_with_the_echo_inside_the_signature_is_not_completed() {
    let error = replay_drive(|digest| {
        format!(r#"<requestDsig xmlns="https://allpay.kz">{digest}</requestDsig>"#)
    })
    .await;
    assert!(error.to_string().contains("Signature"), "{error}");
}

/// A signed answer to this very request, altered by `alter` (given the
/// signed envelope), read by `checkUser`.
async fn check_user_with(
    inner: String,
    alter: impl Fn(String) -> String + Send + Sync + 'static,
) -> payments_core::Result<Option<allpay_soap::UserInfo>> {
    let server = forger(move |request| {
        alter(signed(&answer(
            CI_NS,
            "checkUser",
            &inner,
            &digest_of(request),
        )))
    })
    .await;
    let client = client(&server);
    client
        .check_user(&UserName::new("77011234567").unwrap())
        .await
}

#[tokio::test]
async fn an_unaltered_signed_answer_is_read() {
    let info = check_user_with(user_info("Айгерим"), |xml| xml)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.first_name.as_deref(), Some("Айгерим"));
}

#[tokio::test]
async fn a_signature_moved_into_the_body_is_refused() {
    let error = check_user_with(user_info("Айгерим"), |xml| {
        let (rest, signature) = take_signature(&xml);
        rest.replacen("<soapenv:Body>", &format!("<soapenv:Body>{signature}"), 1)
    })
    .await
    .unwrap_err();
    // Two elements in the Body, or the Signature misplaced: never read.
    assert!(
        matches!(error, Error::UndecodableResponse { .. }) || is_signature_refusal(&error),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_signature_moved_into_a_text_value_is_refused_not_read_in_pieces() {
    let error = check_user_with(user_info("Айгерим"), |xml| {
        let (rest, signature) = take_signature(&xml);
        rest.replacen("Айгерим", &format!("Ай{signature}герим"), 1)
    })
    .await
    .unwrap_err();
    assert!(is_signature_refusal(&error), "{error:?}");
    assert!(!error.to_string().contains("герим"), "{error}");
}

#[tokio::test]
async fn a_signature_moved_after_the_body_is_refused() {
    let error = check_user_with(user_info("Айгерим"), |xml| {
        let (rest, signature) = take_signature(&xml);
        rest.replacen("</soapenv:Body>", &format!("</soapenv:Body>{signature}"), 1)
    })
    .await
    .unwrap_err();
    assert!(
        matches!(error, Error::UndecodableResponse { .. }) || is_signature_refusal(&error),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_second_signature_is_refused() {
    let error = check_user_with(user_info("Айгерим"), |xml| {
        let (_, signature) = take_signature(&xml);
        xml.replacen(
            "</soapenv:Header>",
            &format!("{signature}</soapenv:Header>"),
            1,
        )
    })
    .await
    .unwrap_err();
    assert!(is_signature_refusal(&error), "{error:?}");
}

/// Signed, even: an answer with two `requestDsig` is not bound to one request.
#[tokio::test]
async fn a_second_request_dsig_is_refused() {
    let server = forger(|request| {
        let xml = answer(
            CI_NS,
            "checkUser",
            &user_info("Айгерим"),
            &digest_of(request),
        )
        .replacen(
            "<soapenv:Header>",
            r#"<soapenv:Header><requestDsig xmlns="https://allpay.kz">b3RoZXI=</requestDsig>"#,
            1,
        );
        signed(&xml)
    })
    .await;
    let error = client(&server)
        .check_user(&UserName::new("77011234567").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::UndecodableResponse { .. }),
        "{error:?}"
    );
}

/// Allpay's signed Fault, with a customer-facing message forged inside the
/// Signature: in `KeyInfo` (which the Signature may hold) it is not read;
/// in an `Object` the answer is refused.
#[tokio::test]
async fn forged_fault_text_inside_the_signature_is_never_shown() {
    for (holder, refused) in [("KeyInfo", false), ("Object", true)] {
        let server = forger(move |request| {
            let xml = format!(
                r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{}</requestDsig></soapenv:Header><soapenv:Body><soapenv:Fault><faultcode>soap:Server</faultcode><faultstring>USER_NOT_FOUND</faultstring><detail><developerMessage>user not found</developerMessage><userMessage>Пользователь не найден</userMessage></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#,
                digest_of(request)
            );
            let (rest, signature) = take_signature(&signed(&xml));
            let signature = with_child(
                &signature,
                &format!("<{holder}><detail><userMessage>FORGED: pay to card 4400</userMessage><developerMessage>FORGED</developerMessage></detail></{holder}>"),
            );
            rest.replacen(
                "<soapenv:Header>",
                &format!("<soapenv:Header>{signature}"),
                1,
            )
        })
        .await;
        let error = client(&server)
            .check_user(&UserName::new("77011234567").unwrap())
            .await
            .unwrap_err();
        assert!(
            !format!("{error} {error:?}").contains("FORGED"),
            "{error:?}"
        );
        if refused {
            assert!(is_signature_refusal(&error), "{error:?}");
        } else {
            let decline = error.decline().unwrap_or_else(|| panic!("{error:?}"));
            assert_eq!(
                decline.user_message.as_deref(),
                Some("Пользователь не найден")
            );
            assert_eq!(decline.message, "user not found");
        }
    }
}

#[tokio::test]
async fn another_declared_encoding_is_refused() {
    let error = check_user_with(user_info("Айгерим"), |xml| {
        format!("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>{xml}")
    })
    .await
    .unwrap_err();
    assert!(
        matches!(&error, Error::UndecodableResponse { detail, .. } if detail.contains("encoding")),
        "{error:?}"
    );
    // UTF-8 declared, and a byte order mark: read.
    let info = check_user_with(user_info("Айгерим"), |xml| {
        format!("\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>{xml}")
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(info.first_name.as_deref(), Some("Айгерим"));
}

/// A hostile answer, read by `checkUser` with verification on: refused,
/// in well under a second (a debug build; release is milliseconds).
async fn refused_quickly(hostile: String) -> Error {
    assert!(hostile.len() <= CAP, "{}", hostile.len());
    let server = forger(move |_| hostile.clone()).await;
    let client = client(&server);
    let started = Instant::now();
    let error = client
        .check_user(&UserName::new("77011234567").unwrap())
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "{took:?}: {error:?}");
    error
}

fn in_body(content: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>{content}</soapenv:Body></soapenv:Envelope>"#
    )
}

#[tokio::test]
async fn an_answer_nested_100000_deep_is_refused_quickly() {
    let depth = 100_000;
    let hostile = in_body(&format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth)));
    let error = refused_quickly(hostile).await;
    assert!(
        matches!(&error, Error::UndecodableResponse { detail, .. } if detail.contains("deeper")),
        "{error:?}"
    );
}

#[tokio::test]
async fn namespace_and_attribute_bombs_at_the_cap_are_refused_quickly() {
    // 3,000 declarations on one element, then empty elements to the cap.
    let declarations: String = (0..3000)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
        .collect();
    let mut bomb = format!("<r{declarations}>");
    while bomb.len() < CAP - 400 {
        bomb.push_str("<e/>");
    }
    bomb.push_str("</r>");
    refused_quickly(in_body(&bomb)).await;

    // Within the per-element limits: 16 declarations on each of 16 nested
    // elements, then empty elements to the cap.
    let mut bomb = String::new();
    for level in 0..16 {
        let declarations: String = (0..16)
            .map(|i| format!(" xmlns:p{level}x{i}=\"urn:{level}:{i}\""))
            .collect();
        bomb.push_str(&format!("<r{declarations}>"));
    }
    let close = "</r>".repeat(16);
    while bomb.len() < CAP - 400 - close.len() {
        bomb.push_str("<e/>");
    }
    bomb.push_str(&close);
    refused_quickly(in_body(&bomb)).await;

    // Attributes on one element to the cap.
    let mut bomb = String::from("<r");
    let mut i = 0;
    while bomb.len() < CAP - 400 {
        bomb.push_str(&format!(" a{i}=\"\""));
        i += 1;
    }
    bomb.push_str("/>");
    refused_quickly(in_body(&bomb)).await;

    // Nested elements each declaring a new prefix, to the depth limit.
    let mut bomb = String::new();
    for level in 0..250 {
        bomb.push_str(&format!("<r xmlns:p{level}=\"urn:{level}\">"));
    }
    bomb.push_str(&"</r>".repeat(250));
    let error = refused_quickly(in_body(&bomb)).await;
    assert!(
        matches!(
            error,
            Error::UndecodableResponse { .. } | Error::IntegrityMismatch { .. }
        ),
        "{error:?}"
    );
}

/// A signed answer for this request that echoes another GUID, transaction
/// id or amount is not the answer to this request.
#[tokio::test]
async fn echoed_guid_transaction_id_and_amount_are_compared_with_the_request() {
    fn info(guid: &str, amount: &str, id: i64) -> String {
        format!(
            "{OK}<transactionInfo><GUID>{guid}</GUID><amount>{amount}</amount><transactionId>{id}</transactionId><transactionStatus>COMPLETED</transactionStatus></transactionInfo>"
        )
    }
    let field_of = |error: &Error| match error {
        Error::IntegrityMismatch { field, .. } => field.to_string(),
        other => panic!("{other:?}"),
    };
    // completeTransaction of ({guid}, 5001), answered for another GUID, then another id.
    for (echoed_guid, echoed_id, field) in [
        ("{00000000-0000-4000-8000-000000000000}", 5001, "GUID"),
        ("", 5002, "transactionId"),
    ] {
        let server = forger(move |request| {
            let guid = request
                .split_once("<GUID>")
                .and_then(|(_, rest)| rest.split_once("</GUID>"))
                .map(|(guid, _)| guid.to_owned())
                .unwrap();
            let echoed = if echoed_guid.is_empty() {
                guid
            } else {
                echoed_guid.to_owned()
            };
            signed(&answer(
                TM_NS,
                "completeTransaction",
                &info(&echoed, "100", echoed_id),
                &digest_of(request),
            ))
        })
        .await;
        let client = client(&server);
        let guid = client.new_guid().unwrap();
        let error = client.complete_transaction(&guid, 5001).await.unwrap_err();
        assert_eq!(field_of(&error), field, "{error:?}");
    }
    // createCashInTransaction of 100 KZT answered for 900,000.
    let server = forger(|request| {
        let guid = request
            .split_once("<GUID>")
            .and_then(|(_, rest)| rest.split_once("</GUID>"))
            .map(|(guid, _)| guid.to_owned())
            .unwrap();
        signed(&answer(
            TM_NS,
            "createCashInTransaction",
            &info(&guid, "900000", 7).replace("COMPLETED", "PENDING"),
            &digest_of(request),
        ))
    })
    .await;
    let two_phase = client(&server);
    let error = two_phase
        .create_cash_in_transaction(&payment(&two_phase, "100"))
        .await
        .unwrap_err();
    assert_eq!(field_of(&error), "amount", "{error:?}");
    // echo answered with another message.
    let server = forger(|request| {
        signed(&format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{}</requestDsig></soapenv:Header><soapenv:Body><ns:echoResponse xmlns:ns="{CI_NS}"><return>pong</return></ns:echoResponse></soapenv:Body></soapenv:Envelope>"#,
            digest_of(request)
        ))
    })
    .await;
    let error = client(&server).echo("ping").await.unwrap_err();
    assert_eq!(field_of(&error), "return", "{error:?}");
}

/// Fields read only where the schema puts them: a field given twice, or a
/// status holding markup, is refused (signed, so only the reading is tested).
#[tokio::test]
async fn a_field_twice_or_holding_markup_is_refused() {
    for inner in [
        user_info("Айгерим").replace(
            "<status>0</status>",
            "<status>0</status><status>17</status>",
        ),
        user_info("Ай<!-- x -->герим"),
        user_info("Ай<b>x</b>герим"),
    ] {
        let error = check_user_with(inner.clone(), |xml| xml).await.unwrap_err();
        assert!(
            matches!(error, Error::UndecodableResponse { .. }),
            "{inner}: {error:?}"
        );
    }
}
