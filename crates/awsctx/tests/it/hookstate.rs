//! The hook's own state in real bash, zsh and fish: small whatever a repository holds,
//! shell-local (no child process sees it, nor the user's saved keys), taken over from an older
//! hook that exported it, and quiet about a failure it already reported.

use std::fmt::Write as _;
use std::time::Duration;

use awsctx_core::binding::StateDir;

use crate::support::{DEV, Sandbox, lines, shells, stderr, stdout};

/// The most bytes all `_AWSCTX_*` variables of a shell may take together (`NAME=value` each).
const STATE_BOUND: usize = 8 * 1024;

/// `statevars` output (`NAME=value` NUL-terminated) as name → `NAME=value`.
fn state_entries(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == 0)
        .filter(|entry| !entry.is_empty())
        .map(|entry| String::from_utf8_lossy(entry).into_owned())
        .collect()
}

#[test]
fn a_deep_repo_of_never_allowed_profile_files_keeps_commands_running_and_the_state_small() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    // 40 levels of 90-character directory names, each with a never-allowed `.aws-profile` of
    // 4 000 bytes; the user's own pin ten levels down.
    let mut relative = String::from("repo");
    let mut pinned = None;
    for level in 0..40 {
        let _ = write!(relative, "/{level:02}{}", "d".repeat(88));
        let dir = sb.dir(&relative);
        let name = format!("{level:02}{}", "p".repeat(3997));
        std::fs::write(dir.join(".aws-profile"), format!("{name}\n")).unwrap();
        if level == 9 {
            pinned = Some(dir);
        }
    }
    let pinned = pinned.unwrap();
    assert!(sb.awsctx_in(&pinned, &["pin", "dev"]).output().unwrap().status.success());
    let deepest = sb.root.join(&relative);
    for shell in shells() {
        let dump = sb.root.join(format!("state.{shell}"));
        let script = format!(
            "cd '{deepest}'\nprompt\nprompt\nshow AWS_PROFILE\nsh -c 'echo child ran'\n/bin/true && echo true ran\n\
             statevars > '{dump}'\ncd '{root}'\nprompt\nshow AWS_PROFILE\nsh -c 'echo child ran'\nstatevars > '{dump}.out'",
            deepest = deepest.display(),
            root = sb.root.display(),
            dump = dump.display(),
        );
        let out = sb.shell(shell, &script);
        let err = stderr(&out);
        assert_eq!(
            lines(&stdout(&out)),
            ["AWS_PROFILE=<dev>", "child ran", "true ran", "AWS_PROFILE unset", "child ran"],
            "{shell}: {err}"
        );
        // The nearest passed-over files are named, not forty screens of them.
        let named = err.matches("is not allowed yet").count();
        assert!((1..=3).contains(&named), "{shell}: {named} lines:\n{err}");
        for file in [dump.clone(), dump.with_extension(format!("{shell}.out"))] {
            let entries = state_entries(&std::fs::read(&file).unwrap());
            let total: usize = entries.iter().map(String::len).sum();
            assert!(total <= STATE_BOUND, "{shell}: {total} bytes of state: {entries:?}");
            assert!(entries.iter().all(|e| e.starts_with("_AWSCTX_")), "{shell}: {entries:?}");
            assert!(!entries.iter().any(|e| e.contains("ppppp")), "{shell}: file contents kept");
        }
    }
}

