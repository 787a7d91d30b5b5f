//! Every operation against a mock server: the exact request on the wire
//! (method, path, headers, body) and the parsed answer; token renewal; the
//! checks that stop a cash-out; malformed answers.

// Fixture builders take JSON values by value so the expected bodies read inline.
#![allow(clippy::needless_pass_by_value)]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use httpmock::prelude::*;
use jawali::{
    CashOut, JawaliClient, JawaliConfig, MobileNumber, TransactionState, VoucherCode, VoucherState,
};
use payments_core::clock::ManualClock;
use payments_core::http::RetryPolicy;
use payments_core::reference::{MerchantReference, SequentialReferences};
use payments_core::testkit::{assert_no_secret, error_texts};
use payments_core::{BaseUrl, Currency, DeclineKind, Environment, Error, Money, SecretString};
use serde_json::{Value, json};

const NOW_MS: u64 = 1_700_000_000_000;

fn config(server: &MockServer) -> JawaliConfig {
    let mut config = JawaliConfig::new(
        Environment::Custom(BaseUrl::parse(&server.base_url()).unwrap()),
        "merchant",
        SecretString::from("login-pw"),
        "1234",
        "777000111",
        SecretString::from("wallet-pw"),
    )
    .external_user("shop");
    config.http = payments_core::testkit::quick_http(Duration::from_secs(2));
    config
}

fn client(server: &MockServer) -> JawaliClient {
    JawaliClient::builder(config(server))
        .references(Arc::new(SequentialReferences::new("ref")))
        .correlation_ids(Arc::new(SequentialReferences::new("corr")))
        .clock(Arc::new(ManualClock::new(
            UNIX_EPOCH + Duration::from_millis(NOW_MS),
        )))
        .settle_policy(RetryPolicy::new(
            3,
            Duration::from_millis(1),
            Duration::from_millis(2),
        ))
        .build()
        .unwrap()
}

fn envelope(corr: &str, service: &str, body: Value) -> Value {
    let domain = if service.starts_with("PAYWA.") {
        "WalletDomain"
    } else {
        "MerchantDomain"
    };
    json!({
        "header": {
            "serviceDetail": {"corrID": corr, "domainName": domain, "serviceName": service},
            "signonDetail": {"clientID": "WeCash", "orgID": "1234", "userID": "merchant", "externalUser": "shop"},
            "messageContext": {"clientDate": NOW_MS.to_string(), "bodyType": "Clear"}
        },
        "body": body
    })
}

fn success(body: Value) -> Value {
    json!({"responseStatus": {"systemStatus": "0", "systemStatusDesc": "Success", "systemStatusDescNative": "تمت العملية بنجاح"}, "responseBody": body})
}

fn failure(code: &str, desc: &str, native: &str) -> Value {
    json!({"responseStatus": {"systemStatus": code, "systemStatusDesc": desc, "systemStatusDescNative": native}, "responseBody": null})
}

fn wallet(token: &str) -> Value {
    json!({"agentWallet": "777000111", "password": "wallet-pw", "accessToken": token})
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base.as_object_mut().unwrap().insert(k.clone(), v.clone());
    }
    base
}

/// LOGIN answering `AT1`, WALLETAUTHENTICATION (corr-000001) answering `WT1`.
async fn tokens(server: &MockServer) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/oauth/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("user-agent", concat!("jawali/", env!("CARGO_PKG_VERSION")))
                .body("grant_type=password&client_id=restapp&client_secret=restapp&scope=read&username=merchant&password=login-pw");
            then.status(200).json_body(json!({"access_token": "AT1", "token_type": "bearer", "refresh_token": "RT1", "expires_in": 3600, "scope": "read"}));
        })
        .await;
    let auth = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .header("authorization", "Bearer AT1")
                .header("content-type", "application/json")
                .json_body(envelope(
                    "corr-000001",
                    "PAYWA.WALLETAUTHENTICATION",
                    json!({"identifier": "777000111", "password": "wallet-pw"}),
                ));
            then.status(200)
                .json_body(success(json!({"access_token": "WT1"})));
        })
        .await;
    (login, auth)
}

/// LOGIN answering `AT1`; WALLETAUTHENTICATION answering `WT1` the first
/// time and `WT2` after, for tests where the provider refuses the first
/// wallet token.
async fn tokens_with_one_wallet_renewal(
    server: &MockServer,
) -> (httpmock::Mock<'_>, httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let login = server
        .mock_async(|when, then| {
            when.path("/paygate/oauth/token");
            then.status(200).json_body(json!({"access_token": "AT1"}));
        })
        .await;
    let first = answering(
        server,
        "WALLETAUTHENTICATION",
        success(json!({"access_token": "WT1"})),
    )
    .await;
    first.up_to_n_times_async(1).await;
    let second = answering(
        server,
        "WALLETAUTHENTICATION",
        success(json!({"access_token": "WT2"})),
    )
    .await;
    (login, first, second)
}

/// A `callWS` for `service` (a word its body includes) answered with `answer`.
async fn answering<'a>(server: &'a MockServer, service: &str, answer: Value) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS").body_includes(service);
            then.status(200).json_body(answer);
        })
        .await
}

