//! The journal's key, and the sealing of what a restore needs: each entry's
//! saved state is encrypted and authenticated (XChaCha20-Poly1305, a random
//! 24-byte nonce per write) with associated data that binds it to its scope,
//! its reference and the format's version. A state changed by hand, moved to
//! another entry or sealed with another key does not open.

use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use chacha20poly1305::aead::{Aead, Generate, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;
use zeroize::Zeroizing;

/// How many bytes a [`JournalKey`] has.
const KEY_LEN: usize = 32;

/// How many bytes a sealed state's nonce has (XChaCha20's extended nonce).
const NONCE_LEN: usize = 24;

/// What a sealed state starts with: the format's version. An entry whose
/// state does not start with it was not sealed by this version.
pub(crate) const SEALED_V1: &str = "v1:";

/// The key the journal seals saved payments with: 32 bytes the merchant
/// keeps outside the journal's database (a secret store, an environment
/// variable), as 64 hexadecimal characters.
///
/// Without it the sealed state of open entries cannot be restored: a
/// journal opened with another key is refused
/// ([`JournalError::WrongKey`](crate::JournalError::WrongKey)). Keep it as
/// long as the journal holds open entries; rotating it is not supported yet.
///
/// The key is zeroized when dropped, and never shown by `Debug`.
///
/// ```
/// use payments_core::ExposeSecret;
/// use payments_journal::JournalKey;
///
/// let key = JournalKey::generate()?;
/// // Written where the merchant keeps secrets, read back at start:
/// let again: JournalKey = key.to_hex().expose_secret().parse()?;
/// assert_eq!(format!("{again:?}"), "JournalKey([REDACTED])");
/// # Ok::<(), payments_journal::JournalKeyError>(())
/// ```
pub struct JournalKey(SecretBox<[u8; KEY_LEN]>);

impl JournalKey {
    /// A new random key from the operating system's random generator.
    ///
    /// # Errors
    ///
    /// [`JournalKeyError`] when the operating system's random generator
    /// fails (it does not on the systems the SDK supports).
    pub fn generate() -> Result<Self, JournalKeyError> {
        let mut failed = false;
        let key = SecretBox::init_with_mut(|bytes: &mut [u8; KEY_LEN]| {
            failed = getrandom::fill(bytes).is_err();
        });
        if failed {
            return Err(JournalKeyError(
                "the operating system's random generator failed",
            ));
        }
        Ok(JournalKey(key))
    }

    /// The key written as 64 hexadecimal characters (surrounding whitespace,
    /// such as a file's last line end, is ignored; either case is read).
    ///
    /// # Errors
    ///
    /// [`JournalKeyError`] when `text` is not 64 hexadecimal characters. The
    /// error never repeats any of `text`.
    pub fn from_hex(text: &str) -> Result<Self, JournalKeyError> {
        let text = text.trim();
        if text.len() != 2 * KEY_LEN {
            return Err(JournalKeyError(
                "a journal key is 64 hexadecimal characters (32 bytes)",
            ));
        }
        let mut decoded = Ok(());
        let key = SecretBox::init_with_mut(|bytes: &mut [u8; KEY_LEN]| {
            decoded = hex::decode_to_slice(text, bytes);
        });
        match decoded {
            Ok(()) => Ok(JournalKey(key)),
            Err(_) => Err(JournalKeyError(
                "a journal key is 64 hexadecimal characters (0-9, a-f); this one has another character",
            )),
        }
    }

    /// The key as 64 lowercase hexadecimal characters, to write where the
    /// merchant keeps it.
    pub fn to_hex(&self) -> SecretString {
        SecretString::from(hex::encode(self.0.expose_secret()))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.expose_secret().into())
    }
}

impl Clone for JournalKey {
    fn clone(&self) -> Self {
        JournalKey(SecretBox::init_with_mut(|bytes: &mut [u8; KEY_LEN]| {
            bytes.copy_from_slice(self.0.expose_secret());
        }))
    }
}

impl std::fmt::Debug for JournalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JournalKey([REDACTED])")
    }
}

impl FromStr for JournalKey {
    type Err = JournalKeyError;

    /// As [`JournalKey::from_hex`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JournalKey::from_hex(text)
    }
}

/// A [`JournalKey`] that could not be read or made. Its text never holds
/// any of the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JournalKeyError(&'static str);

impl JournalKeyError {
    pub(crate) fn new(reason: &'static str) -> Self {
        JournalKeyError(reason)
    }
}

/// Why a sealed state does not open: said in an entry's `detail` and in a
/// sweep's report, so it never holds any of the state.
pub(crate) type Unsealable = String;

/// Seals and opens saved states with the journal's key. Not `Debug`: it
/// holds the key (zeroized when dropped).
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
    /// The key of the orders' term digests (HMAC-SHA256 under the journal's
    /// key).
    terms: Hmac<Sha256>,
}

