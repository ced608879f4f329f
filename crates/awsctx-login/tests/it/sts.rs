//! STS `AssumeRole` and `GetCallerIdentity` on the wire: form body, `SigV4` headers, XML answers.

use std::time::SystemTime;

use awsctx_core::secret::Secret;
use awsctx_login::Service;
use awsctx_login::sts::{AssumeRoleRequest, Credentials, Sts};
use sha2::{Digest, Sha256};

use crate::support::{CannedServer, Recorded, Reply, block_on, client, testdata};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

const ASSUMED: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROARABCDEFGHIJKLMNOP:s</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/Admin/s</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIARTESTID</AccessKeyId>
      <SecretAccessKey>TESTSECRETKEY</SecretAccessKey>
      <SessionToken>TESTSESSIONTOKEN</SessionToken>
      <Expiration>2021-08-05T19:58:02Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c2e971c2</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

fn source() -> Credentials {
    Credentials {
        access_key_id: "ASIASOURCE".into(),
        secret_access_key: Secret::new("source-secret"),
        session_token: Some(Secret::new("source-session-token")),
        expiration: None,
    }
}

fn sts(server: &CannedServer) -> Sts {
    Sts::new(&client(), server.endpoint(Service::Sts), "eu-west-1")
}

fn hex_sha256(data: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(data).iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Recompute the `SigV4` signature from the recorded request (canonical request written out
/// here, independently of the signer) and compare.
fn assert_signed(request: &Recorded, port: u16, region: &str, secret: &str, token: Option<&str>) {
    let amz_date = request.header("x-amz-date").expect("x-amz-date");
    let date = &amz_date[..8];
    let authorization = request.header("authorization").expect("authorization");
    let mut signed = vec!["content-type", "host", "x-amz-date"];
    if token.is_some() {
        signed.push("x-amz-security-token");
    }
    let signed_headers = signed.join(";");
    let prefix = format!(
        "AWS4-HMAC-SHA256 Credential=ASIASOURCE/{date}/{region}/sts/aws4_request, SignedHeaders={signed_headers}, Signature="
    );
    assert!(authorization.starts_with(&prefix), "{authorization}");
    let signature = &authorization[prefix.len()..];
    assert_eq!(request.header("x-amz-security-token"), token);

    let mut canonical_headers =
        format!("content-type:{FORM}\nhost:127.0.0.1:{port}\nx-amz-date:{amz_date}\n");
    if let Some(token) = token {
        canonical_headers = format!("{canonical_headers}x-amz-security-token:{token}\n");
    }
    let canonical =
        format!("POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}", hex_sha256(&request.body));
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/sts/aws4_request\n{}",
        hex_sha256(canonical.as_bytes())
    );
    let time: jiff::Timestamp = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &amz_date[0..4],
        &amz_date[4..6],
        &amz_date[6..8],
        &amz_date[9..11],
        &amz_date[11..13],
        &amz_date[13..15]
    )
    .parse()
    .unwrap();
    let key = aws_sigv4::sign::v4::generate_signing_key(
        secret,
        SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(time.as_second()).unwrap()),
        region,
        "sts",
    );
    let expected = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    assert_eq!(signature, expected);
}

#[test]
fn assume_role_body_matches_recorded_traffic() {
    // The recorded request of smithy-rs `profile-provider/e2e_assume_role`, read in place.
    let Some(dir) = testdata() else { return };
    let path = dir.join(
        "smithy-rs/aws/rust-runtime/aws-config/test-data/profile-provider/e2e_assume_role/http-traffic.json",
    );
    let traffic: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let data = |direction: &str| {
        traffic["events"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|e| {
                let data = &e["action"]["Data"];
                (data["direction"] == direction).then(|| data["data"]["Utf8"].as_str().unwrap())
            })
            .unwrap()
            .to_owned()
    };
    let server = CannedServer::start(vec![Reply::xml(200, &data("Response"))]);
    let assumed = block_on(sts(&server).assume_role(
        &source(),
        &AssumeRoleRequest {
            role_arn: "arn:aws:iam::123456789:role/integration-test".into(),
            role_session_name: "assume-role-provider-session".into(),
            ..AssumeRoleRequest::default()
        },
    ))
    .unwrap();
    let request = server.request(0);
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/");
    assert_eq!(request.header("content-type"), Some(FORM));
    assert_eq!(request.body_text(), data("Request"));
    assert_signed(
        &request,
        server.port,
        "eu-west-1",
        "source-secret",
        Some("source-session-token"),
    );
    assert_eq!(assumed.credentials.access_key_id, "ASIARTESTID");
    assert_eq!(assumed.credentials.secret_access_key.expose(), "TESTSECRETKEY");
    assert_eq!(assumed.credentials.session_token.expose(), "TESTSESSIONTOKEN");
    assert_eq!(assumed.credentials.expiration.to_string(), "2021-08-05T19:58:02Z");
    assert_eq!(
        assumed.assumed_role_user_arn,
        "arn:aws:sts::123456789012:assumed-role/integration-test/assume-role-provider-session"
    );
    assert_eq!(assumed.account_id(), Some("123456789012"));
    assert_eq!(assumed.request_id.as_deref(), Some("c2e971c2-702d-4124-9b1f-1670febbea18"));
}

