//! Signing: an enveloped signature appended to the SOAP Header.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::signature::{SignatureEncoding, Signer};

use super::c14n::{self, Method};
use super::{
    DSIG_NS, ENVELOPED, EXC_C14N_COMMENTS, RSA_SHA1, SHA1, SOAP_ENV_NS, SignatureError, Signed,
    SigningKey, parse, sha1_base64,
};

const PLACEHOLDER: &str = "SIGNATURE-VALUE-PLACEHOLDER";
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
