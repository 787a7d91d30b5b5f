//! Statuses a service shows and returns: displayed and serialized as
//! Allpay writes them, an unknown one as received.

use allpay_soap::{TerminalStatus, TransactionStatus};

#[test]
fn statuses_display_and_serialize_as_allpay_writes_them() {
    assert_eq!(TerminalStatus::Completed.to_string(), "COMPLETED");
    assert_eq!(
        serde_json::to_value(TerminalStatus::Declined).unwrap(),
        serde_json::json!("DECLINED")
    );
    assert_eq!(
        TerminalStatus::Unknown("ON_HOLD".into()).to_string(),
        "ON_HOLD"
    );
    assert_eq!(TransactionStatus::Failed.to_string(), "FAILED");
    assert_eq!(
        serde_json::to_value(TransactionStatus::Pending).unwrap(),
        serde_json::json!("PENDING")
    );
}
