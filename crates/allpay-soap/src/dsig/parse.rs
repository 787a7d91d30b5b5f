//! The one way a message is parsed, for signing and for verifying: limits
//! checked in one linear pass before any tree is built, then roxmltree.

use roxmltree::{Document, Node};

use super::SignatureError;

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