#[test]
fn assume_role_sends_every_optional_parameter() {
    let server = CannedServer::start(vec![Reply::xml(200, ASSUMED)]);
    let assumed = block_on(sts(&server).assume_role(
        &source(),
        &AssumeRoleRequest {
            role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
            role_session_name: "botocore-session-1700000000".into(),
            external_id: Some("ext id:/1".into()),
            serial_number: Some("arn:aws:iam::123456789012:mfa/me".into()),
            token_code: Some(Secret::new("123456")),
            duration_seconds: Some(3600),
        },
    ))
    .unwrap();
    assert_eq!(
        server.request(0).body_text(),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FAdmin&RoleSessionName=botocore-session-1700000000&DurationSeconds=3600&ExternalId=ext%20id%3A%2F1&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fme&TokenCode=123456"
    );
    assert_eq!(assumed.assumed_role_id, "AROARABCDEFGHIJKLMNOP:s");
    assert_eq!(assumed.request_id.as_deref(), Some("c2e971c2"));
}

#[test]
fn long_term_source_keys_sign_without_a_session_token() {
    let server = CannedServer::start(vec![Reply::xml(200, ASSUMED)]);
    let mut source = source();
    source.session_token = None;
    block_on(sts(&server).assume_role(
        &source,
        &AssumeRoleRequest {
            role_arn: "arn:aws:iam::1:role/R".into(),
            role_session_name: "s".into(),
            ..AssumeRoleRequest::default()
        },
    ))
    .unwrap();
    assert_signed(&server.request(0), server.port, "eu-west-1", "source-secret", None);
}

#[test]
fn sts_error_comes_from_the_xml_body() {
    let server = CannedServer::start(vec![Reply::xml(
        403,
        r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:sts::1:assumed-role/A/s is not authorized to perform: sts:AssumeRole</Message>
  </Error>
  <RequestId>8e4f-req</RequestId>
</ErrorResponse>"#,
    )]);
    let error = block_on(sts(&server).assume_role(
        &source(),
        &AssumeRoleRequest {
            role_arn: "arn:aws:iam::1:role/R".into(),
            role_session_name: "s".into(),
            ..AssumeRoleRequest::default()
        },
    ))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "STS AssumeRole at `{}` failed: AccessDenied: User: arn:aws:sts::1:assumed-role/A/s is not authorized to perform: sts:AssumeRole",
            server.url()
        )
    );
    assert_eq!(error.aws().unwrap().request_id.as_deref(), Some("8e4f-req"));
    assert!(!error.to_string().contains("source-secret"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn throttled_sts_is_retried() {
    let server = CannedServer::start(vec![
        Reply::xml(
            400,
            "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>",
        ),
        Reply::xml(200, ASSUMED),
    ]);
    let assumed = block_on(sts(&server).assume_role(
        &source(),
        &AssumeRoleRequest {
            role_arn: "arn:aws:iam::1:role/R".into(),
            role_session_name: "s".into(),
            ..AssumeRoleRequest::default()
        },
    ))
    .unwrap();
    assert_eq!(assumed.credentials.access_key_id, "ASIARTESTID");
    let (first, second) = (server.request(0), server.request(1));
    assert_ne!(first.header("authorization"), None, "every attempt is signed");
    assert_eq!(first.body, second.body);
}

#[test]
fn bad_xml_answers_are_malformed_not_panics() {
    for body in [
        "",
        "<AssumeRoleResponse><AssumeRoleResult>",
        "not xml at all",
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId></Credentials></AssumeRoleResult></AssumeRoleResponse>",
        &ASSUMED.replace("2021-08-05T19:58:02Z", "yesterday"),
    ] {
        let server = CannedServer::start(vec![Reply::xml(200, body)]);
        let error = block_on(sts(&server).assume_role(
            &source(),
            &AssumeRoleRequest {
                role_arn: "arn:aws:iam::1:role/R".into(),
                role_session_name: "s".into(),
                ..AssumeRoleRequest::default()
            },
        ))
        .unwrap_err();
        assert!(
            matches!(error, awsctx_login::Error::MalformedResponse { .. }),
            "{body}: {error:?}"
        );
        assert!(!error.to_string().contains('\n'));
    }
}

#[test]
fn get_caller_identity_wire_and_answer() {
    let server = CannedServer::start(vec![Reply::xml(
        200,
        r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::123456789012:assumed-role/Admin/s</Arn>
    <UserId>AROAEXAMPLE:s</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#,
    )]);
    let identity = block_on(sts(&server).get_caller_identity(&source())).unwrap();
    assert_eq!(server.request(0).body_text(), "Action=GetCallerIdentity&Version=2011-06-15");
    assert_signed(
        &server.request(0),
        server.port,
        "eu-west-1",
        "source-secret",
        Some("source-session-token"),
    );
    assert_eq!(identity.account, "123456789012");
    assert_eq!(identity.user_id, "AROAEXAMPLE:s");
    assert_eq!(identity.arn, "arn:aws:sts::123456789012:assumed-role/Admin/s");
    assert_eq!(identity.request_id.as_deref(), Some("01234567-89ab"));
}

#[test]
fn aws_global_signs_for_us_east_1() {
    let endpoint =
        awsctx_login::Endpoint::default_for(Service::Sts, Some("aws-global"), false, false)
            .unwrap();
    assert_eq!(endpoint.to_string(), "https://sts.amazonaws.com");
    assert_eq!(endpoint.signing_region(), Some("us-east-1"));
}
