//! `cargo xtask`: the project's automation, as a plain binary (no build
//! scripts, no extra tools to install).
//!
//! - `cargo xtask ci` — everything CI checks, in order; stops at the first failure.
//! - `cargo xtask snapshots [--accept]` — the insta snapshot tests of every
//!   crate; `--accept` writes new and changed snapshots (no `cargo-insta` needed).
//! - `cargo xtask deps` — the dependency-tree rules alone.
//! - `cargo xtask codegen [--check]` — regenerates the Allpay SOAP bindings
//!   from the crate's WSDL (`--check`: fails if they are out of date).
//! - `cargo xtask faults [--operations N] [--seed S]` — the money-safety
//!   campaign: N (2000) payments per provider with random faults, the
//!   sandbox ledgers compared with the merchant's results.
//! - `cargo xtask standalone` — each provider crate, depended on alone from a
//!   crate outside the workspace, builds and runs its README example.
//! - `cargo xtask dsig-fixtures` — envelopes signed by `xmlsec1` with a
//!   throwaway key (only its public half kept), for the Allpay crate's
//!   hermetic interop test (`tests/fixtures/xmlsec1/`).
//! - `cargo xtask referee` — validates every Allpay request snapshot against
//!   the crate's XSD with lxml and parses it with zeep (a virtualenv under `target/`).
//! - `cargo xtask bench` — every benchmark (criterion), then one table of
//!   SDK-against-baseline ratios with their targets (BENCHMARKS.md).
//! - `cargo xtask footprint [--no-build]` — per published crate, the crates it
//!   pulls and its clean release build time, next to a bare reqwest +
//!   serde_json hello-world (the table in BENCHMARKS.md).
//! - `cargo xtask php-json [--documents N] [--seed S]`, `cargo xtask c14n
//!   [--documents N] [--seed S]`, `cargo xtask dsig [--envelopes N] [--seed S]`
//!   — the differential runs against PHP, lxml and xmlsec1 (see
//!   `differential/`); `ci` runs each with a bounded count.
//! - `cargo xtask fuzz [--seconds N] [--runs R] [--jobs J] [--merge] [TARGET …]`
//!   — every libFuzzer target of `fuzz/` for N seconds or R inputs (nightly,
//!   cargo-fuzz),
//!   then executions and crashes per target.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod codegen;
mod differential;
mod docs;
mod dsig_fixtures;
mod footprint;
mod fuzz;
mod standalone;

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The README's test command: the whole suite, every feature (sandboxes included).
const TEST_COMMAND: &[&str] = &["test", "--workspace", "--all-features"];

/// Crates that speak JSON only and must not pull any XML library.
const JSON_ONLY_CRATES: &[&str] = &["payments-core", "jawali", "paykassma", "tr-qr-wallet"];

/// Crates that are XML libraries (or bind to C ones).
const XML_CRATES: &[&str] = &[
    "quick-xml",
    "yaserde",
    "yaserde_derive",
    "xml-rs",
    "xmltree",
    "roxmltree",
    "libxml",
    "sxd-document",
    "minidom",
];

