//! Create and activate against a mock server: the exact request, one test
//! per documented answer, and every malformed answer.

use std::sync::Arc;
use std::time::Duration;

use httpmock::prelude::*;
use paykassma::{
    Activation, ActivationOutcome, Label, PaykassmaClient, PaykassmaConfig, TransactionNumber,
    WalletType,
};
use payments_core::reference::{MerchantReference, SequentialReferences};
use payments_core::testkit::{assert_no_secret, closed_port, error_texts};
use payments_core::{BaseUrl, Currency, DeclineKind, Error, Money, SecretString};

const SECRET: &str = "s3cr3t/plugin+key";

fn config(server: &MockServer, total: Duration) -> PaykassmaConfig {
    let base = BaseUrl::parse(&server.base_url()).unwrap();
    let mut config = PaykassmaConfig::with_urls(base.clone(), base, SecretString::from(SECRET));
    config.http = payments_core::testkit::quick_http(total);
    config
}

fn client(server: &MockServer) -> PaykassmaClient {
    PaykassmaClient::builder(config(server, Duration::from_secs(2)))
        .references(Arc::new(SequentialReferences::new("dep")))
        .build()
        .unwrap()
}

fn mmk(amount: &str) -> Money {
    Money::parse(amount, Currency::MMK).unwrap()
}

fn activation(amount: &str) -> Activation {
    Activation {
        label: Label::new("55").unwrap(),
        wallet_type: WalletType::WAVEPAY,
        key1: TransactionNumber::new("1394646476").unwrap(),
        amount: mmk(amount),
        custom_transaction_id: MerchantReference::new(
            "123465477897",
            &paykassma::CUSTOM_TRANSACTION_ID_RULES,
        )
        .unwrap(),
    }
}

#[tokio::test]
async fn create_posts_currency_and_label_with_the_secret_in_the_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/transaction/create/wavepay")
                .query_param("secret", SECRET)
                .header("content-type", "application/json")
                .header(
                    "user-agent",
                    concat!("paykassma/", env!("CARGO_PKG_VERSION")),
                )
                .body(r#"{"currency":"MMK","label":"eligendi"}"#);
            then.status(200)
                .body(r#"{"status": "ok", "params": {"identifier": "324342342"}}"#);
        })
        .await;
    let details = client(&server)
        .create_deposit(&Label::new("eligendi").unwrap(), Currency::MMK)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(details.identifier.as_deref(), Some("324342342"));
    insta::assert_debug_snapshot!("create_answer", details);
}

#[tokio::test]
async fn create_keeps_other_wallet_types_parameters() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/api/v1/transaction/create/upi_s").query_param("secret", SECRET);
            then.status(200).body(r#"{"status":"ok","params":{"identifier":"merchant@upi","qr":"upi://pay?pa=merchant@upi","account_name":"Shop"}}"#);
        })
        .await;
    let details = client(&server)
        .create_deposit_for(
            &Label::new("u1").unwrap(),
            Currency::INR,
            &WalletType::new("upi_s"),
        )
        .await
        .unwrap();
    assert_eq!(details.params["qr"], "upi://pay?pa=merchant@upi");
    assert_eq!(details.wallet_type.as_str(), "upi_s");
}

/// The wallet's parameters reach the merchant as `serde_json::Value`s,
/// whose numbers are doubles: a number no double carries exactly (an
/// amount of `500.0000000000000001` would read as 500) or a parameter named
/// twice refuses the answer instead.
#[tokio::test]
async fn create_parameters_a_double_would_round_or_named_twice_are_refused() {
    for (params, why) in [
        (
            r#"{"identifier":"1","amount":500.0000000000000001}"#,
            "cannot be read exactly",
        ),
        (
            r#"{"identifier":"1","identifier":"2"}"#,
            "`identifier` appears twice",
        ),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.path("/api/v1/transaction/create/wavepay");
                then.status(200)
                    .body(format!(r#"{{"status":"ok","params":{params}}}"#));
            })
            .await;
        let error = client(&server)
            .create_deposit(&Label::new("eligendi").unwrap(), Currency::MMK)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::UndecodableResponse { detail, .. } if detail.contains(why)),
            "{params}: {error:?}"
        );
    }
}

