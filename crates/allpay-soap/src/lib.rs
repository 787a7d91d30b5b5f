//! Allpay (Kazakhstan) cash-in over signed SOAP 1.1.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod client;
mod config;
pub mod dsig;
#[allow(missing_docs, unreachable_pub, clippy::pedantic)]
pub mod generated;
mod model;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
pub mod soap;

pub use client::{AllpayClient, CASH_IN_PATH, TRANSACTION_MANAGEMENT_PATH};
pub use config::{AllpayConfig, GuidFormat, Lang, ResponseVerification};
pub use model::{
    BRACED_GUID_RULES, CashIn, PLAIN_GUID_RULES, TerminalPayment, TerminalStatus, Transaction,
    TransactionStatus, UserInfo, UserName,
};
