//! The money-safety campaign (`cargo xtask faults`): payments through every
//! provider under a realistic fault model (faults on every call, not only
//! the commit; see `examples::campaign`), each settled by the SDK's own
//! reconciliation and, when left unknown, by a later settle call — then
//! the sandbox ledger compared with what the merchant was told.
//!
//! ```text
//! cargo run --example faults -- --operations 2000 --seed 42
//! ```
//!
//! Exits non-zero if any payment was doubled, lost, falsely completed,
//! falsely failed or left unsettled; the seed fixes the fault model's draws
//! (payments run concurrently, so not the exact interleaving).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use clap::Parser;
use examples::campaign;

#[derive(Parser)]
#[command(about = "The money-safety campaign")]
struct Args {
    /// Payments per provider.
    #[arg(long, default_value_t = 2000)]
    operations: usize,
    /// The seed of the faults (random when absent; printed either way).
    #[arg(long)]
    seed: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let reports = match campaign::run(args.operations, seed).await {
        Ok(reports) => reports,
        Err(error) => return examples::fail(error),
    };
    print!("{}", campaign::table(&reports, seed));
    if reports.iter().all(campaign::Report::is_clean) {
        ExitCode::SUCCESS
    } else {
        examples::fail(format_args!(
            "money-safety violations; replay with --seed {seed}"
        ))
    }
}
