//! A shell left open all day (issue 12), in real bash, zsh and fish: keys fresh on the first
//! command after they fell due, `cd D && cmd` with D's profile, and the pre-command check
//! chained with the other tools that use bash's `DEBUG` trap.

use std::time::{Duration, Instant};

use awsctx_tests::{Fault, Operation};

use crate::support::{BIN, DEV, Sandbox, lines, shells, stderr, stdout};

/// bash 3 (macOS's) gets no check before each command line: it loses `PIPESTATUS` under any
/// `DEBUG` trap, so the hook installs none there and keys follow at the prompt.
fn checks_before_each_command(shell: &str) -> bool {
    let major = std::process::Command::new(shell)
        .args(["-c", "echo ${BASH_VERSINFO[0]}"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    shell != "bash" || major.is_ok_and(|major| major != "3")
}

#[test]
fn the_first_command_after_keys_fall_due_runs_with_fresh_keys() {
    let sb = Sandbox::switcher();
    // Due for renewal (15 minutes before they expire) two seconds from now.
    let old = sb.seed_keys(DEV, Duration::from_secs(902));
    // Idle past the due time, then one command line and no prompt before it.
    let script = format!(
        "cd '{}'\nprompt\nawsctx dev\nshow AWS_ACCESS_KEY_ID\nsleep 4\ncmdline\nshow AWS_ACCESS_KEY_ID",
        sb.root.display()
    );
    sb.in_every_shell_at_once(&script, |shell, out, err| {
        if !checks_before_each_command(shell) {
            return;
        }
        let seen = lines(out);
        assert_eq!(seen.len(), 2, "{shell}: {out}{err}");
        assert_eq!(seen[0], format!("AWS_ACCESS_KEY_ID=<{old}>"), "{shell}: {err}");
        assert!(
            seen[1].starts_with("AWS_ACCESS_KEY_ID=<ASIA") && seen[1] != seen[0],
            "{shell}: renewed before the command ran: {out}{err}"
        );
    });
}

#[test]
fn cd_and_a_command_on_one_line_runs_with_the_directorys_profile() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let script = format!(
        "cd '{root}'\nprompt\ncd repo && show AWS_PROFILE\ncd '{root}' && show AWS_PROFILE",
        root = sb.root.display()
    );
    sb.in_every_shell_at_once(&script, |shell, out, err| {
        if !checks_before_each_command(shell) {
            return;
        }
        assert_eq!(lines(out), ["AWS_PROFILE=<dev>", "AWS_PROFILE unset"], "{shell}: {err}");
    });
}

#[test]
fn the_debug_trap_chains_one_set_before_it_and_keeps_the_last_argument() {
    let sb = Sandbox::switcher();
    if !shells().contains(&"bash") {
        return;
    }
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    // starship's own trap, as it sets it when bash-preexec is absent; the hook loaded as a
    // user's file loads it, and prompts run as bash runs them (not from a function).
    let script = format!(
        "starship_preexec_all() {{ seen=$1; }}\ntrap 'starship_preexec_all \"$_\"' DEBUG\n\
         {prelude}\nsource '{hook}'\n\
         cd '{root}'\neval \"$PROMPT_COMMAND\"\ncd repo && echo a b >/dev/null\n\
         echo \"last=$_ seen=$seen\"\nfalse | true\necho \"status=${{PIPESTATUS[*]}}\"\n\
         show AWS_PROFILE\neval \"$PROMPT_COMMAND\"\ntrap -p DEBUG",
        prelude = sb.prelude("bash"),
        root = sb.root.display(),
        hook = sb.hook_file("bash").display(),
    );
    let out = sb.shell_raw("bash", &script);
    if stderr(&sb.shell_raw("bash", "echo \"$BASH_VERSION\" >&2")).starts_with("3.") {
        // bash 3 loses `PIPESTATUS` under any `DEBUG` trap: the hook installs none there.
        assert_eq!(
            lines(&stdout(&out)),
            [
                "last=b seen=b",
                "status=0",
                "AWS_PROFILE unset",
                "trap -- 'starship_preexec_all \"$_\"' DEBUG"
            ],
            "{}",
            stderr(&out)
        );
        return;
    }
    // The trap's clock: `EPOCHSECONDS`, or `SECONDS` where bash has none.
    let clock = if std::env::var_os("AWSCTX_TEST_BASH_WITHOUT_EPOCHSECONDS").is_some() {
        "SECONDS"
    } else {
        "EPOCHSECONDS"
    };
    assert_eq!(
        lines(&stdout(&out)),
        [
            "last=b seen=b",
            "status=1 0",
            "AWS_PROFILE=<dev>",
            // Sourced twice, prompted twice: chained once.
            &format!("trap -- '(({clock} < {BASH_TRAP}; starship_preexec_all \"$_\"' DEBUG"),
        ],
        "{}",
        stderr(&out)
    );
}

/// The bash hook's `DEBUG` trap after its clock: the cheap checks inline, then the hook.
const BASH_TRAP: &str =
    r#"__awsctx_due)) && [[ "${_AWSCTX_PWD-}" == "$PWD" ]] || _awsctx_hook "$_" || : "$_""#;

/// What bash-preexec does to the `DEBUG` trap, in brief: at the first prompt it installs its
/// own over any other, and runs its `preexec_functions` once per command line.
const BASH_PREEXEC_STAND_IN: &str = r#"
bash_preexec_imported=defined
preexec_functions=()
__bp_ready=
__bp_preexec_invoke_exec() {
  [[ -n "$__bp_ready" ]] || return
  __bp_ready=
  local f
  for f in "${preexec_functions[@]}"; do "$f" "$BASH_COMMAND"; done
}
__bp_install() { trap '__bp_preexec_invoke_exec "$_"' DEBUG; }
__bp_interactive_mode() { __bp_ready=on; }
PROMPT_COMMAND='__bp_install; __bp_interactive_mode'
"#;

#[test]
fn with_bash_preexec_the_check_runs_as_one_of_its_preexec_functions() {
    let sb = Sandbox::switcher();
    if !shells().contains(&"bash") {
        return;
    }
    let old = sb.seed_keys(DEV, Duration::from_secs(902));
    let script = format!(
        "{BASH_PREEXEC_STAND_IN}\n{prelude}\ncd '{root}'\nprompt\nawsctx dev\nprompt\n\
         echo \"${{preexec_functions[*]}}\"\nprompt\nsleep 4\n__bp_interactive_mode\nshow AWS_ACCESS_KEY_ID",
        prelude = sb.prelude("bash"),
        root = sb.root.display(),
    );
    let out = sb.shell_raw("bash", &script);
    let text = stdout(&out);
    let seen = lines(&text);
    assert_eq!(seen.first().copied(), Some("_awsctx_hook"), "{text}{}", stderr(&out));
    assert!(
        seen[1].starts_with("AWS_ACCESS_KEY_ID=<ASIA") && !seen[1].contains(&old),
        "renewed by bash-preexec's preexec: {text}{}",
        stderr(&out)
    );
}

#[test]
fn prompts_against_a_portal_twenty_seconds_slow_return_within_a_second_and_get_the_keys_later() {
    let sb = Sandbox::switcher();
    // Keys inside the renewal window: each prompt that finds them due needs the portal.
    let old = sb.seed_keys(DEV, Duration::from_secs(300));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    sb.mock.inject(
        Operation::GetRoleCredentials,
        std::iter::repeat_n(Fault::Slow(Duration::from_secs(20)), 100),
    );
    let started = Instant::now();
    let script = |shell: &str| {
        let (due, now) = match shell {
            "fish" => ("set -g _AWSCTX_DUE 0; set -g _awsctx_due 1", "(date +%s%N)"),
            _ => ("_AWSCTX_DUE=0", "$(date +%s%N)"),
        };
        let timed = format!("{due}\necho start {now}\nprompt\necho end {now}\n").repeat(5);
        // The background refresh ends about 20 s after the first prompt started it.
        format!(
            "cd '{repo}'\nprompt\nshow AWS_ACCESS_KEY_ID\n{timed}sleep 21\n{due}\nprompt\nshow AWS_ACCESS_KEY_ID",
            repo = repo.display()
        )
    };
    std::thread::scope(|scope| {
        let runs: Vec<_> = shells()
            .into_iter()
            .map(|shell| {
                let script = script(shell);
                let sb = &sb;
                scope.spawn(move || (shell, sb.shell(shell, &script)))
            })
            .collect();
        for run in runs {
            let (shell, out) = run.join().expect("shell thread");
            let (text, err) = (stdout(&out), stderr(&out));
            let seen = lines(&text);
            assert_eq!(
                seen.first(),
                Some(&&*format!("AWS_ACCESS_KEY_ID=<{old}>")),
                "{shell}: {text}{err}"
            );
            let stamps: Vec<u128> = seen
                .iter()
                .filter_map(|l| l.strip_prefix("start ").or_else(|| l.strip_prefix("end ")))
                .map(|n| n.parse().expect("nanoseconds"))
                .collect();
            assert_eq!(stamps.len(), 10, "{shell}: {text}{err}");
            for pair in stamps.chunks(2) {
                let took = Duration::from_nanos(u64::try_from(pair[1] - pair[0]).unwrap());
                assert!(took < Duration::from_secs(1), "{shell}: a prompt took {took:?}: {err}");
            }
            let last = seen.last().unwrap();
            assert!(
                last.starts_with("AWS_ACCESS_KEY_ID=<ASIA") && !last.contains(&old),
                "{shell}: the keys the background refresh fetched: {text}{err}"
            );
        }
    });
    assert!(started.elapsed() < Duration::from_secs(45));
    // One refresh for all three shells (they share the cache), none started per prompt.
    assert_eq!(sb.mock.requests_for(Operation::GetRoleCredentials).len(), 1);
}

#[test]
fn a_failing_refresh_backs_off_is_said_once_and_status_shows_the_next_try() {
    let sb = Sandbox::switcher().env("AWS_MAX_ATTEMPTS", "1");
    let old = sb.seed_keys(DEV, Duration::from_secs(300));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    sb.mock.inject(Operation::GetRoleCredentials, std::iter::repeat_n(Fault::Status(500), 20));
    let force = |shell: &str| match shell {
        "fish" => "set -g _AWSCTX_DUE 0; set -g _awsctx_due 1",
        _ => "_AWSCTX_DUE=0",
    };
    for shell in shells() {
        let due = force(shell);
        let script = format!(
            "cd '{}'\nprompt\n{due}\nprompt\n{due}\nprompt\n{due}\nprompt\nshow AWS_ACCESS_KEY_ID\nawsctx status",
            repo.display()
        );
        let out = sb.shell(shell, &script);
        let (text, err) = (stdout(&out), stderr(&out));
        assert!(text.starts_with(&format!("AWS_ACCESS_KEY_ID=<{old}>\n")), "{shell}: {text}{err}");
        assert_eq!(
            err.matches("could not renew the keys for `dev`").count(),
            1,
            "{shell}: said once: {err}"
        );
        assert!(err.contains("(trying again in 1m; `awsctx status` shows it)"), "{shell}: {err}");
        let refresh = text.lines().find(|l| l.starts_with("refresh")).unwrap_or_default();
        assert!(
            refresh.contains("failed 1 in a row") && refresh.contains("next try in "),
            "{shell}: {text}"
        );
        // The shells share the record: the next one starts from no failure.
        let _ = std::fs::remove_dir_all(sb.home.join(".local/state/awsctx/refresh"));
    }
    // One try per shell: the later prompts waited for the next try.
    assert_eq!(
        sb.mock.requests_for(Operation::GetRoleCredentials).len(),
        shells().len(),
        "one portal call per shell"
    );
}

#[test]
fn a_pin_made_in_another_shell_switches_this_one_at_its_next_prompt() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    for shell in shells() {
        let _ = std::fs::remove_dir_all(sb.home.join(".local/state/awsctx"));
        // The other shell: awsctx run without this shell's state, in the same directory.
        let script = format!(
            "cd '{repo}'\nprompt\nshow AWS_PROFILE\n'{bin}' pin dev\nprompt\nshow AWS_PROFILE\n\
             '{bin}' unpin\nprompt\nshow AWS_PROFILE",
            repo = repo.display(),
            bin = BIN,
        );
        let out = sb.shell(shell, &script);
        assert_eq!(
            lines(&stdout(&out)),
            ["AWS_PROFILE unset", "AWS_PROFILE=<dev>", "AWS_PROFILE unset"],
            "{shell}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_logout_and_a_new_login_in_another_shell_are_followed_at_the_next_prompt() {
    let mut sb = Sandbox::switcher();
    let browser = crate::support::FakeBrowser::start(&sb.root);
    sb.set_env("BROWSER", &browser.script.display().to_string());
    for shell in shells() {
        sb.seed_login();
        let old = sb.seed_keys(DEV, Duration::from_secs(3570));
        let script = format!(
            "cd '{root}'\nprompt\nawsctx dev\n'{bin}' logout\nprompt\nshow AWS_PROFILE AWS_ACCESS_KEY_ID\n\
             '{bin}' login --sso-session corp --use-device-code >/dev/null 2>&1\nprompt\nshow AWS_ACCESS_KEY_ID\n\
             awsctx logout\nshow AWS_ACCESS_KEY_ID AWS_SESSION_TOKEN",
            root = sb.root.display(),
            bin = BIN,
        );
        let out = sb.shell(shell, &script);
        let (text, err) = (stdout(&out), stderr(&out));
        let seen = lines(&text);
        assert_eq!(seen.len(), 5, "{shell}: {text}{err}");
        assert_eq!(seen[..2], ["AWS_PROFILE=<dev>", "AWS_ACCESS_KEY_ID unset"], "{shell}: {err}");
        assert!(
            seen[2].starts_with("AWS_ACCESS_KEY_ID=<ASIA") && !seen[2].contains(&old),
            "{shell}: the new login's keys: {text}{err}"
        );
        assert_eq!(
            seen[3..],
            ["AWS_ACCESS_KEY_ID unset", "AWS_SESSION_TOKEN unset"],
            "{shell}: a logout here drops the keys at once: {err}"
        );
    }
}

#[test]
fn a_region_the_user_exports_survives_switches_and_exec_never_gets_the_previous_profiles() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let script = format!(
        "cd '{}'\nprompt\nawsctx dev\nshow AWS_REGION\nawsctx exec static -- sh -c 'echo \"child ${{AWS_REGION-none}}\"'\n\
         setvar AWS_REGION us-west-2\nawsctx static\nshow AWS_REGION\nawsctx dev\nshow AWS_REGION\n\
         awsctx exec static -- sh -c 'echo \"child ${{AWS_REGION-none}}\"'\nawsctx -u\nshow AWS_REGION",
        sb.root.display()
    );
    for shell in shells() {
        let out = sb.shell(shell, &script);
        assert_eq!(
            lines(&stdout(&out)),
            [
                "AWS_REGION=<eu-west-1>",
                // The user had none: not dev's.
                "child none",
                // Exported by the user while on dev: theirs survives a profile without one.
                "AWS_REGION=<us-west-2>",
                "AWS_REGION=<eu-west-1>",
                "child us-west-2",
                "AWS_REGION=<us-west-2>",
            ],
            "{shell}: {}",
            stderr(&out)
        );
    }
}
