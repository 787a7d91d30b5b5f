//! `cargo xtask codegen [--check]`: generates the Allpay SOAP bindings
//! (`crates/allpay-soap/src/generated.rs`) from the crate's XSD and WSDL files.
//!
//! It reads the subset of XML Schema those files use — named simple types
//! (restrictions, with or without enumerations), named complex types with a
//! `sequence` of elements (`minOccurs` 0 or 1, `maxOccurs` 1), and
//! document/literal WSDL operations whose elements wrap one child — and fails
//! loudly on anything else.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use roxmltree::{Document, Node};

const XS: &str = "http://www.w3.org/2001/XMLSchema";
const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const WSDL_SOAP: &str = "http://schemas.xmlsoap.org/wsdl/soap/";

/// The services: (module name, WSDL file).
const SERVICES: &[(&str, &str)] = &[
    ("cash_in", "cash-in-transaction-management-1.1.wsdl"),
    ("transaction_management", "transaction-management-1.1.wsdl"),
];

type Result<T = ()> = std::result::Result<T, String>;

pub(crate) fn run(root: &Path, check: bool) -> Result {
    let crate_dir = root.join("crates/allpay-soap");
    let generated = generate(&crate_dir.join("wsdl"))?;
    let formatted = rustfmt(&generated)?;
    let target = crate_dir.join("src/generated.rs");
    if check {
        let current = std::fs::read_to_string(&target).unwrap_or_default();
        if current != formatted {
            return Err(format!(
                "{} is out of date with the WSDL: run `cargo xtask codegen`",
                target.display()
            ));
        }
        println!("codegen: {} is up to date", target.display());
    } else {
        std::fs::write(&target, formatted)
            .map_err(|e| format!("write {}: {e}", target.display()))?;
        println!("codegen: wrote {}", target.display());
    }
    Ok(())
}

fn rustfmt(code: &str) -> Result<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(code.as_bytes())
            .map_err(|e| format!("rustfmt: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))
}

fn parse(text: &str) -> Result<Document<'_>> {
    Document::parse(text).map_err(|e| format!("XML: {e}"))
}

fn attr<'a>(node: Node<'a, '_>, name: &str) -> Result<&'a str> {
    node.attribute(name)
        .ok_or_else(|| format!("<{}> without `{name}`", node.tag_name().name()))
}

