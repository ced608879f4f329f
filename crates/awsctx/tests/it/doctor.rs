//! `awsctx doctor`: the exact report (insta snapshots, temp paths, ports and times filtered)
//! for a healthy set-up against the mock, and for each broken set-up it detects, with the
//! exit code that goes with it.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use awsctx_core::cache::{RoleCredentials, TokenKey};
use awsctx_core::secret::Secret;
use jiff::{SignedDuration, Timestamp};

use crate::support::{BIN, Sandbox, seconds_from_now, shells, snapshot_settings, stderr, stdout};

/// A set-up that passes every check: the hook loaded, a session and a legacy profile logged
/// in, cached keys, a role profile (so STS is probed), files private, the mock answering.
fn healthy() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "{}\n[profile deploy]\nrole_arn = arn:aws:iam::{}:role/Deploy\nsource_profile = dev\n",
        sandbox.default_config(),
        sandbox.account
    ));
    let issued = sandbox.seed_token(SignedDuration::from_hours(8));
    let session = sandbox.tokens().load(&TokenKey::Session("corp".into())).unwrap().unwrap();
    let legacy = awsctx_core::cache::SsoToken {
        client_id: None,
        client_secret: None,
        refresh_token: None,
        registration_expires_at: None,
        ..session
    };
    sandbox.tokens().store(&TokenKey::StartUrl(sandbox.mock.start_url()), &legacy).unwrap();
    drop(issued);
    sandbox.seed_credentials(
        &RoleCredentials::new(
            "ASIADOCTOR",
            Secret::new("doctor-secret"),
            Some(Secret::new("doctor-token")),
            Some(seconds_from_now(SignedDuration::from_hours(1))),
        )
        .unwrap()
        .with_account_id(Some(sandbox.account.clone())),
    );
    sandbox
}

/// `awsctx doctor` as in a shell with the hook loaded, plus `env`.
fn doctor(sandbox: &Sandbox, env: &[(&str, &str)]) -> Output {
    sandbox
        .awsctx()
        .env("SHELL", "/bin/bash")
        .env("_AWSCTX_PWD", sandbox.home.as_path())
        .envs(env.iter().copied())
        .arg("doctor")
        .output()
        .expect("run awsctx doctor")
}

/// The report, snapshotted with what changes from run to run filtered out; `code` is the
/// exit code it must come with.
fn check(name: &str, sandbox: &Sandbox, out: &Output, code: i32) {
    let text = stdout(out);
    assert_eq!(out.status.code(), Some(code), "{text}{}", stderr(out));
    for line in text.lines() {
        assert!(line.starts_with("✓ ") || line.starts_with("✗ "), "not a check line: {line}");
    }
    sandbox.assert_no_secret_in(&text);
    snapshot_settings(&sandbox.home).bind(|| insta::assert_snapshot!(name, text));
}

