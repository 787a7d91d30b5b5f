//! The sandbox's key pairs, generated at run time from fixed seeds.
//!
//! No private key ships in the published package (secret scanners flag PEM
//! private keys in every image that contains one). The pairs are generated
//! once per process, deterministically — the same seed gives the same key,
//! so signed request snapshots stay stable — and are test keys only: anyone
//! can regenerate them, so they protect nothing.

use std::sync::OnceLock;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

/// One key pair, as PEM text.
pub(crate) struct Pair {
    /// PKCS#8 `PRIVATE KEY`.
    pub(crate) private_pem: String,
    /// SubjectPublicKeyInfo `PUBLIC KEY`.
    pub(crate) public_pem: String,
}

/// The merchant's pair (signs requests) and the sandbox's "Allpay" pair
/// (signs answers).
pub(crate) struct Keys {
    pub(crate) merchant: Pair,
    pub(crate) allpay: Pair,
}

const MERCHANT_SEED: u64 = 0x5A4D_B0C5_0001;
const ALLPAY_SEED: u64 = 0x5A4D_B0C5_0002;

fn pair(seed: u64) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    // 1024 bits: a test key, generated quickly; Allpay's own keys are the
    // merchant's business.
    let result = RsaPrivateKey::new(&mut rng, 1024).and_then(|key| {
        let private_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(rsa::Error::from)?
            .to_string();
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| rsa::Error::Pkcs8(rsa::pkcs8::Error::PublicKey(e)))?;
        Ok(Pair {
            private_pem,
            public_pem,
        })
    });
    match result {
        Ok(pair) => pair,
        // Key generation from a seeded RNG and PEM encoding of the result
        // do not fail; if they ever did, the sandbox could not run at all.
        #[allow(clippy::panic)]
        Err(e) => panic!("sandbox key generation failed: {e}"),
    }
}

/// The sandbox's keys, generated on first use.
pub(crate) fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        merchant: pair(MERCHANT_SEED),
        allpay: pair(ALLPAY_SEED),
    })
}
