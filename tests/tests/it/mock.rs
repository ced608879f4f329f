//! The mock IAM Identity Center on the wire: each route through a raw std client, the error
//! shapes, the faults, and garbage that must not bring it down.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use awsctx_tests::http::{encode_query, percent_encode};
use awsctx_tests::mock::{generate_accounts, pkce_challenge};
use awsctx_tests::{
    Account, AssumableRole, Fault, IssuedCredentials, MockConfig, MockSso, Operation, browse,
};
use serde_json::{Value, json};

const OIDC_NS: &str = "http://internal.amazon.com/coral/com.amazonaws.sso.oidc/";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// An answer read off the socket, parsed independently of the mock's own codec.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The text of `<tag>…</tag>`.
    fn xml(&self, tag: &str) -> &str {
        let open = format!("<{tag}>");
        let start = self.body.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {}", self.body));
        let rest = &self.body[start + open.len()..];
        &rest[..rest.find(&format!("</{tag}>")).expect("closing tag")]
    }
}

/// Send raw bytes, read until the server closes; `None` when it answered nothing.
fn raw(mock: &MockSso, bytes: &[u8]) -> Option<Reply> {
    let mut stream = TcpStream::connect(mock.addr()).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    stream.write_all(bytes).expect("write");
    let _ = stream.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    if answer.is_empty() {
        return None;
    }
    let text = String::from_utf8(answer).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().expect("status code");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").expect("header");
            (n.to_owned(), v.to_owned())
        })
        .collect();
    let reply = Reply { status, headers, body: body.to_owned() };
    let length: usize = reply.header("Content-Length").expect("content-length").parse().unwrap();
    assert_eq!(length, reply.body.len(), "Content-Length matches the body");
    assert_eq!(reply.header("Connection"), Some("close"));
    Some(reply)
}

fn request(
    mock: &MockSso,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut text = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\n", mock.addr());
    for (name, value) in headers {
        let _ = write!(text, "{name}: {value}\r\n");
    }
    let _ = write!(text, "Content-Length: {}\r\n\r\n{body}", body.len());
    raw(mock, text.as_bytes()).expect("an answer")
}

fn post_json(mock: &MockSso, path: &str, body: &Value) -> Reply {
    request(mock, "POST", path, &[("Content-Type", "application/json")], &body.to_string())
}

fn portal_get(mock: &MockSso, target: &str, token: &str) -> Reply {
    request(mock, "GET", target, &[("x-amz-sso_bearer_token", token)], "")
}

fn assert_oidc_error(reply: &Reply, status: u16, exception: &str, error: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some(format!("{exception}Exception:{OIDC_NS}").as_str())
    );
    assert!(reply.header("x-amzn-RequestId").is_some_and(|id| id.len() == 36));
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string());
}

fn assert_portal_error(reply: &Reply, status: u16, exception: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.header("Server"), Some("AWS SSO"));
    assert!(reply.header("RequestId").is_some());
    let body = reply.json();
    assert_eq!(body["__type"], format!("com.amazonaws.switchboard.portal#{exception}Exception"));
    assert!(body["message"].is_string());
}

/// Register a device-flow client (with or without scopes); returns (id, secret).
fn register(mock: &MockSso, scopes: Option<&[&str]>) -> (String, String) {
    let mut body = json!({"clientName": "botocore-client-test", "clientType": "public"});
    if let Some(scopes) = scopes {
        body["scopes"] = json!(scopes);
    }
    let reply = post_json(mock, "/client/register", &body);
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    (
        body["clientId"].as_str().unwrap().to_owned(),
        body["clientSecret"].as_str().unwrap().to_owned(),
    )
}

fn register_pkce(mock: &MockSso) -> (String, String) {
    let reply = post_json(
        mock,
        "/client/register",
        &json!({
            "clientName": "botocore-client-corp",
            "clientType": "public",
            "grantTypes": ["authorization_code", "refresh_token"],
            "redirectUris": ["http://127.0.0.1/oauth/callback"],
            "issuerUrl": mock.start_url(),
            "scopes": ["sso:account:access"],
        }),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    (
        body["clientId"].as_str().unwrap().to_owned(),
        body["clientSecret"].as_str().unwrap().to_owned(),
    )
}

fn start_device(mock: &MockSso, client: &(String, String)) -> Value {
    let reply = post_json(
        mock,
        "/device_authorization",
        &json!({"clientId": client.0, "clientSecret": client.1, "startUrl": mock.start_url()}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()
}

fn poll(mock: &MockSso, client: &(String, String), device_code: &str) -> Reply {
    post_json(
        mock,
        "/token",
        &json!({"clientId": client.0, "clientSecret": client.1, "grantType": DEVICE_GRANT,
                "deviceCode": device_code}),
    )
}

/// A token through the device flow (auto-approved).
fn login(mock: &MockSso) -> String {
    let client = register(mock, Some(&["sso:account:access"]));
    let device = start_device(mock, &client);
    mock.approve_pending();
    let reply = poll(mock, &client, device["deviceCode"].as_str().unwrap());
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["accessToken"].as_str().unwrap().to_owned()
}

fn role_credentials(mock: &MockSso, token: &str, account: &str, role: &str) -> IssuedCredentials {
    let reply = portal_get(
        mock,
        &format!("/federation/credentials?role_name={role}&account_id={account}"),
        token,
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let akid = reply.json()["roleCredentials"]["accessKeyId"].as_str().unwrap().to_owned();
    mock.credentials(&akid).expect("the mock remembers its keys")
}

fn sts(mock: &MockSso, creds: &IssuedCredentials, form: &[(&str, &str)]) -> Reply {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/20240101/us-east-1/sts/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, Signature=0123abcd",
        creds.access_key_id
    );
    let mut headers = vec![
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("Authorization", auth.as_str()),
        ("X-Amz-Date", "20240101T000000Z"),
    ];
    if let Some(token) = &creds.session_token {
        headers.push(("X-Amz-Security-Token", token));
    }
    request(mock, "POST", "/", &headers, &encode_query(form.iter().copied()))
}

fn assume_role(mock: &MockSso, creds: &IssuedCredentials, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", "arn:aws:iam::123456789012:role/integration-test"),
        ("RoleSessionName", "assume-role-provider-session"),
    ];
    form.extend_from_slice(extra);
    sts(mock, creds, &form)
}

fn sts_error_code(reply: &Reply) -> &str {
    assert!(
        reply
            .body
            .starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
    );
    reply.xml("Code")
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Location's query parameters.
fn location_params(reply: &Reply) -> Vec<(String, String)> {
    let location = reply.header("Location").expect("Location");
    awsctx_tests::http::parse_query(location.split_once('?').map_or("", |(_, q)| q))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

// --- SSO OIDC -----------------------------------------------------------------------------

#[test]
fn register_client_issues_secret_expiring_in_about_90_days() {
    let mock = MockSso::start(MockConfig::default());
    let reply =
        post_json(&mock, "/client/register", &json!({"clientName": "x", "clientType": "public"}));
    assert_eq!(reply.status, 200);
    assert!(reply.header("x-amzn-RequestId").is_some());
    let body = reply.json();
    let issued = body["clientIdIssuedAt"].as_u64().unwrap();
    let expires = body["clientSecretExpiresAt"].as_u64().unwrap();
    assert!(issued.abs_diff(now_secs()) < 5);
    assert_eq!(expires - issued, 90 * 24 * 3600);
    assert!(!body["clientId"].as_str().unwrap().is_empty());
}

#[test]
fn register_client_validates_members() {
    let mock = MockSso::start(MockConfig::default());
    let missing = post_json(&mock, "/client/register", &json!({"clientName": "x"}));
    assert_oidc_error(&missing, 400, "InvalidRequest", "invalid_request");
    let confidential = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "confidential"}),
    );
    assert_oidc_error(&confidential, 400, "InvalidClientMetadata", "invalid_client_metadata");
    let wrong_issuer = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "public", "grantTypes": ["authorization_code"],
                "redirectUris": ["http://127.0.0.1/oauth/callback"],
                "issuerUrl": "https://elsewhere.awsapps.com/start"}),
    );
    assert_oidc_error(&wrong_issuer, 400, "InvalidRequest", "invalid_request");
    let not_json = request(&mock, "POST", "/client/register", &[], "{not json");
    assert_oidc_error(&not_json, 400, "InvalidRequest", "invalid_request");
}

