//! XML-DSig as Allpay uses it: an enveloped signature in the SOAP Header,
//! one `Reference URI=""` with the enveloped-signature transform, SHA-1
//! digest, RSA-SHA1 signature, `SignedInfo` canonicalized with exclusive
//! C14N with comments.
//!
//! Per XML-DSig, the Reference's digest is over the document without the
//! Signature, without comments (that is what `URI=""` selects), serialized
//! with the Reference's canonicalization transform or, when it lists none —
//! as here and in Allpay's Java sample — with Canonical XML 1.0.

mod c14n;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use roxmltree::{Document, Node};
use rsa::pkcs1v15;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha1::{Digest, Sha1};

pub use c14n::Method as Canonicalization;
use c14n::Method;

/// The XML-DSig namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The SOAP 1.1 envelope namespace.
pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const C14N_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const PLACEHOLDER: &str = "SIGNATURE-VALUE-PLACEHOLDER";

/// Why a message could not be signed or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The message is not well-formed XML, or not a SOAP envelope.
    #[error("not a signable SOAP envelope: {0}")]
    Xml(String),
    /// The message carries no signature.
    #[error("the message is not signed")]
    Missing,
    /// The signature uses an algorithm or form this SDK does not accept.
    #[error("unsupported signature: {0}")]
    Unsupported(String),
    /// The signed content was changed: its digest differs.
    #[error("the signed content does not match its digest")]
    DigestMismatch,
    /// The signature value does not verify with the key.
    #[error("the signature does not verify with the key")]
    BadSignature,
    /// A key could not be read.
    #[error("key: {0}")]
    Key(String),
}

/// A [`SignatureError`] in the workspace's error taxonomy: a key that cannot
/// be read is a configuration error; a message that is not signed, or whose
/// signature does not verify, is an integrity mismatch on `signature`
/// (operation `allpay.signature`), so `?` works in code that returns
/// [`payments_core::Result`].
impl From<SignatureError> for payments_core::Error {
    fn from(error: SignatureError) -> Self {
        match error {
            SignatureError::Key(message) => {
                payments_core::Error::configuration(format_args!("Allpay key: {message}"))
            }
            other => payments_core::Error::mismatch(
                payments_core::Operation::read("allpay", "signature"),
                "signature",
                "a valid XML-DSig signature",
                other.to_string(),
            ),
        }
    }
}

/// The merchant's RSA private key, for signing requests.
#[derive(Clone)]
pub struct SigningKey(pkcs1v15::SigningKey<Sha1>);

impl SigningKey {
    /// Reads a PEM private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    ///
    /// # Errors
    ///
    /// [`SignatureError::Key`] when it is neither.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|_| {
                SignatureError::Key("not a PEM RSA private key (PKCS#1 or PKCS#8)".to_owned())
            })?;
        Ok(SigningKey(pkcs1v15::SigningKey::new(key)))
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([REDACTED])")
    }
}

/// An RSA public key, for verifying signatures.
#[derive(Clone, Debug)]
pub struct VerifyingKey(pkcs1v15::VerifyingKey<Sha1>);

impl VerifyingKey {
    /// Reads a PEM public key: `PUBLIC KEY` (SubjectPublicKeyInfo), PKCS#1
    /// `RSA PUBLIC KEY`, or an X.509 `CERTIFICATE` — Java shops hand out
    /// certificates — whose subject key is taken (the certificate's validity
    /// and issuer are not checked: the key is pinned by configuration).
    ///
    /// # Errors
    ///
    /// [`SignatureError::Key`] when it is none of them, or not RSA.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        if pem.contains("-----BEGIN CERTIFICATE-----") {
            return Self::from_certificate_pem(pem);
        }
        let key = rsa::RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|_| SignatureError::Key("not a PEM RSA public key".to_owned()))?;
        Ok(VerifyingKey(pkcs1v15::VerifyingKey::new(key)))
    }

    fn from_certificate_pem(pem: &str) -> Result<Self, SignatureError> {
        use base64::Engine as _;
        use rsa::pkcs8::DecodePublicKey;
        use x509_cert::der::{Decode, Encode};
        // The PEM armour is read here and the DER handed to `x509-cert`: its
        // own PEM reader (der 0.7) never returns on a truncated certificate.
        let body: String = pem
            .trim()
            .strip_prefix("-----BEGIN CERTIFICATE-----")
            .and_then(|rest| rest.split("-----END CERTIFICATE-----").next())
            .ok_or_else(|| SignatureError::Key("not a PEM X.509 certificate".to_owned()))?
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| SignatureError::Key(format!("certificate base64: {e}")))?;
        let certificate = x509_cert::Certificate::from_der(&der)
            .map_err(|e| SignatureError::Key(format!("not an X.509 certificate: {e}")))?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| SignatureError::Key(format!("certificate key: {e}")))?;
        let key = rsa::RsaPublicKey::from_public_key_der(&spki)
            .map_err(|_| SignatureError::Key("the certificate's key is not RSA".to_owned()))?;
        Ok(VerifyingKey(pkcs1v15::VerifyingKey::new(key)))
    }
}