/// A server that answers every request `404` with a `Date` `offset` away from now.
fn skewed_server(offset: SignedDuration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let date = (Timestamp::now() + offset).strftime("%a, %d %b %Y %H:%M:%S GMT");
            let _ = stream.write_all(
                format!("HTTP/1.1 404 Not Found\r\nDate: {date}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    url
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn healthy_setup_passes_every_check() {
    let sandbox = healthy();
    check("healthy", &sandbox, &doctor(&sandbox, &[]), 0);
}

#[test]
fn the_markers_a_pin_leaves_for_nushell_are_awsctx_s_own() {
    let sandbox = healthy();
    let repo = sandbox.dir("repo");
    assert!(sandbox.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    assert!(sandbox.path(".local/state/awsctx/changes.d").is_dir(), "the pin made its marker");
    let out = doctor(&sandbox, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("✓ file modes: tokens and keys are private"), "{}", stdout(&out));
}

#[test]
fn an_expired_login_that_can_be_refreshed_is_not_a_failure() {
    let sandbox = healthy();
    sandbox.seed_token(SignedDuration::from_mins(-5));
    let out = doctor(&sandbox, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(
        "✓ sso-session `corp`: token expired but refreshable; the next command renews it without a login\n"
    ));
}

#[test]
fn missing_hook_names_the_rc_line_of_the_shell() {
    let sandbox = healthy();
    for (shell, line) in [
        ("/bin/bash", "add `eval \"$(awsctx hook bash)\"` to ~/.bashrc"),
        ("/usr/bin/zsh", "add `eval \"$(awsctx hook zsh)\"` to ~/.zshrc"),
        ("/usr/bin/fish", "add `awsctx hook fish | source` to ~/.config/fish/config.fish"),
    ] {
        let out = sandbox.awsctx().env("SHELL", shell).arg("doctor").output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let first = stdout(&out).lines().next().unwrap().to_owned();
        assert_eq!(
            first,
            format!("✗ shell hook: not loaded in this shell; {line}, then open a new shell")
        );
    }
    let out = sandbox.awsctx().env("SHELL", "/bin/bash").arg("doctor").output().unwrap();
    check("hook_missing", &sandbox, &out, 1);
}

#[test]
fn config_syntax_error_is_named_by_file_and_line() {
    let sandbox = healthy();
    sandbox.write_config("[profile ok]\nregion = eu-west-1\n[profile broken\nregion = x\n");
    check("config_syntax_error", &sandbox, &doctor(&sandbox, &[]), 1);
}

#[test]
fn ignored_lines_and_unusable_profiles_are_listed_by_file_and_line() {
    let sandbox = healthy();
    sandbox.write_config(&format!(
        "{}\n[nodefault]\nregion = eu-west-1\n\n\
         [profile orphan]\nrole_arn = arn:aws:iam::123456789012:role/X\nsource_profile = nowhere\n\n\
         [profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = b\n\n\
         [profile b]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = a\n\n\
         [profile lost]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = R\n\n\
         [profile only-settings]\nregion = eu-west-1\n",
        sandbox.default_config()
    ));
    check("config_problems", &sandbox, &doctor(&sandbox, &[]), 1);
}

#[test]
fn expired_and_missing_logins_name_the_login_command() {
    let sandbox = healthy();
    let mut token = sandbox.tokens().load(&TokenKey::Session("corp".into())).unwrap().unwrap();
    token.expires_at = seconds_from_now(SignedDuration::from_mins(-10));
    token.refresh_token = None;
    sandbox.tokens().store(&TokenKey::Session("corp".into()), &token).unwrap();
    sandbox.write_config(&format!(
        "{}\n[sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = us-east-1\n",
        sandbox.default_config()
    ));
    check("logins_expired_and_missing", &sandbox, &doctor(&sandbox, &[]), 1);
}

#[test]
fn a_clock_ten_minutes_off_is_a_failure() {
    let sandbox = healthy();
    let skewed = skewed_server(SignedDuration::from_mins(10));
    let out = doctor(&sandbox, &[("AWS_ENDPOINT_URL_SSO_OIDC", &skewed)]);
    check("clock_skew", &sandbox, &out, 1);
    let ahead = skewed_server(SignedDuration::from_mins(-2));
    let out = doctor(&sandbox, &[("AWS_ENDPOINT_URL_SSO_OIDC", &ahead)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("✓ clock: this machine's clock is 2 min ahead of SSO OIDC"));
}

#[test]
fn open_cache_files_and_directories_get_the_chmod_that_fixes_them() {
    let sandbox = healthy();
    let token = sandbox.tokens().path(&TokenKey::Session("corp".into()));
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cli_cache = sandbox.path(".aws/cli/cache");
    std::fs::set_permissions(&cli_cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    check("file_modes", &sandbox, &doctor(&sandbox, &[]), 1);
}

#[test]
fn an_unreachable_endpoint_names_its_override() {
    let sandbox = healthy();
    let url = format!("http://127.0.0.1:{}", closed_port());
    check(
        "endpoint_unreachable",
        &sandbox,
        &doctor(&sandbox, &[("AWS_ENDPOINT_URL_SSO", &url)]),
        1,
    );
}

#[test]
fn a_bad_proxy_url_stops_the_network_checks() {
    let sandbox = healthy();
    let out = doctor(&sandbox, &[("HTTPS_PROXY", "http://[::1"), ("NO_PROXY", "localhost")]);
    check("proxy_invalid", &sandbox, &out, 1);
}

#[test]
fn a_proxy_is_shown_without_its_password() {
    let sandbox = healthy();
    let out = doctor(
        &sandbox,
        &[("HTTPS_PROXY", "http://bob:hunter2@127.0.0.1:9"), ("NO_PROXY", "127.0.0.1")],
    );
    let text = stdout(&out);
    assert!(text.contains(
        "✓ proxy: `HTTPS_PROXY` = `http://***@127.0.0.1:9`, `NO_PROXY` = `127.0.0.1` (the endpoint checks go through it)\n"
    ), "{text}");
    assert!(!text.contains("hunter2"));
    assert_eq!(out.status.code(), Some(0), "`NO_PROXY` keeps the mock reachable: {text}");
}

#[test]
fn a_missing_or_empty_ca_bundle_is_a_failure() {
    let sandbox = healthy();
    let missing = sandbox.path("missing.pem");
    let out = doctor(&sandbox, &[("AWS_CA_BUNDLE", missing.to_str().unwrap())]);
    check("ca_bundle_missing", &sandbox, &out, 1);
    let not_pem = sandbox.path("not.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let out = doctor(&sandbox, &[("AWS_CA_BUNDLE", not_pem.to_str().unwrap())]);
    check("ca_bundle_not_pem", &sandbox, &out, 1);
}

/// `awsctx doctor` typed in a real shell whose rc file (`name` in the sandbox home) holds
/// `rc`: the rc file is sourced, one prompt runs, then doctor.
fn doctor_in(sandbox: &Sandbox, shell: &str, name: &str, rc: &str) -> Output {
    std::fs::write(sandbox.path(name), rc).unwrap();
    let bin = std::path::Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let prompt = match shell {
        "bash" => "eval \"$PROMPT_COMMAND\"",
        _ => "for f in $precmd_functions; do $f; done",
    };
    let script = format!("source ~/{name}; {prompt}; awsctx doctor");
    sandbox
        .shell_command(shell, &["-c", &script])
        .env("PATH", path)
        .env("SHELL", format!("/bin/{shell}"))
        .output()
        .expect("run the shell")
}

#[test]
fn doctor_names_the_rc_line_that_undoes_the_hook_in_the_live_shell() {
    let sandbox = healthy();
    let shells = shells();
    if shells.contains(&"bash") {
        let out = doctor_in(
            &sandbox,
            "bash",
            ".bashrc",
            "# mine\neval \"$(awsctx hook bash)\"\nPROMPT_COMMAND='history -a'\n",
        );
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert_eq!(
            stdout(&out).lines().next().unwrap(),
            "✗ shell hook: loaded, but no longer run at the prompt: ~/.bashrc:3 sets \
             `PROMPT_COMMAND` anew after the hook line (2); add to it there \
             (`PROMPT_COMMAND+=…`) or move the hook line below it"
        );
        // Kept, the hook runs and doctor says so.
        let out = doctor_in(
            &sandbox,
            "bash",
            ".bashrc",
            "PROMPT_COMMAND='history -a'\neval \"$(awsctx hook bash)\"\nPROMPT_COMMAND+=';:'\n",
        );
        assert!(stdout(&out).starts_with("✓ shell hook: loaded in bash "), "{}", stdout(&out));
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    }
    if shells.contains(&"zsh") {
        let zshrc = "eval \"$(awsctx hook zsh)\"\nautoload -Uz compinit\ncompinit -u\n";
        let out = doctor_in(&sandbox, "zsh", ".zshrc", zshrc);
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().take(2).collect();
        assert!(lines[0].starts_with("✓ shell hook: loaded in zsh "), "{text}");
        assert_eq!(
            lines[1],
            "✗ shell completion: `awsctx` does not complete: the hook was loaded before \
             `compinit`; move the hook line (~/.zshrc:1) below `compinit` (line 3)"
        );
        let out = doctor_in(
            &sandbox,
            "zsh",
            ".zshrc",
            "eval \"$(awsctx hook zsh)\"\nprecmd_functions=(mine)\nmine() { :; }\n",
        );
        assert_eq!(
            stdout(&out).lines().next().unwrap(),
            "✗ shell hook: loaded, but no longer run at the prompt: ~/.zshrc:2 sets \
             `precmd_functions` anew after the hook line (1); add to it there \
             (`precmd_functions+=…`) or move the hook line below it"
        );
        let zshrc = "autoload -Uz compinit\ncompinit -u\neval \"$(awsctx hook zsh)\"\n";
        let out = doctor_in(&sandbox, "zsh", ".zshrc", zshrc);
        assert!(!stdout(&out).contains("shell completion"), "{}", stdout(&out));
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    }
}
