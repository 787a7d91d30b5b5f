//! `cargo xtask bench`: every benchmark of the workspace (criterion, the
//! full run), then one table of ratios measured in the same run, with each
//! row's target. Absolute times on a shared machine are noise; the ratios
//! of two functions measured side by side are the result.
//!
//! In `cargo xtask ci` the benchmarks only compile and run once each
//! (`cargo test --benches`), so they cannot rot.

// Timings and their ratios are measurements, not money.
#![allow(clippy::float_arithmetic)]

use std::path::{Path, PathBuf};

type Result = std::result::Result<(), String>;

/// What a row promises.
#[derive(Clone, Copy)]
enum Target {
    /// The SDK's time at most this multiple of the baseline's.
    AtMost(f64),
    /// The SDK's throughput at least this share of the baseline's.
    AtLeast(f64),
}

/// SDK against baseline: build the request + read the answer, same bytes.
const CODEC: &[(&str, f64)] = &[
    ("jawali/inquiry", 1.2),
    ("jawali/cash_out", 1.2),
    ("jawali/status", 1.2),
    ("jawali/statement", 1.2),
    ("jawali/balance", 1.2),
    ("paykassma/create", 1.2),
    ("paykassma/activate", 1.2),
    ("tr-qr-wallet/begin", 1.2),
    ("tr-qr-wallet/complete", 1.2),
    ("allpay/request", 1.3),
    ("allpay/answer", 1.3),
    // Set from the first measurement (4.1× a bare parse of the body): the
    // PHP-form re-encoding and two digests must not grow past it.
    ("paykassma/postback", 4.5),
];

/// The unsigned postbacks at the receiver's cap that `paykassma/codec`
/// times the verifier's refusal of (`hostile_postbacks` there).
const HOSTILE_POSTBACKS: &[&str] = &[
    "deep-arrays",
    "wide-object",
    "long-numbers",
    "escaped-strings",
    "batch",
    "flat-wrong-signature",
];

/// The Allpay answers at the 1 MiB cap that `allpay-soap/codec` times the
/// refusal of (`hostile_answers` there); the costliest must stay ≤ 50 ms.
const HOSTILE_ALLPAY: &[&str] = &[
    "deep",
    "attributes",
    "namespaces-x-elements",
    "nested-namespaces-x-elements",
    "wide-signed",
];

/// The most an Allpay answer at the cap may take to be refused, in ms.
const HOSTILE_ALLPAY_LIMIT_MS: f64 = 50.0;

/// Loopback throughput, SDK against raw reqwest: one call, and (the
/// `payment` rows) a whole payment through `payments_core::pay` against the
/// hand-written client's same requests and checks (`payment-cold`: each
/// payment renewing its tokens first).
const LOOPBACK: &[&str] = &[
    "payments-core/http",
    "jawali/loopback",
    "jawali/payment",
    "jawali/payment-cold",
    "paykassma/loopback",
    "paykassma/payment",
    "tr-qr-wallet/loopback",
    "tr-qr-wallet/payment",
    "tr-qr-wallet/payment-cold",
    "allpay/loopback",
    "allpay/payment",
];

fn criterion_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("criterion")
}

/// Criterion's mean estimate of `group/function`, in nanoseconds.
fn mean_ns(dir: &Path, group: &str, function: &str) -> std::result::Result<f64, String> {
    let path = dir
        .join(group.replace('/', "_"))
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (did the benchmark run?)", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    json["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no mean estimate", path.display()))
}