/// A signed message and the digest it carries (Allpay echoes it back as `requestDsig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The signed XML.
    pub xml: String,
    /// The base64 `DigestValue`.
    pub digest_value: String,
}

/// What a verified message's signature said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The base64 `DigestValue`.
    pub digest_value: String,
}

/// A node's index in its document (a `u32`: it fits).
fn index(node: Node<'_, '_>) -> usize {
    usize::try_from(node.id().get()).unwrap_or(usize::MAX)
}

/// The deepest element nesting a message may have. Allpay's envelopes nest
/// about ten deep.
pub const MAX_XML_DEPTH: usize = 256;
/// The most attributes, namespace declarations included, one element may carry.
pub const MAX_XML_ATTRIBUTES: usize = 64;
/// The most namespace declarations one element may carry.
pub const MAX_XML_NAMESPACE_DECLARATIONS: usize = 16;
/// The most namespace declarations a whole message may carry.
pub const MAX_XML_DOCUMENT_DECLARATIONS: usize = 1024;
/// The most in-scope namespace bindings, summed over every element, a
/// message may have: the namespace work canonicalization does is bounded
/// by it.
pub const MAX_XML_NAMESPACE_SCOPE: usize = 1 << 20;

fn xml_error(message: impl Into<String>) -> SignatureError {
    SignatureError::Xml(message.into())
}

fn scope_error() -> SignatureError {
    xml_error(format!(
        "more than {MAX_XML_NAMESPACE_SCOPE} in-scope namespace bindings over all elements"
    ))
}

/// One forward pass over `xml`'s markup, in time and memory linear in its
/// length, that refuses what the tree must never be built from: another
/// declared encoding than UTF-8, a DTD, nesting past [`MAX_XML_DEPTH`], an
/// element with more than [`MAX_XML_ATTRIBUTES`] attributes or
/// [`MAX_XML_NAMESPACE_DECLARATIONS`] namespace declarations, a message
/// with more than [`MAX_XML_DOCUMENT_DECLARATIONS`] or more than
/// [`MAX_XML_NAMESPACE_SCOPE`] declarations in scope summed over its
/// elements. roxmltree checks an
/// element's attributes for duplicates pairwise and copies the in-scope
/// namespaces into every element that declares one: both quadratic, so
/// these limits come first. The pass reads no value: the tree roxmltree
/// builds afterwards is the only reading.
fn check_limits(xml: &str) -> Result<(), SignatureError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0usize;
    let mut declarations = 0usize;
    // The namespaces declared in scope at each open element (an upper
    // bound: a redeclaration counts again), and their sum over elements.
    let mut scopes: Vec<usize> = Vec::new();
    let mut scope_sum = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| xml_error(format!("not well-formed XML ({e})")))?;
        let (tag, opens) = match event {
            Event::Start(tag) => (tag, true),
            Event::Empty(tag) => (tag, false),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                scopes.pop();
                continue;
            }
            Event::Decl(declaration) => {
                match declaration.encoding() {
                    None => {}
                    Some(Ok(name)) if name.eq_ignore_ascii_case("utf-8") => {}
                    Some(_) => return Err(xml_error("a declared encoding other than UTF-8")),
                }
                continue;
            }
            Event::DocType(_) => return Err(xml_error("a document type declaration (DTD)")),
            Event::Eof => return Ok(()),
            _ => continue,
        };
        if depth + 1 > MAX_XML_DEPTH {
            return Err(xml_error(format!(
                "elements nested deeper than {MAX_XML_DEPTH} levels"
            )));
        }
        if opens {
            depth += 1;
        }
        let mut attributes = 0usize;
        let mut namespaces = 0usize;
        for attribute in tag.attributes().with_checks(false) {
            let attribute =
                attribute.map_err(|e| xml_error(format!("not well-formed XML ({e})")))?;
            attributes += 1;
            let key = attribute.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") {
                namespaces += 1;
            }
            if attributes > MAX_XML_ATTRIBUTES {
                return Err(xml_error(format!(
                    "an element with more than {MAX_XML_ATTRIBUTES} attributes"
                )));
            }
        }
        if namespaces > MAX_XML_NAMESPACE_DECLARATIONS {
            return Err(xml_error(format!(
                "an element with more than {MAX_XML_NAMESPACE_DECLARATIONS} namespace declarations"
            )));
        }
        declarations += namespaces;
        if declarations > MAX_XML_DOCUMENT_DECLARATIONS {
            return Err(xml_error(format!(
                "more than {MAX_XML_DOCUMENT_DECLARATIONS} namespace declarations"
            )));
        }
        let in_scope = scopes.last().copied().unwrap_or(0) + namespaces;
        scope_sum += in_scope;
        if scope_sum > MAX_XML_NAMESPACE_SCOPE {
            return Err(scope_error());
        }
        if opens {
            scopes.push(in_scope);
        }
    }
}

