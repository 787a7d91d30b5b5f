//! `cargo xtask fuzz [--seconds N] [--runs R] [--jobs J] [--merge] [TARGET …]`:
//! every libFuzzer target of `fuzz/` (or the ones named) for N seconds each
//! (60), or until it has run R inputs when `--runs` is given, J at a time (2), on the nightly toolchain with `cargo-fuzz` (installed
//! when missing). The committed corpus (`fuzz/corpus/<target>/`) seeds each
//! run; what the run finds goes to `target/fuzz-corpus/<target>/`, and
//! `--merge` folds the inputs that add coverage into the committed corpus
//! (libFuzzer's `-merge=1`). Prints executions and crashes per target and
//! fails on any crash (libFuzzer's reproducer: `fuzz/artifacts/<target>/`).
//!
//! Each target runs with `-max_len` set to the largest input it faces in
//! production (`fuzz_targets::MAX_LEN`: 1 MiB for a provider's answer,
//! 64 KiB for a postback), so inputs grow to sizes a receiver really reads.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

type Result = std::result::Result<(), String>;

/// One target's run.
struct Run {
    target: String,
    executions: u64,
    per_second: u64,
    corpus: u64,
    crashed: bool,
    log: PathBuf,
}

pub(crate) fn run(root: &Path, args: &[String]) -> Result {
    let mut seconds = 60usize;
    let mut run_limit = None;
    let mut jobs = 2usize;
    let mut merge = false;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = number(args.next(), "--seconds")?,
            "--runs" => run_limit = Some(number(args.next(), "--runs")?),
            "--jobs" => jobs = number(args.next(), "--jobs")?.max(1),
            "--merge" => merge = true,
            name if !name.starts_with('-') => targets.push(name.to_owned()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let all = all_targets(root)?;
    if targets.is_empty() {
        targets.clone_from(&all);
    } else if let Some(unknown) = targets.iter().find(|t| !all.contains(t)) {
        return Err(format!(
            "no fuzz target {unknown} (targets: {})",
            all.join(", ")
        ));
    }
    ensure_cargo_fuzz()?;
    println!(
        "fuzz: building {} targets (nightly, AddressSanitizer)",
        targets.len()
    );
    crate::run_command(
        Command::new("cargo")
            .args(["+nightly", "fuzz", "build"])
            .current_dir(root),
    )?;
    let max_len = max_lengths(root)?;
    let scratch = root.join("target/fuzz-corpus");
    let logs = root.join("target/fuzz-logs");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;

    // J workers take the next target as each finishes, so a slow target
    // does not hold a fast one's place.
    let limit = match run_limit {
        Some(runs) => format!("-runs={runs}"),
        None => format!("-max_total_time={seconds}"),
    };
    let queue = std::sync::Mutex::new(targets.iter().cloned().enumerate().collect::<Vec<_>>());
    let mut runs: Vec<(usize, Run)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue
                            .lock()
                            .map_err(|_| "the fuzz queue is poisoned".to_owned())?
                            .pop();
                        let Some((order, target)) = next else {
                            return Ok::<_, String>(done);
                        };
                        let length = max_len
                            .iter()
                            .find(|(name, _)| *name == target)
                            .map(|(_, length)| *length)
                            .ok_or_else(|| format!("no -max_len for the fuzz target {target}"))?;
                        done.push((
                            order,
                            fuzz_one(root, &scratch, &logs, &target, &limit, length)?,
                        ));
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            all.extend(
                worker
                    .join()
                    .map_err(|_| "a fuzz thread panicked".to_owned())??,
            );
        }
        Ok::<_, String>(all)
    })?;
    runs.sort_by_key(|(order, _)| *order);
    let runs: Vec<Run> = runs.into_iter().map(|(_, run)| run).collect();

    println!("\n| target | executions | per second | corpus | crashes |");
    println!("|---|---|---|---|---|");
    for run in &runs {
        println!(
            "| `{}` | {} | {} | {} | {} |",
            run.target,
            run.executions,
            run.per_second,
            run.corpus,
            u8::from(run.crashed)
        );
    }
    let crashed: Vec<_> = runs.iter().filter(|r| r.crashed).collect();
    if !crashed.is_empty() {
        let names: Vec<String> = crashed
            .iter()
            .map(|r| format!("{} (log {})", r.target, r.log.display()))
            .collect();
        return Err(format!(
            "crashes in {}; the reproducers are in fuzz/artifacts/",
            names.join(", ")
        ));
    }
    if merge {
        for run in &runs {
            let committed = root.join("fuzz/corpus").join(&run.target);
            crate::run_command(
                Command::new("cargo")
                    .args(["+nightly", "fuzz", "run", &run.target])
                    .arg(&committed)
                    .arg(scratch.join(&run.target))
                    .args(["--", "-merge=1"])
                    .current_dir(root)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            println!(
                "fuzz: merged {}: {} files",
                run.target,
                count_files(&committed)
            );
        }
    }
    Ok(())
}