/// As [`answering`], for the request under `wallet_token` and `ref_id` only.
async fn answering_under<'a>(
    server: &'a MockServer,
    service: &str,
    wallet_token: &str,
    ref_id: &str,
    answer: Value,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .body_includes(service)
                .body_includes(format!(r#""accessToken":"{wallet_token}""#))
                .body_includes(format!(r#""refId":"{ref_id}""#));
            then.status(200).json_body(answer);
        })
        .await
}

/// A cash-out of the test voucher for `amount` YER under `reference`.
fn cash_out_request(amount: &str, reference: &str) -> CashOut {
    CashOut {
        voucher: voucher(),
        customer_mobile: mobile(),
        amount: yer(amount),
        reference: MerchantReference::new(reference, &jawali::REF_ID_RULES).unwrap(),
        purpose: None,
    }
}

fn yer(amount: &str) -> Money {
    Money::parse(amount, Currency::YER).unwrap()
}

fn mobile() -> MobileNumber {
    MobileNumber::new("+967771234567").unwrap()
}

fn voucher() -> VoucherCode {
    VoucherCode::new("483920").unwrap()
}

fn inquiry_body(token: &str, corr_ref: &str) -> Value {
    with(
        wallet(token),
        json!({"voucher": "483920", "receiverMobile": "771234567", "refId": corr_ref, "purpose": "Online purchase"}),
    )
}

fn voucher_answer(state: &str, amount: Value, currency: &str) -> Value {
    success(json!({
        "txnamount": amount, "txncurrency": currency, "state": state, "issuerTrxRef": "ISS-77",
        "receiverMobile": "771234567", "senderMobile": "733000001", "trxDate": "2026-11-23 10:00:00", "unknownField": {"x": 1}
    }))
}

#[tokio::test]
async fn login_is_a_form_encoded_password_grant_then_the_wallet_is_authenticated() {
    let server = MockServer::start_async().await;
    let (login, auth) = tokens(&server).await;
    client(&server).authenticate_wallet().await.unwrap();
    login.assert_async().await;
    auth.assert_async().await;
}

#[tokio::test]
async fn inquiry_sends_the_exact_envelope_and_parses_the_voucher() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let inquiry = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .header("authorization", "Bearer AT1")
                .header("content-type", "application/json")
                .json_body(envelope(
                    "corr-000002",
                    "PAYAG.ECOMMERCEINQUIRY",
                    inquiry_body("WT1", "ref-000001"),
                ));
            then.status(200)
                .json_body(voucher_answer("PENDING", json!(1500), "YER"));
        })
        .await;
    let voucher = client(&server)
        .inquire_voucher(&voucher(), &mobile())
        .await
        .unwrap();
    inquiry.assert_async().await;
    assert_eq!(voucher.state, VoucherState::Pending);
    assert_eq!(voucher.amount, yer("1500"));
    insta::assert_debug_snapshot!("inquiry_answer", voucher);
}

#[tokio::test]
async fn cash_out_writes_the_amount_exactly_and_parses_the_receipt() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let cash_out = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .header("authorization", "Bearer AT1")
                .header("content-type", "application/json")
                .body_includes(r#""amount":1500.5,"currency":"YER""#)
                .json_body(envelope(
                    "corr-000002",
                    "PAYAG.ECOMMCASHOUT",
                    with(inquiry_body("WT1", "order-1"), json!({"amount": 1500.5, "currency": "YER"})),
                ));
            then.status(200).json_body(success(json!({
                "amount": 1500.5, "refId": "order-1", "IssuerRef": 9_876_543_210_u64, "Currency": "YER", "balance": "25000.50", "status": "ACCEPTED"
            })));
        })
        .await;
    let request = cash_out_request("1500.50", "order-1");
    let receipt = client(&server).cash_out(&request).await.unwrap();
    cash_out.assert_async().await;
    assert_eq!(receipt.amount, yer("1500.5"));
    assert_eq!(receipt.balance, Some(yer("25000.5")));
    assert_eq!(
        receipt.issuer_reference.as_ref().unwrap().as_str(),
        "9876543210"
    );
    insta::assert_debug_snapshot!("cash_out_answer", receipt);
}

#[tokio::test]
async fn check_status_finds_an_operation_or_says_not_found() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let found = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .header("content-type", "application/json")
                .json_body(envelope("corr-000002", "PAYAG.AGENTCHECKSTATUS", with(wallet("WT1"), json!({"refId": "order-1"}))));
            then.status(200).json_body(success(json!({"refId": "order-1", "status": "SUCCESS", "amount": 1500, "currency": "886", "issuerRef": "ISS-1"})));
        })
        .await;
    let missing = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .header("content-type", "application/json")
                .json_body(envelope(
                    "corr-000003",
                    "PAYAG.AGENTCHECKSTATUS",
                    with(wallet("WT1"), json!({"refId": "order-2"})),
                ));
            then.status(200).json_body(failure(
                "-110",
                "Transaction not found",
                "العملية غير موجودة",
            ));
        })
        .await;
    let client = client(&server);
    let reference = |r| MerchantReference::new(r, &jawali::REF_ID_RULES).unwrap();
    let status = client.check_status(&reference("order-1")).await.unwrap();
    assert_eq!(status.state, TransactionState::Succeeded);
    assert_eq!(
        status.amount,
        Some(yer("1500")),
        "numeric currency code 886 is YER"
    );
    insta::assert_debug_snapshot!("check_status_answer", status);
    let status = client.check_status(&reference("order-2")).await.unwrap();
    assert_eq!(status.state, TransactionState::NotFound);
    found.assert_async().await;
    missing.assert_async().await;
}