/// Parses a message for signing or verification: the limits above first,
/// then roxmltree (no DTD), then what XML forbids and roxmltree accepts.
pub(crate) fn parse(xml: &str) -> Result<Document<'_>, SignatureError> {
    check_limits(xml)?;
    let doc = Document::parse(xml).map_err(|e| SignatureError::Xml(e.to_string()))?;
    // Defence in depth, and without recursing: every walk after this one
    // meets at most MAX_XML_DEPTH levels. Each node's depth from its
    // parent's, in document order (parents first), indexed by node id.
    let mut depths: Vec<usize> = Vec::new();
    let mut scope = 0usize;
    for node in doc.descendants() {
        let depth = node
            .parent()
            .and_then(|parent| depths.get(index(parent)).copied())
            .unwrap_or(0)
            + usize::from(node.is_element());
        if depth > MAX_XML_DEPTH {
            return Err(SignatureError::Xml(format!(
                "elements nested deeper than {MAX_XML_DEPTH} levels"
            )));
        }
        if node.is_element() {
            scope = scope.saturating_add(node.namespaces().len());
            if scope > MAX_XML_NAMESPACE_SCOPE {
                return Err(scope_error());
            }
        }
        let id = index(node);
        if depths.len() <= id {
            depths.resize(id.saturating_add(1), 0);
        }
        if let Some(slot) = depths.get_mut(id) {
            *slot = depth;
        }
    }
    // roxmltree reads `<?xml…` anywhere but in the declaration as a
    // processing instruction; XML reserves the target (found by the `c14n`
    // fuzz target: `<?xml!version="1.0"?>`, which libxml2 refuses).
    if doc.descendants().any(|node| {
        node.pi()
            .is_some_and(|pi| pi.target.eq_ignore_ascii_case("xml"))
    }) {
        return Err(SignatureError::Xml(
            "a processing instruction named `xml` is reserved".to_owned(),
        ));
    }
    // `xmlns:p=""` is not allowed in XML 1.0 namespaces (only the default
    // namespace can be undeclared); roxmltree accepts it, and its canonical
    // form would use an unbound prefix (found by the `c14n` fuzz target).
    if doc.descendants().any(|node| {
        node.namespaces()
            .any(|ns| ns.name().is_some() && ns.uri().is_empty())
    }) {
        return Err(SignatureError::Xml(
            "a namespace prefix is bound to the empty name".to_owned(),
        ));
    }
    Ok(doc)
}

fn sha1_base64(text: &str) -> String {
    BASE64.encode(Sha1::digest(text.as_bytes()))
}

