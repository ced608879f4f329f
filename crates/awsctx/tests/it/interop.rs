//! Interoperability with botocore (boto3 from the Python package index), both ways, on one sandbox home and one
//! mock: boto3 uses the token `awsctx login` wrote; awsctx uses a token botocore refreshed;
//! boto3 runs `awsctx credential-process`; and the `process` JSON is what Python writes.
//! Without boto3 the tests say they skipped (and fail under `CI=true`).

use std::path::Path;
use std::process::Command;

use awsctx_core::cache::{RoleCredentials, SsoToken, TokenKey};
use awsctx_core::secret::Secret;
use awsctx_tests::Operation;
use jiff::SignedDuration;

use crate::support::{FakeBrowser, Sandbox, stderr, stdout, success};

/// Print the frozen credentials boto3 resolves for `profile`, as JSON.
const RESOLVE: &str = "\
import json, sys, boto3
creds = boto3.Session(profile_name=sys.argv[1]).get_credentials().get_frozen_credentials()
print(json.dumps({'key': creds.access_key, 'secret': creds.secret_key, 'token': creds.token}))
";

fn boto3(sandbox: &Sandbox, python: &Path, profile: &str) -> serde_json::Value {
    let mut cmd = sandbox.command(python);
    cmd.env("AWS_EC2_METADATA_DISABLED", "true").args(["-c", RESOLVE, profile]);
    let out = cmd.output().expect("run python");
    assert!(out.status.success(), "boto3 failed:\n{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON from the script")
}

fn session_token(sandbox: &Sandbox) -> SsoToken {
    sandbox.tokens().load(&TokenKey::Session("corp".into())).unwrap().expect("a token file")
}

#[test]
fn boto3_gets_role_credentials_with_the_token_awsctx_logged_in() {
    let Some(python) = crate::support::python_with("boto3") else { return };
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::start(sandbox.home.as_path());
    success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--sso-session",
        "corp",
    ]));
    let token = session_token(&sandbox);

    let creds = boto3(&sandbox, &python, "dev");
    let key = creds["key"].as_str().unwrap();
    let issued = sandbox.mock.credentials(key).expect("keys the mock issued");
    assert_eq!(issued.account_id, sandbox.account);
    let fetch = &sandbox.mock.requests_for(Operation::GetRoleCredentials)[0];
    assert_eq!(fetch.header("x-amz-sso_bearer_token"), Some(token.access_token.expose()));
    assert_eq!(sandbox.mock.count(Operation::CreateToken), 1, "boto3 did not need to refresh");
}

#[test]
fn awsctx_uses_a_token_that_botocore_refreshed() {
    let Some(python) = crate::support::python_with("boto3") else { return };
    let sandbox = Sandbox::new();
    let issued = sandbox.seed_token(SignedDuration::from_mins(5));
    boto3(&sandbox, &python, "dev");
    assert_eq!(sandbox.mock.count(Operation::CreateToken), 1, "botocore refreshed the token");
    let path = sandbox.tokens().path(&TokenKey::Session("corp".into()));
    let written = std::fs::read_to_string(&path).unwrap();
    let refreshed = SsoToken::from_json(written.as_bytes()).expect("awsctx reads botocore's file");
    assert_ne!(refreshed.access_token.expose(), issued.access_token);

    sandbox.mock.reset_counts();
    let out = success(sandbox.awsctx().args(["export", "dev", "--format", "env"]));
    assert_eq!(sandbox.mock.count(Operation::CreateToken), 0, "the refreshed token is fresh");
    let fetch = &sandbox.mock.requests_for(Operation::GetRoleCredentials)[0];
    assert_eq!(fetch.header("x-amz-sso_bearer_token"), Some(refreshed.access_token.expose()));
    assert!(stdout(&out).starts_with("export AWS_ACCESS_KEY_ID=ASIA"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written, "awsctx left it as it was");
}

#[test]
fn boto3_runs_awsctx_as_its_credential_process() {
    let Some(python) = crate::support::python_with("boto3") else { return };
    let sandbox = Sandbox::new();
    let mut config = sandbox.default_config();
    config.push_str("\n[profile through-awsctx]\ncredential_process = ");
    config.push_str(env!("CARGO_BIN_EXE_awsctx"));
    config.push_str(" credential-process --profile dev\n");
    sandbox.write_config(&config);
    sandbox.seed_credentials(
        &RoleCredentials::new(
            "ASIAFROMCACHE",
            Secret::new("cache/secret"),
            Some(Secret::new("cache-token")),
            Some("2099-01-01T00:00:00Z".parse().unwrap()),
        )
        .unwrap()
        .with_account_id(Some(sandbox.account.clone())),
    );
    let creds = boto3(&sandbox, &python, "through-awsctx");
    assert_eq!(creds["key"], "ASIAFROMCACHE");
    assert_eq!(creds["secret"], "cache/secret");
    assert_eq!(creds["token"], "cache-token");
    assert!(sandbox.mock.requests().is_empty());
}

#[test]
fn the_process_json_is_what_python_writes() {
    let Some(python) = crate::support::python_with("json") else { return };
    let sandbox = Sandbox::new();
    sandbox.seed_credentials(
        &RoleCredentials::new(
            "ASIA9X",
            Secret::new("wJalr/K7MDENG+bPxRfiCY=="),
            Some(Secret::new("IQoJb3JpZ2luX2Vj/+t=")),
            Some("2099-01-01T12:00:00Z".parse().unwrap()),
        )
        .unwrap(),
    );
    let ours = stdout(&success(sandbox.awsctx().args(["export", "dev"])));
    let script = "\
import datetime, json, sys
exp = datetime.datetime(2099, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
out = {'Version': 1, 'AccessKeyId': 'ASIA9X', 'SecretAccessKey': 'wJalr/K7MDENG+bPxRfiCY==', 'SessionToken': 'IQoJb3JpZ2luX2Vj/+t=', 'Expiration': exp.isoformat()}
sys.stdout.write(json.dumps(out, indent=2, separators=(',', ': ')) + '\\n')
";
    let out = Command::new(&python).args(["-c", script]).output().expect("run python");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(ours, stdout(&out));
}