#[tokio::test]
async fn statement_sends_the_date_range_and_parses_each_line() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let statement = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .header("content-type", "application/json")
                .json_body(envelope(
                "corr-000002",
                "PAYAG.AGENTSTATEMENT",
                with(wallet("WT1"), json!({"fromDate": "2026-11-01", "toDate": "2026-11-23"})),
            ));
            then.status(200).json_body(success(json!({"transactions": [
                {"refId": "order-1", "issuerRef": "ISS-1", "amount": 1500, "currency": "YER", "description": "ECOMMCASHOUT", "trxDate": "2026-11-20 12:00:00", "balance": 1500},
                {"RefId": "order-2", "Amount": "250.75", "Currency": "YER", "type": "ECOMMCASHOUT"}
            ]})));
        })
        .await;
    let lines = client(&server)
        .statement(
            time::macros::date!(2026 - 11 - 01),
            time::macros::date!(2026 - 11 - 23),
        )
        .await
        .unwrap();
    statement.assert_async().await;
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].amount, yer("250.75"));
    insta::assert_debug_snapshot!("statement_answer", lines);
}

#[tokio::test]
async fn a_statement_with_one_unreadable_line_is_undecodable_and_names_the_field() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let _statement = answering(
        &server,
        "PAYAG.AGENTSTATEMENT",
        success(json!({"transactions": [
            {"refId": "order-1", "amount": 1500, "currency": "YER"},
            {"RefId": "order-2", "Amount": "two hundred", "Currency": "YER"}
        ]})),
    )
    .await;
    let error = client(&server)
        .statement(
            time::macros::date!(2026 - 11 - 01),
            time::macros::date!(2026 - 11 - 23),
        )
        .await
        .unwrap_err();
    match &error {
        Error::UndecodableResponse {
            detail, operation, ..
        } => {
            assert_eq!(operation.to_string(), "jawali.statement");
            assert!(detail.contains("two hundred"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("order-2"),
        "the raw body is kept: {error}"
    );
}

#[tokio::test]
async fn statement_refuses_a_reversed_range_before_sending() {
    let server = MockServer::start_async().await;
    let (login, _auth) = tokens(&server).await;
    let error = client(&server)
        .statement(
            time::macros::date!(2026 - 11 - 23),
            time::macros::date!(2026 - 11 - 01),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::InvalidInput { ref field, .. } if field == "from"),
        "{error:?}"
    );
    assert_eq!(login.calls_async().await, 0);
}

#[tokio::test]
async fn balance_is_parsed_as_money() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let balance = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .header("content-type", "application/json")
                .json_body(envelope(
                    "corr-000002",
                    "PAYAG.AGENTBALANCEINQUIRY",
                    wallet("WT1"),
                ));
            then.status(200)
                .json_body(success(json!({"balance": 125000.25, "currency": "YER"})));
        })
        .await;
    let answer = client(&server).balance().await.unwrap();
    balance.assert_async().await;
    assert_eq!(answer.available, yer("125000.25"));
    insta::assert_debug_snapshot!("balance_answer", answer);
}

#[tokio::test]
async fn a_decline_keeps_code_description_and_the_arabic_message() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    answering(
        &server,
        "ECOMMERCEINQUIRY",
        failure("-107", "Voucher not found", "كود الشراء غير موجود"),
    )
    .await;
    let error = client(&server)
        .inquire_voucher(&voucher(), &mobile())
        .await
        .unwrap_err();
    let decline = error.decline().expect("a decline");
    assert_eq!(decline.code, "-107");
    assert_eq!(decline.message, "Voucher not found");
    assert_eq!(
        decline.user_message.as_deref(),
        Some("كود الشراء غير موجود")
    );
    assert_eq!(decline.kind, DeclineKind::AccountNotFound);
    assert_eq!(error.operation().unwrap().to_string(), "jawali.inquiry");
    // What Jawali's support desk asks for: the request's corrID (the wallet
    // authentication was corr-000001), its refId and the HTTP status.
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.correlation_id.as_deref(), Some("corr-000002"));
    assert_eq!(error.reference(), Some("ref-000001"));
    assert_eq!(diagnostics.http_status, Some(200));
    assert!(
        error
            .to_string()
            .ends_with("[reference ref-000001, correlation id corr-000002, HTTP 200]"),
        "{error}"
    );
}

