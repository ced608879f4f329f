//! Nothing untrusted reaches the terminal, the browser or `sh` raw (`docs/threat-model.md`,
//! rules 1, 2, 9): a portal, OIDC server or STS that answers names, codes, URIs, errors and keys
//! full of terminal escapes and shell syntax; a cloned repository with escapes in its directory
//! names and `.aws-profile`; a config and a `credential_process` with hostile values. Every command
//! these reach is run for real (against the mock, in real bash, zsh and fish), and no output
//! holds a raw control character, no browser gets a non-URL, and nothing executes.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use awsctx_core::text::is_unsafe;
use awsctx_tests::{Account, Fault, MockConfig, Operation};
use jiff::SignedDuration;
use proptest::prelude::*;

use crate::support::{BIN, DEV, FakeBrowser, Sandbox, executable, shells, stderr, stdout};

/// An OSC window title, a CSI clear-screen, a C1 CSI, a right-to-left override and a DEL.
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b[2J\u{9b}31m\u{202e}gpj.exe\x7f";

/// How [`HOSTILE`]'s first escape looks once escaped.
const ESCAPED: &str = "\\u{1b}]0;pwned\\u{7}";

/// Every format of `export`.
const FORMATS: [&str; 7] =
    ["process", "env", "env-no-export", "fish", "powershell", "windows-cmd", "json"];

/// The unsafe characters of `text`, but for the line breaks between lines.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars().filter(|&c| c != '\n' && is_unsafe(c)).collect()
}

/// Neither stream of `out` holds a raw control character.
#[track_caller]
fn assert_clean(what: &str, out: &Output) {
    for (stream, text) in [("stdout", stdout(out)), ("stderr", stderr(out))] {
        assert!(
            raw_controls(&text).is_empty(),
            "{what}: raw control characters on {stream}: {text:?}"
        );
    }
}

/// A failure as the user sees it: exit 1, nothing on stdout, one error line and its hint.
#[track_caller]
fn assert_refused(what: &str, out: &Output) {
    assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(out));
    assert_eq!(stdout(out), "", "{what}: printed on stdout");
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{what}: {err}");
    assert!(lines[0].starts_with("awsctx: error: ") && lines[1].starts_with("hint: "), "{err}");
    assert_clean(what, out);
}

fn canary(dir: &Path) -> std::path::PathBuf {
    dir.join("pwned")
}

/// `awsctx ARGS | sh`, as the README shows for `export`.
fn piped_to_sh(sandbox: &Sandbox, args: &str) -> Output {
    let mut cmd = sandbox.command("sh");
    cmd.args(["-c", &format!("'{BIN}' {args} | sh")]);
    cmd.output().expect("run sh")
}

// ---------------------------------------------------------------------------------------------
// The terminal

#[test]
fn portal_names_and_server_errors_reach_the_terminal_escaped() {
    let sandbox = Sandbox::with(MockConfig::default().with_accounts(vec![
        Account::new("111111111111", format!("payments{HOSTILE}"), &["ReadOnlyAccess"]),
        Account::new("222222222222", "billing", &["Admin", &format!("Audit{HOSTILE}")]),
    ]));
    sandbox.seed_token(SignedDuration::from_hours(1));

    for args in [
        &["populate", "--sso-session", "corp", "--dry-run"][..],
        &["populate", "--sso-session", "corp"],
        &["list"],
        &["list", "--json"],
    ] {
        let out = awsctx_snapshot!(sandbox.cmd(args));
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_clean(&format!("{args:?}"), &out);
    }
    let json: serde_json::Value = serde_json::from_slice(&sandbox.run(&["list", "--json"]).stdout)
        .expect("`list --json` is still JSON");
    assert!(json.is_array());

    // Errors quote the server's code and message: escaped, on one line.
    let error = || Fault::Error { status: 400, code: HOSTILE.into(), message: HOSTILE.into() };
    sandbox.mock.inject(Operation::GetRoleCredentials, [error()]);
    let out = awsctx_snapshot!("a_portal_error", sandbox.cmd(&["export", "dev"]));
    assert_refused("a portal error", &out);

    sandbox.mock.inject(Operation::ListAccounts, [error()]);
    let out = awsctx_snapshot!(
        "a_list_accounts_error",
        sandbox.cmd(&["populate", "--sso-session", "corp"])
    );
    assert_refused("a ListAccounts error", &out);

    sandbox.write_config(&format!(
        "{}\n[profile chained]\nrole_arn = arn:aws:iam::111111111111:role/Deploy\nsource_profile = dev\n",
        sandbox.default_config()
    ));
    sandbox.mock.inject(Operation::AssumeRole, [error()]);
    let out = awsctx_snapshot!("an_sts_error", sandbox.cmd(&["export", "chained"]));
    assert_refused("an STS error", &out);

    sandbox.mock.inject(Operation::StartDeviceAuthorization, [error()]);
    let out = awsctx_snapshot!(
        "an_oidc_error",
        sandbox.cmd(&["login", "--sso-session", "corp", "--use-device-code", "--no-browser"])
    );
    assert_refused("an OIDC error", &out);
}

