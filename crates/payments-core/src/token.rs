//! A cache for bearer tokens with single-flight refresh.
//!
//! Many tasks share one client; when its token is missing or about to expire,
//! exactly one of them fetches a new one while the others wait for it, so a
//! burst of N calls on a cold client costs one token request, not N.
//!
//! A failed fetch is shared the same way: the callers that were waiting for
//! it get (a copy of) its error instead of each trying again, so N callers
//! behind a refused LOGIN cost one refused LOGIN, not N — a provider that
//! locks an account after a few failed logins is never hammered into it.
//! The next caller that arrives *after* the failure tries again.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::clock::{Clock, SystemClock};

/// A token as the provider issued it.
#[derive(Clone)]
pub struct FreshToken<T> {
    /// The token.
    pub value: T,
    /// How long the provider says it lives.
    pub expires_in: Duration,
}

/// A token handed out by the cache, with the generation it belongs to, so
/// that a caller that saw it rejected can invalidate exactly that one.
#[derive(Clone)]
pub struct Lease<T> {
    value: T,
    generation: u64,
}

impl<T> Lease<T> {
    /// The cache generation of this token.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl<T> Deref for Lease<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> fmt::Debug for Lease<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token itself is a credential: never printed.
        f.debug_struct("Lease")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

struct Entry<T> {
    value: T,
    refresh_at: SystemTime,
    generation: u64,
}

struct State<T> {
    entry: Option<Entry<T>>,
    generation: u64,
    /// Fetches finished so far, successful or not.
    fetches: u64,
    /// The error of the last fetch, when it failed (an `E` of [`TokenCache::get`]).
    failure: Option<Box<dyn Any + Send + Sync>>,
}

/// An error that can be handed to every caller that waited for the failed
/// token fetch it describes (see [`TokenCache::get`]).
pub trait SharedFailure: Send + Sync + Sized + 'static {
    /// A copy of this error for another caller.
    fn share(&self) -> Self;
}

impl SharedFailure for crate::Error {
    fn share(&self) -> Self {
        crate::Error::share(self)
    }
}

impl SharedFailure for std::io::Error {
    fn share(&self) -> Self {
        std::io::Error::new(self.kind(), self.to_string())
    }
}

/// The latest time a clock can represent after `now + lifetime`, without
/// overflowing: a provider that says its token lives for `u64::MAX` seconds
/// gets a token that never expires on its own, not a panic.
fn saturating_add(now: SystemTime, lifetime: Duration) -> SystemTime {
    // About 292 billion years of seconds do not fit in every platform's
    // `SystemTime`; halve until one does.
    let mut lifetime = lifetime;
    loop {
        if let Some(at) = now.checked_add(lifetime) {
            return at;
        }
        lifetime /= 2;
    }
}

/// Caches one token; refreshes it when it is within `skew` of its expiry, or
/// when a caller reports it rejected.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use payments_core::token::{FreshToken, TokenCache};
/// use std::time::Duration;
///
/// let cache: TokenCache<String> = TokenCache::new(Duration::from_secs(30));
/// let token = cache
///     .get(|| async { Ok::<_, std::io::Error>(FreshToken { value: "t1".to_owned(), expires_in: Duration::from_secs(3600) }) })
///     .await
///     .unwrap();
/// assert_eq!(*token, "t1");
/// # }
/// ```
pub struct TokenCache<T> {
    clock: Arc<dyn Clock>,
    skew: Duration,
    state: Mutex<State<T>>,
    refresh: tokio::sync::Mutex<()>,
}

impl<T: Clone> TokenCache<T> {
    /// An empty cache on the system clock; tokens are refreshed `skew` before they expire.
    pub fn new(skew: Duration) -> Self {
        Self::with_clock(skew, Arc::new(SystemClock))
    }

    /// An empty cache reading time from `clock`.
    pub fn with_clock(skew: Duration, clock: Arc<dyn Clock>) -> Self {
        TokenCache {
            clock,
            skew,
            state: Mutex::new(State {
                entry: None,
                generation: 0,
                fetches: 0,
                failure: None,
            }),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> Option<Lease<T>> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = state.entry.as_ref()?;
        (self.clock.now() < entry.refresh_at).then(|| Lease {
            value: entry.value.clone(),
            generation: entry.generation,
        })
    }

    /// The cached token, or a new one from `fetch` when there is none or it
    /// is about to expire. Concurrent callers share one `fetch`, and share
    /// its failure too: a caller that waited while a fetch failed gets a
    /// copy of that error ([`SharedFailure::share`]) without fetching again.
    ///
    /// # Errors
    ///
    /// `fetch`'s error, or a copy of the error of the fetch this caller
    /// waited for. The cache stays empty, and the next caller fetches again.
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<Lease<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FreshToken<T>, E>>,
        E: SharedFailure,
    {
        if let Some(lease) = self.current() {
            return Ok(lease);
        }
        let seen = self.lock().fetches;
        let _refreshing = self.refresh.lock().await;
        // Someone may have refreshed while this caller waited…
        if let Some(lease) = self.current() {
            return Ok(lease);
        }
        // …or failed to: share that failure rather than trying again.
        {
            let state = self.lock();
            if state.fetches != seen
                && let Some(failure) = state.failure.as_ref().and_then(|f| f.downcast_ref::<E>())
            {
                return Err(failure.share());
            }
        }
        let fresh = match fetch().await {
            Ok(fresh) => fresh,
            Err(error) => {
                let mut state = self.lock();
                state.fetches += 1;
                state.failure = Some(Box::new(error.share()));
                return Err(error);
            }
        };
        let refresh_at =
            saturating_add(self.clock.now(), fresh.expires_in.saturating_sub(self.skew));
        let mut state = self.lock();
        state.fetches += 1;
        state.failure = None;
        state.generation += 1;
        let generation = state.generation;
        state.entry = Some(Entry {
            value: fresh.value.clone(),
            refresh_at,
            generation,
        });
        Ok(Lease {
            value: fresh.value,
            generation,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops the token `rejected` came from, if it is still the cached one.
    /// Callers that saw an already-replaced token rejected do not throw the
    /// new one away.
    pub fn invalidate(&self, rejected: &Lease<T>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state
            .entry
            .as_ref()
            .is_some_and(|e| e.generation == rejected.generation)
        {
            state.entry = None;
        }
    }

    /// Drops the cached token, whichever it is.
    pub fn clear(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry = None;
    }
}

impl<T> fmt::Debug for TokenCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("TokenCache")
            .field("cached", &state.entry.is_some())
            .field("generation", &state.generation)
            .field("skew", &self.skew)
            .finish()
    }
}
