//! Canonical XML over a parsed document: Canonical XML 1.0 ("inclusive")
//! and Exclusive XML Canonicalization 1.0, with or without comments, with
//! one subtree left out (the enveloped-signature transform).
//!
//! Written for what XML-DSig needs here — a whole document (`URI=""`,
//! comments and processing instructions outside the document element
//! included) or one element's subtree — and checked byte for byte against
//! lxml (`cargo xtask c14n`) and against signatures made by Apache Santuario
//! (Allpay's Java sample) and by `xmlsec1` (`cargo xtask dsig`).
//!
//! Namespace URIs are escaped like attribute values (`&` as `&amp;`), as
//! C14N 1.0 §2.3 says and Apache Santuario does; libxml2 (lxml, xmlsec1)
//! writes them unescaped, so a namespace URI holding `&`, `<` or `"` is
//! the one place the two disagree.

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId, NodeType};

/// Which canonicalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Canonical XML 1.0: namespace declarations stay where they are in scope.
    Inclusive,
    /// Exclusive C14N: a namespace is declared where it is visibly used.
    Exclusive,
}

/// The canonical form of `apex`'s subtree, leaving out `skip`'s subtree;
/// of the whole document when `apex` is the document (root) node.
pub(crate) fn canonicalize(
    apex: Node<'_, '_>,
    method: Method,
    comments: bool,
    skip: Option<NodeId>,
) -> String {
    let mut out = String::new();
    let context = Context {
        method,
        comments,
        skip,
        source: apex.document().input_text(),
    };
    context.node(apex, &BTreeMap::new(), true, &mut out);
    out
}

struct Context<'s> {
    method: Method,
    comments: bool,
    skip: Option<NodeId>,
    source: &'s str,
}

/// prefix ("" for the default namespace) → URI.
type Scope = BTreeMap<String, String>;

impl Context<'_> {
    fn node(&self, node: Node<'_, '_>, rendered: &Scope, apex: bool, out: &mut String) {
        if Some(node.id()) == self.skip {
            return;
        }
        match node.node_type() {
            NodeType::Element => self.element(node, rendered, apex, out),
            NodeType::Text => escape_text(node.text().unwrap_or_default(), out),
            NodeType::Comment if self.comments => {
                out.push_str("<!--");
                push_line_ends_normalized(node.text().unwrap_or_default(), out);
                out.push_str("-->");
            }
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    out.push_str("<?");
                    out.push_str(pi.target);
                    if let Some(value) = pi.value {
                        out.push(' ');
                        push_line_ends_normalized(value, out);
                    }
                    out.push_str("?>");
                }
            }
            NodeType::Root => self.document(node, out),
            NodeType::Comment => {}
        }
    }

    /// The whole document: the document element, and the comments and
    /// processing instructions around it, each of those before it followed
    /// by a line feed and each after it preceded by one (C14N 1.0 §2.1).
    fn document(&self, root: Node<'_, '_>, out: &mut String) {
        let mut after = false;
        for child in root.children() {
            if Some(child.id()) == self.skip {
                continue;
            }
            match child.node_type() {
                NodeType::Element => {
                    self.node(child, &BTreeMap::new(), true, out);
                    after = true;
                }
                NodeType::PI | NodeType::Comment
                    if self.comments || child.node_type() == NodeType::PI =>
                {
                    if after {
                        out.push('\n');
                    }
                    self.node(child, &BTreeMap::new(), false, out);
                    if !after {
                        out.push('\n');
                    }
                }
                _ => {}
            }
        }
    }

    /// The element's qualified name as written in the source.
    fn qname(&self, node: Node<'_, '_>) -> &str {
        let range = node.range();
        let tag = self
            .source
            .get(range.start + 1..range.end)
            .unwrap_or_default();
        let end = tag
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(tag.len());
        tag.get(..end).unwrap_or_default()
    }

    fn element(&self, node: Node<'_, '_>, rendered: &Scope, apex: bool, out: &mut String) {
        let qname = self.qname(node);
        let element_prefix = qname.split_once(':').map_or("", |(p, _)| p);
        let in_scope: Scope = node
            .namespaces()
            .filter(|ns| ns.name() != Some("xml"))
            .map(|ns| {
                (
                    ns.name().unwrap_or_default().to_owned(),
                    ns.uri().to_owned(),
                )
            })
            .collect();

        // Attributes, with the prefixes they are written with.
        let mut attributes: Vec<(String, String, String, String)> = node
            .attributes()
            .map(|a| {
                let qname = self
                    .source
                    .get(a.range_qname())
                    .unwrap_or(a.name())
                    .to_owned();
                (
                    a.namespace().unwrap_or_default().to_owned(),
                    a.name().to_owned(),
                    qname,
                    a.value().to_owned(),
                )
            })
            .collect();
        attributes.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));

        // The namespace declarations to write here.
        let mut declarations: Scope = BTreeMap::new();
        match self.method {
            Method::Inclusive => {
                for (prefix, uri) in &in_scope {
                    // An empty default namespace is written only where it
                    // undoes a rendered one (below).
                    let empty_default = prefix.is_empty() && uri.is_empty();
                    if !empty_default && (apex || rendered.get(prefix) != Some(uri)) {
                        declarations.insert(prefix.clone(), uri.clone());
                    }
                }
                let no_default = in_scope.get("").is_none_or(String::is_empty);
                if no_default && rendered.get("").is_some_and(|u| !u.is_empty()) {
                    declarations.insert(String::new(), String::new());
                }
            }
            Method::Exclusive => {
                let mut used = vec![element_prefix.to_owned()];
                used.extend(
                    attributes
                        .iter()
                        .filter_map(|(_, _, qname, _)| {
                            qname.split_once(':').map(|(p, _)| p.to_owned())
                        })
                        .filter(|p| p != "xml"),
                );
                for prefix in used {
                    let uri = in_scope.get(&prefix).cloned().unwrap_or_default();
                    let already = rendered.get(&prefix).cloned().unwrap_or_default();
                    if uri != already {
                        declarations.insert(prefix, uri);
                    }
                }
            }
        }
        let mut scope = match self.method {
            Method::Inclusive => in_scope,
            Method::Exclusive => rendered.clone(),
        };
        scope.extend(declarations.iter().map(|(p, u)| (p.clone(), u.clone())));

        out.push('<');
        out.push_str(qname);
        for (prefix, uri) in &declarations {
            if prefix.is_empty() {
                out.push_str(" xmlns=\"");
            } else {
                out.push_str(" xmlns:");
                out.push_str(prefix);
                out.push_str("=\"");
            }
            escape_attribute(uri, out);
            out.push('"');
        }
        for (_, _, qname, value) in &attributes {
            out.push(' ');
            out.push_str(qname);
            out.push_str("=\"");
            escape_attribute(value, out);
            out.push('"');
        }
        out.push('>');
        for child in node.children() {
            self.node(child, &scope, false, out);
        }
        out.push_str("</");
        out.push_str(qname);
        out.push('>');
    }
}