#[tokio::test]
async fn http_401_logs_in_again_re_authenticates_the_wallet_and_repeats_once() {
    let server = MockServer::start_async().await;
    let login1 = server
        .mock_async(|when, then| {
            when.path("/paygate/oauth/token");
            then.status(200)
                .json_body(json!({"access_token": "AT1", "expires_in": 3600}));
        })
        .await;
    login1.up_to_n_times_async(1).await;
    let login2 = server
        .mock_async(|when, then| {
            when.path("/paygate/oauth/token");
            then.status(200)
                .json_body(json!({"access_token": "AT2", "expires_in": 3600}));
        })
        .await;
    let auth1 = server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .header("authorization", "Bearer AT1")
                .body_includes("WALLETAUTHENTICATION");
            then.status(200)
                .json_body(success(json!({"access_token": "WT1"})));
        })
        .await;
    let auth2 = server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .header("authorization", "Bearer AT2")
                .body_includes("WALLETAUTHENTICATION");
            then.status(200)
                .json_body(success(json!({"access_token": "WT2"})));
        })
        .await;
    let refused = server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .header("authorization", "Bearer AT1")
                .body_includes("ECOMMERCEINQUIRY");
            then.status(401)
                .json_body(json!({"error": "invalid_token"}));
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .header("authorization", "Bearer AT2")
                .body_includes("ECOMMERCEINQUIRY")
                .body_includes(r#""accessToken":"WT2""#);
            then.status(200)
                .json_body(voucher_answer("PENDING", json!(1500), "YER"));
        })
        .await;
    let voucher = client(&server)
        .inquire_voucher(&voucher(), &mobile())
        .await
        .unwrap();
    assert_eq!(voucher.state, VoucherState::Pending);
    assert_eq!(
        (login1.calls_async().await, login2.calls_async().await),
        (1, 1)
    );
    assert_eq!(
        (auth1.calls_async().await, auth2.calls_async().await),
        (1, 1)
    );
    assert_eq!(
        (refused.calls_async().await, accepted.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn an_expired_wallet_token_text_re_authenticates_the_wallet_and_repeats_once() {
    let server = MockServer::start_async().await;
    let (login, auth1, auth2) = tokens_with_one_wallet_renewal(&server).await;
    let stale = answering_under(
        &server,
        "ECOMMERCEINQUIRY",
        "WT1",
        "ref-000001",
        failure("-104", "Access token expired", "انتهت صلاحية رمز الدخول"),
    )
    .await;
    let fresh = answering_under(
        &server,
        "ECOMMERCEINQUIRY",
        "WT2",
        "ref-000002",
        voucher_answer("PENDING", json!(1500), "YER"),
    )
    .await;
    client(&server)
        .inquire_voucher(&voucher(), &mobile())
        .await
        .unwrap();
    assert_eq!(login.calls_async().await, 1, "the access token was fine");
    assert_eq!(
        (auth1.calls_async().await, auth2.calls_async().await),
        (1, 1)
    );
    assert_eq!(
        (stale.calls_async().await, fresh.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn a_token_rejected_twice_is_an_error_not_a_loop() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let reauth = answering(
        &server,
        "WALLETAUTHENTICATION",
        success(json!({"access_token": "WT2"})),
    )
    .await;
    let stale = answering(
        &server,
        "ECOMMERCEINQUIRY",
        failure("-104", "Invalid access token", "رمز الدخول غير صالح"),
    )
    .await;
    let error = client(&server)
        .inquire_voucher(&voucher(), &mobile())
        .await
        .unwrap_err();
    assert_eq!(
        error.decline().map(|d| d.kind),
        Some(DeclineKind::Unauthorized),
        "{error:?}"
    );
    assert_eq!(stale.calls_async().await, 2);
    assert_eq!(reauth.calls_async().await, 1);
}

#[tokio::test]
async fn refused_login_credentials_are_an_authentication_error_without_the_password() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/paygate/oauth/token");
            then.status(400).json_body(json!({"error": "invalid_grant", "error_description": "Bad credentials for login-pw"}));
        })
        .await;
    let error = client(&server).login().await.unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(text.contains("invalid_grant: Bad credentials"), "{text}");
    assert!(!text.contains("login-pw"), "{text}");
}

/// An access token no HTTP header can carry is refused when LOGIN issues
/// it (the token kept out of the error) and never cached: the next call
/// logs in again, and nothing is sent under it.
#[tokio::test]
async fn an_access_token_no_header_can_carry_is_refused_at_login_and_not_kept() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.path("/paygate/oauth/token");
            then.status(200).json_body(
                json!({"access_token": "AT1\r\nX-Injected: 1", "token_type": "bearer", "expires_in": 3600}),
            );
        })
        .await;
    let client = client(&server);
    for calls in 1..=2 {
        let error = client.balance().await.unwrap_err();
        assert!(
            matches!(&error, Error::UndecodableResponse { operation, detail, .. }
                if operation.name == "login" && detail.contains("cannot carry")),
            "{error:?}"
        );
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains("AT1") && !text.contains("X-Injected"),
            "{text}"
        );
        assert_eq!(
            error.diagnostics().http_status,
            Some(200),
            "the issuing answer's status"
        );
        assert_eq!(login.calls_async().await, calls);
    }
}