type Result = std::result::Result<(), String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("snapshots") => snapshots(args.iter().any(|a| a == "--accept")),
        Some("deps") => deps(),
        Some("codegen") => codegen::run(&root(), args.iter().any(|a| a == "--check")),
        Some("referee") => referee(),
        Some("faults") => faults(&args[1..]),
        Some("dsig-fixtures") => dsig_fixtures::generate(&root()),
        Some("standalone") => standalone::run(&root()),
        Some("bench") => bench::run(&root()),
        Some("docs") => docs::one_dependency(&root()).and_then(|()| docs::each_crate_alone()),
        Some("bench-table") => bench::table(&root().join("target/criterion")).map(|_| ()),
        Some("php-json") => differential::php::run(&root(), &args[1..]),
        Some("c14n") => differential::c14n::run(&root(), &args[1..]),
        Some("dsig") => differential::dsig::run(&root(), &args[1..]),
        Some("fuzz") => fuzz::run(&root(), &args[1..]),
        Some("footprint") => footprint::report(&root(), !args.iter().any(|a| a == "--no-build")),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci | snapshots [--accept] | deps | codegen [--check] | referee | faults [--operations N] [--seed S] | dsig-fixtures | standalone | footprint [--no-build] | bench | docs | fuzz [--seconds N] [--runs R] [--jobs J] [--merge] [TARGET ...] | php-json [--documents N] [--seed S] | c14n [--documents N] [--seed S] | dsig [--envelopes N] [--seed S]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn ci() -> Result {
    step("format", || cargo(&["fmt", "--all", "--", "--check"], &[]))?;
    step("codegen --check", || codegen::run(&root(), true))?;
    step("clippy", || {
        cargo(
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )
    })?;
    step("tests", || cargo(TEST_COMMAND, &[("INSTA_UPDATE", "no")]))?;
    step("snapshots left pending", no_pending_snapshots)?;
    step("benchmarks compile and run once", bench::smoke)?;
    step("docs", || {
        cargo(
            &["doc", "--workspace", "--no-deps", "--all-features"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    step(
        "docs as docs.rs builds them (nightly, --cfg docsrs)",
        docsrs,
    )?;
    step(
        "docs of each crate alone, no broken intra-doc link",
        docs::each_crate_alone,
    )?;
    step("provider examples with one dependency", || {
        docs::one_dependency(&root())
    })?;
    step("dependency rules", deps)?;
    step("footprint: crate budgets and TLS provider features", || {
        footprint::check(&root())
    })?;
    step("licenses, bans and sources (cargo deny)", || {
        cargo(&["deny", "check", "licenses", "bans", "sources"], &[])
            .map_err(|e| format!("{e} (install it with `cargo install --locked cargo-deny`)"))
    })?;
    step("each provider crate alone, outside the workspace", || {
        standalone::run(&root())
    })?;
    step(
        "referee (lxml + zeep over the SOAP request snapshots)",
        referee,
    )?;
    // The differential runs, bounded; `cargo xtask php-json | c14n | dsig`
    // with larger counts for a longer run.
    step("differential: PHP json_encode (php-cli)", || {
        differential::php::run(&root(), &["--documents".into(), "2000".into()])
    })?;
    step("differential: Canonical XML (lxml)", || {
        differential::c14n::run(&root(), &["--documents".into(), "1000".into()])
    })?;
    step("differential: XML-DSig (xmlsec1)", || {
        differential::dsig::run(&root(), &["--envelopes".into(), "100".into()])
    })?;
    println!("xtask ci: all checks passed");
    Ok(())
}

fn snapshots(accept: bool) -> Result {
    let mode = if accept { "always" } else { "no" };
    cargo(
        TEST_COMMAND,
        &[("INSTA_UPDATE", mode), ("INSTA_FORCE_PASS", "0")],
    )?;
    no_pending_snapshots()
}

/// Fails if a `.snap.new` file is lying around: a snapshot changed and nobody decided.
fn no_pending_snapshots() -> Result {
    let mut pending = Vec::new();
    find_files(&root().join("crates"), &mut |path| {
        let name = path.file_name().and_then(OsStr::to_str).unwrap_or_default();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            pending.push(path.to_path_buf());
        }
    });
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "pending snapshots (review, then `cargo xtask snapshots --accept`): {pending:?}"
        ))
    }
}

