//! Every operation against the signing sandbox, and the terminal-payment
//! repeat semantics.
#![cfg(feature = "sandbox")]

use std::time::Duration;

use allpay_soap::dsig::SigningKey;
use allpay_soap::sandbox::{AllpaySandbox, SandboxOptions};
use allpay_soap::{AllpayClient, CashIn, TerminalStatus, TransactionStatus, UserInfo, UserName};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::Fault;
use payments_core::{Currency, Error, Money};

fn kzt(amount: &str) -> Money {
    Money::parse(amount, Currency::KZT).unwrap()
}

/// A sandbox whose terminal payments stay `PENDING` for `polls` repeats.
async fn pending_for(polls: u32) -> AllpaySandbox {
    AllpaySandbox::start_with(SandboxOptions {
        pending_polls: polls,
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

fn client(sandbox: &AllpaySandbox) -> AllpayClient {
    let mut config = sandbox.config();
    config.http.timeouts.total = Duration::from_millis(800);
    config.terminal_schedule =
        RetryPolicy::new(6, Duration::from_millis(5), Duration::from_millis(20));
    AllpayClient::new(config).unwrap()
}

fn cash_in(client: &AllpayClient, user: &str, amount: &str) -> CashIn {
    CashIn {
        to_user: UserName::new(user).unwrap(),
        amount: kzt(amount),
        guid: client.new_guid().unwrap(),
    }
}

#[tokio::test]
async fn echo_and_check_users_round_trip_signed() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    assert_eq!(client.echo("пинг").await.unwrap(), "пинг");
    let known = client
        .check_user(&UserName::new("77011234567").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(known.last_name.as_deref(), Some("Серикова"));
    assert!(
        client
            .check_user_for_cash_in(&UserName::new("77011234567").unwrap())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        client
            .check_user(&UserName::new("77000000000").unwrap())
            .await
            .unwrap(),
        None
    );
    let balance = client.available_balance().await.unwrap();
    assert_eq!(balance.amount, Some(kzt("1000000")));
    assert_eq!(balance.text, "1000000.00");
}

#[tokio::test]
async fn a_terminal_payment_stays_pending_until_repeated_then_completes_once() {
    let sandbox = pending_for(2).await;
    let client = client(&sandbox);
    let payment = cash_in(&client, "77011234567", "1500");
    assert_eq!(
        client
            .create_cash_in_payment(&payment)
            .await
            .unwrap()
            .status,
        TerminalStatus::Pending
    );
    let done = client.drive_cash_in_payment(&payment).await.unwrap();
    assert_eq!(done.status, TerminalStatus::Completed);
    assert_eq!(sandbox.cashed_in().len(), 1);
    assert_eq!(sandbox.agent_balance(), kzt("998500"));
    // Asking again is harmless: same GUID, same final answer, no second cash-in.
    assert_eq!(
        client.drive_cash_in_payment(&payment).await.unwrap().status,
        TerminalStatus::Completed
    );
    assert_eq!(sandbox.cashed_in().len(), 1);
}

#[tokio::test]
async fn a_terminal_payment_to_an_unknown_customer_is_declined_with_a_reason() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    let done = client
        .drive_cash_in_payment(&cash_in(&client, "77000000000", "10"))
        .await
        .unwrap();
    assert_eq!(done.status, TerminalStatus::Declined);
    assert_eq!(done.reason.as_deref(), Some("user not found"));
    assert!(sandbox.cashed_in().is_empty());
}

#[tokio::test]
async fn network_errors_and_http_500_count_as_pending_and_the_same_guid_settles_it() {
    let sandbox = pending_for(0).await;
    let client = client(&sandbox);
    // The first attempt completes on Allpay's side, but the answer is lost;
    // the second meets a gateway error.
    sandbox
        .faults()
        .inject("createCashInPayment", Fault::DropAfterCommit);
    sandbox
        .faults()
        .inject("createCashInPayment", Fault::Status(500));
    let payment = cash_in(&client, "77011234567", "2500");
    let done = client.drive_cash_in_payment(&payment).await.unwrap();
    assert_eq!(done.status, TerminalStatus::Completed);
    assert_eq!(sandbox.cashed_in().len(), 1, "no double cash-in");
    assert_eq!(sandbox.agent_balance(), kzt("997500"));
    assert_eq!(sandbox.faults().injected().len(), 2);
}

#[tokio::test]
async fn a_payment_still_pending_when_the_schedule_ends_is_an_unknown_outcome_with_its_guid() {
    let sandbox = pending_for(100).await;
    let client = client(&sandbox);
    let payment = cash_in(&client, "77011234567", "5");
    let error = client.drive_cash_in_payment(&payment).await.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == payment.guid.as_str()),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_two_phase_cash_in_blocks_then_moves_the_money() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    let payment = cash_in(&client, "77011234567", "700");
    let created = client.create_cash_in_transaction(&payment).await.unwrap();
    assert_eq!(created.status, TransactionStatus::Pending);
    assert_eq!(
        (sandbox.agent_balance(), sandbox.blocked()),
        (kzt("999300"), kzt("700"))
    );
    // A repeat with the same GUID returns the same transaction.
    assert_eq!(
        client
            .create_cash_in_transaction(&payment)
            .await
            .unwrap()
            .transaction_id,
        created.transaction_id
    );
    let completed = client
        .complete_transaction(&payment.guid, created.transaction_id)
        .await
        .unwrap();
    assert_eq!(completed.status, TransactionStatus::Completed);
    assert_eq!(
        (sandbox.blocked(), sandbox.cashed_in().len()),
        (kzt("0"), 1)
    );
    // Completing again answers the same; declining a completed one is refused.
    assert_eq!(
        client
            .complete_transaction(&payment.guid, created.transaction_id)
            .await
            .unwrap()
            .status,
        TransactionStatus::Completed
    );
    let error = client
        .decline_transaction(&payment.guid, created.transaction_id)
        .await
        .unwrap_err();
    assert_eq!(
        error.decline().unwrap().message.split(' ').next(),
        Some("TRANSACTION_STATE_CONFLICT")
    );
    assert_eq!(sandbox.cashed_in().len(), 1);
}

#[tokio::test]
async fn a_declined_two_phase_cash_in_releases_the_money() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    let payment = cash_in(&client, "77011234567", "300");
    let created = client.create_cash_in_transaction(&payment).await.unwrap();
    let declined = client
        .decline_transaction(&payment.guid, created.transaction_id)
        .await
        .unwrap();
    assert_eq!(declined.status, TransactionStatus::Declined);
    assert_eq!(
        (sandbox.agent_balance(), sandbox.blocked()),
        (kzt("1000000"), kzt("0"))
    );
    assert!(sandbox.cashed_in().is_empty());
}

