//! The postback endpoint for axum (feature `axum`): the ready router
//! verifies and stores deliveries, answers Paykassma as the inbox decides,
//! says what it applied, and refuses oversized bodies before reading them.
#![cfg(all(feature = "axum", feature = "sandbox"))]

use std::sync::Arc;

use paykassma::postback::{MAX_POSTBACK_BYTES, PostbackSigner, PostbackStatus, PostbackVerifier};
use paykassma::sandbox::PaykassmaSandbox;
use paykassma::{Currency, Money, PostbackInbox};
use serde_json::json;

fn postback(id: &str, status: &str) -> String {
    PostbackSigner::new(PaykassmaSandbox::postback_keys())
        .sign_flat(&json!({
            "transaction_id": 7, "wallet_type": "wavepay", "direction": "ingoing",
            "status": status, "amount": 500, "currency_code": "MMK", "label": "user-55",
            "custom_transaction_id": id,
        }))
        .unwrap()
}

async fn serve(inbox: Arc<PostbackInbox>) -> String {
    let app = axum::Router::new().nest(
        "/paykassma/postback",
        paykassma::axum_postbacks::router(inbox),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/paykassma/postback",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn the_ready_router_stores_deliveries_and_answers_as_the_inbox_decides() {
    let inbox = Arc::new(PostbackInbox::new(PostbackVerifier::new(
        PaykassmaSandbox::postback_keys(),
    )));
    let url = serve(Arc::clone(&inbox)).await;
    let http = reqwest::Client::new();
    let post = |body: String| http.post(&url).body(body).send();

    let answer = post(postback("order-1", "success")).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), r#"{"status":"ok"}"#);
    let held = inbox.record("order-1").await.unwrap().unwrap();
    assert_eq!(held.current.status, PostbackStatus::Success);

    // Tampered: refused, nothing stored, Paykassma delivers again.
    let tampered = postback("order-2", "success")
        .replace("\"500\"", "\"900\"")
        .replace(":500", ":900");
    let answer = post(tampered).await.unwrap();
    assert!(answer.status().is_client_error(), "{}", answer.status());
    assert!(inbox.record("order-2").await.unwrap().is_none());

    // Past the cap: refused before it is read in full.
    let answer = post("x".repeat(MAX_POSTBACK_BYTES + 1)).await.unwrap();
    assert_eq!(answer.status(), 413);
}

#[tokio::test]
async fn a_reply_says_what_was_applied_so_a_handler_credits_on_arrival() {
    let inbox = PostbackInbox::new(PostbackVerifier::new(PaykassmaSandbox::postback_keys()));
    let first = inbox
        .receive(postback("order-3", "success").as_bytes())
        .await;
    assert_eq!(first.applied.len(), 1);
    let applied = &first.applied[0];
    assert_eq!(applied.custom_transaction_id.as_deref(), Some("order-3"));
    assert_eq!(applied.status, PostbackStatus::Success);
    assert_eq!(
        applied.amount,
        Some(Money::parse("500", Currency::MMK).unwrap())
    );
    assert!(applied.new);
    let again = inbox
        .receive(postback("order-3", "success").as_bytes())
        .await;
    assert!(!again.applied[0].new, "a repeat is not new: credit once");
    let refused = inbox.receive(b"{}").await;
    assert!(refused.applied.is_empty());
    let json = serde_json::to_value(&first.applied[0]).unwrap();
    assert_eq!(json["custom_transaction_id"], "order-3");
    assert_eq!(json["status"], "success");
}