async fn collect_refused(
    state: &str,
    amount: Value,
    currency: &str,
    expected: Money,
) -> (Error, usize) {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    answering(
        &server,
        "ECOMMERCEINQUIRY",
        voucher_answer(state, amount, currency),
    )
    .await;
    let cash_out = answering(&server, "ECOMMCASHOUT", success(json!({}))).await;
    let error = client(&server)
        .collect("483920", "771234567", expected)
        .await
        .unwrap_err();
    (error, cash_out.calls_async().await)
}

#[tokio::test]
async fn every_voucher_state_is_read_and_only_pending_is_cashed_out() {
    for (state, kind) in [
        ("EXPIRED", DeclineKind::Expired),
        ("ACCEPTED", DeclineKind::AlreadyUsed),
        ("CANCELED", DeclineKind::Cancelled),
        ("CANCELLED", DeclineKind::Cancelled),
        ("REJECTED", DeclineKind::Other),
        ("FROZEN", DeclineKind::Other),
    ] {
        let (error, cash_outs) = collect_refused(state, json!(1500), "YER", yer("1500")).await;
        assert_eq!(
            error.decline().map(|d| d.kind),
            Some(kind),
            "{state}: {error:?}"
        );
        assert_eq!(cash_outs, 0, "{state}: no cash-out");
    }
    assert_eq!(
        VoucherState::from_wire("FROZEN"),
        VoucherState::Unknown("FROZEN".into())
    );
    assert_eq!(VoucherState::from_wire("pending"), VoucherState::Pending);
}

#[tokio::test]
async fn an_amount_or_currency_mismatch_stops_before_the_cash_out() {
    let (error, cash_outs) = collect_refused("PENDING", json!("1000"), "YER", yer("1500")).await;
    assert!(
        matches!(&error, Error::TermsMismatch { field, expected, actual, .. }
        if *field == "amount" && **expected == yer("1500") && **actual == yer("1000")),
        "{error:?}"
    );
    assert_eq!(error.code(), "terms_mismatch");
    assert!(error.outcome_known(), "nothing moved");
    assert!(
        error.to_string().contains("nothing was paid") && !error.to_string().contains("sent 1500"),
        "{error}"
    );
    assert_eq!(cash_outs, 0);
    let (error, cash_outs) = collect_refused("PENDING", json!(1500), "USD", yer("1500")).await;
    assert!(
        matches!(&error, Error::TermsMismatch { field, .. } if *field == "currency"),
        "{error:?}"
    );
    assert_eq!(cash_outs, 0);
}

#[tokio::test]
async fn a_cash_out_answer_with_another_amount_is_an_integrity_error_of_unknown_outcome() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    answering(
        &server,
        "ECOMMCASHOUT",
        success(json!({"amount": 150, "currency": "YER", "refId": "order-1"})),
    )
    .await;
    let request = CashOut {
        purpose: Some("Invoice 7".into()),
        ..cash_out_request("1500", "order-1")
    };
    let error = client(&server).cash_out(&request).await.unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field, .. } if *field == "amount"),
        "{error:?}"
    );
    assert!(!error.outcome_known());
    // Found after the answer was read, the mismatch still names the call.
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.correlation_id.as_deref(), Some("corr-000002"));
    assert_eq!(diagnostics.reference.as_deref(), Some("order-1"));
    assert_eq!(diagnostics.http_status, Some(200));
}

#[tokio::test]
async fn a_cash_out_timeout_names_the_corr_id_and_the_reference() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .body_includes("ECOMMCASHOUT");
            then.status(200)
                .delay(Duration::from_secs(5))
                .json_body(success(json!({})));
        })
        .await;
    let request = cash_out_request("1500", "order-9");
    let error = client(&server).cash_out(&request).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.correlation_id.as_deref(), Some("corr-000002"));
    assert_eq!(diagnostics.reference.as_deref(), Some("order-9"));
    assert_eq!(diagnostics.http_status, None, "no answer came");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let (login, _auth) = tokens(&server).await;
    let client = client(&server);
    for (voucher, mobile, amount, field) in [
        ("", "771234567", yer("1500"), "voucher"),
        ("48 39", "771234567", yer("1500"), "voucher"),
        ("483920", "12345", yer("1500"), "customer_mobile"),
        ("483920", "+967 871234567", yer("1500"), "customer_mobile"),
        ("483920", "771234567", yer("0"), "amount"),
    ] {
        let error = client.collect(voucher, mobile, amount).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { field: f, .. } if f == field),
            "{voucher}/{mobile}: {error:?}"
        );
    }
    assert!(matches!(
        Money::parse("1.001", Currency::YER).map_err(Error::from),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(login.calls_async().await, 0, "nothing was sent");
}

#[tokio::test]
async fn a_reference_is_never_used_twice_by_one_client() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let cash_out = answering(
        &server,
        "ECOMMCASHOUT",
        failure("-108", "Voucher expired", "انتهت صلاحية كود الشراء"),
    )
    .await;
    let client = client(&server);
    let request = cash_out_request("1500", "order-1");
    let first = client.cash_out(&request).await.unwrap_err();
    assert!(matches!(first, Error::OutcomeUnknown { .. }), "{first:?}");
    assert_eq!(first.provider_decline().unwrap().kind, DeclineKind::Expired);
    let error = client.cash_out(&request).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "refId"),
        "{error:?}"
    );
    assert_eq!(cash_out.calls_async().await, 1);
}