#[test]
fn the_device_code_and_its_uri_are_shown_escaped() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::start(sandbox.home.as_path());
    let login = || {
        sandbox
            .awsctx()
            .env("BROWSER", &browser.script)
            .args(["login", "--sso-session", "corp", "--use-device-code", "--force"])
            .output()
            .expect("run awsctx login")
    };
    let code = || Fault::Field { name: "userCode".into(), value: format!("ABCD{HOSTILE}") };
    sandbox.mock.inject(Operation::StartDeviceAuthorization, [code()]);
    let out = login();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_clean("a hostile user code", &out);
    assert!(stderr(&out).contains(&format!("ABCD{ESCAPED}")), "{}", stderr(&out));

    let uri = format!("https://device.sso.us-east-1.amazonaws.com/{HOSTILE}");
    sandbox.mock.inject(
        Operation::StartDeviceAuthorization,
        [Fault::Field { name: "verificationUri".into(), value: uri }],
    );
    let out = login();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_clean("a hostile verification URI", &out);
    assert!(
        stderr(&out).contains("https://device.sso.us-east-1.amazonaws.com/%1B]0;pwned%07"),
        "the URI is shown percent-encoded: {}",
        stderr(&out)
    );
}

#[test]
fn a_verification_uri_that_is_not_an_https_url_is_never_opened() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    let canary = canary(sandbox.home.as_path());
    for value in [
        format!("--gpu-launcher=touch {}", canary.display()),
        "-new-tab".to_owned(),
        "file:///etc/passwd".to_owned(),
        "javascript:alert(1)".to_owned(),
        "http://evil.example/device?user_code=ABCD".to_owned(),
        format!("https://{HOSTILE}"),
    ] {
        sandbox.mock.inject(
            Operation::StartDeviceAuthorization,
            [Fault::Field { name: "verificationUriComplete".into(), value: value.clone() }],
        );
        let out = sandbox
            .awsctx()
            .env("BROWSER", &browser.script)
            .args(["login", "--sso-session", "corp", "--use-device-code"])
            .output()
            .expect("run awsctx login");
        assert_refused(&value, &out);
        assert!(!stderr(&out).contains(&value), "the value is not quoted: {}", stderr(&out));
        assert!(stderr(&out).contains("verificationUriComplete"), "{}", stderr(&out));
        assert_eq!(browser.urls(), Vec::<String>::new(), "{value}: the browser was started");
    }
    assert!(!canary.exists());
    assert_eq!(sandbox.mock.count(Operation::VerifyDevice), 0);
}

#[test]
fn a_console_url_on_plain_http_to_another_host_is_never_opened() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    // The sign-in endpoint is configured as plain http to a remote host; the proxy (the mock,
    // which serves absolute-form requests) answers for it.
    let out = awsctx_snapshot!(
        sandbox
            .cmd(&["console", "dev", "--federate"])
            .env("BROWSER", &browser.script)
            .env("AWS_ENDPOINT_URL_SIGNIN", "http://signin.example.test")
            .env("HTTP_PROXY", sandbox.mock.url())
    );
    assert_refused("a plain-http console URL", &out);
    assert!(!stderr(&out).contains("SigninToken"), "the URL is never shown");
    assert_eq!(sandbox.mock.count(Operation::GetSigninToken), 1, "the proxy answered");

    // The shortcut link of an SSO profile is made of its start URL.
    sandbox.write_config(&format!(
        "{}\n[profile odd-start]\nsso_start_url = http://portal.example.test/start\n\
         sso_region = us-east-1\nsso_account_id = {}\nsso_role_name = {}\n",
        sandbox.default_config(),
        sandbox.account,
        sandbox.role
    ));
    for args in [&["console", "odd-start"][..], &["console", "odd-start", "--print"]] {
        let out = awsctx_snapshot!(sandbox.cmd(args).env("BROWSER", &browser.script));
        assert_refused(&format!("{args:?}"), &out);
    }
    assert_eq!(browser.urls(), Vec::<String>::new());
}

