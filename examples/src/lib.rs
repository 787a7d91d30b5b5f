//! Helpers shared by the runnable examples: environment configuration and
//! the one-line error report.
#![allow(clippy::print_stderr)]

pub mod campaign;

use std::fmt::Display;
use std::process::ExitCode;

/// Reads an environment variable; empty counts as unset.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The required variables among `names` that are unset: all of them set
/// means "talk to a real server", none means "use the sandbox", some is a mistake.
pub fn missing(names: &[&'static str]) -> Vec<&'static str> {
    names.iter().copied().filter(|n| env(n).is_none()).collect()
}

/// Prints `error: …` as one line on stderr and returns the failure exit code.
pub fn fail(error: impl Display) -> ExitCode {
    let text = error.to_string().replace('\n', " ");
    eprintln!("error: {text}");
    ExitCode::FAILURE
}

/// The workspace README's code, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
