//! The wallet API against a mock server: token request, both calls with
//! their headers and exact bodies, error codes, integrity and expiry checks.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use httpmock::prelude::*;
use payments_core::clock::ManualClock;
use payments_core::testkit::{assert_no_secret, error_texts};
use payments_core::{BaseUrl, Currency, DeclineKind, Error, Money, SecretString};
use serde_json::json;
use tr_qr_wallet::{
    CorrelationIdEncoding, Embedded, QrCode, QrCodeType, QrSession, QrWalletClient, QrWalletConfig,
    Settlement, WalletCode, WalletNumber,
};

const SECRET: &str = "client-s3cret";

fn config(server: &MockServer) -> QrWalletConfig {
    let mut config = QrWalletConfig::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        BaseUrl::endpoint(&server.url("/connect/token")).unwrap(),
        "client-1",
        SecretString::from(SECRET),
        "x-client-9",
        "provider-7",
    )
    .unwrap()
    .scope("wallet_api");
    config.http = payments_core::testkit::quick_http(Duration::from_secs(2));
    config
}

/// 2021-04-01T08:30:00+03:00, before the sale's expiry in the fixtures.
fn clock() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_617_255_000))
}

fn client_with(config: QrWalletConfig, clock: &ManualClock) -> QrWalletClient {
    QrWalletClient::builder(config)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

async fn token(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&client_id=client-1&client_secret=client-s3cret&scope=wallet_api");
            then.status(200).json_body(json!({"access_token": "T1", "token_type": "Bearer", "expires_in": 3600}));
        })
        .await
}

fn payment_data(amount: &str, expires: &str) -> String {
    format!(
        r#"{{"MerchantNo":"0007777777","TerminalNo":"0007777777","MerchantName":"Test_58","BrandId":0,"BrandName":"","CityName":"Antalya","DistrictName":"Aksu","RequestAmount":{amount},"BatchNo":1,"TransactionId":98598610,"ProductId":2,"ProductName":"RESTO %1","Kdv":"1,00","DiscountRatio":"0,00","CurrencyId":"1","SaleRefCode":"7777777777777777777777","SessionExpireDate":"{expires}","ResponseCode":0,"ResponseMessage":"Sorgulama işlemi başarılı.","ErrorMessage":null}}"#
    )
}

async fn begin_mock<'a>(server: &'a MockServer, data: &str) -> httpmock::Mock<'a> {
    let answer = json!({"status": 0, "code": "100", "message": null,
        "payload": {" tx_correlation_id ": "7777777777777777777777", "payment_data": data}});
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/Transaction/Begin3rdPartyQRCodePayment")
                .header("authorization", "Bearer T1")
                .header("x-client-id", "x-client-9")
                .header("content-type", "application/json")
                .header("user-agent", concat!("tr-qr-wallet/", env!("CARGO_PKG_VERSION")))
                .body(r#"{"wallet_number":"1011179271","provider_id":"provider-7","qr_code":"63759407536179025465","qr_code_type":1}"#);
            then.status(200).json_body(answer);
        })
        .await
}

fn receipt(charged: &str) -> serde_json::Value {
    json!({"status": 0, "code": "100", "message": "İşlem başarılı", "payload": {
        "transaction_id": "55555560555665555555", "transaction_amount": 0.13, "transaction_fee": 0.0000,
        "charged_amount": serde_json::from_str::<serde_json::Value>(charged).unwrap(),
        "ext_order_id": "{\"saleRefCode\":\"7777777777777777777777\",\"transactionId\":98598610}",
        "receiver_wallet_number": "7777777777",
        "sender_wallet_info": {"number": "1011179271", "total_balance": 795.87, "currency_code": "TRY",
            "payment_balance": {"available": 795.87, "unavailable": 0}, "monthly_incoming_total": 12, "is_topup_default": true,
            "transaction_limits": {"payment_limit": 1250.0000}, "created_date_utc": "2021-09-20T10:52:35.5927212+00:00"}
    }})
}

fn wallet() -> WalletNumber {
    WalletNumber::new("1011179271").unwrap()
}

fn qr() -> QrCode {
    QrCode::new("63759407536179025465").unwrap()
}

async fn begun(server: &MockServer, clock: &ManualClock) -> (QrWalletClient, QrSession) {
    token(server).await;
    begin_mock(server, &payment_data("0.13", "2021-04-01T08:38:40.51")).await;
    let client = client_with(config(server), clock);
    let session = client
        .begin(&wallet(), &qr(), QrCodeType::Default)
        .await
        .unwrap();
    (client, session)
}

