//! The authorization-code flow's pieces (`docs/aws-protocol.md`): the PKCE code verifier and S256
//! challenge, the `state`, the authorize URL with the AWS CLI's exact parameter order and
//! encoding, and the loopback listener that receives the browser's redirect.

use std::collections::HashMap;
use std::time::Duration;

use awsctx_core::secret::Secret;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::wire::encode;

/// The characters of a code verifier (RFC 7636 unreserved).
const VERIFIER_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// Length of a code verifier, as the AWS CLI draws it.
pub const VERIFIER_LEN: usize = 64;

/// How long one browser connection may take to send its request.
const CONNECTION_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest request head read from the browser.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

const HEX: &[u8; 16] = b"0123456789abcdef";

fn random_bytes(len: usize) -> Result<Vec<u8>, Error> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random { reason: e.to_string() })?;
    Ok(bytes)
}

/// A fresh code verifier: 64 characters drawn uniformly from `[A-Za-z0-9-._~]` with the
/// OS generator.
pub fn code_verifier() -> Result<Secret, Error> {
    // Rejection sampling keeps the draw uniform: 198 = 3 × 66.
    let limit = u8::try_from(VERIFIER_ALPHABET.len() * 3).unwrap_or(u8::MAX);
    let mut out = String::with_capacity(VERIFIER_LEN);
    while out.len() < VERIFIER_LEN {
        for byte in random_bytes(VERIFIER_LEN * 2)? {
            if byte < limit && out.len() < VERIFIER_LEN {
                out.push(char::from(
                    VERIFIER_ALPHABET[usize::from(byte) % VERIFIER_ALPHABET.len()],
                ));
            }
        }
    }
    Ok(Secret::new(out))
}

/// The S256 challenge: base64url of SHA-256 of the verifier, without padding (43 chars).
pub fn code_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random `state` in the form of a UUID version 4, as the AWS CLI sends.
pub fn new_state() -> Result<String, Error> {
    let mut b = random_bytes(16)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b
        .iter()
        .flat_map(|x| [HEX[usize::from(x >> 4)], HEX[usize::from(x & 0x0f)]])
        .map(char::from)
        .collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]))
}

/// `http://127.0.0.1:{port}/oauth/callback`.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}/oauth/callback")
}

/// The authorize URL the browser opens. Base: scheme and host of the SSO OIDC endpoint.
/// Parameter order and encoding are the AWS CLI's: RFC 3986 with only `-._~` unencoded,
/// the scopes space-joined under the name `scopes`, the challenge appended as is.
pub fn authorize_url(
    oidc: &Endpoint,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    scopes: &[String],
    code_challenge: &str,
) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&scopes={}&code_challenge={}",
        oidc.origin(),
        encode(client_id),
        encode(redirect_uri),
        encode(state),
        encode(&scopes.join(" ")),
        code_challenge
    )
}

/// What one browser request to the listener meant.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CallbackOutcome {
    Code(String),
    Denied(String),
    StateMismatch,
    /// Anything else (a favicon, a reload without parameters): answered and ignored.
    Ignored,
}

fn classify(query: &str, expected_state: &str) -> CallbackOutcome {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    if let Some(error) = params.get("error") {
        return CallbackOutcome::Denied(crate::error::one_line(error));
    }
    match (params.get("code"), params.get("state")) {
        (Some(code), Some(state)) if state == expected_state => CallbackOutcome::Code(code.clone()),
        (Some(_), Some(_)) => CallbackOutcome::StateMismatch,
        _ => CallbackOutcome::Ignored,
    }
}

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#232f3e}h1{font-size:1.4em}";

fn success_page() -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>awsctx: signed in</title><style>{PAGE_STYLE}</style></head><body><h1>Signed in to AWS</h1><p>awsctx received the authorization. You can close this tab and return to your terminal.</p></body></html>"
    )
}

fn error_page(message: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>awsctx: sign-in failed</title><style>{PAGE_STYLE}</style></head><body><h1>Sign-in failed</h1><p>{}</p><p>Return to your terminal and run the login again.</p></body></html>",
        html_escape(message)
    )
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The loopback listener of the authorization-code flow, bound to `127.0.0.1` on a port
/// the OS picks.
#[derive(Debug)]
pub struct CallbackListener {
    listener: TcpListener,
    port: u16,
}

