//! Whole flows against the embedded sandbox: lifecycle, expiry on the
//! sandbox clock, duplicates, single-flight tokens, and unknown outcomes
//! settled without moving money twice.
#![cfg(feature = "sandbox")]

use std::sync::Arc;
use std::time::Duration;

use jawali::sandbox::JawaliSandbox;
use jawali::{CashOut, JawaliClient, MobileNumber, TransactionState, VoucherState};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::Fault;
use payments_core::{
    Currency, DeclineKind, Error, Gateway, MerchantReference, Money, PaymentStatus, StatusLookup,
};

fn yer(amount: &str) -> Money {
    Money::parse(amount, Currency::YER).unwrap()
}

/// A payment of `amount` YER with `voucher` from wallet 771234567, under a
/// fresh order id.
fn order(voucher: &jawali::VoucherCode, amount: &str) -> jawali::VoucherPayment {
    jawali::VoucherPayment::new(
        jawali::OrderId::generate(),
        voucher.as_str(),
        "771234567",
        yer(amount),
    )
    .unwrap()
}

fn mobile() -> MobileNumber {
    MobileNumber::new("771234567").unwrap()
}

fn quick_settle() -> RetryPolicy {
    RetryPolicy::new(6, Duration::from_millis(20), Duration::from_millis(200))
}

fn client(sandbox: &JawaliSandbox) -> JawaliClient {
    let mut config = sandbox.config();
    config.http.timeouts.total = Duration::from_millis(500);
    JawaliClient::builder(config)
        .clock(Arc::new(sandbox.clock().clone()))
        .settle_policy(quick_settle())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_whole_lifecycle_moves_money_once_and_shows_in_balance_statement_and_status() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("1500"), &mobile());

    let inquired = client.inquire_voucher(&voucher, &mobile()).await.unwrap();
    assert_eq!(inquired.state, VoucherState::Pending);
    assert_eq!(inquired.amount, yer("1500"));

    let receipt = client
        .collect(voucher.as_str(), "+967771234567", yer("1500"))
        .await
        .unwrap();
    assert_eq!(receipt.status, PaymentStatus::Completed);
    assert_eq!(receipt.amount, Some(yer("1500")));
    assert_eq!(
        sandbox.counts().status_lookups,
        0,
        "proven by the cash-out's answer"
    );
    assert_eq!(
        sandbox.voucher_state(&voucher),
        Some(VoucherState::Accepted)
    );
    assert_eq!(sandbox.cash_outs().len(), 1);
    assert_eq!(sandbox.cash_outs()[0].reference, receipt.reference.as_str());

    let status = client.check_status(&receipt.reference).await.unwrap();
    assert_eq!(status.state, TransactionState::Succeeded);
    assert_eq!(status.amount, Some(yer("1500")));

    assert_eq!(client.balance().await.unwrap().available, yer("1500"));
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+3))
        .date();
    let lines = client
        .statement(today.previous_day().unwrap(), today.next_day().unwrap())
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0].reference.as_deref(),
        Some(receipt.reference.as_str())
    );
    assert_eq!(lines[0].balance_after, Some(yer("1500")));

    // The voucher is spent: a second collect is refused before any cash-out.
    let again = client
        .collect(voucher.as_str(), "771234567", yer("1500"))
        .await
        .unwrap_err();
    assert_eq!(
        again.decline().map(|d| d.kind),
        Some(DeclineKind::AlreadyUsed),
        "{again:?}"
    );
    assert_eq!(sandbox.cash_outs().len(), 1);
}

#[tokio::test]
async fn a_voucher_expires_an_hour_after_creation_on_the_sandbox_clock() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("700"), &mobile());
    sandbox.clock().advance(Duration::from_secs(3599));
    assert_eq!(
        client
            .inquire_voucher(&voucher, &mobile())
            .await
            .unwrap()
            .state,
        VoucherState::Pending
    );
    sandbox.clock().advance(Duration::from_secs(1));
    assert_eq!(
        client
            .inquire_voucher(&voucher, &mobile())
            .await
            .unwrap()
            .state,
        VoucherState::Expired
    );
    let error = client
        .collect(voucher.as_str(), "771234567", yer("700"))
        .await
        .unwrap_err();
    assert_eq!(error.decline().map(|d| d.kind), Some(DeclineKind::Expired));
    assert!(sandbox.cash_outs().is_empty());
}