#[test]
fn device_flow_is_pending_until_the_browser_approves_then_issues_a_token() {
    let mock = MockSso::start(MockConfig::default().device_interval(0));
    let client = register(&mock, Some(&["sso:account:access"]));
    let device = start_device(&mock, &client);
    let user_code = device["userCode"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert_eq!(device["verificationUri"], format!("{}/device", mock.url()));
    assert_eq!(
        device["verificationUriComplete"],
        format!("{}/device?user_code={user_code}", mock.url())
    );
    assert_eq!(device["interval"], 0);
    assert_eq!(device["expiresIn"], 600);
    let code = device["deviceCode"].as_str().unwrap();

    let pending = poll(&mock, &client, code);
    assert_oidc_error(&pending, 400, "AuthorizationPending", "authorization_pending");

    let page = browse(device["verificationUriComplete"].as_str().unwrap()).expect("browse");
    assert!(page.is_success(), "{page:?}");

    let token = poll(&mock, &client, code);
    assert_eq!(token.status, 200, "{token:?}");
    let body = token.json();
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 8 * 3600);
    assert!(body["accessToken"].as_str().unwrap().starts_with("aoa"));
    assert!(body["refreshToken"].is_string(), "scopes were registered: {body}");
    // The device code is spent.
    assert_oidc_error(&poll(&mock, &client, code), 400, "InvalidGrant", "invalid_grant");
    assert_eq!(mock.count(Operation::CreateToken), 3);
    assert_eq!(mock.count(Operation::VerifyDevice), 1);
}

#[test]
fn device_token_has_no_refresh_token_when_no_scopes_were_registered() {
    let mock =
        MockSso::start(MockConfig::default().auto_approve(true).token_ttl(Duration::from_secs(60)));
    let client = register(&mock, None);
    let device = start_device(&mock, &client);
    let token = poll(&mock, &client, device["deviceCode"].as_str().unwrap());
    assert_eq!(token.status, 200);
    let body = token.json();
    assert!(body.get("refreshToken").is_none(), "{body}");
    assert_eq!(body["expiresIn"], 60);
}

#[test]
fn polling_faster_than_the_interval_is_slow_down() {
    let mock = MockSso::start(MockConfig::default().device_interval(5));
    let client = register(&mock, None);
    let device = start_device(&mock, &client);
    let code = device["deviceCode"].as_str().unwrap();
    assert_oidc_error(
        &poll(&mock, &client, code),
        400,
        "AuthorizationPending",
        "authorization_pending",
    );
    assert_oidc_error(&poll(&mock, &client, code), 400, "SlowDown", "slow_down");
}

#[test]
fn device_code_past_expires_in_is_expired_token() {
    let mock = MockSso::start(MockConfig::default().device_code_ttl(Duration::ZERO));
    let client = register(&mock, None);
    let device = start_device(&mock, &client);
    let reply = poll(&mock, &client, device["deviceCode"].as_str().unwrap());
    assert_oidc_error(&reply, 400, "ExpiredToken", "expired_token");
}

#[test]
fn denied_device_authorization_is_access_denied() {
    let mock = MockSso::start(MockConfig::default().deny_authorization(true).device_interval(0));
    let client = register(&mock, None);
    let device = start_device(&mock, &client);
    let page = browse(device["verificationUriComplete"].as_str().unwrap()).expect("browse");
    assert!(page.body.contains("denied"), "{}", page.body);
    let reply = poll(&mock, &client, device["deviceCode"].as_str().unwrap());
    assert_oidc_error(&reply, 400, "AccessDenied", "access_denied");
}

#[test]
fn device_page_with_unknown_code_is_an_error_for_the_browser() {
    let mock = MockSso::start(MockConfig::default());
    let page = browse(&format!("{}/device?user_code=BCDF-GHJK", mock.url())).expect("browse");
    assert_eq!(page.status, 400);
}

#[test]
fn token_calls_check_the_client() {
    let mock = MockSso::start(MockConfig::default());
    let client = register(&mock, None);
    let unknown = post_json(
        &mock,
        "/token",
        &json!({"clientId": "nobody", "clientSecret": "x", "grantType": DEVICE_GRANT, "deviceCode": "d"}),
    );
    assert_oidc_error(&unknown, 401, "InvalidClient", "invalid_client");
    let wrong_secret = post_json(
        &mock,
        "/device_authorization",
        &json!({"clientId": client.0, "clientSecret": "wrong", "startUrl": mock.start_url()}),
    );
    assert_oidc_error(&wrong_secret, 401, "InvalidClient", "invalid_client");
    let no_device_code = post_json(
        &mock,
        "/token",
        &json!({"clientId": client.0, "clientSecret": client.1, "grantType": DEVICE_GRANT}),
    );
    assert_oidc_error(&no_device_code, 400, "InvalidRequest", "invalid_request");
    let bad_grant = post_json(
        &mock,
        "/token",
        &json!({"clientId": client.0, "clientSecret": client.1, "grantType": "password"}),
    );
    assert_oidc_error(&bad_grant, 400, "UnsupportedGrantType", "unsupported_grant_type");
    let wrong_start = post_json(
        &mock,
        "/device_authorization",
        &json!({"clientId": client.0, "clientSecret": client.1, "startUrl": "https://x.awsapps.com/start"}),
    );
    assert_oidc_error(&wrong_start, 400, "InvalidRequest", "invalid_request");
}

