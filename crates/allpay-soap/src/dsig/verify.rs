//! Verifying: the one enveloped signature, where Allpay puts it, with the
//! algorithms Allpay uses, over the document it covers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use roxmltree::{Document, Node};
use rsa::pkcs1v15;
use rsa::signature::Verifier;

use super::c14n::{self, Method};
use super::{
    C14N, C14N_COMMENTS, DSIG_NS, ENVELOPED, EXC_C14N, EXC_C14N_COMMENTS, RSA_SHA1, SHA1,
    SOAP_ENV_NS, SignatureError, Verified, VerifyingKey, parse, sha1_base64,
};

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Result<Node<'a, 'i>, SignatureError> {
    node.children()
        .find(|n| n.has_tag_name((DSIG_NS, name)))
        .ok_or_else(|| SignatureError::Unsupported(format!("no {name}")))
}

fn algorithm<'a>(node: Node<'a, '_>) -> &'a str {
    node.attribute("Algorithm").unwrap_or_default()
}

/// Verifies the message's enveloped signature with `key`.
///
/// The message must be a SOAP envelope whose `Header` holds, as a direct
/// child, its one `Signature`, and that `Signature` only `SignedInfo`,
/// `SignatureValue` and at most `KeyInfo` (no `Object`): everything else in
/// the document is then covered by the digest.
///
/// # Errors
///
/// [`SignatureError::Xml`] for what is not well-formed or is past the
/// `MAX_XML_*` limits; [`SignatureError::Missing`] without a signature;
/// `Unsupported` for algorithms, references or placements other than the
/// ones above, or several signatures; `DigestMismatch` when the content
/// changed; `BadSignature` when the key does not verify it.
pub fn verify_envelope(xml: &str, key: &VerifyingKey) -> Result<Verified, SignatureError> {
    let doc = parse(xml)?;
    verify_document(&doc, key).map(|(verified, _)| verified)
}

/// [`verify_envelope`] on a parsed message: what it says, and the
/// `Signature` element (the one subtree the digest does not cover).
pub(crate) fn verify_document<'a, 'i>(
    doc: &'a Document<'i>,
    key: &VerifyingKey,
) -> Result<(Verified, Node<'a, 'i>), SignatureError> {
    let mut signatures = doc
        .descendants()
        .filter(|n| n.has_tag_name((DSIG_NS, "Signature")));
    let signature = signatures.next().ok_or(SignatureError::Missing)?;
    if signatures.next().is_some() {
        return Err(SignatureError::Unsupported(
            "more than one Signature".to_owned(),
        ));
    }
    placement(signature)?;
    let signed_info = child(signature, "SignedInfo")?;
    let (c14n_method, c14n_comments) =
        match algorithm(child(signed_info, "CanonicalizationMethod")?) {
            EXC_C14N_COMMENTS => (Method::Exclusive, true),
            EXC_C14N => (Method::Exclusive, false),
            C14N_COMMENTS => (Method::Inclusive, true),
            C14N => (Method::Inclusive, false),
            other => {
                return Err(SignatureError::Unsupported(format!(
                    "canonicalization {other}"
                )));
            }
        };
    if algorithm(child(signed_info, "SignatureMethod")?) != RSA_SHA1 {
        return Err(SignatureError::Unsupported(
            "signature method other than rsa-sha1".to_owned(),
        ));
    }
    let mut references = signed_info
        .children()
        .filter(|n| n.has_tag_name((DSIG_NS, "Reference")));
    let reference = references
        .next()
        .ok_or_else(|| SignatureError::Unsupported("no Reference".to_owned()))?;
    if references.next().is_some() || reference.attribute("URI") != Some("") {
        return Err(SignatureError::Unsupported(
            "only one Reference with URI=\"\" is accepted".to_owned(),
        ));
    }
    let mut enveloped = false;
    let mut reference_method = Method::Inclusive;
    if let Ok(transforms) = child(reference, "Transforms") {
        for transform in transforms.children().filter(|n| n.is_element()) {
            match algorithm(transform) {
                ENVELOPED => enveloped = true,
                EXC_C14N | EXC_C14N_COMMENTS => reference_method = Method::Exclusive,
                C14N | C14N_COMMENTS => reference_method = Method::Inclusive,
                other => return Err(SignatureError::Unsupported(format!("transform {other}"))),
            }
        }
    }
    if !enveloped {
        return Err(SignatureError::Unsupported(
            "the enveloped-signature transform is required".to_owned(),
        ));
    }
    if algorithm(child(reference, "DigestMethod")?) != SHA1 {
        return Err(SignatureError::Unsupported(
            "digest method other than sha1".to_owned(),
        ));
    }
    let digest_value: String = child(reference, "DigestValue")?
        .text()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    // URI="" selects the document without comments (processing
    // instructions outside the document element included).
    let content = c14n::canonicalize(doc.root(), reference_method, false, Some(signature.id()));
    if sha1_base64(&content) != digest_value {
        return Err(SignatureError::DigestMismatch);
    }
    let value: String = child(signature, "SignatureValue")?
        .text()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let bytes = BASE64
        .decode(value)
        .map_err(|_| SignatureError::BadSignature)?;
    let signature_value = pkcs1v15::Signature::try_from(bytes.as_slice())
        .map_err(|_| SignatureError::BadSignature)?;
    let canonical = c14n::canonicalize(signed_info, c14n_method, c14n_comments, None);
    key.0
        .verify(canonical.as_bytes(), &signature_value)
        .map_err(|_| SignatureError::BadSignature)?;
    Ok((Verified { digest_value }, signature))
}

/// The Signature stands where Allpay puts it: a direct child of the SOAP
/// `Header` of the `Envelope`, holding `SignedInfo`, `SignatureValue` and
/// at most `KeyInfo`, in that order, and no text.
fn placement(signature: Node<'_, '_>) -> Result<(), SignatureError> {
    let misplaced =
        || SignatureError::Unsupported("a Signature elsewhere than in the SOAP Header".to_owned());
    let header = signature.parent().ok_or_else(misplaced)?;
    let envelope = header.parent().ok_or_else(misplaced)?;
    if !header.has_tag_name((SOAP_ENV_NS, "Header"))
        || !envelope.has_tag_name((SOAP_ENV_NS, "Envelope"))
        || envelope.parent().is_none_or(|root| !root.is_root())
    {
        return Err(misplaced());
    }
    let mut names = Vec::with_capacity(3);
    for node in signature.children() {
        if node.is_element() && node.tag_name().namespace() == Some(DSIG_NS) {
            names.push(node.tag_name().name());
        } else if node.is_element() || node.text().is_some_and(|t| !t.trim().is_empty()) {
            names.push("");
        }
    }
    match names.as_slice() {
        ["SignedInfo", "SignatureValue"] | ["SignedInfo", "SignatureValue", "KeyInfo"] => Ok(()),
        _ => Err(SignatureError::Unsupported(
            "a Signature holding more than SignedInfo, SignatureValue and KeyInfo".to_owned(),
        )),
    }
}