#[test]
fn directory_and_profile_names_from_a_repository_reach_the_terminal_escaped() {
    let mut sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3600));
    let repo = sb.dir(&format!("repo{HOSTILE}"));
    std::fs::write(repo.join(".aws-profile"), "dev\n").unwrap();
    let other = sb.dir(&format!("other{HOSTILE}"));
    std::fs::write(other.join(".aws-profile"), format!("nope{HOSTILE}\n")).unwrap();
    sb.set_env("R", &format!("repo{HOSTILE}"));
    sb.set_env("O", &format!("other{HOSTILE}"));
    let script = format!(
        "cd '{root}'\nprompt\ncd \"./$R\"\nprompt\nawsctx allow\nprompt\nawsctx status\n\
         awsctx pin prod-ro\nawsctx unpin\nawsctx deny\ncd \"../$O\"\nprompt\nawsctx status\n\
         awsctx -u\nshow AWS_PROFILE",
        root = sb.root.display()
    );
    for shell in shells() {
        let _ = std::fs::remove_file(sb.home.join(".local/state/awsctx/trust.json"));
        let out = sb.shell(shell, &script);
        assert_clean(shell, &out);
        let err = stderr(&out);
        for line in ["is not allowed yet", "allowed `", "pinned `", "denied `", "names an invalid"]
        {
            assert!(
                err.lines().any(|l| l.contains(line) && l.contains(ESCAPED)),
                "{shell}: no escaped `{line}` line:\n{err}"
            );
        }
    }

    // The same names outside the hook: `status`, `-c`, the bare list.
    let mut cmd = sb.awsctx_in(&other, &["status"]);
    let out = cmd.env("AWS_PROFILE", format!("mine{HOSTILE}")).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_clean("status", &out);
    assert!(stdout(&out).contains(&format!("mine{ESCAPED}")), "{}", stdout(&out));
    for args in [&["-c"][..], &[], &["status", "--json"], &["list"]] {
        let out = sb
            .awsctx_in(&other, args)
            .env("AWS_PROFILE", format!("mine{HOSTILE}"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_clean(&format!("{args:?}"), &out);
    }
}

#[test]
fn config_values_reach_the_terminal_escaped() {
    let sb = Sandbox::switcher();
    sb.add_profile(&format!(
        "[profile odd]\nregion = eu{HOSTILE}\nsso_account_name = acme{HOSTILE}\n\
         aws_access_key_id = AKIAODD\naws_secret_access_key = odd/secret+key=\n\n\
         [profile odd-role]\nrole_arn = arn:aws:iam::111122223333:role/Ops{HOSTILE}\nsource_profile = odd\n"
    ));
    for args in [&["list"][..], &["list", "--json"], &["doctor"]] {
        let out = sb.awsctx_in(&sb.root, args).output().unwrap();
        assert_clean(&format!("{args:?}"), &out);
    }
    for (profile, shell) in [("odd", "bash"), ("odd-role", "zsh")] {
        if !shells().contains(&shell) {
            continue;
        }
        let out = sb.awsctx_in(&sb.root, &["status"]).env("AWS_PROFILE", profile).output().unwrap();
        assert_clean("status", &out);
        let out = sb.shell(shell, &format!("cd '{}'\nprompt\nawsctx {profile}", sb.root.display()));
        assert_clean(profile, &out);
        assert!(stderr(&out).contains(ESCAPED), "{}", stderr(&out));
    }
}

#[test]
fn account_names_in_the_configure_picker_are_escaped() {
    let sandbox = Sandbox::empty(MockConfig::default().with_accounts(vec![
        Account::new("111111111111", format!("payments{HOSTILE}"), &["ReadOnlyAccess"]),
        Account::new("222222222222", "billing", &["ReadOnlyAccess"]),
    ]));
    sandbox.seed_session("corp");
    let start_url = sandbox.mock.start_url();
    let mut cmd = sandbox.cmd(&[
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--start-url",
        &start_url,
        "--sso-region",
        "us-east-1",
        "--scopes",
        "sso:account:access",
        "--region",
        "eu-west-1",
        "--output",
        "json",
        "--profile",
        "picked",
    ]);
    cmd.env("TERM", "dumb");
    let mut p = expectrl::Session::spawn(cmd).expect("spawn in a PTY");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    let listed = p.expect("AWS account (number, or text to filter): ").expect("account prompt");
    let listed = String::from_utf8_lossy(listed.before()).into_owned();
    assert!(listed.contains(&format!("payments{ESCAPED}")), "{listed:?}");
    assert!(!listed.contains("\x1b]0;pwned"), "{listed:?}");
    // `2` alone would filter (it is in `222222222222`): `#2` is row 2.
    p.send_line("#2").unwrap();
    p.expect(expectrl::Eof).expect("the wizard ends");
    assert!(sandbox.config_text().contains("sso_account_id = 111111111111"));
}

// ---------------------------------------------------------------------------------------------
// `sh`

#[test]
fn keys_with_shell_syntax_from_the_portal_are_refused_in_every_format() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let canary = canary(sandbox.home.as_path());
    let touch = format!("touch {}", canary.display());
    for (name, value) in [
        ("secretAccessKey", format!("x;{touch}")),
        ("accessKeyId", format!("ASIA$({touch})")),
        ("sessionToken", format!("`{touch}`")),
        ("secretAccessKey", format!("x\n{touch}\n")),
        ("sessionToken", format!("x{HOSTILE}")),
    ] {
        let field = || Fault::Field { name: name.into(), value: value.clone() };
        for format in FORMATS {
            sandbox.mock.inject(Operation::GetRoleCredentials, [field()]);
            let out =
                sandbox.awsctx().args(["export", "dev", "--format", format]).output().unwrap();
            assert_refused(&format!("{name} in `export --format {format}`"), &out);
            assert!(stderr(&out).contains("refuses"), "{}", stderr(&out));
        }
        sandbox.mock.inject(Operation::GetRoleCredentials, [field()]);
        let out = sandbox.awsctx().args(["credential-process", "--profile", "dev"]).output();
        assert_refused(&format!("{name} in `credential-process`"), &out.unwrap());
        sandbox.mock.inject(Operation::GetRoleCredentials, [field()]);
        let out = sandbox.awsctx().args(["exec", "dev", "--", "sh", "-c", &touch]).output();
        assert_refused(&format!("{name} in `exec`"), &out.unwrap());
        sandbox.mock.inject(Operation::GetRoleCredentials, [field()]);
        piped_to_sh(&sandbox, "export dev --format env");
        assert!(!canary.exists(), "{name}: a hostile key executed");
    }
    assert!(
        !sandbox.credential_cache().path(&sandbox.dev_key()).exists(),
        "refused keys are never cached"
    );
}

