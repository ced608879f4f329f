//! The switcher from the outside: `awsctx PROFILE` without the hook, listing, `-c`, `hook-env`
//! output and its one-line reports, `pin`/`allow` errors.

use jiff::{SignedDuration, Timestamp};
use std::time::Duration;

use crate::support::{DEV, PROD, Sandbox, have, stderr, stdout};

#[test]
fn switching_without_the_hook_is_an_error_whose_hint_names_the_users_shell() {
    let sb = Sandbox::switcher();
    for (shell, hint) in [
        (Some("/usr/bin/fish"), "add `awsctx hook fish | source` to ~/.config/fish/config.fish"),
        (Some("/bin/zsh"), "add `eval \"$(awsctx hook zsh)\"` to ~/.zshrc"),
        (None, "add `eval \"$(awsctx hook bash)\"` to ~/.bashrc"),
    ] {
        let mut cmd = sb.awsctx_in(&sb.home, &["dev"]);
        if let Some(shell) = shell {
            cmd.env("SHELL", shell);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(out.stdout, b"");
        assert_eq!(
            stderr(&out),
            format!(
                "awsctx: error: `awsctx dev` changes the current shell, which needs the awsctx hook\nhint: {hint}\n"
            )
        );
    }
    let out = awsctx_snapshot!(sb.awsctx_in(&sb.home, &["-u"]));
    assert!(stderr(&out).contains("`awsctx -u` changes the current shell"), "{}", stderr(&out));
}

#[test]
fn bare_awsctx_off_a_terminal_lists_profiles_with_the_current_one_marked() {
    let sb = Sandbox::switcher();
    let out = sb.awsctx_in(&sb.home, &[]).env("AWS_PROFILE", "prod-ro").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "  dev\n* prod-ro\n  static\n  plain\n");
}

#[test]
fn current_prints_the_profile_awsctx_set_else_aws_profile_else_fails() {
    let sb = Sandbox::switcher();
    let out = sb
        .awsctx_in(&sb.home, &["-c"])
        .env("_AWSCTX_PROFILE", "dev")
        .env("AWS_PROFILE", "dev")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "dev\n");
    let out = sb.awsctx_in(&sb.home, &["--current"]).env("AWS_PROFILE", "mine").output().unwrap();
    assert_eq!(stdout(&out), "mine\n");
    let out = awsctx_snapshot!(sb.awsctx_in(&sb.home, &["-c"]));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn hook_env_in_a_pinned_directory_exports_cached_keys_and_reports_the_switch_in_one_line() {
    let sb = Sandbox::switcher();
    let key = sb.seed_keys(DEV, Duration::from_secs(2 * 3600 - 30));
    let repo = sb.dir("repo");
    let out = sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "without the hook, pin prints no shell code");
    assert_eq!(stderr(&out), format!("awsctx: pinned `{}` to dev\n", repo.display()));

    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "awsctx: dev · 111122223333 · Admin · eu-west-1 · 1h 59m left\n");
    let code = stdout(&out);
    for line in [
        "export AWS_PROFILE='dev'".to_owned(),
        format!("export AWS_ACCESS_KEY_ID='{key}'"),
        "export AWS_REGION='eu-west-1'".to_owned(),
        "export AWS_DEFAULT_REGION='eu-west-1'".to_owned(),
        // The hook's own state: set in the shell, never exported.
        format!("_AWSCTX_BOUND='{}'", repo.display()),
        "_AWSCTX_ORIGIN='pin'".to_owned(),
        format!("_AWSCTX_PINS='{}'", repo.display()),
    ] {
        assert!(code.lines().any(|l| l == line), "missing {line:?} in\n{code}");
    }
    assert!(code.contains("export AWS_CREDENTIAL_EXPIRATION='20"), "{code}");
    assert!(code.contains("\n_AWSCTX_DUE='"), "{code}");
    assert!(!code.contains("export _AWSCTX"), "{code}");

    // The same in fish: `set -gx` for the profile, `set -gu` for the state, one timer.
    let out = sb.awsctx_in(&repo, &["hook-env", "fish"]).output().unwrap();
    let code = stdout(&out);
    assert!(code.contains("set -gx AWS_PROFILE 'dev'\n"), "{code}");
    assert!(code.contains("set -gu _AWSCTX_ORIGIN 'pin'\n"), "{code}");
    assert_eq!(code.matches("_awsctx_arm_timer ").count(), 1, "{code}");
}