async fn inquiry_answering(status: u16, content_type: &str, body: &str) -> Error {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .body_includes("ECOMMERCEINQUIRY");
            then.status(status)
                .header("content-type", content_type)
                .body(body);
        })
        .await;
    client(&server)
        .inquire_voucher(&voucher(), &mobile())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn malformed_answers_are_typed_errors_that_keep_the_body() {
    for (body, detail) in [
        (
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "an HTML or XML page",
        ),
        ("", "empty body"),
        (
            r#"{"responseStatus": {"systemStatus": "0""#,
            "truncated JSON",
        ),
        (r#"{"status": "ok"}"#, "unexpected JSON shape"),
        (
            r#"{"responseStatus": {"systemStatus": "0"}, "responseBody": {"txnamount": "abc", "txncurrency": "YER", "state": "PENDING"}}"#,
            "responseBody is not the expected shape",
        ),
        (
            r#"{"responseStatus": {"systemStatus": "0"}, "responseBody": null}"#,
            "responseBody is not the expected shape",
        ),
        (
            r#"{"responseStatus": {"systemStatus": "0"}, "responseBody": {"txnamount": 10, "txncurrency": "XYZ", "state": "PENDING"}}"#,
            "unknown currency `XYZ`",
        ),
        (
            r#"{"responseStatus": {"systemStatus": "0"}, "responseBody": {"txnamount": 10.005, "txncurrency": "YER", "state": "PENDING"}}"#,
            "txnamount: amount 10.005 has more than 2 decimal places",
        ),
    ] {
        let error = inquiry_answering(200, "application/json", body).await;
        match &error {
            Error::UndecodableResponse {
                detail: d,
                operation,
                ..
            } => {
                assert!(d.starts_with(detail), "{body:?}: {d}");
                assert_eq!(operation.to_string(), "jawali.inquiry");
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
    let error = inquiry_answering(200, "text/html", "<html>maintenance</html>").await;
    assert!(
        error.to_string().contains("<html>maintenance</html>"),
        "the raw body is kept: {error}"
    );
    let error = inquiry_answering(500, "text/html", "<html>oops</html>").await;
    assert!(
        matches!(error, Error::Http { status: 500, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_cash_out_answered_by_a_gateway_error_is_an_unknown_outcome_sent_once() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let cash_out = server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .body_includes("ECOMMCASHOUT");
            then.status(502).body("<html>Bad Gateway</html>");
        })
        .await;
    let request = cash_out_request("1500", "order-9");
    let error = client(&server).cash_out(&request).await.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == "order-9"),
        "{error:?}"
    );
    assert_eq!(cash_out.calls_async().await, 1, "never repeated");
}

#[test]
fn debug_of_config_and_client_shows_no_secret() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start_async());
    let config = config(&server);
    let client = rt.block_on(async { client(&server) });
    for text in [format!("{config:?}"), format!("{client:?}")] {
        assert!(
            !text.contains("login-pw") && !text.contains("wallet-pw"),
            "{text}"
        );
        assert!(text.contains("[REDACTED]"), "{text}");
    }
}

#[test]
fn the_client_is_send_sync_and_cheap_to_clone() {
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<JawaliClient>();
}

#[tokio::test]
async fn client_date_can_be_written_as_compact_yemen_time() {
    // 1_700_000_000_000 ms is 2023-11-14T22:13:20Z, 01:13 on the 15th in Yemen (+03:00).
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/paygate/oauth/token");
            then.status(200).json_body(json!({"access_token": "AT1"}));
        })
        .await;
    let auth = server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS")
                .body_includes(r#""clientDate":"202311150113""#);
            then.status(200)
                .json_body(success(json!({"access_token": "WT1"})));
        })
        .await;
    let client =
        JawaliClient::builder(config(&server).client_date(jawali::ClientDateFormat::Compact))
            .clock(Arc::new(ManualClock::new(
                UNIX_EPOCH + Duration::from_millis(NOW_MS),
            )))
            .build()
            .unwrap();
    client.authenticate_wallet().await.unwrap();
    auth.assert_async().await;
}

/// A cash-out answered with its own status: PENDING is not a receipt, FAILED
/// is a decline of the cash-out.
#[tokio::test]
async fn the_cash_out_answers_own_status_is_read() {
    for (status, expect_unknown) in [("PENDING", true), ("PROCESSING", true), ("FAILED", false)] {
        let server = MockServer::start_async().await;
        let (_login, _auth) = tokens(&server).await;
        server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/paygate/v1/ws/callWS")
                    .body_includes("PAYAG.ECOMMCASHOUT");
                then.status(200).json_body(success(json!({
                    "amount": 1500, "refId": "order-1", "currency": "YER", "status": status
                })));
            })
            .await;
        let request = cash_out_request("1500", "order-1");
        let error = client(&server).cash_out(&request).await.unwrap_err();
        if expect_unknown {
            assert!(
                matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == "order-1"),
                "{status}: {error:?}"
            );
        } else {
            assert_eq!(error.decline().unwrap().code, "FAILED", "{error:?}");
        }
    }
}

