//! What the journal costs a payment: `pay` through a provider that answers
//! at once, without the journal, then journaled on SQLite (a file, WAL,
//! `synchronous = FULL`) and — with `PAYMENTS_JOURNAL_POSTGRES_URL` — on
//! PostgreSQL; one payment at a time (the added latency) and 32 at a time
//! (payments journaled per second).
//!
//! `cargo bench -p payments-journal --features postgres`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use payments_core::gateway::{DurableGateway, restore_state, save_state};
use payments_core::reference::{Charset, ReferenceRules};
use payments_core::{
    Capabilities, Gateway, MerchantReference, PaymentOutcome, PaymentStatus, Reconciliation,
    Result, async_trait,
};
use payments_journal::{Journal, JournalKey, Journaled};

const RULES: ReferenceRules = ReferenceRules {
    field: "ref",
    max_len: 64,
    charset: Charset::AlphanumericDashUnderscore,
};

/// A provider that books every payment at once: what is measured is the
/// flow and the journal, not a network.
#[derive(Clone)]
struct Instant_;

#[async_trait]
impl Gateway for Instant_ {
    type Order = payments_core::testkit::TestOrder;
    type Prepared = MerchantReference;

    fn provider(&self) -> &'static str {
        "bench"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, false, false, false, Reconciliation::StatusLookup)
    }

    async fn prepare(&self, order: payments_core::testkit::TestOrder) -> Result<MerchantReference> {
        MerchantReference::new(order.reference_text(), &RULES)
    }

    fn reference<'a>(&self, prepared: &'a MerchantReference) -> &'a MerchantReference {
        prepared
    }

    async fn commit(&self, prepared: &MerchantReference) -> Result<PaymentOutcome> {
        Ok(PaymentOutcome::new(
            prepared.clone(),
            PaymentStatus::Completed,
        ))
    }

    async fn reconcile(&self, prepared: &MerchantReference) -> Result<PaymentOutcome> {
        self.commit(prepared).await
    }
}

impl DurableGateway for Instant_ {
    fn save_prepared(&self, prepared: &MerchantReference) -> Result<serde_json::Value> {
        save_state(1, prepared)
    }

    fn restore_prepared(&self, saved: &serde_json::Value) -> Result<MerchantReference> {
        restore_state(saved, 1, "a saved bench payment")
    }
}

static NEXT: AtomicU64 = AtomicU64::new(0);

fn order(run: &str) -> payments_core::testkit::TestOrder {
    let id = format!("{run}-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    payments_core::testkit::TestOrder::new(&id).unwrap()
}

/// `iters` payments, `parallel` at a time; the time they took.
async fn pay_all(
    payments: &Arc<Journaled<Instant_>>,
    run: &Arc<str>,
    iters: u64,
    parallel: u64,
) -> Duration {
    let started = Instant::now();
    let mut left = iters;
    while left > 0 {
        let batch = left.min(parallel);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..batch {
            let payments = Arc::clone(payments);
            let run = Arc::clone(run);
            tasks.spawn(async move { payments.pay(order(&run)).await.unwrap() });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        left -= batch;
    }
    started.elapsed()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let run: Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
    let mut group = c.benchmark_group("pay");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));

    group.bench_function("unjournaled", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    payments_core::pay(&Instant_, order(&run)).await.unwrap();
                }
                started.elapsed()
            })
        });
    });

    let dir = tempfile::tempdir().unwrap();
    #[allow(unused_mut)] // pushed to with the postgres feature
    let mut journals = vec![(
        "sqlite",
        runtime
            .block_on(Journal::sqlite(
                dir.path().join("bench.db"),
                JournalKey::generate().unwrap(),
            ))
            .unwrap(),
    )];
    #[cfg(feature = "postgres")]
    match std::env::var("PAYMENTS_JOURNAL_POSTGRES_URL") {
        Ok(url) => journals.push((
            "postgres",
            // The tests' key: a database they created is sealed with it.
            runtime
                .block_on(Journal::postgres(
                    &url,
                    JournalKey::from_hex(&"42".repeat(32)).unwrap(),
                ))
                .unwrap(),
        )),
        Err(_) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("postgres: skipped (set PAYMENTS_JOURNAL_POSTGRES_URL to measure it)");
            }
        }
    }
    #[cfg(not(feature = "postgres"))]
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "postgres: skipped (build with --features postgres and set PAYMENTS_JOURNAL_POSTGRES_URL to measure it)"
        );
    }
    for (name, journal) in journals {
        let payments = Arc::new(Journaled::new(Instant_, journal));
        for parallel in [1, 32] {
            group.bench_function(format!("{name}/{parallel}-at-a-time"), |b| {
                b.iter_custom(|iters| runtime.block_on(pay_all(&payments, &run, iters, parallel)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