#[tokio::test]
async fn a_lost_complete_answer_is_settled_by_completing_again() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    let payment = cash_in(&client, "77011234567", "50");
    let created = client.create_cash_in_transaction(&payment).await.unwrap();
    sandbox
        .faults()
        .inject("completeTransaction", Fault::DropAfterCommit);
    let error = client
        .complete_transaction(&payment.guid, created.transaction_id)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    let settled = client
        .complete_transaction(&payment.guid, created.transaction_id)
        .await
        .unwrap();
    assert_eq!(settled.status, TransactionStatus::Completed);
    assert_eq!(sandbox.cashed_in().len(), 1);
}

#[tokio::test]
async fn a_business_fault_carries_the_customer_facing_message() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    let error = client
        .create_cash_in_transaction(&cash_in(&client, "77000000000", "10"))
        .await
        .unwrap_err();
    let decline = error.decline().unwrap();
    assert_eq!(
        decline.user_message.as_deref(),
        Some("Пользователь не найден")
    );
    assert!(
        decline.message.starts_with("USER_NOT_FOUND (stackHash sb-"),
        "{}",
        decline.message
    );
}

#[tokio::test]
async fn a_request_signed_with_the_wrong_key_gets_the_sign_error() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let mut config = sandbox.config();
    config.signing_key = SigningKey::from_pem(allpay_soap::sandbox::allpay_private_key()).unwrap();
    let error = AllpayClient::new(config)
        .unwrap()
        .check_user(&UserName::new("77011234567").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Authentication { message, .. } if message.contains("Sign Error")),
        "{error:?}"
    );
}

/// What the client refuses in an answer, the sandbox refuses in a request:
/// the signed request as the client sends it is answered; with its
/// Signature moved into the Body, holding an `Object`, or a second
/// `certificateNumber`, it gets the "Sign Error" Fault.
#[tokio::test]
async fn the_sandbox_refuses_requests_by_the_clients_rules_for_answers() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    let prepared =
        allpay_soap::codec::check_user_request(&client, &UserName::new("77011234567").unwrap())
            .unwrap();
    let signed = prepared.xml().to_owned();
    let start = signed.find("<Signature ").unwrap();
    let end = signed.find("</Signature>").unwrap() + "</Signature>".len();
    let signature = &signed[start..end];
    let rest = format!("{}{}", &signed[..start], &signed[end..]);
    let http = allpay_soap::reqwest::Client::new();
    let url = format!("{}{}", sandbox.base_url(), allpay_soap::CASH_IN_PATH);
    let send = |body: String| {
        let request = http
            .post(url.clone())
            .header("soapaction", "\"checkUser\"")
            .header("content-type", "text/xml; charset=utf-8")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, body) = send(signed.clone()).await;
    assert_eq!(status, 200, "{body}");
    for altered in [
        rest.replacen("<soapenv:Body>", &format!("<soapenv:Body>{signature}"), 1),
        signed.replacen(
            "</Signature>",
            "<Object><certificateNumber xmlns=\"https://allpay.kz\">1001</certificateNumber></Object></Signature>",
            1,
        ),
        signed.replacen(
            "<soapenv:Header>",
            "<soapenv:Header><certificateNumber xmlns=\"https://allpay.kz\">1001</certificateNumber>",
            1,
        ),
    ] {
        let (status, body) = send(altered.clone()).await;
        assert_eq!(status, 500, "{altered}\n{body}");
        assert!(body.contains("Sign Error"), "{body}");
    }
}

