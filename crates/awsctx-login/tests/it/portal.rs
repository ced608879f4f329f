//! SSO portal requests on the wire, pagination, and errors.

use awsctx_core::secret::Secret;
use awsctx_login::Service;
use awsctx_login::portal::{Account, AccountRole, SsoPortal};

use crate::support::{CannedServer, Reply, block_on, client, testdata};

fn portal(server: &CannedServer) -> SsoPortal {
    SsoPortal::new(&client(), server.endpoint(Service::Sso))
}

fn token() -> Secret {
    Secret::new("secret-access-token")
}

#[test]
fn get_role_credentials_matches_recorded_traffic() {
    // The recorded exchange of smithy-rs `profile-provider/sso_credentials`, read in place.
    let Some(dir) = testdata() else { return };
    let path = dir.join(
        "smithy-rs/aws/rust-runtime/aws-config/test-data/profile-provider/sso_credentials/http-traffic.json",
    );
    let traffic: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let events = traffic["events"].as_array().unwrap();
    let recorded_uri = events[0]["action"]["Request"]["request"]["uri"].as_str().unwrap();
    let recorded_body = events
        .iter()
        .find_map(|e| {
            let data = &e["action"]["Data"];
            (data["direction"] == "Response").then(|| data["data"]["Utf8"].as_str().unwrap())
        })
        .unwrap();

    let server = CannedServer::start(vec![Reply::json(200, recorded_body)]);
    let creds =
        block_on(portal(&server).get_role_credentials("012345678901", "SampleRole", &token()))
            .unwrap();
    let request = server.request(0);
    assert_eq!(request.method, "GET");
    let recorded_target =
        recorded_uri.trim_start_matches("https://portal.sso.us-east-1.amazonaws.com");
    assert_eq!(request.target, recorded_target);
    assert_eq!(request.header("x-amz-sso_bearer_token"), Some("secret-access-token"));
    assert_eq!(request.header("authorization"), None);
    assert!(request.body.is_empty());
    assert_eq!(creds.access_key_id, "ASIARTESTID");
    assert_eq!(creds.secret_access_key.expose(), "TESTSECRETKEY");
    assert_eq!(creds.session_token.expose(), "TESTSESSIONTOKEN");
    assert_eq!(creds.expiration.as_millisecond(), 1_651_516_560_000);
    assert_eq!(creds.expiration.to_string(), "2022-05-02T18:36:00Z");
}

#[test]
fn query_values_are_percent_encoded() {
    let server = CannedServer::start(vec![Reply::json(
        200,
        r#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":0}}"#,
    )]);
    block_on(portal(&server).get_role_credentials("1", "Role Name+x/y", &token())).unwrap();
    assert_eq!(
        server.request(0).target,
        "/federation/credentials?role_name=Role%20Name%2Bx%2Fy&account_id=1"
    );
}

#[test]
fn unauthorized_error_display_names_endpoint_and_code() {
    let server = CannedServer::start(vec![Reply::status(
        401,
        &[("Content-Type", "application/json"), ("RequestId", "r-77")],
        br#"{"message":"Session token not found or invalid","__type":"com.amazonaws.switchboard.portal#UnauthorizedException"}"#,
    )]);
    let error = block_on(portal(&server).get_role_credentials("1", "R", &token())).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "SSO portal GetRoleCredentials at `{}` failed: UnauthorizedException: Session token not found or invalid",
            server.url()
        )
    );
    assert_eq!(error.aws().unwrap().request_id.as_deref(), Some("r-77"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn list_accounts_follows_every_page() {
    let server = CannedServer::start(vec![
        Reply::json(
            200,
            r#"{"nextToken":"page 2/token","accountList":[{"accountId":"111111111111","accountName":"a","emailAddress":"a@x"}]}"#,
        ),
        Reply::json(
            200,
            r#"{"nextToken":"p3","accountList":[{"accountId":"222222222222","accountName":null}]}"#,
        ),
        Reply::json(
            200,
            r#"{"accountList":[{"accountId":"333333333333","accountName":"c"}],"nextToken":null}"#,
        ),
    ]);
    let accounts = block_on(portal(&server).list_accounts(&token())).unwrap();
    assert_eq!(
        accounts,
        vec![
            Account {
                account_id: "111111111111".into(),
                account_name: Some("a".into()),
                email_address: Some("a@x".into()),
            },
            Account { account_id: "222222222222".into(), account_name: None, email_address: None },
            Account {
                account_id: "333333333333".into(),
                account_name: Some("c".into()),
                email_address: None,
            },
        ]
    );
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/assignment/accounts",
            "/assignment/accounts?next_token=page%202%2Ftoken",
            "/assignment/accounts?next_token=p3",
        ]
    );
    for request in server.requests() {
        assert_eq!(request.method, "GET");
        assert_eq!(request.header("x-amz-sso_bearer_token"), Some("secret-access-token"));
    }
}

#[test]
fn list_account_roles_follows_every_page() {
    let server = CannedServer::start(vec![
        Reply::json(
            200,
            r#"{"nextToken":"n1","roleList":[{"roleName":"Admin","accountId":"111111111111"}]}"#,
        ),
        Reply::json(200, r#"{"roleList":[{"roleName":"ReadOnly"}]}"#),
    ]);
    let roles = block_on(portal(&server).list_account_roles("111111111111", &token())).unwrap();
    assert_eq!(
        roles,
        vec![
            AccountRole { account_id: "111111111111".into(), role_name: "Admin".into() },
            AccountRole { account_id: "111111111111".into(), role_name: "ReadOnly".into() },
        ]
    );
    assert_eq!(server.request(0).target, "/assignment/roles?account_id=111111111111");
    assert_eq!(server.request(1).target, "/assignment/roles?account_id=111111111111&next_token=n1");
}

#[test]
fn a_repeated_next_token_stops_the_listing() {
    let page = r#"{"nextToken":"same","accountList":[]}"#;
    let server = CannedServer::start(vec![Reply::json(200, page), Reply::json(200, page)]);
    let error = block_on(portal(&server).list_accounts(&token())).unwrap_err();
    assert!(error.to_string().ends_with("the same `nextToken` came back twice"), "{error}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn throttling_in_the_middle_of_a_listing_is_retried() {
    let server = CannedServer::start(vec![
        Reply::json(200, r#"{"nextToken":"n1","accountList":[{"accountId":"1"}]}"#),
        Reply::json(429, r#"{"message":"Too many","__type":"TooManyRequestsException"}"#),
        Reply::json(200, r#"{"accountList":[{"accountId":"2"}]}"#),
    ]);
    let accounts = block_on(portal(&server).list_accounts(&token())).unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(server.request(2).target, "/assignment/accounts?next_token=n1");
}

#[test]
fn logout_posts_with_the_token() {
    let server = CannedServer::start(vec![Reply::status(200, &[], b"")]);
    block_on(portal(&server).logout(&token())).unwrap();
    let request = server.request(0);
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/logout");
    assert_eq!(request.header("x-amz-sso_bearer_token"), Some("secret-access-token"));
    assert!(request.body.is_empty());
}
