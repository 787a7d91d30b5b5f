//! The gateway and its postback inbox: what is final, what is not, and
//! that no path answers `Completed` for an amount the merchant did not ask.
#![cfg(feature = "sandbox")]

use std::time::Duration;

use paykassma::postback::{PostbackSigner, PostbackStatus, PostbackVerifier};
use paykassma::sandbox::{PaykassmaSandbox, PostbackQuirks, SandboxOptions, start_with_inbox};
use paykassma::{DepositOrder, Label, PaykassmaGateway, PostbackInbox, WalletType};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::{Fault, SandboxServer};
use payments_core::{Currency, Error, Money, PaymentStatus, pay};
use serde_json::json;

fn mmk(amount: &str) -> Money {
    Money::parse(amount, Currency::MMK).unwrap()
}

struct World {
    sandbox: PaykassmaSandbox,
    gateway: PaykassmaGateway,
    _endpoint: SandboxServer,
}

async fn world() -> World {
    let (sandbox, inbox, endpoint) = start_with_inbox(SandboxOptions {
        postback_retry_interval: Duration::from_millis(20),
        slow_check: Duration::from_millis(100),
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let mut config = sandbox.config();
    config.http.timeouts.total = Duration::from_millis(300);
    let client = paykassma::PaykassmaClient::new(config).unwrap();
    let gateway = PaykassmaGateway::new(client, inbox, Duration::from_secs(2)).with_settle_policy(
        RetryPolicy::new(4, Duration::from_millis(10), Duration::from_millis(50)),
    );
    World {
        sandbox,
        gateway,
        _endpoint: endpoint,
    }
}

impl World {
    /// The customer pays `paid` (with `quirks`); the order says `ordered`.
    async fn order(
        &self,
        ordered: &str,
        paid: &str,
        slow: bool,
        quirks: PostbackQuirks,
    ) -> DepositOrder {
        let label = Label::new("user-55").unwrap();
        let wallet = self
            .gateway
            .client()
            .create_deposit(&label, Currency::MMK)
            .await
            .unwrap()
            .identifier
            .unwrap();
        let key1 = self
            .sandbox
            .customer_pays_with(&wallet, mmk(paid), slow, quirks);
        DepositOrder::new(
            paykassma::OrderId::generate(),
            label,
            WalletType::WAVEPAY,
            key1,
            mmk(ordered),
        )
    }
}

#[tokio::test]
async fn a_deposit_credited_with_another_amount_is_an_integrity_mismatch_not_completed() {
    for slow in [false, true] {
        let w = world().await;
        let order = w.order("500", "6000", slow, PostbackQuirks::NONE).await;
        let error = pay(&w.gateway, order).await.unwrap_err();
        match &error {
            Error::IntegrityMismatch {
                field,
                expected,
                actual,
                ..
            } => {
                assert_eq!(*field, "amount");
                // Money, whether the activation or the postback said it.
                assert_eq!(expected.money(), Some(mmk("500")), "{expected}");
                assert_eq!(actual.money(), Some(mmk("6000")), "slow={slow}: {actual}");
            }
            other => panic!("slow={slow}: {other:?}"),
        }
        assert_eq!(
            w.sandbox.credited().len(),
            1,
            "it was credited: a person looks"
        );
    }
}

#[tokio::test]
async fn any_fail_to_a_repeated_activation_stays_unknown_until_the_postback_settles_it() {
    let w = world().await;
    // The postback is late, so reconciliation repeats the activation first.
    let order = w
        .order(
            "500",
            "500",
            false,
            PostbackQuirks::new(Duration::from_millis(400), false, false),
        )
        .await;
    w.sandbox
        .faults()
        .inject("activate", Fault::DropAfterCommit);
    // The repeat is refused with words that say nothing of duplicates.
    w.sandbox.faults().inject(
        "activate",
        Fault::commit_then(
            200,
            "application/json",
            r#"{"status":"fail","message":"Error 17"}"#,
        ),
    );
    let outcome = pay(&w.gateway, order).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(mmk("500")));
    assert_eq!(w.sandbox.credited().len(), 1);
    // The repeat was really sent, and really answered `fail`: both scripted
    // answers were used, on two activations.
    assert_eq!(w.sandbox.activations(), 2);
    assert_eq!(w.sandbox.faults().injected().len(), 2);
}

#[tokio::test]
async fn a_pending_postback_before_the_final_one_is_not_read_as_final() {
    let w = world().await;
    let order = w
        .order(
            "750",
            "750",
            true,
            PostbackQuirks::new(Duration::ZERO, true, true),
        )
        .await;
    let outcome = pay(&w.gateway, order).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed, "{outcome:?}");
    let record = w
        .gateway
        .inbox()
        .record(outcome.reference.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.current.status, PostbackStatus::Success);
    assert!(record.conflict.is_none());
    assert!(record.deliveries.len() >= 2, "{record:?}");
}

