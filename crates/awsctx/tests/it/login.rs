//! `awsctx login`, `logout` and `status` against the mock: both flows through a fake browser,
//! the token file byte for byte, the AWS CLI's wording, single flight between two logins.

use std::process::Stdio;
use std::time::{Duration, Instant};

use awsctx_core::cache::{RegistrationKey, SsoToken, TokenKey};
use awsctx_tests::{MockConfig, Operation};
use jiff::SignedDuration;

use crate::support::{FakeBrowser, Sandbox, stderr, stdout, success};

fn session_token(sandbox: &Sandbox) -> (String, SsoToken) {
    let path = sandbox.tokens().path(&TokenKey::Session("corp".into()));
    let text = std::fs::read_to_string(path).expect("token file written");
    let token = SsoToken::from_json(text.as_bytes()).expect("a whole token");
    (text, token)
}

/// The exact bytes botocore writes for this token.
fn botocore_bytes(token: &SsoToken) -> String {
    let mut text = format!(
        r#"{{"startUrl": "{}", "region": "{}", "accessToken": "{}", "expiresAt": "{}", "clientId": "{}", "clientSecret": "{}", "registrationExpiresAt": "{}""#,
        token.start_url.as_deref().unwrap(),
        token.region.as_deref().unwrap(),
        token.access_token.expose(),
        token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        token.client_id.as_deref().unwrap(),
        token.client_secret.as_ref().unwrap().expose(),
        token.registration_expires_at.unwrap().strftime("%Y-%m-%dT%H:%M:%SZ"),
    );
    if let Some(refresh) = &token.refresh_token {
        text.push_str(r#", "refreshToken": ""#);
        text.push_str(refresh.expose());
        text.push('"');
    }
    text.push('}');
    text
}

#[test]
fn device_code_login_prints_the_cli_text_and_writes_a_botocore_token() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::start(sandbox.home.as_path());
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--sso-session",
        "corp",
        "--use-device-code",
    ]));
    let err = stderr(&out);
    let device = &sandbox.mock.requests_for(Operation::StartDeviceAuthorization)[0];
    assert_eq!(device.json().unwrap()["startUrl"], sandbox.mock.start_url());
    let urls = browser.urls();
    assert_eq!(urls.len(), 1);
    let code = urls[0].rsplit("user_code=").next().unwrap();
    let verification = urls[0].split('?').next().unwrap();
    assert_eq!(
        err,
        format!(
            "Attempting to open your default browser.\nIf the browser does not open or you wish to use a different device to authorize this request, open the following URL:\n\n{verification}\n\nThen enter the code:\n\n{code}\n\
             Successfully logged into Start URL: {}\n",
            sandbox.mock.start_url()
        )
    );
    assert_eq!(stdout(&out), "");
    let (text, token) = session_token(&sandbox);
    assert_eq!(text, botocore_bytes(&token));
    assert!(token.refresh_token.is_some());
    assert_eq!(token.start_url.as_deref(), Some(sandbox.mock.start_url().as_str()));
    sandbox.assert_no_secret_in(&err);
    assert_eq!(sandbox.mock.count(Operation::VerifyDevice), 1);
}

#[test]
fn pkce_login_runs_through_the_browser_and_registers_for_the_auth_code() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::start(sandbox.home.as_path());
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--profile",
        "dev",
    ]));
    let err = stderr(&out);
    let url = &browser.urls()[0];
    assert!(
        url.starts_with(&format!("{}/authorize?response_type=code&client_id=", sandbox.mock.url()))
    );
    assert_eq!(
        err,
        format!(
            "Attempting to open your default browser. If the browser does not open, open the following URL.\nIf you are unable to open the URL on this device, run this command again with the '--use-device-code' option.\n\n{url}\n\n\
             Successfully logged into Start URL: {}\n",
            sandbox.mock.start_url()
        )
    );
    let (text, token) = session_token(&sandbox);
    assert_eq!(text, botocore_bytes(&token));
    let create = &sandbox.mock.requests_for(Operation::CreateToken)[0];
    assert_eq!(create.json().unwrap()["grantType"], "authorization_code");
    let key = RegistrationKey {
        start_url: sandbox.mock.start_url(),
        region: "us-east-1".into(),
        scopes: Some(vec!["sso:account:access".into()]),
        session_name: Some("corp".into()),
    };
    let registration = sandbox.tokens().load_registration(&key).unwrap().unwrap();
    assert!(registration.is_for_auth_code());
    assert_eq!(token.client_id.as_deref(), Some(registration.client_id.as_str()));
    sandbox.assert_no_secret_in(&err);

    // A second login (forced: the first has hours left) reuses the cached registration.
    success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--profile",
        "dev",
        "--force",
    ]));
    assert_eq!(sandbox.mock.count(Operation::RegisterClient), 1);
    assert_eq!(sandbox.mock.count(Operation::Authorize), 2);
}

/// What `SSH_CONNECTION` holds in an SSH session: client address and port, server address
/// and port.
const SSH: (&str, &str) = ("SSH_CONNECTION", "203.0.113.5 50022 192.0.2.10 22");

