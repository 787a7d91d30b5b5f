//! `cargo xtask dsig`: the Allpay crate's XML-DSig against `xmlsec1`
//! (libxml2 + OpenSSL), both ways, on generated envelopes (every operation
//! of both services, Cyrillic names, amounts, GUIDs, comments, whitespace):
//!
//! 1. envelopes the crate signs (`sign_envelope`) verify with
//!    `xmlsec1 --verify`;
//! 2. templates `xmlsec1 --sign` signs (each of the four SignedInfo
//!    canonicalizations; an explicit C14N transform after the enveloped one,
//!    or none) verify with the crate (`verify_envelope`);
//! 3. either envelope with one byte of its signed content changed is refused
//!    by both;
//! 4. the crate-signed envelope with its Signature moved (to the front of
//!    the Header holding an `Object`, into the Body, after the Body, into a
//!    text value): the crate refuses each, and the run counts how many
//!    `xmlsec1 --verify` accepts — where the crate is stricter (xmlsec1
//!    finds a Signature anywhere, and its digest leaves the Signature's
//!    subtree out wherever it stands).
//!
//! The key pair is a throwaway one made with `openssl` in a scratch folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use allpay_soap::dsig::{SigningKey, VerifyingKey, sign_envelope, verify_envelope};

use super::{Chars, Result, ensure_command, keep, options};
use crate::dsig_fixtures::run as run_checked;

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const C14N_METHODS: [&str; 4] = [
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
];
const SERVICES: [(&str, &[&str]); 2] = [
    (
        "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1",
        &[
            "checkUser",
            "createCashInPayment",
            "createCashInTransaction",
        ],
    ),
    (
        "http://www.allpay.kz/mfs/soap/TransactionManagement/1.1",
        &[
            "completeTransaction",
            "declineTransaction",
            "createCashOutTransaction",
            "getTransactionStatus",
        ],
    ),
];

