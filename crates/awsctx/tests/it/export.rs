//! `awsctx export` and `awsctx credential-process`: every format byte for byte against the
//! templates of `aws configure export-credentials` (`docs/file-formats.md`), single flight across
//! 50 processes, and every fault of the mock ending in a retry or one clear line.

use std::process::Stdio;
use std::time::{Duration, Instant};

use awsctx_core::cache::RoleCredentials;
use awsctx_core::secret::Secret;
use awsctx_tests::{Fault, Operation};
use jiff::SignedDuration;

use crate::support::{Sandbox, seconds_from_now, stderr, stdout, success};

const KEY: &str = "ASIAEXAMPLEKEY";
const SECRET: &str = "wJalr/SECRET+key=";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE";

fn seeded() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.seed_credentials(
        &RoleCredentials::new(
            KEY,
            Secret::new(SECRET),
            Some(Secret::new(TOKEN)),
            Some("2099-01-01T12:00:00Z".parse().unwrap()),
        )
        .unwrap()
        .with_account_id(Some(sandbox.account.clone())),
    );
    sandbox
}

fn export(sandbox: &Sandbox, args: &[&str]) -> String {
    stdout(&success(sandbox.awsctx().arg("export").args(args)))
}

#[test]
fn every_format_matches_the_cli_template_exactly() {
    let sandbox = seeded();
    let process = format!(
        "{{\n  \"Version\": 1,\n  \"AccessKeyId\": \"{KEY}\",\n  \"SecretAccessKey\": \"{SECRET}\",\n  \"SessionToken\": \"{TOKEN}\",\n  \"Expiration\": \"2099-01-01T12:00:00+00:00\"\n}}\n"
    );
    assert_eq!(export(&sandbox, &["dev"]), process, "`process` is the default");
    assert_eq!(export(&sandbox, &["dev", "--format", "process"]), process);
    let lines = |template: &dyn Fn(&str, &str) -> String| {
        [
            ("AWS_ACCESS_KEY_ID", KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", TOKEN),
            ("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T12:00:00+00:00"),
        ]
        .iter()
        .fold(String::new(), |mut out, (name, value)| {
            out.push_str(&template(name, value));
            out.push('\n');
            out
        })
    };
    assert_eq!(
        export(&sandbox, &["dev", "--format", "env"]),
        lines(&|n, v| format!("export {n}={v}"))
    );
    assert_eq!(
        export(&sandbox, &["dev", "--format", "env-no-export"]),
        lines(&|n, v| format!("{n}={v}"))
    );
    assert_eq!(
        export(&sandbox, &["dev", "--format", "fish"]),
        lines(&|n, v| format!("set -gx {n} \"{v}\""))
    );
    assert_eq!(
        export(&sandbox, &["dev", "--format", "powershell"]),
        lines(&|n, v| format!("$Env:{n}=\"{v}\""))
    );
    assert_eq!(
        export(&sandbox, &["dev", "--format", "windows-cmd"]),
        lines(&|n, v| format!("set {n}={v}"))
    );
    assert_eq!(
        export(&sandbox, &["dev", "--format", "json"]),
        format!(
            "{{\n  \"Version\": 1,\n  \"AccessKeyId\": \"{KEY}\",\n  \"SecretAccessKey\": \"{SECRET}\",\n  \"SessionToken\": \"{TOKEN}\",\n  \"Expiration\": \"2099-01-01T12:00:00+00:00\",\n  \"AccountId\": \"{}\",\n  \"Region\": \"eu-west-1\"\n}}\n",
            sandbox.account
        )
    );
    let cp = success(sandbox.awsctx().args(["credential-process", "--profile", "dev"]));
    assert_eq!(stdout(&cp), process);
    assert_eq!(stderr(&cp), "");
    assert!(sandbox.mock.requests().is_empty(), "cached keys need no network");
}

#[test]
fn static_keys_have_no_token_or_expiry_lines() {
    let sandbox = Sandbox::new();
    assert_eq!(
        export(&sandbox, &["keys", "--format", "env"]),
        "export AWS_ACCESS_KEY_ID=AKIAEXAMPLESTATIC\nexport AWS_SECRET_ACCESS_KEY=static/secret+key\n"
    );
    assert_eq!(
        export(&sandbox, &["keys"]),
        "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"AKIAEXAMPLESTATIC\",\n  \"SecretAccessKey\": \"static/secret+key\"\n}\n"
    );
    assert_eq!(
        export(&sandbox, &["keys", "--format", "json"]),
        "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"AKIAEXAMPLESTATIC\",\n  \"SecretAccessKey\": \"static/secret+key\",\n  \"Region\": \"ap-south-1\"\n}\n"
    );
}

#[test]
fn the_default_profile_is_aws_profile_then_aws_default_profile_then_default() {
    let sandbox = seeded();
    let mut config = sandbox.default_config();
    config.push_str("\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n");
    sandbox.write_config(&config);
    let first_line = |cmd: &mut std::process::Command| {
        stdout(&success(cmd)).lines().next().unwrap_or_default().to_owned()
    };
    let env = ["export", "--format", "env"];
    assert_eq!(first_line(sandbox.awsctx().args(env)), "export AWS_ACCESS_KEY_ID=AKIADEFAULT");
    assert_eq!(
        first_line(sandbox.awsctx().env("AWS_DEFAULT_PROFILE", "keys").args(env)),
        "export AWS_ACCESS_KEY_ID=AKIAEXAMPLESTATIC"
    );
    assert_eq!(
        first_line(
            sandbox.awsctx().env("AWS_DEFAULT_PROFILE", "keys").env("AWS_PROFILE", "dev").args(env)
        ),
        format!("export AWS_ACCESS_KEY_ID={KEY}")
    );
    let out = sandbox.awsctx().args(["export", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: profile `nope` not found in the AWS config or credentials file\n\
         hint: `awsctx list` shows the profiles; `awsctx populate --sso-session NAME` generates them\n"
    );
}

#[test]
fn fifty_concurrent_credential_processes_cause_one_get_role_credentials() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    // Keep the one fetch in flight while the other processes pile up behind its lock.
    sandbox.mock.inject(Operation::GetRoleCredentials, [Fault::Slow(Duration::from_millis(500))]);
    let children: Vec<_> = (0..50)
        .map(|_| {
            sandbox
                .awsctx()
                .args(["credential-process", "--profile", "dev"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(stdout(out), stdout(&outputs[0]));
        sandbox.assert_no_secret_in(&stderr(out));
    }
    assert_eq!(sandbox.mock.count(Operation::GetRoleCredentials), 1);
    let json: serde_json::Value = serde_json::from_slice(&outputs[0].stdout).unwrap();
    assert!(sandbox.mock.credentials(json["AccessKeyId"].as_str().unwrap()).is_some());
    sandbox.assert_caches_whole();
}

/// Run `export dev` after `faults`, with a short timeout; the outcome and how long it took.
fn export_with_faults(sandbox: &Sandbox, faults: Vec<Fault>) -> (std::process::Output, Duration) {
    let mut export = export_after(sandbox, faults);
    let started = Instant::now();
    let out = export.output().unwrap();
    (out, started.elapsed())
}

/// `awsctx export dev` with `faults` in store for its `GetRoleCredentials`.
fn export_after(sandbox: &Sandbox, faults: Vec<Fault>) -> std::process::Command {
    sandbox.mock.inject(Operation::GetRoleCredentials, faults);
    let mut cmd = sandbox.cmd(&["export", "dev", "--format", "env"]);
    cmd.env("AWSCTX_HTTP_TIMEOUT", "0.5");
    cmd
}

#[test]
fn server_errors_and_dropped_connections_are_retried_to_success() {
    for faults in [
        vec![Fault::Status(500), Fault::Status(503)],
        vec![Fault::DropConnection],
        vec![Fault::Throttle],
    ] {
        let sandbox = Sandbox::new();
        sandbox.seed_token(SignedDuration::from_hours(8));
        let (out, took) = export_with_faults(&sandbox, faults.clone());
        assert!(out.status.success(), "{faults:?}: {}", stderr(&out));
        assert!(took < Duration::from_secs(8), "{faults:?} took {took:?}");
        assert_eq!(stderr(&out), "");
        assert_eq!(
            sandbox.mock.count(Operation::GetRoleCredentials),
            faults.len() as u64 + 1,
            "{faults:?}"
        );
        sandbox.assert_caches_whole();
    }
}

#[test]
fn every_failure_is_one_clear_line_and_leaves_no_corrupt_cache() {
    let cases: Vec<(Vec<Fault>, &str)> = vec![
        (vec![Fault::Slow(Duration::from_secs(3)); 3], "timed out after 500 ms (attempts: 3)"),
        (vec![Fault::MalformedJson], "returned a malformed response (HTTP 200)"),
        (vec![Fault::Status(500); 3], "InternalServerException"),
        (vec![Fault::ExpiredToken], "SSO session `corp` was refused by the SSO portal"),
        (vec![Fault::RevokedToken], "SSO session `corp` was refused by the SSO portal"),
    ];
    for (faults, expected) in cases {
        let sandbox = Sandbox::new();
        sandbox.seed_token(SignedDuration::from_hours(8));
        let mut export = export_after(&sandbox, faults.clone());
        let started = Instant::now();
        let out = awsctx_snapshot!(&mut export);
        let took = started.elapsed();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{faults:?}: {err}");
        assert!(took < Duration::from_secs(10), "{faults:?} took {took:?}");
        assert_eq!(stdout(&out), "");
        let first = err.lines().next().unwrap();
        assert!(first.starts_with("awsctx: error: "), "{err}");
        assert!(first.contains(expected), "{faults:?}: {err}");
        assert!(err.lines().count() <= 2, "{err}");
        if expected.starts_with("SSO session") {
            assert!(err.ends_with("hint: run `awsctx login --sso-session corp`\n"), "{err}");
        } else {
            assert!(
                first.contains(&format!("`{}`", sandbox.mock.url())),
                "names the endpoint: {err}"
            );
        }
        sandbox.assert_no_secret_in(&err);
        sandbox.assert_caches_whole();
        assert!(sandbox.credential_cache().load(&sandbox.dev_key()).unwrap().is_none());
    }
}

#[test]
fn a_revoked_session_and_an_expired_token_say_how_to_log_in() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    sandbox.mock.revoke_tokens();
    let out = sandbox.awsctx().args(["credential-process", "--profile", "dev"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: SSO session `corp` was refused by the SSO portal (the login expired or was revoked)\nhint: run `awsctx login --sso-session corp`\n"
    );

    let legacy = Sandbox::new();
    let out = legacy.awsctx().args(["export", "legacy"]).output().unwrap();
    assert_eq!(
        stderr(&out),
        "awsctx: error: SSO session of profile `legacy` is not logged in\nhint: run `awsctx login --profile legacy`\n"
    );
    assert!(legacy.mock.requests().is_empty());
}

#[test]
fn a_near_expiry_token_is_refreshed_once_and_written_back() {
    let sandbox = Sandbox::new();
    let issued = sandbox.seed_token(SignedDuration::from_mins(5));
    let out = success(sandbox.awsctx().args(["export", "dev"]));
    assert_eq!(sandbox.mock.count(Operation::CreateToken), 1);
    let token = sandbox
        .tokens()
        .load(&awsctx_core::cache::TokenKey::Session("corp".into()))
        .unwrap()
        .unwrap();
    assert_ne!(token.access_token.expose(), issued.access_token);
    assert!(token.expires_at > seconds_from_now(SignedDuration::from_hours(7)));
    sandbox.assert_no_secret_in(&stderr(&out));
}