#[tokio::test]
async fn begin_sends_headers_and_exact_json_and_decodes_the_sale() {
    let server = MockServer::start_async().await;
    let token = token(&server).await;
    let begin = begin_mock(&server, &payment_data("0.13", "2021-04-01T08:38:40.51")).await;
    let session = client_with(config(&server), &clock())
        .begin(&wallet(), &qr(), QrCodeType::Default)
        .await
        .unwrap();
    token.assert_async().await;
    begin.assert_async().await;
    assert_eq!(session.correlation_id.as_str(), "7777777777777777777777");
    let sale = session.sale.decoded().unwrap();
    assert_eq!(sale.amount, Money::parse("0.13", Currency::TRY).unwrap());
    insta::assert_debug_snapshot!("begin_session", session);
}

#[tokio::test]
async fn complete_sends_the_22_digit_correlation_id_back_exactly_as_a_number() {
    let server = MockServer::start_async().await;
    let (client, session) = begun(&server, &clock()).await;
    let complete = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/Transaction/Complete3rdPartyQRCodePayment")
                .header("authorization", "Bearer T1")
                .header("x-client-id", "x-client-9")
                .header("content-type", "application/json")
                .body(r#"{"wallet_number":"1011179271","provider_id":"provider-7","tx_correlation_id":7777777777777777777777}"#);
            then.status(200).json_body(receipt("0.13"));
        })
        .await;
    let receipt = client.complete(&session).await.unwrap();
    complete.assert_async().await;
    assert_eq!(
        receipt.charged,
        Money::parse("0.13", Currency::TRY).unwrap()
    );
    let sender = receipt.sender.as_ref().unwrap();
    assert_eq!(
        sender.payment_balance.unwrap().available,
        Money::parse("795.87", Currency::TRY).unwrap()
    );
    insta::assert_debug_snapshot!("complete_receipt", receipt);
}

#[tokio::test]
async fn the_correlation_id_can_go_back_as_a_string() {
    let server = MockServer::start_async().await;
    token(&server).await;
    begin_mock(&server, &payment_data("0.13", "2021-04-01T08:38:40.51")).await;
    let mut config = config(&server);
    config.correlation_id_encoding = CorrelationIdEncoding::String;
    let client = client_with(config, &clock());
    let session = client
        .begin(&wallet(), &qr(), QrCodeType::Default)
        .await
        .unwrap();
    let complete = server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Complete3rdPartyQRCodePayment")
                .body(r#"{"wallet_number":"1011179271","provider_id":"provider-7","tx_correlation_id":"7777777777777777777777"}"#);
            then.status(200).json_body(receipt("0.13"));
        })
        .await;
    client.complete(&session).await.unwrap();
    complete.assert_async().await;
}

#[tokio::test]
async fn each_named_error_code_is_a_typed_decline() {
    for (code, kind, named) in [
        (
            "300",
            DeclineKind::AccountNotFound,
            WalletCode::WalletNotFound,
        ),
        (
            "301",
            DeclineKind::DuplicateReference,
            WalletCode::Duplicate,
        ),
        (
            "310",
            DeclineKind::LimitExceeded,
            WalletCode::LimitInsufficient,
        ),
        (
            "311",
            DeclineKind::InsufficientFunds,
            WalletCode::InsufficientBalance,
        ),
        ("999", DeclineKind::Other, WalletCode::Other("999".into())),
    ] {
        let server = MockServer::start_async().await;
        let (client, session) = begun(&server, &clock()).await;
        server
            .mock_async(|when, then| {
                when.path("/v1/Transaction/Complete3rdPartyQRCodePayment");
                then.status(200).json_body(json!({"status": 1, "code": code, "message": format!("error {code}"), "payload": null}));
            })
            .await;
        let error = client.complete(&session).await.unwrap_err();
        // Only the documented refusals say "not debited"; 301 and unknown
        // codes leave the Complete's outcome unknown.
        assert_eq!(
            matches!(error, Error::Declined { .. }),
            ["300", "310", "311"].contains(&code),
            "{code}: {error:?}"
        );
        let decline = error
            .provider_decline()
            .unwrap_or_else(|| panic!("{code}: {error:?}"));
        assert_eq!(decline.kind, kind, "{code}");
        assert_eq!(WalletCode::of(decline), named);
        assert_eq!(decline.message, format!("error {code}"));
        // Sipay's support desk finds a Complete by its tx_correlation_id.
        let diagnostics = error.diagnostics();
        assert_eq!(
            diagnostics.correlation_id.as_deref(),
            Some(session.correlation_id.as_str()),
            "{code}"
        );
        assert_eq!(error.reference(), Some(session.correlation_id.as_str()));
        assert_eq!(diagnostics.http_status, Some(200), "{code}");
    }
}