#[test]
fn export_mode_chooses_profile_only_or_keys_only() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3600));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());

    let out = sb
        .awsctx_in(&repo, &["hook-env", "bash"])
        .env("AWSCTX_EXPORT", "profile")
        .output()
        .unwrap();
    let code = stdout(&out);
    assert!(code.contains("export AWS_PROFILE='dev'"), "{code}");
    assert!(!code.contains("export AWS_ACCESS_KEY_ID") && !code.contains("_AWSCTX_DUE"), "{code}");
    assert_eq!(stderr(&out), "awsctx: dev · 111122223333 · Admin · eu-west-1\n");

    let out =
        sb.awsctx_in(&repo, &["hook-env", "zsh"]).env("AWSCTX_EXPORT", "keys").output().unwrap();
    let code = stdout(&out);
    assert!(!code.contains("export AWS_PROFILE="), "{code}");
    assert!(code.contains("export AWS_SECRET_ACCESS_KEY="), "{code}");

    let out =
        sb.awsctx_in(&repo, &["hook-env", "bash"]).env("AWSCTX_EXPORT", "all").output().unwrap();
    assert!(out.status.success(), "a bad setting never fails a prompt");
    assert!(
        stderr(&out).starts_with("awsctx: `AWSCTX_EXPORT=all` is not one of"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_login_switches_the_profile_without_keys_and_says_why_in_one_line() {
    let sb = Sandbox::switcher();
    sb.forget_login();
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert_eq!(
        stderr(&out),
        "awsctx: dev · 111122223333 · Admin · eu-west-1 · no keys\n\
         awsctx: SSO session `corp` is not logged in — run `awsctx login --sso-session corp`\n"
    );
    let code = stdout(&out);
    assert!(code.contains("export AWS_PROFILE='dev'"), "{code}");
    assert!(!code.contains("export AWS_ACCESS_KEY_ID"), "{code}");
    // The shell remembers the message as a short hash, not its text.
    let warned = code
        .lines()
        .find_map(|l| l.strip_prefix("_AWSCTX_WARNED='")?.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no marker in {code}"));
    assert!(warned.len() == 16 && warned.bytes().all(|b| b.is_ascii_hexdigit()), "{code}");
    assert!(!code.contains("_AWSCTX_DUE"), "no refresh loop without a login: {code}");

    // Once per shell: with the marker in the state the hook hands it, the hook stays quiet.
    let out =
        sb.awsctx_in(&repo, &["hook-env", "bash"]).env("_AWSCTX_WARNED", warned).output().unwrap();
    assert_eq!(stderr(&out), "awsctx: dev · 111122223333 · Admin · eu-west-1 · no keys\n");
}

#[test]
fn an_expired_login_is_called_expired_and_a_logged_out_one_not_logged_in() {
    let sb = Sandbox::switcher();
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    sb.seed_session_expiring("corp", Some(Timestamp::now() - SignedDuration::from_mins(5)), false);
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(
        stderr(&out).ends_with(
            "awsctx: SSO session `corp` has expired — run `awsctx login --sso-session corp`\n"
        ),
        "{}",
        stderr(&out)
    );
    assert!(sb.awsctx_in(&repo, &["logout"]).output().unwrap().status.success());
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(stderr(&out).contains("`corp` is not logged in — run"), "{}", stderr(&out));
}

#[test]
fn an_explicit_switch_without_a_login_still_drops_the_old_keys_but_fails_with_a_hint() {
    let mut sb = Sandbox::switcher();
    sb.forget_login();
    sb.set_env("AWS_ACCESS_KEY_ID", "AKIAOLDKEYOFANOTHERPROFILE");
    let home = sb.dir("");
    let out = sb.awsctx_in(&home, &["dev"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "`awsctx dev && terraform plan` must stop");
    assert_eq!(
        stderr(&out),
        "awsctx: dev · 111122223333 · Admin · eu-west-1 · no keys\n\
         awsctx: error: no keys for `dev`: SSO session `corp` is not logged in\n\
         hint: run `awsctx login --sso-session corp`, then `awsctx dev` again\n"
    );
    let code = stdout(&out);
    assert!(code.contains("export AWS_PROFILE='dev'"), "{code}");
    assert!(code.contains("unset -v AWS_ACCESS_KEY_ID"), "old keys must go: {code}");
}

#[test]
fn switch_commands_refuse_unknown_profiles_and_pin_needs_one() {
    let sb = Sandbox::switcher();
    let out = sb.awsctx_in(&sb.home, &["nope"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"", "nothing for the shell to eval");
    assert_eq!(
        stderr(&out),
        "awsctx: error: profile `nope` not found in the AWS config or credentials file\n\
         hint: `awsctx list` shows the profiles; `awsctx populate --sso-session NAME` generates them\n"
    );
    // A typo of a command or of a profile name gets the nearest name as its hint.
    awsctx_snapshot!(
        "typo_of_a_command",
        sb.awsctx_in(&sb.home, &["lsit"]).env("_AWSCTX_SHELL", "bash")
    );
    awsctx_snapshot!(
        "typo_of_a_profile",
        sb.awsctx_in(&sb.home, &["DEV"]).env("_AWSCTX_SHELL", "bash")
    );
    let out = awsctx_snapshot!("pin_unknown", sb.awsctx_in(&sb.home, &["pin", "nope"]));
    assert_eq!(out.status.code(), Some(1));
    awsctx_snapshot!("pin_nothing", sb.awsctx_in(&sb.home, &["pin"]));
    awsctx_snapshot!("no_previous", sb.awsctx_in(&sb.home, &["-"]).env("_AWSCTX_SHELL", "bash"));
}

#[test]
fn a_broken_line_in_another_profile_stops_neither_a_switch_nor_export_but_list_names_it() {
    let sb = Sandbox::switcher();
    let key = sb.seed_keys(DEV, Duration::from_secs(3600));
    sb.add_profile("[profile broken]\nregion = x\nthis line has no equals sign");
    let out = sb.awsctx_in(&sb.home, &["export", "dev", "--format", "env"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("export AWS_ACCESS_KEY_ID={key}\n")),
        "{}",
        stdout(&out)
    );
    let out = sb.awsctx_in(&sb.home, &["dev"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("export AWS_PROFILE='dev'"), "{}", stdout(&out));
    // The profile with the broken line, and every command that reads the whole files, fail
    // with its place.
    let line = "config:27: expected an `=` sign defining a property";
    for args in [&["export", "broken"][..], &["list"], &["doctor"]] {
        let out =
            awsctx_snapshot!(format!("broken_line_{}", args[0]), sb.awsctx_in(&sb.home, args));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let all = stdout(&out) + &stderr(&out);
        assert!(all.contains(line), "{args:?}: {all}");
    }
}

#[test]
fn unpin_names_the_pin_above_when_this_directory_has_none() {
    let sb = Sandbox::switcher();
    let repo = sb.dir("repo");
    let sub = sb.dir("repo/sub");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let out = sb.awsctx_in(&sub, &["unpin"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: error: `{}` is not pinned\nhint: `{}` is pinned: run `awsctx unpin` there\n",
            sub.display(),
            repo.display()
        )
    );
    let out = sb.awsctx_in(&repo, &["unpin"]).output().unwrap();
    assert_eq!(stderr(&out), format!("awsctx: unpinned `{}` (was dev)\n", repo.display()));
}

#[test]
fn allow_and_deny_find_the_nearest_profile_file_and_say_which() {
    let sb = Sandbox::switcher();
    let repo = sb.dir("repo");
    let deep = sb.dir("repo/a/b");
    let out = awsctx_snapshot!(sb.awsctx_in(&deep, &["allow"]));
    assert_eq!(out.status.code(), Some(1));

    std::fs::write(repo.join(".aws-profile"), "# team account\nprod-ro\n").unwrap();
    let out = sb.awsctx_in(&deep, &["allow"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let file = repo.join(".aws-profile");
    assert_eq!(stderr(&out), format!("awsctx: allowed `{}` (profile `prod-ro`)\n", file.display()));
    let out = sb.awsctx_in(&sb.root, &["deny", "repo/a"]).output().unwrap();
    assert_eq!(
        stderr(&out),
        format!("awsctx: denied `{}`: it will not switch profiles\n", file.display())
    );
}

#[test]
fn an_untrusted_profile_file_never_switches_and_says_what_to_run() {
    let sb = Sandbox::switcher();
    let repo = sb.dir("repo");
    std::fs::write(repo.join(".aws-profile"), "dev\n").unwrap();
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    let file = repo.join(".aws-profile");
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: `{}` (profile `dev`) is not allowed yet — run `awsctx allow` to trust it\n",
            file.display()
        )
    );
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));

    // Allowed, then edited: untrusted again, and said so.
    assert!(sb.awsctx_in(&repo, &["allow"]).output().unwrap().status.success());
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(stdout(&out).contains("export AWS_PROFILE='dev'"), "{}", stdout(&out));
    std::fs::write(repo.join(".aws-profile"), "prod-ro\n").unwrap();
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("(profile `prod-ro`) changed since you allowed it"),
        "{}",
        stderr(&out)
    );

    // A file naming a profile the config does not have: skipped, with the reason.
    std::fs::write(repo.join(".aws-profile"), "ghost\n").unwrap();
    assert!(sb.awsctx_in(&repo, &["allow"]).output().unwrap().status.success());
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(
        stderr(&out).contains("names profile `ghost`, which is not in the config"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));
}

#[test]
fn the_switch_line_is_red_only_for_production_on_a_terminal() {
    // Off a terminal there is never colour, whatever the pattern says.
    let sb = Sandbox::switcher();
    sb.seed_keys(PROD, Duration::from_secs(3600 - 30));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "prod-ro"]).output().unwrap().status.success());
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).env_remove("NO_COLOR").output().unwrap();
    assert!(!stderr(&out).contains('\u{1b}'), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .starts_with("awsctx: prod-ro · 444455556666 · ReadOnly · us-east-1 · 59m left")
    );
}