#[tokio::test]
async fn create_fail_is_a_decline_with_the_message() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/api/v1/transaction/create/wavepay");
            then.status(200)
                .body(r#"{"status": "fail", "message": "No wallets available"}"#);
        })
        .await;
    let error = client(&server)
        .create_deposit(&Label::new("u").unwrap(), Currency::MMK)
        .await
        .unwrap_err();
    assert_eq!(error.decline().unwrap().message, "No wallets available");
}

async fn activate_answering(status: u16, body: &str) -> (Result<ActivationOutcome, Error>, usize) {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/transaction/activate")
                .query_param("secret", SECRET)
                .header("content-type", "application/json")
                .body(r#"{"currency_code":"MMK","wallet_type":"wavepay","label":"55","amount":500,"key1":"1394646476","custom_transaction_id":"123465477897"}"#);
            then.status(status).body(body);
        })
        .await;
    let result = client(&server).activate(&activation("500")).await;
    let calls = mock.calls_async().await;
    (result, calls)
}

#[tokio::test]
async fn activate_credited_with_the_requested_amount() {
    let (outcome, calls) =
        activate_answering(200, r#"{"status": "ok", "deposit": true, "deposit_amount": 500, "currency": {"code": "MMK", "symbol": "MMK"}}"#).await;
    assert_eq!(calls, 1);
    let outcome = outcome.unwrap();
    assert_eq!(outcome, ActivationOutcome::Credited { amount: mmk("500") });
    insta::assert_debug_snapshot!("activate_credited", outcome);
}

#[tokio::test]
async fn activate_credited_with_another_amount_is_a_mismatch_in_money() {
    // The seed's own example: 500 asked, 6000 found.
    let (outcome, _) =
        activate_answering(200, r#"{"status": "ok", "deposit": true, "deposit_amount": 6000, "currency": {"code": "MMK", "symbol": "MMK"}}"#).await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field: "amount", expected, actual, .. }
            if expected.money() == Some(mmk("500")) && actual.money() == Some(mmk("6000"))),
        "{error:?}"
    );
    let json = serde_json::to_value(&error).unwrap();
    assert_eq!(json["code"], "integrity_mismatch");
    assert_eq!(json["actual"], serde_json::to_value(mmk("6000")).unwrap());
}

#[tokio::test]
async fn activate_pending_waits_for_the_postback() {
    let (outcome, _) = activate_answering(
        200,
        r#"{"status": "pending", "message": "The deposit status check has been started. The operation may take longer than expected. Upon completion of the verification, the funds will be credited to your account"}"#,
    )
    .await;
    let outcome = outcome.unwrap();
    assert!(
        matches!(&outcome, ActivationOutcome::Pending { message } if message.starts_with("The deposit status check"))
    );
    assert_eq!(outcome.credited_amount(), None);
    insta::assert_debug_snapshot!("activate_pending", outcome);
}

#[tokio::test]
async fn activate_possible_transaction_created() {
    let (outcome, _) =
        activate_answering(200, r#"{"status": "possible_transaction_created", "message": "Transaction not found. Possible transaction created"}"#).await;
    let outcome = outcome.unwrap();
    assert!(matches!(
        outcome,
        ActivationOutcome::PossibleTransactionCreated { .. }
    ));
    insta::assert_debug_snapshot!("activate_possible_transaction_created", outcome);
}

#[tokio::test]
async fn activate_fail_is_a_typed_decline() {
    let (outcome, _) = activate_answering(
        200,
        r#"{"status": "fail", "message": "The custom_transaction_id has already been taken."}"#,
    )
    .await;
    let error = outcome.unwrap_err();
    let decline = error.decline().unwrap();
    // The one kind read from a message: the id is taken.
    assert_eq!(decline.kind, DeclineKind::DuplicateReference);
    assert_eq!(
        decline.message,
        "The custom_transaction_id has already been taken."
    );
    assert!(error.outcome_known());
    // Paykassma has no correlation id: the custom_transaction_id and the
    // status name the call.
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.reference.as_deref(), Some("123465477897"));
    assert_eq!(diagnostics.http_status, Some(200));
    assert_eq!(diagnostics.correlation_id, None);
}