/// The canonical form of the whole document `xml` (Canonical XML 1.0 or
/// Exclusive XML Canonicalization 1.0, with or without comments), as the
/// signer and the verifier compute it: the document element, and the
/// comments (when kept) and processing instructions before and after it,
/// each on a line of its own.
///
/// ```
/// use allpay_soap::dsig::{Canonicalization, canonicalize};
///
/// let xml = r#"<a xmlns:unused="urn:u" b='1'   a="2"><e/></a>"#;
/// assert_eq!(
///     canonicalize(xml, Canonicalization::Exclusive, false)?,
///     r#"<a a="2" b="1"><e></e></a>"#
/// );
/// # Ok::<(), allpay_soap::dsig::SignatureError>(())
/// ```
///
/// # Errors
///
/// [`SignatureError::Xml`] when `xml` is not a well-formed document.
pub fn canonicalize(
    xml: &str,
    method: Canonicalization,
    comments: bool,
) -> Result<String, SignatureError> {
    let doc = parse(xml)?;
    Ok(c14n::canonicalize(doc.root(), method, comments, None))
}

/// Signs a SOAP envelope: appends a `Signature` to its `Header` (which must
/// exist, empty or not).
///
/// # Errors
///
/// [`SignatureError::Xml`] for a message without a SOAP Header.
pub fn sign_envelope(xml: &str, key: &SigningKey) -> Result<Signed, SignatureError> {
    let (digest_value, insert_at, self_closing) = {
        let doc = parse(xml)?;
        // URI="": the whole document, without comments.
        let digest = sha1_base64(&c14n::canonicalize(
            doc.root(),
            Method::Inclusive,
            false,
            None,
        ));
        let header = doc
            .root_element()
            .children()
            .find(|n| n.has_tag_name((SOAP_ENV_NS, "Header")))
            .ok_or_else(|| SignatureError::Xml("no SOAP Header".to_owned()))?;
        let range = header.range();
        let text = xml.get(range.clone()).unwrap_or_default();
        if text.ends_with("/>") {
            (digest, range, true)
        } else {
            let close = text.rfind("</").map_or(range.end, |i| range.start + i);
            (digest, close..close, false)
        }
    };
    let signature = format!(
        "<Signature xmlns=\"{DSIG_NS}\"><SignedInfo><CanonicalizationMethod Algorithm=\"{EXC_C14N_COMMENTS}\"/>\
<SignatureMethod Algorithm=\"{RSA_SHA1}\"/><Reference URI=\"\"><Transforms><Transform Algorithm=\"{ENVELOPED}\"/>\
</Transforms><DigestMethod Algorithm=\"{SHA1}\"/><DigestValue>{digest_value}</DigestValue></Reference></SignedInfo>\
<SignatureValue>{PLACEHOLDER}</SignatureValue></Signature>"
    );
    let mut signed = String::with_capacity(xml.len() + signature.len() + 64);
    if self_closing {
        let header = xml.get(insert_at.clone()).unwrap_or_default();
        let qname = header
            .trim_start_matches('<')
            .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .next()
            .unwrap_or_default();
        let open = header.trim_end_matches("/>").trim_end();
        signed.push_str(xml.get(..insert_at.start).unwrap_or_default());
        signed.push_str(open);
        signed.push('>');
        signed.push_str(&signature);
        signed.push_str("</");
        signed.push_str(qname);
        signed.push('>');
        signed.push_str(xml.get(insert_at.end..).unwrap_or_default());
    } else {
        signed.push_str(xml.get(..insert_at.start).unwrap_or_default());
        signed.push_str(&signature);
        signed.push_str(xml.get(insert_at.start..).unwrap_or_default());
    }
    let canonical_signed_info = {
        let doc = parse(&signed)?;
        let signed_info = doc
            .descendants()
            .find(|n| n.has_tag_name((DSIG_NS, "SignedInfo")))
            .ok_or_else(|| {
                SignatureError::Xml("SignedInfo not found after insertion".to_owned())
            })?;
        c14n::canonicalize(signed_info, Method::Exclusive, true, None)
    };
    let value = BASE64.encode(key.0.sign(canonical_signed_info.as_bytes()).to_bytes());
    Ok(Signed {
        xml: signed.replacen(PLACEHOLDER, &value, 1),
        digest_value,
    })
}

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
/// limits above; [`SignatureError::Missing`] without a signature;
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