#[test]
fn over_ssh_the_device_code_is_chosen_by_itself_and_the_reason_said_in_one_line() {
    let sandbox = Sandbox::new();
    // Even a `$BROWSER` here: over SSH it is rarely where the loopback callback is.
    let browser = FakeBrowser::start(sandbox.home.as_path());
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).env(SSH.0, SSH.1).args([
        "login",
        "--sso-session",
        "corp",
    ]));
    assert_eq!(sandbox.mock.count(Operation::StartDeviceAuthorization), 1);
    assert_eq!(sandbox.mock.count(Operation::Authorize), 0, "no PKCE authorization");
    let create = &sandbox.mock.requests_for(Operation::CreateToken)[0];
    assert_eq!(create.json().unwrap()["grantType"], "urn:ietf:params:oauth:grant-type:device_code");
    let err = stderr(&out);
    assert_eq!(
        err.lines().next(),
        Some(
            "awsctx: using the device code: this is an SSH session (`SSH_CONNECTION` is set); `--use-pkce` uses a browser on this host instead"
        )
    );
    awsctx_snapshot!(output = &out, home = &sandbox.home);
    assert!(session_token(&sandbox).1.refresh_token.is_some());
}

#[test]
fn use_pkce_keeps_the_browser_flow_over_ssh() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::start(sandbox.home.as_path());
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).env(SSH.0, SSH.1).args([
        "login",
        "--sso-session",
        "corp",
        "--use-pkce",
    ]));
    assert_eq!(sandbox.mock.count(Operation::Authorize), 1);
    assert_eq!(sandbox.mock.count(Operation::StartDeviceAuthorization), 0);
    awsctx_snapshot!(output = &out, home = &sandbox.home);
    let both = sandbox
        .awsctx()
        .args(["login", "--sso-session", "corp", "--use-pkce", "--use-device-code"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2), "the two flows are a usage error together");
}

#[test]
fn no_browser_prints_where_to_go_and_legacy_profiles_use_the_device_code() {
    let sandbox = Sandbox::new();
    let child = sandbox
        .awsctx()
        .args(["login", "--profile", "legacy", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Approve after the first poll, as a user reading the printed code would.
    let started = Instant::now();
    while sandbox.mock.count(Operation::CreateToken) == 0
        && started.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sandbox.mock.approve_pending(), 1);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    awsctx_snapshot!(output = &out, home = &sandbox.home);
    let register = &sandbox.mock.requests_for(Operation::RegisterClient)[0];
    let body = register.json().unwrap();
    assert!(body["clientName"].as_str().unwrap().starts_with("botocore-client-"));
    assert!(body.get("scopes").is_none(), "legacy profiles register no scopes: {body}");
    let legacy = TokenKey::StartUrl(sandbox.mock.start_url());
    let token = sandbox.tokens().load(&legacy).unwrap().expect("legacy token file");
    assert!(token.refresh_token.is_none());
}

#[test]
fn second_login_waits_for_first_and_reuses_its_token() {
    let sandbox = Sandbox::new();
    // A browser that only records: the test approves when both logins are running.
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    let login = || {
        let mut cmd = sandbox.awsctx();
        cmd.env("BROWSER", &browser.script)
            .args(["login", "--sso-session", "corp", "--use-device-code"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("spawn awsctx login")
    };
    let first = login();
    let urls = browser.wait_for(1, Duration::from_secs(10));
    assert_eq!(urls.len(), 1, "the first login opened the browser");
    let mut second = login();
    // Approve only once the second login says it is waiting for the first.
    let second_stderr = second.stderr.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(second_stderr));
        if let Some(Ok(first_line)) = lines.next() {
            let _ = line_tx.send(first_line);
        }
        lines.map_while(Result::ok).collect::<Vec<_>>().join("\n")
    });
    let first_pid = first.id();
    let first_line = line_rx.recv_timeout(Duration::from_secs(10)).expect("the second login waits");
    assert_eq!(
        first_line,
        format!("awsctx: waiting for pid {first_pid} (logging in to the SSO session `corp`)")
    );
    let page = awsctx_tests::browse(&urls[0]).expect("approve in the browser");
    assert!(page.is_success());
    let first = first.wait_with_output().unwrap();
    let second_status = second.wait().unwrap();
    let second_err = reader.join().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second_status.success(), "{second_err}");
    assert!(second_err.contains("finished first; using its token"), "{second_err}");
    assert_eq!(sandbox.mock.count(Operation::StartDeviceAuthorization), 1);
    assert_eq!(sandbox.mock.count(Operation::VerifyDevice), 1);
    assert_eq!(browser.urls().len(), 1, "one authorization in the browser");
}

