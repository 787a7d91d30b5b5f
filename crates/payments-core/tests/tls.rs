//! The TLS crypto provider follows the cargo features. `cargo xtask ci`
//! runs this file under each feature alone:
//! `cargo test -p payments-core --no-default-features --features F --test tls`.

use payments_core::Scrubber;
use payments_core::http::{HttpClient, HttpConfig, tls};

fn client() -> payments_core::Result<HttpClient> {
    HttpClient::new("tls-test/1", HttpConfig::default(), Scrubber::new())
}

#[test]
fn the_provider_named_is_the_one_the_features_choose() {
    let expected = if cfg!(feature = "rustls-ring") {
        "ring"
    } else if cfg!(feature = "rustls-aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "none"
    };
    assert_eq!(tls::crypto_provider(), expected);
}

#[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs"))]
#[test]
fn a_client_builds_with_a_built_in_provider() {
    client().expect("a client over the built-in provider");
}

/// `rustls-no-provider` alone and nothing installed: a typed error that says
/// what to do, where reqwest would panic.
#[cfg(all(
    feature = "rustls-no-provider",
    not(feature = "rustls-ring"),
    not(feature = "rustls-aws-lc-rs")
))]
#[test]
fn without_an_installed_provider_building_a_client_is_a_configuration_error() {
    use payments_core::Error;

    let Err(err) = client() else {
        panic!("a client was built without any crypto provider");
    };
    assert!(matches!(err, Error::Configuration { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("rustls-no-provider"), "{text}");
    assert!(text.contains("install_default"), "{text}");
}

/// Without any TLS feature the client still builds, for plain-`http`
/// loopback use (the journal, sandboxes); `https` is refused when sent.
#[cfg(not(any(
    feature = "rustls-no-provider",
    feature = "rustls-ring",
    feature = "rustls-aws-lc-rs"
)))]
#[test]
fn without_tls_a_plain_http_client_builds() {
    client().expect("a plain-http client");
}