/// `/authorize` for `client` with a fixed verifier; returns the redirect.
fn authorize(mock: &MockSso, client_id: &str, redirect: &str, verifier: &str) -> Reply {
    let query = encode_query([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("state", "5f0c1a2b-state"),
        ("code_challenge_method", "S256"),
        ("scopes", "sso:account:access"),
    ]);
    let target = format!("/authorize?{query}&code_challenge={}", pkce_challenge(verifier));
    request(mock, "GET", &target, &[], "")
}

fn exchange(
    mock: &MockSso,
    client: &(String, String),
    code: &str,
    redirect: &str,
    verifier: &str,
) -> Reply {
    post_json(
        mock,
        "/token",
        &json!({"clientId": client.0, "clientSecret": client.1, "grantType": "authorization_code",
                "redirectUri": redirect, "codeVerifier": verifier, "code": code}),
    )
}

#[test]
fn pkce_exchange_needs_the_verifier_of_the_challenge() {
    let mock = MockSso::start(MockConfig::default());
    let client = register_pkce(&mock);
    let redirect = "http://127.0.0.1:49152/oauth/callback";
    let verifier = "a".repeat(64);

    let good = authorize(&mock, &client.0, redirect, &verifier);
    assert_eq!(good.status, 302);
    assert!(good.header("Location").unwrap().starts_with(&format!("{redirect}?code=")));
    let params = location_params(&good);
    assert_eq!(param(&params, "state"), Some("5f0c1a2b-state"));
    let code = param(&params, "code").unwrap().to_owned();
    let token = exchange(&mock, &client, &code, redirect, &verifier);
    assert_eq!(token.status, 200, "{token:?}");
    assert!(token.json()["refreshToken"].is_string());

    let other = authorize(&mock, &client.0, redirect, &verifier);
    let code = param(&location_params(&other), "code").unwrap().to_owned();
    let wrong = exchange(&mock, &client, &code, redirect, &"b".repeat(64));
    assert_oidc_error(&wrong, 400, "InvalidGrant", "invalid_grant");
    // A code is single-use, even after a failed exchange.
    let again = exchange(&mock, &client, &code, redirect, &verifier);
    assert_oidc_error(&again, 400, "InvalidGrant", "invalid_grant");

    let third = authorize(&mock, &client.0, redirect, &verifier);
    let code = param(&location_params(&third), "code").unwrap().to_owned();
    let other_port =
        exchange(&mock, &client, &code, "http://127.0.0.1:1/oauth/callback", &verifier);
    assert_oidc_error(&other_port, 400, "InvalidGrant", "invalid_grant");
}

#[test]
fn pkce_needs_a_registration_for_authorization_code() {
    let mock = MockSso::start(MockConfig::default());
    let device_client = register(&mock, Some(&["sso:account:access"]));
    let reply = exchange(&mock, &device_client, "c", "http://127.0.0.1:5/oauth/callback", "v");
    assert_oidc_error(&reply, 400, "UnauthorizedClient", "unauthorized_client");
}

#[test]
fn authorize_denied_redirects_with_access_denied_and_state() {
    let mock = MockSso::start(MockConfig::default());
    let client = register_pkce(&mock);
    mock.set_deny_authorization(true);
    let reply = authorize(&mock, &client.0, "http://127.0.0.1:4000/oauth/callback", "v");
    assert_eq!(reply.status, 302);
    assert_eq!(
        reply.header("Location"),
        Some("http://127.0.0.1:4000/oauth/callback?error=access_denied&state=5f0c1a2b-state")
    );
}

#[test]
fn authorize_never_redirects_to_an_unregistered_uri() {
    let mock = MockSso::start(MockConfig::default());
    let client = register_pkce(&mock);
    let reply = authorize(&mock, &client.0, "http://127.0.0.1:4000/elsewhere", "v");
    assert_eq!(reply.status, 400);
    assert!(reply.header("Location").is_none());
    let unknown = authorize(&mock, "no-such-client", "http://127.0.0.1:4000/oauth/callback", "v");
    assert_eq!(unknown.status, 400);
}

/// A one-shot loopback callback server; returns its URL and the request line it got.
fn callback_server() -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/oauth/callback", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0_u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        // Like the AWS CLI's callback: no Content-Length, body until close.
        stream.write_all(b"HTTP/1.0 200 OK\r\nServer: AWS CLI/2\r\n\r\n<html>ok</html>").unwrap();
        String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_owned()
    });
    (url, handle)
}

