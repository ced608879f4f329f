//! `awsctx exec P --server -- CMD` and `awsctx serve P`: the AWS container credential protocol
//! on loopback. boto3's own container provider in the child gets the keys, gets new ones after
//! they expire, and signs moto's STS `GetCallerIdentity` with them; a request without the
//! token gets `401`; CMD's exit status and signals pass through; an expired login is a `503`
//! naming `awsctx login` and one line on awsctx's stderr, never a browser.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use awsctx_tests::MockConfig;
use jiff::SignedDuration;

use crate::support::Moto;
use crate::support::{FakeBrowser, Sandbox, stderr, stdout, success};

/// `GET` on a `http://host:port/path` URL with an optional `Authorization` header, as botocore
/// sends it: the status and the body.
fn get(url: &str, authorization: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) =
        rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).expect("connect to the server");
    let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n{auth}\r\n")
        .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole HTTP answer");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, body.to_owned())
}

/// `awsctx serve PROFILE` in the background, with the two variables it printed.
struct Served {
    child: Child,
    url: String,
    token: String,
}

impl Served {
    fn start(sandbox: &Sandbox, profile: &str, browser: &FakeBrowser) -> Self {
        let mut child = sandbox
            .awsctx()
            .env("BROWSER", &browser.script)
            .args(["serve", profile])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start awsctx serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut value = |name: &str| {
            let line = lines.next().expect("a line").expect("UTF-8");
            line.strip_prefix(name).and_then(|l| l.strip_prefix('=')).expect(name).to_owned()
        };
        let url = value("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        assert_eq!(value("AWS_REGION"), "eu-west-1", "the profile's region");
        Self { child, url, token }
    }

    /// Ctrl-C; what awsctx said on stderr.
    fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        let sent = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        assert!(sent.expect("kill").success());
        let status = self.child.wait().expect("wait for awsctx serve");
        let mut err = String::new();
        self.child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read stderr");
        (status, err)
    }
}

/// boto3 in the child: the provider it found, the keys, and moto's answer, then the same
/// after the keys expired.
const CHILD: &str = "import os, time, boto3\n\
gone = ('AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN')\n\
assert not [name for name in gone if name in os.environ], os.environ\n\
session = boto3.Session()\n\
creds = session.get_credentials()\n\
sts = session.client('sts', endpoint_url=os.environ['MOTO_URL'])\n\
first = creds.get_frozen_credentials().access_key\n\
who = sts.get_caller_identity()\n\
print(creds.method, session.region_name, first, who['Account'])\n\
time.sleep(4)\n\
second = creds.get_frozen_credentials().access_key\n\
who = sts.get_caller_identity()\n\
print(second, who['Account'])\n";

#[test]
fn boto3_in_the_child_gets_keys_from_the_server_and_new_ones_after_they_expire() {
    let Some(python) = crate::support::python_with("moto.server") else { return };
    let moto = Moto::start(&python);
    // Keys that live 3 s: each request after expiry needs new ones from the portal.
    let sandbox = Sandbox::with(MockConfig::default().credential_ttl(Duration::from_secs(3)));
    sandbox.seed_token(SignedDuration::from_hours(8));
    let out = success(
        sandbox
            .awsctx()
            .env("MOTO_URL", &moto.url)
            .env("AWS_PROFILE", "dev")
            .env("AWS_ACCESS_KEY_ID", "AKIAOLDKEY")
            .env("AWS_SECRET_ACCESS_KEY", "old-secret")
            .args(["exec", "dev", "--server", "--"])
            .arg(&python)
            .args(["-c", CHILD]),
    );
    let issued: Vec<String> =
        sandbox.mock.issued_credentials().into_iter().map(|k| k.access_key_id).collect();
    let printed = stdout(&out);
    let lines: Vec<Vec<&str>> = printed.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert_eq!(lines[0][..2], ["container-role", "eu-west-1"], "{printed}");
    let (first, second) = (lines[0][2], lines[1][0]);
    assert_ne!(first, second, "new keys after the first ones expired");
    assert!(issued.iter().any(|k| k == first) && issued.iter().any(|k| k == second), "{issued:?}");
    assert!(lines[0][3].len() == 12 && lines[1][1].len() == 12, "moto answered: {printed}");
    assert_eq!(stderr(&out), "");
    sandbox.assert_no_secret_in(&stderr(&out));
}

#[test]
fn the_child_gets_the_server_and_region_but_no_profile_keys_or_other_container_settings() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    let out = success(
        sandbox
            .awsctx()
            .env("AWS_PROFILE", "other")
            .env("AWS_SESSION_TOKEN", "old")
            .env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x")
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/tmp/token")
            .env("_AWSCTX_PROFILE", "other")
            .args(["exec", "dev", "--server", "--", "env"]),
    );
    let env = stdout(&out);
    let value = |name: &str| {
        env.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix('=')).map(str::to_owned)
    };
    let url = value("AWS_CONTAINER_CREDENTIALS_FULL_URI").expect("the server's URL");
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{url}");
    let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN").expect("the token");
    assert!(token.len() >= 64 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    assert_eq!(value("AWS_REGION").as_deref(), Some("eu-west-1"));
    assert_eq!(value("AWS_DEFAULT_REGION").as_deref(), Some("eu-west-1"));
    for gone in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "_AWSCTX_PROFILE",
    ] {
        assert_eq!(value(gone), None, "{gone} must not reach the child");
    }
    // The server lived exactly as long as the command.
    assert!(TcpStream::connect(url.trim_start_matches("http://").trim_end_matches('/')).is_err());
    sandbox.assert_no_secret_in(&stderr(&out));
}

