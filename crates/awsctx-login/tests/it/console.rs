//! The console federation endpoint on the wire.

use awsctx_core::secret::Secret;
use awsctx_login::console::ConsoleSignin;
use awsctx_login::sts::Credentials;
use awsctx_login::{Error, Service};

use crate::support::{CannedServer, Reply, block_on, client};

fn temporary() -> Credentials {
    Credentials {
        access_key_id: "ASIAKEY".into(),
        secret_access_key: Secret::new("sec/ret+key"),
        session_token: Some(Secret::new("tok=en")),
        expiration: None,
    }
}

#[test]
fn signin_token_request_carries_the_session_json() {
    let server = CannedServer::start(vec![
        Reply::json(200, r#"{"SigninToken":"signin-token-1"}"#),
        Reply::json(200, r#"{"SigninToken":"signin-token-2"}"#),
    ]);
    let signin = ConsoleSignin::new(&client(), server.endpoint(Service::Signin));
    let token = block_on(signin.signin_token(&temporary(), None)).unwrap();
    assert_eq!(token.expose(), "signin-token-1");
    let session = "%7B%22sessionId%22%3A%22ASIAKEY%22%2C%22sessionKey%22%3A%22sec%2Fret%2Bkey%22%2C%22sessionToken%22%3A%22tok%3Den%22%7D";
    let request = server.request(0);
    assert_eq!(request.method, "GET");
    assert_eq!(request.target, format!("/federation?Action=getSigninToken&Session={session}"));
    block_on(signin.signin_token(&temporary(), Some(3600))).unwrap();
    assert_eq!(
        server.request(1).target,
        format!("/federation?Action=getSigninToken&Session={session}&SessionDuration=3600")
    );
    let url = signin.login_url(&token, "https://console.aws.amazon.com/", "awsctx");
    assert_eq!(
        url.expose(),
        format!(
            "{}/federation?Action=login&Issuer=awsctx&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=signin-token-1",
            server.url()
        )
    );
    assert_eq!(format!("{url}"), "***", "the login URL is a secret");
}

#[test]
fn signin_failure_names_the_endpoint_but_not_the_session() {
    let server = CannedServer::start(vec![Reply::status(
        400,
        &[("Content-Type", "text/html")],
        b"<html>Bad Request</html>",
    )]);
    let signin = ConsoleSignin::new(&client(), server.endpoint(Service::Signin));
    let error = block_on(signin.signin_token(&temporary(), Some(43200))).unwrap_err();
    let text = error.to_string();
    assert_eq!(
        text,
        format!("console sign-in getSigninToken at `{}` failed: HTTP 400", server.url())
    );
    assert!(!text.contains("ASIAKEY") && !text.contains("sec"));
}

#[test]
fn long_term_keys_are_refused_before_any_request() {
    let server = CannedServer::start(vec![]);
    let signin = ConsoleSignin::new(&client(), server.endpoint(Service::Signin));
    let mut creds = temporary();
    creds.session_token = None;
    let error = block_on(signin.signin_token(&creds, None)).unwrap_err();
    assert!(matches!(error, Error::TemporaryCredentialsRequired));
    assert!(server.requests().is_empty());
}