#[test]
fn browser_follows_the_authorize_redirect_to_the_loopback_callback() {
    let mock = MockSso::start(MockConfig::default());
    let client = register_pkce(&mock);
    let (redirect, server) = callback_server();
    let query = encode_query([
        ("response_type", "code"),
        ("client_id", client.0.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("state", "s1"),
        ("code_challenge_method", "S256"),
        ("scopes", "sso:account:access"),
    ]);
    let url = format!("{}/authorize?{query}&code_challenge={}", mock.url(), pkce_challenge("v"));
    let page = browse(&url).expect("browse");
    assert_eq!(page.status, 200);
    assert_eq!(page.body, "<html>ok</html>");
    assert_eq!(page.visited.len(), 2);
    let line = server.join().unwrap();
    assert!(line.starts_with("GET /oauth/callback?code="), "{line}");
    assert!(line.contains("&state=s1 "), "{line}");
}

#[test]
fn refresh_tokens_rotate() {
    let mock = MockSso::start(MockConfig::default());
    let issued = mock.issue_token();
    let client = (issued.client_id.clone(), issued.client_secret.clone());
    let refresh = |token: &str| {
        post_json(
            &mock,
            "/token",
            &json!({"clientId": client.0, "clientSecret": client.1, "grantType": "refresh_token",
                    "refreshToken": token}),
        )
    };
    let first = refresh(issued.refresh_token.as_deref().unwrap());
    assert_eq!(first.status, 200, "{first:?}");
    let body = first.json();
    let new_refresh = body["refreshToken"].as_str().unwrap();
    assert_ne!(new_refresh, issued.refresh_token.as_deref().unwrap());
    let reused = refresh(issued.refresh_token.as_deref().unwrap());
    assert_oidc_error(&reused, 400, "InvalidGrant", "invalid_grant");
    assert_eq!(refresh(new_refresh).status, 200);
}

#[test]
fn revoked_tokens_fail_refresh_and_portal_calls() {
    let mock = MockSso::start(MockConfig::default());
    let issued = mock.issue_token();
    let account = &mock.accounts()[0];
    role_credentials(&mock, &issued.access_token, &account.id, &account.roles[0]);
    mock.revoke_tokens();
    let reply = portal_get(&mock, "/assignment/accounts", &issued.access_token);
    assert_portal_error(&reply, 401, "Unauthorized");
    let refresh = post_json(
        &mock,
        "/token",
        &json!({"clientId": issued.client_id, "clientSecret": issued.client_secret,
                "grantType": "refresh_token", "refreshToken": issued.refresh_token}),
    );
    assert_oidc_error(&refresh, 400, "InvalidGrant", "invalid_grant");
}

#[test]
fn expired_access_tokens_fail_but_refresh_still_works() {
    let mock = MockSso::start(MockConfig::default());
    let issued = mock.issue_token();
    mock.expire_tokens();
    assert_eq!(portal_get(&mock, "/assignment/accounts", &issued.access_token).status, 401);
    let refresh = post_json(
        &mock,
        "/token",
        &json!({"clientId": issued.client_id, "clientSecret": issued.client_secret,
                "grantType": "refresh_token", "refreshToken": issued.refresh_token}),
    );
    assert_eq!(refresh.status, 200);
    let token = refresh.json()["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(portal_get(&mock, "/assignment/accounts", &token).status, 200);
}

// --- SSO portal ---------------------------------------------------------------------------

#[test]
fn get_role_credentials_answers_like_recorded_traffic() {
    let mock = MockSso::start(MockConfig::default().credential_ttl(Duration::from_secs(1800)));
    let token = login(&mock);
    let account = mock.accounts()[0].clone();
    let target =
        format!("/federation/credentials?role_name={}&account_id={}", account.roles[0], account.id);
    let reply = portal_get(&mock, &target, &token);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    assert_eq!(reply.header("Server"), Some("AWS SSO"));
    assert!(reply.header("RequestId").is_some());
    let creds = &reply.json()["roleCredentials"];
    let akid = creds["accessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIA") && akid.len() == 20, "{akid}");
    assert_eq!(creds["secretAccessKey"].as_str().unwrap().len(), 40);
    assert!(creds["sessionToken"].is_string());
    let expiration_ms = creds["expiration"].as_u64().unwrap();
    assert_eq!(expiration_ms % 1000, 0);
    assert!((expiration_ms / 1000).abs_diff(now_secs() + 1800) < 5);

    let again = portal_get(&mock, &target, &token);
    assert_ne!(again.json()["roleCredentials"]["accessKeyId"], akid, "unique per call");
    let known = mock.credentials(akid).unwrap();
    assert_eq!(known.account_id, account.id);
    assert!(known.arn.contains(&format!("assumed-role/AWSReservedSSO_{}_", account.roles[0])));
    assert_eq!(mock.count(Operation::GetRoleCredentials), 2);
    let logged = mock.requests_for(Operation::GetRoleCredentials);
    assert_eq!(logged[0].query_param("role_name"), Some(account.roles[0].as_str()));
    assert_eq!(logged[0].header("X-AMZ-SSO_BEARER_TOKEN"), Some(token.as_str()));
    assert_eq!(logged[0].status, Some(200));
}

#[test]
fn portal_errors_have_the_switchboard_shape() {
    let mock = MockSso::start(MockConfig::default());
    let no_token = request(&mock, "GET", "/assignment/accounts", &[], "");
    assert_eq!(no_token.status, 401);
    assert_eq!(
        no_token.body,
        r#"{"message":"Session token not found or invalid","__type":"com.amazonaws.switchboard.portal#UnauthorizedException"}"#
    );
    let token = login(&mock);
    let missing = portal_get(&mock, "/federation/credentials?role_name=X", &token);
    assert_portal_error(&missing, 400, "InvalidRequest");
    let no_access = portal_get(
        &mock,
        "/federation/credentials?role_name=NotMine&account_id=111111111111",
        &token,
    );
    assert_portal_error(&no_access, 403, "Forbidden");
    assert_portal_error(
        &portal_get(&mock, "/assignment/accounts?max_result=0", &token),
        400,
        "InvalidRequest",
    );
    assert_portal_error(
        &portal_get(&mock, "/assignment/accounts?next_token=garbage", &token),
        400,
        "InvalidRequest",
    );
}

#[test]
fn list_accounts_paginates_with_next_token() {
    let mock = MockSso::start(MockConfig::default().accounts(45));
    let token = login(&mock);
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let target = match &next {
            Some(t) => format!("/assignment/accounts?next_token={}", percent_encode(t)),
            None => "/assignment/accounts".to_owned(),
        };
        let body = portal_get(&mock, &target, &token).json();
        pages += 1;
        for account in body["accountList"].as_array().unwrap() {
            seen.push(account["accountId"].as_str().unwrap().to_owned());
            assert!(account["emailAddress"].as_str().unwrap().contains('@'));
            assert!(account["accountName"].is_string());
        }
        match body["nextToken"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3, "default page size 20");
    let expected: Vec<String> = mock.accounts().into_iter().map(|a| a.id).collect();
    assert_eq!(seen, expected);

    let big = portal_get(&mock, "/assignment/accounts?max_result=100", &token).json();
    assert_eq!(big["accountList"].as_array().unwrap().len(), 45);
    assert!(big.get("nextToken").is_none());
}

#[test]
fn list_account_roles_follows_set_access() {
    let mock = MockSso::start(MockConfig::default().accounts(2).roles_per_account(3));
    let token = login(&mock);
    let first = mock.accounts()[0].clone();
    let body =
        portal_get(&mock, &format!("/assignment/roles?account_id={}", first.id), &token).json();
    let roles: Vec<&str> = body["roleList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["roleName"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"]);
    assert_eq!(body["roleList"][0]["accountId"], first.id.as_str());

    let paged = portal_get(
        &mock,
        &format!("/assignment/roles?account_id={}&max_result=2", first.id),
        &token,
    )
    .json();
    let next = paged["nextToken"].as_str().unwrap();
    let rest = portal_get(
        &mock,
        &format!(
            "/assignment/roles?account_id={}&max_result=2&next_token={}",
            first.id,
            percent_encode(next)
        ),
        &token,
    )
    .json();
    assert_eq!(rest["roleList"][0]["roleName"], "PowerUserAccess");

    mock.set_access(vec![Account::new("999999999999", "new-account", &["Only"])]);
    let accounts = portal_get(&mock, "/assignment/accounts", &token).json();
    assert_eq!(accounts["accountList"][0]["accountId"], "999999999999");
    assert_eq!(accounts["accountList"].as_array().unwrap().len(), 1);
    let gone = portal_get(&mock, &format!("/assignment/roles?account_id={}", first.id), &token);
    assert_portal_error(&gone, 403, "Forbidden");
    let creds = portal_get(
        &mock,
        &format!("/federation/credentials?role_name=AdministratorAccess&account_id={}", first.id),
        &token,
    );
    assert_eq!(creds.status, 403);
}

