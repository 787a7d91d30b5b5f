//! `cargo xtask c14n`: lxml's (libxml2's) Canonical XML against the Allpay
//! crate's, inclusive and exclusive, with and without comments, on
//! generated documents: namespace declarations redeclared and unused,
//! default namespaces declared and undeclared, prefixes on attributes,
//! attributes in any order, `xml:` attributes, comments and processing
//! instructions inside and outside the document element, CDATA sections,
//! character references, whitespace and line ends, Cyrillic text and names.
//!
//! One known difference is left out of the generator: libxml2 writes `&`,
//! `<` and `"` in a namespace URI unescaped, where C14N 1.0 §2.3 processes
//! namespace nodes like attributes (`&amp;`). The crate follows the
//! specification, as Apache Santuario (which signs Allpay's answers) does;
//! libxml2 also refuses non-ASCII namespace URIs, so none are generated.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use allpay_soap::dsig::{Canonicalization, canonicalize};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::{Chars, Result, keep, options, pipe};

const MODES: [(Canonicalization, bool, &str); 4] = [
    (Canonicalization::Inclusive, false, "inclusive"),
    (Canonicalization::Inclusive, true, "inclusive with comments"),
    (Canonicalization::Exclusive, false, "exclusive"),
    (Canonicalization::Exclusive, true, "exclusive with comments"),
];

pub(crate) fn run(root: &Path, args: &[String]) -> Result {
    let (documents, seed) = options(args, "--documents", 2_000)?;
    let python = crate::referee_python()?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let docs: Vec<String> = (0..documents)
        .map(|_| Generator::new(&mut rng).document())
        .collect();
    let mut input = String::new();
    for doc in &docs {
        let _ = writeln!(input, "{}", B64.encode(doc));
    }
    let output = pipe(
        Command::new(&python).arg(root.join("xtask/c14n_lxml.py")),
        input.as_bytes(),
    )?;
    let output = String::from_utf8(output).map_err(|e| e.to_string())?;
    let answers: Vec<&str> = output.lines().collect();
    if answers.len() != docs.len() {
        return Err(format!(
            "lxml answered {} of {} documents",
            answers.len(),
            docs.len()
        ));
    }
    let mut compared = 0;
    for (n, (doc, answer)) in docs.iter().zip(&answers).enumerate() {
        if let Some(error) = answer.strip_prefix('!') {
            let file = keep(root, &format!("c14n-{seed}-{n}.xml"), doc.as_bytes());
            return Err(format!(
                "the generator wrote a document lxml refuses ({error}; seed {seed}, document {n}, in {file})"
            ));
        }
        let forms: Vec<&str> = answer.split(' ').collect();
        for ((method, comments, name), form) in MODES.iter().zip(&forms) {
            let lxml = B64.decode(form).map_err(|e| e.to_string())?;
            let lxml = String::from_utf8(lxml).map_err(|e| e.to_string())?;
            let ours = canonicalize(doc, *method, *comments);
            if ours.as_deref() != Ok(lxml.as_str()) {
                let file = keep(root, &format!("c14n-{seed}-{n}.xml"), doc.as_bytes());
                return Err(format!(
                    "{name} canonicalization differs (seed {seed}, document {n}, in {file}):\n  lxml:  {lxml:?}\n  crate: {ours:?}"
                ));
            }
        }
        compared += 1;
    }
    println!(
        "c14n: {compared} documents byte-identical to lxml in each of the 4 modes ({} comparisons, seed {seed})",
        compared * MODES.len()
    );
    Ok(())
}

/// Namespace prefixes and URIs the generator draws from: few, so that
/// redeclarations and shadowing happen often.
const PREFIXES: &[&str] = &["a", "b", "soapenv", "ns2", "д"];
const URIS: &[&str] = &[
    "urn:a",
    "urn:b",
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1",
    "https://allpay.kz",
    "urn:x-%D0%BF%D1%80",
    "http://x.example/a?b=1;c",
];
const NAMES: &[&str] = &[
    "r",
    "e",
    "header",
    "amount",
    "GUID",
    "сумма",
    "x-y",
    "z.1",
    "_u",
];

struct Generator<'r> {
    rng: &'r mut fastrand::Rng,
    out: String,
}

impl<'r> Generator<'r> {
    fn new(rng: &'r mut fastrand::Rng) -> Self {
        Generator {
            rng,
            out: String::new(),
        }
    }

    fn document(mut self) -> String {
        if self.rng.bool() {
            self.out
                .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            self.newline();
        }
        for _ in 0..self.rng.usize(0..3) {
            self.misc();
            self.newline();
        }
        // The in-scope prefixes: (prefix, URI); "" is the default namespace.
        self.element(0, &[]);
        for _ in 0..self.rng.usize(0..3) {
            self.newline();
            self.misc();
        }
        if self.rng.bool() {
            self.newline();
        }
        self.out
    }

    fn newline(&mut self) {
        let ws = self
            .rng
            .choice(["\n", "\r\n", " ", "\n\n", "\t\n"])
            .unwrap_or("\n");
        self.out.push_str(ws);
    }

    /// A comment or a processing instruction.
    fn misc(&mut self) {
        if self.rng.bool() {
            self.out.push_str("<!--");
            let text = self.text(10);
            // No `--` inside, no `-` at the end.
            let text = text.replace('-', "–");
            self.out.push_str(&text);
            self.out.push_str("-->");
        } else {
            let target = self
                .rng
                .choice(["pi", "xml-stylesheet", "обр", "p-1"])
                .unwrap_or("pi");
            let _ = write!(self.out, "<?{target}");
            if self.rng.bool() {
                let data = self.text(8).replace("?>", "? >");
                let _ = write!(self.out, " {}", data.trim_start());
            }
            self.out.push_str("?>");
        }
    }

