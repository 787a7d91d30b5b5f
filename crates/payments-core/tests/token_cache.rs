//! Token cache: single-flight refresh, expiry on an injected clock, invalidation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use payments_core::clock::ManualClock;
use payments_core::token::{FreshToken, TokenCache};

fn fresh(value: &str, secs: u64) -> FreshToken<String> {
    FreshToken {
        value: value.to_owned(),
        expires_in: Duration::from_secs(secs),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_callers_on_a_cold_cache_cause_one_refresh() {
    let cache = Arc::new(TokenCache::<String>::new(Duration::from_secs(30)));
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let cache = Arc::clone(&cache);
        let fetches = Arc::clone(&fetches);
        tasks.push(tokio::spawn(async move {
            let lease = cache
                .get(|| async {
                    let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
                    // Long enough for every other caller to arrive meanwhile.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, std::io::Error>(fresh(&format!("token-{n}"), 3600))
                })
                .await
                .unwrap();
            (*lease).clone()
        }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap());
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == "token-1"));
}

#[tokio::test]
async fn tokens_are_refreshed_skew_before_expiry_on_the_injected_clock() {
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
    let cache = TokenCache::<String>::with_clock(Duration::from_secs(60), Arc::new(clock.clone()));
    let fetches = AtomicUsize::new(0);
    let get = || async {
        let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
        Ok::<_, std::io::Error>(fresh(&format!("t{n}"), 3600))
    };
    assert_eq!(*cache.get(get).await.unwrap(), "t1");
    clock.advance(Duration::from_secs(3539));
    assert_eq!(
        *cache.get(get).await.unwrap(),
        "t1",
        "still 61 s before expiry"
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        *cache.get(get).await.unwrap(),
        "t2",
        "within the 60 s skew: refreshed"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn invalidating_a_rejected_token_forces_one_refresh_but_not_of_a_newer_token() {
    let cache = TokenCache::<String>::new(Duration::from_secs(30));
    let fetches = AtomicUsize::new(0);
    let get = || async {
        let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
        Ok::<_, std::io::Error>(fresh(&format!("t{n}"), 3600))
    };
    let first = cache.get(get).await.unwrap();
    cache.invalidate(&first);
    let second = cache.get(get).await.unwrap();
    assert_eq!(*second, "t2");
    // A late caller reports the old token rejected: the new one stays.
    cache.invalidate(&first);
    assert_eq!(*cache.get(get).await.unwrap(), "t2");
    cache.clear();
    assert_eq!(*cache.get(get).await.unwrap(), "t3");
}

#[tokio::test]
async fn a_failed_fetch_leaves_the_cache_empty_for_the_next_caller() {
    let cache = TokenCache::<String>::new(Duration::from_secs(30));
    let failed = cache
        .get(|| async { Err::<FreshToken<String>, _>(std::io::Error::other("login refused")) })
        .await;
    assert!(failed.is_err());
    let ok = cache
        .get(|| async { Ok::<_, std::io::Error>(fresh("t", 3600)) })
        .await
        .unwrap();
    assert_eq!(*ok, "t");
}

#[test]
fn debug_of_a_lease_and_of_the_cache_hides_the_token() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cache = TokenCache::<String>::new(Duration::from_secs(30));
    let lease = rt
        .block_on(cache.get(|| async { Ok::<_, std::io::Error>(fresh("very-secret-token", 3600)) }))
        .unwrap();
    assert!(!format!("{lease:?}").contains("very-secret-token"));
    assert!(!format!("{cache:?}").contains("very-secret-token"));
}

#[tokio::test]
async fn a_lifetime_near_u64_max_saturates_instead_of_panicking() {
    let cache = TokenCache::<String>::new(Duration::from_secs(30));
    for lifetime in [Duration::from_secs(u64::MAX), Duration::MAX] {
        cache.clear();
        let lease = cache
            .get(|| async {
                Ok::<_, std::io::Error>(FreshToken {
                    value: "forever".to_owned(),
                    expires_in: lifetime,
                })
            })
            .await
            .unwrap();
        assert_eq!(*lease, "forever");
    }
    // And it is cached, not fetched again.
    let again = cache
        .get(|| async { Ok::<_, std::io::Error>(fresh("other", 60)) })
        .await
        .unwrap();
    assert_eq!(*again, "forever");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_fetch_is_shared_with_the_callers_that_waited_for_it() {
    let cache = Arc::new(TokenCache::<String>::new(Duration::from_secs(30)));
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let cache = Arc::clone(&cache);
        let fetches = Arc::clone(&fetches);
        tasks.push(tokio::spawn(async move {
            cache
                .get(|| async {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    // Long enough for every other caller to queue behind it.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err::<FreshToken<String>, _>(payments_core::Error::Authentication {
                        operation: payments_core::Operation::authentication("demo", "login"),
                        message: "invalid_grant: bad credentials".to_owned(),
                        diagnostics: None,
                    })
                })
                .await
                .map(|lease| (*lease).clone())
        }));
    }
    for task in tasks {
        let error = task.await.unwrap().unwrap_err();
        assert!(
            matches!(&error, payments_core::Error::Authentication { message, .. } if message.contains("bad credentials")),
            "{error:?}"
        );
    }
    // One refused LOGIN for 50 callers, not 50 (an account lockout).
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // A caller arriving after the failure tries again.
    let lease = cache
        .get(|| async { Ok::<_, payments_core::Error>(fresh("t2", 60)) })
        .await
        .unwrap();
    assert_eq!(*lease, "t2");
}
