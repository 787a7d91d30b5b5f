//! HTTP plumbing shared by the provider crates.
//!
//! Provider crates build a [`Request`] with a pure function, send it with
//! [`HttpClient::execute`] and interpret the [`RawResponse`]. The client
//! decides, from the [`Operation`](crate::Operation)'s kind and the failure,
//! what a failure proves: not sent, outcome unknown, or a read to repeat.

mod base_url;
mod client;
mod retry;
pub mod tls;

pub use base_url::{BaseUrl, Environment};
pub use client::{
    BearerToken, HttpClient, HttpConfig, RawResponse, Request, Timeouts, describe_json_failure,
};
pub use retry::RetryPolicy;
