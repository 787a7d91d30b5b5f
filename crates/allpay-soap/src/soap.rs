//! The SOAP 1.1 envelope around the generated bodies, and the strict
//! shape of an answer's envelope: by namespace URI (any prefixes), one
//! Envelope, at most one Header, exactly one Body holding exactly one
//! element, one `requestDsig` in the Header and nowhere else.

use payments_core::{Decline, DeclineKind, Error, Operation};
use roxmltree::{Document, Node};
use yaserde::YaSerialize;

use crate::dsig::SOAP_ENV_NS;

/// Allpay's own namespace, of `certificateNumber` and `requestDsig`.
pub(crate) const ALLPAY_NS: &str = "https://allpay.kz";

/// A request envelope: an empty Header (the signature goes in later) and a Body.
#[derive(Debug, Default, YaSerialize)]
#[yaserde(rename = "Envelope", prefix = "soapenv", namespaces = { "soapenv" = "http://schemas.xmlsoap.org/soap/envelope/" })]
pub(crate) struct Envelope<B: YaSerialize> {
    #[yaserde(rename = "Header", prefix = "soapenv")]
    pub(crate) header: Header,
    #[yaserde(rename = "Body", prefix = "soapenv")]
    pub(crate) body: B,
}

#[derive(Debug, Default, YaSerialize)]
pub(crate) struct Header {}

/// A SOAP 1.1 Fault's code and string (the `detail` is read separately).
#[derive(Debug, Clone, Default, PartialEq, Eq, YaSerialize)]
pub(crate) struct Fault {
    /// `faultcode` (`soap:Client`, `soap:Server`).
    #[yaserde(rename = "faultcode")]
    pub(crate) faultcode: String,
    /// `faultstring`.
    #[yaserde(rename = "faultstring")]
    pub(crate) faultstring: String,
}

/// Writes an envelope: no XML declaration, no indentation.
pub(crate) fn write<B: YaSerialize>(body: B) -> std::result::Result<String, String> {
    let config = yaserde::ser::Config {
        perform_indent: false,
        write_document_declaration: false,
        indent_string: None,
    };
    yaserde::ser::to_string_with_config(
        &Envelope {
            header: Header {},
            body,
        },
        &config,
    )
    .map_err(|e| e.to_string())
}

/// Inserts `<name xmlns="https://allpay.kz">value</name>` at the start of the Header.
pub(crate) fn add_header_element(
    envelope: &str,
    name: &str,
    value: &str,
) -> std::result::Result<String, String> {
    let element = format!("<{name} xmlns=\"{ALLPAY_NS}\">{}</{name}>", escape(value));
    let doc = Document::parse(envelope).map_err(|e| e.to_string())?;
    let header = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name((SOAP_ENV_NS, "Header")))
        .ok_or("no SOAP Header")?;
    let range = header.range();
    let text = envelope.get(range.clone()).unwrap_or_default();
    let mut out = String::with_capacity(envelope.len() + element.len() + 32);
    if text.ends_with("/>") {
        let qname: String = text
            .trim_start_matches('<')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
            .collect();
        out.push_str(envelope.get(..range.start).unwrap_or_default());
        out.push_str(text.trim_end_matches("/>").trim_end());
        out.push('>');
        out.push_str(&element);
        out.push_str(&format!("</{qname}>"));
        out.push_str(envelope.get(range.end..).unwrap_or_default());
    } else {
        let open_end = text.find('>').map_or(range.start, |i| range.start + i + 1);
        out.push_str(envelope.get(..open_end).unwrap_or_default());
        out.push_str(&element);
        out.push_str(envelope.get(open_end..).unwrap_or_default());
    }
    Ok(out)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A SOAP envelope whose shape was checked: the Body's one element, and
/// the Header's one `requestDsig` when it has one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checked<'a, 'i> {
    /// The Body's one element: the response, or a Fault.
    pub(crate) content: Node<'a, 'i>,
    /// `Header/requestDsig` (or the element asked for), in Allpay's namespace.
    pub(crate) request_dsig: Option<Node<'a, 'i>>,
}

