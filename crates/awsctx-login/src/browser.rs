//! The URLs awsctx may hand to a browser. A device authorization's `verificationUriComplete`
//! comes from a server, and a configured endpoint from a file: as a browser's argument, a
//! value like `--gpu-launcher=…` is an option, and `file:` or `javascript:` URLs are not
//! sign-in pages. So only a [`BrowserUrl`] is ever opened: an `https://` URL, or an `http://`
//! URL to this machine (a loopback address or `localhost`, as local emulators and the tests
//! use), parsed by the `url` crate and handed on in its normalized form (which starts with
//! its scheme and holds no space or control character).

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// A URL that may be opened in a browser (see the module docs).
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserUrl(Url);

/// Why a text is not a [`BrowserUrl`]. It never quotes the text (which may be hostile, or a
/// secret sign-in URL): only the scheme or host that the `url` crate normalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("is not a URL")]
    NotAUrl,
    #[error("is a `{0}:` URL, and only `https://` URLs are opened")]
    Scheme(String),
    #[error(
        "is an `http://` URL to `{0}`, and only `https://` URLs (or `http://` to this machine) are opened"
    )]
    PlainHttp(String),
}

impl BrowserUrl {
    pub fn parse(text: &str) -> Result<Self, UrlRefused> {
        let url = Url::parse(text).map_err(|_| UrlRefused::NotAUrl)?;
        match url.scheme() {
            "https" if url.host().is_some() => Ok(Self(url)),
            "http" => match url.host() {
                Some(host) if is_loopback(&host) => Ok(Self(url)),
                Some(host) => Err(UrlRefused::PlainHttp(host.to_string())),
                None => Err(UrlRefused::NotAUrl),
            },
            "https" => Err(UrlRefused::NotAUrl),
            scheme => Err(UrlRefused::Scheme(scheme.to_owned())),
        }
    }

    /// The normalized URL, as the browser gets it.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

impl fmt::Display for BrowserUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Only the origin: a console sign-in URL signs in whoever holds it.
impl fmt::Debug for BrowserUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BrowserUrl({}://{}/…)", self.0.scheme(), self.0.host_str().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_opened() {
        for url in [
            "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH",
            "https://signin.aws.amazon.com/federation?Action=login",
            "http://127.0.0.1:4566/device?user_code=X",
            "http://[::1]:8080/authorize",
            "http://localhost/x",
        ] {
            assert_eq!(BrowserUrl::parse(url).map(|u| u.to_string()).as_deref(), Ok(url));
        }
    }

    #[test]
    fn options_files_scripts_and_plain_http_are_refused() {
        for (text, refused) in [
            ("--gpu-launcher=touch /tmp/pwned", UrlRefused::NotAUrl),
            ("-new-tab", UrlRefused::NotAUrl),
            ("", UrlRefused::NotAUrl),
            ("device.sso.amazonaws.com/x", UrlRefused::NotAUrl),
            ("file:///etc/passwd", UrlRefused::Scheme("file".into())),
            ("javascript:alert(1)", UrlRefused::Scheme("javascript".into())),
            ("data:text/html,<script>", UrlRefused::Scheme("data".into())),
            ("http://evil.example/x", UrlRefused::PlainHttp("evil.example".into())),
            ("http://10.0.0.1/x", UrlRefused::PlainHttp("10.0.0.1".into())),
        ] {
            assert_eq!(BrowserUrl::parse(text), Err(refused), "{text}");
        }
    }

    #[test]
    fn what_the_browser_gets_starts_with_the_scheme_and_holds_no_control() {
        let url = BrowserUrl::parse(" https://x.example/a b\u{1b}[2J\u{202e}?q=\u{9b}\n").unwrap();
        assert!(url.as_str().starts_with("https://x.example/"));
        assert!(url.as_str().bytes().all(|b| b.is_ascii_graphic()), "{url}");
    }

    #[test]
    fn debug_shows_the_origin_only() {
        let url = BrowserUrl::parse("https://signin.aws.amazon.com/federation?SigninToken=s3cr3t")
            .unwrap();
        assert_eq!(format!("{url:?}"), "BrowserUrl(https://signin.aws.amazon.com/…)");
    }
}
