//! XML-DSig interoperability, hermetic by default:
//!
//! - envelopes signed by `xmlsec1` (the independent implementation) verify
//!   with this crate, and a one-byte change is refused — the fixtures under
//!   `tests/fixtures/xmlsec1/` are made by `cargo xtask dsig-fixtures` with a
//!   throwaway key whose public half alone is kept;
//! - what this crate signs verifies with this crate, and with `xmlsec1` when
//!   it is installed (`.ci/run` installs it);
//! - **opt-in**: Allpay's own Java-signed sample verifies with Allpay's test
//!   key, and tampered copies do not. Those files are Allpay's, outside the
//!   project: set `ALLPAY_REFERENCE_DIR` to the folder holding
//!   `signed-samples/` and `test-keys/` (`.ci/run` sets it when
//!   `../shared/reference/allpay` exists). Without it these tests say they
//!   were skipped, and pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use allpay_soap::dsig::{SignatureError, SigningKey, VerifyingKey, sign_envelope, verify_envelope};

/// Allpay's reference file `path`, or `None` (with a note) when the opt-in
/// reference folder is not configured.
fn reference(path: &str) -> Option<String> {
    let Some(root) = std::env::var_os("ALLPAY_REFERENCE_DIR") else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "skipped: Allpay's reference sample check needs ALLPAY_REFERENCE_DIR=<folder with signed-samples/ and test-keys/> \
                 (for example ALLPAY_REFERENCE_DIR=../shared/reference/allpay cargo test -p allpay-soap --test dsig_interop)"
            );
        }
        return None;
    };
    let file = Path::new(&root).join(path);
    Some(
        std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("ALLPAY_REFERENCE_DIR is set, but {}: {e}", file.display())),
    )
}

fn allpay_test_key() -> Option<VerifyingKey> {
    reference("test-keys/TEST.pub.pem").map(|pem| VerifyingKey::from_pem(&pem).unwrap())
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/xmlsec1")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const FIXTURES: &[&str] = &[
    "check-user.xml",
    "cash-in-payment-cyrillic.xml",
    "cash-out-with-comment.xml",
];

#[test]
fn envelopes_signed_by_xmlsec1_verify_here_and_a_one_byte_change_does_not() {
    let key = VerifyingKey::from_pem(&fixture("xmlsec1-test.pub.pem")).unwrap();
    for name in FIXTURES {
        let signed = fixture(name);
        verify_envelope(&signed, &key).unwrap_or_else(|e| panic!("{name}: {e}"));
        let body_start = signed.find("<soapenv:Body>").unwrap();
        let mut tampered = signed.clone().into_bytes();
        let at = body_start + signed[body_start..].find("77011234567").unwrap();
        tampered[at] = b'8';
        assert_eq!(
            verify_envelope(std::str::from_utf8(&tampered).unwrap(), &key),
            Err(SignatureError::DigestMismatch),
            "{name}"
        );
    }
}

/// The keys this crate signs with in these tests: a pair generated here.
fn own_keys() -> (SigningKey, VerifyingKey, String) {
    use rand_chacha::rand_core::SeedableRng;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key =
        rsa::RsaPrivateKey::new(&mut rand_chacha::ChaCha20Rng::seed_from_u64(7), 1024).unwrap();
    let private = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    (
        SigningKey::from_pem(&private).unwrap(),
        VerifyingKey::from_pem(&public).unwrap(),
        public,
    )
}

/// A second key pair, for "wrong key" tests.
const OTHER_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMt4bpsTuNgI7m3VrLrkFvmuY8kDxcKM
0Ymvj9qLTN4YrKxf4p7FpvB9MMb8OHlyA6yk3Bw0t0o3pOeGOQ/sVBECAwEAAQ==
-----END PUBLIC KEY-----";

#[test]
fn the_java_signed_sample_verifies() {
    let (Some(sample), Some(key)) = (
        reference("signed-samples/getTransactionRequest-1.xml"),
        allpay_test_key(),
    ) else {
        return;
    };
    let verified = verify_envelope(&sample, &key).unwrap();
    assert_eq!(verified.digest_value.len(), 28);
}

#[test]
fn the_reformatted_sample_with_the_same_signature_verifies() {
    let (Some(sample), Some(key)) = (
        reference("signed-samples/getTransactionRequest-1-formatted-same-signature.xml"),
        allpay_test_key(),
    ) else {
        return;
    };
    verify_envelope(&sample, &key).unwrap();
}

#[test]
fn a_one_byte_change_in_the_body_is_rejected() {
    let (Some(sample), Some(public_key)) = (
        reference("signed-samples/getTransactionRequest-1.xml"),
        allpay_test_key(),
    ) else {
        return;
    };
    let tampered = sample.replace("<transactionNumber>1<", "<transactionNumber>2<");
    assert_ne!(tampered, sample);
    assert_eq!(
        verify_envelope(&tampered, &public_key),
        Err(SignatureError::DigestMismatch)
    );
}

