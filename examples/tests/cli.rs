//! What a newcomer meets on the command line: the SDK's own words for a bad
//! amount, readable times, and a voucher named on the command line created
//! in the sandbox.

use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber, VoucherCode};
use payments_core::{Currency, Error, Money};

#[test]
fn a_negative_or_zero_amount_gets_the_sdks_own_must_be_greater_than_zero() {
    for text in ["-5", "0", " -0.01 "] {
        let error = examples::payment_amount(text, Currency::YER).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { field, reason } if field == "amount" && reason.contains("must be greater than zero")),
            "{text}: {error:?}"
        );
    }
    assert_eq!(
        examples::payment_amount("12.50", Currency::TRY).unwrap(),
        Money::parse("12.5", Currency::TRY).unwrap()
    );
}

#[test]
fn times_print_as_date_time_and_offset() {
    let at = time::macros::datetime!(2026-11-23 08:31:43.47 +03:00);
    assert_eq!(examples::display_time(at), "2026-11-23 08:31:43 +03:00");
}

#[tokio::test]
async fn a_voucher_named_on_the_command_line_is_created_in_the_sandbox() {
    let sandbox = JawaliSandbox::start().await.unwrap();
    let mobile = MobileNumber::new("771234567").unwrap();
    let price = Money::parse("1500", Currency::YER).unwrap();
    let code = VoucherCode::new("483920").unwrap();
    sandbox.create_voucher_with_code(&code, price, &mobile);
    let client = JawaliClient::new(sandbox.config()).unwrap();
    let receipt = client.collect("483920", "771234567", price).await.unwrap();
    assert_eq!(receipt.amount, price);
}
