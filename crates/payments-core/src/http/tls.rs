//! Which rustls crypto provider the SDK's own HTTP client uses.
//!
//! Chosen by cargo feature, on `payments-core` and forwarded by every
//! provider crate:
//!
//! | feature | crypto provider | builds |
//! |---|---|---|
//! | `rustls-aws-lc-rs` (default) | aws-lc-rs | C, with cmake |
//! | `rustls-ring` | *ring* | C and assembly, no cmake |
//! | `rustls-no-provider` | the one the application installs | nothing more |
//!
//! Whatever the features, a provider the application installed as the
//! process default (`rustls::crypto::CryptoProvider::install_default`) is
//! used first; then *ring* when `rustls-ring` is on; then aws-lc-rs when
//! `rustls-aws-lc-rs` is on. With `rustls-no-provider` alone and nothing
//! installed, building a client is a [configuration error](crate::Error::Configuration) that says so
//! (reqwest itself would panic). A caller who hands the SDK its own
//! `reqwest::Client` has chosen everything already; none of this applies.
//!
//! Certificates are checked by the platform verifier in every case (the
//! system's roots, as reqwest does).

#[cfg(any(feature = "rustls-ring", feature = "rustls-no-provider"))]
use crate::Error;
use crate::Result;

/// Sets up `builder`'s TLS from the enabled features (see the module docs).
#[allow(clippy::unnecessary_wraps)] // fallible only with some features
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    #[cfg(any(feature = "rustls-ring", feature = "rustls-no-provider"))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        #[cfg(feature = "rustls-ring")]
        return Ok(builder.tls_backend_preconfigured(ring_config()?));
        #[cfg(all(not(feature = "rustls-ring"), not(feature = "rustls-aws-lc-rs")))]
        return Err(Error::configuration(
            "built with the rustls-no-provider feature, and no rustls crypto provider is installed: \
             install one (rustls::crypto::CryptoProvider::install_default) before building the client, \
             pass your own reqwest::Client, or enable rustls-ring or rustls-aws-lc-rs",
        ));
    }
    Ok(builder)
}

/// A client configuration over *ring*, verifying with the platform's roots.
#[cfg(feature = "rustls-ring")]
fn ring_config() -> Result<rustls::ClientConfig> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map_err(|e| Error::configuration(format_args!("TLS over ring: {e}")))?
        .with_no_client_auth();
    config.alpn_protocols = if cfg!(feature = "http2") {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// The crypto provider the SDK's own client will use, by name: what
/// `cargo xtask ci` and the footprint report check.
pub fn crypto_provider() -> &'static str {
    #[cfg(any(feature = "rustls-ring", feature = "rustls-no-provider"))]
    if rustls::crypto::CryptoProvider::get_default().is_some() {
        return "installed";
    }
    if cfg!(feature = "rustls-ring") {
        "ring"
    } else if cfg!(feature = "rustls-aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "none"
    }
}
