//! Paykassma (Wavepay, Myanmar) deposit SDK.
//!
//! **Not implemented yet.** This crate reserves its place in the workspace;
//! it exposes nothing. It will create a deposit (the wallet the customer pays into), activate it with the customer's transaction number, build payment-window links, and verify signed postbacks, on top of
//! [`payments_core`].
#![forbid(unsafe_code)]
