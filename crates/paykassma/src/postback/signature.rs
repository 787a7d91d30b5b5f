//! The postback signature: the keys, the verifier and the signer.

use std::fmt;

use md5::Md5;
use payments_core::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::PostbackError;
use super::php_json;
use super::transaction::{PostbackLayout, VerifiedPostback, transaction};

/// The two postback keys from the merchant's Paykassma settings.
#[derive(Clone)]
pub struct PostbackKeys {
    /// The postback access key.
    pub access_key: SecretString,
    /// The postback private access key.
    pub private_key: SecretString,
}

impl PostbackKeys {
    /// The keys.
    pub fn new(access_key: SecretString, private_key: SecretString) -> Self {
        PostbackKeys {
            access_key,
            private_key,
        }
    }

    /// `sha1(access_key . private_key . md5(signed_json))` in lowercase hex.
    fn signature(&self, signed_json: &str) -> String {
        let md5 = hex::encode(Md5::digest(signed_json.as_bytes()));
        let mut sha = Sha1::new();
        sha.update(self.access_key.expose_secret().as_bytes());
        sha.update(self.private_key.expose_secret().as_bytes());
        sha.update(md5.as_bytes());
        hex::encode(sha.finalize())
    }
}

impl fmt::Debug for PostbackKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PostbackKeys([REDACTED])")
    }
}
/// Checks postback signatures. Cheap to clone; keeps the keys secret.
#[derive(Debug, Clone)]
pub struct PostbackVerifier {
    keys: PostbackKeys,
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default, borrow)]
    access_key: Option<&'a RawValue>,
    #[serde(default, borrow)]
    signature: Option<&'a RawValue>,
    #[serde(default, borrow)]
    transactions: Option<&'a RawValue>,
}

impl<'a> Probe<'a> {
    /// The `transactions` of a body in the batch layout: an access key and
    /// an array of transactions. A flat postback may carry a field named
    /// `transactions` of its own. The verifier and the signer both ask this.
    fn batch(&self) -> Option<&'a RawValue> {
        self.transactions
            .filter(|raw| raw.get().starts_with('[') && self.access_key.is_some())
    }
}

impl PostbackVerifier {
    /// A verifier for `keys`.
    pub fn new(keys: PostbackKeys) -> Self {
        PostbackVerifier { keys }
    }

    /// Verifies `raw_body` and reads its transactions. Verification is all it
    /// does: de-duplicating and crediting are the caller's.
    ///
    /// # Errors
    ///
    /// [`PostbackError`]: malformed body, missing or bad signature.
    pub fn verify(&self, raw_body: &[u8]) -> Result<VerifiedPostback, PostbackError> {
        let text = std::str::from_utf8(raw_body)
            .map_err(|_| PostbackError::Malformed("not UTF-8".to_owned()))?;
        // Before anything else, and before the signature: a member named
        // twice, a number no double carries exactly and nesting past
        // serde_json's limit are refused in one linear pass, so what follows
        // never meets them (PHP's `json_encode` writes none of them).
        payments_core::wire::check_json(raw_body)
            .map_err(|e| PostbackError::Malformed(e.to_string()))?;
        let probe: Probe<'_> = serde_json::from_str(text)
            .map_err(|e| PostbackError::Malformed(format!("not a JSON object: {e}")))?;
        let signature: String = match probe.signature {
            Some(raw) => {
                serde_json::from_str(raw.get()).map_err(|_| PostbackError::MissingSignature)?
            }
            None => return Err(PostbackError::MissingSignature),
        };
        if signature.trim().is_empty() {
            return Err(PostbackError::MissingSignature);
        }
        let batch = probe.batch();
        let (layout, signed) = match batch {
            Some(transactions) => {
                // The batch layout names the access key outside the signed
                // data: it must be ours, or the envelope was tampered with.
                let access_key: Option<String> = probe
                    .access_key
                    .and_then(|raw| serde_json::from_str(raw.get()).ok());
                let ours = self.keys.access_key.expose_secret().as_bytes();
                if !access_key.is_some_and(|key| bool::from(key.as_bytes().ct_eq(ours))) {
                    return Err(PostbackError::BadSignature);
                }
                (
                    PostbackLayout::Batch,
                    php_json::recompact(transactions.get(), None),
                )
            }
            None => (
                PostbackLayout::Flat,
                php_json::recompact(text, Some("signature")),
            ),
        };
        let signed = signed.map_err(|e| PostbackError::Malformed(e.0))?;
        let expected = self.keys.signature(&signed);
        // Exact comparison: PHP's sha1() is lowercase hex.
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(PostbackError::BadSignature);
        }
        let transactions = match layout {
            PostbackLayout::Batch => {
                let items: Vec<serde_json::Map<String, serde_json::Value>> = batch
                    .map(|t| serde_json::from_str(t.get()))
                    .transpose()
                    .map_err(|e| PostbackError::Malformed(format!("transactions: {e}")))?
                    .unwrap_or_default();
                items
                    .into_iter()
                    .map(transaction)
                    .collect::<Result<_, _>>()?
            }
            PostbackLayout::Flat => {
                let mut fields: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(text)
                        .map_err(|e| PostbackError::Malformed(e.to_string()))?;
                fields.remove("signature");
                vec![transaction(fields)?]
            }
        };
        Ok(VerifiedPostback {
            layout,
            transactions,
        })
    }
}
/// Signs postbacks exactly like Paykassma: for tests of a merchant's
/// endpoint, and for the sandbox.
#[derive(Debug, Clone)]
pub struct PostbackSigner {
    keys: PostbackKeys,
}