fn fuzz_one(
    root: &Path,
    scratch: &Path,
    logs: &Path,
    target: &str,
    limit: &str,
    max_len: usize,
) -> std::result::Result<Run, String> {
    let found = scratch.join(target);
    std::fs::create_dir_all(&found).map_err(|e| e.to_string())?;
    let log = logs.join(format!("{target}.log"));
    let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let output = Command::new("cargo")
        .args(["+nightly", "fuzz", "run", target])
        .arg(&found)
        .arg(root.join("fuzz/corpus").join(target))
        .args(["--", limit, "-timeout=10", "-print_final_stats=1"])
        .arg(format!("-max_len={max_len}"))
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .map_err(|e| format!("cargo fuzz run {target}: {e}"))?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let stat = |name: &str| -> u64 {
        text.lines()
            .filter_map(|line| line.strip_prefix(name))
            .filter_map(|rest| rest.trim_start_matches(':').trim().parse().ok())
            .next_back()
            .unwrap_or(0)
    };
    let run = Run {
        target: target.to_owned(),
        executions: stat("stat::number_of_executed_units"),
        per_second: stat("stat::average_exec_per_sec"),
        corpus: count_files(&found),
        crashed: !output.success() || text.contains("==ERROR") || text.contains("panicked at"),
        log,
    };
    println!(
        "fuzz: {target} (inputs up to {max_len} bytes): {} executions ({}/s){}",
        run.executions,
        run.per_second,
        if run.crashed { ", CRASHED" } else { "" }
    );
    Ok(run)
}

/// Each target's `-max_len`, as `fuzz_targets::MAX_LEN` says.
fn max_lengths(root: &Path) -> std::result::Result<Vec<(String, usize)>, String> {
    let output = Command::new("cargo")
        .args([
            "run",
            "--quiet",
            "-p",
            "fuzz-targets",
            "--bin",
            "fuzz-max-len",
        ])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("fuzz-max-len: {e}"))?;
    if !output.status.success() {
        return Err("fuzz-max-len failed".to_owned());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let (name, length) = line
                .split_once(' ')
                .ok_or_else(|| format!("fuzz-max-len printed `{line}`"))?;
            let length = length.parse().map_err(|e| format!("`{line}`: {e}"))?;
            Ok((name.to_owned(), length))
        })
        .collect()
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`.
fn all_targets(root: &Path) -> std::result::Result<Vec<String>, String> {
    let manifest =
        std::fs::read_to_string(root.join("fuzz/Cargo.toml")).map_err(|e| e.to_string())?;
    Ok(manifest
        .lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .filter(|name| *name != "wallet-sdks-fuzz")
        .map(str::to_owned)
        .collect())
}

fn ensure_cargo_fuzz() -> Result {
    let nightly = Command::new("cargo")
        .args(["+nightly", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        return Err("no nightly toolchain: `rustup toolchain install nightly`".to_owned());
    }
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        crate::run_command(Command::new("cargo").args(["install", "--locked", "cargo-fuzz"]))?;
    }
    Ok(())
}

fn number(value: Option<&String>, flag: &str) -> std::result::Result<usize, String> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{flag} takes a whole number"))
}

fn count_files(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| entries.count() as u64)
}
