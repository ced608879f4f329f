//! SSO OIDC requests on the wire and their answers.

use std::time::Duration;

use awsctx_core::secret::Secret;
use awsctx_login::Service;
use awsctx_login::oidc::{ClientCredentials, Grant, Registration, SsoOidc};

use crate::support::{CannedServer, Reply, block_on, client};

const REGISTERED: &str = r#"{"clientId":"cid","clientSecret":"csecret","clientIdIssuedAt":1700000000,"clientSecretExpiresAt":1707776000,"authorizationEndpoint":null,"tokenEndpoint":null}"#;

fn oidc(server: &CannedServer) -> SsoOidc {
    SsoOidc::new(&client(), server.endpoint(Service::SsoOidc))
}

fn creds() -> ClientCredentials {
    ClientCredentials { client_id: "cid".into(), client_secret: Secret::new("csecret") }
}

fn assert_json_post(request: &crate::support::Recorded, path: &str, body: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, path);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), None, "OIDC calls are unsigned");
    assert!(
        request.header("user-agent").is_some_and(|ua| ua.starts_with("awsctx/")),
        "{:?}",
        request.header("user-agent")
    );
    assert_eq!(request.body_text(), body);
}

#[test]
fn device_registration_sends_name_type_and_no_scopes_for_legacy() {
    let server = CannedServer::start(vec![Reply::json(200, REGISTERED)]);
    let registered = block_on(oidc(&server).register_client(&Registration::DeviceCode {
        client_name: "botocore-client-1700000000".into(),
        scopes: None,
    }))
    .unwrap();
    assert_json_post(
        &server.request(0),
        "/client/register",
        r#"{"clientName":"botocore-client-1700000000","clientType":"public"}"#,
    );
    assert_eq!(registered.client_id, "cid");
    assert_eq!(registered.client_secret.expose(), "csecret");
    assert_eq!(registered.client_secret_expires_at.as_second(), 1_707_776_000);
    assert_eq!(registered.client_id_issued_at.map(jiff::Timestamp::as_second), Some(1_700_000_000));
    assert!(registered.scopes.is_empty() && registered.grant_types.is_empty());
}

#[test]
fn device_registration_sends_configured_scopes() {
    let server = CannedServer::start(vec![Reply::json(200, REGISTERED)]);
    let registered = block_on(oidc(&server).register_client(&Registration::DeviceCode {
        client_name: "botocore-client-corp".into(),
        scopes: Some(vec!["sso:account:access".into(), "codecatalyst:read_write".into()]),
    }))
    .unwrap();
    assert_eq!(
        server.request(0).body_text(),
        r#"{"clientName":"botocore-client-corp","clientType":"public","scopes":["sso:account:access","codecatalyst:read_write"]}"#
    );
    assert_eq!(registered.scopes.len(), 2);
}

#[test]
fn pkce_registration_sends_grants_redirect_issuer_and_default_scope() {
    let server = CannedServer::start(vec![Reply::json(200, REGISTERED)]);
    let registered = block_on(oidc(&server).register_client(&Registration::AuthorizationCode {
        client_name: "botocore-client-corp".into(),
        issuer_url: "https://d-abc123.awsapps.com/start".into(),
        scopes: None,
    }))
    .unwrap();
    assert_json_post(
        &server.request(0),
        "/client/register",
        r#"{"clientName":"botocore-client-corp","clientType":"public","grantTypes":["authorization_code","refresh_token"],"redirectUris":["http://127.0.0.1/oauth/callback"],"issuerUrl":"https://d-abc123.awsapps.com/start","scopes":["sso:account:access"]}"#,
    );
    assert_eq!(registered.grant_types, ["authorization_code", "refresh_token"]);
    assert_eq!(registered.scopes, ["sso:account:access"]);
}

#[test]
fn start_device_authorization_wire_and_answer() {
    let server = CannedServer::start(vec![Reply::json(
        200,
        r#"{"deviceCode":"dev-code","userCode":"ABCD-EFGH","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH","expiresIn":600,"interval":1}"#,
    )]);
    let auth = block_on(
        oidc(&server).start_device_authorization(&creds(), "https://d-abc123.awsapps.com/start"),
    )
    .unwrap();
    assert_json_post(
        &server.request(0),
        "/device_authorization",
        r#"{"clientId":"cid","clientSecret":"csecret","startUrl":"https://d-abc123.awsapps.com/start"}"#,
    );
    assert_eq!(auth.device_code.expose(), "dev-code");
    assert_eq!(auth.user_code, "ABCD-EFGH");
    assert_eq!(auth.expires_in, Duration::from_secs(600));
    assert_eq!(auth.interval, Some(Duration::from_secs(1)));
}

