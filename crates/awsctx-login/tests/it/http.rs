//! The HTTP layer seen from outside: retries, timeouts, broken answers, TLS, proxies.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use awsctx_core::env::Env;
use awsctx_core::secret::Secret;
use awsctx_login::portal::SsoPortal;
use awsctx_login::{Endpoint, Error, HttpClient, HttpSettings, Service};

use crate::support::{CannedServer, Reply, block_on, client, fast_settings};

const ACCOUNTS: &str = r#"{"accountList":[{"accountId":"111122223333","accountName":"dev","emailAddress":"dev@example.com"}]}"#;

fn token() -> Secret {
    Secret::new("the-access-token")
}

fn portal(server: &CannedServer) -> SsoPortal {
    SsoPortal::new(&client(), server.endpoint(Service::Sso))
}

fn internal_error() -> Reply {
    Reply::json(
        500,
        r#"{"message":"We broke","__type":"com.amazonaws.switchboard.portal#InternalServerException"}"#,
    )
}

#[test]
fn server_error_then_success_is_retried() {
    let server = CannedServer::start(vec![internal_error(), Reply::json(200, ACCOUNTS)]);
    let accounts = block_on(portal(&server).list_accounts(&token())).unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn throttled_request_waits_for_retry_after() {
    let server = CannedServer::start(vec![
        Reply::status(
            429,
            &[("Retry-After", "1"), ("Content-Type", "application/json")],
            br#"{"message":"slow down please","__type":"TooManyRequestsException"}"#,
        ),
        Reply::json(200, ACCOUNTS),
    ]);
    let started = Instant::now();
    let accounts = block_on(portal(&server).list_accounts(&token())).unwrap();
    let waited = started.elapsed();
    assert_eq!(accounts[0].account_id, "111122223333");
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn three_failures_give_up_with_one_line_naming_endpoint_and_code() {
    let server = CannedServer::start(vec![internal_error(), internal_error(), internal_error()]);
    let error = block_on(portal(&server).list_accounts(&token())).unwrap_err();
    assert_eq!(server.requests().len(), 3);
    let text = error.to_string();
    assert_eq!(
        text,
        format!(
            "SSO portal ListAccounts at `{}` failed: InternalServerException: We broke",
            server.url()
        )
    );
    assert!(!text.contains('\n'));
    assert!(!text.contains("the-access-token"));
}

#[test]
fn max_attempts_is_configurable() {
    let server = CannedServer::start(vec![internal_error(), Reply::json(200, ACCOUNTS)]);
    let settings = HttpSettings { max_attempts: 1, ..fast_settings() };
    let http = HttpClient::new(&settings, &Env::default()).unwrap();
    let portal = SsoPortal::new(&http, server.endpoint(Service::Sso));
    let error = block_on(portal.list_accounts(&token())).unwrap_err();
    assert_eq!(error.code(), Some("InternalServerException"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn unanswered_request_times_out_within_the_configured_time() {
    let server = CannedServer::start(vec![
        Reply::Hang(Duration::from_secs(5)),
        Reply::Hang(Duration::from_secs(5)),
    ]);
    let settings = HttpSettings {
        request_timeout: Duration::from_millis(300),
        max_attempts: 2,
        ..fast_settings()
    };
    let http = HttpClient::new(&settings, &Env::default()).unwrap();
    let portal = SsoPortal::new(&http, server.endpoint(Service::Sso));
    let started = Instant::now();
    let error = block_on(portal.list_accounts(&token())).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, Error::Timeout { attempts: 2, .. }), "{error:?}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "SSO portal ListAccounts at `{}` timed out after 300 ms (attempts: 2)",
            server.url()
        )
    );
}

#[test]
fn connection_refused_names_the_endpoint() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = Endpoint::custom(Service::Sso, &format!("http://127.0.0.1:{port}")).unwrap();
    let portal = SsoPortal::new(&client(), endpoint);
    let error = block_on(portal.list_accounts(&token())).unwrap_err();
    assert!(matches!(error, Error::Connect { attempts: 3, .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "SSO portal ListAccounts at `http://127.0.0.1:{port}` failed: cannot connect: "
        )),
        "{text}"
    );
    assert!(!text.contains('\n'));
    assert!(text.contains("Connection refused"), "{text}");
    assert!(!text.contains("client error"), "{text}");
}

#[test]
fn connection_closed_without_answer_is_retried_then_reported() {
    let server = CannedServer::start(vec![Reply::Close, Reply::Close, Reply::Close]);
    let error = block_on(portal(&server).list_accounts(&token())).unwrap_err();
    assert!(matches!(error, Error::Transport { attempts: 3, .. }), "{error:?}");
    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        error.to_string(),
        format!(
            "SSO portal ListAccounts at `{}` failed: connection closed before message completed (attempts: 3)",
            server.url()
        )
    );
}