#[test]
fn list_apis_beyond_the_rate_limit_are_429_with_retry_after() {
    let mock = MockSso::start(MockConfig::default().rate_limit(3));
    let token = login(&mock);
    let statuses: Vec<u16> =
        (0..5).map(|_| portal_get(&mock, "/assignment/accounts", &token).status).collect();
    assert_eq!(&statuses[..3], [200, 200, 200]);
    assert_eq!(statuses[3], 429);
    let limited = portal_get(&mock, "/assignment/roles?account_id=111111111111", &token);
    assert_portal_error(&limited, 429, "TooManyRequests");
    assert_eq!(limited.header("Retry-After"), Some("1"));
    // Role credentials are not rate limited.
    let account = mock.accounts()[0].clone();
    role_credentials(&mock, &token, &account.id, &account.roles[0]);
    mock.set_rate_limit(None);
    assert_eq!(portal_get(&mock, "/assignment/accounts", &token).status, 200);
}

#[test]
fn logout_invalidates_the_token() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    let reply = request(&mock, "POST", "/logout", &[("x-amz-sso_bearer_token", &token)], "");
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    assert_eq!(portal_get(&mock, "/assignment/accounts", &token).status, 401);
    assert_eq!(mock.count(Operation::Logout), 1);
}

// --- STS ----------------------------------------------------------------------------------

#[test]
fn assume_role_answers_the_recorded_xml_shape() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    let account = mock.accounts()[0].clone();
    let source = role_credentials(&mock, &token, &account.id, &account.roles[0]);
    let reply = assume_role(&mock, &source, &[("DurationSeconds", "900")]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("Content-Type"), Some("text/xml"));
    let request_id = reply.header("x-amzn-RequestId").unwrap().to_owned();
    assert!(reply.body.starts_with(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      <AssumedRoleId>AROA"
    ));
    assert!(reply.xml("AssumedRoleId").ends_with(":assume-role-provider-session"));
    assert_eq!(
        reply.xml("Arn"),
        "arn:aws:sts::123456789012:assumed-role/integration-test/assume-role-provider-session"
    );
    assert_eq!(reply.xml("RequestId"), request_id);
    let akid = reply.xml("AccessKeyId");
    assert!(akid.starts_with("ASIA"));
    assert_ne!(akid, source.access_key_id);
    let expiration = reply.xml("Expiration");
    assert_eq!(expiration.len(), 20, "{expiration}");
    assert!(expiration.ends_with('Z'));
    let expected = jiff::Timestamp::from_second(i64::try_from(now_secs()).unwrap() + 900).unwrap();
    let got: jiff::Timestamp = expiration.parse().unwrap();
    assert!(got.duration_since(expected).as_secs().abs() < 5);

    let chained = mock.credentials(akid).unwrap();
    assert_eq!(chained.account_id, "123456789012");
    let who = sts(&mock, &chained, &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]);
    assert_eq!(who.status, 200, "{}", who.body);
    assert!(who.body.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    assert_eq!(who.xml("Account"), "123456789012");
    assert_eq!(
        who.xml("Arn"),
        "arn:aws:sts::123456789012:assumed-role/integration-test/assume-role-provider-session"
    );
    assert!(who.xml("UserId").starts_with("AROA"));
    assert_eq!(mock.count(Operation::AssumeRole), 1);
    assert_eq!(mock.count(Operation::GetCallerIdentity), 1);
    let logged = &mock.requests_for(Operation::AssumeRole)[0];
    assert_eq!(
        logged.form_param("RoleSessionName").as_deref(),
        Some("assume-role-provider-session")
    );
}

#[test]
fn get_caller_identity_of_sso_keys_names_the_reserved_role() {
    let mock = MockSso::start(MockConfig::default().user_name("bob@example.com"));
    let token = login(&mock);
    let account = mock.accounts()[1].clone();
    let creds = role_credentials(&mock, &token, &account.id, &account.roles[0]);
    let who = sts(&mock, &creds, &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]);
    assert_eq!(who.xml("Account"), account.id);
    let arn = who.xml("Arn");
    assert!(
        arn.starts_with(&format!(
            "arn:aws:sts::{}:assumed-role/AWSReservedSSO_{}_",
            account.id, account.roles[0]
        )),
        "{arn}"
    );
    assert!(arn.ends_with("/bob@example.com"));
}

#[test]
fn sts_checks_the_calling_keys() {
    let mock = MockSso::start(MockConfig::default());
    let unsigned = request(
        &mock,
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_eq!(unsigned.status, 403);
    assert_eq!(sts_error_code(&unsigned), "MissingAuthenticationToken");
    assert_eq!(unsigned.xml("Type"), "Sender");
    assert!(!unsigned.xml("RequestId").is_empty());

    let stranger = IssuedCredentials {
        access_key_id: "ASIANOTISSUEDBYMOCK0".into(),
        secret_access_key: "x".into(),
        session_token: Some("t".into()),
        account_id: "123456789012".into(),
        arn: String::new(),
        expires_at: None,
    };
    let reply = assume_role(&mock, &stranger, &[]);
    assert_eq!(reply.status, 403);
    assert_eq!(sts_error_code(&reply), "InvalidClientTokenId");

    let token = login(&mock);
    let account = mock.accounts()[0].clone();
    let mut creds = role_credentials(&mock, &token, &account.id, &account.roles[0]);
    creds.session_token = Some("not-the-token".into());
    assert_eq!(sts_error_code(&assume_role(&mock, &creds, &[])), "InvalidClientTokenId");

    let creds = role_credentials(&mock, &token, &account.id, &account.roles[0]);
    mock.expire_credentials();
    let expired = assume_role(&mock, &creds, &[]);
    assert_eq!(sts_error_code(&expired), "ExpiredToken");

    let user = mock.create_user_keys("123456789012", "ci");
    assert!(user.access_key_id.starts_with("AKIA"));
    let who = sts(&mock, &user, &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]);
    assert_eq!(who.xml("Arn"), "arn:aws:iam::123456789012:user/ci");
    let unknown =
        sts(&mock, &user, &[("Action", "DecodeAuthorizationMessage"), ("Version", "2011-06-15")]);
    assert_eq!(unknown.status, 400);
    assert_eq!(sts_error_code(&unknown), "InvalidAction");
}