#[test]
fn create_token_bodies_per_grant() {
    let token =
        r#"{"accessToken":"at","tokenType":"Bearer","expiresIn":28800,"refreshToken":"rt"}"#;
    let server = CannedServer::start(vec![
        Reply::json(200, token),
        Reply::json(200, token),
        Reply::json(200, r#"{"accessToken":"at2","expiresIn":3600}"#),
    ]);
    let oidc = oidc(&server);
    let device_code = Secret::new("dc");
    let grant =
        block_on(oidc.create_token(&creds(), Grant::DeviceCode { device_code: &device_code }))
            .unwrap();
    assert_eq!(grant.access_token.expose(), "at");
    assert_eq!(grant.refresh_token.as_ref().map(Secret::expose), Some("rt"));
    assert_eq!(grant.expires_in, Duration::from_secs(28800));
    assert_eq!(grant.token_type.as_deref(), Some("Bearer"));

    let code = Secret::new("the-code");
    let verifier = Secret::new("v".repeat(64));
    block_on(oidc.create_token(
        &creds(),
        Grant::AuthorizationCode {
            code: &code,
            redirect_uri: "http://127.0.0.1:4321/oauth/callback",
            code_verifier: &verifier,
        },
    ))
    .unwrap();
    let refresh = Secret::new("old-rt");
    let refreshed =
        block_on(oidc.create_token(&creds(), Grant::RefreshToken { refresh_token: &refresh }))
            .unwrap();
    assert_eq!(refreshed.refresh_token, None);
    assert_eq!(refreshed.token_type, None);

    assert_json_post(
        &server.request(0),
        "/token",
        r#"{"clientId":"cid","clientSecret":"csecret","grantType":"urn:ietf:params:oauth:grant-type:device_code","deviceCode":"dc"}"#,
    );
    assert_json_post(
        &server.request(1),
        "/token",
        &format!(
            r#"{{"clientId":"cid","clientSecret":"csecret","grantType":"authorization_code","code":"the-code","redirectUri":"http://127.0.0.1:4321/oauth/callback","codeVerifier":"{}"}}"#,
            "v".repeat(64)
        ),
    );
    assert_json_post(
        &server.request(2),
        "/token",
        r#"{"clientId":"cid","clientSecret":"csecret","grantType":"refresh_token","refreshToken":"old-rt"}"#,
    );
}

#[test]
fn custom_endpoint_path_prefix_is_kept() {
    let server = CannedServer::start(vec![Reply::json(200, REGISTERED)]);
    let endpoint =
        awsctx_login::Endpoint::custom(Service::SsoOidc, &format!("{}/base/", server.url()))
            .unwrap();
    let oidc = SsoOidc::new(&client(), endpoint);
    block_on(
        oidc.register_client(&Registration::DeviceCode { client_name: "n".into(), scopes: None }),
    )
    .unwrap();
    assert_eq!(server.request(0).target, "/base/client/register");
}

#[test]
fn oidc_error_code_comes_from_the_error_type_header() {
    let server =
        CannedServer::start(vec![Reply::oidc_error("InvalidGrantException", "invalid_grant")]);
    let refresh = Secret::new("rt");
    let error = block_on(
        oidc(&server).create_token(&creds(), Grant::RefreshToken { refresh_token: &refresh }),
    )
    .unwrap_err();
    let aws = error.aws().expect("an AWS error");
    assert_eq!(aws.code.as_deref(), Some("InvalidGrantException"));
    assert_eq!(aws.message.as_deref(), Some("invalid_grant says the server"));
    assert_eq!(aws.request_id.as_deref(), Some("req-1"));
    assert_eq!(aws.status, 400);
    assert_eq!(
        error.to_string(),
        format!(
            "SSO OIDC CreateToken at `{}` failed: InvalidGrantException: invalid_grant says the server",
            server.url()
        )
    );
    assert!(!error.to_string().contains("rt\""), "no secrets in errors");
    assert_eq!(server.requests().len(), 1, "client errors are not retried");
}

#[test]
fn oidc_error_without_header_maps_the_oauth_error() {
    let server = CannedServer::start(vec![Reply::json(
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
    )]);
    let error =
        block_on(oidc(&server).start_device_authorization(&creds(), "https://x")).unwrap_err();
    assert_eq!(error.code(), Some("InvalidClientException"));
    assert!(
        error.to_string().ends_with("failed: InvalidClientException: Client authentication failed"),
        "{error}"
    );
}

#[test]
fn missing_members_are_a_malformed_response() {
    let server = CannedServer::start(vec![
        Reply::json(200, r#"{"clientId":"cid"}"#),
        Reply::json(200, r#"{"accessToken":"at","expiresIn":"soon"}"#),
    ]);
    let error = block_on(
        oidc(&server)
            .register_client(&Registration::DeviceCode { client_name: "n".into(), scopes: None }),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "SSO OIDC RegisterClient at `{}` returned a malformed response (HTTP 200): member `clientSecret` is missing",
            server.url()
        )
    );
    let dc = Secret::new("dc");
    let error =
        block_on(oidc(&server).create_token(&creds(), Grant::DeviceCode { device_code: &dc }))
            .unwrap_err();
    assert!(error.to_string().ends_with("member `expiresIn` is not a number"), "{error}");
    assert!(!error.to_string().contains("\"at\""), "no token in the error");
}