#[tokio::test]
async fn status_zero_with_another_code_is_still_a_failure() {
    let server = MockServer::start_async().await;
    let (client, session) = begun(&server, &clock()).await;
    server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Complete3rdPartyQRCodePayment");
            then.status(200)
                .json_body(json!({"status": 0, "code": "311", "message": "Yetersiz bakiye"}));
        })
        .await;
    let error = client.complete(&session).await.unwrap_err();
    assert_eq!(
        error.decline().unwrap().kind,
        DeclineKind::InsufficientFunds
    );
}

#[tokio::test]
async fn a_charged_amount_other_than_the_sale_is_an_integrity_error() {
    let server = MockServer::start_async().await;
    let (client, session) = begun(&server, &clock()).await;
    server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Complete3rdPartyQRCodePayment");
            then.status(200).json_body(receipt("1.30"));
        })
        .await;
    let error = client.complete(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field, expected, actual, .. }
        if *field == "charged_amount" && expected.as_ref() == "0.13 TRY" && actual.as_ref() == "1.30 TRY"),
        "{error:?}"
    );
    assert!(!error.outcome_known(), "something was charged");
    // Found after the answer was read, the mismatch still names the call.
    let diagnostics = error.diagnostics();
    assert_eq!(
        diagnostics.correlation_id.as_deref(),
        Some(session.correlation_id.as_str())
    );
    assert_eq!(diagnostics.http_status, Some(200));
}

#[tokio::test]
async fn an_expired_session_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let (client, session) = begun(&server, &clock).await;
    let complete = server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Complete3rdPartyQRCodePayment");
            then.status(200).json_body(receipt("0.13"));
        })
        .await;
    clock.advance(Duration::from_secs(600));
    let error = client.complete(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, reason } if field == "session" && reason.starts_with("expired at")),
        "{error:?}"
    );
    assert_eq!(complete.calls_async().await, 0);
}

#[tokio::test]
async fn an_unreadable_sale_is_kept_raw_and_never_paid() {
    let server = MockServer::start_async().await;
    token(&server).await;
    begin_mock(&server, "MerchantNo=0007777777;RequestAmount=0,13").await;
    let client = client_with(config(&server), &clock());
    let session = client
        .begin(&wallet(), &qr(), QrCodeType::Default)
        .await
        .unwrap();
    assert!(matches!(&session.sale, Embedded::Raw { text, .. } if text.starts_with("MerchantNo=")));
    let error = client.complete(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "session"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_401_renews_the_token_once() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.path("/connect/token");
            then.status(200)
                .json_body(json!({"access_token": "T1", "expires_in": 3600}));
        })
        .await;
    first.up_to_n_times_async(1).await;
    let second = server
        .mock_async(|when, then| {
            when.path("/connect/token");
            then.status(200)
                .json_body(json!({"access_token": "T2", "expires_in": 3600}));
        })
        .await;
    let refused = server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Begin3rdPartyQRCodePayment")
                .header("authorization", "Bearer T1");
            then.status(401);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Begin3rdPartyQRCodePayment").header("authorization", "Bearer T2");
            then.status(200).json_body(json!({"status": 0, "code": "100", "payload": {"tx_correlation_id": "5", "payment_data": payment_data("1", "2021-04-01T08:38:40")}}));
        })
        .await;
    client_with(config(&server), &clock())
        .begin(&wallet(), &qr(), QrCodeType::Default)
        .await
        .unwrap();
    assert_eq!(
        (first.calls_async().await, second.calls_async().await),
        (1, 1)
    );
    assert_eq!(
        (refused.calls_async().await, accepted.calls_async().await),
        (1, 1)
    );
}

/// A token no HTTP header can carry is refused when it is issued — an
/// undecodable token answer that keeps the token out of the error — and is
/// never cached: nothing is sent under it, and the next call asks again.
#[tokio::test]
async fn a_token_no_header_can_carry_is_refused_as_issued_and_not_kept() {
    let server = MockServer::start_async().await;
    let issued = server
        .mock_async(|when, then| {
            when.path("/connect/token");
            then.status(200)
                .json_body(json!({"access_token": "T1\nX-Injected: 1", "expires_in": 3600}));
        })
        .await;
    let begin = server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Begin3rdPartyQRCodePayment");
            then.status(200);
        })
        .await;
    let client = client_with(config(&server), &clock());
    for calls in 1..=2 {
        let error = client
            .begin(&wallet(), &qr(), QrCodeType::Default)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::UndecodableResponse { operation, detail, .. }
                if operation.name == "token" && detail.contains("cannot carry")),
            "{error:?}"
        );
        assert_no_secret(&error_texts(&error), &["T1", "X-Injected"]);
        assert_eq!(
            error.diagnostics().http_status,
            Some(200),
            "the issuing answer's status"
        );
        assert_eq!(issued.calls_async().await, calls);
    }
    assert_eq!(begin.calls_async().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_begins_share_one_token_request() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.path("/connect/token");
            then.status(200)
                .delay(Duration::from_millis(50))
                .json_body(json!({"access_token": "T1", "expires_in": 3600}));
        })
        .await;
    begin_mock(&server, &payment_data("0.13", "2021-04-01T08:38:40.51")).await;
    let client = client_with(config(&server), &clock());
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.begin(&wallet(), &qr(), QrCodeType::Default).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(token.calls_async().await, 1);
}