/// What the associated data of an entry's sealed state names, so that it
/// opens for that entry only: scope and reference as JSON strings (no two
/// pairs write the same bytes), and the format's version.
fn entry_binding(scope: &str, reference: &str) -> Vec<u8> {
    let binding = ("payments-journal prepared state", 1u32, scope, reference);
    // Strings and numbers always serialize.
    serde_json::to_vec(&binding).unwrap_or_default()
}

/// The MAC of the orders' term digests: HMAC-SHA256 under a key of its own,
/// derived from the journal's key (HMAC-SHA256 of a label under it), so
/// that no key serves two algorithms.
fn terms_mac(key: &JournalKey) -> Hmac<Sha256> {
    let hmac = |key: &[u8]| {
        // HMAC takes a key of any length.
        <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    };
    let mut derive = hmac(key.0.expose_secret());
    derive.update(b"payments-journal order terms key v1");
    let mut subkey = Zeroizing::new([0u8; 32]);
    subkey.copy_from_slice(&derive.finalize().into_bytes());
    hmac(subkey.as_slice())
}

/// The associated data of the key check.
const KEY_CHECK_BINDING: &[u8] = b"[\"payments-journal key check\",1]";

/// The known text the key check seals.
const KEY_CHECK_TEXT: &[u8] = b"payments-journal";

impl Sealer {
    pub(crate) fn new(key: &JournalKey) -> Self {
        Sealer {
            cipher: key.cipher(),
            terms: terms_mac(key),
        }
    }

    /// The keyed digest of one term of order `order_id` in `scope`: 128 bits
    /// of HMAC-SHA256 under the journal's key, in hexadecimal. Without the
    /// key, a digest tells nothing of the value — not even a short voucher
    /// code, which an unkeyed hash would give away to a search of every
    /// code — and it is bound to its scope, order and field.
    pub(crate) fn term_digest(
        &self,
        scope: &str,
        order_id: &str,
        field: &str,
        value: &str,
    ) -> String {
        let mut mac = self.terms.clone();
        let binding = ("payments-journal order term", 1u32, scope, order_id, field);
        // Strings and numbers always serialize.
        mac.update(&serde_json::to_vec(&binding).unwrap_or_default());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(digest.get(..16).unwrap_or_default())
    }

