//! Whole QR payments against the sandbox.
#![cfg(feature = "sandbox")]

use std::time::Duration;

use payments_core::sandbox::Fault;
use payments_core::{Currency, DeclineKind, Error, Money};
use tr_qr_wallet::sandbox::{MERCHANT_CODE, QrWalletSandbox, TERMINAL_CODE};
use tr_qr_wallet::{
    QrCode, QrCodeType, QrSession, QrWalletClient, Settlement, WalletCode, WalletNumber,
};

fn tl(amount: &str) -> Money {
    Money::parse(amount, Currency::TRY).unwrap()
}

fn wallet() -> WalletNumber {
    WalletNumber::new("1011179271").unwrap()
}

struct World {
    sandbox: QrWalletSandbox,
    client: QrWalletClient,
}

async fn world(balance: &str, limit: &str) -> World {
    let sandbox = QrWalletSandbox::start().await.unwrap();
    sandbox.add_wallet(&wallet(), tl(balance), tl(limit));
    let mut config = sandbox.config();
    config.http.timeouts.total = Duration::from_millis(500);
    config.settle = payments_core::http::RetryPolicy::new(
        3,
        Duration::from_millis(5),
        Duration::from_millis(20),
    );
    let client = QrWalletClient::builder(config)
        .clock(std::sync::Arc::new(sandbox.clock().clone()))
        .build()
        .unwrap();
    World { sandbox, client }
}

impl World {
    async fn qr(&self, amount: &str) -> QrCode {
        self.client
            .create_qr_code(MERCHANT_CODE, TERMINAL_CODE, tl(amount))
            .await
            .unwrap()
            .qr_code
    }