pub(crate) fn run(root: &Path, args: &[String]) -> Result {
    let (envelopes, seed) = options(args, "--envelopes", 200)?;
    ensure_command("xmlsec1", "xmlsec1")?;
    ensure_command("openssl", "openssl")?;
    let scratch = std::env::temp_dir().join(format!("xtask-dsig-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let result = compare(root, &scratch, envelopes, seed);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn compare(root: &Path, scratch: &Path, envelopes: usize, seed: u64) -> Result {
    let private = scratch.join("key.pem");
    let public = scratch.join("key.pub.pem");
    crate::dsig_fixtures::key_pair(&private, &public)?;
    let read = |path: &Path| std::fs::read_to_string(path).map_err(|e| e.to_string());
    let signing = SigningKey::from_pem(&read(&private)?).map_err(|e| e.to_string())?;
    let verifying = VerifyingKey::from_pem(&read(&public)?).map_err(|e| e.to_string())?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut ours_verified, mut theirs_verified, mut tampered_refused) = (0, 0, 0);
    let mut moved_refused = 0;
    let mut xmlsec1_accepts = std::collections::BTreeMap::new();
    for n in 0..envelopes {
        // 1. The crate signs, xmlsec1 verifies.
        let unsigned = envelope(&mut rng, "");
        let signed = sign_envelope(&unsigned, &signing)
            .map_err(|e| format!("the crate could not sign envelope {n}: {e}\n{unsigned}"))?
            .xml;
        let file = scratch.join("ours.xml");
        std::fs::write(&file, &signed).map_err(|e| e.to_string())?;
        if !xmlsec1_verifies(&public, &file)? {
            let kept = keep(
                root,
                &format!("dsig-{seed}-{n}-crate-signed.xml"),
                signed.as_bytes(),
            );
            return Err(format!(
                "xmlsec1 refuses an envelope the crate signed (seed {seed}, envelope {n}, in {kept})"
            ));
        }
        ours_verified += 1;
        tampered_refused += refuse_tampered(
            root, scratch, &verifying, &public, &signed, &mut rng, seed, n,
        )?;
        for (kind, moved) in moved_signatures(&signed) {
            if verify_envelope(&moved, &verifying).is_ok() {
                let kept = keep(
                    root,
                    &format!("dsig-{seed}-{n}-moved-{kind}.xml"),
                    moved.as_bytes(),
                );
                return Err(format!(
                    "the crate accepts a moved Signature ({kind}; seed {seed}, envelope {n}, in {kept})"
                ));
            }
            let file = scratch.join("moved.xml");
            std::fs::write(&file, &moved).map_err(|e| e.to_string())?;
            moved_refused += 1;
            if xmlsec1_verifies(&public, &file)? {
                *xmlsec1_accepts.entry(kind).or_insert(0usize) += 1;
            }
        }

        // 2. xmlsec1 signs, the crate verifies.
        let method = rng.choice(C14N_METHODS).unwrap_or(C14N_METHODS[3]);
        let transform = match rng.u8(0..3) {
            0 => String::new(),
            _ => format!(
                "<Transform Algorithm=\"{}\"/>",
                rng.choice(C14N_METHODS).unwrap_or(C14N_METHODS[0])
            ),
        };
        let template = format!(
            "<Signature xmlns=\"{DSIG}\"><SignedInfo><CanonicalizationMethod Algorithm=\"{method}\"/><SignatureMethod Algorithm=\"{DSIG}rsa-sha1\"/><Reference URI=\"\"><Transforms><Transform Algorithm=\"{DSIG}enveloped-signature\"/>{transform}</Transforms><DigestMethod Algorithm=\"{DSIG}sha1\"/><DigestValue></DigestValue></Reference></SignedInfo><SignatureValue></SignatureValue></Signature>"
        );
        let template = envelope(&mut rng, &template);
        let input = scratch.join("template.xml");
        let output = scratch.join("theirs.xml");
        std::fs::write(&input, &template).map_err(|e| e.to_string())?;
        run_checked(
            Command::new("xmlsec1")
                .args(["--sign", "--privkey-pem"])
                .arg(&private)
                .arg("--output")
                .arg(&output)
                .arg(&input),
        )?;
        let theirs = read(&output)?;
        if let Err(e) = verify_envelope(&theirs, &verifying) {
            let kept = keep(
                root,
                &format!("dsig-{seed}-{n}-xmlsec1-signed.xml"),
                theirs.as_bytes(),
            );
            return Err(format!(
                "the crate refuses an envelope xmlsec1 signed ({e}; seed {seed}, envelope {n}, in {kept})"
            ));
        }
        theirs_verified += 1;
        tampered_refused += refuse_tampered(
            root, scratch, &verifying, &public, &theirs, &mut rng, seed, n,
        )?;
    }
    println!(
        "dsig: {ours_verified} envelopes signed by the crate verified by xmlsec1, {theirs_verified} signed by xmlsec1 verified by the crate, {tampered_refused} with one byte changed refused by both (seed {seed})"
    );
    println!(
        "dsig: {moved_refused} envelopes with a moved Signature refused by the crate; xmlsec1 accepted, by kind (where the crate is stricter): {xmlsec1_accepts:?}"
    );
    Ok(())
}

/// `signed` with its Signature moved, by kind: to the front of the Header
/// holding an `Object`, first in the Body, after the Body, into the middle
/// of the first text in the Body.
fn moved_signatures(signed: &str) -> Vec<(&'static str, String)> {
    let (Some(start), Some(end)) = (signed.find("<Signature "), signed.find("</Signature>")) else {
        return Vec::new();
    };
    let end = end + "</Signature>".len();
    let signature = &signed[start..end];
    let rest = format!("{}{}", &signed[..start], &signed[end..]);
    let after_open = |name: &str| {
        let at = rest.find(name)?;
        Some(at + rest[at..].find('>')? + 1)
    };
    let mut moved = Vec::new();
    let mut put = |kind: &'static str, at: Option<usize>, what: &str| {
        if let Some(at) = at {
            moved.push((kind, format!("{}{what}{}", &rest[..at], &rest[at..])));
        }
    };
    let with_object = signature.replacen(
        "</Signature>",
        "<Object><requestDsig xmlns=\"https://allpay.kz\">Zm9yZ2Vk</requestDsig></Object></Signature>",
        1,
    );
    put(
        "header-front-with-object",
        after_open(":Header"),
        &with_object,
    );
    put("body-first", after_open(":Body"), signature);
    put(
        "after-body",
        rest.find(":Body>").and_then(|_| {
            let close = rest.rfind("</")?;
            let body_close = rest[..close].rfind("</")?;
            Some(body_close + rest[body_close..].find('>')? + 1)
        }),
        signature,
    );
    let body = rest.find(":Body").unwrap_or(0);
    let text = rest
        .char_indices()
        .skip_while(|(i, _)| *i < body)
        .find(|(i, c)| {
            c.is_ascii_alphanumeric()
                && is_text(&rest, *i)
                && rest[i + 1..].starts_with(|n: char| n.is_ascii_alphanumeric())
        })
        .map(|(i, _)| i + 1);
    put("into-text", text, signature);
    moved
}

/// `signed` with one byte of its signed text changed: both must refuse it.
#[allow(clippy::too_many_arguments)]
fn refuse_tampered(
    root: &Path,
    scratch: &Path,
    verifying: &VerifyingKey,
    public: &Path,
    signed: &str,
    rng: &mut fastrand::Rng,
    seed: u64,
    n: usize,
) -> std::result::Result<usize, String> {
    // A digit or letter of the Body's text, never markup.
    let body = signed.find(":Body").unwrap_or(0);
    let candidates: Vec<usize> = signed
        .char_indices()
        .skip_while(|(i, _)| *i < body)
        .filter(|(i, c)| c.is_ascii_alphanumeric() && is_text(signed, *i))
        .map(|(i, _)| i)
        .collect();
    let Some(&at) = rng.choice(&candidates) else {
        return Ok(0);
    };
    let mut tampered = signed.to_owned();
    let replacement = if &signed[at..=at] == "7" { "8" } else { "7" };
    tampered.replace_range(at..=at, replacement);
    let crate_refuses = verify_envelope(&tampered, verifying).is_err();
    let file = scratch.join("tampered.xml");
    std::fs::write(&file, &tampered).map_err(|e| e.to_string())?;
    let xmlsec1_refuses = !xmlsec1_verifies(public, &file)?;
    if crate_refuses && xmlsec1_refuses {
        Ok(1)
    } else {
        let kept = keep(
            root,
            &format!("dsig-{seed}-{n}-tampered.xml"),
            tampered.as_bytes(),
        );
        Err(format!(
            "a changed envelope was accepted (crate refuses: {crate_refuses}, xmlsec1 refuses: {xmlsec1_refuses}; seed {seed}, envelope {n}, in {kept})"
        ))
    }
}