#[test]
fn status_says_where_the_profile_came_from_and_what_binds_this_directory() {
    if !have("bash") {
        return;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3600));
    let repo = sb.dir("repo");
    let proj = sb.dir("proj");
    std::fs::write(proj.join(".aws-profile"), "prod-ro\n").unwrap();
    let script = format!(
        "cd '{root}'\nprompt\nawsctx static\ncd repo\nprompt\nawsctx pin dev 2>/dev/null\n\
         awsctx status --json\necho ===\nawsctx prod-ro 2>/dev/null\nawsctx status\necho ===\n\
         cd ../proj\nprompt 2>/dev/null\nawsctx status --json",
        root = sb.root.display()
    );
    let out = sb.shell("bash", &script);
    let text = stdout(&out);
    let parts: Vec<&str> = text.split("===\n").collect();
    assert_eq!(parts.len(), 3, "{text}\n{}", stderr(&out));
    assert!(!text.contains("secret-") && !text.contains("token-"), "no secrets in status: {text}");

    let pinned: serde_json::Value = serde_json::from_str(parts[0]).unwrap();
    let switcher = &pinned["switcher"];
    assert_eq!(switcher["origin"], "pin");
    assert_eq!(switcher["source"], repo.display().to_string());
    assert_eq!(switcher["bound"], repo.display().to_string());
    assert_eq!(switcher["restore"], "static");
    assert_eq!(switcher["here"]["state"], "applies");
    assert_eq!(pinned["keys"]["source"], "environment");

    let manual = parts[1];
    assert!(
        manual.contains("set by    `awsctx` command (overrides the binding here)\n"),
        "{manual}"
    );
    assert!(
        manual.contains(&format!("manual    until the shell leaves `{}`\n", repo.display())),
        "{manual}"
    );
    assert!(
        manual.contains(&format!("leaving   `{}` brings back static\n", repo.display())),
        "{manual}"
    );

    let untrusted: serde_json::Value = serde_json::from_str(parts[2]).unwrap();
    let here = &untrusted["switcher"]["here"];
    assert_eq!(here["state"], "untrusted");
    assert_eq!(here["file"], proj.join(".aws-profile").display().to_string());
    assert_eq!(here["profile"], "prod-ro");
    assert_eq!(untrusted["profile"], "static", "leaving the pinned tree restored static");
}

