//! XML-DSig interoperability: Allpay's Java-signed sample verifies, tampered
//! copies do not, and what this crate signs verifies with `xmlsec1`.
//!
//! The sample, Allpay's test keys and the tool live outside the project
//! (`../shared/reference/allpay/`, Debian's `xmlsec1`); they are read, never copied.

use std::path::{Path, PathBuf};
use std::process::Command;

use allpay_soap::dsig::{SignatureError, SigningKey, VerifyingKey, sign_envelope, verify_envelope};

fn reference(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/allpay");
    std::fs::read_to_string(root.join(path))
        .unwrap_or_else(|e| panic!("read ../shared/reference/allpay/{path}: {e}"))
}

fn public_key() -> VerifyingKey {
    VerifyingKey::from_pem(&reference("test-keys/TEST.pub.pem")).unwrap()
}

fn private_key() -> SigningKey {
    SigningKey::from_pem(&reference("test-keys/TEST.priv.pem")).unwrap()
}

/// A second key pair, for "wrong key" tests.
const OTHER_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMt4bpsTuNgI7m3VrLrkFvmuY8kDxcKM
0Ymvj9qLTN4YrKxf4p7FpvB9MMb8OHlyA6yk3Bw0t0o3pOeGOQ/sVBECAwEAAQ==
-----END PUBLIC KEY-----";

#[test]
fn the_java_signed_sample_verifies() {
    let verified = verify_envelope(
        &reference("signed-samples/getTransactionRequest-1.xml"),
        &public_key(),
    )
    .unwrap();
    assert_eq!(verified.digest_value.len(), 28);
}

#[test]
fn the_reformatted_sample_with_the_same_signature_verifies() {
    verify_envelope(
        &reference("signed-samples/getTransactionRequest-1-formatted-same-signature.xml"),
        &public_key(),
    )
    .unwrap();
}

#[test]
fn a_one_byte_change_in_the_body_is_rejected() {
    let sample = reference("signed-samples/getTransactionRequest-1.xml");
    let tampered = sample.replace("<transactionNumber>1<", "<transactionNumber>2<");
    assert_ne!(tampered, sample);
    assert_eq!(
        verify_envelope(&tampered, &public_key()),
        Err(SignatureError::DigestMismatch)
    );
}

#[test]
fn a_change_in_the_signed_info_is_rejected() {
    let sample = reference("signed-samples/getTransactionRequest-1.xml");
    let tampered = sample.replace("<Reference URI=\"\">", "<Reference URI=\"\" Id=\"x\">");
    assert_eq!(
        verify_envelope(&tampered, &public_key()),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn a_wrong_key_is_rejected() {
    let sample = reference("signed-samples/getTransactionRequest-1.xml");
    let other = VerifyingKey::from_pem(OTHER_PUBLIC).unwrap();
    assert_eq!(
        verify_envelope(&sample, &other),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn a_message_without_its_signature_is_rejected() {
    let unsigned = reference("signed-samples/getTransactionRequest-1-not-signed.xml");
    assert_eq!(
        verify_envelope(&unsigned, &public_key()),
        Err(SignatureError::Missing)
    );
    let sample = reference("signed-samples/getTransactionRequest-1.xml");
    let start = sample.find("<Signature").unwrap();
    let end = sample.find("</Signature>").unwrap() + "</Signature>".len();
    let stripped = format!("{}{}", &sample[..start], &sample[end..]);
    assert_eq!(
        verify_envelope(&stripped, &public_key()),
        Err(SignatureError::Missing)
    );
}

const ENVELOPE: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1"><soapenv:Header><certificateNumber xmlns="https://allpay.kz">42</certificateNumber></soapenv:Header><soapenv:Body><ns:checkUser><CheckUserRequest><header><lang>ru</lang><timestamp>2026-11-23T10:00:00+06:00</timestamp><requester>agent-1</requester></header><userName>77011234567</userName></CheckUserRequest></ns:checkUser></soapenv:Body></soapenv:Envelope>"#;

#[test]
fn what_this_crate_signs_verifies_with_this_crate() {
    let signed = sign_envelope(ENVELOPE, &private_key()).unwrap();
    let verified = verify_envelope(&signed.xml, &public_key()).unwrap();
    assert_eq!(verified.digest_value, signed.digest_value);
    let tampered = signed.xml.replace("77011234567", "77011234568");
    assert_eq!(
        verify_envelope(&tampered, &public_key()),
        Err(SignatureError::DigestMismatch)
    );
    let empty_header = ENVELOPE.replace(
        "<soapenv:Header><certificateNumber xmlns=\"https://allpay.kz\">42</certificateNumber></soapenv:Header>",
        "<soapenv:Header/>",
    );
    verify_envelope(
        &sign_envelope(&empty_header, &private_key()).unwrap().xml,
        &public_key(),
    )
    .unwrap();
}

fn xmlsec1() -> Option<PathBuf> {
    let found = Command::new("xmlsec1")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    found.then(|| PathBuf::from("xmlsec1"))
}

#[test]
fn what_this_crate_signs_verifies_with_xmlsec1() {
    let Some(xmlsec1) = xmlsec1() else {
        // CI installs it (.ci/run); a developer machine without it skips loudly.
        assert!(
            std::env::var_os("CI").is_none(),
            "xmlsec1 is required in CI"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("xmlsec1 not installed: skipping the interop check");
        }
        return;
    };
    let dir = std::env::temp_dir().join(format!("allpay-dsig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let signed = sign_envelope(ENVELOPE, &private_key()).unwrap();
    let message = dir.join("signed.xml");
    std::fs::write(&message, &signed.xml).unwrap();
    let key = dir.join("TEST.pub.pem");
    std::fs::write(&key, reference("test-keys/TEST.pub.pem")).unwrap();
    let output = Command::new(&xmlsec1)
        .arg("--verify")
        .arg("--pubkey-pem")
        .arg(&key)
        .arg(&message)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "xmlsec1 refused our signature: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // And it refuses a tampered copy, so the check above can fail.
    std::fs::write(&message, signed.xml.replace("agent-1", "agent-2")).unwrap();
    let output = Command::new(&xmlsec1)
        .arg("--verify")
        .arg("--pubkey-pem")
        .arg(&key)
        .arg(&message)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "xmlsec1 accepted a tampered message"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
