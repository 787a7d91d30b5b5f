//! Shared by the workspace's benchmarks (not published).
//!
//! Every comparison is a criterion group `<crate>/<operation>` with two
//! functions, `sdk` and `baseline`, measured in the same run; `cargo xtask
//! bench` reads criterion's estimates and prints their ratios. Beside them,
//! [`record_allocations`] writes the allocations one call makes, counted by
//! the bench binary's instrumented global allocator:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: &bench_support::StatsAlloc<std::alloc::System> = &bench_support::INSTRUMENTED_SYSTEM;
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::alloc::System;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use bytes::Bytes;
pub use criterion;
use criterion::Criterion;
pub use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// Criterion as the workspace's benchmarks run it: short windows, since a
/// ratio of two functions measured side by side is the result.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args()
}

/// Whether the binary runs for real (`cargo bench`), not as a smoke test
/// (`cargo test --benches`, `cargo bench -- --test`).
pub fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

/// The allocations one call of `f` makes, averaged over 200 calls after a
/// warm-up call (caches, lazily built statics).
pub fn allocations_per_call(alloc: &'static StatsAlloc<System>, mut f: impl FnMut()) -> f64 {
    const CALLS: u32 = 200;
    f();
    let region = Region::new(alloc);
    for _ in 0..CALLS {
        f();
    }
    let allocations = region.change().allocations;
    #[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
    let per_call = allocations as f64 / f64::from(CALLS);
    per_call
}

/// Where criterion writes its results: `$CARGO_TARGET_DIR/criterion`, or
/// `target/criterion` above the running bench binary.
fn criterion_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(dir).join("criterion"));
    }
    // target/<profile>/deps/<binary>
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// The directory criterion gives a group (`/` becomes `_`).
pub fn group_dir(group: &str) -> String {
    group.replace('/', "_")
}

/// Records the allocations per call of `group/function` (as
/// `criterion/<group dir>/<function>/allocations`), for `cargo xtask bench`.
/// Does nothing in a smoke run.
pub fn record_allocations(group: &str, function: &str, allocations: f64) {
    if !measuring() {
        return;
    }
    let Some(dir) = criterion_dir().map(|d| d.join(group_dir(group)).join(function)) else {
        return;
    };
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("allocations"), format!("{allocations}\n")))
    {
        eprintln!("bench-support: cannot record allocations of {group}/{function}: {e}");
    }
}

/// Records `value` as `criterion/<group dir>/<file>`, for `cargo xtask bench`.
fn record(group: &str, file: &str, value: f64) {
    let Some(dir) = criterion_dir().map(|d| d.join(group_dir(group))) else {
        return;
    };
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(file), format!("{value}\n")))
    {
        eprintln!("bench-support: cannot record {file} of {group}: {e}");
    }
}

/// Records the input size of a throughput group (as
/// `criterion/<group dir>/bytes`), for `cargo xtask bench`'s MB/s. Does
/// nothing in a smoke run.
pub fn record_bytes(group: &str, bytes: usize) {
    if !measuring() {
        return;
    }
    let Some(dir) = criterion_dir().map(|d| d.join(group_dir(group))) else {
        return;
    };
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("bytes"), format!("{bytes}\n")))
    {
        eprintln!("bench-support: cannot record the size of {group}: {e}");
    }
}

/// One side of a comparison.
#[derive(Clone, Copy)]
enum Side {
    Sdk,
    Baseline,
}

/// What an interleaved comparison records.
#[derive(Clone, Copy)]
enum Ratio {
    /// The SDK's time over the baseline's (codec rows).
    TimeOverBaseline,
    /// The SDK's share of the baseline's throughput (loopback rows).
    ThroughputShare,
}