#[test]
fn keys_with_shell_syntax_from_the_config_a_process_or_sts_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let canary = canary(sandbox.home.as_path());
    let touch = format!("touch {}", canary.display());
    let process = executable(
        &sandbox.path("process.sh"),
        &format!(
            "#!/bin/sh\nprintf '%s' '{{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\",\"SecretAccessKey\":\"x;{touch}\"}}'\n"
        ),
    );
    std::fs::write(
        sandbox.path(".aws/credentials"),
        format!(
            "[evil-static]\naws_access_key_id = AKIAEVIL\naws_secret_access_key = $({touch})\n"
        ),
    )
    .unwrap();
    sandbox.write_config(&format!(
        "{}\n[profile evil-process]\ncredential_process = {}\n\n\
         [profile evil-role]\nrole_arn = arn:aws:iam::{}:role/Deploy\nsource_profile = dev\n",
        sandbox.default_config(),
        process.display(),
        sandbox.account
    ));
    for profile in ["evil-static", "evil-process", "evil-role"] {
        for format in FORMATS {
            sandbox.mock.inject(
                Operation::AssumeRole,
                [Fault::Field { name: "SecretAccessKey".into(), value: format!("x;{touch}") }],
            );
            let out = sandbox.awsctx().args(["export", profile, "--format", format]).output();
            assert_refused(&format!("{profile} in `export --format {format}`"), &out.unwrap());
        }
        sandbox.mock.inject(
            Operation::AssumeRole,
            [Fault::Field { name: "SecretAccessKey".into(), value: format!("x;{touch}") }],
        );
        piped_to_sh(&sandbox, &format!("export {profile} --format env"));
        assert!(!canary.exists(), "{profile}: a hostile key executed");
    }
}

#[test]
fn a_role_cache_entry_with_shell_syntax_counts_as_corrupt_and_is_replaced() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let canary = canary(sandbox.home.as_path());
    let path = sandbox.credential_cache().path(&sandbox.dev_key());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            r#"{{"ProviderType": "sso", "Credentials": {{"AccessKeyId": "ASIAPLANTED", "SecretAccessKey": "x;touch {}", "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}}}}"#,
            canary.display()
        ),
    )
    .unwrap();
    let out = piped_to_sh(&sandbox, "export dev --format env");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!canary.exists(), "a planted cache entry executed");
    assert_eq!(sandbox.mock.count(Operation::GetRoleCredentials), 1, "fetched instead");
    let replaced = std::fs::read_to_string(&path).unwrap();
    assert!(!replaced.contains("ASIAPLANTED"), "{replaced}");
}