    fn element(&mut self, depth: usize, scope: &[(String, String)]) {
        let mut scope = scope.to_vec();
        let mut declarations = Vec::new();
        // Declarations: new, redeclared with the same or another URI, unused.
        for _ in 0..self.rng.usize(0..3) {
            let prefix = if self.rng.u8(0..4) == 0 {
                String::new()
            } else {
                self.rng.choice(PREFIXES).copied().unwrap_or("a").to_owned()
            };
            if declarations
                .iter()
                .any(|(p, _): &(String, String)| *p == prefix)
            {
                continue;
            }
            let uri = if prefix.is_empty() && self.rng.u8(0..3) == 0 {
                // Undeclaring the default namespace.
                String::new()
            } else {
                self.rng.choice(URIS).copied().unwrap_or("urn:a").to_owned()
            };
            declarations.push((prefix.clone(), uri.clone()));
            scope.retain(|(p, _)| *p != prefix);
            scope.push((prefix, uri));
        }
        let bound: Vec<&(String, String)> = scope
            .iter()
            .filter(|(p, u)| !p.is_empty() && !u.is_empty())
            .collect();
        let name = self.rng.choice(NAMES).copied().unwrap_or("e");
        let qname = match self.rng.choice(&bound) {
            Some((prefix, _)) if self.rng.bool() => format!("{prefix}:{name}"),
            _ => name.to_owned(),
        };

        // Attributes: unique by local name, so never two with one expanded name.
        let mut attributes = Vec::new();
        for (prefix, uri) in &declarations {
            if prefix.is_empty() {
                attributes.push(format!("xmlns={}", self.quoted_raw(uri)));
            } else {
                attributes.push(format!("xmlns:{prefix}={}", self.quoted_raw(uri)));
            }
        }
        let mut locals = Vec::new();
        for _ in 0..self.rng.usize(0..4) {
            let local = self
                .rng
                .choice(["id", "b", "a", "lang", "тип", "z"])
                .unwrap_or("id");
            if locals.contains(&local) {
                continue;
            }
            locals.push(local);
            let name = match self.rng.u8(0..4) {
                0 => match self.rng.choice(&bound) {
                    Some((prefix, _)) => format!("{prefix}:{local}"),
                    None => local.to_owned(),
                },
                1 if local == "lang" => "xml:lang".to_owned(),
                _ => local.to_owned(),
            };
            let value = self.attribute_value();
            attributes.push(format!("{name}={value}"));
        }
        self.rng.shuffle(&mut attributes);

        let _ = write!(self.out, "<{qname}");
        for attribute in &attributes {
            let ws = self
                .rng
                .choice([" ", "  ", "\n\t", " \r\n "])
                .unwrap_or(" ");
            self.out.push_str(ws);
            self.out.push_str(attribute);
        }
        let children = if depth > 4 { 0 } else { self.rng.usize(0..5) };
        if children == 0 && self.rng.bool() {
            self.out.push_str("/>");
            return;
        }
        self.out.push('>');
        for _ in 0..children {
            match self.rng.u8(0..10) {
                0..=3 => self.element(depth + 1, &scope),
                4..=6 => self.character_data(),
                7 => {
                    let data = self.text(10).replace("]]>", "]] >");
                    let _ = write!(self.out, "<![CDATA[{data}]]>");
                }
                _ => self.misc(),
            }
        }
        let _ = write!(self.out, "</{qname}>");
    }

    fn text(&mut self, max: usize) -> String {
        (0..self.rng.usize(0..max))
            .map(|_| Chars::any(self.rng))
            .filter(|c| is_xml_char(*c))
            .collect()
    }

    /// Text content, markup escaped in one of its spellings.
    fn character_data(&mut self) {
        let text = self.text(12);
        for c in text.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' if self.rng.bool() => self.out.push_str("&gt;"),
                '>' => self.out.push_str("&#62;"),
                '\r' => self.out.push_str("&#13;"),
                c if self.rng.u8(0..8) == 0 => {
                    if self.rng.bool() {
                        let _ = write!(self.out, "&#{};", u32::from(c));
                    } else {
                        let _ = write!(self.out, "&#x{:X};", u32::from(c));
                    }
                }
                c => self.out.push(c),
            }
        }
        if self.rng.u8(0..6) == 0 {
            // Literal line ends, which every parser reads as `\n`.
            self.out.push_str("\r\n");
        }
    }

    /// A quoted attribute value: `&`, `<` and its quote escaped, other
    /// characters raw or as references (literal tabs and line ends are
    /// normalized to spaces by the parser; references are not).
    fn attribute_value(&mut self) -> String {
        let quote = if self.rng.bool() { '"' } else { '\'' };
        let mut out = String::new();
        out.push(quote);
        for c in self.text(10).chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                c if c == quote => out.push_str(if c == '"' { "&quot;" } else { "&apos;" }),
                '\t' | '\n' | '\r' if self.rng.bool() => {
                    let _ = write!(out, "&#{};", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push(quote);
        out
    }

    /// A namespace URI, quoted (it is written already escaped).
    fn quoted_raw(&mut self, uri: &str) -> String {
        if self.rng.bool() {
            format!("\"{uri}\"")
        } else {
            format!("'{uri}'")
        }
    }
}

/// XML 1.0's `Char`.
fn is_xml_char(c: char) -> bool {
    matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}
