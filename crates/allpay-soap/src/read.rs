//! Reading an answer's values from the one parsed tree, only where the
//! schema puts them: the generated readers (`generated.rs`) call these.
//!
//! A field is an unqualified child element of its parent, present at most
//! once; a text field holds text only (an element, a comment or a
//! processing instruction inside it is refused, never read around); an
//! element that holds fields holds no text but whitespace. Children the
//! schema does not name are skipped, so a newer answer still reads.

use roxmltree::Node;

use crate::dsig::SOAP_ENV_NS;
use crate::soap::{Fault, FaultDetail};

/// Why a Body could not be read: a sentence naming the element.
pub(crate) type ReadError = String;

/// What a Body holds: the operation's response, or a SOAP Fault.
#[derive(Debug)]
pub(crate) enum Answer<R> {
    /// The operation's response element, read.
    Response(R),
    /// A SOAP Fault, read.
    Fault(ReadFault),
}

/// A Fault read from `Body/Fault`: code and string, and the messages of
/// its `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadFault {
    /// `faultcode` and `faultstring`.
    pub(crate) fault: Fault,
    /// The messages under `Body/Fault/detail`.
    pub(crate) detail: FaultDetail,
}

/// An answer whose Body holds neither the operation's response nor a Fault.
pub(crate) const NEITHER_ANSWER_NOR_FAULT: &str =
    "neither the operation's response nor a Fault in the Body (wrong namespace or operation?)";

fn name_of<'a>(node: Node<'a, '_>) -> &'a str {
    node.tag_name().name()
}

/// `node`'s element children, once `node` is known to hold no text but
/// whitespace between them.
pub(crate) fn elements<'a, 'i>(
    node: Node<'a, 'i>,
) -> Result<impl Iterator<Item = Node<'a, 'i>>, ReadError> {
    if node
        .children()
        .any(|child| child.is_text() && child.text().is_some_and(|t| !t.trim().is_empty()))
    {
        return Err(format!(
            "`{}` holds text beside its elements",
            name_of(node)
        ));
    }
    Ok(node.children().filter(Node::is_element))
}

/// The local name of an element in no namespace (the schema's fields are
/// unqualified); `None` for a qualified one.
pub(crate) fn unqualified<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    match node.tag_name().namespace() {
        None => Some(node.tag_name().name()),
        Some(_) => None,
    }
}

/// A text field's value, trimmed: `node` must hold text only.
pub(crate) fn string(node: Node<'_, '_>) -> Result<String, ReadError> {
    let mut text = String::new();
    for child in node.children() {
        match child.text() {
            Some(piece) if child.is_text() => text.push_str(piece),
            _ => {
                return Err(format!(
                    "`{}` holds markup where the schema puts text",
                    name_of(node)
                ));
            }
        }
    }
    Ok(text.trim().to_owned())
}

/// An `xs:boolean`: `true`, `false`, `1` or `0`.
pub(crate) fn boolean(node: Node<'_, '_>) -> Result<bool, ReadError> {
    match string(node)?.as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("`{}` is not an xs:boolean", name_of(node))),
    }
}

/// An `xs:integer` that fits an `i64`.
pub(crate) fn integer(node: Node<'_, '_>) -> Result<i64, ReadError> {
    string(node)?
        .parse()
        .map_err(|_| format!("`{}` is not an integer this SDK reads", name_of(node)))
}

/// An `xs:nonNegativeInteger` that fits a `u64`.
pub(crate) fn unsigned(node: Node<'_, '_>) -> Result<u64, ReadError> {
    let text = string(node)?;
    if text.starts_with(['+', '-']) {
        return Err(format!(
            "`{}` is not a plain non-negative integer",
            name_of(node)
        ));
    }
    text.parse()
        .map_err(|_| format!("`{}` is not a non-negative integer", name_of(node)))
}

/// Puts a field's value in its slot: a field present twice is refused.
pub(crate) fn once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), ReadError> {
    if slot.is_some() {
        return Err(format!("`{name}` more than once"));
    }
    *slot = Some(value);
    Ok(())
}

/// A required field's value.
pub(crate) fn required<T>(slot: Option<T>, parent: &str, name: &str) -> Result<T, ReadError> {
    slot.ok_or_else(|| format!("`{parent}` without `{name}`"))
}

/// A SOAP 1.1 Fault: `node` is `Body/Fault`, its `faultcode` and
/// `faultstring` (unqualified) are read from it, and the detail's
/// `developerMessage`, `userMessage` and `stackHash` only from inside its
/// `detail`: a child of `detail`, or of its one wrapper element (Allpay's
/// `ns:error`), each at most once.
pub(crate) fn fault(node: Node<'_, '_>) -> Result<ReadFault, ReadError> {
    if !node.has_tag_name((SOAP_ENV_NS, "Fault")) {
        return Err(NEITHER_ANSWER_NOR_FAULT.to_owned());
    }
    let (mut code, mut string_, mut detail) = (None, None, None);
    for child in elements(node)? {
        match unqualified(child) {
            Some("faultcode") => once(&mut code, "faultcode", string(child)?)?,
            Some("faultstring") => once(&mut string_, "faultstring", string(child)?)?,
            Some("detail") => once(&mut detail, "detail", child)?,
            _ => {}
        }
    }
    let mut messages = FaultDetail::default();
    if let Some(detail) = detail {
        for child in elements(detail)? {
            detail_message(child, &mut messages)?;
            let message = matches!(
                child.tag_name().name(),
                "developerMessage" | "userMessage" | "stackHash"
            );
            if !message && child.children().any(|c| c.is_element()) {
                for grandchild in elements(child)? {
                    detail_message(grandchild, &mut messages)?;
                }
            }
        }
    }
    Ok(ReadFault {
        fault: Fault {
            faultcode: required(code, "Fault", "faultcode")?,
            faultstring: required(string_, "Fault", "faultstring")?,
        },
        detail: messages,
    })
}

fn detail_message(node: Node<'_, '_>, messages: &mut FaultDetail) -> Result<(), ReadError> {
    let slot = match node.tag_name().name() {
        "developerMessage" => &mut messages.developer_message,
        "userMessage" => &mut messages.user_message,
        "stackHash" => &mut messages.stack_hash,
        _ => return Ok(()),
    };
    once(slot, node.tag_name().name(), string(node)?)
}