    /// The test wallet's session for a new sale of `amount`.
    async fn begun(&self, amount: &str) -> QrSession {
        let qr = self.qr(amount).await;
        self.client
            .begin(&wallet(), &qr, QrCodeType::Default)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_payment_debits_the_wallet_once_and_the_receipt_matches_the_sale() {
    let w = world("100", "1250").await;
    let qr = w.qr("12.50").await;
    let session = w
        .client
        .begin(&wallet(), &qr, QrCodeType::Default)
        .await
        .unwrap();
    let sale = session.sale.decoded().unwrap();
    assert_eq!(sale.amount, tl("12.50"));
    assert_eq!(
        sale.vat_ratio.map(|v| v.to_string()).as_deref(),
        Some("1.00")
    );
    assert_eq!(
        session.correlation_id.as_str().len(),
        22,
        "longer than any u64"
    );
    let receipt = w.client.complete(&session).await.unwrap();
    assert_eq!(receipt.charged, tl("12.50"));
    assert_eq!(
        receipt.order.decoded().unwrap().sale_reference,
        sale.sale_reference.clone().unwrap()
    );
    assert_eq!(receipt.sender.unwrap().total_balance, Some(tl("87.50")));
    assert_eq!(w.sandbox.balance(&wallet()), Some(tl("87.50")));
    assert_eq!(w.sandbox.debits().len(), 1);
}

#[tokio::test]
async fn the_short_code_works_as_well() {
    let w = world("100", "1250").await;
    let created = w
        .client
        .create_qr_code(MERCHANT_CODE, TERMINAL_CODE, tl("5"))
        .await
        .unwrap();
    let short = QrCode::new(created.short_code.as_deref().unwrap()).unwrap();
    let session = w
        .client
        .begin(&wallet(), &short, QrCodeType::Short)
        .await
        .unwrap();
    w.client.complete(&session).await.unwrap();
    assert_eq!(w.sandbox.balance(&wallet()), Some(tl("95")));
}

#[tokio::test]
async fn an_insufficient_balance_is_declined_and_nothing_moves() {
    let w = world("10", "1250").await;
    let session = w.begun("12.50").await;
    let error = w.client.complete(&session).await.unwrap_err();
    assert_eq!(
        error.decline().map(WalletCode::of),
        Some(WalletCode::InsufficientBalance)
    );
    assert_eq!(
        error.decline().unwrap().kind,
        DeclineKind::InsufficientFunds
    );
    assert_eq!(w.sandbox.balance(&wallet()), Some(tl("10")));
}

#[tokio::test]
async fn an_amount_over_the_payment_limit_is_declined() {
    let w = world("5000", "1250").await;
    let session = w.begun("1300").await;
    let error = w.client.complete(&session).await.unwrap_err();
    assert_eq!(
        error.decline().map(WalletCode::of),
        Some(WalletCode::LimitInsufficient)
    );
    assert!(w.sandbox.debits().is_empty());
}

#[tokio::test]
async fn an_unknown_wallet_is_declined_at_begin() {
    let w = world("100", "1250").await;
    let qr = w.qr("1").await;
    let error = w
        .client
        .begin(&WalletNumber::new("999").unwrap(), &qr, QrCodeType::Default)
        .await
        .unwrap_err();
    assert_eq!(
        error.decline().map(WalletCode::of),
        Some(WalletCode::WalletNotFound)
    );
}

#[tokio::test]
async fn an_expired_session_is_refused_by_the_client_before_any_request() {
    let w = world("100", "1250").await;
    let session = w.begun("12.50").await;
    w.sandbox.clock().advance(Duration::from_secs(301));
    let before = w.sandbox.counts().completes;
    let error = w.client.complete(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "session"),
        "{error:?}"
    );
    assert_eq!(w.sandbox.counts().completes, before);
    assert_eq!(w.sandbox.balance(&wallet()), Some(tl("100")));
}

#[tokio::test]
async fn a_second_complete_of_the_same_session_is_a_duplicate_and_debits_nothing() {
    let w = world("100", "1250").await;
    let session = w.begun("20").await;
    w.client.complete(&session).await.unwrap();
    let error = w.client.complete(&session).await.unwrap_err();
    // 301 to a Complete says the session was completed — maybe by this very
    // request: unknown, and settle reads it as "completed earlier".
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_eq!(
        error.provider_decline().map(WalletCode::of),
        Some(WalletCode::Duplicate)
    );
    assert!(matches!(
        w.client.settle_session(&session).await.unwrap(),
        Settlement::CompletedEarlier { .. }
    ));
    assert_eq!(w.sandbox.balance(&wallet()), Some(tl("80")));
    assert_eq!(w.sandbox.debits().len(), 1);
}

#[tokio::test]
async fn a_complete_dropped_after_commit_is_unknown_and_settling_it_does_not_debit_twice() {
    let w = world("100", "1250").await;
    let session = w.begun("30").await;
    w.sandbox
        .faults()
        .inject("complete", Fault::DropAfterCommit);
    let error = w.client.complete(&session).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_eq!(w.sandbox.debits().len(), 1, "the wallet did pay");
    let settled = w.client.settle_session(&session).await.unwrap();
    assert!(
        matches!(settled, Settlement::CompletedEarlier { .. }),
        "{settled:?}"
    );
    assert_eq!(w.sandbox.debits().len(), 1, "settling did not debit again");
    assert_eq!(w.sandbox.balance(&wallet()), Some(tl("70")));
}

#[tokio::test]
async fn a_complete_dropped_before_commit_is_unknown_and_settling_it_pays_once() {
    let w = world("100", "1250").await;
    let session = w.begun("30").await;
    w.sandbox
        .faults()
        .inject("complete", Fault::DropBeforeCommit);
    assert!(matches!(
        w.client.complete(&session).await,
        Err(Error::OutcomeUnknown { .. })
    ));
    assert!(w.sandbox.debits().is_empty());
    let settled = w.client.settle_session(&session).await.unwrap();
    assert!(
        matches!(&settled, Settlement::Completed(receipt) if receipt.charged == tl("30")),
        "{settled:?}"
    );
    assert_eq!(w.sandbox.debits().len(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_renewed_transparently() {
    let w = world("100", "1250").await;
    let qr = w.qr("1").await;
    w.sandbox.revoke_tokens();
    w.client
        .begin(&wallet(), &qr, QrCodeType::Default)
        .await
        .unwrap();
    assert_eq!(
        (w.sandbox.counts().tokens, w.sandbox.counts().unauthorized),
        (2, 1)
    );
}

/// A "system error" code after the debit is not a decline: the repeat of
/// Complete answers 301, and the payment is completed, once.
#[tokio::test]
async fn an_undocumented_code_after_the_debit_is_settled_as_completed_not_declined() {
    let w = world("100", "1250").await;
    w.sandbox.faults().inject(
        "complete",
        Fault::commit_then(
            200,
            "application/json",
            r#"{"status":1,"code":"999","message":"Sistem hatası","payload":null}"#,
        ),
    );
    let order = tr_qr_wallet::QrPayment::new(
        tr_qr_wallet::OrderId::generate(),
        wallet(),
        w.qr("25").await,
        QrCodeType::Default,
    );
    let outcome = payments_core::pay(&w.client, order).await.unwrap();
    assert_eq!(outcome.status, payments_core::PaymentStatus::Completed);
    assert_eq!(w.sandbox.debits().len(), 1);
    assert_eq!(w.sandbox.balance(&wallet()), Some(tl("75")));
}

/// An order expecting an amount is paid only when the sale names it: a QR
/// code for another amount is refused after Begin, before Complete, naming
/// both amounts; nothing is debited.
#[tokio::test]
async fn a_sale_for_another_amount_than_expected_is_not_paid() {
    let w = world("100", "1250").await;
    let order = tr_qr_wallet::QrPayment::new(
        tr_qr_wallet::OrderId::generate(),
        wallet(),
        w.qr("25").await,
        QrCodeType::Default,
    );
    let error = payments_core::pay(&w.client, order.clone().expecting(tl("12.50")))
        .await
        .unwrap_err();
    match &error {
        payments_core::Error::TermsMismatch {
            field,
            expected,
            actual,
            operation,
            ..
        } => {
            assert_eq!(*field, "amount");
            assert_eq!(**expected, tl("12.50"));
            assert_eq!(**actual, tl("25"));
            assert_eq!(operation.name, "begin");
        }
        other => panic!("{other:?}"),
    }
    assert!(w.sandbox.debits().is_empty());
    let paid = payments_core::pay(&w.client, order.expecting(tl("25")))
        .await
        .unwrap();
    assert_eq!(paid.status, payments_core::PaymentStatus::Completed);
    assert_eq!(w.sandbox.debits().len(), 1);
}

/// A repeat that meets an expired session proves nothing about the first
/// Complete: the payment stays unknown, never "failed".
#[tokio::test]
async fn a_repeat_answered_session_expired_leaves_the_payment_unknown() {
    let w = world("100", "1250").await;
    let session = w.begun("20").await;
    w.sandbox
        .faults()
        .inject("complete", Fault::DropBeforeCommit);
    let first = w.client.complete(&session).await.unwrap_err();
    assert!(!first.outcome_known(), "{first:?}");
    w.sandbox.clock().advance(Duration::from_secs(3600));
    let error = w.client.settle_session(&session).await.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { .. }),
        "session expired is no proof: {error:?}"
    );
    assert!(
        error.to_string().contains("340"),
        "the last answer is named: {error}"
    );
    assert!(w.sandbox.debits().is_empty());
}

/// Complete failing past the settle policy leaves the payment unknown; one
/// call with the reference the error gives completes the same session again
/// and settles it, debiting once.
#[tokio::test]
async fn an_unknown_payment_is_settled_by_the_reference_its_error_gives() {
    let w = world("100", "1000").await;
    let order = tr_qr_wallet::QrPayment::new(
        tr_qr_wallet::OrderId::generate(),
        wallet(),
        w.qr("30").await,
        QrCodeType::Default,
    );
    w.sandbox
        .faults()
        .inject_times(Some("complete".into()), Fault::Status(502), 100);
    let error = payments_core::pay(&w.client, order).await.unwrap_err();
    assert_eq!(error.code(), "outcome_unknown", "{error}");
    assert_eq!(
        error.operation().unwrap().to_string(),
        "tr-qr-wallet.complete"
    );
    let reference = error.reference().unwrap().to_owned();
    assert!(w.sandbox.debits().is_empty());
    w.sandbox.faults().clear();

    let outcome = w.client.settle(&reference).await.unwrap();
    assert_eq!(outcome.status, payments_core::PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(tl("30")));
    assert_eq!(w.client.settle(&reference).await.unwrap(), outcome);
    assert_eq!(w.sandbox.debits().len(), 1, "debited once");
}

/// A session and a receipt serialize as a service returns them.
#[tokio::test]
async fn sessions_and_receipts_serialize() {
    let w = world("100", "1000").await;
    let session = w.begun("12.50").await;
    let json = serde_json::to_value(&session).unwrap();
    assert_eq!(json["correlation_id"], session.correlation_id.as_str());
    let receipt = w.client.complete(&session).await.unwrap();
    let json = serde_json::to_value(&receipt).unwrap();
    assert_eq!(json["charged"]["amount"], "12.50");
}