impl CallbackListener {
    /// Bind `127.0.0.1:0`. On failure the caller may fall back to the device code
    /// ([`Error::CallbackBind`]).
    pub async fn bind() -> Result<Self, Error> {
        let bind_error = |e: std::io::Error| Error::CallbackBind { reason: e.to_string() };
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        Ok(Self { listener, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI with this listener's port.
    pub fn redirect_uri(&self) -> String {
        redirect_uri(self.port)
    }

    /// Answer browser requests until one carries `code` and `state` (returns the code; a
    /// wrong `state` is [`Error::StateMismatch`]) or `error` ([`Error::AuthorizationDenied`]).
    /// Other requests are answered and ignored. After `deadline`:
    /// [`Error::PendingAuthorizationExpired`].
    pub async fn wait_for_code(
        self,
        expected_state: &str,
        deadline: Duration,
    ) -> Result<Secret, Error> {
        let (sender, mut receiver) = mpsc::unbounded_channel::<CallbackOutcome>();
        let expires = tokio::time::sleep(deadline);
        tokio::pin!(expires);
        let mut tasks = tokio::task::JoinSet::new();
        let result = loop {
            tokio::select! {
                () = &mut expires => break Err(Error::PendingAuthorizationExpired),
                accepted = self.listener.accept() => {
                    match accepted {
                        Ok((stream, _)) => {
                            let sender = sender.clone();
                            let state = expected_state.to_owned();
                            // Each connection on its own task: an idle pre-connect from the
                            // browser must not hold up the real redirect.
                            tasks.spawn(async move {
                                if let Some(outcome) = serve(stream, &state).await {
                                    let _ = sender.send(outcome);
                                }
                            });
                        }
                        Err(e) => break Err(Error::Callback { reason: e.to_string() }),
                    }
                }
                Some(outcome) = receiver.recv() => {
                    match outcome {
                        CallbackOutcome::Code(code) => break Ok(Secret::new(code)),
                        CallbackOutcome::Denied(error) => break Err(Error::AuthorizationDenied { error }),
                        CallbackOutcome::StateMismatch => break Err(Error::StateMismatch),
                        CallbackOutcome::Ignored => {}
                    }
                }
            }
        };
        tasks.abort_all();
        result
    }
}

/// Read one request, answer it, and say what it meant. `None` when the connection sent
/// nothing usable in time.
async fn serve(mut stream: TcpStream, expected_state: &str) -> Option<CallbackOutcome> {
    let head =
        tokio::time::timeout(CONNECTION_READ_TIMEOUT, read_head(&mut stream)).await.ok()??;
    let request_line = head.lines().next()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    if method != "GET" {
        respond(&mut stream, "405 Method Not Allowed", &error_page("Only GET is served here."))
            .await;
        return None;
    }
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let outcome = classify(query, expected_state);
    let page = match &outcome {
        CallbackOutcome::Denied(error) => error_page(&format!(
            "The authentication redirect failed with the following error: {error}"
        )),
        CallbackOutcome::StateMismatch => {
            error_page("The state parameter does not match the login that awsctx started.")
        }
        CallbackOutcome::Code(_) | CallbackOutcome::Ignored => success_page(),
    };
    respond(&mut stream, "200 OK", &page).await;
    Some(outcome)
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() >= MAX_REQUEST_HEAD {
            break;
        }
    }
    if head.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

async fn respond(stream: &mut TcpStream, status: &str, page: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    // The browser may already be gone; nothing to do about it.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Service;

    #[test]
    fn challenge_matches_rfc7636_vector() {
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_has_64_chars_from_the_alphabet_and_varies() {
        let a = code_verifier().unwrap();
        let b = code_verifier().unwrap();
        assert_eq!(a.expose().len(), VERIFIER_LEN);
        assert!(a.expose().bytes().all(|c| VERIFIER_ALPHABET.contains(&c)));
        assert_ne!(a, b);
        let challenge = code_challenge(a.expose());
        assert_eq!(challenge.len(), 43);
        assert!(!challenge.contains('='));
    }

    #[test]
    fn state_is_a_uuid4() {
        let state = new_state().unwrap();
        let groups: Vec<&str> = state.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert!(state.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
        assert_ne!(state, new_state().unwrap());
    }

    #[test]
    fn authorize_url_has_the_cli_order_and_encoding() {
        let oidc =
            Endpoint::default_for(Service::SsoOidc, Some("us-east-1"), false, false).unwrap();
        let url = authorize_url(
            &oidc,
            "client/id",
            &redirect_uri(51234),
            "0f3c9d2e-1111-4222-8333-444455556666",
            &["sso:account:access".to_owned(), "codewhisperer:x".to_owned()],
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        );
        assert_eq!(
            url,
            "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&client_id=client%2Fid&redirect_uri=http%3A%2F%2F127.0.0.1%3A51234%2Foauth%2Fcallback&state=0f3c9d2e-1111-4222-8333-444455556666&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess%20codewhisperer%3Ax&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn authorize_url_base_drops_a_custom_endpoint_path() {
        let oidc = Endpoint::custom(Service::SsoOidc, "http://127.0.0.1:8080/prefix/").unwrap();
        let url = authorize_url(&oidc, "c", "r", "s", &[], "x");
        assert!(url.starts_with("http://127.0.0.1:8080/authorize?"), "{url}");
    }

    #[test]
    fn callback_queries_are_classified() {
        assert_eq!(classify("code=abc&state=s1", "s1"), CallbackOutcome::Code("abc".into()));
        assert_eq!(classify("state=s1&code=a%2Bb", "s1"), CallbackOutcome::Code("a+b".into()));
        assert_eq!(classify("code=abc&state=other", "s1"), CallbackOutcome::StateMismatch);
        assert_eq!(
            classify("error=access_denied&state=s1", "s1"),
            CallbackOutcome::Denied("access_denied".into())
        );
        assert_eq!(classify("", "s1"), CallbackOutcome::Ignored);
        assert_eq!(classify("code=abc", "s1"), CallbackOutcome::Ignored);
    }

    #[test]
    fn error_page_escapes_the_error() {
        let page = error_page("<script>alert('x')</script>");
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    }
}
