//! Allpay over a mock server: what goes on the wire (SOAPAction, content
//! type, the signed envelope), and how every kind of answer is read.

use std::time::Duration;

use allpay_soap::dsig::{SigningKey, VerifyingKey, sign_envelope};
use allpay_soap::sandbox::{allpay_private_key, allpay_public_key, merchant_private_key};
use allpay_soap::{
    AllpayClient, AllpayConfig, CashIn, TerminalStatus, TransactionStatus, UserName,
};
use httpmock::prelude::*;
use payments_core::http::{HttpConfig, RetryPolicy, Timeouts};
use payments_core::reference::MerchantReference;
use payments_core::{BaseUrl, Currency, Error, Money};

const CASH_IN: &str = "/allpay-public-soap/cash-in-transaction-management/v1.1";
const TM: &str = "/allpay-public-soap/transaction-management/v1.1";
const TM_NS: &str = "http://www.allpay.kz/mfs/soap/TransactionManagement/1.1";
const CI_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";

fn config(server: &MockServer) -> AllpayConfig {
    let mut config = AllpayConfig::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        "agent-7",
        "1001",
        SigningKey::from_pem(merchant_private_key()).unwrap(),
        VerifyingKey::from_pem(allpay_public_key()).unwrap(),
    );
    config.http = HttpConfig::new(
        Timeouts::new(Duration::from_secs(2), Duration::from_secs(2)),
        1 << 20,
        RetryPolicy::none(),
    );
    config.terminal_schedule =
        RetryPolicy::new(3, Duration::from_millis(5), Duration::from_millis(10));
    config
}

/// Answers are not signed in these parsing tests: verification is off, explicitly.
fn unverified(server: &MockServer) -> AllpayClient {
    AllpayClient::new(config(server).disable_response_verification_insecure()).unwrap()
}

fn user() -> UserName {
    UserName::new("77011234567").unwrap()
}

fn check_user_answer(envelope_prefix: &str, ns_prefix: &str, info: &str) -> String {
    let p = envelope_prefix;
    let n = ns_prefix;
    format!(
        r#"<{p}:Envelope xmlns:{p}="http://schemas.xmlsoap.org/soap/envelope/"><{p}:Header/><{p}:Body><{n}:checkUserResponse xmlns:{n}="{CI_NS}"><return><header><userMessage>Операция выполнена</userMessage><developerMessage>OK</developerMessage><status>0</status><timestamp>2026-11-23T10:00:00+05:00</timestamp></header>{info}<somethingNew>ignored</somethingNew></return></{n}:checkUserResponse></{p}:Body></{p}:Envelope>"#
    )
}

#[tokio::test]
async fn check_user_sends_soap_action_content_type_and_a_signed_envelope() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(CASH_IN)
                .header("soapaction", "\"checkUser\"")
                .header("content-type", "text/xml; charset=utf-8")
                .body_includes(r#"<certificateNumber xmlns="https://allpay.kz">1001</certificateNumber>"#)
                .body_includes(r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">"#)
                .body_includes(format!(r#"<ns:checkUser xmlns:ns="{CI_NS}"><CheckUserRequest><header><lang>ru</lang>"#))
                .body_includes("<requester>agent-7</requester></header><userName>77011234567</userName></CheckUserRequest>");
            then.status(200).body(check_user_answer("soapenv", "ns", "<basicUserInfo><identified>true</identified><IIN>900101300123</IIN><firstName>Айгерим</firstName></basicUserInfo>"));
        })
        .await;
    let info = unverified(&server)
        .check_user(&user())
        .await
        .unwrap()
        .unwrap();
    mock.assert_async().await;
    assert!(info.identified);
    assert_eq!(info.first_name.as_deref(), Some("Айгерим"));
    insta::assert_debug_snapshot!("check_user_answer", info);
}

#[tokio::test]
async fn answers_are_read_by_namespace_whatever_the_prefixes() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(CASH_IN);
            then.status(200).body(check_user_answer(
                "soap",
                "ns2",
                "<basicUserInfo><identified>false</identified></basicUserInfo>",
            ));
        })
        .await;
    let info = unverified(&server)
        .check_user(&user())
        .await
        .unwrap()
        .unwrap();
    assert!(!info.identified);
}

