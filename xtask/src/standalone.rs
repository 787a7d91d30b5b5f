//! `cargo xtask standalone`: each provider crate used as a merchant uses it.
//!
//! For every provider crate, a throwaway crate *outside* this workspace
//! (its own `[workspace]`) depends on that crate alone — a path dependency
//! with feature `sandbox` — and on `tokio`, and runs the crate README's
//! example as its `main`. It fails if the README needs anything the crate
//! does not re-export (`payments_core`, `reqwest`, …).
//!
//! Then the shop (`examples/shop`, its own `[workspace]`): an axum service
//! over `jawali` and `paykassma` alone, built and run with `--self-test`,
//! which walks every path over HTTP against the sandboxes.

use std::path::Path;
use std::process::Command;

type Result = std::result::Result<(), String>;

const PROVIDER_CRATES: &[&str] = &["jawali", "paykassma", "tr-qr-wallet", "allpay-soap"];

/// The README's first `rust` code block, with doctest-hidden lines shown.
fn readme_example(readme: &str) -> Option<String> {
    let start = readme.find("```rust\n")? + "```rust\n".len();
    let end = start + readme[start..].find("```")?;
    let code = readme[start..end]
        .lines()
        .map(|line| {
            if line == "#" {
                ""
            } else {
                line.strip_prefix("# ").unwrap_or(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some(code)
}

pub(crate) fn run(root: &Path) -> Result {
    let base = root.join("target/standalone");
    for krate in PROVIDER_CRATES {
        let crate_dir = root.join("crates").join(krate);
        let readme = std::fs::read_to_string(crate_dir.join("README.md"))
            .map_err(|e| format!("{krate}/README.md: {e}"))?;
        let example = readme_example(&readme)
            .ok_or_else(|| format!("{krate}/README.md has no rust example"))?;
        let dir = base.join(krate);
        std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        let manifest = format!(
            "[package]\nname = \"standalone-{krate}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{krate} = {{ path = {path:?}, features = [\"sandbox\"] }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
             # Not part of the SDK workspace: a merchant's crate.\n[workspace]\n",
            path = crate_dir.display().to_string(),
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("src/main.rs"), example).map_err(|e| e.to_string())?;
        // The workspace's lock file, so the same versions are built.
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
            .map_err(|e| e.to_string())?;
        println!("standalone: {krate} alone (+ tokio) runs its README example");
        let status = Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", root.join("target"))
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!(
                "{krate}: a crate depending on {krate} alone cannot build or run its README example"
            ));
        }
    }
    run_shop(root)
}

/// Builds the shop outside the workspace and runs its self-test.
fn run_shop(root: &Path) -> Result {
    let dir = root.join("examples/shop");
    // The workspace's lock file, so the same versions are built (the copy
    // is ignored by git).
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    println!("standalone: the shop (jawali + paykassma + axum + tokio) walks every path");
    let status = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(["--", "--self-test"])
        .env("CARGO_TARGET_DIR", root.join("target"))
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err("the shop (examples/shop) does not build, or a path answered wrongly".to_owned())
    }
}
