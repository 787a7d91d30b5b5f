//! Codes and kinds a service shows and returns: displayed with their
//! meaning, serialized as the wallet's code or the kind's name.

use tr_qr_wallet::{QrCodeType, WalletCode};

#[test]
fn wallet_codes_and_qr_kinds_display_and_serialize_by_name() {
    let code = WalletCode::from_code("311");
    assert_eq!(code, WalletCode::InsufficientBalance);
    assert_eq!(code.to_string(), "311 insufficient balance");
    assert_eq!(
        serde_json::to_value(&code).unwrap(),
        serde_json::json!("311")
    );
    assert_eq!(WalletCode::from_code("999").to_string(), "999 other");
    assert_eq!(QrCodeType::Short.to_string(), "short");
    assert_eq!(
        serde_json::to_value(QrCodeType::Default).unwrap(),
        serde_json::json!("default")
    );
}
