//! The device-code and authorization-code logins, end to end against canned answers; the
//! PKCE tests play the browser against the real loopback listener.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use awsctx_core::secret::Secret;
use awsctx_login::browser::BrowserUrl;
use awsctx_login::flow::{
    AuthorizePrompt, DeviceFlowTiming, DevicePrompt, PkceTiming, device_login, pkce_login,
};
use awsctx_login::oidc::{ClientCredentials, SsoOidc};
use awsctx_login::pkce::{CallbackListener, code_challenge};
use awsctx_login::{Error, Service};

use crate::support::{CannedServer, Reply, block_on, client};

const DEVICE_AUTH: &str = r#"{"deviceCode":"dc-1","userCode":"ABCD-EFGH","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH","expiresIn":600,"interval":1}"#;
const TOKEN: &str =
    r#"{"accessToken":"at-1","tokenType":"Bearer","expiresIn":28800,"refreshToken":"rt-1"}"#;

fn creds() -> ClientCredentials {
    ClientCredentials { client_id: "cid".into(), client_secret: Secret::new("csecret") }
}

fn fast_timing() -> DeviceFlowTiming {
    DeviceFlowTiming {
        interval_override: Some(Duration::from_millis(30)),
        slow_down_step: Duration::from_millis(50),
        ..DeviceFlowTiming::default()
    }
}

#[test]
fn device_flow_polls_through_pending_and_slow_down() {
    let server = CannedServer::start(vec![
        Reply::json(200, DEVICE_AUTH),
        Reply::oidc_error("AuthorizationPendingException", "authorization_pending"),
        Reply::oidc_error("SlowDownException", "slow_down"),
        Reply::oidc_error("AuthorizationPendingException", "authorization_pending"),
        Reply::json(200, TOKEN),
    ]);
    let oidc = SsoOidc::new(&client(), server.endpoint(Service::SsoOidc));
    let mut prompts: Vec<(DevicePrompt, usize)> = Vec::new();
    let token = block_on(device_login(
        &oidc,
        &creds(),
        "https://d-abc.awsapps.com/start",
        &fast_timing(),
        |prompt| prompts.push((prompt.clone(), server.requests().len())),
    ))
    .unwrap();
    assert_eq!(token.access_token.expose(), "at-1");
    assert_eq!(token.refresh_token.as_ref().map(Secret::expose), Some("rt-1"));

    assert_eq!(prompts.len(), 1, "prompted once");
    let (prompt, requests_before_prompt) = &prompts[0];
    assert_eq!(*requests_before_prompt, 2, "one CreateToken attempt before the prompt");
    assert_eq!(prompt.user_code, "ABCD-EFGH");
    assert_eq!(
        prompt.verification_uri_complete.as_ref().map(BrowserUrl::as_str),
        Some("https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH")
    );
    let left = prompt.expires_at.duration_since(jiff::Timestamp::now());
    assert!(left.as_secs() > 590 && left.as_secs() <= 600, "{left:?}");

    let requests = server.requests();
    assert_eq!(requests.len(), 5, "no retry of pending or slow_down");
    assert_eq!(requests[0].target, "/device_authorization");
    for request in &requests[1..] {
        assert_eq!(request.target, "/token");
        assert_eq!(
            request.body_text(),
            r#"{"clientId":"cid","clientSecret":"csecret","grantType":"urn:ietf:params:oauth:grant-type:device_code","deviceCode":"dc-1"}"#
        );
    }
    let gap = |i: usize| requests[i + 1].at.duration_since(requests[i].at);
    assert!(gap(2) >= Duration::from_millis(30), "{:?}", gap(2));
    assert!(gap(3) >= Duration::from_millis(80), "slow_down adds its step: {:?}", gap(3));
}

#[test]
fn device_flow_without_prompt_when_already_approved() {
    let server = CannedServer::start(vec![Reply::json(200, DEVICE_AUTH), Reply::json(200, TOKEN)]);
    let oidc = SsoOidc::new(&client(), server.endpoint(Service::SsoOidc));
    let mut prompted = false;
    let token = block_on(device_login(&oidc, &creds(), "https://s", &fast_timing(), |_| {
        prompted = true;
    }))
    .unwrap();
    assert_eq!(token.access_token.expose(), "at-1");
    assert!(!prompted);
}