/// Times a batch of each side in each of 21 rounds, alternating which goes
/// first, and records the median of the rounds' ratios as `group`'s
/// `ratio`, the figure `cargo xtask bench` reports (criterion's two means,
/// taken one after the other, drift apart on a shared machine by more than
/// several differences measured).
fn record_interleaved(group: &str, ratio: Ratio, mut batch: impl FnMut(Side) -> Duration) {
    const ROUNDS: usize = 21;
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            let (sdk, baseline) = if round % 2 == 0 {
                let sdk = batch(Side::Sdk);
                (sdk, batch(Side::Baseline))
            } else {
                let baseline = batch(Side::Baseline);
                (batch(Side::Sdk), baseline)
            };
            let (sdk, baseline) = (sdk.as_secs_f64(), baseline.as_secs_f64());
            #[allow(clippy::float_arithmetic)]
            match ratio {
                Ratio::TimeOverBaseline => sdk / baseline,
                Ratio::ThroughputShare => baseline / sdk,
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    if let Some(median) = ratios.get(ROUNDS / 2) {
        record(group, "ratio", *median);
    }
}

/// Measures `sdk` against `baseline` as the group `group` (functions `sdk`
/// and `baseline`), allocations included.
///
/// Criterion times the two functions one after the other, and on a shared
/// machine the second can run several per cent faster or slower than the
/// first for reasons of its own; so the ratio `cargo xtask bench` reports is
/// measured interleaved, as for the loopback rows: 21 rounds, each timing a
/// batch of both (about 20 ms each) in alternating order; the median of the
/// rounds' ratios is recorded (`criterion/<group dir>/ratio`).
pub fn compare(
    c: &mut Criterion,
    alloc: &'static StatsAlloc<System>,
    group: &str,
    mut sdk: impl FnMut(),
    mut baseline: impl FnMut(),
) {
    record_allocations(group, "sdk", allocations_per_call(alloc, &mut sdk));
    record_allocations(
        group,
        "baseline",
        allocations_per_call(alloc, &mut baseline),
    );
    if measuring() {
        let time = |f: &mut dyn FnMut(), calls: u32| {
            let started = Instant::now();
            for _ in 0..calls {
                f();
            }
            started.elapsed()
        };
        // Calls per batch: about 20 ms of the slower side.
        let probe = time(&mut sdk, 10).max(time(&mut baseline, 10)) / 10;
        let calls =
            u32::try_from((Duration::from_millis(20).as_nanos() / probe.as_nanos().max(1)).max(10))
                .unwrap_or(u32::MAX);
        record_interleaved(group, Ratio::TimeOverBaseline, |side| match side {
            Side::Sdk => time(&mut sdk, calls),
            Side::Baseline => time(&mut baseline, calls),
        });
    }
    let mut g = c.benchmark_group(group);
    g.bench_function("sdk", |b| b.iter(&mut sdk));
    g.bench_function("baseline", |b| b.iter(&mut baseline));
    g.finish();
}

/// One operation of a throughput comparison: a future per call.
pub type Op = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Wraps an async closure as an [`Op`].
pub fn op<F, Fut>(f: F) -> Op
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move || Box::pin(f()))
}

/// The runtime the loopback comparisons run on: as many workers as cores.
pub fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        #[allow(clippy::panic)]
        Err(e) => panic!("tokio runtime: {e}"),
    }
}

/// `total` calls of `op`, `concurrency` at a time; the time they took.
async fn run(op: &Op, total: u64, concurrency: u64) -> Duration {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(total.max(1)) {
        let (op, next) = (Arc::clone(op), Arc::clone(&next));
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                op().await;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    started.elapsed()
}

/// Throughput of `sdk` against `baseline`, 1 and then 64 calls at a time
/// (`<group>/c1` and `<group>/c64`, functions `sdk` and `baseline`):
/// criterion's time per call is the inverse of the throughput, so
/// `baseline / sdk` is the SDK's share of the raw client's throughput.
///
/// Loopback timings drift on a shared machine by more than the difference
/// measured (two runs of the same code differ by up to 10 %), so the ratio
/// `cargo xtask bench` reports is measured separately, interleaved: 21
/// rounds, each timing a batch of both in alternating order; the median of
/// the rounds' ratios is recorded (`criterion/<group dir>/c<n>/ratio`).
pub fn compare_throughput(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    group: &str,
    sdk: &Op,
    baseline: &Op,
) {
    for concurrency in [1, 64] {
        compare_throughput_at(c, runtime, group, concurrency, sdk, baseline);
    }
}

/// [`compare_throughput`] at one concurrency.
fn compare_throughput_at(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    group: &str,
    concurrency: u64,
    sdk: &Op,
    baseline: &Op,
) {
    let name = format!("{group}/c{concurrency}");
    if measuring() {
        let batch = 200 * concurrency.min(10);
        record_interleaved(&name, Ratio::ThroughputShare, |side| {
            let op = match side {
                Side::Sdk => sdk,
                Side::Baseline => baseline,
            };
            runtime.block_on(run(op, batch, concurrency))
        });
    }
    let mut g = c.benchmark_group(name);
    g.throughput(criterion::Throughput::Elements(1));
    for (name, op) in [("sdk", sdk), ("baseline", baseline)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| runtime.block_on(run(op, iters, concurrency)));
        });
    }
    g.finish();
}

/// Asserts that the hand-written client's request goes to the SDK's URL
/// with the SDK's body, byte for byte.
pub fn same_request(sdk: &payments_core::http::Request, baseline: &reqwest::Request) {
    assert_eq!(
        sdk.url(),
        baseline.url(),
        "the baseline posts to another URL"
    );
    assert_eq!(
        sdk.body_bytes().map(AsRef::as_ref),
        baseline.body().and_then(reqwest::Body::as_bytes),
        "the baseline writes other bytes than the SDK"
    );
}

