//! A shell left open all day (issue 12), in real bash, zsh and fish: keys fresh on the first
//! command after they fell due, `cd D && cmd` with D's profile, and the pre-command check
//! chained with the other tools that use bash's `DEBUG` trap.

use std::time::Duration;

use crate::switch::{DEV, Sandbox, lines, shells, stderr, stdout};

/// Run `script` in every installed shell at once (the tests wait on real time);
/// `check(shell, stdout, stderr)`.
fn in_every_shell_at_once(sb: &Sandbox, script: &str, check: impl Fn(&str, &str, &str) + Sync) {
    std::thread::scope(|scope| {
        let runs: Vec<_> = shells()
            .into_iter()
            .map(|shell| scope.spawn(move || (shell, sb.run(shell, script))))
            .collect();
        for run in runs {
            let (shell, out) = run.join().expect("shell thread");
            check(shell, &stdout(&out), &stderr(&out));
        }
    });
}

#[test]
fn the_first_command_after_keys_fall_due_runs_with_fresh_keys() {
    let sb = Sandbox::new();
    // Due for renewal (15 minutes before they expire) two seconds from now.
    let old = sb.seed_keys(DEV, Duration::from_secs(902));
    // Idle past the due time, then one command line and no prompt before it.
    let script = format!(
        "cd '{}'\nprompt\nawsctx dev\nshow AWS_ACCESS_KEY_ID\nsleep 4\ncmdline\nshow AWS_ACCESS_KEY_ID",
        sb.root.display()
    );
    in_every_shell_at_once(&sb, &script, |shell, out, err| {
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
    let sb = Sandbox::new();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    assert!(sb.awsctx(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let script = format!(
        "cd '{root}'\nprompt\ncd repo && show AWS_PROFILE\ncd '{root}' && show AWS_PROFILE",
        root = sb.root.display()
    );
    in_every_shell_at_once(&sb, &script, |shell, out, err| {
        assert_eq!(lines(out), ["AWS_PROFILE=<dev>", "AWS_PROFILE unset"], "{shell}: {err}");
    });
}

#[test]
fn the_debug_trap_chains_one_set_before_it_and_keeps_the_last_argument() {
    let sb = Sandbox::new();
    if !shells().contains(&"bash") {
        return;
    }
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    assert!(sb.awsctx(&repo, &["pin", "dev"]).output().unwrap().status.success());
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
    let out = sb.run_raw("bash", &script);
    assert_eq!(
        lines(&stdout(&out)),
        [
            "last=b seen=b",
            "status=1 0",
            "AWS_PROFILE=<dev>",
            // Sourced twice, prompted twice: chained once.
            "trap -- '_awsctx_hook \"$_\" || : \"$_\"; starship_preexec_all \"$_\"' DEBUG",
        ],
        "{}",
        stderr(&out)
    );
}

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
    let sb = Sandbox::new();
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
    let out = sb.run_raw("bash", &script);
    let text = stdout(&out);
    let seen = lines(&text);
    assert_eq!(seen.first().copied(), Some("_awsctx_hook"), "{text}{}", stderr(&out));
    assert!(
        seen[1].starts_with("AWS_ACCESS_KEY_ID=<ASIA") && !seen[1].contains(&old),
        "renewed by bash-preexec's preexec: {text}{}",
        stderr(&out)
    );
}