#[test]
fn tls_to_a_plain_http_server_is_a_tls_error() {
    // A plain HTTP server that answers whatever arrives (here: a TLS ClientHello).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(3) {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let endpoint = Endpoint::custom(Service::Sso, &format!("https://127.0.0.1:{port}")).unwrap();
    let portal = SsoPortal::new(&client(), endpoint);
    let error = block_on(portal.list_accounts(&token())).unwrap_err();
    assert!(matches!(error, Error::Tls { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "SSO portal ListAccounts at `https://127.0.0.1:{port}` failed: TLS error: "
        )),
        "{error}"
    );
}

#[test]
fn malformed_bodies_are_clear_errors_not_panics() {
    let huge = format!(r#"{{"accountList":[],"pad":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let cases: Vec<(Reply, &str)> = vec![
        (Reply::json(200, "{not json"), "the body is not JSON"),
        (Reply::json(200, ""), "empty body where JSON was expected"),
        (Reply::json(200, "[]"), "the body is JSON but not an object"),
        (Reply::json(200, r#"{"accountList":"nope"}"#), "member `accountList` is not an array"),
        (
            Reply::json(200, r#"{"accountList":[{"accountId":7}]}"#),
            "member `accountId` is not a string",
        ),
        (Reply::json(200, r#"{"accountList":[1]}"#), "an item of `accountList` is not an object"),
        (Reply::json(200, &huge), "the body is larger than 1024 KiB"),
        // No length announced: read up to the cap, then refused.
        (
            Reply::Raw(
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{huge}")
                    .into_bytes(),
            ),
            "the body is larger than 1024 KiB",
        ),
        (Reply::status(200, &[], b"\xff\xfe\x00garbage"), "the body is not JSON"),
    ];
    for (reply, expected) in cases {
        let server = CannedServer::start(vec![reply]);
        let error = block_on(portal(&server).list_accounts(&token())).unwrap_err();
        assert!(matches!(error, Error::MalformedResponse { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "SSO portal ListAccounts at `{}` returned a malformed response (HTTP 200): ",
                server.url()
            )),
            "{text}"
        );
        assert!(text.contains(expected), "{text} lacks {expected}");
        assert_eq!(server.requests().len(), 1, "malformed answers are not retried");
    }
}

#[test]
fn garbage_error_bodies_still_give_a_one_line_error() {
    let server = CannedServer::start(vec![Reply::status(
        403,
        &[("Content-Type", "text/html")],
        b"<html>\n<body>Forbidden</body>\n</html>",
    )]);
    let error = block_on(portal(&server).list_accounts(&token())).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("SSO portal ListAccounts at `{}` failed: HTTP 403", server.url())
    );
}

#[test]
fn http_proxy_from_env_is_used() {
    let proxy = CannedServer::start(vec![Reply::json(200, ACCOUNTS)]);
    let env = Env::from_pairs([("HTTP_PROXY", proxy.url())]);
    let http = HttpClient::new(&fast_settings(), &env).unwrap();
    let endpoint = Endpoint::custom(Service::Sso, "http://portal.example.invalid").unwrap();
    let portal = SsoPortal::new(&http, endpoint);
    block_on(portal.list_accounts(&token())).unwrap();
    assert_eq!(proxy.request(0).target, "http://portal.example.invalid/assignment/accounts");
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    let target = CannedServer::start(vec![Reply::json(200, ACCOUNTS)]);
    let env = Env::from_pairs([
        ("HTTP_PROXY", "http://127.0.0.1:9"),
        ("NO_PROXY", "127.0.0.1,localhost"),
    ]);
    let http = HttpClient::new(&fast_settings(), &env).unwrap();
    let portal = SsoPortal::new(&http, target.endpoint(Service::Sso));
    block_on(portal.list_accounts(&token())).unwrap();
    assert_eq!(target.request(0).target, "/assignment/accounts");
}

#[test]
fn unreadable_ca_bundle_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let settings = HttpSettings { ca_bundle: Some(missing.clone()), ..fast_settings() };
    let error = HttpClient::new(&settings, &Env::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("cannot use the CA bundle `{}`: ", missing.display())),
        "{error}"
    );
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let settings = HttpSettings { ca_bundle: Some(empty.clone()), ..fast_settings() };
    let error = HttpClient::new(&settings, &Env::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("cannot use the CA bundle `{}`: no PEM certificate found", empty.display())
    );
}

#[test]
fn a_valid_ca_bundle_is_accepted() {
    let Some(pem) = ["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
    else {
        return;
    };
    let settings = HttpSettings { ca_bundle: Some(pem.into()), ..fast_settings() };
    assert!(HttpClient::new(&settings, &Env::default()).is_ok());
}

#[test]
fn header_values_that_cannot_be_sent_are_errors_without_the_value() {
    let server = CannedServer::start(vec![Reply::json(200, ACCOUNTS)]);
    let error =
        block_on(portal(&server).list_accounts(&Secret::new("bad\ntoken-value"))).unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(!error.to_string().contains("token-value"), "{error}");
    assert!(server.requests().is_empty());
}