/// A garbled wallet-authentication answer may hold the wallet token: the
/// error keeps no excerpt of it, not even in serde's detail.
#[tokio::test]
async fn a_garbled_wallet_authentication_answer_does_not_leak_its_token() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/paygate/oauth/token");
            then.status(200)
                .json_body(json!({"access_token": "AT1", "expires_in": 3600}));
        })
        .await;
    for garbled in [
        r#"{"responseStatus": {"systemStatus": "0"}, "responseBody": {"access_token": "WT-SECRET-123"#,
        r#"{"responseStatus": {"systemStatus": 0.5e}, "responseBody": {"access_token": "WT-SECRET-123"}}"#,
        r#"{"responseStatus": "WT-SECRET-123", "responseBody": {"access_token": "WT-SECRET-123"}}"#,
    ] {
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/paygate/v1/ws/callWS")
                    .body_includes("WALLETAUTHENTICATION");
                then.status(200).body(garbled);
            })
            .await;
        let error = client(&server).authenticate_wallet().await.unwrap_err();
        assert!(
            matches!(error, Error::UndecodableResponse { .. }),
            "{error:?}"
        );
        assert_no_secret(&error_texts(&error), &["WT-SECRET-123"]);
        mock.delete_async().await;
    }
}

/// Public integrations configure the base with or without `/paygate`; both
/// reach `/paygate/oauth/token`, never `/paygate/paygate/…`.
#[tokio::test]
async fn a_base_url_ending_in_paygate_is_not_doubled() {
    for suffix in ["", "/", "/paygate", "/paygate/"] {
        let server = MockServer::start_async().await;
        let login = server
            .mock_async(|when, then| {
                when.method(POST).path("/paygate/oauth/token");
                then.status(200)
                    .json_body(json!({"access_token": "AT1", "expires_in": 3600}));
            })
            .await;
        let mut config = config(&server);
        config.environment =
            Environment::Custom(BaseUrl::parse(&format!("{}{suffix}", server.base_url())).unwrap());
        let client = JawaliClient::builder(config).build().unwrap();
        client
            .login()
            .await
            .unwrap_or_else(|e| panic!("{suffix}: {e}"));
        login.assert_async().await;
    }
}

/// Answers carrying two accepted spellings of one field are read with the
/// documented precedence, not refused as "duplicate field".
#[tokio::test]
async fn two_spellings_of_one_field_are_read_with_the_documented_precedence() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .body_includes("AGENTCHECKSTATUS");
            then.status(200).json_body(success(json!({
                "refId": "order-1", "status": "SUCCESS", "state": "PENDING",
                "amount": null, "txnamount": "1500.50",
                "currency": "YER", "Currency": "USD",
                "issuerRef": "ISS-1", "IssuerRef": "ISS-2"
            })));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/paygate/v1/ws/callWS")
                .body_includes("AGENTBALANCEINQUIRY");
            then.status(200).json_body(success(json!({
                "balance": "25000.50", "availableBalance": 1, "Balance": 2, "currency": "YER"
            })));
        })
        .await;
    let client = client(&server);
    let status = client
        .check_status(&MerchantReference::new("order-1", &jawali::REF_ID_RULES).unwrap())
        .await
        .unwrap();
    // `status` before `state`; `currency` before `Currency`; a null
    // `amount` gives way to the next spelling present, `txnamount`.
    assert_eq!(status.state, TransactionState::Succeeded);
    assert_eq!(status.amount, Some(yer("1500.5")));
    assert_eq!(status.issuer_reference.unwrap().as_str(), "ISS-1");
    let balance = client.balance().await.unwrap();
    assert_eq!(balance.available, yer("25000.5"));
}

/// A cash-out repeated after its wallet token was refused goes out under a
/// fresh refId; the receipt names the refId that landed.
#[tokio::test]
async fn a_cash_out_repeated_after_a_refused_token_carries_a_fresh_ref_id() {
    let server = MockServer::start_async().await;
    let _tokens = tokens_with_one_wallet_renewal(&server).await;
    let refused = answering_under(
        &server,
        "ECOMMCASHOUT",
        "WT1",
        "order-1",
        failure("-104", "Invalid access token", "رمز الدخول غير صالح"),
    )
    .await;
    let landed = answering_under(
        &server,
        "ECOMMCASHOUT",
        "WT2",
        "ref-000001",
        success(json!({"amount": 1500, "refId": "ref-000001", "currency": "YER"})),
    )
    .await;
    let request = cash_out_request("1500", "order-1");
    let receipt = client(&server).cash_out(&request).await.unwrap();
    assert_eq!(
        receipt.reference.as_str(),
        "ref-000001",
        "the refId that landed"
    );
    refused.assert_async().await;
    landed.assert_async().await;
}