#[tokio::test]
async fn an_absent_basic_user_info_means_no_such_user() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(CASH_IN);
            then.status(200)
                .body(check_user_answer("soapenv", "ns", ""));
        })
        .await;
    assert_eq!(unverified(&server).check_user(&user()).await.unwrap(), None);
}

#[tokio::test]
async fn a_wrong_namespace_or_an_empty_body_is_undecodable_not_a_silent_default() {
    for body in [
        check_user_answer("soapenv", "ns", "").replace(CI_NS, "http://example.com/other"),
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>"#.to_owned(),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.path(CASH_IN);
                then.status(200).body(body.clone());
            })
            .await;
        let error = unverified(&server).check_user(&user()).await.unwrap_err();
        assert!(
            matches!(&error, Error::UndecodableResponse { detail, .. } if detail.starts_with("neither")),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn not_soap_at_all_is_undecodable() {
    for (status, body, detail) in [
        (
            200,
            "<html><body>502</body></html>",
            "not a SOAP 1.1 Envelope",
        ),
        (200, "", "not XML"),
        (
            200,
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Bo",
            "not XML",
        ),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.path(CASH_IN);
                then.status(status).body(body);
            })
            .await;
        match unverified(&server).check_user(&user()).await.unwrap_err() {
            Error::UndecodableResponse { detail: d, .. } => {
                assert!(d.starts_with(detail), "{body:?}: {d}");
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

fn fault(code: &str, string: &str, detail: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>{code}</faultcode><faultstring>{string}</faultstring>{detail}</soap:Fault></soap:Body></soap:Envelope>"#
    )
}

#[tokio::test]
async fn business_faults_become_declines_with_the_detail_messages() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(TM);
            then.status(500).body(fault(
                "soap:Server",
                "USER_NOT_FOUND",
                "<detail><ns3:error xmlns:ns3=\"urn:x\"><developerMessage>user 7701 not found</developerMessage><userMessage>Пользователь не найден</userMessage><stackHash>ab12</stackHash></ns3:error></detail>",
            ));
        })
        .await;
    let client = unverified(&server);
    let payment = payment(&client, "100");
    let error = client
        .create_cash_in_transaction(&payment)
        .await
        .unwrap_err();
    let decline = error.decline().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(decline.code, "soap:Server");
    assert_eq!(decline.message, "user 7701 not found (stackHash ab12)");
    assert_eq!(
        decline.user_message.as_deref(),
        Some("Пользователь не найден")
    );
    assert!(error.outcome_known());
    // The GUID is Allpay's handle on the transaction and the merchant's
    // reference; SOAP answers a Fault with HTTP 500.
    let diagnostics = error.diagnostics();
    assert_eq!(
        diagnostics.correlation_id.as_deref(),
        Some(payment.guid.as_str())
    );
    assert_eq!(error.reference(), Some(payment.guid.as_str()));
    assert_eq!(diagnostics.http_status, Some(500));
}

#[tokio::test]
async fn the_sign_error_fault_is_an_authentication_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(CASH_IN);
            then.status(500).body(fault(
                "soap:Client",
                "Sign Error: bad sign or authorization token",
                "",
            ));
        })
        .await;
    // With verification on: an unsigned Fault is still read.
    let client = AllpayClient::new(config(&server)).unwrap();
    let error = client.check_user(&user()).await.unwrap_err();
    assert!(
        matches!(&error, Error::Authentication { message, .. } if message.contains("Sign Error")),
        "{error:?}"
    );
}

#[tokio::test]
async fn unknown_status_values_are_kept() {
    let server = MockServer::start_async().await;
    let answer = soap_return(
        CI_NS,
        "createCashInPayment",
        r#"<header><status>0</status></header><terminalPaymentTransactionStatus>ON_HOLD</terminalPaymentTransactionStatus><reason>проверка</reason>"#,
    );
    server
        .mock_async(|when, then| {
            when.path(CASH_IN)
                .header("soapaction", "\"createCashInPayment\"");
            then.status(200).body(answer.clone());
        })
        .await;
    let client = unverified(&server);
    let payment = payment(&client, "1500");
    let answer = client.create_cash_in_payment(&payment).await.unwrap();
    assert_eq!(answer.status, TerminalStatus::Unknown("ON_HOLD".into()));
    assert!(!answer.status.is_final());
    assert_eq!(answer.reason.as_deref(), Some("проверка"));
}