#[tokio::test]
async fn http_404_means_a_missing_or_wrong_secret() {
    let (outcome, calls) = activate_answering(404, "<html><body>Not Found</body></html>").await;
    let error = outcome.unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error:?}");
    assert!(error.to_string().contains("secret is missing or wrong"));
    assert!(!error.to_string().contains(SECRET));
    assert_eq!(error.diagnostics().http_status, Some(404));
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn malformed_activation_answers_are_typed_errors() {
    for (status, body, detail) in [
        (200, "<html><body>502</body></html>", "an HTML or XML page"),
        (200, "", "empty body"),
        (200, r#"{"status": "ok", "deposit": tr"#, "truncated JSON"),
        (200, r#"{"state": "ok"}"#, "unexpected JSON shape"),
        (200, r#"{"status": "ok", "deposit": false}"#, "`ok` without"),
        (
            200,
            r#"{"status": "refunded"}"#,
            "unknown status `refunded`",
        ),
        (
            200,
            r#"{"status": "ok", "deposit": true, "deposit_amount": 5.001}"#,
            "deposit_amount: amount 5.001",
        ),
    ] {
        let (outcome, _) = activate_answering(status, body).await;
        let error = outcome.expect_err(body);
        match &error {
            Error::UndecodableResponse { detail: d, .. } => {
                assert!(d.starts_with(detail), "{body:?}: {d}");
            }
            other => panic!("{body:?}: {other:?}"),
        }
        assert_eq!(error.reference(), Some("123465477897"), "{body:?}");
        assert_eq!(error.diagnostics().http_status, Some(status), "{body:?}");
    }
    let (outcome, _) = activate_answering(
        200,
        r#"{"status": "ok", "deposit": true, "deposit_amount": 500, "currency": {"code": "USD"}}"#,
    )
    .await;
    assert!(
        matches!(outcome, Err(Error::IntegrityMismatch { field, .. }) if field == "currency"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_activation_answered_by_a_gateway_error_is_an_unknown_outcome_sent_once() {
    let (outcome, calls) = activate_answering(503, "<html>Service Unavailable</html>").await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == "123465477897"),
        "{error:?}"
    );
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body("{}");
        })
        .await;
    let client = client(&server);
    assert!(
        matches!(Label::new("x".repeat(191)), Err(Error::InvalidInput { ref field, .. }) if field == "label")
    );
    assert!(Label::new("x".repeat(190)).is_ok());
    assert!(matches!(Label::new(""), Err(Error::InvalidInput { .. })));
    assert!(
        matches!(TransactionNumber::new("123456789012"), Err(Error::InvalidInput { ref field, .. }) if field == "key1")
    );
    assert!(
        matches!(TransactionNumber::new(" "), Err(Error::InvalidInput { ref field, .. }) if field == "key1")
    );
    assert!(TransactionNumber::new("12345678901").is_ok());
    let zero = Activation {
        amount: mmk("0"),
        ..activation("500")
    };
    assert!(
        matches!(client.activate(&zero).await, Err(Error::InvalidInput { ref field, .. }) if field == "amount")
    );
    let bad_type = Activation {
        wallet_type: WalletType::new("wave pay/../x"),
        ..activation("500")
    };
    assert!(
        matches!(client.activate(&bad_type).await, Err(Error::InvalidInput { ref field, .. }) if field == "wallet_type")
    );
    assert!(matches!(
        Money::parse("1.001", Currency::MMK).map_err(Error::from),
        Err(Error::InvalidInput { .. })
    ));
    assert!("MMKX".parse::<Currency>().is_err());
    assert_eq!(any.calls_async().await, 0, "nothing was sent");
}

#[tokio::test]
async fn the_secret_never_shows_in_errors_of_a_refused_connection_or_a_timeout() {
    let check = |error: &Error| {
        assert_no_secret(
            &error_texts(error),
            &["s3cr3t", "plugin%2Bkey", "s3cr3t%2F"],
        );
    };
    // Refused: a port nobody listens on.
    let base = BaseUrl::parse(&format!("http://127.0.0.1:{}", closed_port())).unwrap();
    let refused = PaykassmaClient::new(PaykassmaConfig::with_urls(
        base.clone(),
        base,
        SecretString::from(SECRET),
    ))
    .unwrap();
    let error = refused.activate(&activation("500")).await.unwrap_err();
    assert!(matches!(error, Error::NotSent { .. }), "{error:?}");
    check(&error);
    let error = refused
        .create_deposit(&Label::new("u").unwrap(), Currency::MMK)
        .await
        .unwrap_err();
    check(&error);

    // Timed out.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .delay(Duration::from_millis(500))
                .body("{}");
        })
        .await;
    let slow = PaykassmaClient::new(config(&server, Duration::from_millis(100))).unwrap();
    let error = slow.activate(&activation("500")).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    check(&error);
    let error = slow
        .create_deposit(&Label::new("u").unwrap(), Currency::MMK)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                timed_out: true,
                ..
            }
        ),
        "{error:?}"
    );
    check(&error);
    assert!(!format!("{slow:?}").contains("s3cr3t"));
}

