//! Sipay wallet (Türkiye) third-party QR payment SDK.
//!
//! **Not implemented yet.** This crate reserves its place in the workspace;
//! it exposes nothing. It will begin a QR code payment (decoding the sale's `payment_data`), complete it, and create test QR codes, over Sipay's walletgate Mobile API, on top of
//! [`payments_core`].
#![forbid(unsafe_code)]
