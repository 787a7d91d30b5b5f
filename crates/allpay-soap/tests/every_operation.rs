//! Every operation through the public client, against mocks that accept
//! only the right SOAPAction, content type and the exact signed envelope.
//! Signing is deterministic (fixed clock, seeded GUIDs, RSA PKCS#1 v1.5), so
//! the envelopes are the ones the crate's request snapshots pin.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use allpay_soap::dsig::{SigningKey, VerifyingKey};
use allpay_soap::sandbox::{allpay_public_key, merchant_private_key};
use allpay_soap::{
    AllpayClient, AllpayConfig, CashIn, CashOut, CashOutToken, TerminalStatus, TransactionStatus,
    UserName,
};
use httpmock::prelude::*;
use payments_core::clock::ManualClock;
use payments_core::reference::{MerchantReference, SeededUuidReferences, UuidFormat};
use payments_core::{BaseUrl, Currency, Money};

const CASH_IN: &str = "/allpay-public-soap/cash-in-transaction-management/v1.1";
const TM: &str = "/allpay-public-soap/transaction-management/v1.1";
const CI_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";
const TM_NS: &str = "http://www.allpay.kz/mfs/soap/TransactionManagement/1.1";

/// The envelope a request snapshot pins.
fn envelope(name: &str) -> String {
    let path = format!(
        "{}/src/snapshots/allpay_soap__session__request_snapshots__request_{name}.snap",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    text.split_once("\n---\n").unwrap().1.trim().to_owned()
}

fn answer(ns: &str, op: &str, inner: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:{op}Response xmlns:ns="{ns}"><return>{inner}</return></ns:{op}Response></soapenv:Body></soapenv:Envelope>"#
    )
}

const OK: &str = "<header><status>0</status></header>";

#[tokio::test]
async fn every_operation_sends_its_action_content_type_and_exact_envelope() {
    let server = MockServer::start_async().await;
    // The GUID the seeded client draws first: every answer echoes it.
    let guid = MerchantReference::generate(
        &SeededUuidReferences::new(3, UuidFormat::Braced),
        &allpay_soap::BRACED_GUID_RULES,
    )
    .unwrap();
    let info = |status: &str| {
        format!(
            "{OK}<transactionInfo><GUID>{guid}</GUID><amount>1500.5</amount><transactionId>5001</transactionId><transactionStatus>{status}</transactionStatus></transactionInfo>"
        )
    };
    let user_info = format!("{OK}<basicUserInfo><identified>true</identified></basicUserInfo>");
    let mut mocks = Vec::new();
    for (path, action, snapshot, body) in [
        (
            CASH_IN,
            "echo",
            "echo",
            // Allpay's `String echo(String)`: the text itself in `return`.
            format!(
                r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:echoResponse xmlns:ns="{CI_NS}"><return>ping</return></ns:echoResponse></soapenv:Body></soapenv:Envelope>"#
            ),
        ),
        (
            CASH_IN,
            "checkUser",
            "check_user",
            answer(CI_NS, "checkUser", &user_info),
        ),
        (
            CASH_IN,
            "checkUserAndValidateCashIn",
            "check_user_and_validate_cash_in",
            answer(CI_NS, "checkUserAndValidateCashIn", &user_info),
        ),
        (
            CASH_IN,
            "createCashInPayment",
            "create_cash_in_payment",
            answer(
                CI_NS,
                "createCashInPayment",
                &format!(
                    "{OK}<terminalPaymentTransactionStatus>COMPLETED</terminalPaymentTransactionStatus>"
                ),
            ),
        ),
        (
            TM,
            "createCashInTransaction",
            "create_cash_in_transaction",
            answer(TM_NS, "createCashInTransaction", &info("PENDING")),
        ),
        (
            TM,
            "createCashOutTransaction",
            "create_cash_out_transaction",
            answer(TM_NS, "createCashOutTransaction", &info("PENDING")),
        ),
        (
            TM,
            "completeTransaction",
            "complete_transaction",
            answer(TM_NS, "completeTransaction", &info("COMPLETED")),
        ),
        (
            TM,
            "declineTransaction",
            "decline_transaction",
            answer(TM_NS, "declineTransaction", &info("DECLINED")),
        ),
        (
            TM,
            "availableBalance",
            "available_balance",
            answer(
                TM_NS,
                "availableBalance",
                &format!("{OK}<agentBalanceResponse>1000000.00</agentBalanceResponse>"),
            ),
        ),
    ] {
        let expected = envelope(snapshot);
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(path)
                    .header("soapaction", format!("\"{action}\""))
                    .header("content-type", "text/xml; charset=utf-8")
                    .body(expected);
                then.status(200)
                    .header("content-type", "text/xml")
                    .body(body);
            })
            .await;
        mocks.push(mock);
    }

    let config = AllpayConfig::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        "agent-7",
        "1001",
        SigningKey::from_pem(merchant_private_key()).unwrap(),
        VerifyingKey::from_pem(allpay_public_key()).unwrap(),
    )
    .disable_response_verification_insecure();
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800));
    let client = AllpayClient::builder(config)
        .clock(Arc::new(clock))
        .references(Arc::new(SeededUuidReferences::new(3, UuidFormat::Braced)))
        .build()
        .unwrap();
    let user = UserName::new("77011234567").unwrap();
    let payment = CashIn {
        to_user: user.clone(),
        amount: Money::parse("1500.50", Currency::KZT).unwrap(),
        guid: client.new_guid().unwrap(),
    };

    assert_eq!(client.echo("ping").await.unwrap(), "ping");
    assert!(client.check_user(&user).await.unwrap().unwrap().identified);
    assert!(
        client
            .check_user_for_cash_in(&user)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        client
            .create_cash_in_payment(&payment)
            .await
            .unwrap()
            .status,
        TerminalStatus::Completed
    );
    assert_eq!(
        client
            .create_cash_in_transaction(&payment)
            .await
            .unwrap()
            .status,
        TransactionStatus::Pending
    );
    assert_eq!(
        client
            .complete_transaction(&payment.guid, 5001)
            .await
            .unwrap()
            .status,
        TransactionStatus::Completed
    );
    assert_eq!(
        client
            .decline_transaction(&payment.guid, 5001)
            .await
            .unwrap()
            .status,
        TransactionStatus::Declined
    );
    let cash_out = CashOut {
        from_user: user.clone(),
        amount: payment.amount,
        guid: payment.guid.clone(),
        token: CashOutToken::new("482913").unwrap(),
    };
    assert_eq!(
        client
            .create_cash_out_transaction(&cash_out)
            .await
            .unwrap()
            .status,
        TransactionStatus::Pending
    );
    let balance = client.available_balance().await.unwrap();
    assert_eq!(
        balance.amount,
        Some(Money::parse("1000000", Currency::KZT).unwrap())
    );
    for mock in mocks {
        mock.assert_async().await;
    }
}