#[test]
fn a_refused_authorization_is_one_clear_line() {
    let sandbox = Sandbox::with(MockConfig::default().deny_authorization(true));
    let browser = FakeBrowser::start(sandbox.home.as_path());
    let started = Instant::now();
    let out = sandbox
        .awsctx()
        .env("BROWSER", &browser.script)
        .args(["login", "--sso-session", "corp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(10));
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert_eq!(last, "awsctx: error: the browser authorization failed with `access_denied`");
    assert!(!sandbox.tokens().path(&TokenKey::Session("corp".into())).exists());
}

#[test]
fn login_without_a_choice_among_several_sessions_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let mut config = sandbox.default_config();
    config.push_str("\n[sso-session other]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n");
    sandbox.write_config(&config);
    let out = sandbox.awsctx().arg("login").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "awsctx: error: which SSO session? the config has `corp`, `other`\nhint: pass `--sso-session NAME` (or `--profile P`)\n"
    );
    // The current profile decides when it is an SSO profile.
    let out = awsctx_snapshot!(sandbox.cmd(&["login"]).env("AWS_PROFILE", "keys"));
    assert_eq!(out.status.code(), Some(2));
    assert!(sandbox.mock.requests().is_empty());
}

#[test]
fn logout_removes_the_token_and_role_credentials_and_status_tells_the_state() {
    let sandbox = Sandbox::new();
    let issued = sandbox.seed_token(SignedDuration::from_hours(8));
    success(sandbox.awsctx().args(["export", "dev"]));

    let out = success(sandbox.awsctx().env("AWS_PROFILE", "dev").args(["status", "--json"]));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["profile"], "dev");
    assert_eq!(status["profile_from"], "AWS_PROFILE");
    assert_eq!(status["account_id"], sandbox.account.as_str());
    assert_eq!(status["role_name"], sandbox.role.as_str());
    assert_eq!(status["region"], "eu-west-1");
    assert_eq!(status["keys"]["source"], "cache");
    assert!(status["keys"]["seconds_left"].as_i64().unwrap() > 3000);
    assert_eq!(status["sso"]["session"], "corp");
    assert_eq!(status["sso"]["state"], "logged-in");
    let human = awsctx_snapshot!(sandbox.cmd(&["status"]).env("AWS_PROFILE", "dev"));
    assert!(human.status.success());
    let text = stdout(&human);
    sandbox.assert_no_secret_in(&format!("{}{text}", stdout(&out)));
    assert_eq!(sandbox.mock.count(Operation::GetRoleCredentials), 1, "status never fetches");

    let out = success(sandbox.awsctx().args(["logout", "--sso-session", "corp"]));
    assert_eq!(
        stderr(&out),
        "awsctx: logged out of the SSO session `corp` (1 token, 1 set of role credentials removed)\n"
    );
    let logout = &sandbox.mock.requests_for(Operation::Logout)[0];
    assert_eq!(logout.header("x-amz-sso_bearer_token"), Some(issued.access_token.as_str()));
    assert!(sandbox.credential_cache().load(&sandbox.dev_key()).unwrap().is_none());
    let out = success(sandbox.awsctx().env("AWS_PROFILE", "dev").args(["status", "--json"]));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["sso"]["state"], "logged-out");
    assert_eq!(status["keys"], serde_json::Value::Null);

    let out = sandbox.awsctx().args(["export", "dev"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: SSO session `corp` is not logged in\nhint: run `awsctx login --sso-session corp`\n"
    );
}

#[test]
fn logout_all_removes_every_token_and_sso_credential_but_keeps_registrations() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    success(sandbox.awsctx().args(["export", "dev"]));
    let registration = sandbox.path(".aws/sso/cache/registration-like.json");
    std::fs::write(
        &registration,
        r#"{"clientId": "c", "clientSecret": "s", "expiresAt": "2099-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let out = awsctx_snapshot!(sandbox.cmd(&["logout", "--all"]));
    assert!(out.status.success());
    assert!(registration.exists());
    assert_eq!(sandbox.mock.count(Operation::Logout), 1);
    assert!(sandbox.tokens().entries().unwrap().next().is_none());
}

/// A login with hours left is not done again: no browser, no request, exit 0, one line
/// saying so; `--force` logs in anew. Under an hour left, the login goes ahead.
#[test]
fn a_login_with_hours_left_is_not_done_again_unless_forced() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::start(sandbox.home.as_path());
    sandbox.seed_token(SignedDuration::from_hours(8) - SignedDuration::from_secs(30));
    let before = session_token(&sandbox).0;
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--sso-session",
        "corp",
    ]));
    assert_eq!(
        stderr(&out),
        "awsctx: already logged in to the SSO session `corp`, 7h left; `--force` logs in anew\n"
    );
    assert!(sandbox.mock.requests().is_empty(), "{:?}", sandbox.mock.requests());
    assert!(browser.urls().is_empty());
    assert_eq!(session_token(&sandbox).0, before);

    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--sso-session",
        "corp",
        "--use-device-code",
        "--force",
    ]));
    awsctx_snapshot!(output = &out, home = &sandbox.home);
    assert_eq!(browser.urls().len(), 1);
    assert_ne!(session_token(&sandbox).0, before);

    sandbox.seed_token(SignedDuration::from_mins(50));
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--sso-session",
        "corp",
        "--use-device-code",
    ]));
    awsctx_snapshot!(output = &out, home = &sandbox.home);
    assert_eq!(browser.urls().len(), 2);
}