fn deps() -> Result {
    // No OpenSSL anywhere: TLS is rustls.
    let output = Command::new(cargo_bin())
        .args(["tree", "--workspace", "--all-features", "-i", "openssl-sys"])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() && !stdout.trim().is_empty() {
        return Err(format!("openssl-sys is in the dependency tree:\n{stdout}"));
    }
    // JSON-only crates pull no XML library.
    for krate in JSON_ONLY_CRATES {
        let output = Command::new(cargo_bin())
            .args([
                "tree",
                "-e",
                "normal",
                "--all-features",
                "--prefix",
                "none",
                "-p",
                krate,
            ])
            .current_dir(root())
            .output()
            .map_err(|e| format!("cargo tree: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo tree -p {krate} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let tree = String::from_utf8_lossy(&output.stdout);
        for line in tree.lines() {
            let name = line.split_whitespace().next().unwrap_or_default();
            if XML_CRATES.contains(&name) {
                return Err(format!("{krate} depends on the XML crate {name}"));
            }
        }
    }
    // The SOAP crate signs and canonicalizes in Rust: no bindings to C XML or
    // XML-security libraries.
    let output = Command::new(cargo_bin())
        .args([
            "tree",
            "-e",
            "normal",
            "--all-features",
            "--prefix",
            "none",
            "-p",
            "allpay-soap",
        ])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    let tree = String::from_utf8_lossy(&output.stdout);
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        if [
            "libxml",
            "libxml2-sys",
            "xmlsec",
            "xmlsec1-sys",
            "openssl",
            "openssl-sys",
        ]
        .contains(&name)
        {
            return Err(format!("allpay-soap depends on the C binding {name}"));
        }
    }
    println!(
        "no openssl-sys; no XML crate under {}; no C XML/XML-security binding under allpay-soap",
        JSON_ONLY_CRATES.join(", ")
    );
    Ok(())
}

/// The money-safety campaign: the `faults` example (the debug build the
/// test suite already made), 2,000 payments per provider by default.
fn faults(args: &[String]) -> Result {
    let mut command = vec!["run", "--quiet", "--example", "faults", "--"];
    command.extend(args.iter().map(String::as_str));
    cargo(&command, &[])
}

/// The independent SOAP referee: Python's lxml and zeep, in a virtualenv under `target/`.
fn referee() -> Result {
    let python = referee_python()?;
    run_command(Command::new(&python).arg(root().join("xtask/referee.py")))
}

/// The referee's Python (lxml and zeep), its virtualenv made on first use.
pub(crate) fn referee_python() -> std::result::Result<PathBuf, String> {
    let root = root();
    let venv = root.join("target/referee-venv");
    let python = venv.join("bin/python");
    let ready = venv.join(".installed-lxml-zeep");
    if !ready.exists() {
        run_command(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run_command(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(["lxml>=5", "zeep>=4.2"]),
        )?;
        std::fs::write(&ready, "lxml zeep\n").map_err(|e| format!("{}: {e}", ready.display()))?;
    }
    Ok(python)
}

pub(crate) fn run_command(command: &mut Command) -> Result {
    let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}

fn step(name: &str, run: impl FnOnce() -> Result) -> Result {
    println!("\n==> {name}");
    run().map_err(|e| format!("{name}: {e}"))
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result {
    let mut command = Command::new(cargo_bin());
    command.args(args).envs(envs.iter().copied());
    run_at_root(&mut command, &format!("cargo {}", args.join(" ")))
}

/// Runs `command` in the workspace root, echoing it as `shown`.
fn run_at_root(command: &mut Command, shown: &str) -> Result {
    println!("$ {shown}");
    let status = command
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// The documentation as docs.rs builds it: the nightly toolchain with
/// `--cfg docsrs` (feature badges), warnings denied. Skipped, saying so,
/// where no nightly toolchain is installed (the GitHub workflow has a job
/// of its own for it).
fn docsrs() -> Result {
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "cargo", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        println!(
            "skipped: no nightly toolchain (rustup toolchain install nightly runs this check)"
        );
        return Ok(());
    }
    let args = [
        "run",
        "nightly",
        "cargo",
        "doc",
        "--workspace",
        "--no-deps",
        "--all-features",
    ];
    run_at_root(
        Command::new("rustup")
            .args(args)
            .env("RUSTDOCFLAGS", "--cfg docsrs -D warnings")
            .env("CARGO_TARGET_DIR", root().join("target/docsrs")),
        &format!("rustup {}", args.join(" ")),
    )
}

fn cargo_bin() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn root() -> PathBuf {
    // xtask/ is one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn find_files(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name() != Some(OsStr::new("target")) {
                find_files(&path, visit);
            }
        } else {
            visit(&path);
        }
    }
}