#[test]
fn a_change_in_the_signed_info_is_rejected() {
    let (Some(sample), Some(public_key)) = (
        reference("signed-samples/getTransactionRequest-1.xml"),
        allpay_test_key(),
    ) else {
        return;
    };
    let tampered = sample.replace("<Reference URI=\"\">", "<Reference URI=\"\" Id=\"x\">");
    assert_eq!(
        verify_envelope(&tampered, &public_key),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn a_wrong_key_is_rejected() {
    let Some(sample) = reference("signed-samples/getTransactionRequest-1.xml") else {
        return;
    };
    let other = VerifyingKey::from_pem(OTHER_PUBLIC).unwrap();
    assert_eq!(
        verify_envelope(&sample, &other),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn a_message_without_its_signature_is_rejected() {
    let (Some(unsigned), Some(sample), Some(public_key)) = (
        reference("signed-samples/getTransactionRequest-1-not-signed.xml"),
        reference("signed-samples/getTransactionRequest-1.xml"),
        allpay_test_key(),
    ) else {
        return;
    };
    assert_eq!(
        verify_envelope(&unsigned, &public_key),
        Err(SignatureError::Missing)
    );
    let start = sample.find("<Signature").unwrap();
    let end = sample.find("</Signature>").unwrap() + "</Signature>".len();
    let stripped = format!("{}{}", &sample[..start], &sample[end..]);
    assert_eq!(
        verify_envelope(&stripped, &public_key),
        Err(SignatureError::Missing)
    );
}

const ENVELOPE: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1"><soapenv:Header><certificateNumber xmlns="https://allpay.kz">42</certificateNumber></soapenv:Header><soapenv:Body><ns:checkUser><CheckUserRequest><header><lang>ru</lang><timestamp>2026-11-23T10:00:00+06:00</timestamp><requester>agent-1</requester></header><userName>77011234567</userName></CheckUserRequest></ns:checkUser></soapenv:Body></soapenv:Envelope>"#;

#[test]
fn what_this_crate_signs_verifies_with_this_crate() {
    let (private_key, public_key, _) = own_keys();
    let signed = sign_envelope(ENVELOPE, &private_key).unwrap();
    let verified = verify_envelope(&signed.xml, &public_key).unwrap();
    assert_eq!(verified.digest_value, signed.digest_value);
    let tampered = signed.xml.replace("77011234567", "77011234568");
    assert_eq!(
        verify_envelope(&tampered, &public_key),
        Err(SignatureError::DigestMismatch)
    );
    let empty_header = ENVELOPE.replace(
        "<soapenv:Header><certificateNumber xmlns=\"https://allpay.kz\">42</certificateNumber></soapenv:Header>",
        "<soapenv:Header/>",
    );
    verify_envelope(
        &sign_envelope(&empty_header, &private_key).unwrap().xml,
        &public_key,
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
            eprintln!(
                "skipped: xmlsec1 is not installed (apt-get install xmlsec1 runs this interop check)"
            );
        }
        return;
    };
    let dir = std::env::temp_dir().join(format!("allpay-dsig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (private_key, _, public_pem) = own_keys();
    let signed = sign_envelope(ENVELOPE, &private_key).unwrap();
    let message = dir.join("signed.xml");
    std::fs::write(&message, &signed.xml).unwrap();
    let key = dir.join("own.pub.pem");
    std::fs::write(&key, public_pem).unwrap();
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

/// Found by the `c14n` fuzz target: roxmltree reads `<?xml!version…?>` as
/// a processing instruction named `xml`, a name XML reserves; the crate
/// refuses the document, as libxml2 does, instead of canonicalizing it into
/// text that no longer parses.
#[test]
fn a_processing_instruction_named_xml_is_refused() {
    use allpay_soap::dsig::{Canonicalization, SignatureError, canonicalize};
    for xml in [
        "<?xml!version=\"1.0\"?>\n<r/>",
        "<r><?XML x?></r>",
        "<r/><?xMl?>",
    ] {
        assert!(
            matches!(
                canonicalize(xml, Canonicalization::Inclusive, false),
                Err(SignatureError::Xml(_))
            ),
            "{xml}"
        );
    }
    // A declaration, and names that only start with `xml`, are fine.
    assert_eq!(
        canonicalize(
            "<?xml version=\"1.0\"?><?xml-stylesheet a?><r/>",
            Canonicalization::Inclusive,
            false
        )
        .unwrap(),
        "<?xml-stylesheet a?>\n<r></r>"
    );
}

/// Found by the `c14n` fuzz target: `xmlns:a=""` undeclares a prefix, which
/// XML 1.0 namespaces do not allow (libxml2 refuses it); roxmltree accepts
/// it, and the canonical form used the prefix unbound.
#[test]
fn a_prefix_bound_to_the_empty_name_is_refused() {
    use allpay_soap::dsig::{Canonicalization, SignatureError, canonicalize};
    for xml in [
        r#"<a:r xmlns:a=""/>"#,
        r#"<r xmlns:a="urn:a"><a:e xmlns:a=""/></r>"#,
        r#"<r><e xmlns:b=""/></r>"#,
    ] {
        assert!(
            matches!(
                canonicalize(xml, Canonicalization::Exclusive, false),
                Err(SignatureError::Xml(_))
            ),
            "{xml}"
        );
    }
    // Undeclaring the default namespace is allowed.
    assert_eq!(
        canonicalize(
            r#"<r xmlns="urn:d"><e xmlns=""/></r>"#,
            Canonicalization::Exclusive,
            false
        )
        .unwrap(),
        r#"<r xmlns="urn:d"><e xmlns=""></e></r>"#
    );
}

/// Canonicalization recursed once per element before the digest was
/// compared, so no key was needed to abort the process: ~4,000 nested
/// elements on a tokio worker's stack. Nesting past the limit is refused
/// before any canonicalization, quickly, at any depth.
#[test]
fn a_deeply_nested_message_is_refused_before_canonicalization() {
    let key = VerifyingKey::from_pem(&fixture("xmlsec1-test.pub.pem")).unwrap();
    for levels in [300, 4_000, 100_000] {
        let xml = format!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{}{}</soap:Body></soap:Envelope>"#,
            "<a>".repeat(levels),
            "</a>".repeat(levels)
        );
        let started = std::time::Instant::now();
        let refused = verify_envelope(&xml, &key).unwrap_err();
        assert!(
            matches!(&refused, SignatureError::Xml(why) if why.contains("nested deeper than 256")),
            "{levels}: {refused:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{levels}: {:?}",
            started.elapsed()
        );
    }
}
