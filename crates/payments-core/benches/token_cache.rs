//! The token cache on a cold start: 1000 concurrent callers against one,
//! the token endpoint taking 1 ms. Every run checks that the 1000 callers
//! made exactly one token request; `cargo xtask bench` reports the latency
//! they add over a single caller (spawning the 1000 tasks included).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::runtime;
use payments_core::Error;
use payments_core::token::{FreshToken, TokenCache};

/// Callers on a cold cache at once, the time until all hold the token, and
/// how many token requests they made.
async fn cold(callers: u64) -> (Duration, u64) {
    let cache = Arc::new(TokenCache::<String>::new(Duration::from_secs(30)));
    let requests = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..callers {
        let (cache, requests) = (Arc::clone(&cache), Arc::clone(&requests));
        tasks.spawn(async move {
            let token = cache
                .get(|| async {
                    requests.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Ok::<_, Error>(FreshToken {
                        value: "token".to_owned(),
                        expires_in: Duration::from_secs(3600),
                    })
                })
                .await
                .unwrap();
            assert_eq!(*token, "token");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    (started.elapsed(), requests.load(Ordering::SeqCst))
}

fn benches(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("payments-core/token-cache");
    for (name, callers) in [("cold-1", 1), ("cold-1000", 1000)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (elapsed, requests) = cold(callers).await;
                        assert_eq!(
                            requests, 1,
                            "{callers} callers on a cold cache made {requests} token requests"
                        );
                        total += elapsed;
                    }
                    total
                })
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = token_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(token_benches);