#[test]
fn assume_role_honours_external_id_mfa_and_duration_limits() {
    let arn_ext = "arn:aws:iam::222222222222:role/partner";
    let arn_mfa = "arn:aws:iam::222222222222:role/breakglass";
    let mock = MockSso::start(
        MockConfig::default()
            .assumable_role(AssumableRole::new(arn_ext).external_id("ext-123"))
            .assumable_role(
                AssumableRole::new(arn_mfa)
                    .mfa("arn:aws:iam::222222222222:mfa/alice", "123456")
                    .max_session(Duration::from_secs(12 * 3600)),
            ),
    );
    let user = mock.create_user_keys("222222222222", "alice");
    let call = |arn: &str, extra: &[(&str, &str)]| {
        let mut form = vec![
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", arn),
            ("RoleSessionName", "s1"),
        ];
        form.extend_from_slice(extra);
        sts(&mock, &user, &form)
    };
    let no_ext = call(arn_ext, &[]);
    assert_eq!(no_ext.status, 403);
    assert_eq!(sts_error_code(&no_ext), "AccessDenied");
    assert!(no_ext.xml("Message").contains("is not authorized to perform: sts:AssumeRole"));
    assert_eq!(sts_error_code(&call(arn_ext, &[("ExternalId", "ext-999")])), "AccessDenied");
    assert_eq!(call(arn_ext, &[("ExternalId", "ext-123")]).status, 200);

    let serial = ("SerialNumber", "arn:aws:iam::222222222222:mfa/alice");
    assert_eq!(sts_error_code(&call(arn_mfa, &[])), "AccessDenied");
    assert_eq!(sts_error_code(&call(arn_mfa, &[serial, ("TokenCode", "000000")])), "AccessDenied");
    assert_eq!(
        sts_error_code(&call(arn_mfa, &[serial, ("TokenCode", "12345")])),
        "ValidationError"
    );
    let ok = call(arn_mfa, &[serial, ("TokenCode", "123456"), ("DurationSeconds", "43200")]);
    assert_eq!(ok.status, 200, "{}", ok.body);

    // A role session may not chain beyond one hour; nor exceed the role's maximum.
    let session = mock.credentials(ok.xml("AccessKeyId")).unwrap();
    let chained = sts(
        &mock,
        &session,
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", "arn:aws:iam::333333333333:role/x"),
            ("RoleSessionName", "s2"),
            ("DurationSeconds", "7200"),
        ],
    );
    assert_eq!(sts_error_code(&chained), "ValidationError");
    assert_eq!(
        sts_error_code(&call(arn_ext, &[("ExternalId", "ext-123"), ("DurationSeconds", "7200")])),
        "ValidationError"
    );
    assert_eq!(sts_error_code(&call(arn_ext, &[("DurationSeconds", "60")])), "ValidationError");
    assert_eq!(sts_error_code(&call("not-an-arn", &[])), "ValidationError");
    let bad_session = sts(
        &mock,
        &user,
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", arn_ext),
            ("RoleSessionName", "has space"),
            ("ExternalId", "ext-123"),
        ],
    );
    assert_eq!(sts_error_code(&bad_session), "ValidationError");
}

#[test]
fn unknown_roles_can_be_denied() {
    let mock = MockSso::start(MockConfig::default().deny_unknown_roles());
    let user = mock.create_user_keys("123456789012", "ci");
    assert_eq!(sts_error_code(&assume_role(&mock, &user, &[])), "AccessDenied");
    mock.add_assumable_role(AssumableRole::new("arn:aws:iam::123456789012:role/integration-test"));
    assert_eq!(assume_role(&mock, &user, &[]).status, 200);
}

// --- console sign-in ----------------------------------------------------------------------

#[test]
fn console_federation_trades_issued_keys_for_a_signin_token() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    let account = mock.accounts()[0].clone();
    let creds = role_credentials(&mock, &token, &account.id, &account.roles[0]);
    let session = json!({
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key,
        "sessionToken": creds.session_token,
    })
    .to_string();
    let target = format!(
        "/federation?Action=getSigninToken&SessionDuration=3600&Session={}",
        percent_encode(&session)
    );
    let reply = request(&mock, "GET", &target, &[], "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    let signin = body["SigninToken"].as_str().unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1);

    let forged = json!({"sessionId": creds.access_key_id, "sessionKey": "wrong", "sessionToken": creds.session_token});
    let bad = request(
        &mock,
        "GET",
        &format!(
            "/federation?Action=getSigninToken&Session={}",
            percent_encode(&forged.to_string())
        ),
        &[],
        "",
    );
    assert_eq!(bad.status, 400);

    let destination = "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1";
    let login_url = format!(
        "{}/federation?{}",
        mock.url(),
        encode_query([
            ("Action", "login"),
            ("Issuer", "awsctx"),
            ("Destination", destination),
            ("SigninToken", signin)
        ])
    );
    let page = browse(&login_url).expect("browse");
    assert_eq!(page.status, 200);
    let sessions = mock.console_sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].account_id, account.id);
    assert_eq!(sessions[0].destination, destination);
    assert_eq!(sessions[0].issuer, "awsctx");
    // A sign-in token works once.
    assert_eq!(browse(&login_url).expect("browse").status, 400);
    assert_eq!(mock.count(Operation::GetSigninToken), 2);
    assert_eq!(mock.count(Operation::ConsoleLogin), 2);
}

// --- faults -------------------------------------------------------------------------------

#[test]
fn faults_are_consumed_in_order_then_normal_service_resumes() {
    let mock = MockSso::start(MockConfig::default());
    mock.inject(Operation::RegisterClient, [Fault::Status(500), Fault::Status(503)]);
    let body = json!({"clientName": "x", "clientType": "public"});
    assert_oidc_error(
        &post_json(&mock, "/client/register", &body),
        500,
        "InternalServer",
        "server_error",
    );
    assert_eq!(post_json(&mock, "/client/register", &body).status, 503);
    assert_eq!(post_json(&mock, "/client/register", &body).status, 200);
    assert_eq!(mock.count(Operation::RegisterClient), 3);
}

