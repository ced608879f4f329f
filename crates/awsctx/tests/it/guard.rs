//! The production guard: a pin or `.aws-profile` that expects an account refuses a profile in
//! another one (in real shells, said once); `AWSCTX_CONFIRM_PROD` makes `exec`, `console` and
//! an explicit switch to a production profile wait for its name typed on the terminal (the
//! terminal half is in `pty`), never asks from the hook, and refuses without a terminal.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{DEV, PROD, Sandbox, lines, shells_and_nu, stderr, stdout};

#[test]
fn a_binding_that_expects_another_account_is_refused_and_said_once() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    sb.seed_keys(PROD, Duration::from_secs(3570));
    let proj = sb.dir("proj");
    let file = proj.join(".aws-profile");
    // The file wants prod-ro, but in the dev account: someone pointed it at the wrong profile.
    std::fs::write(&file, format!("prod-ro\naccount = {}\n", DEV.0)).unwrap();
    let out = sb.awsctx_in(&proj, &["allow"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let script = format!(
        "cd '{root}'\nprompt\ncd proj\nprompt\nshow AWS_PROFILE\ncd ..\nprompt\ncd proj\nprompt\nshow AWS_PROFILE",
        root = sb.root.display()
    );
    for shell in shells_and_nu() {
        let out = sb.shell(shell, &script);
        let err = stderr(&out);
        assert_eq!(
            lines(&stdout(&out)),
            ["AWS_PROFILE unset", "AWS_PROFILE unset"],
            "{shell}: {err}"
        );
        assert_eq!(
            err,
            format!(
                "awsctx: `{}` expects account {}, but profile `prod-ro` is in account {} — refused; fix the binding or the profile\n",
                file.display(),
                DEV.0,
                PROD.0
            ),
            "{shell}: said once"
        );
    }
}

#[test]
fn a_pin_expects_its_account_and_refuses_the_profile_once_it_moves() {
    let sb = Sandbox::switcher();
    sb.seed_keys(PROD, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    // Pinning by account id records the account.
    let out = sb.awsctx_in(&repo, &["pin", PROD.0]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let pins = std::fs::read_to_string(sb.home.join(".local/state/awsctx/pins.json")).unwrap();
    assert!(pins.contains(&format!("\"account\": \"{}\"", PROD.0)), "{pins}");
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(stdout(&out).contains("export AWS_PROFILE='prod-ro'"), "{}", stderr(&out));

    // prod-ro now points at another account (a hand edit, a re-generated config): refused.
    let config = std::fs::read_to_string(sb.home.join(".aws/config")).unwrap();
    let moved = config.replacen(
        &format!("sso_account_id = {}", PROD.0),
        "sso_account_id = 999988887777",
        1,
    );
    std::fs::write(sb.home.join(".aws/config"), moved).unwrap();
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the pin at `{}` expects account {}, but profile `prod-ro` is in account 999988887777 — refused",
            repo.display(),
            PROD.0
        )),
        "{}",
        stderr(&out)
    );
    let out = sb.awsctx_in(&repo, &["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(status["switcher"]["here"]["state"], "wrong-account");

    // Asked for by hand: refused at once.
    let out = sb.awsctx_in(&repo, &["pin", "dev", "--account", PROD.0]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: error: profile `dev` is in account {}, not {}\nhint: pin a profile of that account: `awsctx pin ACCOUNT_ID` finds it\n",
            DEV.0, PROD.0
        )
    );
}

#[test]
fn without_a_terminal_a_production_profile_is_refused_when_confirmations_are_on() {
    let sb = Sandbox::switcher().env("AWSCTX_CONFIRM_PROD", "1");
    sb.seed_keys(DEV, Duration::from_secs(3570));
    sb.seed_keys(PROD, Duration::from_secs(3570));
    // Piping the name in is not typing it.
    for args in [
        &["exec", "prod-ro", "--", "echo", "ran"][..],
        &["console", "prod-ro", "--print"],
        &["prod-ro"],
    ] {
        let mut cmd = sb.awsctx_in(&sb.root, args);
        cmd.env("_AWSCTX_SHELL", "bash")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // awsctx may refuse and exit before reading: a broken pipe here is that, not a failure.
        let _ = std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"prod-ro\n");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(out.stdout, b"", "{args:?}: nothing ran, nothing to eval");
        awsctx_snapshot!(output = &out, home = &sb.home);
    }
    // Not production: no question.
    let out = sb.awsctx_in(&sb.root, &["exec", "dev", "--", "echo", "ran"]).output().unwrap();
    assert_eq!(stdout(&out), "ran\n", "{}", stderr(&out));
    // The hook never asks: a pinned production directory switches as always.
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "prod-ro"]).output().unwrap().status.success());
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).stdin(Stdio::null()).output().unwrap();
    assert!(stdout(&out).contains("export AWS_PROFILE='prod-ro'"), "{}", stderr(&out));
}
