//! What a hand-written Allpay client does with a signed document, by hand:
//! the canonical `SignedInfo` its signature covers and the signature value,
//! the document without its `Signature` (the enveloped-signature
//! transform), an element's text, a SHA-1 digest in base64. Shared by the
//! codec, loopback and payment benchmarks; each uses part of it.
#![allow(dead_code)]

use allpay_soap::dsig::{Canonicalization, canonicalize};
use base64::Engine;
use sha1::Sha1;

/// The canonical `SignedInfo` of the signed document `xml` (the bytes its
/// signature covers) and its signature value.
pub(super) fn signed_info(xml: &str) -> (String, Vec<u8>) {
    let start = xml.find("<SignedInfo").unwrap();
    let end = xml.find("</SignedInfo>").unwrap() + "</SignedInfo>".len();
    // It inherits the signature's default namespace.
    let standalone = xml[start..end].replacen(
        "<SignedInfo",
        r#"<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#""#,
        1,
    );
    let canonical = canonicalize(&standalone, Canonicalization::Exclusive, true).unwrap();
    let value_start = xml.find("<SignatureValue>").unwrap() + "<SignatureValue>".len();
    let value_end = xml.find("</SignatureValue>").unwrap();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(&xml[value_start..value_end])
        .unwrap();
    (canonical, signature)
}

/// `xml` without its `Signature` element (the enveloped-signature
/// transform, as a raw client writes it).
pub(super) fn without_signature(xml: &str) -> String {
    let start = xml.find("<Signature").unwrap();
    let end = xml.find("</Signature>").unwrap() + "</Signature>".len();
    format!("{}{}", &xml[..start], &xml[end..])
}

/// The text of the first `name` element of `xml`.
pub(super) fn element_text<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap() + open.len();
    let end = start + xml[start..].find('<').unwrap();
    &xml[start..end]
}

/// SHA-1 of `text`, in base64 (a `DigestValue`).
pub(super) fn sha1_base64(text: &str) -> String {
    use sha1::Digest;
    base64::engine::general_purpose::STANDARD.encode(Sha1::digest(text.as_bytes()))
}

/// The SDK client the loopback benchmarks measure, at `base`, on `clock`
/// (fixed, so that every request is the same bytes).
pub(super) fn sdk_client(
    base: allpay_soap::BaseUrl,
    clock: &allpay_soap::payments_core::clock::ManualClock,
) -> allpay_soap::AllpayClient {
    use allpay_soap::dsig::{SigningKey, VerifyingKey};
    use allpay_soap::sandbox::{allpay_public_key, merchant_private_key};
    let config = allpay_soap::AllpayConfig::new(
        base,
        "agent-7",
        "1001",
        SigningKey::from_pem(merchant_private_key()).unwrap(),
        VerifyingKey::from_pem(allpay_public_key()).unwrap(),
    );
    allpay_soap::AllpayClient::builder(config)
        .clock(std::sync::Arc::new(clock.clone()))
        .build()
        .unwrap()
}

/// What a hand-written client does before sending a request, as the SDK
/// does: its enveloped-signature digest (the request without its
/// signature, canonical, SHA-1) and the RSA-SHA1 signature of its
/// `SignedInfo`.
pub(super) fn sign_request(
    merchant: &rsa::pkcs1v15::SigningKey<Sha1>,
    unsigned_request: &str,
    request_signed_info: &str,
) {
    use rsa::signature::Signer;
    let digest =
        sha1_base64(&canonicalize(unsigned_request, Canonicalization::Exclusive, false).unwrap());
    drop(std::hint::black_box(digest));
    drop(std::hint::black_box(
        merchant.sign(request_signed_info.as_bytes()),
    ));
}

/// What a hand-written client does with a signed answer: one parse, its
/// digest (the document without its `Signature`, canonical, SHA-1)
/// checked against `DigestValue`, and the bare RSA-SHA1 verification of its
/// `SignedInfo`. The parsed document, to read values from.
pub(super) fn verify_answer<'a>(
    text: &'a str,
    allpay: &rsa::pkcs1v15::VerifyingKey<Sha1>,
    signed_info: &str,
    signature: &rsa::pkcs1v15::Signature,
) -> roxmltree::Document<'a> {
    use rsa::signature::Verifier;
    let document = roxmltree::Document::parse(text).unwrap();
    let digest = sha1_base64(
        &canonicalize(&without_signature(text), Canonicalization::Exclusive, false).unwrap(),
    );
    assert_eq!(digest, element_text(text, "DigestValue"));
    allpay.verify(signed_info.as_bytes(), signature).unwrap();
    document
}