impl PostbackSigner {
    /// A signer for `keys`.
    pub fn new(keys: PostbackKeys) -> Self {
        PostbackSigner { keys }
    }

    /// A flat-layout body: `fields` (a JSON object) with its `signature`
    /// appended, written as PHP's `json_encode` writes it (numbers included:
    /// `1e20` is `1.0e+20`, `2.50` is `2.5`).
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `fields` is not an object, or has both
    /// an `access_key` and a `transactions` array (which is the batch layout).
    pub fn sign_flat(&self, fields: &serde_json::Value) -> Result<String, PostbackError> {
        if !fields.is_object() {
            return Err(PostbackError::Malformed(
                "fields must be a JSON object".to_owned(),
            ));
        }
        let text = php_json::encode(fields);
        let reads_as_batch = serde_json::from_str::<Probe<'_>>(&text)
            .ok()
            .and_then(|probe| probe.batch())
            .is_some();
        if reads_as_batch {
            return Err(PostbackError::Malformed(
                "fields with an access_key and a transactions array read as the batch layout"
                    .to_owned(),
            ));
        }
        self.sign_flat_text(&text)
    }

    /// As [`sign_flat`](Self::sign_flat), from JSON text: member order and
    /// number spellings (`500.50`) are kept as written.
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `fields` is not a JSON object.
    pub fn sign_flat_text(&self, fields: &str) -> Result<String, PostbackError> {
        if !fields.trim_start().starts_with('{') {
            return Err(PostbackError::Malformed(
                "fields must be a JSON object".to_owned(),
            ));
        }
        let signed = php_json::recompact(fields, Some("signature"))
            .map_err(|e| PostbackError::Malformed(e.0))?;
        let signature = self.keys.signature(&signed);
        // Append the signature member to the compact object.
        let mut body = signed;
        body.pop();
        if body.len() > 1 {
            body.push(',');
        }
        body.push_str("\"signature\":");
        php_json::write_string(&mut body, &signature);
        body.push('}');
        Ok(body)
    }

    /// An older-layout body: `{"access_key": …, "signature": …, "transactions": […]}`,
    /// written as PHP's `json_encode` writes it.
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `transactions` is not an array.
    pub fn sign_batch(&self, transactions: &serde_json::Value) -> Result<String, PostbackError> {
        if !transactions.is_array() {
            return Err(PostbackError::Malformed(
                "transactions must be a JSON array".to_owned(),
            ));
        }
        self.sign_batch_text(&php_json::encode(transactions))
    }

    /// As [`sign_batch`](Self::sign_batch), from JSON text.
    ///
    /// # Errors
    ///
    /// [`PostbackError::Malformed`] if `transactions` is not a JSON array.
    pub fn sign_batch_text(&self, transactions: &str) -> Result<String, PostbackError> {
        if !transactions.trim_start().starts_with('[') {
            return Err(PostbackError::Malformed(
                "transactions must be a JSON array".to_owned(),
            ));
        }
        let signed =
            php_json::recompact(transactions, None).map_err(|e| PostbackError::Malformed(e.0))?;
        let signature = self.keys.signature(&signed);
        let mut body = String::from("{\"access_key\":");
        php_json::write_string(&mut body, self.keys.access_key.expose_secret());
        body.push_str(",\"signature\":");
        php_json::write_string(&mut body, &signature);
        body.push_str(",\"transactions\":");
        body.push_str(&signed);
        body.push('}');
        Ok(body)
    }
}