/// Whether `node` holds no text but whitespace (comments and processing
/// instructions may stand between elements).
fn only_elements(node: Node<'_, '_>) -> bool {
    !node
        .children()
        .any(|child| child.is_text() && child.text().is_some_and(|t| !t.trim().is_empty()))
}

/// Checks the envelope's shape: the document element is a SOAP 1.1
/// `Envelope` holding an optional `Header` and then exactly one `Body`,
/// nothing else; the Body holds exactly one element; Allpay's `name`
/// element (`requestDsig`, `certificateNumber`), if any, is a direct child
/// of the Header, once, and appears nowhere else in the document.
pub(crate) fn check_envelope<'a, 'i>(
    doc: &'a Document<'i>,
    name: &str,
) -> std::result::Result<Checked<'a, 'i>, String> {
    let envelope = doc.root_element();
    if !envelope.has_tag_name((SOAP_ENV_NS, "Envelope")) {
        return Err("not a SOAP 1.1 Envelope".to_owned());
    }
    if !only_elements(envelope) {
        return Err("text in the SOAP Envelope".to_owned());
    }
    let mut header = None;
    let mut body = None;
    for child in envelope.children().filter(Node::is_element) {
        if child.has_tag_name((SOAP_ENV_NS, "Header")) && header.is_none() && body.is_none() {
            header = Some(child);
        } else if child.has_tag_name((SOAP_ENV_NS, "Body")) && body.is_none() {
            body = Some(child);
        } else {
            return Err(format!(
                "an Envelope holding more than one Header, then one Body (`{}`)",
                child.tag_name().name()
            ));
        }
    }
    let body = body.ok_or("a SOAP Envelope without a Body")?;
    if !only_elements(body) {
        return Err("text in the SOAP Body".to_owned());
    }
    let mut contents = body.children().filter(Node::is_element);
    let content = match (contents.next(), contents.next()) {
        (Some(content), None) => content,
        (None, _) => return Err(crate::read::NEITHER_ANSWER_NOR_FAULT.to_owned()),
        (Some(_), Some(_)) => return Err("a SOAP Body holding more than one element".to_owned()),
    };
    let mut in_header = header
        .into_iter()
        .flat_map(|h| h.children())
        .filter(|n| n.has_tag_name((ALLPAY_NS, name)));
    let request_dsig = in_header.next();
    if in_header.next().is_some() {
        return Err(format!("more than one `{name}` in the SOAP Header"));
    }
    let everywhere = doc
        .descendants()
        .filter(|n| n.has_tag_name((ALLPAY_NS, name)))
        .count();
    if everywhere != usize::from(request_dsig.is_some()) {
        return Err(format!("a `{name}` elsewhere than in the SOAP Header"));
    }
    Ok(Checked {
        content,
        request_dsig,
    })
}

/// A Fault's `detail`: `developerMessage`, `userMessage`, `stackHash`, in any namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FaultDetail {
    /// `developerMessage`.
    pub developer_message: Option<String>,
    /// `userMessage`.
    pub user_message: Option<String>,
    /// `stackHash`.
    pub stack_hash: Option<String>,
}

/// The error a Fault means. Allpay's "Sign Error" fault — it refused our
/// signature or token — is an authentication error; any other Fault is a
/// decline carrying `faultcode`, `faultstring` and the detail's messages.
pub(crate) fn fault_error(operation: Operation, fault: &Fault, detail: &FaultDetail) -> Error {
    if fault
        .faultstring
        .to_ascii_lowercase()
        .starts_with("sign error")
    {
        return Error::Authentication {
            operation,
            message: format!(
                "Allpay refused the request's signature: {}",
                fault.faultstring
            ),
            diagnostics: None,
        };
    }
    let mut message = detail
        .developer_message
        .clone()
        .unwrap_or_else(|| fault.faultstring.clone());
    if let Some(hash) = &detail.stack_hash {
        message.push_str(&format!(" (stackHash {hash})"));
    }
    let mut decline = Decline::new(fault.faultcode.clone(), DeclineKind::Other, message);
    if let Some(user) = &detail.user_message {
        decline = decline.with_user_message(user.clone());
    }
    Error::declined(operation, decline)
}