/// The merchant's next order id, as a shop's database hands them out: a
/// counter, unique in the process (`order-0`, `order-1`, …). The payment
/// benchmarks' orders carry it, as the hand-written clients' do, so that
/// neither side pays for making an id up (`OrderId::generate` reads the
/// system's random source, a system call per order).
pub fn order_id() -> payments_core::OrderId {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let next = NEXT.fetch_add(1, Ordering::Relaxed);
    #[allow(clippy::unwrap_used)]
    payments_core::OrderId::new(format!("order-{next}")).unwrap()
}

/// Whole payments through [`payments_core::pay`] on `gateway`: each call
/// pays the next order `order` makes and asserts that it completed.
pub fn payments<G>(gateway: G, order: impl Fn() -> G::Order + Send + Sync + 'static) -> Op
where
    G: payments_core::Gateway + Clone + Send + Sync + 'static,
    G::Order: Send,
{
    op(move || {
        let (gateway, order) = (gateway.clone(), order());
        async move {
            #[allow(clippy::unwrap_used)]
            let outcome = payments_core::pay(&gateway, order).await.unwrap();
            assert_eq!(outcome.status, payments_core::PaymentStatus::Completed);
        }
    })
}

/// [`payments`] with every token expired: `clock` (the one the gateway's
/// client reads, set through its builder) moves an hour on, past any
/// token's lifetime, before each order.
pub fn cold_payments<G>(
    gateway: G,
    clock: Arc<payments_core::clock::ManualClock>,
    order: impl Fn() -> G::Order + Send + Sync + 'static,
) -> Op
where
    G: payments_core::Gateway + Clone + Send + Sync + 'static,
    G::Order: Send,
{
    payments(gateway, move || {
        clock.advance(Duration::from_secs(3600));
        order()
    })
}

/// A hand-written client's token request, as the cold whole-payment
/// benchmarks make it: `form` (already encoded) posted to `url`, the
/// answer's `access_token` read and returned.
///
/// # Panics
///
/// When the request fails or the answer holds no `access_token`: a
/// benchmark that cannot log in is broken.
pub async fn fetch_token(http: &reqwest::Client, url: reqwest::Url, form: &'static str) -> String {
    #[derive(serde::Deserialize)]
    struct Token {
        access_token: String,
    }
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    let bytes = http
        .post(url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the token request")
        .bytes()
        .await
        .expect("the token answer");
    #[allow(clippy::expect_used)]
    let token: Token = serde_json::from_slice(&bytes).expect("an access_token");
    token.access_token
}

/// Asserts that one call of each of `cold` makes `expected` token requests,
/// as `count` (the benchmark server's counter of them) sees: a cold
/// benchmark that found its tokens still cached would measure nothing.
///
/// # Panics
///
/// When a call makes another number of token requests.
pub fn assert_renews(
    runtime: &tokio::runtime::Runtime,
    cold: [&Op; 2],
    count: &std::sync::atomic::AtomicU64,
    expected: u64,
) {
    for op in cold {
        let before = count.load(Ordering::Relaxed);
        runtime.block_on(op());
        let made = count.load(Ordering::Relaxed) - before;
        assert_eq!(made, expected, "a cold payment renews its token(s)");
    }
}

/// Raw `reqwest` with the SDK's transport policy (connect and total
/// timeouts, no redirects): the loopback baselines' client.
pub fn raw_client() -> reqwest::Client {
    let timeouts = payments_core::http::Timeouts::default();
    match reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.total)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        #[allow(clippy::panic)]
        Err(e) => panic!("reqwest client: {e}"),
    }
}

/// A loopback server answering every request with the bytes `answer`
/// chooses for it (HTTP 200, `content_type`).
pub fn answering(
    runtime: &tokio::runtime::Runtime,
    content_type: &'static str,
    answer: impl Fn(&payments_core::sandbox::SandboxRequest) -> bytes::Bytes + Send + Sync + 'static,
) -> payments_core::sandbox::SandboxServer {
    struct Answering<F> {
        content_type: &'static str,
        answer: F,
    }

    #[payments_core::async_trait]
    impl<F> payments_core::sandbox::SandboxHandler for Answering<F>
    where
        F: Fn(&payments_core::sandbox::SandboxRequest) -> bytes::Bytes + Send + Sync + 'static,
    {
        fn operation(&self, _: &payments_core::sandbox::SandboxRequest) -> String {
            "any".to_owned()
        }

        async fn handle(
            &self,
            request: payments_core::sandbox::SandboxRequest,
        ) -> payments_core::sandbox::SandboxResponse {
            payments_core::sandbox::SandboxResponse::with_type(
                200,
                self.content_type,
                (self.answer)(&request),
            )
        }
    }

    let handler = Arc::new(Answering {
        content_type,
        answer,
    });
    match runtime.block_on(payments_core::sandbox::SandboxServer::start(handler)) {
        Ok(server) => server,
        #[allow(clippy::panic)]
        Err(e) => panic!("loopback server: {e}"),
    }
}