fn signed(fields: &serde_json::Value) -> String {
    PostbackSigner::new(PaykassmaSandbox::postback_keys())
        .sign_flat(fields)
        .unwrap()
}

fn postback(id: Option<&str>, status: &str) -> String {
    let mut fields = json!({
        "transaction_id": 7, "wallet_type": "wavepay", "direction": "ingoing",
        "status": status, "amount": 500, "currency_code": "MMK", "label": "user-55"
    });
    if let Some(id) = id {
        fields["custom_transaction_id"] = json!(id);
    }
    signed(&fields)
}

fn inbox() -> PostbackInbox {
    PostbackInbox::new(PostbackVerifier::new(PaykassmaSandbox::postback_keys()))
}

#[tokio::test]
async fn the_inbox_keeps_every_status_change_and_lets_a_final_one_replace_a_pending_one() {
    let inbox = inbox();
    assert!(
        inbox
            .receive(postback(Some("d-1"), "pending").as_bytes())
            .await
            .new
    );
    assert!(
        !inbox.get("d-1").await.unwrap().unwrap().status.is_final(),
        "pending is not final"
    );
    // Not final yet: a waiter gets the record only when it times out.
    let waited = inbox
        .wait_for("d-1", Duration::from_millis(30))
        .await
        .unwrap()
        .unwrap();
    assert!(!waited.current.status.is_final());
    let reply = inbox
        .receive(postback(Some("d-1"), "success").as_bytes())
        .await;
    assert_eq!((reply.status, reply.new, reply.alarm), (200, true, None));
    assert_eq!(
        inbox.get("d-1").await.unwrap().unwrap().status,
        PostbackStatus::Success
    );
    // A redelivery is acknowledged and changes nothing; a late pending neither.
    let again = inbox
        .receive(postback(Some("d-1"), "success").as_bytes())
        .await;
    assert_eq!((again.status, again.new), (200, false));
    let late = inbox
        .receive(postback(Some("d-1"), "pending").as_bytes())
        .await;
    assert_eq!((late.status, late.new), (200, false));
    assert_eq!(
        inbox.get("d-1").await.unwrap().unwrap().status,
        PostbackStatus::Success
    );
    assert_eq!(
        inbox.record("d-1").await.unwrap().unwrap().deliveries.len(),
        2
    );
}

#[tokio::test]
async fn an_unknown_status_is_never_final() {
    let inbox = inbox();
    inbox
        .receive(postback(Some("d-2"), "in_review").as_bytes())
        .await;
    let tx = inbox.get("d-2").await.unwrap().unwrap();
    assert_eq!(tx.status, PostbackStatus::Other("in_review".into()));
    assert!(!tx.status.is_final());
    assert!(!tx.status.is_success());
}

#[tokio::test]
async fn contradicting_final_statuses_raise_an_alarm_and_are_never_settled_silently() {
    let inbox = inbox();
    inbox
        .receive(postback(Some("d-3"), "success").as_bytes())
        .await;
    let reply = inbox
        .receive(postback(Some("d-3"), "failed").as_bytes())
        .await;
    assert_eq!(
        reply.status, 200,
        "acknowledged: redelivery would change nothing"
    );
    assert!(reply.alarm.unwrap().contains("d-3"));
    let record = inbox.record("d-3").await.unwrap().unwrap();
    assert_eq!(record.current.status, PostbackStatus::Success);
    assert_eq!(record.conflict.unwrap().status, PostbackStatus::Failed);
}