#[tokio::test]
async fn a_cancelled_voucher_is_refused() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let voucher = sandbox.create_voucher(yer("700"), &mobile());
    assert!(sandbox.cancel_voucher(&voucher));
    let error = client(&sandbox)
        .collect(voucher.as_str(), "771234567", yer("700"))
        .await
        .unwrap_err();
    assert_eq!(
        error.decline().map(|d| d.kind),
        Some(DeclineKind::Cancelled)
    );
}

#[tokio::test]
async fn a_duplicate_ref_id_is_refused_by_the_provider() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let first = sandbox.create_voucher(yer("100"), &mobile());
    let second = sandbox.create_voucher(yer("100"), &mobile());
    let reference = MerchantReference::new("order-dup", &jawali::REF_ID_RULES).unwrap();
    let cash_out = |voucher| CashOut {
        voucher,
        customer_mobile: mobile(),
        amount: yer("100"),
        reference: reference.clone(),
        purpose: None,
    };
    client(&sandbox).cash_out(&cash_out(first)).await.unwrap();
    // Another client (a restarted process) reusing the refId:
    let error = client(&sandbox)
        .cash_out(&cash_out(second.clone()))
        .await
        .unwrap_err();
    // Jawali documents no code as a refusal before processing: the answer
    // is kept for diagnosis, but the outcome is unknown until looked up.
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert_eq!(
        error.provider_decline().map(|d| d.kind),
        Some(DeclineKind::DuplicateReference),
        "{error:?}"
    );
    assert_eq!(sandbox.voucher_state(&second), Some(VoucherState::Pending));
    assert_eq!(sandbox.cash_outs().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_inquiries_on_a_cold_client_log_in_once() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("100"), &mobile());
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let client = client.clone();
        let voucher = voucher.clone();
        tasks.push(tokio::spawn(async move {
            client.inquire_voucher(&voucher, &mobile()).await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().state, VoucherState::Pending);
    }
    let counts = sandbox.counts();
    assert_eq!(
        (
            counts.logins,
            counts.wallet_authentications,
            counts.inquiries
        ),
        (1, 1, 100)
    );
}

#[tokio::test]
async fn expired_tokens_are_renewed_transparently() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("100"), &mobile());
    client.inquire_voucher(&voucher, &mobile()).await.unwrap();

    sandbox.revoke_wallet_tokens();
    client.inquire_voucher(&voucher, &mobile()).await.unwrap();
    assert_eq!(
        (
            sandbox.counts().logins,
            sandbox.counts().wallet_authentications
        ),
        (1, 2)
    );

    sandbox.revoke_access_tokens();
    client.inquire_voucher(&voucher, &mobile()).await.unwrap();
    assert_eq!(
        (
            sandbox.counts().logins,
            sandbox.counts().wallet_authentications
        ),
        (2, 3)
    );
    assert_eq!(sandbox.counts().unauthorized, 1);

    // Past the access token's life on the shared clock, the client renews
    // before the provider has to refuse it.
    sandbox.clock().advance(Duration::from_secs(3600));
    let expired = client.inquire_voucher(&voucher, &mobile()).await.unwrap();
    assert_eq!(
        expired.state,
        VoucherState::Expired,
        "the voucher's hour is over too"
    );
    assert_eq!(sandbox.counts().logins, 3);
    assert_eq!(sandbox.counts().unauthorized, 1);
}

#[tokio::test]
async fn a_cash_out_dropped_after_commit_is_settled_by_status_with_exactly_one_cash_out() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("2500"), &mobile());
    sandbox.faults().inject("cash_out", Fault::DropAfterCommit);
    let receipt = client
        .collect(voucher.as_str(), "771234567", yer("2500"))
        .await
        .unwrap();
    assert!(sandbox.counts().status_lookups > 0, "settled by a lookup");
    assert_eq!(receipt.status, PaymentStatus::Completed);
    assert_eq!(receipt.amount, Some(yer("2500")));
    assert_eq!(
        sandbox.cash_outs().len(),
        1,
        "exactly one cash-out on the server"
    );
    assert_eq!(sandbox.counts().cash_out_requests, 1, "never sent twice");
    assert_eq!(sandbox.cash_outs()[0].reference, receipt.reference.as_str());
}

