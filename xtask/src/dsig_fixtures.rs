//! `cargo xtask dsig-fixtures`: envelopes signed by `xmlsec1`, the
//! independent XML-DSig implementation, for the Allpay crate's hermetic
//! interop test (`crates/allpay-soap/tests/dsig_interop.rs`).
//!
//! A throwaway RSA key pair is made with `openssl`, each envelope template
//! (the enveloped-signature layout Allpay uses: exclusive C14N with
//! comments, RSA-SHA1, SHA-1, `Reference URI=""`) is signed with
//! `xmlsec1 --sign`, and only the signed envelopes and the *public* key are
//! written to `tests/fixtures/xmlsec1/`. The private key never leaves a
//! temporary directory, so no private key is committed or published.

use std::path::Path;
use std::process::Command;

type Result = std::result::Result<(), String>;

const SIGNATURE_TEMPLATE: &str = r##"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/><SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><DigestValue></DigestValue></Reference></SignedInfo><SignatureValue></SignatureValue></Signature>"##;

/// The envelopes: name, service namespace, operation body.
const ENVELOPES: &[(&str, &str, &str)] = &[
    (
        "check-user",
        "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1",
        "<ns:checkUser><CheckUserRequest><header><lang>ru</lang><timestamp>2026-11-23T10:00:00+05:00</timestamp><requester>agent-1</requester></header><userName>77011234567</userName></CheckUserRequest></ns:checkUser>",
    ),
    (
        "cash-in-payment-cyrillic",
        "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1",
        "<ns:createCashInPayment><CashInRequest><header><lang>kk</lang><timestamp>2026-11-23T10:00:00+05:00</timestamp><requester>агент-1</requester></header><toUserName>77011234567</toUserName><amount>1500.50</amount><GUID>{67e55044-10b1-426f-9247-bb680e5fe0c8}</GUID></CashInRequest></ns:createCashInPayment>",
    ),
    (
        "cash-out-with-comment",
        "http://www.allpay.kz/mfs/soap/TransactionManagement/1.1",
        "<ns:createCashOutTransaction><!-- a comment is signed too --><CashOutRequest><header><timestamp>2026-11-23T10:00:00+05:00</timestamp><requester>agent-1</requester></header><fromUserName>77011234567</fromUserName><amount>10</amount><GUID>{11111111-2222-3333-4444-555555555555}</GUID><token>482913</token></CashOutRequest></ns:createCashOutTransaction>",
    ),
];

/// Runs `command`; its standard error in the failure.
pub(crate) fn run(command: &mut Command) -> Result {
    let output = command
        .output()
        .map_err(|e| format!("{:?}: {e}", command.get_program()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A throwaway 1024-bit RSA key pair made with `openssl`: the private key
/// (PKCS#8 PEM) at `private`, its public half at `public`.
pub(crate) fn key_pair(private: &Path, public: &Path) -> Result {
    run(Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
        ])
        .arg(private))?;
    run(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(private)
        .arg("-out")
        .arg(public))
}

pub(crate) fn generate(root: &Path) -> Result {
    let out = root.join("crates/allpay-soap/tests/fixtures/xmlsec1");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let scratch = std::env::temp_dir().join(format!("dsig-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let key = scratch.join("key.pem");
    let result = (|| {
        key_pair(&key, &out.join("xmlsec1-test.pub.pem"))?;
        for (name, namespace, body) in ENVELOPES {
            let template = format!(
                r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="{namespace}"><soapenv:Header><certificateNumber xmlns="https://allpay.kz">42</certificateNumber>{SIGNATURE_TEMPLATE}</soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
            );
            let input = scratch.join(format!("{name}.xml"));
            std::fs::write(&input, template).map_err(|e| e.to_string())?;
            run(Command::new("xmlsec1")
                .args(["--sign", "--privkey-pem"])
                .arg(&key)
                .arg("--output")
                .arg(out.join(format!("{name}.xml")))
                .arg(&input))?;
            println!("dsig-fixtures: signed {name}.xml with xmlsec1");
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}
