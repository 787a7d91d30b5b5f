//! The documentation a merchant reads, as a merchant uses it: each provider
//! crate's examples name that crate only (`jawali::Money`, never
//! `payments_core::Money`: a crate that depends on `jawali` alone has no
//! `payments_core` to import), and each publishable crate's docs, built
//! alone, have no broken intra-doc link.

use std::path::Path;

type Result = std::result::Result<(), String>;

/// The provider crates: folder and the name code imports them by.
const PROVIDERS: &[(&str, &str)] = &[
    ("jawali", "jawali"),
    ("paykassma", "paykassma"),
    ("tr-qr-wallet", "tr_qr_wallet"),
    ("allpay-soap", "allpay_soap"),
];

/// Every publishable crate, documented alone.
const PUBLISHED: &[&str] = &[
    "payments-core",
    "jawali",
    "paykassma",
    "tr-qr-wallet",
    "allpay-soap",
    "payments-journal",
];

/// The lines of code examples in `text` (fenced blocks of doc comments, or
/// of a Markdown file) that import from `payments_core` directly: `(line
/// number, line)`.
pub(crate) fn core_imports(text: &str, markdown: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        let body = if markdown {
            line
        } else {
            let trimmed = line.trim_start();
            match trimmed
                .strip_prefix("///")
                .or_else(|| trimmed.strip_prefix("//!"))
            {
                Some(body) => body.strip_prefix(' ').unwrap_or(body),
                None => {
                    fenced = false;
                    continue;
                }
            }
        };
        if body.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced && names_core(body) {
            found.push((n + 1, line.trim().to_owned()));
        }
    }
    found
}

/// Whether `code` names `payments_core::` other than through a crate's
/// re-export (`jawali::payments_core::`).
fn names_core(code: &str) -> bool {
    code.match_indices("payments_core::").any(|(at, _)| {
        !code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// The CI check: examples with one dependency.
pub(crate) fn one_dependency(root: &Path) -> Result {
    let mut found = Vec::new();
    for (folder, name) in PROVIDERS {
        let dir = root.join("crates").join(folder);
        let mut files = Vec::new();
        super::find_files(&dir.join("src"), &mut |path| {
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path.to_path_buf());
            }
        });
        files.push(dir.join("README.md"));
        for file in files {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let markdown = file.extension().is_some_and(|e| e == "md");
            for (line, code) in core_imports(&text, markdown) {
                found.push(format!(
                    "{}:{line}: `{code}` (name `{name}::…`: a merchant depends on `{name}` alone)",
                    file.strip_prefix(root).unwrap_or(&file).display()
                ));
            }
        }
    }
    if found.is_empty() {
        println!("every provider crate's examples name that crate only");
        Ok(())
    } else {
        Err(format!(
            "examples that import payments_core directly:\n  {}",
            found.join("\n  ")
        ))
    }
}

/// The CI check: each publishable crate's docs, built alone with its
/// default features, have no broken intra-doc link.
pub(crate) fn each_crate_alone() -> Result {
    for krate in PUBLISHED {
        super::cargo(
            &["doc", "-p", krate, "--no-deps"],
            &[("RUSTDOCFLAGS", "-D rustdoc::broken_intra_doc_links")],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_direct_core_imports_in_examples_only() {
        let rust = "//! ```\n//! use payments_core::Money;\n//! use jawali::payments_core::wire;\n//! ```\n/// [`Money`](payments_core::Money) in prose\nuse payments_core::Error;\n";
        assert_eq!(
            core_imports(rust, false),
            [(2, "//! use payments_core::Money;".to_owned())]
        );
        let markdown =
            "text payments_core::X\n```rust\nlet m = payments_core::Money::zero(c);\n```\n";
        assert_eq!(core_imports(markdown, true).len(), 1);
    }
}