#[tokio::test]
async fn refused_client_credentials_are_an_authentication_error_without_the_secret() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/connect/token");
            then.status(400)
                .json_body(json!({"error": "invalid_client"}));
        })
        .await;
    let client = client_with(config(&server), &clock());
    let error = client
        .begin(&wallet(), &qr(), QrCodeType::Default)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error:?}");
    let mut texts = error_texts(&error);
    texts.push(format!("{client:?}"));
    assert_no_secret(&texts, &[SECRET]);
}

#[tokio::test]
async fn malformed_answers_are_typed_errors() {
    for (body, detail) in [
        (
            "<html><body>Bad Gateway</body></html>",
            "an HTML or XML page",
        ),
        ("", "empty body"),
        (
            r#"{"status":0,"code":"100","payload":{"tx_corr"#,
            "truncated JSON",
        ),
        (r#"{"status":0,"code":"100"}"#, "success without a payload"),
        (
            r#"{"status":0,"code":"100","payload":{"tx_correlation_id":"12x","payment_data":"{}"}}"#,
            "tx_correlation_id",
        ),
        (
            r#"{"status":0,"code":"100","payload":{"tx_correlation_id":"12","payment_data":"{\"RequestAmount\":0.135,\"ResponseCode\":0}"}}"#,
            "RequestAmount: amount 0.135",
        ),
        (
            r#"{"status":0,"code":"100","payload":{"tx_correlation_id":"12","payment_data":"{\"RequestAmount\":1,\"Kdv\":\"bir\",\"ResponseCode\":0}"}}"#,
            "Kdv `bir`",
        ),
    ] {
        let server = MockServer::start_async().await;
        token(&server).await;
        server
            .mock_async(|when, then| {
                when.path("/v1/Transaction/Begin3rdPartyQRCodePayment");
                then.status(200).body(body);
            })
            .await;
        let error = client_with(config(&server), &clock())
            .begin(&wallet(), &qr(), QrCodeType::Default)
            .await
            .unwrap_err();
        match error {
            Error::UndecodableResponse { detail: d, .. } => {
                assert!(d.starts_with(detail), "{body:?}: {d}");
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_complete_lost_in_a_gateway_error_is_unknown_and_settle_finds_it_paid() {
    let server = MockServer::start_async().await;
    let (client, session) = begun(&server, &clock()).await;
    let lost = server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Complete3rdPartyQRCodePayment");
            then.status(504).body("<html>Gateway Timeout</html>");
        })
        .await;
    lost.up_to_n_times_async(1).await;
    let duplicate = server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Complete3rdPartyQRCodePayment")
                .body(r#"{"wallet_number":"1011179271","provider_id":"provider-7","tx_correlation_id":7777777777777777777777}"#);
            then.status(200).json_body(json!({"status": 1, "code": "301", "message": "Mükerrer işlem"}));
        })
        .await;
    let error = client.complete(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == "7777777777777777777777"),
        "{error:?}"
    );
    assert_eq!(lost.calls_async().await, 1, "not retried");
    let settled = client.settle_session(&session).await.unwrap();
    assert!(
        matches!(settled, Settlement::CompletedEarlier { .. }),
        "{settled:?}"
    );
    assert_eq!(duplicate.calls_async().await, 1);
}

/// A repeated Complete that answers for another sale is not this payment's
/// settlement: the same check as `complete`.
#[tokio::test]
async fn settle_refuses_a_receipt_for_another_sale() {
    let server = MockServer::start_async().await;
    let (client, session) = begun(&server, &clock()).await;
    let mut other_sale = receipt("0.13");
    other_sale["payload"]["ext_order_id"] =
        json!("{\"saleRefCode\":\"1111111111111111111111\",\"transactionId\":98598610}");
    server
        .mock_async(|when, then| {
            when.path("/v1/Transaction/Complete3rdPartyQRCodePayment");
            then.status(200).json_body(other_sale);
        })
        .await;
    let error = client.settle_session(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field, actual, .. }
            if *field == "saleRefCode" && actual.as_ref() == "1111111111111111111111"),
        "{error:?}"
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    assert!(
        matches!(WalletNumber::new(" "), Err(Error::InvalidInput { ref field, .. }) if field == "wallet_number")
    );
    assert!(matches!(
        WalletNumber::new("12 34"),
        Err(Error::InvalidInput { .. })
    ));
    assert!(
        matches!(QrCode::new(""), Err(Error::InvalidInput { ref field, .. }) if field == "qr_code")
    );
    assert!(matches!(
        QrCode::new("a\nb"),
        Err(Error::InvalidInput { .. })
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start_async());
    let error = QrWalletConfig::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        BaseUrl::endpoint(&server.url("/connect/token")).unwrap(),
        "c",
        SecretString::from("s"),
        "x",
        " ",
    )
    .unwrap_err();
    // A bad configuration is a configuration error, not refused input.
    assert!(
        matches!(&error, Error::Configuration { message } if message.contains("provider_id")),
        "{error:?}"
    );
    let client = rt.block_on(async { client_with(config(&server), &clock()) });
    let error = rt
        .block_on(client.create_qr_code("m", "t", Money::parse("1", Currency::USD).unwrap()))
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { ref field, .. } if field == "amount"));
}