#[tokio::test]
async fn a_postback_without_custom_transaction_id_is_kept_not_dropped() {
    let inbox = inbox();
    let reply = inbox.receive(postback(None, "success").as_bytes()).await;
    assert_eq!((reply.status, reply.new), (200, true));
    assert_eq!(inbox.unmatched().await.unwrap().len(), 1);
    assert!(
        !inbox
            .receive(postback(None, "success").as_bytes())
            .await
            .new
    );
    assert_eq!(inbox.unmatched().await.unwrap().len(), 1);
}

/// A signed final postback for `id` with `amount` (a JSON number's text), or
/// none.
fn postback_of(id: &str, status: &str, amount: Option<&str>) -> String {
    let mut fields = json!({
        "transaction_id": 7, "wallet_type": "wavepay", "direction": "ingoing",
        "status": status, "currency_code": "MMK", "label": "user-55",
        "custom_transaction_id": id
    });
    if let Some(amount) = amount {
        fields["amount"] = serde_json::from_str(amount).unwrap();
    }
    signed(&fields)
}

/// A gateway over `inbox` whose client reaches nobody: reconciliation reads
/// the inbox first, and a postback that settles the deposit needs no call.
fn offline_gateway(inbox: PostbackInbox) -> (PaykassmaGateway, paykassma::PreparedDeposit) {
    let base = payments_core::BaseUrl::parse(&format!(
        "http://127.0.0.1:{}",
        payments_core::testkit::closed_port()
    ))
    .unwrap();
    let mut config = paykassma::PaykassmaConfig::with_urls(
        base.clone(),
        base,
        payments_core::SecretString::from("offline"),
    );
    config.http = payments_core::testkit::quick_http(Duration::from_millis(200));
    let client = paykassma::PaykassmaClient::new(config).unwrap();
    let gateway = PaykassmaGateway::new(
        client,
        std::sync::Arc::new(inbox),
        Duration::from_millis(50),
    )
    .with_settle_policy(RetryPolicy::new(
        1,
        Duration::from_millis(1),
        Duration::from_millis(1),
    ));
    let prepared = paykassma::PreparedDeposit {
        activation: paykassma::Activation {
            label: Label::new("user-55").unwrap(),
            wallet_type: WalletType::WAVEPAY,
            key1: paykassma::TransactionNumber::new("1394646476").unwrap(),
            amount: mmk("500"),
            custom_transaction_id: payments_core::MerchantReference::new(
                "d-9",
                &paykassma::CUSTOM_TRANSACTION_ID_RULES,
            )
            .unwrap(),
        },
    };
    (gateway, prepared)
}

/// `success 500`, then `success 50` for one deposit: the second was ignored
/// as a duplicate of the first. It is a conflict: an alarm at the inbox,
/// and an integrity mismatch for the payment, never Completed.
#[tokio::test]
async fn a_second_final_postback_with_another_amount_is_a_conflict() {
    let inbox = inbox();
    let first = inbox
        .receive(postback_of("d-9", "success", Some("500")).as_bytes())
        .await;
    assert_eq!((first.status, first.new, first.alarm), (200, true, None));
    // The same money written another way is the same postback's terms.
    let same = inbox
        .receive(postback_of("d-9", "success", Some("500.00")).as_bytes())
        .await;
    assert_eq!((same.status, same.alarm), (200, None));
    let other = inbox
        .receive(postback_of("d-9", "success", Some("50")).as_bytes())
        .await;
    assert_eq!(
        other.status, 200,
        "acknowledged: redelivery changes nothing"
    );
    let alarm = other.alarm.expect("an alarm");
    assert!(
        alarm.contains("d-9") && alarm.contains("50 MMK") && alarm.contains("500 MMK"),
        "{alarm}"
    );
    let record = inbox.record("d-9").await.unwrap().unwrap();
    assert_eq!(
        record.conflict.unwrap().amount_value.unwrap().to_string(),
        "50"
    );
    let (gateway, prepared) = offline_gateway(inbox);
    let error = payments_core::Gateway::reconcile(&gateway, &prepared)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::IntegrityMismatch {
                field: "postback amount",
                ..
            }
        ),
        "{error:?}"
    );
}