/// `checkUserRequest` → `CheckUserRequest`.
fn pascal(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c == '_' || c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `transactionId` → `transaction_id`, `GUID` → `guid`, `IIN` → `iin`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let prev_lower = i > 0 && chars.get(i - 1).is_some_and(|p| p.is_lowercase());
        if c.is_uppercase() && prev_lower {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    if out == "return" || out == "type" {
        out.push('_');
    }
    out
}

/// Simple types without enumerations, by name: the primitive they stand
/// for. yaserde recognises primitives by their written name, so fields use
/// the primitive itself, not an alias.
type Aliases = std::collections::BTreeMap<String, String>;

/// The Rust type of an XSD type reference.
fn rust_type(reference: &str, aliases: &Aliases) -> Result<String> {
    let (prefix, local) = reference.split_once(':').unwrap_or(("", reference));
    if prefix != "xs"
        && let Some(primitive) = aliases.get(local).cloned()
    {
        return Ok(primitive);
    }
    Ok(match (prefix, local) {
        ("xs", "string" | "token" | "dateTime") => "String".to_owned(),
        ("xs", "boolean") => "bool".to_owned(),
        ("xs", "integer") => "i64".to_owned(),
        ("xs", "nonNegativeInteger") => "u64".to_owned(),
        ("xs", other) => return Err(format!("unsupported XSD type xs:{other}")),
        (_, local) => pascal(local),
    })
}

fn generate(dir: &Path) -> Result<String> {
    let mut out = String::from(
        "//! Allpay SOAP bindings.\n//!\n//! GENERATED by `cargo xtask codegen` from `wsdl/*.xsd` and `wsdl/*.wsdl`: do\n//! not edit. `cargo xtask codegen --check` (part of `cargo xtask ci`) fails\n//! when this file and the WSDL disagree. Crate-private: not public API.\n//!\n//! yaserde writes requests (and the sandbox's answers); answers are read\n//! only by the `read` functions here, over the one roxmltree tree whose\n//! signature was checked, each field at the place the schema puts it\n//! (`crate::read`).\n#![allow(missing_docs, unreachable_pub, dead_code, clippy::all)]\n\nuse roxmltree::Node;\nuse yaserde::YaSerialize;\n\nuse crate::read::{self, ReadError};\n\n",
    );
    let types_text = read(&dir.join("allpay-types.xsd"))?;
    let types = parse(&types_text)?;
    let schema = types.root_element();
    let mut aliases = Aliases::new();
    for node in schema.children().filter(Node::is_element) {
        match node.tag_name().name() {
            "simpleType" => simple_type(node, &mut aliases, &mut out)?,
            "complexType" => complex_type(node, &aliases, &mut out)?,
            other => {
                return Err(format!(
                    "unsupported top-level xs:{other} in allpay-types.xsd"
                ));
            }
        }
    }
    for (module, file) in SERVICES {
        let text = read(&dir.join(file))?;
        service(module, &parse(&text)?, &aliases, &mut out)?;
    }
    Ok(out)
}

fn simple_type(node: Node<'_, '_>, aliases: &mut Aliases, out: &mut String) -> Result {
    let name = attr(node, "name")?;
    let restriction = node
        .children()
        .find(|n| n.has_tag_name((XS, "restriction")))
        .ok_or_else(|| format!("simpleType {name}: only restrictions are supported"))?;
    let base = attr(restriction, "base")?;
    let values: Vec<&str> = restriction
        .children()
        .filter(|n| n.has_tag_name((XS, "enumeration")))
        .map(|n| attr(n, "value"))
        .collect::<Result<_>>()?;
    let rust = pascal(name);
    if values.is_empty() {
        // An `xs:decimal` is kept as its text and converted exactly by the client.
        let primitive = match base {
            "xs:decimal" => "String".to_owned(),
            other => rust_type(other, aliases)?,
        };
        aliases.insert(name.to_owned(), primitive);
        return Ok(());
    }
    // Never a Rust enum: an unknown value must be kept, not mapped to a default.
    let _ = writeln!(
        out,
        "/// `{name}`: {}. Kept as text, so a value not listed here survives.\n#[derive(Debug, Clone, Default, PartialEq, Eq, YaSerialize)]\npub struct {rust} {{\n    #[yaserde(text = true)]\n    pub value: String,\n}}\n\nimpl {rust} {{\n    /// Reads the value: text only.\n    pub fn read(node: Node<'_, '_>) -> Result<Self, ReadError> {{\n        Ok({rust} {{ value: read::string(node)? }})\n    }}\n",
        values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for value in &values {
        let constant = value.to_uppercase();
        let _ = writeln!(
            out,
            "    /// `{value}`.\n    pub const {constant}: &'static str = \"{value}\";"
        );
    }
    let _ = writeln!(
        out,
        "    /// A value.\n    pub fn new(value: impl Into<String>) -> Self {{\n        {rust} {{ value: value.into() }}\n    }}\n}}\n"
    );
    Ok(())
}

fn complex_type(node: Node<'_, '_>, aliases: &Aliases, out: &mut String) -> Result {
    let name = attr(node, "name")?;
    let mut children = node.children().filter(Node::is_element);
    let sequence = match (children.next(), children.next()) {
        (Some(s), None) if s.has_tag_name((XS, "sequence")) => s,
        _ => {
            return Err(format!(
                "complexType {name}: exactly one xs:sequence is supported"
            ));
        }
    };
    let rust = pascal(name);
    let _ = writeln!(
        out,
        "/// `{name}`.\n#[derive(Debug, Clone, Default, PartialEq, YaSerialize)]\npub struct {rust} {{"
    );
    // (XML name, Rust field, Rust type, optional)
    let mut fields: Vec<(String, String, String, bool)> = Vec::new();
    for element in sequence.children().filter(Node::is_element) {
        if !element.has_tag_name((XS, "element")) {
            return Err(format!("complexType {name}: only xs:element in sequences"));
        }
        let field = attr(element, "name")?;
        let ty = rust_type(attr(element, "type")?, aliases)?;
        if element.attribute("maxOccurs").is_some_and(|m| m != "1") {
            return Err(format!(
                "{name}.{field}: maxOccurs other than 1 is not supported"
            ));
        }
        let optional = match element.attribute("minOccurs") {
            None | Some("1") => false,
            Some("0") => true,
            Some(other) => {
                return Err(format!(
                    "{name}.{field}: minOccurs {other} is not supported"
                ));
            }
        };
        let declared = if optional {
            format!("Option<{ty}>")
        } else {
            ty.clone()
        };
        let _ = writeln!(
            out,
            "    /// `{field}`.\n    #[yaserde(rename = \"{field}\")]\n    pub {}: {declared},",
            snake(field)
        );
        fields.push((field.to_owned(), snake(field), ty, optional));
    }
    out.push_str("}\n\n");
    reader(&rust, name, &fields, out);
    Ok(())
}

/// The expression that reads a value of Rust type `ty` from `child`.
fn read_value(ty: &str) -> String {
    match ty {
        "String" => "read::string(child)?".to_owned(),
        "bool" => "read::boolean(child)?".to_owned(),
        "i64" => "read::integer(child)?".to_owned(),
        "u64" => "read::unsigned(child)?".to_owned(),
        other => format!("{other}::read(child)?"),
    }
}

/// A complex type's reader: its element children, unqualified, each at
/// most once; text only where the schema puts elements refused; unknown
/// children skipped (the crate reads newer answers); a required child
/// missing refused.
fn reader(rust: &str, name: &str, fields: &[(String, String, String, bool)], out: &mut String) {
    let _ = writeln!(
        out,
        "impl {rust} {{\n    /// Reads a `{name}` from `node`: each child where the schema puts it, once.\n    pub fn read(node: Node<'_, '_>) -> Result<Self, ReadError> {{"
    );
    for (_, field, ty, _) in fields {
        let _ = writeln!(out, "        let mut {field}: Option<{ty}> = None;");
    }
    out.push_str("        for child in read::elements(node)? {\n            match read::unqualified(child) {\n");
    for (xml, field, ty, _) in fields {
        let _ = writeln!(
            out,
            "                Some(\"{xml}\") => read::once(&mut {field}, \"{xml}\", {})?,",
            read_value(ty)
        );
    }
    out.push_str("                _ => {}\n            }\n        }\n");
    let _ = writeln!(out, "        Ok({rust} {{");
    for (xml, field, _, optional) in fields {
        if *optional {
            let _ = writeln!(out, "            {field},");
        } else {
            let _ = writeln!(
                out,
                "            {field}: read::required({field}, \"{name}\", \"{xml}\")?,"
            );
        }
    }
    out.push_str("        })\n    }\n}\n\n");
}

struct Operation {
    name: String,
    child: String,
    child_type: String,
    result_type: String,
    action: String,
}

fn service(module: &str, wsdl: &Document<'_>, aliases: &Aliases, out: &mut String) -> Result {
    let definitions = wsdl.root_element();
    let namespace = attr(definitions, "targetNamespace")?;
    let service_name = attr(definitions, "name")?;
    let schema = definitions
        .descendants()
        .find(|n| n.has_tag_name((XS, "schema")))
        .ok_or("WSDL without an inline schema")?;
    let wrapped = |element: Node<'_, '_>| -> Result<(String, String)> {
        let inner = element
            .descendants()
            .skip(1)
            .filter(|n| n.has_tag_name((XS, "element")))
            .collect::<Vec<_>>();
        match inner.as_slice() {
            [one] => {
                let ty = rust_type(attr(*one, "type")?, aliases)?;
                // Shared types live in the parent module; a wrapper may share their name.
                let ty = if ty.starts_with(char::is_uppercase) && ty != "String" {
                    format!("super::{ty}")
                } else {
                    ty
                };
                Ok((attr(*one, "name")?.to_owned(), ty))
            }
            _ => Err(format!(
                "element {}: exactly one wrapped element is supported",
                attr(element, "name")?
            )),
        }
    };
    let mut operations = Vec::new();
    for binding_op in definitions.descendants().filter(|n| {
        n.has_tag_name((WSDL, "operation"))
            && n.parent()
                .is_some_and(|p| p.has_tag_name((WSDL, "binding")))
    }) {
        let name = attr(binding_op, "name")?;
        let action = binding_op
            .children()
            .find(|n| n.has_tag_name((WSDL_SOAP, "operation")))
            .map(|n| attr(n, "soapAction"))
            .transpose()?
            .ok_or_else(|| format!("operation {name} without soap:operation"))?;
        let element = |wanted: &str| {
            schema
                .children()
                .find(|n| n.has_tag_name((XS, "element")) && n.attribute("name") == Some(wanted))
                .ok_or_else(|| format!("no element {wanted}"))
        };
        let (child, child_type) = wrapped(element(name)?)?;
        let (result, result_type) = wrapped(element(&format!("{name}Response"))?)?;
        if result != "return" {
            return Err(format!("{name}Response must wrap `return`"));
        }
        operations.push(Operation {
            name: name.to_owned(),
            child,
            child_type,
            result_type,
            action: action.to_owned(),
        });
    }
    let _ = writeln!(
        out,
        "/// The `{service_name}/1.1` service.\npub mod {module} {{\n    use roxmltree::Node;\n    use yaserde::YaSerialize;\n\n    use crate::read::{{self, Answer, ReadError}};\n\n    /// The service's namespace.\n    pub const NAMESPACE: &str = \"{namespace}\";\n\n    /// Its operations and their `SOAPAction`s.\n    pub const OPERATIONS: &[(&str, &str)] = &[{}];\n",
        operations
            .iter()
            .map(|o| format!("(\"{}\", \"{}\")", o.name, o.action))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for op in &operations {
        let rust = pascal(&op.name);
        let ns = format!("namespaces = {{ \"ns\" = \"{namespace}\" }}");
        let _ = writeln!(
            out,
            "    /// The `{name}` request element.\n    #[derive(Debug, Clone, Default, PartialEq, YaSerialize)]\n    #[yaserde(rename = \"{name}\", prefix = \"ns\", {ns})]\n    pub struct {rust} {{\n        /// `{child}`.\n        #[yaserde(rename = \"{child}\")]\n        pub request: {child_type},\n    }}\n\n    /// The `{name}Response` element.\n    #[derive(Debug, Clone, Default, PartialEq, YaSerialize)]\n    #[yaserde(rename = \"{name}Response\", prefix = \"ns\", {ns})]\n    pub struct {rust}Response {{\n        /// `return`.\n        #[yaserde(rename = \"return\")]\n        pub result: {result_type},\n    }}\n\n    impl {rust}Response {{\n        /// Reads the `{name}Response` element `node`: its one `return`.\n        pub fn read(node: Node<'_, '_>) -> Result<Self, ReadError> {{\n            let mut result: Option<{result_type}> = None;\n            for child in read::elements(node)? {{\n                if read::unqualified(child) == Some(\"return\") {{\n                    read::once(&mut result, \"return\", {read_result})?;\n                }}\n            }}\n            Ok({rust}Response {{ result: read::required(result, \"{name}Response\", \"return\")? }})\n        }}\n    }}\n\n    /// A SOAP Body carrying `{name}`.\n    #[derive(Debug, Clone, Default, PartialEq, YaSerialize)]\n    pub struct {rust}Body {{\n        /// The operation element.\n        #[yaserde(rename = \"{name}\", prefix = \"ns\", {ns})]\n        pub operation: {rust},\n    }}\n\n    /// A SOAP Body answering `{name}`: the response or a Fault, as the\n    /// sandbox writes it.\n    #[derive(Debug, Clone, Default, PartialEq, YaSerialize)]\n    #[yaserde(namespaces = {{ \"ns\" = \"{namespace}\", \"soapenv\" = \"http://schemas.xmlsoap.org/soap/envelope/\" }})]\n    pub struct {rust}ResponseBody {{\n        /// The response element.\n        #[yaserde(rename = \"{name}Response\", prefix = \"ns\")]\n        pub response: Option<{rust}Response>,\n        /// A SOAP Fault.\n        #[yaserde(rename = \"Fault\", prefix = \"soapenv\")]\n        pub fault: Option<crate::soap::Fault>,\n    }}\n\n    impl {rust}ResponseBody {{\n        /// Reads the Body's one element `node`: `{name}Response` in the\n        /// service's namespace, or a SOAP Fault.\n        pub fn read(node: Node<'_, '_>) -> Result<Answer<{rust}Response>, ReadError> {{\n            if node.has_tag_name((NAMESPACE, \"{name}Response\")) {{\n                return {rust}Response::read(node).map(Answer::Response);\n            }}\n            read::fault(node).map(Answer::Fault)\n        }}\n    }}\n",
            name = op.name,
            child = op.child,
            child_type = op.child_type,
            result_type = op.result_type,
            read_result = read_value(&op.result_type),
            namespace = namespace,
        );
    }
    out.push_str("}\n\n");
    Ok(())
}
