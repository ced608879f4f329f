//! `awsctx exec PROFILE -- CMD`: the child's environment, arguments passed without a shell,
//! exit codes and signals passed through, and the errors (command not found, login needed).

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use jiff::SignedDuration;

use crate::support::{FakeBrowser, Sandbox, stderr, stdout, success};

/// The child's environment as `NAME=value` lines.
fn child_env(sandbox: &Sandbox, profile: &str, extra: &[(&str, &str)]) -> Vec<String> {
    let out =
        success(sandbox.awsctx().envs(extra.iter().copied()).args(["exec", profile, "--", "env"]));
    let mut lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn value<'a>(env: &'a [String], name: &str) -> Option<&'a str> {
    env.iter().find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
}

#[test]
fn the_child_gets_the_profile_keys_region_and_nothing_that_contradicts_them() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    let env = child_env(
        &sandbox,
        "dev",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAOLDKEY"),
            ("AWS_SECRET_ACCESS_KEY", "old-secret"),
            ("AWS_SECURITY_TOKEN", "old-token"),
            ("AWS_DEFAULT_PROFILE", "other"),
            ("AWS_PROFILE", "other"),
            ("AWS_REGION", "sa-east-1"),
            ("_AWSCTX_PROFILE", "other"),
            ("_AWSCTX_DUE", "1"),
            ("KEEP_ME", "yes"),
        ],
    );
    let issued = sandbox.mock.issued_credentials();
    assert_eq!(issued.len(), 1, "the keys were fetched once from the portal");
    assert_eq!(value(&env, "AWS_ACCESS_KEY_ID"), Some(issued[0].access_key_id.as_str()));
    assert_eq!(value(&env, "AWS_SECRET_ACCESS_KEY"), Some(issued[0].secret_access_key.as_str()));
    assert_eq!(value(&env, "AWS_SESSION_TOKEN"), issued[0].session_token.as_deref());
    assert!(value(&env, "AWS_CREDENTIAL_EXPIRATION").is_some_and(|e| e.ends_with("+00:00")));
    assert_eq!(value(&env, "AWS_PROFILE"), Some("dev"));
    assert_eq!(value(&env, "AWS_REGION"), Some("eu-west-1"));
    assert_eq!(value(&env, "AWS_DEFAULT_REGION"), Some("eu-west-1"));
    assert_eq!(value(&env, "KEEP_ME"), Some("yes"));
    for gone in ["AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE", "_AWSCTX_PROFILE", "_AWSCTX_DUE"] {
        assert_eq!(value(&env, gone), None, "{gone} must not reach the child");
    }
}

#[test]
fn static_keys_drop_an_old_session_token_and_keep_the_callers_region_when_the_profile_has_none() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "{}\n[profile bare]\naws_access_key_id = AKIABARE\naws_secret_access_key = bare-secret\n",
        sandbox.default_config()
    ));
    let env = child_env(
        &sandbox,
        "bare",
        &[
            ("AWS_SESSION_TOKEN", "stale"),
            ("AWS_CREDENTIAL_EXPIRATION", "2000-01-01T00:00:00Z"),
            ("AWS_REGION", "sa-east-1"),
        ],
    );
    assert_eq!(value(&env, "AWS_ACCESS_KEY_ID"), Some("AKIABARE"));
    assert_eq!(value(&env, "AWS_SESSION_TOKEN"), None);
    assert_eq!(value(&env, "AWS_CREDENTIAL_EXPIRATION"), None);
    assert_eq!(value(&env, "AWS_REGION"), Some("sa-east-1"));
    assert!(sandbox.mock.requests().is_empty());
}

#[test]
fn arguments_reach_the_command_verbatim_without_a_shell() {
    let sandbox = Sandbox::new();
    let args = ["a b", "$HOME", "; echo no", "*", "", "'q'"];
    let out =
        success(sandbox.awsctx().args(["exec", "keys", "--", "printf", "[%s]\\n"]).args(args));
    let expected = args.iter().fold(String::new(), |out, a| out + "[" + a + "]\n");
    assert_eq!(stdout(&out), expected);
}

#[test]
fn the_exit_code_of_the_command_is_awsctx_exit_code() {
    let sandbox = Sandbox::new();
    let out = sandbox.awsctx().args(["exec", "keys", "--", "sh", "-c", "exit 7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_signal_sent_to_awsctx_reaches_the_command_and_ends_it_the_same_way() {
    let sandbox = Sandbox::new();
    let mut child = sandbox
        .awsctx()
        .args(["exec", "keys", "--", "sh", "-c", "echo ready; exec sleep 30"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn a_missing_command_is_one_line_and_exit_127() {
    let sandbox = Sandbox::new();
    let out =
        sandbox.awsctx().args(["exec", "keys", "--", "no-such-command-xyz", "a"]).output().unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(stderr(&out), "awsctx: error: command `no-such-command-xyz` not found\n");
}

#[test]
fn a_needed_login_is_an_error_with_the_login_command_and_no_browser() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    let out = sandbox
        .awsctx()
        .env("BROWSER", &browser.script)
        .args(["exec", "dev", "--", "sh", "-c", "echo ran"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "", "the command never ran");
    assert_eq!(
        stderr(&out),
        "awsctx: error: SSO session `corp` is not logged in\nhint: run `awsctx login --sso-session corp`\n"
    );
    assert!(browser.urls().is_empty());
}

#[test]
fn a_missing_separator_or_command_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let out = sandbox.awsctx().args(["exec", "keys"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// As aws-vault: `exec P CMD ARGS…` without `--`, the command's own flags left to it; `exec P
/// -- CMD` as before.
#[test]
fn the_command_may_follow_the_profile_with_or_without_a_double_dash() {
    let sandbox = Sandbox::new();
    for dash in [&[][..], &["--"]] {
        let mut cmd = sandbox.awsctx();
        cmd.args(["exec", "keys"]).args(dash).args(["sh", "-c", "echo \"$AWS_PROFILE $0\"", "-x"]);
        assert_eq!(stdout(&success(&mut cmd)), "keys -x\n", "{dash:?}");
    }
}