/// Whether byte `at` of `xml` is in character data (after a `>`, before
/// the next `<`), outside comments and the signature.
fn is_text(xml: &str, at: usize) -> bool {
    let before = &xml[..at];
    let (Some(open), Some(close)) = (before.rfind('<'), before.rfind('>')) else {
        return false;
    };
    close > open
        && !before[open..].starts_with("<!--")
        && !before[open..].starts_with("<?")
        && !before.ends_with("<!-")
        && before
            .rfind("<SignatureValue>")
            .is_none_or(|s| before.rfind("</SignatureValue>").is_some_and(|e| e > s))
        && before
            .rfind("<DigestValue>")
            .is_none_or(|s| before.rfind("</DigestValue>").is_some_and(|e| e > s))
}

fn xmlsec1_verifies(public: &Path, file: &PathBuf) -> std::result::Result<bool, String> {
    let output = Command::new("xmlsec1")
        .args(["--verify", "--pubkey-pem"])
        .arg(public)
        .arg(file)
        .output()
        .map_err(|e| format!("xmlsec1: {e}"))?;
    Ok(output.status.success())
}

/// A random Allpay-like envelope with `signature` (a template, or nothing)
/// in its Header.
fn envelope(rng: &mut fastrand::Rng, signature: &str) -> String {
    let (namespace, operations) = rng.choice(SERVICES).unwrap_or(SERVICES[0]);
    let operation = rng
        .choice(operations.iter())
        .copied()
        .unwrap_or("checkUser");
    let mut body = String::new();
    let _ = write!(
        body,
        "<ns:{operation}><Request><header><lang>{}</lang><timestamp>2026-12-0{}T10:{:02}:00+05:00</timestamp><requester>{}</requester></header>",
        rng.choice(["ru", "kk", "en"]).unwrap_or("ru"),
        rng.u8(1..10),
        rng.u8(0..60),
        text(rng, 12)
    );
    for _ in 0..rng.usize(1..5) {
        match rng.u8(0..5) {
            0 => {
                let _ = write!(
                    body,
                    "<amount>{}.{:02}</amount>",
                    rng.u32(1..10_000_000),
                    rng.u8(0..100)
                );
            }
            1 => {
                let _ = write!(
                    body,
                    "<GUID>{{{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}}}</GUID>",
                    rng.u32(..),
                    rng.u16(..),
                    rng.u16(..0x1000),
                    rng.u16(..0x1000),
                    rng.u64(..1 << 48)
                );
            }
            2 => {
                let _ = write!(body, "<!-- {} -->", text(rng, 10).replace('-', "–"));
            }
            3 => {
                let _ = write!(body, "<fullName>{}</fullName>", text(rng, 20));
            }
            _ => {
                let _ = write!(
                    body,
                    "<userName>7701{:07}</userName>",
                    rng.u32(0..10_000_000)
                );
            }
        }
        if rng.bool() {
            body.push_str(rng.choice(["\n", "\n    ", "\r\n\t"]).unwrap_or("\n"));
        }
    }
    let _ = write!(body, "</Request></ns:{operation}>");
    // Comments and processing instructions around the document element:
    // URI="" signs the processing instructions, not the comments.
    let prolog = match rng.u8(0..5) {
        0 => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        1 => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- sent by the agent -->\n",
        2 => "<?agent build=\"7\"?>\n",
        _ => "",
    };
    format!(
        "{prolog}<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns=\"{namespace}\"><soapenv:Header><certificateNumber xmlns=\"https://allpay.kz\">{}</certificateNumber>{signature}</soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>",
        rng.u16(1..9999)
    )
}

/// Text for element content: `&` and `<` escaped.
fn text(rng: &mut fastrand::Rng, max: usize) -> String {
    let mut out = String::new();
    for _ in 0..rng.usize(1..max) {
        // Cyrillic names, mostly.
        let c = if rng.bool() {
            char::from_u32(rng.u32(0x410..0x450)).unwrap_or('Ж')
        } else {
            Chars::any(rng)
        };
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            c if matches!(u32::from(c), 0x9 | 0xA | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..) => {
                out.push(c);
            }
            _ => {}
        }
    }
    out
}