#[test]
fn a_request_without_the_token_gets_401_and_no_keys() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    let served = Served::start(&sandbox, "dev", &browser);
    assert!(served.url.starts_with("http://127.0.0.1:"), "{}", served.url);
    let wrong = "0".repeat(served.token.len());
    for authorization in [None, Some(""), Some(wrong.as_str()), Some(&served.token[1..])] {
        let (status, body) = get(&served.url, authorization);
        assert_eq!(status, 401, "{authorization:?}: {body}");
        assert!(!body.contains("AccessKeyId"), "{body}");
    }
    let (status, body) = get(&served.url, Some(&served.token));
    assert_eq!(status, 200, "{body}");
    let keys: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let issued = &sandbox.mock.issued_credentials()[0];
    assert_eq!(keys["AccessKeyId"], issued.access_key_id.as_str());
    assert_eq!(keys["SecretAccessKey"], issued.secret_access_key.as_str());
    assert_eq!(keys["Token"], issued.session_token.as_deref().unwrap());
    assert_eq!(keys["AccountId"], sandbox.account.as_str());
    let expiration = keys["Expiration"].as_str().expect("an expiry");
    assert!(expiration.ends_with('Z') && expiration.parse::<jiff::Timestamp>().is_ok());
    let (status, _) = get(&format!("{}other", served.url), Some(&served.token));
    assert_eq!(status, 404);

    let (status, err) = served.interrupt();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.ends_with("awsctx: stopped\n"), "{err}");
    sandbox.assert_no_secret_in(&err);
}

#[test]
fn an_expired_login_is_a_503_naming_the_login_and_one_line_on_stderr_never_a_browser() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    let served = Served::start(&sandbox, "dev", &browser);
    assert_eq!(get(&served.url, Some(&served.token)).0, 200);

    success(sandbox.awsctx().args(["logout", "--sso-session", "corp"]));
    let said = "cannot serve `dev`: SSO session `corp` is not logged in — run `awsctx login --sso-session corp`";
    for _ in 0..2 {
        let (status, body) = get(&served.url, Some(&served.token));
        assert_eq!(status, 503, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["message"], said);
    }
    sandbox.seed_token(SignedDuration::from_hours(8));
    assert_eq!(get(&served.url, Some(&served.token)).0, 200, "served again after a login");

    let (status, err) = served.interrupt();
    assert_eq!(status.code(), Some(0));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.iter().filter(|l| l.contains("cannot serve")).count(), 1, "{err}");
    assert!(lines.contains(&format!("awsctx: {said}").as_str()), "{err}");
    assert!(browser.urls().is_empty(), "no browser");
}

#[test]
fn the_exit_status_of_the_command_passes_through() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    let out = sandbox
        .awsctx()
        .args(["exec", "dev", "--server", "--", "sh", "-c", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(stderr(&out), "");
    let out = sandbox
        .awsctx()
        .args(["exec", "dev", "--server", "--", "no-such-command-xyz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(stderr(&out), "awsctx: error: command `no-such-command-xyz` not found\n");
}

/// `exec dev --server -- sh -c SCRIPT` once SCRIPT said `ready`.
fn running(sandbox: &Sandbox, script: &str) -> Child {
    let mut child = sandbox
        .awsctx()
        .args(["exec", "dev", "--server", "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    child
}

fn kill(child: &Child, signal: &str) {
    let sent = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
}

#[test]
fn a_signal_sent_to_awsctx_reaches_the_command_and_awsctx_ends_as_it_did() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    // The command handles the signal: only a forwarded one can make it exit 42. Short sleeps,
    // each ending by itself: a long one in the background outlived the shell now and then
    // (72 times in 400 under load: dash can start it before it runs the trap).
    let mut child =
        running(&sandbox, "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done");
    kill(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(42));

    let mut child = running(&sandbox, "echo ready; exec sleep 30");
    kill(&child, "-TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");

    // A command that dies of a signal nobody sent awsctx: awsctx dies of it too.
    let status = sandbox
        .awsctx()
        .args(["exec", "dev", "--server", "--", "sh", "-c", "kill -USR1 $$"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGUSR1), "{status:?}");
}

#[test]
fn long_term_keys_are_refused_before_the_command_starts() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .awsctx()
        .args(["exec", "keys", "--server", "--", "sh", "-c", "echo ran"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "awsctx: error: profile `keys` has long-term keys; a credential server hands out temporary credentials only\n\
         hint: `awsctx exec keys -- CMD` gives these keys to a command directly; or use a role on them (`role_arn = ...` with `source_profile = keys`)\n"
    );
}

#[test]
fn serve_on_another_address_warns_that_others_can_reach_it() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    let mut child = sandbox
        .awsctx()
        .args(["serve", "dev", "--bind", "0.0.0.0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
    assert!(url.starts_with("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:"), "{url}");
    kill(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(
        err.starts_with(
            "awsctx: warning: `--bind 0.0.0.0` lets other hosts reach the server: only the token keeps them from the keys\n"
        ),
        "{err}"
    );
}

#[test]
fn a_default_profile_with_keys_of_its_own_is_warned_about() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    sandbox.write_config(&format!(
        "{}\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n",
        sandbox.default_config()
    ));
    let out = success(sandbox.awsctx().args(["exec", "dev", "--server", "--", "true"]));
    assert_eq!(
        stderr(&out),
        "awsctx: warning: profile `default` has credentials of its own: SDKs in the command use them before the server\n"
    );
}