/// A number bench-support recorded beside criterion's results.
fn recorded(dir: &Path, group: &str, file: &str) -> Option<f64> {
    std::fs::read_to_string(dir.join(group.replace('/', "_")).join(file))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn time(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn verdict(target: Target, value: f64) -> (String, bool) {
    match target {
        Target::AtMost(limit) => (format!("≤ {limit}×"), value <= limit),
        Target::AtLeast(limit) => (format!("≥ {limit}×"), value >= limit),
    }
}

/// Prints the table from criterion's results under `dir`; returns the misses.
pub(crate) fn table(dir: &Path) -> std::result::Result<Vec<String>, String> {
    let mut misses = Vec::new();
    println!("| what | SDK | baseline | ratio | target | | allocations (SDK / baseline) |");
    println!("|---|---|---|---|---|---|---|");
    for (group, limit) in CODEC {
        let sdk = mean_ns(dir, group, "sdk")?;
        let baseline = mean_ns(dir, group, "baseline")?;
        // Measured interleaved by bench-support; criterion's two means, taken
        // one after the other, where it is missing.
        let ratio = recorded(dir, group, "ratio").unwrap_or(sdk / baseline);
        let (target, met) = verdict(Target::AtMost(*limit), ratio);
        if !met {
            misses.push(format!("{group}: {ratio:.2}× (target {target})"));
        }
        let allocations = match (
            recorded(&dir.join(group.replace('/', "_")), "sdk", "allocations"),
            recorded(
                &dir.join(group.replace('/', "_")),
                "baseline",
                "allocations",
            ),
        ) {
            (Some(s), Some(b)) => format!("{s:.0} / {b:.0}"),
            _ => "—".to_owned(),
        };
        println!(
            "| `{group}` | {} | {} | {ratio:.2}× | {target} | {} | {allocations} |",
            time(sdk),
            time(baseline),
            if met { "✓" } else { "✗" }
        );
    }
    for group in LOOPBACK {
        for concurrency in [1, 64] {
            let group = format!("{group}/c{concurrency}");
            let sdk = mean_ns(dir, &group, "sdk")?;
            let baseline = mean_ns(dir, &group, "baseline")?;
            // Measured interleaved when recorded (see bench-support);
            // otherwise from criterion's means (time per call is the
            // inverse of throughput).
            let share = recorded(dir, &group, "ratio").unwrap_or(baseline / sdk);
            let (target, met) = verdict(Target::AtLeast(0.9), share);
            if !met {
                misses.push(format!(
                    "{group} throughput: {share:.2}× raw (target {target})"
                ));
            }
            println!(
                "| `{group}` throughput | {:.0}/s | {:.0}/s | {share:.3}× | {target} | {} | — |",
                1e9 / sdk,
                1e9 / baseline,
                if met { "✓" } else { "✗" }
            );
        }
    }
    if let Some(bytes) = recorded(dir, "allpay/c14n", "bytes") {
        let sdk = mean_ns(dir, "allpay/c14n", "sdk")?;
        let parse = mean_ns(dir, "allpay/c14n", "baseline")?;
        let mbps = |ns: f64| bytes / (ns / 1e9) / 1_000_000.0;
        println!(
            "| `allpay/c14n` (exclusive, {:.0} KB document) | {:.1} MB/s | {:.1} MB/s (parse alone) | {:.2}× | reported | | — |",
            bytes / 1000.0,
            mbps(sdk),
            mbps(parse),
            sdk / parse
        );
    }
    let mut hostile = Vec::new();
    for name in HOSTILE_POSTBACKS {
        hostile.push((*name, mean_ns(dir, "paykassma/postback-hostile", name)?));
    }
    if let Some((worst, ns)) = hostile.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) {
        println!(
            "| unsigned postback at the 64 KiB cap, the costliest of {} shapes (`{worst}`): time to refusal | {} | — | — | reported | | — |",
            hostile.len(),
            time(ns)
        );
    }
    let mut hostile = Vec::new();
    for name in HOSTILE_ALLPAY {
        hostile.push((*name, mean_ns(dir, "allpay/hostile", name)?));
    }
    if let Some((worst, ns)) = hostile.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) {
        let ok = ns <= HOSTILE_ALLPAY_LIMIT_MS * 1_000_000.0;
        println!(
            "| Allpay answer at the 1 MiB cap, the costliest of {} shapes (`{worst}`): time to refusal | {} | — | — | ≤ {HOSTILE_ALLPAY_LIMIT_MS} ms | {} | — |",
            hostile.len(),
            time(ns),
            if ok { "✓" } else { "✗" }
        );
        if !ok {
            misses.push(format!(
                "allpay/hostile/{worst}: {} (target ≤ {HOSTILE_ALLPAY_LIMIT_MS} ms)",
                time(ns)
            ));
        }
    }
    let one = mean_ns(dir, "payments-core/token-cache", "cold-1")?;
    let thousand = mean_ns(dir, "payments-core/token-cache", "cold-1000")?;
    println!(
        "| token cache: 1000 concurrent callers, cold (1 token request, asserted every run) | {} | {} (1 caller) | +{} in all, {} per caller | reported | | — |",
        time(thousand),
        time(one),
        time(thousand - one),
        time((thousand - one) / 1000.0)
    );
    Ok(misses)
}

/// `cargo xtask bench`.
pub(crate) fn run(root: &Path) -> Result {
    super::cargo(
        &["bench", "--workspace", "--all-features", "--benches"],
        &[],
    )?;
    println!();
    let misses = table(&criterion_dir(root))?;
    println!();
    if misses.is_empty() {
        println!("every target met");
    } else {
        println!("targets missed ({}):", misses.len());
        for miss in &misses {
            println!("  - {miss}");
        }
    }
    Ok(())
}

/// The CI check: every benchmark compiles and runs once.
pub(crate) fn smoke() -> Result {
    super::cargo(&["test", "--workspace", "--all-features", "--benches"], &[])
}
