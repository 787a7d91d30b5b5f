use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use crate::error::Error;

/// A provider's base URL: `https`, or plain `http` only on a loopback host
/// (`127.0.0.0/8`, `::1`, `localhost`), where sandboxes and test servers run.
///
/// ```
/// use payments_core::BaseUrl;
///
/// assert!(BaseUrl::parse("https://app.wecash.com.ye:9493").is_ok());
/// assert!(BaseUrl::parse("http://127.0.0.1:8080").is_ok());
/// assert!(BaseUrl::parse("http://api.example.com").is_err());
/// let base = BaseUrl::parse("https://api.example.com/prefix")?;
/// assert_eq!(base.join("v1/ws/callWS")?.as_str(), "https://api.example.com/prefix/v1/ws/callWS");
/// # Ok::<(), payments_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Parses and checks a base URL.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for an unparsable URL, a scheme other than
    /// `https` (or `http` on loopback), credentials, a query or a fragment.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let url = Url::parse(text.trim()).map_err(|e| {
            Error::configuration(format_args!(
                "base URL `{}` is not a URL: {e}",
                shown_text(text)
            ))
        })?;
        Self::from_url(url)
    }

    /// Checks an already parsed URL.
    ///
    /// # Errors
    ///
    /// As [`BaseUrl::parse`].
    pub fn from_url(mut url: Url) -> Result<Self, Error> {
        check(&url)?;
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(BaseUrl(url))
    }

    /// Checks a full endpoint URL (an OAuth token endpoint, say) by the same
    /// rules, keeping its path as given.
    ///
    /// ```
    /// let url = payments_core::BaseUrl::endpoint("https://ids.example.com/connect/token")?;
    /// assert_eq!(url.as_str(), "https://ids.example.com/connect/token");
    /// assert!(payments_core::BaseUrl::endpoint("http://ids.example.com/connect/token").is_err());
    /// # Ok::<(), payments_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`BaseUrl::parse`].
    pub fn endpoint(text: &str) -> Result<Url, Error> {
        let url = Url::parse(text.trim()).map_err(|e| {
            Error::configuration(format_args!("URL `{}` is not a URL: {e}", shown_text(text)))
        })?;
        check(&url)?;
        Ok(url)
    }
}

/// `url` as an error may show it: without user name, password, query and
/// fragment (a secret may sit in any of them).
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if url.query().is_some() {
        url.set_query(Some("[REDACTED]"));
    }
    url.set_fragment(None);
    url.to_string()
}

/// Text that did not parse as a URL, as an error may show it: what looks
/// like user information (before an `@` in the authority), a query and a
/// fragment cut out.
fn shown_text(text: &str) -> String {
    let text = text.trim();
    let text = text.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, text),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("[REDACTED]@{host}"),
        None => authority.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{authority}{path}"),
        None => format!("{authority}{path}"),
    }
}

/// The rules every provider URL follows.
fn check(url: &Url) -> Result<(), Error> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => {
            return Err(Error::configuration(format_args!(
                "URL `{}` uses plain http; only https is allowed, except on a loopback host",
                shown(url)
            )));
        }
        other => {
            return Err(Error::configuration(format_args!(
                "URL scheme `{other}` is not supported; use https"
            )));
        }
    }
    if url.host().is_none() {
        return Err(Error::configuration("URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::configuration(
            "URL must not carry credentials; configure them separately",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::configuration(
            "base URL must not have a query or a fragment",
        ));
    }
    Ok(())
}

impl BaseUrl {
    /// `path` (relative, with or without a leading `/`) below this base.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] if the result is not a URL.
    pub fn join(&self, path: &str) -> Result<Url, Error> {
        self.0.join(path.trim_start_matches('/')).map_err(|e| {
            Error::configuration(format_args!("cannot join `{path}` to the base URL: {e}"))
        })
    }

    /// The URL, ending in `/`.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// Whether the host is a loopback address.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.0)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Which provider system a client talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// The provider's published test system.
    Test,
    /// The provider's production system, where the provider crate knows its
    /// address. Crates whose production address is not public refuse it:
    /// use [`Environment::Custom`] with the address the provider gave you.
    Production,
    /// Any other server: the provider's production host as given to the
    /// merchant, a proxy, a sandbox on loopback.
    Custom(BaseUrl),
}

impl Environment {
    /// The base URL, given the provider's known hosts.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for `Production` when `production` is `None`,
    /// or when a known host does not parse.
    pub fn resolve(&self, test: &str, production: Option<&str>) -> Result<BaseUrl, Error> {
        match self {
            Environment::Test => BaseUrl::parse(test),
            Environment::Production => match production {
                Some(url) => BaseUrl::parse(url),
                None => Err(Error::configuration(
                    "this provider's production address is not published; use Environment::Custom with the address the provider gave you",
                )),
            },
            Environment::Custom(base) => Ok(base.clone()),
        }
    }
}
