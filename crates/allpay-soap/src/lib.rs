//! Allpay (Kazakhstan) cash-in SDK over signed SOAP 1.1.
//!
//! **Not implemented yet.** This crate reserves its place in the workspace;
//! it exposes nothing. It will check users, create terminal cash-in payments and drive them to a final status, and run two-phase cash-in transactions, with XML-DSig on every message, on top of
//! [`payments_core`].
#![forbid(unsafe_code)]