#[test]
fn a_users_own_secret_and_the_hooks_state_reach_no_child_process_of_the_shell_or_of_awsctx() {
    let sb = Sandbox::switcher();
    let dev = sb.seed_keys(DEV, Duration::from_secs(3570));
    // The user's own long-term key, with every byte a shell could trip on but a quote.
    let secret = "wJalr XUtn\"FEMI $(id) `id` ;K7MDENG *\nbPxRfi ✓ EXAMPLE";
    let env_file = |shell: &str, n: u32| sb.root.join(format!("env.{shell}.{n}"));
    // A `credential_process` awsctx runs itself: it writes down what it was given.
    let process = sb.script(
        "process.sh",
        r#"#!/bin/sh
env > "$1"
echo '{"Version": 1, "AccessKeyId": "AKIAPROCESSKEY01", "SecretAccessKey": "processsecret"}'
"#,
    );
    for shell in shells() {
        sb.add_profile(&format!(
            "[profile proc-{shell}]\ncredential_process = {} {}",
            process.display(),
            env_file(shell, 4).display()
        ));
    }
    for shell in shells() {
        let script = format!(
            "cd '{root}'\nsetvar AWS_ACCESS_KEY_ID AKIAUSEROWNKEY\nsetvar AWS_SECRET_ACCESS_KEY '{secret}'\nprompt\n\
             awsctx dev\nshow AWS_ACCESS_KEY_ID\nenv > '{first}'\nsh -c env > '{second}'\n\
             awsctx proc-{shell} 2>/dev/null\n\
             awsctx -u\nshow AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY\nenv > '{third}'",
            root = sb.root.display(),
            first = env_file(shell, 1).display(),
            second = env_file(shell, 2).display(),
            third = env_file(shell, 3).display(),
        );
        let out = sb.shell(shell, &script);
        let err = stderr(&out);
        assert_eq!(
            stdout(&out),
            format!(
                "AWS_ACCESS_KEY_ID=<{dev}>\nAWS_ACCESS_KEY_ID=<AKIAUSEROWNKEY>\nAWS_SECRET_ACCESS_KEY=<{secret}>\n"
            ),
            "{shell}: {err}"
        );
        for n in [1, 2, 4] {
            let env = std::fs::read_to_string(env_file(shell, n)).unwrap();
            assert!(env.contains(&format!("AWS_ACCESS_KEY_ID={dev}\n")), "{shell}: {env}");
            assert!(!env.contains("_AWSCTX_"), "{shell}: a child sees awsctx's state:\n{env}");
            assert!(!env.contains("FEMI") && !env.contains("AKIAUSEROWNKEY"), "{shell}: {env}");
        }
        // `-u` gave back the user's own exported values, byte for byte.
        let env = std::fs::read_to_string(env_file(shell, 3)).unwrap();
        assert!(env.contains(&format!("AWS_SECRET_ACCESS_KEY={secret}\n")), "{shell}: {env}");
        assert!(!env.contains("_AWSCTX_"), "{shell}: {env}");
    }
}

#[test]
fn state_an_older_hook_exported_is_taken_over_and_no_longer_exported() {
    let mut sb = Sandbox::switcher();
    // What a shell started from one with the old hook inherited.
    sb.set_env("AWS_PROFILE", "dev");
    sb.set_env("_AWSCTX_PROFILE", "dev");
    sb.set_env("_AWSCTX_ORIGIN", "command");
    sb.set_env("_AWSCTX_PINS", "");
    sb.set_env(
        "_AWSCTX_SAVED",
        r#"{"AWS_PROFILE":"mine","AWS_SECRET_ACCESS_KEY":"inherited secret"}"#,
    );
    sb.set_env("_AWSCTX_WARNED", "untrusted:/some/where:a-long-old-marker");
    for shell in shells() {
        let env = sb.root.join(format!("env.{shell}"));
        let script = format!(
            "env > '{env}'\nawsctx -c\nawsctx -u\nshow AWS_PROFILE AWS_SECRET_ACCESS_KEY _AWSCTX_PROFILE",
            env = env.display()
        );
        let out = sb.shell(shell, &script);
        assert_eq!(
            lines(&stdout(&out)),
            [
                "dev",
                "AWS_PROFILE=<mine>",
                "AWS_SECRET_ACCESS_KEY=<inherited secret>",
                "_AWSCTX_PROFILE unset"
            ],
            "{shell}: {}",
            stderr(&out)
        );
        let env = std::fs::read_to_string(&env).unwrap();
        assert!(!env.contains("_AWSCTX_"), "{shell}: still exported:\n{env}");
    }
}

