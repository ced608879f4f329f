//! The AWS container credential protocol, served on a local port: what every SDK's container
//! provider reads through `AWS_CONTAINER_CREDENTIALS_FULL_URI` and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN` (botocore's `ContainerProvider`).
//!
//! A client sends `GET <FULL_URI>` with the header `Authorization: <token>` and gets
//! `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"}` back, `Expiration`
//! in RFC 3339 (`2026-11-26T09:11:05Z`). The token is drawn per server (32 random bytes, hex)
//! and compared in constant time; a request without it gets `401` and nothing else.
//!
//! A minimal HTTP/1.1 server on a blocking [`TcpListener`]: one request per connection, each
//! connection read on its own thread with a deadline and a size cap, at most
//! [`MAX_CONNECTIONS`] at once. The keys themselves come from the caller, on the thread that
//! called [`CredentialServer::serve`] (the credential provider is not `Send`), one request at
//! a time. SDKs ask once per set of keys, so nothing here needs to be faster than that.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use awsctx_core::cache::RoleCredentials;
use awsctx_core::secret::Secret;
use serde_json::{Map, Value};

/// Random bytes in a server's token.
pub const TOKEN_BYTES: usize = 32;

/// Connections served at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 64;

/// How long a client may take to send its request, and to read the answer.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest request head read; a credential request is a few hundred bytes.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// What can keep a server from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    #[error("cannot listen on `{addr}`: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },

    #[error("cannot draw a random token: {reason}")]
    Random { reason: String },

    #[error("cannot start the server's listener thread: {0}")]
    Thread(std::io::Error),
}

/// A credential server bound to its port, not yet answering (connections wait in the backlog).
pub struct CredentialServer {
    listener: TcpListener,
    addr: SocketAddr,
    token: Secret,
    events: Receiver<Event>,
    sender: Sender<Event>,
    stopped: Arc<AtomicBool>,
}

impl fmt::Debug for CredentialServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialServer")
            .field("addr", &self.addr)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// What the connection threads and [`Stopper`] tell the serving thread.
enum Event {
    /// An authorized credential request: answer through the sender.
    Keys(Sender<Answer>),
    Stop,
}

/// What the caller answers an authorized request with.
pub type Answer = Result<RoleCredentials, String>;

/// Stops a running [`CredentialServer::serve`] from any thread.
#[derive(Debug, Clone)]
pub struct Stopper {
    sender: Sender<Event>,
    stopped: Arc<AtomicBool>,
    wake: SocketAddr,
}

impl Stopper {
    /// Make `serve` return; connections still open are closed unanswered.
    pub fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.sender.send(Event::Stop);
        // The listener thread sits in `accept`: one connection wakes it to see the flag.
        let _ = TcpStream::connect_timeout(&self.wake, Duration::from_secs(1));
    }
}

impl CredentialServer {
    /// Listen on `addr` (port 0: any free port) with a fresh random token.
    pub fn bind(addr: SocketAddr) -> Result<Self, ServerError> {
        let listener =
            TcpListener::bind(addr).map_err(|source| ServerError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind { addr, source })?;
        let token = random_token()?;
        let (sender, events) = mpsc::channel();
        Ok(Self { listener, addr, token, events, sender, stopped: Arc::default() })
    }

    /// The address the server listens on (with the port the OS chose).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` for a client on this host: the bound address, or
    /// loopback when bound to every address (SDKs accept plain `http` only to loopback).
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}/", SocketAddr::new(ip, self.addr.port()))
    }

    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    pub fn stopper(&self) -> Stopper {
        let wake = match self.url().trim_start_matches("http://").trim_end_matches('/').parse() {
            Ok(addr) => addr,
            Err(_) => self.addr,
        };
        Stopper { sender: self.sender.clone(), stopped: Arc::clone(&self.stopped), wake }
    }

    /// Answer requests until a [`Stopper`] stops the server. `keys` is called on this thread
    /// for every authorized request, one at a time; an `Err` is sent to the client as the
    /// message of a `503`.
    pub fn serve(self, mut keys: impl FnMut() -> Answer) -> Result<(), ServerError> {
        let Self { listener, token, events, sender, stopped, .. } = self;
        let token = Arc::new(token);
        std::thread::Builder::new()
            .name("credential-server".into())
            .spawn(move || accept_loop(&listener, &token, &sender, &stopped))
            .map_err(ServerError::Thread)?;
        while let Ok(Event::Keys(reply)) = events.recv() {
            let _ = reply.send(keys());
        }
        Ok(())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn random_token() -> Result<Secret, ServerError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| ServerError::Random { reason: e.to_string() })?;
    let hex = bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
        .map(char::from)
        .collect::<String>();
    Ok(Secret::new(hex))
}

