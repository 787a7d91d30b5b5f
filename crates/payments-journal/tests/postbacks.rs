//! Paykassma's postbacks in the journal's database: the inbox's rules hold
//! in the shared store; a postback received by one replica settles a
//! payment another replica waits on; a fleet of two replicas, postbacks
//! delivered to either at random, settles 500 payments exactly once.
//! SQLite always; PostgreSQL with `PAYMENTS_JOURNAL_POSTGRES_URL`.
#![cfg(all(feature = "paykassma", feature = "sqlite"))]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use paykassma::postback::{PostbackSigner, PostbackStatus, PostbackVerifier};
use paykassma::sandbox::{PaykassmaSandbox, SandboxOptions};
use paykassma::{DepositOrder, Label, PaykassmaClient, PaykassmaGateway, PostbackInbox};
use payments_core::http::RetryPolicy;
use payments_core::sandbox::{
    Fault, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::{Currency, Money, async_trait};
use payments_journal::{Journal, JournalKey, Journaled, PaykassmaPostbacks, Stage};
use serde_json::json;

fn mmk(amount: &str) -> Money {
    Money::parse(amount, Currency::MMK).unwrap()
}

fn inbox(journal: &Journal) -> Arc<PostbackInbox> {
    inbox_of(PaykassmaPostbacks::new(journal.clone()))
}

fn inbox_of(store: PaykassmaPostbacks) -> Arc<PostbackInbox> {
    Arc::new(PostbackInbox::with_store(
        PostbackVerifier::new(PaykassmaSandbox::postback_keys()),
        Arc::new(store),
    ))
}

fn postback(id: Option<&str>, status: &str) -> String {
    let mut fields = json!({
        "transaction_id": 7, "wallet_type": "wavepay", "direction": "ingoing",
        "status": status, "amount": 500, "currency_code": "MMK", "label": "user-55",
        "created_at": "2026-11-23 10:00:00"
    });
    if let Some(id) = id {
        fields["custom_transaction_id"] = json!(id);
    }
    PostbackSigner::new(PaykassmaSandbox::postback_keys())
        .sign_flat(&fields)
        .unwrap()
}

/// The key every journal of these tests is opened with: fixed, so that
/// runs against one PostgreSQL database can share it.
fn key() -> JournalKey {
    JournalKey::from_hex(&"42".repeat(32)).unwrap()
}

/// A reference of its own per run, so that runs can share a database.
fn unique(name: &str) -> String {
    format!(
        "{name}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

async fn the_inbox_rules_hold_in_the_shared_store(journal: Journal) {
    // Two replicas' inboxes on one store.
    let (a, b) = (inbox(&journal), inbox(&journal));
    let id = unique("d");
    assert!(
        a.receive(postback(Some(&id), "pending").as_bytes())
            .await
            .new
    );
    assert!(!b.get(&id).await.unwrap().unwrap().status.is_final());
    let reply = b.receive(postback(Some(&id), "success").as_bytes()).await;
    assert_eq!((reply.status, reply.new, reply.alarm), (200, true, None));
    assert_eq!(
        a.get(&id).await.unwrap().unwrap().status,
        PostbackStatus::Success
    );
    // A redelivery to the other replica changes nothing; a late pending neither.
    assert!(
        !a.receive(postback(Some(&id), "success").as_bytes())
            .await
            .new
    );
    assert!(
        !b.receive(postback(Some(&id), "pending").as_bytes())
            .await
            .new
    );
    let record = a.record(&id).await.unwrap().unwrap();
    assert_eq!(record.current.status, PostbackStatus::Success);
    assert_eq!(record.deliveries.len(), 2);
    assert!(
        record.current.created_at.is_some(),
        "times survive the store"
    );
    // A contradicting final status raises the alarm, whichever replica gets it.
    let reply = b.receive(postback(Some(&id), "failed").as_bytes()).await;
    assert!(reply.alarm.unwrap().contains(&id));
    let record = a.record(&id).await.unwrap().unwrap();
    assert_eq!(record.current.status, PostbackStatus::Success);
    assert_eq!(record.conflict.unwrap().status, PostbackStatus::Failed);
    // Unmatched deliveries are kept once.
    let before = a.unmatched().await.unwrap().len();
    let unmatched = postback(None, &unique("status"));
    assert!(a.receive(unmatched.as_bytes()).await.new);
    assert!(!b.receive(unmatched.as_bytes()).await.new);
    assert_eq!(b.unmatched().await.unwrap().len(), before + 1);
}

/// Finding 9: two merchant accounts' stores on one journal, one deposit id
/// on each: each account sees its own record and its own unmatched
/// deliveries only.
async fn two_scopes_keep_their_own_postbacks(journal: Journal) {
    let default = PaykassmaPostbacks::new(journal.clone());
    assert_eq!(default.scope(), "paykassma");
    let shop_b = unique("paykassma/shop-b");
    let (a, b) = (
        inbox_of(default),
        inbox_of(PaykassmaPostbacks::new(journal).with_scope(&shop_b)),
    );
    let id = unique("d");
    assert!(
        a.receive(postback(Some(&id), "success").as_bytes())
            .await
            .new
    );
    assert!(b.get(&id).await.unwrap().is_none(), "not shop b's deposit");
    let reply = b.receive(postback(Some(&id), "pending").as_bytes()).await;
    assert!(reply.new, "a deposit of its own, not a redelivery");
    assert_eq!(reply.alarm, None, "no contradiction with shop a's record");
    assert_eq!(
        a.get(&id).await.unwrap().unwrap().status,
        PostbackStatus::Success
    );
    assert_eq!(
        b.get(&id).await.unwrap().unwrap().status,
        PostbackStatus::Other("pending".to_owned())
    );
    assert_eq!(a.record(&id).await.unwrap().unwrap().deliveries.len(), 1);
    assert_eq!(b.record(&id).await.unwrap().unwrap().deliveries.len(), 1);

    let (before_a, before_b) = (
        a.unmatched().await.unwrap().len(),
        b.unmatched().await.unwrap().len(),
    );
    let unmatched = postback(None, &unique("status"));
    assert!(b.receive(unmatched.as_bytes()).await.new);
    assert_eq!(a.unmatched().await.unwrap().len(), before_a);
    assert_eq!(b.unmatched().await.unwrap().len(), before_b + 1);
    assert!(a.receive(unmatched.as_bytes()).await.new, "kept per scope");
}

/// The merchant's load balancer: each delivery goes to one replica's
/// inbox, at random (`to` pins it to one).
struct Balancer {
    inboxes: Vec<Arc<PostbackInbox>>,
    to: Option<usize>,
    deliveries: AtomicUsize,
}

#[async_trait]
impl SandboxHandler for Balancer {
    fn operation(&self, _: &SandboxRequest) -> String {
        "postback".to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        self.deliveries.fetch_add(1, Ordering::SeqCst);
        let replica = self
            .to
            .unwrap_or_else(|| fastrand::usize(..self.inboxes.len()));
        let reply = self.inboxes[replica].receive(&request.body).await;
        SandboxResponse::with_type(reply.status, "application/json", reply.body)
    }
}

struct Fleet {
    sandbox: PaykassmaSandbox,
    replicas: Vec<Arc<Journaled<PaykassmaGateway>>>,
    balancer: Arc<Balancer>,
    _endpoint: SandboxServer,
    labels: AtomicUsize,
}

impl Fleet {
    async fn start(journals: [Journal; 2], to: Option<usize>) -> Fleet {
        let inboxes: Vec<_> = journals.iter().map(inbox).collect();
        let balancer = Arc::new(Balancer {
            inboxes: inboxes.clone(),
            to,
            deliveries: AtomicUsize::new(0),
        });
        let endpoint = SandboxServer::start(Arc::clone(&balancer) as Arc<dyn SandboxHandler>)
            .await
            .unwrap();
        let options = SandboxOptions {
            postback_url: Some(endpoint.base_url().join("postbacks").unwrap()),
            postback_retry_interval: Duration::from_millis(10),
            ..SandboxOptions::default()
        };
        let sandbox = PaykassmaSandbox::start_with(options).await.unwrap();
        let mut config = sandbox.config();
        config.http.timeouts.total = Duration::from_millis(500);
        let replicas = journals
            .into_iter()
            .zip(inboxes)
            .map(|(journal, inbox)| {
                let gateway = PaykassmaGateway::new(
                    PaykassmaClient::new(config.clone()).unwrap(),
                    inbox,
                    Duration::from_secs(3),
                )
                .with_settle_policy(RetryPolicy::new(
                    4,
                    Duration::from_millis(10),
                    Duration::from_millis(50),
                ));
                Arc::new(Journaled::new(gateway, journal))
            })
            .collect();
        Fleet {
            sandbox,
            replicas,
            balancer,
            _endpoint: endpoint,
            labels: AtomicUsize::new(0),
        }
    }

    async fn order(&self) -> DepositOrder {
        let label = Label::new(format!(
            "user-{}",
            self.labels.fetch_add(1, Ordering::SeqCst)
        ))
        .unwrap();
        self.sandbox
            .paid_deposit(self.replicas[0].gateway().client(), label, mmk("500"))
            .await
            .unwrap()
    }
}

/// Replica 0 pays; its activation's answer is lost; the postback goes to
/// replica 1 only — and replica 0's payment is settled by it.
async fn a_postback_to_one_replica_settles_a_payment_on_another(journals: [Journal; 2]) {
    let fleet = Fleet::start(journals, Some(1)).await;
    fleet
        .sandbox
        .faults()
        .inject("activate", Fault::DropAfterCommit);
    let outcome = fleet.replicas[0].pay(fleet.order().await).await.unwrap();
    assert_eq!(outcome.status, payments_core::PaymentStatus::Completed);
    assert!(fleet.balancer.deliveries.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        fleet.sandbox.faults().injected().len(),
        1,
        "the answer was lost"
    );
}

/// Two replicas share a journal and a postback store; 500 deposits, 32 at
/// a time, split between them; a tenth of the activations lose their
/// answer; postbacks go to either replica at random. Then both sweepers
/// at once. Every deposit is credited once and completed once in the
/// journal.
async fn a_fleet_settles_every_deposit_once(journals: [Journal; 2]) {
    const PAYMENTS: usize = 500;
    let first = journals[0].clone();
    let fleet = Arc::new(Fleet::start(journals, None).await);
    fleet.sandbox.faults().random(
        7,
        100,
        vec![Fault::DropAfterCommit],
        Some(vec!["activate".to_owned()]),
    );
    let slots = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..PAYMENTS {
        let fleet = Arc::clone(&fleet);
        let slot = Arc::clone(&slots).acquire_owned().await.unwrap();
        tasks.spawn(async move {
            let order = fleet.order().await;
            let result = fleet.replicas[n % 2].pay(order).await;
            drop(slot);
            result
        });
    }
    while let Some(done) = tasks.join_next().await {
        let _ = done.unwrap();
    }
    for _ in 0..20 {
        let sweeps: Vec<_> = fleet
            .replicas
            .iter()
            .map(|replica| {
                let replica = Arc::clone(replica);
                tokio::spawn(async move { replica.settle_pending(1000).await.unwrap() })
            })
            .collect();
        for sweep in sweeps {
            sweep.await.unwrap();
        }
        let open = first
            .entries("paykassma")
            .await
            .unwrap()
            .iter()
            .filter(|e| !e.stage.is_final())
            .count();
        if open == 0 {
            break;
        }
    }
    let credited = fleet.sandbox.credited();
    let entries = first.entries("paykassma").await.unwrap();
    let mine: Vec<_> = entries
        .iter()
        .filter(|e| {
            credited
                .iter()
                .any(|c| c.custom_transaction_id == e.reference)
        })
        .collect();
    assert_eq!(mine.len(), PAYMENTS, "every deposit journaled and credited");
    for entry in &mine {
        assert_eq!(entry.stage, Stage::Completed, "{entry:?}");
        let times = credited
            .iter()
            .filter(|c| c.custom_transaction_id == entry.reference)
            .count();
        assert_eq!(times, 1, "{} credited {times} times", entry.reference);
    }
    assert!(
        fleet.sandbox.faults().injected().len() > 10,
        "lost answers: the test is not testing"
    );
}

mod sqlite {
    use super::*;

    #[tokio::test]
    async fn two_scopes_keep_their_own_postbacks() {
        super::two_scopes_keep_their_own_postbacks(Journal::in_memory().await.unwrap()).await;
    }

    /// Postbacks a journal kept before scopes (one deposit's record, one
    /// unmatched delivery, as that version wrote them) are the `paykassma`
    /// scope's after the upgrade, and another scope sees none of them.
    #[tokio::test]
    async fn postbacks_kept_before_scopes_belong_to_the_paykassma_scope() {
        use paykassma::PostbackStore;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let verify = |body: String| {
            PostbackVerifier::new(PaykassmaSandbox::postback_keys())
                .verify(body.as_bytes())
                .unwrap()
                .transactions
                .remove(0)
        };
        let (record, _) =
            paykassma::apply_delivery("old-1", None, verify(postback(Some("old-1"), "success")));
        let stray = verify(postback(None, "pending"));
        let pool = support::journal_at_0002(&path, dir.path()).await;
        sqlx::query(
            "INSERT INTO paykassma_postbacks (custom_transaction_id, record, version, updated_at) \
             VALUES ('old-1', $1, 3, 0)",
        )
        .bind(serde_json::to_string(&record).unwrap())
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO paykassma_unmatched (delivery, received_at) VALUES ($1, 0)")
            .bind(serde_json::to_string(&stray).unwrap())
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        let journal = Journal::sqlite(&path, key()).await.unwrap();
        let kept = PaykassmaPostbacks::new(journal.clone());
        assert_eq!(kept.record("old-1").await.unwrap(), Some(record));
        let unmatched = kept.unmatched().await.unwrap();
        assert_eq!(
            serde_json::to_value(&unmatched).unwrap(),
            serde_json::to_value([&stray]).unwrap()
        );
        let other = PaykassmaPostbacks::new(journal).with_scope("paykassma/shop-b");
        assert_eq!(other.record("old-1").await.unwrap(), None);
        assert!(other.unmatched().await.unwrap().is_empty());
        // The kept record goes on changing (its version carried over).
        let late = verify(postback(Some("old-1"), "failed"));
        kept.apply("old-1", late).await.unwrap();
        let changed = kept.record("old-1").await.unwrap().unwrap();
        assert_eq!(changed.deliveries.len(), 2);
    }

    async fn two_journals() -> (tempfile::TempDir, [Journal; 2]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let a = Journal::sqlite(&path, key()).await.unwrap();
        let b = Journal::sqlite(&path, key()).await.unwrap();
        (dir, [a, b])
    }

    #[tokio::test]
    async fn the_inbox_rules_hold_in_the_shared_store() {
        super::the_inbox_rules_hold_in_the_shared_store(Journal::in_memory().await.unwrap()).await;
    }

    #[tokio::test]
    async fn a_postback_to_one_replica_settles_a_payment_on_another() {
        let (_dir, journals) = two_journals().await;
        super::a_postback_to_one_replica_settles_a_payment_on_another(journals).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fleet_settles_every_deposit_once() {
        let (_dir, journals) = two_journals().await;
        super::a_fleet_settles_every_deposit_once(journals).await;
    }
}

/// Set `PAYMENTS_JOURNAL_POSTGRES_URL` to run these; `.ci/run` does.
#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    #[allow(clippy::print_stderr)]
    async fn two_journals() -> Option<[Journal; 2]> {
        let Ok(url) = std::env::var("PAYMENTS_JOURNAL_POSTGRES_URL") else {
            eprintln!(
                "skipped: set PAYMENTS_JOURNAL_POSTGRES_URL=postgres://… to run the PostgreSQL postback tests"
            );
            return None;
        };
        Some([
            Journal::postgres(&url, key()).await.unwrap(),
            Journal::postgres(&url, key()).await.unwrap(),
        ])
    }

    #[tokio::test]
    async fn the_inbox_rules_hold_in_the_shared_store() {
        let Some([journal, _]) = two_journals().await else {
            return;
        };
        super::the_inbox_rules_hold_in_the_shared_store(journal).await;
    }

    #[tokio::test]
    async fn two_scopes_keep_their_own_postbacks() {
        let Some([journal, _]) = two_journals().await else {
            return;
        };
        super::two_scopes_keep_their_own_postbacks(journal).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fleet_settles_every_deposit_once() {
        let Some(journals) = two_journals().await else {
            return;
        };
        super::a_fleet_settles_every_deposit_once(journals).await;
    }
}
