//! The fake browser: plain `GET`s that follow redirects on loopback only, as a user's browser
//! would follow the mock's `/authorize` redirect to awsctx's loopback callback. Used by
//! `mock-sso browse URL` (what tests put in `BROWSER`) and directly by tests.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::http::{self, HttpError};

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a page could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    #[error("`{url}` is not an `http://` URL with a host")]
    InvalidUrl { url: String },
    #[error("`{url}` is not on loopback: the fake browser never leaves this machine")]
    NotLoopback { url: String },
    #[error("cannot connect to `{url}`: {source}")]
    Connect { url: String, source: std::io::Error },
    #[error("cannot send the request to `{url}`: {source}")]
    Send { url: String, source: std::io::Error },
    #[error("bad answer from `{url}`: {source}")]
    Answer { url: String, source: HttpError },
    #[error("`{url}` answered a redirect without a `Location`")]
    NoLocation { url: String },
    #[error("more than {MAX_REDIRECTS} redirects, the last to `{url}`")]
    TooManyRedirects { url: String },
}

/// The last answer of a browse.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    /// The URL that gave this answer.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Every URL requested, the first one included.
    pub visited: Vec<String>,
}

impl Page {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, name)
    }
}

/// A parsed `http://host[:port]/path?query` URL on loopback.
struct Target {
    addr: SocketAddr,
    host_header: String,
    path_and_query: String,
}

fn parse(url: &str) -> Result<Target, BrowseError> {
    let invalid = || BrowseError::InvalidUrl { url: url.to_owned() };
    let rest = url.strip_prefix("http://").ok_or_else(invalid)?;
    let rest = rest.split('#').next().unwrap_or_default();
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path_and_query = match path {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(invalid());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => {
            (h, p.parse::<u16>().map_err(|_| invalid())?)
        }
        _ => (authority, 80),
    };
    let ip = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h if h.starts_with('[') => {
            let inner =
                h.strip_prefix('[').and_then(|h| h.strip_suffix(']')).ok_or_else(invalid)?;
            IpAddr::V6(inner.parse::<Ipv6Addr>().map_err(|_| invalid())?)
        }
        h => h.parse::<IpAddr>().map_err(|_| BrowseError::NotLoopback { url: url.to_owned() })?,
    };
    if !ip.is_loopback() {
        return Err(BrowseError::NotLoopback { url: url.to_owned() });
    }
    Ok(Target {
        addr: SocketAddr::new(ip, port),
        host_header: authority.to_owned(),
        path_and_query,
    })
}

/// `location` resolved against `base` (absolute, absolute-path, or relative to base's directory).
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_owned();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..].find(['/', '?']).map_or(base.len(), |i| scheme_end + i);
    let origin = &base[..authority_end];
    if location.starts_with('/') {
        return format!("{origin}{location}");
    }
    let path = base[authority_end..].split(['?', '#']).next().unwrap_or("/");
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    format!("{origin}{dir}{location}")
}

/// One answer before redirects are looked at.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn get(url: &str) -> Result<Answer, BrowseError> {
    let target = parse(url)?;
    let stream = TcpStream::connect_timeout(&target.addr, CONNECT_TIMEOUT)
        .map_err(|source| BrowseError::Connect { url: url.to_owned(), source })?;
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: mock-sso-browser/1.0\r\n\
         Accept: text/html,*/*\r\nConnection: close\r\n\r\n",
        target.path_and_query, target.host_header
    );
    (&stream)
        .write_all(request.as_bytes())
        .map_err(|source| BrowseError::Send { url: url.to_owned(), source })?;
    let answer = |source| BrowseError::Answer { url: url.to_owned(), source };
    let mut reader = http::reader(&stream);
    let head = http::read_head(&mut reader).map_err(answer)?;
    let status = head
        .start_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| head.start_line.starts_with("HTTP/"))
        .ok_or_else(|| {
            answer(HttpError::Malformed(format!("status line {:?}", head.start_line)))
        })?;
    let length = http::body_length(&head, false).map_err(answer)?;
    let body = http::read_body(&mut reader, length).map_err(answer)?;
    Ok(Answer { status, headers: head.headers, body })
}

/// Fetch `url`, following up to [`MAX_REDIRECTS`] redirects, all on loopback.
pub fn browse(url: &str) -> Result<Page, BrowseError> {
    let mut url = url.trim().to_owned();
    let mut visited = Vec::new();
    loop {
        visited.push(url.clone());
        let Answer { status, headers, body } = get(&url)?;
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            if visited.len() > MAX_REDIRECTS {
                return Err(BrowseError::TooManyRedirects { url });
            }
            let Some(location) = http::header(&headers, "location") else {
                return Err(BrowseError::NoLocation { url });
            };
            url = resolve(&url, location);
            continue;
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        return Ok(Page { status, url, headers, body, visited });
    }
}

/// Write `dir/browser`, a script for `BROWSER` that appends each URL it is given to
/// `dir/browser.log` and then fetches it with `mock-sso browse` (`mock_sso` is the binary,
/// `env!("CARGO_BIN_EXE_mock-sso")` in this crate's tests). IO errors name the path.
pub fn write_browser_script(dir: &Path, mock_sso: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("browser");
    let log = dir.join("browser.log");
    let text = format!(
        "#!/bin/sh\n# Fake browser for awsctx tests: record the URL, then fetch it.\n\
         printf '%s\\n' \"$1\" >> {log}\nexec {bin} browse \"$1\"\n",
        log = shell_quote(&log.to_string_lossy()),
        bin = shell_quote(&mock_sso.to_string_lossy()),
    );
    fs_err::write(&script, text)?;
    fs_err::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok(script)
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
