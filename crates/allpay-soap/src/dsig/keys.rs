//! The keys: the merchant's private key that signs, and a public key —
//! PEM, PKCS#1 or an X.509 certificate's — that verifies.

use rsa::pkcs1v15;
use sha1::Sha1;

use super::SignatureError;

/// The merchant's RSA private key, for signing requests.
#[derive(Clone)]
pub struct SigningKey(pub(super) pkcs1v15::SigningKey<Sha1>);

impl SigningKey {
    /// Reads a PEM private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    ///
    /// # Errors
    ///
    /// [`SignatureError::Key`] when it is neither.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|_| {
                SignatureError::Key("not a PEM RSA private key (PKCS#1 or PKCS#8)".to_owned())
            })?;
        Ok(SigningKey(pkcs1v15::SigningKey::new(key)))
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([REDACTED])")
    }
}

/// An RSA public key, for verifying signatures.
#[derive(Clone, Debug)]
pub struct VerifyingKey(pub(super) pkcs1v15::VerifyingKey<Sha1>);

impl VerifyingKey {
    /// Reads a PEM public key: `PUBLIC KEY` (SubjectPublicKeyInfo), PKCS#1
    /// `RSA PUBLIC KEY`, or an X.509 `CERTIFICATE` — Java shops hand out
    /// certificates — whose subject key is taken (the certificate's validity
    /// and issuer are not checked: the key is pinned by configuration).
    ///
    /// # Errors
    ///
    /// [`SignatureError::Key`] when it is none of them, or not RSA.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        if pem.contains("-----BEGIN CERTIFICATE-----") {
            return Self::from_certificate_pem(pem);
        }
        let key = rsa::RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|_| SignatureError::Key("not a PEM RSA public key".to_owned()))?;
        Ok(VerifyingKey(pkcs1v15::VerifyingKey::new(key)))
    }

    fn from_certificate_pem(pem: &str) -> Result<Self, SignatureError> {
        use base64::Engine as _;
        use rsa::pkcs8::DecodePublicKey;
        use x509_cert::der::{Decode, Encode};
        // The PEM armour is read here and the DER handed to `x509-cert`: its
        // own PEM reader (der 0.7) never returns on a truncated certificate.
        let body: String = pem
            .trim()
            .strip_prefix("-----BEGIN CERTIFICATE-----")
            .and_then(|rest| rest.split("-----END CERTIFICATE-----").next())
            .ok_or_else(|| SignatureError::Key("not a PEM X.509 certificate".to_owned()))?
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| SignatureError::Key(format!("certificate base64: {e}")))?;
        let certificate = x509_cert::Certificate::from_der(&der)
            .map_err(|e| SignatureError::Key(format!("not an X.509 certificate: {e}")))?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| SignatureError::Key(format!("certificate key: {e}")))?;
        let key = rsa::RsaPublicKey::from_public_key_der(&spki)
            .map_err(|_| SignatureError::Key("the certificate's key is not RSA".to_owned()))?;
        Ok(VerifyingKey(pkcs1v15::VerifyingKey::new(key)))
    }
}
