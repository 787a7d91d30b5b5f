//! Whole deposit flows against the sandbox, with a merchant postback
//! endpoint that verifies every delivery.
#![cfg(feature = "sandbox")]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paykassma::postback::{ACK_BODY, PostbackVerifier, VerifiedPostback};
use paykassma::sandbox::{PaykassmaSandbox, SandboxOptions};
use paykassma::{
    Activation, ActivationOutcome, Label, PaykassmaClient, TransactionNumber, WalletType,
};
use payments_core::sandbox::{
    Fault, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::{Currency, DeclineKind, Error, Money, async_trait};

/// A merchant's postback endpoint: verifies, de-duplicates, and answers
/// with the acknowledgement — except for the first `refuse` deliveries.
struct Endpoint {
    verifier: PostbackVerifier,
    refuse: Mutex<u32>,
    received: Mutex<Vec<VerifiedPostback>>,
    bodies: Mutex<Vec<Vec<u8>>>,
    credited: Mutex<HashSet<String>>,
    duplicates: Mutex<u32>,
}

#[async_trait]
impl SandboxHandler for Endpoint {
    fn operation(&self, _: &SandboxRequest) -> String {
        "postback".into()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        let postback = match self.verifier.verify(&request.body) {
            Ok(postback) => postback,
            Err(e) => {
                return SandboxResponse::json(
                    e.http_status(),
                    &serde_json::json!({"error": e.to_string()}),
                );
            }
        };
        {
            let mut refuse = self.refuse.lock().unwrap();
            if *refuse > 0 {
                *refuse -= 1;
                return SandboxResponse::with_type(500, "text/plain", "database busy");
            }
        }
        for tx in &postback.transactions {
            let id = tx.custom_transaction_id.clone().unwrap();
            if !self.credited.lock().unwrap().insert(id) {
                *self.duplicates.lock().unwrap() += 1;
            }
        }
        self.received.lock().unwrap().push(postback);
        self.bodies.lock().unwrap().push(request.body.to_vec());
        SandboxResponse::with_type(200, "application/json", ACK_BODY)
    }
}

struct World {
    sandbox: PaykassmaSandbox,
    client: PaykassmaClient,
    endpoint: Arc<Endpoint>,
    server: SandboxServer,
}

async fn world(refuse: u32, batch: bool) -> World {
    let endpoint = Arc::new(Endpoint {
        verifier: PostbackVerifier::new(PaykassmaSandbox::postback_keys()),
        refuse: Mutex::new(refuse),
        received: Mutex::default(),
        bodies: Mutex::default(),
        credited: Mutex::default(),
        duplicates: Mutex::default(),
    });
    let server = SandboxServer::start(endpoint.clone()).await.unwrap();
    let sandbox = PaykassmaSandbox::start_with(SandboxOptions {
        postback_url: Some(server.base_url().join("postbacks/paykassma").unwrap()),
        postback_retry_interval: Duration::from_millis(20),
        slow_check: Duration::from_millis(100),
        batch_postbacks: batch,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let client = PaykassmaClient::new(sandbox.config()).unwrap();
    World {
        sandbox,
        client,
        endpoint,
        server,
    }
}

fn mmk(amount: &str) -> Money {
    Money::parse(amount, Currency::MMK).unwrap()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

impl World {
    async fn wallet(&self, label: &Label) -> String {
        self.client
            .create_deposit(label, Currency::MMK)
            .await
            .unwrap()
            .identifier
            .unwrap()
    }

    fn activation(&self, label: &Label, key1: TransactionNumber, amount: &str) -> Activation {
        Activation {
            label: label.clone(),
            wallet_type: WalletType::WAVEPAY,
            key1,
            amount: mmk(amount),
            custom_transaction_id: self.client.new_reference().unwrap(),
        }
    }
}

#[tokio::test]
async fn a_paid_deposit_is_credited_and_its_postback_acknowledged_once() {
    let w = world(0, false).await;
    let label = Label::new("user-55").unwrap();
    let wallet = w.wallet(&label).await;
    let key1 = w.sandbox.customer_pays(&wallet, mmk("500"));
    let activation = w.activation(&label, key1, "500");
    let outcome = w.client.activate(&activation).await.unwrap();
    assert_eq!(outcome, ActivationOutcome::Credited { amount: mmk("500") });
    wait_for("the postback", || {
        !w.endpoint.received.lock().unwrap().is_empty()
    })
    .await;
    let received = w.endpoint.received.lock().unwrap().clone();
    let tx = &received[0].transactions[0];
    assert!(tx.status.is_success());
    assert_eq!(tx.amount, Some(mmk("500")));
    assert_eq!(
        tx.custom_transaction_id.as_deref(),
        Some(activation.custom_transaction_id.as_str())
    );
    assert_eq!(w.sandbox.deliveries().len(), 1);
}

#[tokio::test]
async fn a_different_amount_paid_is_what_gets_credited() {
    let w = world(0, false).await;
    let label = Label::new("user-56").unwrap();
    let wallet = w.wallet(&label).await;
    let key1 = w.sandbox.customer_pays(&wallet, mmk("6000"));
    let error = w
        .client
        .activate(&w.activation(&label, key1, "500"))
        .await
        .unwrap_err();
    match &error {
        paykassma::Error::IntegrityMismatch {
            field: "amount",
            expected,
            actual,
            operation,
            ..
        } => {
            assert_eq!(expected.money(), Some(mmk("500")));
            assert_eq!(actual.money(), Some(mmk("6000")));
            assert_eq!(operation.to_string(), "paykassma.activate");
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.outcome_known(), "money moved: for a person");
    wait_for("the postback", || {
        !w.endpoint.received.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        w.endpoint.received.lock().unwrap()[0].transactions[0].amount,
        Some(mmk("6000"))
    );
}

#[tokio::test]
async fn a_slow_check_answers_pending_and_the_postback_brings_the_result() {
    let w = world(0, false).await;
    let label = Label::new("user-57").unwrap();
    let wallet = w.wallet(&label).await;
    let key1 = w.sandbox.customer_pays_slowly(&wallet, mmk("750"));
    let outcome = w
        .client
        .activate(&w.activation(&label, key1, "750"))
        .await
        .unwrap();
    assert!(
        matches!(outcome, ActivationOutcome::Pending { .. }),
        "{outcome:?}"
    );
    assert!(
        w.endpoint.received.lock().unwrap().is_empty(),
        "nothing yet"
    );
    wait_for("the postback", || {
        !w.endpoint.received.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        w.endpoint.received.lock().unwrap()[0].transactions[0].amount,
        Some(mmk("750"))
    );
}

#[tokio::test]
async fn an_unknown_transaction_number_records_a_possible_transaction() {
    let w = world(0, false).await;
    let label = Label::new("user-58").unwrap();
    let outcome = w
        .client
        .activate(&w.activation(&label, TransactionNumber::new("99999").unwrap(), "100"))
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            ActivationOutcome::PossibleTransactionCreated { .. }
        ),
        "{outcome:?}"
    );
    assert!(w.sandbox.credited().is_empty());
}

#[tokio::test]
async fn an_unacknowledged_postback_is_redelivered_until_acknowledged_and_credited_once() {
    let w = world(3, false).await;
    let label = Label::new("user-59").unwrap();
    let wallet = w.wallet(&label).await;
    let key1 = w.sandbox.customer_pays(&wallet, mmk("300"));
    w.client
        .activate(&w.activation(&label, key1, "300"))
        .await
        .unwrap();
    wait_for("the acknowledgement", || {
        w.sandbox.deliveries().iter().any(|d| d.acknowledged)
    })
    .await;
    let deliveries = w.sandbox.deliveries();
    assert_eq!(deliveries.len(), 4, "{deliveries:?}");
    assert!(
        deliveries[..3]
            .iter()
            .all(|d| d.status == Some(500) && !d.acknowledged)
    );
    assert_eq!(deliveries[3].attempt, 4);
    assert_eq!(w.endpoint.credited.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_duplicate_delivery_is_verified_and_recognised() {
    let w = world(0, true).await;
    let label = Label::new("user-60").unwrap();
    let wallet = w.wallet(&label).await;
    let key1 = w.sandbox.customer_pays(&wallet, mmk("100"));
    w.client
        .activate(&w.activation(&label, key1, "100"))
        .await
        .unwrap();
    wait_for("the postback", || {
        !w.endpoint.received.lock().unwrap().is_empty()
    })
    .await;
    let received = w.endpoint.received.lock().unwrap()[0].clone();
    assert_eq!(received.layout, paykassma::postback::PostbackLayout::Batch);
    // Paykassma's retry after a lost acknowledgement: the very same bytes again.
    let body = w.endpoint.bodies.lock().unwrap()[0].clone();
    let answer = reqwest::Client::new()
        .post(w.server.base_url().join("postbacks/paykassma").unwrap())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "a duplicate is acknowledged too");
    assert_eq!(answer.text().await.unwrap(), paykassma::postback::ACK_BODY);
    assert_eq!(
        *w.endpoint.duplicates.lock().unwrap(),
        1,
        "recognised as a duplicate"
    );
    assert_eq!(
        w.endpoint.credited.lock().unwrap().len(),
        1,
        "credited once"
    );
}

#[tokio::test]
async fn reusing_a_transaction_number_or_a_custom_id_is_refused() {
    let w = world(0, false).await;
    let label = Label::new("user-61").unwrap();
    let wallet = w.wallet(&label).await;
    let key1 = w.sandbox.customer_pays(&wallet, mmk("100"));
    let first = w.activation(&label, key1.clone(), "100");
    w.client.activate(&first).await.unwrap();
    let again = w
        .client
        .activate(&w.activation(&label, key1, "100"))
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("already been activated"),
        "{again}"
    );
    let other_key = w.sandbox.customer_pays(&wallet, mmk("100"));
    let same_id = Activation {
        key1: other_key,
        ..first
    };
    let error = w.client.activate(&same_id).await.unwrap_err();
    // Paykassma's `fail` carries only a message; the one kind read from it
    // is a taken `custom_transaction_id` (for an order's id: sent before).
    assert_eq!(
        error.decline().map(|d| (d.kind, d.message.as_str())),
        Some((
            DeclineKind::DuplicateReference,
            "The custom_transaction_id has already been taken."
        )),
        "{error:?}"
    );
    assert_eq!(
        again.decline().map(|d| d.kind),
        Some(DeclineKind::Other),
        "a reused transaction number is a plain refusal: {again:?}"
    );
    assert_eq!(w.sandbox.credited().len(), 1);
}

#[tokio::test]
async fn an_activation_whose_answer_is_lost_is_an_unknown_outcome_settled_by_the_postback() {
    let w = world(0, false).await;
    let label = Label::new("user-62").unwrap();
    let wallet = w.wallet(&label).await;
    let key1 = w.sandbox.customer_pays(&wallet, mmk("400"));
    w.sandbox
        .faults()
        .inject("activate", Fault::DropAfterCommit);
    let activation = w.activation(&label, key1, "400");
    let error = w.client.activate(&activation).await.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reference: Some(r), .. } if r == activation.custom_transaction_id.as_str()),
        "{error:?}"
    );
    assert_eq!(w.sandbox.activations(), 1, "not repeated");
    wait_for("the postback", || {
        !w.endpoint.received.lock().unwrap().is_empty()
    })
    .await;
    let postback = w.endpoint.received.lock().unwrap()[0].clone();
    assert_eq!(
        postback.transactions[0].custom_transaction_id.as_deref(),
        Some(activation.custom_transaction_id.as_str())
    );
}

#[tokio::test]
async fn a_wrong_secret_is_http_404_for_the_client() {
    let w = world(0, false).await;
    let mut config = w.sandbox.config();
    config.secret = payments_core::SecretString::from("wrong");
    let client = PaykassmaClient::new(config).unwrap();
    let error = client
        .create_deposit(&Label::new("u").unwrap(), Currency::MMK)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error:?}");
}