#[test]
fn a_broken_binding_reports_its_error_once_per_directory_and_starts_nothing_more() {
    let sb = Sandbox::switcher();
    // A NUL byte in a value: no shell can hold it, so this profile can never be switched to.
    sb.add_profile("[profile broken]\nregion = eu\0west-1");
    let repo = sb.dir("repo");
    sb.dir("repo/sub");
    assert!(sb.awsctx_in(&repo, &["pin", "broken"]).output().unwrap().status.success());
    for shell in shells() {
        let counted = sb.counting_wrapper(&format!("wrapper.{shell}"));
        let set_bin = counted.use_in(&sb, shell);
        let mut script = format!("cd '{}'\nprompt\n{set_bin}\ncd repo\n", sb.root.display());
        script.push_str(&"prompt\n".repeat(5));
        script.push_str("echo usable\nshow AWS_PROFILE\ncd sub\n");
        script.push_str(&"prompt\n".repeat(3));
        let _ = write!(script, "echo still usable");
        let out = sb.shell(shell, &script);
        let err = stderr(&out);
        assert_eq!(
            lines(&stdout(&out)),
            ["usable", "AWS_PROFILE unset", "still usable"],
            "{shell}: {err}"
        );
        assert_eq!(err.matches("NUL byte").count(), 2, "{shell}: once per directory:\n{err}");
        awsctx_snapshot!(format!("broken_binding_{shell}"), stderr = &err, home = &sb.home);
        let calls = counted.calls();
        assert_eq!(
            lines(&calls),
            [format!("hook-env {shell}"), format!("hook-env {shell}")],
            "{shell}: one process per directory, none per prompt"
        );
    }
}

#[test]
fn past_two_kib_of_pins_the_hook_asks_awsctx_at_each_directory_change_and_still_switches() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let pinned = sb.dir("plain/pinned");
    StateDir::new(sb.home.join(".local/state/awsctx"))
        .update_pins(|pins| {
            for n in 0..100 {
                pins.insert(
                    sb.root.join(format!("elsewhere/{n:03}-{}", "x".repeat(40))),
                    "dev".into(),
                );
            }
            pins.insert(pinned.clone(), "dev".into());
        })
        .unwrap();
    for shell in shells() {
        let counted = sb.counting_wrapper(&format!("wrapper.{shell}"));
        let dump = sb.root.join(format!("state.{shell}"));
        let set_bin = counted.use_in(&sb, shell);
        let script = format!(
            "cd '{root}'\nprompt\n{set_bin}\nshow _AWSCTX_PINS\ncd plain\nprompt\nprompt\nshow AWS_PROFILE\n\
             cd pinned\nprompt\nshow AWS_PROFILE\nstatevars > '{dump}'",
            root = sb.root.display(),
            dump = dump.display(),
        );
        let out = sb.shell(shell, &script);
        let err = stderr(&out);
        assert_eq!(
            lines(&stdout(&out)),
            ["_AWSCTX_PINS unset", "AWS_PROFILE unset", "AWS_PROFILE=<dev>"],
            "{shell}: {err}"
        );
        let calls = counted.calls();
        assert_eq!(
            lines(&calls),
            [format!("hook-env {shell}"), format!("hook-env {shell}")],
            "{shell}: one process per directory change, none per prompt"
        );
        let entries = state_entries(&std::fs::read(&dump).unwrap());
        let total: usize = entries.iter().map(String::len).sum();
        assert!(total <= STATE_BOUND, "{shell}: {total} bytes of state: {entries:?}");
    }
}

#[test]
fn a_switch_that_would_outgrow_the_state_is_refused_and_changes_nothing() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    // The user's own token, to be kept for `awsctx -u`: more than the state may hold.
    let token = "IQoJb3JpZ2luX2VjE".repeat(450);
    for shell in shells() {
        let script = format!(
            "cd '{}'\nsetvar AWS_SESSION_TOKEN '{token}'\nprompt\nawsctx dev || echo failed\n\
             show AWS_PROFILE _AWSCTX_SAVED _AWSCTX_PROFILE\nsh -c 'echo child ran'",
            sb.root.display()
        );
        let out = sb.shell(shell, &script);
        let err = stderr(&out);
        awsctx_snapshot!(format!("too_big_{shell}"), stderr = &err, home = &sb.home);
        assert!(!err.contains("awsctx: dev ·"), "{shell}: no switch line for a refused switch");
        let expected =
            ["AWS_PROFILE unset", "_AWSCTX_SAVED unset", "_AWSCTX_PROFILE unset", "child ran"];
        assert!(
            stdout(&out).ends_with(&format!("{}\n", expected.join("\n"))),
            "{shell}: {}",
            stdout(&out)
        );
    }
}