/// A `success` postback without an amount settled as Completed for the
/// order's amount. It proves money moved, not how much: an integrity
/// mismatch (final, for a person), never Completed.
#[tokio::test]
async fn a_success_postback_without_an_amount_does_not_prove_the_order() {
    let inbox = inbox();
    let reply = inbox
        .receive(postback_of("d-9", "success", None).as_bytes())
        .await;
    assert_eq!((reply.status, reply.new), (200, true));
    let (gateway, prepared) = offline_gateway(inbox);
    let error = payments_core::Gateway::reconcile(&gateway, &prepared)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field: "amount", actual, .. } if actual.to_string().contains("no amount")),
        "{error:?}"
    );
}

/// One order id, paid twice without a journal: the second activation meets
/// the taken id and is settled by the first one's postback — one credit,
/// the same outcome. Paid again for another user under that id, the
/// postback about the first user's deposit proves nothing: a mismatch,
/// never `Completed`, and nothing is credited.
#[tokio::test]
async fn an_order_id_is_credited_once_and_never_answered_for_another_user() {
    let w = world().await;
    let order = w.order("500", "500", false, PostbackQuirks::NONE).await;
    let first = pay(&w.gateway, order.clone()).await.unwrap();
    assert_eq!(first.status, PaymentStatus::Completed);
    let again = pay(&w.gateway, order.clone()).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(w.sandbox.credited().len(), 1);

    let mut other = w.order("500", "500", false, PostbackQuirks::NONE).await;
    other.label = Label::new("user-77").unwrap();
    other.order_id = order.order_id.clone();
    let error = pay(&w.gateway, other).await.unwrap_err();
    assert!(
        matches!(&error, Error::IntegrityMismatch { field, .. } if *field == "postback label"),
        "{error:?}"
    );
    assert_eq!(
        w.sandbox.credited().len(),
        1,
        "nothing credited for user-77"
    );
}

/// An activation that never reached Paykassma leaves the deposit unknown
/// once the settle policy runs out; one call with the reference the error
/// gives activates again under the same id and settles it, crediting once.
#[tokio::test]
async fn an_unknown_deposit_is_settled_by_the_reference_its_error_gives() {
    let w = world().await;
    let order = w.order("500", "500", false, PostbackQuirks::NONE).await;
    let reference = order.order_id.attempt_key(1);
    w.sandbox
        .faults()
        .inject_times(Some("activate".into()), Fault::DropBeforeCommit, 100);
    let error = pay(&w.gateway, order).await.unwrap_err();
    assert_eq!(error.code(), "outcome_unknown", "{error}");
    assert_eq!(error.operation().unwrap().to_string(), "paykassma.activate");
    assert_eq!(error.reference(), Some(reference.as_str()));
    assert!(w.sandbox.credited().is_empty(), "nothing reached Paykassma");
    w.sandbox.faults().clear();

    let outcome = w.gateway.settle(&reference).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    assert_eq!(outcome.amount, Some(mmk("500")));
    assert_eq!(w.gateway.settle(&reference).await.unwrap(), outcome);
    assert_eq!(w.sandbox.credited().len(), 1, "credited once");
}

/// A postback store that cannot answer.
#[derive(Debug)]
struct Unreachable;

#[payments_core::async_trait]
impl paykassma::PostbackStore for Unreachable {
    async fn apply(
        &self,
        _: &str,
        _: paykassma::postback::PostbackTransaction,
    ) -> Result<paykassma::Applied, payments_core::error::BoxError> {
        Err("store down".into())
    }
    async fn record(
        &self,
        _: &str,
    ) -> Result<Option<paykassma::PostbackRecord>, payments_core::error::BoxError> {
        Err("store down".into())
    }
    async fn keep_unmatched(
        &self,
        _: paykassma::postback::PostbackTransaction,
    ) -> Result<bool, payments_core::error::BoxError> {
        Err("store down".into())
    }
    async fn unmatched(
        &self,
    ) -> Result<Vec<paykassma::postback::PostbackTransaction>, payments_core::error::BoxError> {
        Err("store down".into())
    }
}