    /// `state` sealed for the entry `scope`/`reference`: `v1:` and the
    /// nonce followed by the ciphertext and its tag, in base64.
    pub(crate) fn seal(
        &self,
        scope: &str,
        reference: &str,
        state: &[u8],
    ) -> Result<String, &'static str> {
        self.seal_with(&entry_binding(scope, reference), state)
    }

    /// The state sealed for `scope`/`reference`, opened.
    pub(crate) fn open(
        &self,
        scope: &str,
        reference: &str,
        sealed: &str,
    ) -> Result<Zeroizing<Vec<u8>>, Unsealable> {
        if sealed.is_empty() {
            return Err("its saved state was erased".to_owned());
        }
        self.open_with(&entry_binding(scope, reference), sealed)
            .ok_or_else(|| {
                if sealed.starts_with(SEALED_V1) {
                    "its sealed state does not open with this journal's key: changed by hand, \
                     moved from another entry, or sealed with another key"
                        .to_owned()
                } else {
                    "its saved state is not sealed (written by hand, or by an older version \
                     after this journal was sealed): it is not trusted"
                        .to_owned()
                }
            })
    }

    /// The key check's sealed text, written once per journal.
    pub(crate) fn key_check(&self) -> Result<String, &'static str> {
        self.seal_with(KEY_CHECK_BINDING, KEY_CHECK_TEXT)
    }

    /// Whether `sealed` is the key check sealed with this key.
    pub(crate) fn opens_key_check(&self, sealed: &str) -> bool {
        self.open_with(KEY_CHECK_BINDING, sealed)
            .is_some_and(|text| text.as_slice() == KEY_CHECK_TEXT)
    }

    fn seal_with(&self, binding: &[u8], state: &[u8]) -> Result<String, &'static str> {
        let nonce = XNonce::try_generate()
            .map_err(|_| "no nonce: the operating system's random generator failed")?;
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: state,
                    aad: binding,
                },
            )
            .map_err(|_| "the state is too long to seal")?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(format!("{SEALED_V1}{}", BASE64.encode(bytes)))
    }

    fn open_with(&self, binding: &[u8], sealed: &str) -> Option<Zeroizing<Vec<u8>>> {
        let bytes = BASE64.decode(sealed.strip_prefix(SEALED_V1)?).ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(NONCE_LEN)?;
        let nonce = XNonce::try_from(nonce).ok()?;
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: binding,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> JournalKey {
        JournalKey::from_hex(&hex::encode([byte; KEY_LEN])).unwrap()
    }

    #[test]
    fn a_key_reads_back_from_its_hex_and_is_never_shown() {
        let key = JournalKey::generate().unwrap();
        let hex = key.to_hex();
        assert_eq!(hex.expose_secret().len(), 64);
        let again = JournalKey::from_hex(&format!(" {}\n", hex.expose_secret())).unwrap();
        assert_eq!(again.to_hex().expose_secret(), hex.expose_secret());
        let upper = JournalKey::from_hex(&hex.expose_secret().to_uppercase()).unwrap();
        assert_eq!(upper.to_hex().expose_secret(), hex.expose_secret());
        let copy = key.clone();
        assert_eq!(copy.to_hex().expose_secret(), hex.expose_secret());
        assert_eq!(format!("{key:?}"), "JournalKey([REDACTED])");
        assert_ne!(
            JournalKey::generate().unwrap().to_hex().expose_secret(),
            hex.expose_secret(),
            "two generated keys differ"
        );
    }

    #[test]
    fn a_malformed_key_is_refused_without_repeating_it() {
        for text in [
            "",
            "abc",
            &"a".repeat(63),
            &"a".repeat(65),
            &format!("{}zz", "a".repeat(62)),
            &format!("{}é", "a".repeat(62)),
        ] {
            let error = JournalKey::from_hex(text).unwrap_err().to_string();
            assert!(error.contains("64 hexadecimal characters"), "{error}");
        }
        let almost = format!("{}g", "5".repeat(63));
        let error = JournalKey::from_hex(&almost).unwrap_err().to_string();
        assert!(!error.contains("55"), "{error}");
    }

    #[test]
    fn a_sealed_state_opens_for_its_entry_only() {
        let sealer = Sealer::new(&key(7));
        let sealed = sealer
            .seal("jawali", "ref-1", b"{\"voucher\":\"123456\"}")
            .unwrap();
        assert!(sealed.starts_with(SEALED_V1));
        assert!(!sealed.contains("123456"));
        assert_eq!(
            sealer.open("jawali", "ref-1", &sealed).unwrap().as_slice(),
            b"{\"voucher\":\"123456\"}"
        );
        assert_ne!(
            sealer.seal("jawali", "ref-1", b"same").unwrap(),
            sealer.seal("jawali", "ref-1", b"same").unwrap(),
            "a fresh nonce per write"
        );
        for (scope, reference) in [("jawali", "ref-2"), ("jawali/shop-b", "ref-1"), ("", "")] {
            let error = sealer.open(scope, reference, &sealed).unwrap_err();
            assert!(error.contains("does not open"), "{error}");
        }
        // Scope and reference are not run together: "a" + "bc" is not "ab" + "c".
        let joined = sealer.seal("a", "bc", b"x").unwrap();
        assert!(sealer.open("ab", "c", &joined).is_err());
        let other = Sealer::new(&key(8));
        assert!(other.open("jawali", "ref-1", &sealed).is_err());
    }

    #[test]
    fn a_changed_byte_anywhere_in_a_sealed_state_is_refused() {
        let sealer = Sealer::new(&key(7));
        let sealed = sealer.seal("jawali", "ref-1", b"a saved payment").unwrap();
        let body = sealed.strip_prefix(SEALED_V1).unwrap();
        let bytes = BASE64.decode(body).unwrap();
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            let text = format!("{SEALED_V1}{}", BASE64.encode(&changed));
            assert!(sealer.open("jawali", "ref-1", &text).is_err(), "byte {at}");
        }
        let truncated = &sealed[..sealed.len() - 4];
        assert!(sealer.open("jawali", "ref-1", truncated).is_err());
        assert!(sealer.open("jawali", "ref-1", "v1:").is_err());
        assert!(sealer.open("jawali", "ref-1", "v1:!!").is_err());
        let clear = sealer
            .open("jawali", "ref-1", "{\"version\":1}")
            .unwrap_err();
        assert!(clear.contains("not sealed"), "{clear}");
        let erased = sealer.open("jawali", "ref-1", "").unwrap_err();
        assert!(erased.contains("erased"), "{erased}");
    }

    #[test]
    fn term_digests_are_keyed_and_bound_to_their_order_and_field() {
        let (a, b) = (Sealer::new(&key(1)), Sealer::new(&key(2)));
        let digest = a.term_digest("jawali", "A-1", "voucher", "483920");
        assert_eq!(digest.len(), 32);
        assert_eq!(digest, a.term_digest("jawali", "A-1", "voucher", "483920"));
        for other in [
            b.term_digest("jawali", "A-1", "voucher", "483920"),
            a.term_digest("allpay", "A-1", "voucher", "483920"),
            a.term_digest("jawali", "A-2", "voucher", "483920"),
            a.term_digest("jawali", "A-1", "customer_mobile", "483920"),
            a.term_digest("jawali", "A-1", "voucher", "483921"),
        ] {
            assert_ne!(digest, other);
        }
        assert!(!digest.contains("483920"));
    }

    #[test]
    fn the_key_check_opens_with_its_own_key_only() {
        let sealer = Sealer::new(&key(1));
        let check = sealer.key_check().unwrap();
        assert!(sealer.opens_key_check(&check));
        assert!(!Sealer::new(&key(2)).opens_key_check(&check));
        // An entry's sealed state is not a key check, and the other way round.
        let entry = sealer.seal("s", "r", KEY_CHECK_TEXT).unwrap();
        assert!(!sealer.opens_key_check(&entry));
    }
}
