//! What a user pays for depending on one of our crates: the crates it pulls
//! (`cargo tree -e normal`), and the TLS crypto provider choice.
//!
//! - In `cargo xtask ci`: each published crate stays within its crate
//!   budget; the `rustls-ring` and `rustls-no-provider` builds pull no
//!   aws-lc; the TLS test passes under each TLS feature alone.
//! - `cargo xtask footprint`: the table for BENCHMARKS.md, with clean
//!   `cargo build --release` times next to a bare `reqwest` + `serde_json`
//!   hello-world (slow: every build starts from an empty target directory).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

type Result<T = ()> = std::result::Result<T, String>;

/// Published crates and the most crates each may pull with its default
/// features (`cargo tree -e normal`, distinct name + version lines, itself
/// included). Raise one only with a reason in the commit.
const BUDGETS: &[(&str, usize)] = &[
    ("payments-core", 98),
    ("jawali", 110),
    ("paykassma", 115),
    ("tr-qr-wallet", 112),
    ("allpay-soap", 144),
];

/// The crates of rustls's default crypto provider.
const AWS_LC: &[&str] = &["aws-lc-rs", "aws-lc-sys"];

/// The distinct packages of `krate`'s normal dependency tree.
fn tree(root: &Path, krate: &str, features: Option<&str>) -> Result<Vec<String>> {
    let mut command = Command::new(super::cargo_bin());
    command.args(["tree", "-e", "normal", "--prefix", "none", "-p", krate]);
    if let Some(features) = features {
        command.args(["--no-default-features", "--features", features]);
    }
    let output = command
        .current_dir(root)
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree -p {krate}: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim_end_matches(" (*)").to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines.dedup();
    Ok(lines)
}

fn has(tree: &[String], name: &str) -> bool {
    tree.iter()
        .any(|l| l.split_whitespace().next() == Some(name))
}

/// The CI check: budgets, no aws-lc outside its feature, the TLS test per feature.
pub(crate) fn check(root: &Path) -> Result {
    for (krate, budget) in BUDGETS {
        let count = tree(root, krate, None)?.len();
        if count > *budget {
            return Err(format!(
                "{krate} pulls {count} crates, over its budget of {budget} (see BENCHMARKS.md)"
            ));
        }
        for features in ["rustls-ring", "rustls-no-provider"] {
            let tree = tree(root, krate, Some(features))?;
            if let Some(name) = AWS_LC.iter().find(|n| has(&tree, n)) {
                return Err(format!("{krate} with only {features} still pulls {name}"));
            }
        }
        println!(
            "{krate}: {count} crates (budget {budget}); no aws-lc under rustls-ring or rustls-no-provider"
        );
    }
    for features in ["rustls-aws-lc-rs", "rustls-ring", "rustls-no-provider", ""] {
        let mut args = vec![
            "test",
            "--quiet",
            "-p",
            "payments-core",
            "--no-default-features",
        ];
        if !features.is_empty() {
            args.extend(["--features", features]);
        }
        args.extend(["--test", "tls"]);
        super::cargo(&args, &[])?;
    }
    Ok(())
}

/// A clean release build of `manifest`'s package `krate` in its own target
/// directory, in seconds.
fn clean_build_seconds(
    root: &Path,
    manifest: &Path,
    krate: &str,
    features: Option<&str>,
) -> Result<f64> {
    let target = root.join("target/footprint").join(krate);
    let _ = std::fs::remove_dir_all(&target);
    let mut command = Command::new(super::cargo_bin());
    command
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(manifest)
        .args(["-p", krate])
        .env("CARGO_TARGET_DIR", &target);
    if let Some(features) = features {
        command.args(["--no-default-features", "--features", features]);
    }
    let started = Instant::now();
    let status = command.status().map_err(|e| format!("cargo build: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&target);
    if status.success() {
        Ok(seconds)
    } else {
        Err(format!("cargo build --release -p {krate} failed"))
    }
}

/// The floor: a bare `reqwest` (rustls) + `serde_json` hello-world.
fn floor_crate(root: &Path) -> Result<std::path::PathBuf> {
    let dir = root.join("target/footprint-floor");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"floor\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nreqwest = { version = \"0.13\", default-features = false, features = [\"rustls\"] }\n\
         serde_json = \"1\"\ntokio = { version = \"1\", features = [\"rt\", \"macros\"] }\n\n[workspace]\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("src/main.rs"),
        "#[tokio::main(flavor = \"current_thread\")]\nasync fn main() {\n    \
         let body = reqwest::get(\"https://example.com/\").await.and_then(|r| r.error_for_status());\n    \
         let text = match body { Ok(r) => r.text().await.unwrap_or_default(), Err(e) => e.to_string() };\n    \
         let value: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);\n    \
         println!(\"{value}\");\n}\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// `cargo xtask footprint`: the table for BENCHMARKS.md.
pub(crate) fn report(root: &Path, with_times: bool) -> Result {
    let floor = floor_crate(root)?;
    let floor_manifest = floor.join("Cargo.toml");
    let floor_tree = {
        let output = Command::new(super::cargo_bin())
            .args([
                "tree",
                "-e",
                "normal",
                "--prefix",
                "none",
                "--manifest-path",
            ])
            .arg(&floor_manifest)
            .output()
            .map_err(|e| format!("cargo tree: {e}"))?;
        let mut lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| l.trim_end_matches(" (*)").to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        lines.sort();
        lines.dedup();
        lines
    };
    let manifest = root.join("Cargo.toml");
    println!(
        "| crate | crates (default) | crates (`rustls-ring`) | clean release build (default) | clean release build (`rustls-ring`) |"
    );
    println!("|---|---|---|---|---|");
    let time = |manifest: &Path, krate: &str, features: Option<&str>| -> Result<String> {
        if with_times {
            clean_build_seconds(root, manifest, krate, features).map(|s| format!("{s:.0} s"))
        } else {
            Ok("—".to_owned())
        }
    };
    println!(
        "| floor: `reqwest` + `serde_json` hello-world | {} | — | {} | — |",
        floor_tree.len(),
        time(&floor_manifest, "floor", None)?
    );
    for (krate, _) in BUDGETS {
        let default = tree(root, krate, None)?.len();
        let ring = tree(root, krate, Some("rustls-ring"))?.len();
        println!(
            "| `{krate}` | {default} | {ring} | {} | {} |",
            time(&manifest, krate, None)?,
            time(&manifest, krate, Some("rustls-ring"))?
        );
    }
    Ok(())
}
