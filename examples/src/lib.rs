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

/// A payment amount from the command line: the SDK's own checks, with the
/// SDK's own words — "must be greater than zero" for zero and negative
/// amounts alike (the arguments accept a leading `-`, so `--amount -5` reaches here
/// instead of failing as an unknown flag).
///
/// # Errors
///
/// [`Error::InvalidInput`](payments_core::Error::InvalidInput) for field `amount`.
pub fn payment_amount(
    text: &str,
    currency: payments_core::Currency,
) -> Result<payments_core::Money, payments_core::Error> {
    use payments_core::{Error, Money, MoneyError};
    match Money::parse(text, currency) {
        Ok(money) => money
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e)),
        Err(MoneyError::Negative(_)) => Err(Error::invalid(
            "amount",
            format_args!("amount must be greater than zero, not {}", text.trim()),
        )),
        Err(error) => Err(Error::invalid_money("amount", &error)),
    }
}

/// A time as the examples print it: `2026-11-23 08:31:43 +03:00`.
pub fn display_time(at: time::OffsetDateTime) -> String {
    at.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    ))
    .unwrap_or_else(|_| at.to_string())
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