/// A store that cannot answer is an error, never "no postback arrived"; a
/// deposit whose postbacks cannot be read stays unknown, naming the store.
#[tokio::test]
async fn an_unreachable_postback_store_is_an_error_not_a_missing_postback() {
    let inbox = std::sync::Arc::new(PostbackInbox::with_store(
        PostbackVerifier::new(PaykassmaSandbox::postback_keys()),
        std::sync::Arc::new(Unreachable),
    ));
    assert!(inbox.get("d-1").await.is_err());
    assert!(inbox.record("d-1").await.is_err());
    assert!(
        inbox
            .wait_for("d-1", Duration::from_millis(20))
            .await
            .is_err()
    );

    let sandbox = PaykassmaSandbox::start().await.unwrap();
    let client = paykassma::PaykassmaClient::new(sandbox.config()).unwrap();
    let gateway = PaykassmaGateway::new(client.clone(), inbox, Duration::from_millis(100))
        .with_settle_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(10),
        ));
    let order = sandbox
        .paid_deposit(&client, Label::new("user-55").unwrap(), mmk("500"))
        .await
        .unwrap();
    // The sandbox answers `ok`: the activation itself proves it.
    let outcome = pay(&gateway, order).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Completed);
    // A slow one needs the postback, which cannot be read.
    let label = Label::new("user-56").unwrap();
    let wallet = client
        .create_deposit(&label, Currency::MMK)
        .await
        .unwrap()
        .identifier
        .unwrap();
    let key1 = sandbox.customer_pays_slowly(&wallet, mmk("700"));
    let order = DepositOrder::new(
        paykassma::OrderId::generate(),
        label,
        WalletType::WAVEPAY,
        key1,
        mmk("700"),
    );
    let error = pay(&gateway, order).await.unwrap_err();
    assert_eq!(error.code(), "outcome_unknown", "{error}");
    assert!(error.to_string().contains("postback store"), "{error}");
}

/// An order whose first attempt was declined and which was paid again (a
/// journal's `pay_again`: attempt 2, its own `custom_transaction_id`; here
/// through a `Checkout`) is settled by its order id as its latest attempt —
/// never answered by the declined first one, whose reference is the order
/// id itself.
#[tokio::test]
async fn an_order_paid_again_is_settled_by_its_order_id_as_its_latest_attempt() {
    use payments_core::MerchantOrder;

    let w = world().await;
    // The customer's transaction number, credited to another order first:
    // the order's first attempt, made with it, is declined.
    let used = w.order("500", "500", false, PostbackQuirks::NONE).await;
    assert_eq!(
        pay(&w.gateway, used.clone()).await.unwrap().status,
        PaymentStatus::Completed
    );
    let fresh = w.order("500", "500", false, PostbackQuirks::NONE).await;
    let mut first = fresh.clone();
    first.key1 = used.key1.clone();
    let declined = pay(&w.gateway, first).await.unwrap_err();
    assert!(declined.decline().is_some(), "{declined:?}");
    assert_eq!(
        declined.reference(),
        Some(fresh.order_id.as_str()),
        "the first attempt's reference is the order id"
    );

    // Attempt 2, paid through a `Checkout` (which remembers the order id).
    let mut again = fresh.clone();
    again.set_attempt(2);
    let checkout = payments_core::Checkout::new(std::sync::Arc::new(w.gateway.clone()), again);
    let paid = payments_core::Payable::pay(&checkout).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Completed);
    assert_eq!(
        w.gateway.settle(fresh.order_id.as_str()).await.unwrap(),
        paid
    );
    assert_eq!(w.sandbox.credited().len(), 2, "one credit per order");
}