#[tokio::test]
async fn a_header_status_other_than_zero_is_a_decline() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(CASH_IN);
            then.status(200).body(
                check_user_answer("soapenv", "ns", "")
                    .replace("<status>0</status>", "<status>17</status>")
                    .replace(">OK<", ">LIMIT<"),
            );
        })
        .await;
    let error = unverified(&server).check_user(&user()).await.unwrap_err();
    let decline = error.decline().unwrap();
    assert_eq!(
        (decline.code.as_str(), decline.message.as_str()),
        ("17", "LIMIT")
    );
    assert_eq!(decline.user_message.as_deref(), Some("Операция выполнена"));
}

#[tokio::test]
async fn an_unsigned_answer_fails_verification() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(CASH_IN);
            then.status(200)
                .body(check_user_answer("soapenv", "ns", ""));
        })
        .await;
    let error = AllpayClient::new(config(&server))
        .unwrap()
        .check_user(&user())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field, .. } if *field == "signature"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_signed_answer_for_another_request_fails_the_request_dsig_check() {
    let server = MockServer::start_async().await;
    let answer = check_user_answer("soapenv", "ns", "")
        .replace("<soapenv:Header/>", "<soapenv:Header><requestDsig xmlns=\"https://allpay.kz\">c29tZXRoaW5nIGVsc2U=</requestDsig></soapenv:Header>");
    let signed = sign_envelope(
        &answer,
        &SigningKey::from_pem(allpay_private_key()).unwrap(),
    )
    .unwrap();
    server
        .mock_async(|when, then| {
            when.path(CASH_IN);
            then.status(200).body(signed.xml.clone());
        })
        .await;
    let error = AllpayClient::new(config(&server))
        .unwrap()
        .check_user(&user())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field, .. } if *field == "requestDsig"),
        "{error:?}"
    );
}

