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

use std::collections::HashMap;

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
///
/// Iterative, in time linear in the subtree plus the in-scope namespace
/// bindings summed over its elements (which `dsig::parse` bounds): the
/// namespaces rendered so far are one map, changed as an element opens and
/// put back as it closes.
pub(crate) fn canonicalize<'a>(
    apex: Node<'a, 'a>,
    method: Method,
    comments: bool,
    skip: Option<NodeId>,
) -> String {
    let mut walk = Walk {
        method,
        comments,
        skip,
        source: apex.document().input_text(),
        rendered: HashMap::new(),
        undo: Vec::new(),
        out: String::new(),
    };
    if apex.node_type() == NodeType::Root {
        walk.document(apex);
    } else {
        walk.subtree(apex);
    }
    walk.out
}

/// The walk's state: the namespaces rendered in scope (prefix, "" for the
/// default namespace, to URI), and the changes to put back, innermost last.
struct Walk<'a> {
    method: Method,
    comments: bool,
    skip: Option<NodeId>,
    source: &'a str,
    rendered: HashMap<&'a str, &'a str>,
    undo: Vec<(&'a str, Option<&'a str>)>,
    out: String,
}

enum Step<'a> {
    Open(Node<'a, 'a>),
    /// Close the element; put back the scope changes past this mark.
    Close(Node<'a, 'a>, usize),
}

impl<'a> Walk<'a> {
    /// The whole document: the document element, and the comments and
    /// processing instructions around it, each of those before it followed
    /// by a line feed and each after it preceded by one (C14N 1.0 §2.1).
    fn document(&mut self, root: Node<'a, 'a>) {
        let mut after = false;
        for child in root.children() {
            if Some(child.id()) == self.skip {
                continue;
            }
            match child.node_type() {
                NodeType::Element => {
                    self.subtree(child);
                    after = true;
                }
                NodeType::PI | NodeType::Comment
                    if self.comments || child.node_type() == NodeType::PI =>
                {
                    if after {
                        self.out.push('\n');
                    }
                    self.leaf(child);
                    if !after {
                        self.out.push('\n');
                    }
                }
                _ => {}
            }
        }
    }

    /// `apex`'s subtree, without recursion.
    fn subtree(&mut self, apex: Node<'a, 'a>) {
        let mut steps = vec![Step::Open(apex)];
        while let Some(step) = steps.pop() {
            match step {
                Step::Open(node) if Some(node.id()) == self.skip => {}
                Step::Open(node) if node.is_element() => {
                    let mark = self.undo.len();
                    let parent = (node != apex).then(|| node.parent()).flatten();
                    self.open(node, parent);
                    steps.push(Step::Close(node, mark));
                    let first = steps.len();
                    steps.extend(node.children().map(Step::Open));
                    if let Some(children) = steps.get_mut(first..) {
                        children.reverse();
                    }
                }
                Step::Open(node) => self.leaf(node),
                Step::Close(node, mark) => {
                    self.out.push_str("</");
                    self.out.push_str(qname(self.source, node));
                    self.out.push('>');
                    while self.undo.len() > mark {
                        if let Some((prefix, old)) = self.undo.pop() {
                            match old {
                                Some(uri) => self.rendered.insert(prefix, uri),
                                None => self.rendered.remove(prefix),
                            };
                        }
                    }
                }
            }
        }
    }

