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
mod keys;
mod parse;
mod sign;
mod verify;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

pub use c14n::Method as Canonicalization;
pub use keys::{SigningKey, VerifyingKey};
pub(crate) use parse::parse;
pub use parse::{
    MAX_XML_ATTRIBUTES, MAX_XML_DEPTH, MAX_XML_DOCUMENT_DECLARATIONS,
    MAX_XML_NAMESPACE_DECLARATIONS, MAX_XML_NAMESPACE_SCOPE,
};
pub use sign::sign_envelope;
pub(crate) use verify::verify_document;
pub use verify::verify_envelope;

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