#[test]
fn throttle_fault_has_each_services_shape() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    mock.inject(Operation::ListAccounts, [Fault::Throttle]);
    let portal = portal_get(&mock, "/assignment/accounts", &token);
    assert_portal_error(&portal, 429, "TooManyRequests");
    assert_eq!(portal.header("Retry-After"), Some("1"));

    let user = mock.create_user_keys("123456789012", "ci");
    mock.inject(Operation::AssumeRole, [Fault::Throttle, Fault::Status(500)]);
    let throttled = assume_role(&mock, &user, &[]);
    assert_eq!(throttled.status, 400);
    assert_eq!(sts_error_code(&throttled), "Throttling");
    let failed = assume_role(&mock, &user, &[]);
    assert_eq!(failed.status, 500);
    assert_eq!(sts_error_code(&failed), "InternalFailure");
    assert_eq!(failed.xml("Type"), "Receiver");

    mock.inject(Operation::CreateToken, [Fault::Throttle]);
    let oidc = post_json(&mock, "/token", &json!({}));
    assert_eq!(oidc.status, 429);
    assert!(oidc.header("x-amzn-ErrorType").unwrap().starts_with("TooManyRequestsException"));
}

#[test]
fn slow_fault_delays_the_answer() {
    let mock = MockSso::start(MockConfig::default());
    mock.inject(Operation::RegisterClient, [Fault::Slow(Duration::from_millis(300))]);
    let started = Instant::now();
    let reply =
        post_json(&mock, "/client/register", &json!({"clientName": "x", "clientType": "public"}));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, 200);
}

#[test]
fn malformed_json_fault_is_a_truncated_200() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    let account = mock.accounts()[0].clone();
    mock.inject(Operation::GetRoleCredentials, [Fault::MalformedJson]);
    let reply = portal_get(
        &mock,
        &format!(
            "/federation/credentials?role_name={}&account_id={}",
            account.roles[0], account.id
        ),
        &token,
    );
    assert_eq!(reply.status, 200);
    assert!(reply.body.starts_with("{\"roleCredentials\""));
    assert!(serde_json::from_str::<Value>(&reply.body).is_err());
}

#[test]
fn drop_connection_fault_answers_nothing() {
    let mock = MockSso::start(MockConfig::default());
    mock.inject(Operation::CreateToken, [Fault::DropConnection]);
    let bytes = b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    assert!(raw(&mock, bytes).is_none());
    assert_eq!(mock.count(Operation::CreateToken), 1);
    assert_eq!(mock.requests_for(Operation::CreateToken)[0].status, None);
    assert!(raw(&mock, bytes).is_some());
}

#[test]
fn token_faults_answer_as_expired_or_revoked() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    mock.inject(Operation::ListAccounts, [Fault::ExpiredToken, Fault::RevokedToken]);
    assert_portal_error(&portal_get(&mock, "/assignment/accounts", &token), 401, "Unauthorized");
    assert_portal_error(&portal_get(&mock, "/assignment/accounts", &token), 401, "Unauthorized");
    assert_eq!(portal_get(&mock, "/assignment/accounts", &token).status, 200, "state unchanged");

    mock.inject(Operation::CreateToken, [Fault::ExpiredToken, Fault::RevokedToken]);
    assert_oidc_error(
        &post_json(&mock, "/token", &json!({})),
        400,
        "ExpiredToken",
        "expired_token",
    );
    assert_oidc_error(
        &post_json(&mock, "/token", &json!({})),
        400,
        "InvalidGrant",
        "invalid_grant",
    );

    let user = mock.create_user_keys("123456789012", "ci");
    mock.inject(Operation::GetCallerIdentity, [Fault::ExpiredToken, Fault::RevokedToken]);
    let form = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")];
    assert_eq!(sts_error_code(&sts(&mock, &user, &form)), "ExpiredToken");
    assert_eq!(sts_error_code(&sts(&mock, &user, &form)), "InvalidClientTokenId");
}

#[test]
fn field_and_error_faults_answer_what_a_hostile_server_would() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    let account = mock.accounts()[0].clone();
    let target =
        format!("/federation/credentials?role_name={}&account_id={}", account.roles[0], account.id);
    mock.inject(
        Operation::GetRoleCredentials,
        [Fault::Field { name: "secretAccessKey".into(), value: "x;id\u{1b}".into() }],
    );
    let reply = portal_get(&mock, &target, &token);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["roleCredentials"]["secretAccessKey"], "x;id\u{1b}");
    assert!(reply.json()["roleCredentials"]["accessKeyId"].as_str().unwrap().starts_with("ASIA"));

    let hostile = "\u{1b}]0;t\u{7}<&>";
    let error = || Fault::Error { status: 400, code: hostile.into(), message: hostile.into() };
    mock.inject(Operation::GetRoleCredentials, [error()]);
    let reply = portal_get(&mock, &target, &token);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["message"], hostile);
    assert_eq!(reply.json()["__type"], format!("portal#{hostile}"));
    mock.inject(Operation::CreateToken, [error()]);
    let reply = post_json(&mock, "/token", &json!({}));
    assert_eq!(
        (reply.json()["error"].as_str(), reply.json()["error_description"].as_str()),
        (Some(hostile), Some(hostile))
    );

    let keys = role_credentials(&mock, &token, &account.id, &account.roles[0]);
    mock.inject(
        Operation::AssumeRole,
        [Fault::Field { name: "SecretAccessKey".into(), value: "$(id)<&>".into() }, error()],
    );
    let reply = assume_role(&mock, &keys, &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.xml("SecretAccessKey"), "$(id)&lt;&amp;&gt;");
    assert_eq!(sts_error_code(&assume_role(&mock, &keys, &[])), "\u{1b}]0;t\u{7}&lt;&amp;&gt;");
}

// --- robustness, stats, binary --------------------------------------------------------------