#[tokio::test]
async fn a_cash_out_processed_after_the_timeout_is_booked_once() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("80"), &mobile());
    sandbox
        .faults()
        .inject("cash_out", Fault::Delay(Duration::from_millis(800)));
    let receipt = client
        .collect(voucher.as_str(), "771234567", yer("80"))
        .await
        .unwrap();
    assert_eq!(receipt.amount, Some(yer("80")));
    tokio::time::sleep(Duration::from_millis(900)).await; // the late one lands
    // Found by a lookup, or resent under the same refId after the lookups
    // kept saying "no such operation" and the late original was then
    // refused as a duplicate: either way, booked once.
    assert_eq!(sandbox.cash_outs().len(), 1);
    assert!(sandbox.counts().cash_out_requests <= 2);
    assert_eq!(sandbox.cash_outs()[0].reference, receipt.reference.as_str());
}

#[tokio::test]
async fn a_cash_out_that_never_arrived_is_resent_under_the_same_ref_id_and_paid_once() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("80"), &mobile());
    sandbox.faults().inject("cash_out", Fault::DropBeforeCommit);
    let receipt = client
        .collect(voucher.as_str(), "771234567", yer("80"))
        .await
        .unwrap();
    assert_eq!(receipt.amount, Some(yer("80")));
    assert_eq!(sandbox.cash_outs().len(), 1, "paid exactly once");
    assert_eq!(
        sandbox.cash_outs()[0].reference,
        receipt.reference.as_str(),
        "under the same refId"
    );
    assert_eq!(
        sandbox.counts().cash_out_requests,
        1,
        "the dropped one never reached the provider"
    );
    assert_eq!(
        sandbox.voucher_state(&voucher),
        Some(VoucherState::Accepted)
    );
}

#[tokio::test]
async fn a_cash_out_that_never_arrived_for_an_expired_voucher_is_final_and_unpaid() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("80"), &mobile());
    let order = order(&voucher, "80");
    let checked = client.check_voucher(order).await.unwrap();
    sandbox.clock().advance(Duration::from_secs(3600));
    let error = client.reconcile(&checked).await.unwrap_err();
    assert_eq!(
        error.decline().map(|d| d.kind),
        Some(DeclineKind::Expired),
        "{error:?}"
    );
    assert!(sandbox.cash_outs().is_empty());
}

#[tokio::test]
async fn the_gateway_view_prepares_commits_and_looks_up() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("1500"), &mobile());
    let order = order(&voucher, "1500");
    let outcome = payments_core::pay(&client, order).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(yer("1500")));
    let looked_up = client.status(&outcome.reference).await.unwrap();
    assert_eq!(looked_up.status, PaymentStatus::Completed);
    let unknown = MerchantReference::new("never-sent", &jawali::REF_ID_RULES).unwrap();
    assert!(matches!(
        client.status(&unknown).await.unwrap().status,
        PaymentStatus::Unknown { .. }
    ));
    assert_eq!(Gateway::provider(&client), "jawali");
}

#[tokio::test]
async fn reads_are_retried_through_transient_gateway_errors() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    client.authenticate_wallet().await.unwrap();
    sandbox.faults().inject("balance", Fault::Status(503));
    assert_eq!(client.balance().await.unwrap().available, yer("0"));
    assert_eq!(sandbox.faults().injected().len(), 1);
}

/// A provider "system error" code after the cash-out was booked is not a
/// decline: the lookups find the booking.
#[tokio::test]
async fn a_system_error_code_after_the_booking_is_settled_by_lookup_not_declined() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("300"), &mobile());
    sandbox.faults().inject(
        "cash_out",
        Fault::commit_then(
            200,
            "application/json",
            r#"{"responseStatus":{"systemStatus":"-1","systemStatusDesc":"System error","systemStatusDescNative":"خطأ في النظام"},"responseBody":null}"#,
        ),
    );
    let receipt = client
        .collect(voucher.as_str(), "771234567", yer("300"))
        .await
        .unwrap();
    assert_eq!(receipt.status, PaymentStatus::Completed);
    assert!(sandbox.counts().status_lookups > 0, "settled by a lookup");
    assert_eq!(sandbox.cash_outs().len(), 1);
    assert_eq!(sandbox.counts().cash_out_requests, 1);
}