fn accept_loop(
    listener: &TcpListener,
    token: &Arc<Secret>,
    sender: &Sender<Event>,
    stopped: &AtomicBool,
) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        if stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors and the like: let the moment pass rather than spin.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let (token, sender, done) = (Arc::clone(token), sender.clone(), Arc::clone(&open));
        let spawned =
            std::thread::Builder::new().name("credential-request".into()).spawn(move || {
                handle(stream, &token, &sender);
                done.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// One connection: read the request, check it, ask the serving thread for keys, answer.
fn handle(mut stream: TcpStream, token: &Secret, sender: &Sender<Event>) {
    let _ = stream.set_read_timeout(Some(CONNECTION_TIMEOUT));
    let _ = stream.set_write_timeout(Some(CONNECTION_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let response = match read_head(&mut stream) {
        Ok(head) => respond(&head, token, sender),
        Err(HeadError::TooLarge) => {
            Some(Response::error(431, "RequestTooLarge", "request too large"))
        }
        Err(HeadError::Io) => None,
    };
    if let Some(response) = response {
        let _ = stream.write_all(&response.to_bytes());
        let _ = stream.flush();
    }
    let _ = stream.shutdown(Shutdown::Both);
}

enum HeadError {
    TooLarge,
    Io,
}

/// The request line and headers, up to the blank line.
fn read_head(stream: &mut TcpStream) -> Result<String, HeadError> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).map_err(|_| HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Io);
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            head.truncate(end);
            return String::from_utf8(head).map_err(|_| HeadError::Io);
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The answer to one request head; `None` when the server stopped meanwhile.
fn respond(head: &str, token: &Secret, sender: &Sender<Event>) -> Option<Response> {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (request_line.next().unwrap_or_default(), request_line.next());
    let authorization = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim());
    // Nothing about the server is told to a client without the token.
    if !authorization.is_some_and(|given| same_token(given, token.expose())) {
        return Some(Response::error(
            401,
            "AccessDenied",
            "missing or wrong `Authorization` token (AWS_CONTAINER_AUTHORIZATION_TOKEN)",
        ));
    }
    if method != "GET" {
        return Some(Response::error(405, "MethodNotAllowed", "only GET is served"));
    }
    let path = target.unwrap_or_default().split('?').next().unwrap_or_default();
    if path != "/" {
        return Some(Response::error(404, "NotFound", "the credentials are at `/`"));
    }
    let (reply, answer) = mpsc::channel();
    sender.send(Event::Keys(reply)).ok()?;
    Some(match answer.recv().ok()? {
        Ok(keys) => Response::keys(&keys),
        Err(message) => Response::error(503, "CredentialsUnavailable", &message),
    })
}

/// Compare in time that depends on the lengths only (the token's length is no secret).
pub fn same_token(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    if given.len() != expected.len() {
        return false;
    }
    let diff = given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

struct Response {
    status: u16,
    body: String,
}

impl Response {
    fn keys(keys: &RoleCredentials) -> Self {
        let (Some(token), Some(expiration)) = (keys.session_token(), keys.expiration()) else {
            return Self::error(
                503,
                "CredentialsUnavailable",
                "these are long-term keys; the container protocol carries temporary credentials only",
            );
        };
        let mut map = Map::new();
        map.insert("AccessKeyId".into(), Value::from(keys.access_key_id()));
        map.insert("SecretAccessKey".into(), Value::from(keys.secret_access_key().expose()));
        map.insert("Token".into(), Value::from(token.expose()));
        map.insert(
            "Expiration".into(),
            Value::from(expiration.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        if let Some(account) = keys.account_id() {
            map.insert("AccountId".into(), Value::from(account));
        }
        Self { status: 200, body: Value::Object(map).to_string() }
    }

    fn error(status: u16, code: &str, message: &str) -> Self {
        let body = serde_json::json!({ "code": code, "message": message }).to_string();
        Self { status, body }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            401 => "Unauthorized",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            _ => "Service Unavailable",
        };
        let allow = if self.status == 405 { "Allow: GET\r\n" } else { "" };
        format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{allow}Cache-Control: no-store\r\nConnection: close\r\n\r\n{}",
            self.status,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_in_full() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
        assert!(!same_token("", "abc"));
    }

    #[test]
    fn each_server_draws_its_own_long_token() {
        let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let (a, b) = (CredentialServer::bind(any).unwrap(), CredentialServer::bind(any).unwrap());
        assert_eq!(a.token().expose().len(), TOKEN_BYTES * 2);
        assert!(a.token().expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.token(), b.token());
        assert!(!format!("{a:?}").contains(a.token().expose()));
    }

    #[test]
    fn the_url_of_a_server_on_every_address_is_loopback() {
        let server = CredentialServer::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))).unwrap();
        assert_eq!(server.url(), format!("http://127.0.0.1:{}/", server.local_addr().port()));
    }
}