#[tokio::test]
async fn customers_added_to_the_sandbox_can_be_paid() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    sandbox.add_user("77020000001", UserInfo::identified_for_tests("Ерлан"));
    let client = client(&sandbox);
    let done = client
        .drive_cash_in_payment(&cash_in(&client, "77020000001", "99.99"))
        .await
        .unwrap();
    assert_eq!(done.status, TerminalStatus::Completed);
}

#[tokio::test]
async fn a_cash_out_blocks_the_customers_money_then_moves_or_releases_it() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    let user = "77011234567";
    let start = sandbox.wallet_balance(user).unwrap();
    let agent = sandbox.agent_balance();
    let cash_out = |token: &str, amount: &str| allpay_soap::CashOut {
        from_user: UserName::new(user).unwrap(),
        amount: kzt(amount),
        guid: client.new_guid().unwrap(),
        token: allpay_soap::CashOutToken::new(token).unwrap(),
    };

    // Completed: blocked, then moved to the agent, once.
    let first = cash_out(&sandbox.cash_out_token(user), "2500");
    let created = client.create_cash_out_transaction(&first).await.unwrap();
    assert_eq!(created.status, TransactionStatus::Pending);
    assert_eq!(
        sandbox.wallet_balance(user),
        Some(start.checked_sub(kzt("2500")).unwrap())
    );
    // A lost answer is settled by the same request: the same transaction.
    let again = client.create_cash_out_transaction(&first).await.unwrap();
    assert_eq!(again.transaction_id, created.transaction_id);
    let done = client
        .complete_transaction(&first.guid, created.transaction_id)
        .await
        .unwrap();
    assert_eq!(done.status, TransactionStatus::Completed);
    assert_eq!(
        sandbox.agent_balance(),
        agent.checked_add(kzt("2500")).unwrap()
    );
    assert_eq!(sandbox.cashed_out().len(), 1);

    // Declined: the blocked money goes back to the customer.
    let second = cash_out(&sandbox.cash_out_token(user), "100");
    let created = client.create_cash_out_transaction(&second).await.unwrap();
    client
        .decline_transaction(&second.guid, created.transaction_id)
        .await
        .unwrap();
    assert_eq!(
        sandbox.wallet_balance(user),
        Some(start.checked_sub(kzt("2500")).unwrap())
    );
    assert_eq!(sandbox.cashed_out().len(), 1);

    // A wrong code is Allpay's verified refusal: a decline, nothing blocked.
    let error = client
        .create_cash_out_transaction(&cash_out("000000", "100"))
        .await
        .unwrap_err();
    assert!(
        error
            .decline()
            .unwrap()
            .message
            .starts_with("INVALID_TOKEN"),
        "{error:?}"
    );
    assert_eq!(
        sandbox.wallet_balance(user),
        Some(start.checked_sub(kzt("2500")).unwrap())
    );
}

#[test]
fn a_cash_out_token_is_six_digits_and_never_printed() {
    assert!(allpay_soap::CashOutToken::new("12345").is_err());
    assert!(allpay_soap::CashOutToken::new("12345a").is_err());
    let token = allpay_soap::CashOutToken::new(" 482913 ").unwrap();
    assert_eq!(token.as_str(), "482913");
    assert!(!format!("{token:?}").contains("482913"));
}

/// Allpay's key handed out as an X.509 certificate (as Java shops do)
/// verifies Allpay's answers like the bare public key.
#[tokio::test]
async fn allpays_key_may_be_given_as_an_x509_certificate() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let certificate = include_str!("fixtures/sb-allpay.cert.pem");
    let mut config = sandbox.config();
    config.verification = allpay_soap::ResponseVerification::Required(
        allpay_soap::dsig::VerifyingKey::from_pem(certificate).unwrap(),
    );
    let client = AllpayClient::new(config).unwrap();
    assert!(
        client
            .check_user(&UserName::new("77011234567").unwrap())
            .await
            .unwrap()
            .is_some()
    );
    // A certificate for another key does not verify them.
    let mut config = sandbox.config();
    config.verification = allpay_soap::ResponseVerification::Required(
        allpay_soap::dsig::VerifyingKey::from_pem(include_str!("fixtures/other.cert.pem")).unwrap(),
    );
    let error = AllpayClient::new(config)
        .unwrap()
        .check_user(&UserName::new("77011234567").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field, .. } if *field == "signature"),
        "{error:?}"
    );
    assert!(
        allpay_soap::dsig::VerifyingKey::from_pem(
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
        )
        .is_err()
    );
}