#[test]
fn garbage_requests_get_errors_and_the_server_keeps_serving() {
    let mock = MockSso::start(MockConfig::default());
    let garbage: [&[u8]; 9] = [
        b"\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST /token HTTP/1.1\r\nContent-Length: banana\r\n\r\n",
        b"POST /token HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort",
        b"POST /token HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"\xff\xfe\x00garbage\r\n\r\n",
        b"POST /token HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
        b"GET /federation?Action=getSigninToken&Session=%ZZ%7B HTTP/1.1\r\n\r\n",
    ];
    for bytes in garbage {
        if let Some(reply) = raw(&mock, bytes) {
            assert!((400..500).contains(&reply.status), "{bytes:?} → {reply:?}");
        }
    }
    let odd_json =
        [json!([]), json!({"clientId": 5}), json!({"clientName": null, "clientType": "public"})];
    for body in odd_json {
        assert_eq!(post_json(&mock, "/client/register", &body).status, 400);
        assert_eq!(post_json(&mock, "/token", &body).status, 400);
    }
    let proxied = raw(&mock, b"GET http://127.0.0.1:1/device HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(proxied.status, 200, "absolute-form target, as through a proxy");
    let unknown = request(&mock, "DELETE", "/client/register", &[], "");
    assert_eq!(unknown.status, 404);
    let sts_no_version = request(
        &mock,
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "Action=AssumeRole",
    );
    assert_eq!(sts_error_code(&sts_no_version), "MissingParameter");
    let chunked = raw(
        &mock,
        b"POST /client/register HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
          2b\r\n{\"clientName\":\"x\",\"clientType\":\"public\"}  \r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(chunked.status, 200, "{chunked:?}");
    assert_eq!(
        post_json(&mock, "/client/register", &json!({"clientName": "x", "clientType": "public"}))
            .status,
        200
    );
}

#[test]
fn stats_route_reports_counters_as_json() {
    let mock = MockSso::start(MockConfig::default());
    login(&mock);
    let stats = request(&mock, "GET", "/_mock/stats", &[], "").json();
    assert_eq!(stats["RegisterClient"], 1);
    assert_eq!(stats["StartDeviceAuthorization"], 1);
    assert_eq!(stats["CreateToken"], 1);
    assert_eq!(stats["GetRoleCredentials"], 0);
    assert_eq!(stats.as_object().unwrap().len(), Operation::ALL.len());
    mock.reset_counts();
    assert_eq!(mock.count(Operation::CreateToken), 0);
    assert!(mock.requests().is_empty());
}

#[test]
fn env_vars_point_every_service_at_the_mock() {
    let mock = MockSso::start(MockConfig::default());
    let vars = mock.env_vars();
    let names: Vec<&str> = vars.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "AWS_ENDPOINT_URL_SSO_OIDC",
            "AWS_ENDPOINT_URL_SSO",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ENDPOINT_URL_SIGNIN"
        ]
    );
    assert!(vars.iter().all(|(_, v)| *v == mock.url() && v.starts_with("http://127.0.0.1:")));
}

#[test]
fn generated_accounts_are_deterministic_and_distinct() {
    let a = generate_accounts(300, 3);
    assert_eq!(a, generate_accounts(300, 3));
    assert_eq!(a[0].id, "111111111111");
    assert_eq!(a[0].roles.len(), 3);
    assert!(a.iter().all(|x| (1..=3).contains(&x.roles.len()) && x.id.len() == 12));
    let mut ids: Vec<_> = a.iter().map(|x| x.id.clone()).collect();
    let mut names: Vec<_> = a.iter().map(|x| x.name.clone()).collect();
    ids.sort();
    ids.dedup();
    names.sort();
    names.dedup();
    assert_eq!((ids.len(), names.len()), (300, 300));
}

#[test]
fn dropping_the_mock_stops_the_server() {
    let mock = MockSso::start(MockConfig::default());
    let addr = mock.addr();
    drop(mock);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}

#[test]
fn mock_sso_serve_prints_its_url_and_stops_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-sso"))
        .args(["serve", "--accounts", "250", "--roles-per-account", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mock-sso");
    let mut stdout = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0_u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let url = String::from_utf8(line).unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let page = browse(&format!("{url}/_mock/stats")).expect("stats");
    assert_eq!(serde_json::from_str::<Value>(&page.body).unwrap()["ListAccounts"], 0);
    let device = browse(&format!("{url}/device")).expect("device page");
    assert!(device.is_success());

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(Instant::now() < deadline, "mock-sso did not exit after stdin closed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn mock_sso_browse_exits_by_the_final_status() {
    let mock = MockSso::start(MockConfig::default());
    let run = |url: String| {
        Command::new(env!("CARGO_BIN_EXE_mock-sso"))
            .args(["browse", &url])
            .stderr(Stdio::null())
            .status()
            .expect("run mock-sso browse")
    };
    assert!(run(format!("{}/device", mock.url())).success());
    assert_eq!(run(format!("{}/device?user_code=NOPE-NOPE", mock.url())).code(), Some(1));
    assert_eq!(run("http://192.0.2.1/".to_owned()).code(), Some(1), "never leaves loopback");

    let dir = tempfile::tempdir().unwrap();
    let script = awsctx_tests::write_browser_script(
        dir.path(),
        std::path::Path::new(env!("CARGO_BIN_EXE_mock-sso")),
    )
    .unwrap();
    let status = Command::new(&script)
        .arg(format!("{}/device", mock.url()))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let log = std::fs::read_to_string(dir.path().join("browser.log")).unwrap();
    assert_eq!(log, format!("{}/device\n", mock.url()));
}

#[test]
fn browser_gives_up_after_five_redirects() {
    // A loopback server that redirects to itself forever.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for _ in 0..6 {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0_u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let err = browse(&format!("http://{addr}/start")).unwrap_err();
    assert!(matches!(err, awsctx_tests::BrowseError::TooManyRedirects { .. }), "{err}");
    server.join().unwrap();
}

#[test]
fn revoking_one_token_leaves_the_others_working() {
    let mock = MockSso::start(MockConfig::default());
    let first = mock.issue_token();
    let second = mock.issue_token();
    mock.revoke_token(&first.access_token);
    assert_eq!(portal_get(&mock, "/assignment/accounts", &first.access_token).status, 401);
    assert_eq!(portal_get(&mock, "/assignment/accounts", &second.access_token).status, 200);
}

#[test]
fn concurrent_requests_are_each_served_and_counted() {
    let mock = MockSso::start(MockConfig::default());
    let token = login(&mock);
    let account = mock.accounts()[0].clone();
    let target =
        format!("/federation/credentials?role_name={}&account_id={}", account.roles[0], account.id);
    let keys: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                scope.spawn(|| {
                    let reply = portal_get(&mock, &target, &token);
                    reply.json()["roleCredentials"]["accessKeyId"].as_str().unwrap().to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50);
    assert_eq!(mock.count(Operation::GetRoleCredentials), 50);
    assert_eq!(mock.issued_credentials().len(), 50);
}
