//! A canned-response HTTP server for the tests: it answers a scripted sequence of raw
//! responses, one per connection, and records every raw request.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use awsctx_core::env::Env;
use awsctx_login::endpoint::{Endpoint, Service};
use awsctx_login::http::{HttpClient, HttpSettings};

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// Bytes written as they are, then the connection is closed.
    Raw(Vec<u8>),
    /// Read the request, then say nothing for this long (holding the connection).
    Hang(Duration),
    /// Read the request, then close without answering.
    Close,
}

impl Reply {
    pub(crate) fn status(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let header_lines = headers.iter().fold(String::new(), |mut out, (name, value)| {
            let _ = write!(out, "{name}: {value}\r\n");
            out
        });
        let raw = format!(
            "HTTP/1.1 {status} Status\r\n{header_lines}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        Reply::Raw(bytes)
    }

    pub(crate) fn json(status: u16, body: &str) -> Reply {
        Reply::status(status, &[("Content-Type", "application/json")], body.as_bytes())
    }

    pub(crate) fn xml(status: u16, body: &str) -> Reply {
        Reply::status(status, &[("Content-Type", "text/xml")], body.as_bytes())
    }

    /// An OIDC error the way the service sends it: `x-amzn-ErrorType` plus `error`.
    pub(crate) fn oidc_error(exception: &str, error: &str) -> Reply {
        let header =
            format!("{exception}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/");
        Reply::status(
            400,
            &[
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", &header),
                ("x-amzn-RequestId", "req-1"),
            ],
            format!(r#"{{"error":"{error}","error_description":"{error} says the server"}}"#)
                .as_bytes(),
        )
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    /// The request target: `/path?query` (or an absolute URL when sent to a proxy).
    pub(crate) target: String,
    /// Header names lower-cased, in the order sent.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// When the request had fully arrived.
    pub(crate) at: Instant,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn body_text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// The server; it stops accepting when dropped (its thread ends at the next connection or
/// with the test process).
pub(crate) struct CannedServer {
    pub(crate) port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl CannedServer {
    pub(crate) fn start(replies: Vec<Reply>) -> CannedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        thread::spawn(move || {
            let mut replies = replies.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                recorded.lock().unwrap().push(request);
                match replies.next() {
                    Some(Reply::Raw(bytes)) => {
                        let _ = stream.write_all(&bytes);
                    }
                    Some(Reply::Hang(how_long)) => {
                        thread::spawn(move || {
                            thread::sleep(how_long);
                            drop(stream);
                        });
                    }
                    Some(Reply::Close) => drop(stream),
                    None => {
                        let body = b"no scripted response left";
                        let _ = stream.write_all(
                            format!(
                                "HTTP/1.1 599 Unscripted\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        );
                        let _ = stream.write_all(body);
                    }
                }
            }
        });
        CannedServer { port, requests }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn endpoint(&self, service: Service) -> Endpoint {
        Endpoint::custom(service, &self.url()).unwrap()
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub(crate) fn request(&self, index: usize) -> Recorded {
        self.requests().get(index).cloned().unwrap_or_else(|| panic!("no request #{index}"))
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Recorded { method, target, headers, body, at: Instant::now() })
}

/// Settings for fast tests: short timeout, tiny backoff.
pub(crate) fn fast_settings() -> HttpSettings {
    HttpSettings {
        request_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(1),
        retry_base_delay: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..HttpSettings::default()
    }
}

pub(crate) fn client() -> HttpClient {
    HttpClient::new(&fast_settings(), &Env::default()).unwrap()
}

/// Run a future on a current-thread runtime, as the binary does.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    awsctx_login::run_blocking(future).unwrap()
}

/// `/work/shared/testdata`, read in place; `None` (after a loud line) when absent outside CI.
#[allow(clippy::print_stderr)]
pub(crate) fn testdata() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared/testdata is missing at {}",
        dir.display()
    );
    eprintln!("SKIPPED: shared/testdata not found at {}", dir.display());
    None
}