/// Appends `text` with XML's end-of-line handling (§2.11): `\r\n` and a
/// lone `\r` read as `\n`. The parser applies it to text and attribute
/// values, not to comments and processing instructions.
fn push_line_ends_normalized(text: &str, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, method: Method, comments: bool) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        canonicalize(doc.root(), method, comments, None)
    }

    #[test]
    fn attributes_are_sorted_quoted_and_escaped_and_empty_elements_expanded() {
        let xml = "<e b='2' a=\"x&amp;&lt;&quot;&#9;\" xmlns:z='urn:z' z:c='3'><f/>a&gt;b&#13;</e>";
        assert_eq!(
            c14n(xml, Method::Inclusive, false),
            "<e xmlns:z=\"urn:z\" a=\"x&amp;&lt;&quot;&#x9;\" b=\"2\" z:c=\"3\"><f></f>a&gt;b&#xD;</e>"
        );
    }

    #[test]
    fn inclusive_keeps_declarations_where_they_are_exclusive_moves_them_to_use() {
        let xml = r#"<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u"><b:child>t</b:child></a:root>"#;
        assert_eq!(
            c14n(xml, Method::Inclusive, false),
            r#"<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u"><b:child>t</b:child></a:root>"#
        );
        assert_eq!(
            c14n(xml, Method::Exclusive, false),
            r#"<a:root xmlns:a="urn:a"><b:child xmlns:b="urn:b">t</b:child></a:root>"#
        );
    }

    #[test]
    fn comments_are_kept_only_when_asked() {
        let xml = "<r><!-- note -->x</r>";
        assert_eq!(c14n(xml, Method::Exclusive, true), "<r><!-- note -->x</r>");
        assert_eq!(c14n(xml, Method::Exclusive, false), "<r>x</r>");
    }

    /// Found by `cargo xtask c14n` (lxml): `xmlns=""` where no default
    /// namespace is in scope is superfluous.
    #[test]
    fn an_empty_default_namespace_with_nothing_to_undo_is_left_out() {
        for xml in [r#"<r xmlns=""><c/></r>"#, r#"<r><c xmlns=""/></r>"#] {
            for method in [Method::Inclusive, Method::Exclusive] {
                assert_eq!(
                    c14n(xml, method, false),
                    "<r><c></c></r>",
                    "{xml} {method:?}"
                );
            }
        }
    }

    /// Found by `cargo xtask c14n` (lxml): the document's comments and
    /// processing instructions around the document element are part of it.
    #[test]
    fn comments_and_processing_instructions_around_the_document_element_are_kept() {
        let xml = "<?xml version=\"1.0\"?>\n<!-- a -->\n<?pi x?>\n<r/>\n<!-- b -->\n<?pi y?>\n";
        let doc = roxmltree::Document::parse(xml).unwrap();
        assert_eq!(
            canonicalize(doc.root(), Method::Exclusive, true, None),
            "<!-- a -->\n<?pi x?>\n<r></r>\n<!-- b -->\n<?pi y?>"
        );
        assert_eq!(
            canonicalize(doc.root(), Method::Inclusive, false, None),
            "<?pi x?>\n<r></r>\n<?pi y?>"
        );
    }

    /// Found by `cargo xtask c14n` (lxml): line ends in comments and
    /// processing instructions are read as `\n`, as everywhere else.
    #[test]
    fn line_ends_in_comments_and_processing_instructions_are_normalized() {
        let xml = "<r><!-- a\r\nb\rc --><?pi x\r\ny\rz?></r>";
        assert_eq!(
            c14n(xml, Method::Exclusive, true),
            "<r><!-- a\nb\nc --><?pi x\ny\nz?></r>"
        );
    }

    #[test]
    fn a_default_namespace_is_undeclared_where_an_element_leaves_it() {
        let xml = r#"<r xmlns="urn:d"><c xmlns=""/></r>"#;
        assert_eq!(
            c14n(xml, Method::Inclusive, false),
            r#"<r xmlns="urn:d"><c xmlns=""></c></r>"#
        );
        assert_eq!(
            c14n(xml, Method::Exclusive, false),
            r#"<r xmlns="urn:d"><c xmlns=""></c></r>"#
        );
    }
}
