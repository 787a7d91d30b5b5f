//! The SOAP 1.1 envelope around the generated bodies, and reading answers:
//! by namespace URI (any prefixes), exactly one of response or Fault.

use payments_core::{Decline, DeclineKind, Error, Operation};
use roxmltree::Document;
use yaserde::{YaDeserialize, YaSerialize};

use crate::dsig::SOAP_ENV_NS;

/// Allpay's own namespace, of `certificateNumber` and `requestDsig`.
pub(crate) const ALLPAY_NS: &str = "https://allpay.kz";

/// A request envelope: an empty Header (the signature goes in later) and a Body.
#[derive(Debug, Default, YaSerialize, YaDeserialize)]
#[yaserde(rename = "Envelope", prefix = "soapenv", namespaces = { "soapenv" = "http://schemas.xmlsoap.org/soap/envelope/" })]
pub(crate) struct Envelope<B: YaSerialize + YaDeserialize + Default> {
    #[yaserde(rename = "Header", prefix = "soapenv")]
    pub(crate) header: Header,
    #[yaserde(rename = "Body", prefix = "soapenv")]
    pub(crate) body: B,
}

#[derive(Debug, Default, YaSerialize, YaDeserialize)]
pub(crate) struct Header {}

/// A SOAP 1.1 Fault's code and string (the `detail` is read separately).
#[derive(Debug, Clone, Default, PartialEq, Eq, YaSerialize, YaDeserialize)]
pub(crate) struct Fault {
    /// `faultcode` (`soap:Client`, `soap:Server`).
    #[yaserde(rename = "faultcode")]
    pub(crate) faultcode: String,
    /// `faultstring`.
    #[yaserde(rename = "faultstring")]
    pub(crate) faultstring: String,
}

/// Writes an envelope: no XML declaration, no indentation.
pub(crate) fn write<B: YaSerialize + YaDeserialize + Default>(
    body: B,
) -> std::result::Result<String, String> {
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

/// The text of a Header element in Allpay's namespace (`requestDsig`).
pub(crate) fn header_value(xml: &str, name: &str) -> Option<String> {
    let doc = Document::parse(xml).ok()?;
    let header = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name((SOAP_ENV_NS, "Header")))?;
    header
        .descendants()
        .find(|n| n.has_tag_name((ALLPAY_NS, name)))
        .map(|n| n.text().unwrap_or_default().trim().to_owned())
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

pub(crate) fn fault_detail(xml: &str) -> FaultDetail {
    let Ok(doc) = Document::parse(xml) else {
        return FaultDetail::default();
    };
    let find = |name: &str| {
        doc.descendants()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.trim().to_owned())
    };
    FaultDetail {
        developer_message: find("developerMessage"),
        user_message: find("userMessage"),
        stack_hash: find("stackHash"),
    }
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

#[derive(Debug, Default, YaSerialize, YaDeserialize)]
#[yaserde(rename = "Envelope", prefix = "soapenv", namespaces = { "soapenv" = "http://schemas.xmlsoap.org/soap/envelope/" })]
pub(crate) struct Answer<B: YaSerialize + YaDeserialize + Default> {
    #[yaserde(rename = "Body", prefix = "soapenv")]
    pub(crate) body: B,
}

/// Reads an answer's Body into `B`, a generated response body. Elements are
/// matched by namespace URI, whatever their prefixes.
pub(crate) fn read<B: YaSerialize + YaDeserialize + Default>(
    xml: &str,
) -> std::result::Result<B, String> {
    // Own parse first: a clear message for what is not SOAP at all.
    let doc = Document::parse(xml).map_err(|e| format!("not XML ({e})"))?;
    if !doc.root_element().has_tag_name((SOAP_ENV_NS, "Envelope")) {
        return Err("not a SOAP 1.1 Envelope".to_owned());
    }
    let answer: Answer<B> = yaserde::de::from_str(xml).map_err(|e| e.to_string())?;
    Ok(answer.body)
}