/// The sandbox, like a JAX-WS server, does not understand an unquoted
/// SOAPAction: what the client sends must be quoted.
#[tokio::test]
async fn the_sandbox_refuses_an_unquoted_soap_action() {
    let sandbox = AllpaySandbox::start().await.unwrap();
    let client = client(&sandbox);
    assert_eq!(client.echo("ping").await.unwrap(), "ping");
    // A request as the client would sign it, sent with a bare SOAPAction.
    let signed = allpay_soap::dsig::sign_envelope(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><certificateNumber xmlns="https://allpay.kz">1001</certificateNumber></soapenv:Header><soapenv:Body><ns:echo xmlns:ns="http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1"><Echo>ping</Echo></ns:echo></soapenv:Body></soapenv:Envelope>"#,
        &SigningKey::from_pem(allpay_soap::sandbox::merchant_private_key()).unwrap(),
    )
    .unwrap();
    let url = sandbox.base_url().join(allpay_soap::CASH_IN_PATH).unwrap();
    for (action, accepted) in [("echo", false), ("\"echo\"", true)] {
        let answer = reqwest::Client::new()
            .post(url.clone())
            .header("soapaction", action)
            .header("content-type", "text/xml; charset=utf-8")
            .body(signed.xml.clone())
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap();
        assert_eq!(status == 200, accepted, "{action}: {status} {text}");
    }
}

/// The drive is bounded by its deadline as well as its schedule: past it,
/// the payment is unknown with its GUID, never declined.
#[tokio::test]
async fn the_drive_past_its_deadline_is_unknown_with_its_guid() {
    let sandbox = pending_for(1000).await;
    let mut config = sandbox.config();
    config.terminal_schedule =
        RetryPolicy::new(1000, Duration::from_millis(5), Duration::from_millis(10));
    config.deadline = Duration::from_millis(300);
    let client = AllpayClient::new(config).unwrap();
    let payment = cash_in(&client, "77011234567", "100");
    let started = std::time::Instant::now();
    let error = client.drive_cash_in_payment(&payment).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), reason, .. }
            if r == payment.guid.as_str() && reason.contains("deadline")),
        "{error:?}"
    );
}

/// Allpay failing every drive past the schedule leaves the cash-in
/// unknown; one call with the GUID the error gives sends the same cash-in
/// again and settles it, paying once.
#[tokio::test]
async fn an_unknown_cash_in_is_settled_by_the_reference_its_error_gives() {
    let sandbox = pending_for(0).await;
    let client = client(&sandbox);
    let order = allpay_soap::CashInOrder::new(
        allpay_soap::OrderId::generate(),
        UserName::new("77011234567").unwrap(),
        kzt("700"),
    );
    sandbox
        .faults()
        .inject_times(Some("createCashInPayment".into()), Fault::Status(500), 1000);
    let error = allpay_soap::pay(&client, order).await.unwrap_err();
    assert_eq!(error.code(), "outcome_unknown", "{error}");
    assert_eq!(
        error.operation().unwrap().to_string(),
        "allpay.create_cash_in_payment"
    );
    let reference = error.reference().unwrap().to_owned();
    assert!(sandbox.cashed_in().is_empty());
    sandbox.faults().clear();

    let outcome = client.settle(&reference).await.unwrap();
    assert_eq!(outcome.status, payments_core::PaymentStatus::Completed);
    assert_eq!(client.settle(&reference).await.unwrap(), outcome);
    assert_eq!(sandbox.cashed_in().len(), 1, "paid once");
}

/// A terminal payment and the agent's balance serialize as a service
/// returns them, statuses as Allpay writes them.
#[tokio::test]
async fn payments_and_balances_serialize() {
    let sandbox = pending_for(0).await;
    let client = client(&sandbox);
    let payment = cash_in(&client, "77011234567", "300");
    let done = client.drive_cash_in_payment(&payment).await.unwrap();
    let json = serde_json::to_value(&done).unwrap();
    assert_eq!(json["status"], "COMPLETED", "{json}");
    let balance = client.available_balance().await.unwrap();
    let json = serde_json::to_value(&balance).unwrap();
    assert_eq!(json["text"], balance.text.as_str());
    assert_eq!(
        json["amount"],
        serde_json::to_value(balance.amount).unwrap()
    );
    assert!(balance.amount.is_some(), "{json}");
}