/// The token endpoint carries the client secret: plain http is refused
/// there as for the API (loopback aside), before anything is sent.
#[tokio::test]
async fn a_plain_http_token_url_off_loopback_is_a_configuration_error() {
    let server = MockServer::start_async().await;
    let mut config = config(&server);
    config.token_url = url::Url::parse("http://identity.example.com/connect/token").unwrap();
    let error = QrWalletClient::builder(config)
        .clock(Arc::new(clock()))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Configuration { .. }), "{error:?}");
    assert!(error.to_string().contains("token_url"), "{error}");
}

/// The seed's Complete table says `code` "0" on success, its examples "100":
/// with `status` 0, both are success; another code is not.
#[tokio::test]
async fn complete_success_is_code_100_or_0() {
    for (code, success) in [("100", true), ("0", true), ("00", false), ("1000", false)] {
        let server = MockServer::start_async().await;
        let (client, session) = begun(&server, &clock()).await;
        let mut answer = receipt("0.13");
        answer["code"] = json!(code);
        server
            .mock_async(|when, then| {
                when.path("/v1/Transaction/Complete3rdPartyQRCodePayment");
                then.status(200).json_body(answer.clone());
            })
            .await;
        let result = client.complete(&session).await;
        assert_eq!(result.is_ok(), success, "{code}: {result:?}");
    }
}

/// A client whose Begin is answered with the sale `data`, and that answer.
async fn begun_with(data: &str) -> (QrWalletClient, Result<QrSession, Error>) {
    let server = MockServer::start_async().await;
    token(&server).await;
    begin_mock(&server, data).await;
    let client = client_with(config(&server), &clock());
    let session = client.begin(&wallet(), &qr(), QrCodeType::Default).await;
    (client, session)
}

/// The sale inside `payment_data` (JSON in a string) is read as strictly as
/// the answer around it: two `RequestAmount`s (the last one was kept) keep
/// the sale raw, and it is never paid; an amount no double carries exactly
/// (it was read as 0.13) is read as written, and a sale of
/// 0.13000000000000000001 TRY is refused whole: nothing to pay.
#[tokio::test]
async fn a_sale_naming_its_amount_twice_or_inexactly_is_never_paid() {
    let data = payment_data("0.13", "2021-04-01T08:38:40.51").replace(
        r#""RequestAmount":0.13"#,
        r#""RequestAmount":900.00,"RequestAmount":0.13"#,
    );
    let (client, session) = begun_with(&data).await;
    let session = session.unwrap();
    assert!(
        matches!(&session.sale, Embedded::Raw { error, .. } if error.contains("`RequestAmount` appears twice")),
        "{:?}",
        session.sale
    );
    let error = client.complete(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "session"),
        "{error:?}"
    );

    let (_, session) = begun_with(&payment_data(
        "0.13000000000000000001",
        "2021-04-01T08:38:40.51",
    ))
    .await;
    let error = session.unwrap_err();
    assert!(
        matches!(&error, Error::UndecodableResponse { detail, .. }
            if detail.contains("RequestAmount") && detail.contains("0.13000000000000000001")),
        "{error:?}"
    );
}