#[test]
fn the_hook_refuses_keys_with_shell_syntax_in_every_shell() {
    let sb = Sandbox::switcher();
    let canary = canary(&sb.root);
    let touch = format!("touch {}", canary.display());
    sb.add_profile(&format!(
        "[profile evil]\naws_access_key_id = AKIAEVIL\naws_secret_access_key = $({touch})\n"
    ));
    let script = format!(
        "cd '{}'\nprompt\nawsctx dev || echo refused\nshow AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY\n\
         awsctx evil || echo refused\nshow AWS_PROFILE AWS_SECRET_ACCESS_KEY",
        sb.root.display()
    );
    for shell in shells() {
        sb.mock.inject(
            Operation::GetRoleCredentials,
            [Fault::Field { name: "secretAccessKey".into(), value: format!("x;{touch}") }],
        );
        let out = sb.shell(shell, &script);
        assert_eq!(
            stdout(&out),
            "refused\nAWS_PROFILE=<dev>\nAWS_ACCESS_KEY_ID unset\nAWS_SECRET_ACCESS_KEY unset\n\
             refused\nAWS_PROFILE=<evil>\nAWS_SECRET_ACCESS_KEY unset\n",
            "{shell}: {}",
            stderr(&out)
        );
        assert!(!canary.exists(), "{shell}: a hostile key executed");
        assert_eq!(stderr(&out).matches("refuses").count(), 2, "{shell}: {}", stderr(&out));
        assert_clean(shell, &out);
    }
}

// ---------------------------------------------------------------------------------------------
// Any text

/// Text with anything in it: printable ASCII, controls of every kind, bidi, a few scripts.
fn any_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[ -~]{1,8}",
        prop::sample::select(vec![
            "\x1b[31m",
            "\x1b]0;t\x07",
            "\x07",
            "\x08",
            "\r",
            "\n",
            "\t",
            "\x7f",
            "\u{85}",
            "\u{9b}",
            "\u{202e}",
            "\u{2066}",
            "\u{200f}",
            "\u{2028}",
            "é",
            "日本",
            "🙂",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 1..6).prop_map(|pieces| pieces.concat())
}

/// A directory name: no `/`, no NUL, not `.` or `..`.
fn dir_name(text: &str) -> String {
    let name = text.replace(['/', '\0'], "%");
    if name == "." || name == ".." { format!("x{name}") } else { name }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn whatever_portals_repositories_and_servers_send_nothing_is_printed_raw(
        account in any_text(),
        role in any_text(),
        message in any_text(),
        dir in any_text(),
        profile_file in any_text(),
    ) {
        let sandbox = Sandbox::with(MockConfig::default().with_accounts(vec![
            Account::new("111111111111", "dev", &["ReadOnlyAccess"]),
            Account::new("222222222222", account.clone(), &["Admin", role.as_str()]),
        ]));
        sandbox.seed_token(SignedDuration::from_hours(1));
        let repo = sandbox.path(&dir_name(&dir));
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::write(repo.join(".aws-profile"), &profile_file).unwrap();
        sandbox.mock.inject(
            Operation::GetRoleCredentials,
            [Fault::Error { status: 400, code: message.clone(), message: message.clone() }],
        );
        let in_repo = |args: &[&str], hooked: bool| {
            let mut cmd = sandbox.awsctx();
            cmd.current_dir(&repo).env("PWD", &repo).env("AWS_PROFILE", &profile_file);
            if hooked {
                cmd.env("_AWSCTX_SHELL", "bash");
            }
            cmd.args(args).output().unwrap()
        };
        let mut runs = vec![
            sandbox.awsctx().args(["export", "dev"]).output().unwrap(),
            sandbox.awsctx().args(["populate", "--sso-session", "corp", "--dry-run"]).output().unwrap(),
            sandbox.awsctx().args(["populate", "--sso-session", "corp"]).output().unwrap(),
            sandbox.awsctx().args(["list"]).output().unwrap(),
            in_repo(&["status"], false),
            in_repo(&["-c"], false),
        ];
        // Through the hook, stdout is shell code for `eval` (quoted for the shell, never
        // shown); stderr is what the user sees.
        let hooked = [
            in_repo(&["hook-env", "bash"], true),
            in_repo(&["allow"], true),
            in_repo(&["status"], false),
            in_repo(&["deny"], true),
        ];
        for out in &runs {
            prop_assert!(raw_controls(&stdout(out)).is_empty(), "{:?}", stdout(out));
        }
        runs.extend(hooked);
        for out in &runs {
            prop_assert!(raw_controls(&stderr(out)).is_empty(), "{:?}", stderr(out));
        }
    }
}