#[tokio::test]
async fn two_phase_answers_are_parsed_into_money() {
    let server = MockServer::start_async().await;
    let answer = |op: &str, status: &str| {
        format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:{op}Response xmlns:ns="http://www.allpay.kz/mfs/soap/TransactionManagement/1.1"><return><header><status>0</status></header><transactionInfo><GUID>{{94e1893e-ef38-4ee2-9121-4f2dfad25d9a}}</GUID><amount>1500.50</amount><transactionId>5001</transactionId><transactionStatus>{status}</transactionStatus><commission>7.5</commission><commissionTo>0</commissionTo></transactionInfo></return></ns:{op}Response></soapenv:Body></soapenv:Envelope>"#
        )
    };
    for (action, op, status) in [
        ("completeTransaction", "completeTransaction", "COMPLETED"),
        ("declineTransaction", "declineTransaction", "DECLINED"),
    ] {
        server
            .mock_async(|when, then| {
                when.path(TM)
                    .header("soapaction", format!("\"{action}\""))
                    .body_includes("<transactionId>5001</transactionId>");
                then.status(200).body(answer(op, status));
            })
            .await;
    }
    let client = unverified(&server);
    let guid = MerchantReference::new(
        "{94e1893e-ef38-4ee2-9121-4f2dfad25d9a}",
        &allpay_soap::BRACED_GUID_RULES,
    )
    .unwrap();
    let done = client.complete_transaction(&guid, 5001).await.unwrap();
    assert_eq!(done.status, TransactionStatus::Completed);
    assert_eq!(done.amount, Money::parse("1500.5", Currency::KZT).unwrap());
    assert_eq!(
        done.commission,
        Some(Money::parse("7.5", Currency::KZT).unwrap())
    );
    insta::assert_debug_snapshot!("complete_transaction_answer", done);
    assert_eq!(
        client
            .decline_transaction(&guid, 5001)
            .await
            .unwrap()
            .status,
        TransactionStatus::Declined
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body("");
        })
        .await;
    let client = unverified(&server);
    assert!(matches!(
        UserName::new("7701 123"),
        Err(Error::InvalidInput { .. })
    ));
    for (amount, guid) in [
        ("1500", "not-a-guid"),
        ("0", "{94e1893e-ef38-4ee2-9121-4f2dfad25d9a}"),
    ] {
        let payment = CashIn {
            to_user: user(),
            amount: Money::parse(amount, Currency::KZT).unwrap(),
            guid: MerchantReference::new(
                guid,
                &payments_core::reference::ReferenceRules {
                    field: "GUID",
                    max_len: 64,
                    charset: payments_core::reference::Charset::PrintableAscii,
                },
            )
            .unwrap(),
        };
        assert!(
            matches!(
                client.create_cash_in_payment(&payment).await,
                Err(Error::InvalidInput { .. })
            ),
            "{amount} {guid}"
        );
    }
    let usd = CashIn {
        to_user: user(),
        amount: Money::parse("1", Currency::USD).unwrap(),
        guid: client.new_guid().unwrap(),
    };
    assert!(matches!(
        client.create_cash_in_transaction(&usd).await,
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(any.calls_async().await, 0);
}

/// The SOAP answer of `op` in namespace `ns`, its `return` holding `inner`.
fn soap_return(ns: &str, op: &str, inner: &str) -> String {
    format!(
        r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><n:{op}Response xmlns:n="{ns}"><return>{inner}</return></n:{op}Response></S:Body></S:Envelope>"#
    )
}

/// A cash-in of `amount` KZT to the test user, under a new GUID.
fn payment(client: &AllpayClient, amount: &str) -> CashIn {
    CashIn {
        to_user: user(),
        amount: kzt(amount),
        guid: client.new_guid().unwrap(),
    }
}

fn kzt(amount: &str) -> Money {
    Money::parse(amount, Currency::KZT).unwrap()
}

/// Allpay's terminal-payment rule: anything but a final status is PENDING —
/// an HTTP 500 `soap:Server` Fault included. The identical request is
/// repeated, and the drive ends on the final status.
#[tokio::test]
async fn a_500_fault_to_a_terminal_payment_is_pending_and_the_same_request_is_repeated() {
    let server = MockServer::start_async().await;
    let completed = soap_return(
        CI_NS,
        "createCashInPayment",
        r#"<header><status>0</status></header><terminalPaymentTransactionStatus>COMPLETED</terminalPaymentTransactionStatus>"#,
    );
    let faulting = server
        .mock_async(|when, then| {
            when.path(CASH_IN)
                .header("soapaction", "\"createCashInPayment\"");
            then.status(500).body(fault(
                "soap:Server",
                "Internal error",
                "<detail><developerMessage>db timeout</developerMessage></detail>",
            ));
        })
        .await;
    let client = unverified(&server);
    let payment = payment(&client, "1500");
    // Every answer a Fault: the schedule runs out, and the payment is
    // unknown — carrying the last fault — never declined.
    let error = client.drive_cash_in_payment(&payment).await.unwrap_err();
    match &error {
        Error::OutcomeUnknown {
            reference, reason, ..
        } => {
            assert_eq!(reference.as_deref(), Some(payment.guid.as_str()));
            assert!(
                reason.contains("soap:Server") && reason.contains("db timeout"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(faulting.calls_async().await, 3, "the whole schedule");
    faulting.delete_async().await;
    // Allpay is back: the same request (same GUID) settles it.
    let done = server
        .mock_async(|when, then| {
            when.path(CASH_IN).body_includes(payment.guid.as_str());
            then.status(200).body(completed.clone());
        })
        .await;
    let settled = client.drive_cash_in_payment(&payment).await.unwrap();
    assert_eq!(settled.status, TerminalStatus::Completed);
    done.assert_async().await;
}

/// A header status other than 0 to a money-moving call is not documented as
/// a refusal: unknown, not declined.
#[tokio::test]
async fn a_header_status_other_than_zero_to_a_money_moving_call_is_unknown() {
    let server = MockServer::start_async().await;
    let answer = soap_return(
        CI_NS,
        "createCashInPayment",
        r#"<header><status>17</status><developerMessage>SYSTEM</developerMessage></header><terminalPaymentTransactionStatus>DECLINED</terminalPaymentTransactionStatus>"#,
    );
    server
        .mock_async(|when, then| {
            when.path(CASH_IN);
            then.status(200).body(answer.clone());
        })
        .await;
    let client = unverified(&server);
    let payment = payment(&client, "1500");
    let error = client.create_cash_in_payment(&payment).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_eq!(error.provider_decline().unwrap().code, "17");
    let diagnostics = error.diagnostics();
    assert_eq!(
        diagnostics.correlation_id.as_deref(),
        Some(payment.guid.as_str())
    );
    assert_eq!(diagnostics.http_status, Some(200));
}

/// An unsigned Fault to a two-phase money-moving call (a balancer, a
/// crashed handler) is not Allpay's word: unknown.
#[tokio::test]
async fn an_unsigned_fault_to_a_two_phase_call_is_unknown_with_verification_on() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(TM);
            then.status(500)
                .body(fault("soap:Server", "Internal error", ""));
        })
        .await;
    let client = AllpayClient::new(config(&server)).unwrap();
    let payment = payment(&client, "100");
    let error = client
        .create_cash_in_transaction(&payment)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
}

/// `agentBalanceResponse` is an `xs:string` in Allpay's schema: the text is
/// kept, and read as money only when it is exactly a KZT decimal.
#[tokio::test]
async fn the_agent_balance_keeps_its_text_and_is_money_only_when_exact() {
    for (text, amount) in [
        ("1500.50", Some("1500.50")),
        ("0", Some("0")),
        ("1 000 000,00", None),
        ("1500.505", None),
        ("1.5E3", None),
        ("KZT 1500", None),
    ] {
        let server = MockServer::start_async().await;
        let answer = soap_return(
            TM_NS,
            "availableBalance",
            &format!(
                r#"<header><status>0</status></header><agentBalanceResponse>{text}</agentBalanceResponse>"#
            ),
        );
        server
            .mock_async(|when, then| {
                when.path(TM).header("soapaction", "\"availableBalance\"");
                then.status(200).body(answer.clone());
            })
            .await;
        let balance = unverified(&server).available_balance().await.unwrap();
        assert_eq!(balance.text, text);
        assert_eq!(balance.amount, amount.map(kzt), "{text}");
    }
}

/// The published schema requires the header's messages and timestamp and the
/// commissions; the crate reads answers with them and without them.
#[tokio::test]
async fn answers_with_and_without_the_published_required_fields_are_read() {
    let full = "<header><userMessage>Операция выполнена</userMessage><developerMessage>OK</developerMessage><status>0</status><timestamp>2026-11-23T10:00:00+05:00</timestamp></header><transactionInfo><GUID>g</GUID><amount>100</amount><transactionId>7</transactionId><transactionStatus>PENDING</transactionStatus><commission>1.50</commission><commissionTo>0.25</commissionTo></transactionInfo>";
    let lean = "<header><status>0</status></header><transactionInfo><GUID>g</GUID><amount>100</amount><transactionId>7</transactionId><transactionStatus>PENDING</transactionStatus></transactionInfo>";
    for (inner, commission) in [(full, Some("1.50")), (lean, None)] {
        let server = MockServer::start_async().await;
        let client = unverified(&server);
        let payment = payment(&client, "100");
        let inner = inner.replace("<GUID>g</GUID>", &format!("<GUID>{}</GUID>", payment.guid));
        let answer = soap_return(TM_NS, "createCashInTransaction", &inner);
        server
            .mock_async(|when, then| {
                when.path(TM);
                then.status(200).body(answer.clone());
            })
            .await;
        let transaction = client.create_cash_in_transaction(&payment).await.unwrap();
        assert_eq!(transaction.transaction_id, 7);
        assert_eq!(transaction.commission, commission.map(kzt));
    }
}