#[test]
fn device_flow_stops_on_expired_token() {
    let server = CannedServer::start(vec![
        Reply::json(200, DEVICE_AUTH),
        Reply::oidc_error("AuthorizationPendingException", "authorization_pending"),
        Reply::oidc_error("ExpiredTokenException", "expired_token"),
    ]);
    let oidc = SsoOidc::new(&client(), server.endpoint(Service::SsoOidc));
    let error =
        block_on(device_login(&oidc, &creds(), "https://s", &fast_timing(), |_| {})).unwrap_err();
    assert!(matches!(error, Error::PendingAuthorizationExpired), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the pending authorization expired before it was approved; start the login again"
    );
}

#[test]
fn device_flow_gives_up_at_the_deadline() {
    let mut replies = vec![Reply::json(200, DEVICE_AUTH)];
    replies.extend(
        (0..40)
            .map(|_| Reply::oidc_error("AuthorizationPendingException", "authorization_pending")),
    );
    let server = CannedServer::start(replies);
    let oidc = SsoOidc::new(&client(), server.endpoint(Service::SsoOidc));
    let timing = DeviceFlowTiming { max_wait: Some(Duration::from_millis(200)), ..fast_timing() };
    let started = Instant::now();
    let error = block_on(device_login(&oidc, &creds(), "https://s", &timing, |_| {})).unwrap_err();
    assert!(matches!(error, Error::PendingAuthorizationExpired), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn device_flow_passes_other_errors_through() {
    let server = CannedServer::start(vec![
        Reply::json(200, DEVICE_AUTH),
        Reply::oidc_error("AccessDeniedException", "access_denied"),
    ]);
    let oidc = SsoOidc::new(&client(), server.endpoint(Service::SsoOidc));
    let error =
        block_on(device_login(&oidc, &creds(), "https://s", &fast_timing(), |_| {})).unwrap_err();
    assert_eq!(error.code(), Some("AccessDeniedException"));
}

/// A minimal browser: GET a URL on the loopback listener and return the whole answer.
fn browser_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').unwrap().1;
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Run a PKCE login where `browse` plays the browser with the authorize URL (on a thread)
/// and returns what it saw.
fn pkce_with_browser(
    server: &CannedServer,
    timing: PkceTiming,
    browse: impl FnOnce(String) -> Vec<String> + Send + 'static,
) -> (Result<awsctx_login::oidc::TokenGrant, Error>, Option<String>, Vec<String>) {
    let oidc = SsoOidc::new(&client(), server.endpoint(Service::SsoOidc));
    let (pages_tx, pages_rx) = mpsc::channel();
    let mut opened = None;
    let result = block_on(async {
        let listener = CallbackListener::bind().await.unwrap();
        pkce_login(&oidc, &creds(), &[], listener, &timing, |prompt: &AuthorizePrompt| {
            let url = prompt.url.as_str().to_owned();
            opened = Some(url.clone());
            std::thread::spawn(move || {
                let _ = pages_tx.send(browse(url));
            });
        })
        .await
    });
    let pages = pages_rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    (result, opened, pages)
}

#[test]
fn pkce_flow_exchanges_the_code_from_the_callback() {
    let server = CannedServer::start(vec![Reply::json(200, TOKEN)]);
    let (result, opened, pages) = pkce_with_browser(&server, PkceTiming::default(), |url| {
        let params = query_of(&url);
        let redirect = &params["redirect_uri"];
        let favicon = browser_get(&redirect.replace("/oauth/callback", "/favicon.ico"));
        let callback =
            browser_get(&format!("{redirect}?code=the%2Bcode&state={}", params["state"]));
        vec![favicon, callback]
    });
    let token = result.unwrap();
    assert_eq!(token.access_token.expose(), "at-1");

    let url = opened.unwrap();
    let params = query_of(&url);
    let port: u16 = params["redirect_uri"]
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix("/oauth/callback"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/authorize?response_type=code&client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Foauth%2Fcallback&state={}&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge=",
            server.url(),
            params["state"]
        )),
        "{url}"
    );
    assert_eq!(pages.len(), 2);
    assert!(pages.iter().all(|p| p.starts_with("HTTP/1.1 200 OK\r\n")));
    assert!(pages[1].contains("Signed in to AWS"), "{}", pages[1]);

    let request = server.request(0);
    assert_eq!(request.target, "/token");
    let body = request.json();
    assert_eq!(body["grantType"], "authorization_code");
    assert_eq!(body["code"], "the+code");
    assert_eq!(body["redirectUri"], format!("http://127.0.0.1:{port}/oauth/callback"));
    let verifier = body["codeVerifier"].as_str().unwrap();
    assert_eq!(verifier.len(), 64);
    assert_eq!(code_challenge(verifier), params["code_challenge"]);
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["clientId", "clientSecret", "grantType", "code", "redirectUri", "codeVerifier"]
    );
}