    /// Text, a comment (when kept) or a processing instruction.
    fn leaf(&mut self, node: Node<'a, 'a>) {
        match node.node_type() {
            NodeType::Text => escape_text(node.text().unwrap_or_default(), &mut self.out),
            NodeType::Comment if self.comments => {
                self.out.push_str("<!--");
                push_line_ends_normalized(node.text().unwrap_or_default(), &mut self.out);
                self.out.push_str("-->");
            }
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    self.out.push_str("<?");
                    self.out.push_str(pi.target);
                    if let Some(value) = pi.value {
                        self.out.push(' ');
                        push_line_ends_normalized(value, &mut self.out);
                    }
                    self.out.push_str("?>");
                }
            }
            _ => {}
        }
    }

    /// Renders `prefix` as bound to `uri` from here on.
    fn bind(&mut self, prefix: &'a str, uri: &'a str) {
        let old = self.rendered.insert(prefix, uri);
        self.undo.push((prefix, old));
    }

    /// An element's start tag; `parent` is `None` at the apex.
    fn open(&mut self, node: Node<'a, 'a>, parent: Option<Node<'a, 'a>>) {
        let qname = qname(self.source, node);
        let source = self.source;

        // Attributes, with the prefixes they are written with.
        let mut attributes: Vec<(&str, &str, &str, &str)> = node
            .attributes()
            .map(|a| {
                (
                    a.namespace().unwrap_or_default(),
                    a.name(),
                    source.get(a.range_qname()).unwrap_or(a.name()),
                    a.value(),
                )
            })
            .collect();
        attributes.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));

        // The namespace declarations to write here, by prefix.
        let mut declarations: Vec<(&'a str, &'a str)> = Vec::new();
        match self.method {
            Method::Inclusive => {
                // What is rendered is the parent's in-scope namespaces: only
                // an element whose in-scope namespaces differ from its
                // parent's can change anything (roxmltree gives the same
                // bindings as the same values).
                let unchanged = parent.is_some_and(|parent| {
                    node.namespaces().len() == parent.namespaces().len()
                        && node
                            .namespaces()
                            .zip(parent.namespaces())
                            .all(|(a, b)| std::ptr::eq(a, b))
                });
                if !unchanged {
                    let mut has_default = false;
                    for ns in node.namespaces() {
                        let prefix = ns.name().unwrap_or_default();
                        let uri = ns.uri();
                        if prefix == "xml" {
                            continue;
                        }
                        has_default |= prefix.is_empty() && !uri.is_empty();
                        if self.rendered.get(prefix) != Some(&uri) {
                            // An empty default namespace is written only
                            // where it undoes a rendered one.
                            let undoes = self.rendered.get("").is_some_and(|u| !u.is_empty());
                            if !(prefix.is_empty() && uri.is_empty()) || undoes {
                                declarations.push((prefix, uri));
                            }
                            self.bind(prefix, uri);
                        }
                    }
                    if !has_default && self.rendered.get("").is_some_and(|u| !u.is_empty()) {
                        declarations.push(("", ""));
                        self.bind("", "");
                    }
                }
            }
            Method::Exclusive => {
                let mut used: Vec<(&'a str, &'a str)> = Vec::with_capacity(1 + attributes.len());
                used.push((
                    qname.split_once(':').map_or("", |(p, _)| p),
                    node.tag_name().namespace().unwrap_or_default(),
                ));
                for attribute in node.attributes() {
                    let written = source.get(attribute.range_qname()).unwrap_or_default();
                    if let Some((prefix, _)) = written.split_once(':')
                        && prefix != "xml"
                    {
                        used.push((prefix, attribute.namespace().unwrap_or_default()));
                    }
                }
                for (prefix, uri) in used {
                    let already = self.rendered.get(prefix).copied().unwrap_or_default();
                    if uri != already {
                        declarations.push((prefix, uri));
                        self.bind(prefix, uri);
                    }
                }
            }
        }
        declarations.sort_unstable_by(|x, y| x.0.cmp(y.0));

        self.out.push('<');
        self.out.push_str(qname);
        for (prefix, uri) in &declarations {
            if prefix.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(prefix);
                self.out.push_str("=\"");
            }
            escape_attribute(uri, &mut self.out);
            self.out.push('"');
        }
        for (_, _, qname, value) in &attributes {
            self.out.push(' ');
            self.out.push_str(qname);
            self.out.push_str("=\"");
            escape_attribute(value, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
    }
}

/// The element's qualified name as written in the source.
fn qname<'s>(source: &'s str, node: Node<'_, '_>) -> &'s str {
    let range = node.range();
    let tag = source.get(range.start + 1..range.end).unwrap_or_default();
    let end = tag
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(tag.len());
    tag.get(..end).unwrap_or_default()
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
