//! Allpay (Kazakhstan) cash-in over signed SOAP 1.1.
//!
//! **In progress.** What is here and tested: [`dsig`], XML-DSig signing and
//! verification as Allpay uses it (checked against Allpay's Java-signed
//! sample and against `xmlsec1`). The SOAP bindings, the client and the
//! sandbox are not written yet.
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

pub mod dsig;