#[test]
fn pkce_flow_rejects_a_wrong_state() {
    let server = CannedServer::start(vec![Reply::json(200, TOKEN)]);
    let (result, _, pages) = pkce_with_browser(&server, PkceTiming::default(), |url| {
        let redirect = query_of(&url)["redirect_uri"].clone();
        vec![browser_get(&format!("{redirect}?code=c&state=not-the-state"))]
    });
    assert!(matches!(result, Err(Error::StateMismatch)), "{result:?}");
    assert!(pages[0].contains("Sign-in failed"), "{}", pages[0]);
    assert!(server.requests().is_empty(), "no token exchange");
}

#[test]
fn pkce_flow_reports_the_browser_error() {
    let server = CannedServer::start(vec![]);
    let (result, _, pages) = pkce_with_browser(&server, PkceTiming::default(), |url| {
        let redirect = query_of(&url)["redirect_uri"].clone();
        vec![browser_get(&format!("{redirect}?error=access_denied%3Cb%3E"))]
    });
    match result {
        Err(Error::AuthorizationDenied { error }) => assert_eq!(error, "access_denied<b>"),
        other => panic!("{other:?}"),
    }
    assert!(pages[0].contains("access_denied&lt;b&gt;"), "{}", pages[0]);
}

#[test]
fn pkce_flow_is_not_held_up_by_an_idle_connection() {
    let server = CannedServer::start(vec![Reply::json(200, TOKEN)]);
    let started = Instant::now();
    let (result, _, _) = pkce_with_browser(&server, PkceTiming::default(), |url| {
        let params = query_of(&url);
        let redirect = &params["redirect_uri"];
        let host = redirect.strip_prefix("http://").unwrap().split('/').next().unwrap().to_owned();
        // A browser's speculative pre-connect: opened, never used.
        let idle = TcpStream::connect(&host).unwrap();
        let page = browser_get(&format!("{redirect}?code=c&state={}", params["state"]));
        drop(idle);
        vec![page]
    });
    assert!(result.is_ok(), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn pkce_flow_expires_when_no_browser_comes_back() {
    let server = CannedServer::start(vec![]);
    let started = Instant::now();
    let timing = PkceTiming { callback_deadline: Duration::from_millis(200) };
    let (result, _, _) = pkce_with_browser(&server, timing, |_| Vec::new());
    assert!(matches!(result, Err(Error::PendingAuthorizationExpired)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn pkce_token_exchange_expired_is_pending_authorization_expired() {
    let server =
        CannedServer::start(vec![Reply::oidc_error("ExpiredTokenException", "expired_token")]);
    let (result, _, _) = pkce_with_browser(&server, PkceTiming::default(), |url| {
        let params = query_of(&url);
        vec![browser_get(&format!("{}?code=c&state={}", params["redirect_uri"], params["state"]))]
    });
    assert!(matches!(result, Err(Error::PendingAuthorizationExpired)), "{result:?}");
}

#[test]
fn listener_binds_loopback_on_an_ephemeral_port() {
    let listener = block_on(CallbackListener::bind()).unwrap();
    assert_ne!(listener.port(), 0);
    assert_eq!(
        listener.redirect_uri(),
        format!("http://127.0.0.1:{}/oauth/callback", listener.port())
    );
}