/// A `callWS` for `service` answered with the JSON text `answer` as it is
/// (a `Value` cannot hold a member twice).
async fn answering_text<'a>(
    server: &'a MockServer,
    service: &str,
    answer: String,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.path("/paygate/v1/ws/callWS").body_includes(service);
            then.status(200)
                .header("content-type", "application/json")
                .body(answer);
        })
        .await
}

/// `serde_json` keeps the last of two members with one name: a cash-out
/// answer saying `FAILED` and then `ACCEPTED` read as a receipt. Such an
/// answer is refused whole: an unreadable answer to the cash-out, whose
/// outcome is unknown (money may have moved), never a receipt.
#[tokio::test]
async fn a_cash_out_answer_naming_its_status_twice_is_not_a_receipt() {
    let answer = accepted_cash_out().replace(r#""amount":"#, r#""status":"FAILED","amount":"#);
    assert!(answer.contains(r#""status":"FAILED""#) && answer.contains(r#""status":"ACCEPTED""#));
    let error = cash_out_answered_with(answer).await;
    assert!(
        matches!(&error, Error::UndecodableResponse { detail, .. } if detail.contains("`status` appears twice")),
        "{error:?}"
    );
    assert!(!error.outcome_known(), "money may have moved: {error:?}");
    assert_eq!(error.reference(), Some("order-1"));
}

/// The answer text of an accepted cash-out of 1500 YER under `order-1`.
fn accepted_cash_out() -> String {
    success(json!({
        "amount": 1500, "refId": "order-1", "currency": "YER", "status": "ACCEPTED"
    }))
    .to_string()
}

/// The error of a cash-out of 1500 YER under `order-1` answered with the
/// JSON text `answer`.
async fn cash_out_answered_with(answer: String) -> Error {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    answering_text(&server, "ECOMMCASHOUT", answer).await;
    client(&server)
        .cash_out(&cash_out_request("1500", "order-1"))
        .await
        .unwrap_err()
}

/// A status lookup saying `FAILED` and then `SUCCESS` read as Succeeded.
#[tokio::test]
async fn a_status_lookup_naming_its_status_twice_is_refused() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    let answer = success(
        json!({"refId": "order-1", "status": "SUCCESS", "amount": 1500, "currency": "886"}),
    )
    .to_string()
    .replace(r#""amount":"#, r#""status":"FAILED","amount":"#);
    answering_text(&server, "AGENTCHECKSTATUS", answer).await;
    let reference = MerchantReference::new("order-1", &jawali::REF_ID_RULES).unwrap();
    let error = client(&server).check_status(&reference).await.unwrap_err();
    assert!(
        matches!(&error, Error::UndecodableResponse { detail, .. } if detail.contains("`status` appears twice")),
        "{error:?}"
    );
}

/// `1500.0000000000000001` reached serde as the double 1500 and the cash-out
/// read as a receipt for exactly 1500. Amounts are read from their text: the
/// amount is the one written, never rounded, and neither is a receipt for
/// 1500 (too precise for YER; far more than was asked).
#[tokio::test]
async fn a_cash_out_amount_no_double_carries_is_read_as_written_not_rounded() {
    for amount in ["1500.0000000000000001", "100000000000000001500"] {
        let answer =
            accepted_cash_out().replace(r#""amount":1500"#, &format!(r#""amount":{amount}"#));
        let error = cash_out_answered_with(answer).await;
        assert!(
            format!("{error:?}").contains(amount),
            "{amount} is named as written: {error:?}"
        );
        assert!(!error.outcome_known(), "money may have moved: {error:?}");
    }
}

/// Every text a decline keeps from Jawali — code, description, the
/// customer's message — is scrubbed of the client's secrets and tokens.
#[tokio::test]
async fn a_decline_quoting_credentials_and_tokens_is_scrubbed() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    answering(
        &server,
        "ECOMMERCEINQUIRY",
        failure(
            "-1 wallet-pw",
            "refused: password=wallet-pw token=WT1",
            "رمز login-pw AT1",
        ),
    )
    .await;
    let error = client(&server)
        .inquire_voucher(&voucher(), &mobile())
        .await
        .unwrap_err();
    let decline = error.decline().expect("a decline");
    assert_eq!(
        decline.message,
        "refused: password=[REDACTED] token=[REDACTED]"
    );
    assert_no_secret(
        &error_texts(&error),
        &["wallet-pw", "login-pw", "WT1", "AT1"],
    );
}

/// A cash-out answered `ACCEPTED` without an amount was a receipt for the
/// amount asked. A receipt proves the amount only by naming it.
#[tokio::test]
async fn a_cash_out_answer_without_an_amount_is_not_a_receipt() {
    let server = MockServer::start_async().await;
    let (_login, _auth) = tokens(&server).await;
    answering(
        &server,
        "ECOMMCASHOUT",
        success(json!({"currency": "YER", "refId": "order-1", "status": "ACCEPTED"})),
    )
    .await;
    let error = client(&server)
        .cash_out(&cash_out_request("1500", "order-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field: "amount", actual, .. } if actual.as_ref() == "no amount"),
        "{error:?}"
    );
    assert!(!error.outcome_known());
}