/// A refused cash-out (an undocumented code) is settled by the lookup's
/// FAILED: a decline the provider proved.
#[tokio::test]
async fn a_refused_cash_out_is_a_decline_once_the_lookup_says_failed() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("300"), &mobile());
    let checked = client.check_voucher(order(&voucher, "300")).await.unwrap();
    assert!(sandbox.cancel_voucher(&voucher));
    let error = client.redeem(&checked).await.unwrap_err();
    assert_eq!(error.decline().unwrap().code, "FAILED", "{error:?}");
    assert!(sandbox.cash_outs().is_empty());
}

/// A slow provider answers the cash-out PENDING and its lookups PENDING for
/// a while: the receipt comes from the lookup that says SUCCESS.
#[tokio::test]
async fn a_slow_cash_out_answered_pending_is_settled_by_the_lookups() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("700"), &mobile());
    sandbox.slow_next_cash_out(3);
    let receipt = client
        .collect(voucher.as_str(), "771234567", yer("700"))
        .await
        .unwrap();
    assert_eq!(
        receipt.status,
        PaymentStatus::Completed,
        "PENDING is not final"
    );
    assert!(sandbox.counts().status_lookups >= 4);
    assert_eq!(sandbox.cash_outs().len(), 1);
    assert_eq!(sandbox.counts().cash_out_requests, 1);
}

/// The sandbox spends a refId even on a request it refuses for a dead
/// wallet token: the SDK's repeat must — and does — carry a fresh one.
#[tokio::test]
async fn a_payment_through_a_dead_wallet_token_uses_a_fresh_ref_id_for_the_repeat() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("450"), &mobile());
    let order = order(&voucher, "450");
    let checked = client.check_voucher(order).await.unwrap();
    sandbox.revoke_wallet_tokens();
    let receipt = client.redeem(&checked).await.unwrap();
    assert_eq!(
        sandbox.counts().status_lookups,
        0,
        "a clean repeat, not a reconciliation"
    );
    assert_ne!(
        receipt.reference, checked.reference,
        "the repeat's fresh refId landed"
    );
    assert_eq!(checked.sent_under.all().len(), 2);
    assert_eq!(sandbox.cash_outs().len(), 1);
    assert_eq!(sandbox.cash_outs()[0].reference, receipt.reference.as_str());
}

/// `collect` is bounded: past the client's deadline, a cash-out that may
/// have left is unknown — with its refId — and a later lookup settles it.
#[tokio::test]
async fn collect_past_its_deadline_is_unknown_with_its_ref_id() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let mut config = sandbox.config();
    config.http.timeouts.total = Duration::from_secs(5);
    let client = JawaliClient::builder(config)
        .clock(Arc::new(sandbox.clock().clone()))
        .settle_policy(quick_settle())
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    let voucher = sandbox.create_voucher(yer("90"), &mobile());
    sandbox
        .faults()
        .inject("cash_out", Fault::Delay(Duration::from_millis(800)));
    let started = std::time::Instant::now();
    let error = client
        .collect(voucher.as_str(), "771234567", yer("90"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let Error::OutcomeUnknown {
        reference: Some(reference),
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = client
        .check_status(&MerchantReference::new(reference, &jawali::REF_ID_RULES).unwrap())
        .await
        .unwrap();
    assert_eq!(status.state, TransactionState::Succeeded);
}

/// The prepared payment a journal writes before the cash-out leaves names
/// every refId the cash-out can carry: restored in another process (a fresh
/// client), it settles a cash-out that landed under a repeat's refId.
#[tokio::test]
async fn a_restored_payment_finds_a_cash_out_that_landed_under_a_repeats_ref_id() {
    use payments_core::gateway::DurableGateway;

    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("450"), &mobile());
    let order = order(&voucher, "450");
    let checked = client.prepare(order).await.unwrap();
    let saved = client.save_prepared(&checked).unwrap();
    let reserve = checked.sent_under.reserve();
    assert_eq!(reserve.len(), 3, "{saved}");
    // The wallet token dies: the cash-out is repeated under the first
    // reserved refId, after the journal wrote its record.
    sandbox.revoke_wallet_tokens();
    let receipt = client.redeem(&checked).await.unwrap();
    assert_eq!(receipt.reference, reserve[0]);

    let elsewhere = self::client(&sandbox);
    let restored = elsewhere.restore_prepared(&saved).unwrap();
    assert_eq!(restored.reference, checked.reference);
    let outcome = elsewhere.reconcile(&restored).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.reference, reserve[0]);
    assert_eq!(sandbox.cash_outs().len(), 1, "settled, never paid twice");
}

