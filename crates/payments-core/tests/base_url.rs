//! Base URLs: https everywhere, plain http only on loopback.

use payments_core::{BaseUrl, Environment, Error};

#[test]
fn https_is_accepted_anywhere() {
    let base = BaseUrl::parse("https://app.wecash.com.ye:9493").unwrap();
    assert_eq!(base.to_string(), "https://app.wecash.com.ye:9493/");
    assert!(!base.is_loopback());
}

#[test]
fn plain_http_is_accepted_only_on_loopback_hosts() {
    for ok in [
        "http://127.0.0.1:8080",
        "http://127.3.4.5",
        "http://localhost:9000/prefix",
        "http://LOCALHOST",
        "http://[::1]:8080",
    ] {
        let base = BaseUrl::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert!(base.is_loopback(), "{ok}");
    }
    for refused in [
        "http://api.example.com",
        "http://10.0.0.1",
        "http://192.168.1.1:8080",
        "http://[::2]",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
    ] {
        match BaseUrl::parse(refused) {
            Err(Error::Configuration { message }) => {
                assert!(message.contains("plain http"), "{refused}: {message}");
            }
            other => panic!("{refused}: expected a configuration error, got {other:?}"),
        }
    }
}

#[test]
fn other_schemes_credentials_queries_and_garbage_are_refused() {
    for refused in [
        "ftp://example.com",
        "https://user:pass@example.com",
        "https://example.com/?secret=x",
        "https://example.com/#frag",
        "not a url",
        "",
    ] {
        assert!(
            matches!(BaseUrl::parse(refused), Err(Error::Configuration { .. })),
            "{refused}"
        );
    }
}

/// A refused URL used to be printed whole: `http://merchant:pw@…` showed
/// the password in the error. No error shows user information, a query or
/// a fragment, whichever rule refused the URL, parsed or not.
#[test]
fn a_refused_url_never_shows_its_credentials_or_query() {
    for refused in [
        "http://merchant:pa55word@api.example.com/pay",
        "http://merchant:pa55word@api.example.com/pay?token=t0ken-value#frag-secret",
        "https://merchant:pa55word@example.com",
        "https://example.com/?secret=t0ken-value",
        "https://merchant:pa55word@[::1/",
        "https://merchant:pa55word@exa mple.com/?secret=t0ken-value",
        "ftp://merchant:pa55word@example.com/",
    ] {
        let error = BaseUrl::parse(refused)
            .err()
            .or_else(|| BaseUrl::endpoint(refused).err())
            .unwrap_or_else(|| panic!("{refused} was accepted"));
        let shown = format!("{error} {error:?}");
        for secret in ["pa55word", "t0ken-value", "frag-secret"] {
            assert!(!shown.contains(secret), "{refused}: {shown}");
        }
        let endpoint = BaseUrl::endpoint(refused).unwrap_err();
        let shown = format!("{endpoint} {endpoint:?}");
        assert!(
            !shown.contains("pa55word") && !shown.contains("t0ken-value"),
            "{shown}"
        );
    }
}

#[test]
fn paths_join_below_the_base_path() {
    let base = BaseUrl::parse("https://api.example.com/prefix").unwrap();
    assert_eq!(
        base.join("/v1/x").unwrap().as_str(),
        "https://api.example.com/prefix/v1/x"
    );
    assert_eq!(
        base.join("v1/x").unwrap().as_str(),
        "https://api.example.com/prefix/v1/x"
    );
}

#[test]
fn environments_resolve_and_production_needs_a_known_address() {
    let test = Environment::Test
        .resolve("https://test.example.com", None)
        .unwrap();
    assert_eq!(test.to_string(), "https://test.example.com/");
    assert!(matches!(
        Environment::Production.resolve("https://test.example.com", None),
        Err(Error::Configuration { .. })
    ));
    let prod = Environment::Production
        .resolve("https://test.example.com", Some("https://prod.example.com"))
        .unwrap();
    assert_eq!(prod.to_string(), "https://prod.example.com/");
    let custom = BaseUrl::parse("http://127.0.0.1:1234").unwrap();
    assert_eq!(
        Environment::Custom(custom.clone())
            .resolve("https://t", None)
            .unwrap(),
        custom
    );
}
