//! Allpay's public key as an X.509 certificate: read, and every malformed
//! certificate refused — promptly (a PEM reader that loops on a truncated
//! certificate would hang the merchant's start-up).

use allpay_soap::dsig::VerifyingKey;

const CERTIFICATE: &str = include_str!("fixtures/sb-allpay.cert.pem");

#[test]
fn a_certificate_is_read_with_or_without_whitespace_around_it() {
    VerifyingKey::from_pem(CERTIFICATE).unwrap();
    VerifyingKey::from_pem(&format!("\n  {CERTIFICATE}\n")).unwrap();
}

#[test]
fn every_truncation_of_a_certificate_is_refused() {
    let body: String = CERTIFICATE
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for cut in (0..body.len()).step_by(7) {
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
            &body[..cut]
        );
        assert!(VerifyingKey::from_pem(&pem).is_err(), "cut at {cut}");
    }
    for broken in [
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\nMIIB",
    ] {
        assert!(VerifyingKey::from_pem(broken).is_err(), "{broken}");
    }
}

#[test]
fn signature_errors_convert_into_the_workspace_error() {
    let key: payments_core::Error = VerifyingKey::from_pem("not a key").unwrap_err().into();
    assert!(
        matches!(key, payments_core::Error::Configuration { .. }),
        "{key:?}"
    );
    let unsigned: payments_core::Error = allpay_soap::dsig::verify_envelope(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>"#,
        &VerifyingKey::from_pem(CERTIFICATE).unwrap(),
    )
    .unwrap_err()
    .into();
    assert!(
        matches!(&unsigned, payments_core::Error::IntegrityMismatch { field, .. } if *field == "signature"),
        "{unsigned:?}"
    );
}
