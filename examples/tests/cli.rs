//! What a newcomer meets on the command line: the SDK's own words for a bad
//! amount, readable times, and a voucher named on the command line created
//! in the sandbox.

use jawali::sandbox::JawaliSandbox;
use jawali::{JawaliClient, MobileNumber, VoucherCode};
use payments_core::{Currency, Error, Money};

mod support;

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
    assert_eq!(receipt.amount, Some(price));
}

/// A configuration set in part is refused in one line naming every missing
/// variable — the SDK's `from_env()` says it — and never shows the secret
/// that was set.
#[cfg(unix)]
#[test]
fn a_partial_configuration_names_every_missing_variable() {
    let run = |example: &str, vars: &[(&str, &str)]| {
        let output = std::process::Command::new(support::example(example))
            .envs(vars.iter().copied())
            .output()
            .expect("the examples are built (cargo test builds examples)");
        assert!(!output.status.success(), "{example}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let said = run(
        "jawali",
        &[
            ("JAWALI_USERNAME", "merchant"),
            ("JAWALI_PASSWORD", "pw-secret-1"),
        ],
    );
    assert!(
        said.contains(
            "set JAWALI_ORG_ID, JAWALI_WALLET, JAWALI_WALLET_PASSWORD in the environment"
        ),
        "{said}"
    );
    assert!(!said.contains("pw-secret-1"), "{said}");
    let said = run("tr_qr_wallet", &[("TR_QR_API_URL", "http://127.0.0.1:9/")]);
    assert!(
        said.contains("TR_QR_TOKEN_URL, TR_QR_CLIENT_ID, TR_QR_CLIENT_SECRET"),
        "{said}"
    );
    let said = run("allpay", &[("ALLPAY_REQUESTER", "agent-7")]);
    assert!(
        said.contains("set ALLPAY_BASE_URL, ALLPAY_CERT_NUMBER, ALLPAY_PRIVATE_KEY"),
        "{said}"
    );
    let said = run("paykassma", &[("PAYKASSMA_SECRET", "s-secret-2")]);
    assert!(
        said.contains("set PAYKASSMA_DOMAIN in the environment"),
        "{said}"
    );
    assert!(!said.contains("s-secret-2"), "{said}");
}