#[test]
fn an_allowed_profile_file_edited_since_says_it_changed_not_that_it_was_never_allowed() {
    let sb = Sandbox::switcher();
    let repo = sb.dir("repo");
    let file = repo.join(".aws-profile");
    std::fs::write(&file, "dev\n").unwrap();
    assert!(sb.awsctx_in(&repo, &["allow"]).output().unwrap().status.success());
    std::fs::write(&file, "prod-ro\n").unwrap();
    let out = sb.awsctx_in(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: `{}` (profile `prod-ro`) changed since you allowed it — run `awsctx allow` to trust it\n",
            file.display()
        )
    );
}

#[test]
fn bare_awsctx_with_no_profiles_says_how_to_start_and_fails() {
    let sb = Sandbox::switcher();
    let none = sb.root.join("none");
    for hooked in [false, true] {
        let mut cmd = sb.awsctx_in(&sb.home, &[]);
        cmd.env("AWS_CONFIG_FILE", &none).env("AWS_SHARED_CREDENTIALS_FILE", &none);
        cmd.env("SHELL", "/bin/zsh");
        if hooked {
            cmd.env("_AWSCTX_SHELL", "zsh");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(out.stdout, b"");
        let hint = if hooked {
            "hint: `awsctx configure sso` sets one up\n".to_owned()
        } else {
            "hint: `awsctx configure sso` sets one up; to switch to it in this shell, add `eval \"$(awsctx hook zsh)\"` to ~/.zshrc\n".to_owned()
        };
        assert_eq!(
            stderr(&out),
            format!(
                "awsctx: error: there are no AWS profiles in the config or credentials file\n{hint}"
            ),
            "hooked: {hooked}"
        );
    }
}