#[test]
fn a_saved_payment_is_validated_when_restored() {
    use payments_core::gateway::DurableGateway;

    let client = JawaliClient::new(jawali::JawaliConfig::new(
        payments_core::Environment::Custom(
            payments_core::BaseUrl::parse("http://127.0.0.1:9").unwrap(),
        ),
        "merchant",
        payments_core::SecretString::from("pw"),
        "1",
        "777000111",
        payments_core::SecretString::from("wpw"),
    ))
    .unwrap();
    let good = serde_json::json!({"version": 1, "state": {
        "voucher": "483920", "customer_mobile": "771234567",
        "expected": {"amount": "450", "currency": "YER"},
        "voucher_amount": {"amount": "450", "currency": "YER"},
        "issuer_reference": null, "receiver_mobile": null, "sender_mobile": null, "date": null,
        "reference": "ref-1", "sent": [], "reserve": ["ref-2", "ref-3"]
    }});
    let restored = client.restore_prepared(&good).unwrap();
    let looked_up: Vec<String> = restored
        .sent_under
        .all()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        looked_up,
        ["ref-1", "ref-2", "ref-3"],
        "every refId it may carry"
    );
    assert_eq!(
        restored.sent_under.reserve().len(),
        2,
        "a resend takes a reserved one"
    );
    for (field, value, named) in [
        ("reference", serde_json::json!("ref 1"), "refId"),
        ("voucher", serde_json::json!(""), "voucher"),
        ("version", serde_json::json!(2), "prepared"),
        (
            "expected",
            serde_json::json!({"amount": "0", "currency": "YER"}),
            "expected",
        ),
    ] {
        let mut bad = good.clone();
        if field == "version" {
            bad[field] = value;
        } else {
            bad["state"][field] = value;
        }
        let error = client.restore_prepared(&bad).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { field, .. } if field == named),
            "{field}: {error:?}"
        );
    }
}

/// An unknown outcome — the cash-out's answer lost and every lookup failing
/// — is settled later by one call with the reference the error gives; a
/// second call answers again without a second cash-out.
#[tokio::test]
async fn an_unknown_payment_is_settled_by_the_reference_its_error_gives() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("900"), &mobile());
    sandbox.faults().inject("cash_out", Fault::DropAfterCommit);
    sandbox
        .faults()
        .inject_times(Some("check_status".into()), Fault::Status(503), 100);
    let order = order(&voucher, "900");
    let order_id = order.order_id.as_str().to_owned();
    let error = jawali::pay(&client, order).await.unwrap_err();
    assert_eq!(error.code(), "outcome_unknown", "{error}");
    assert_eq!(error.operation().unwrap().to_string(), "jawali.cash_out");
    let reference = error.reference().unwrap().to_owned();
    sandbox.faults().clear();

    // By the order id (what a handler whose future was dropped still
    // knows), then by the reference the error gave: one payment.
    let outcome = client.settle(&order_id).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(yer("900")));
    assert_eq!(outcome.reference.as_str(), reference);
    let lookups = sandbox.counts().status_lookups;
    assert_eq!(client.settle(&reference).await.unwrap(), outcome);
    assert_eq!(
        sandbox.counts().status_lookups,
        lookups,
        "answered from memory"
    );
    assert_eq!(
        sandbox.counts().cash_out_requests,
        1,
        "never a second cash-out"
    );
    assert_eq!(sandbox.cash_outs().len(), 1);

    let error = client.settle("not-a-payment-of-ours").await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "reference"),
        "{error:?}"
    );
}

/// What a service returns serializes — and a voucher's code, a bearer
/// instrument, never leaves with it.
#[tokio::test]
async fn answers_serialize_without_the_voucher_code() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let client = client(&sandbox);
    let voucher = sandbox.create_voucher(yer("1500"), &mobile());
    let inquired = client.inquire_voucher(&voucher, &mobile()).await.unwrap();
    let json = serde_json::to_value(&inquired).unwrap();
    assert_eq!(json["state"], "PENDING");
    assert_eq!(json["amount"]["amount"], "1500.00");
    assert!(json.get("code").is_none(), "{json}");
    assert!(!json.to_string().contains(voucher.as_str()), "{json}");
    let balance = client.balance().await.unwrap();
    assert_eq!(
        serde_json::to_value(&balance).unwrap()["available"],
        serde_json::to_value(balance.available).unwrap()
    );
}