#[test]
fn payment_links_encode_every_parameter() {
    use paykassma::{Lang, PaymentLink};
    let plugin = BaseUrl::parse("https://plugin.pay.example.com").unwrap();
    let url = PaymentLink::new(
        &plugin,
        &Label::new("user&55=ဝေ").unwrap(),
        &WalletType::WAVEPAY,
        Currency::MMK,
    )
    .lang(&Lang::new("th"))
    .custom_transaction_id(
        &MerchantReference::new("order#1", &paykassma::CUSTOM_TRANSACTION_ID_RULES).unwrap(),
    )
    .fixed_amount(mmk("500.50"))
    .unwrap()
    .success_url_id("12")
    .fail_url_id("13")
    .pending_url_id("14")
    .hashed_success_url("aGFzaA==")
    .hashed_fail_url("f/h")
    .hashed_pending_url("p h")
    .build();
    insta::assert_snapshot!("payment_link", url.as_str());
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(pairs[0], ("label".into(), "user&55=ဝေ".into()));
    assert!(pairs.contains(&("fixed_amount".into(), "500.5".into())));
    assert!(
        PaymentLink::new(
            &plugin,
            &Label::new("u").unwrap(),
            &WalletType::WAVEPAY,
            Currency::MMK
        )
        .fixed_amount(Money::parse("5", Currency::USD).unwrap())
        .is_err()
    );
}

/// `500.0000000000000001` reached serde as the double 500 and the deposit
/// read as credited with exactly 500; an integer past `u64` as a rounded
/// double. Amounts are read from their text now: each is the amount as
/// written (named in the error), neither is a credit of 500, and the
/// activation's outcome stays unknown.
#[tokio::test]
async fn an_activation_amount_no_double_carries_is_read_as_written_not_rounded() {
    for amount in ["500.0000000000000001", "100000000000000000500"] {
        let (outcome, calls) = activate_answering(
            200,
            &format!(
                r#"{{"status": "ok", "deposit": true, "deposit_amount": {amount}, "currency": {{"code": "MMK", "symbol": "MMK"}}}}"#
            ),
        )
        .await;
        assert_eq!(calls, 1);
        let error = outcome.unwrap_err();
        assert!(
            format!("{error:?}").contains(amount),
            "{amount} is named as written: {error:?}"
        );
        assert!(!error.outcome_known(), "{amount}: {error:?}");
    }
}

/// serde_json keeps the last of two members with one name: an activation
/// answer saying `fail` and then `ok` must not read as either.
#[tokio::test]
async fn an_activation_answer_naming_its_status_twice_is_refused() {
    let (outcome, _) = activate_answering(
        200,
        r#"{"status": "fail", "deposit": true, "deposit_amount": 500, "currency": {"code": "MMK", "symbol": "MMK"}, "status": "ok"}"#,
    )
    .await;
    let error = outcome.unwrap_err();
    assert!(error.to_string().contains("twice"), "{error}");
    assert!(!error.outcome_known(), "{error:?}");
}

/// A `fail` whose message quotes the request line carried `?secret=…` into
/// the error's Display (and so into logs and the journal's `detail`). Every
/// provider text in an error is scrubbed: raw, percent-encoded and
/// JSON-escaped forms alike.
#[tokio::test]
async fn a_decline_message_quoting_the_secret_is_scrubbed() {
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    let (outcome, _) = activate_answering(
        200,
        &format!(
            r#"{{"status": "fail", "message": "bad request POST /api/v1/transaction/activate?secret={SECRET} (also {encoded})"}}"#
        ),
    )
    .await;
    let error = outcome.unwrap_err();
    let decline = error.decline().expect("still a decline");
    assert!(decline.message.contains("secret=[REDACTED]"), "{decline:?}");
    assert_no_secret(&error_texts(&error), &[SECRET, encoded.as_str()]);
}
