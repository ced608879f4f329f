//! The hooks in real bash, zsh and fish, run non-interactively (a "prompt" is what the shell
//! runs before one): switching, per-directory bindings, exact restores, and the zoxide-style
//! matrix (sourced twice, `set -u`, `set -e`, `$?`, chaining with other prompt hooks), plus
//! the count of processes a prompt starts.

use std::fmt::Write as _;
use std::time::Duration;

use crate::support::{DEV, PROD, Sandbox, lines, shells, shells_and_nu, stderr, stdout};

#[test]
fn switch_back_and_unset_restore_exactly_what_the_user_had() {
    let sb = Sandbox::switcher();
    let dev = sb.seed_keys(DEV, Duration::from_secs(3570));
    let prod = sb.seed_keys(PROD, Duration::from_secs(3570));
    let script = format!(
        "cd '{home}'
setvar AWS_PROFILE mine
setvar AWS_REGION us-west-2
setvar AWS_DEFAULT_REGION ''
setvar AWS_ACCESS_KEY_ID AKIAMINE
unsetvar AWS_SESSION_TOKEN
prompt
awsctx dev
show AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
awsctx prod-ro
show AWS_PROFILE AWS_ACCESS_KEY_ID
awsctx -
show AWS_PROFILE AWS_ACCESS_KEY_ID
awsctx static
show AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION
awsctx plain
show AWS_PROFILE AWS_ACCESS_KEY_ID AWS_REGION
awsctx -u
show AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION _AWSCTX_PROFILE _AWSCTX_SAVED
awsctx -
show AWS_PROFILE",
        home = sb.home.display()
    );
    sb.in_every_shell(&script, |shell, out, err| {
        assert_eq!(
            lines(out),
            [
                "AWS_PROFILE=<dev>",
                &format!("AWS_ACCESS_KEY_ID=<{dev}>"),
                &format!("AWS_SESSION_TOKEN=<token-{dev}>"),
                "AWS_REGION=<eu-west-1>",
                "AWS_DEFAULT_REGION=<eu-west-1>",
                "AWS_PROFILE=<prod-ro>",
                &format!("AWS_ACCESS_KEY_ID=<{prod}>"),
                "AWS_PROFILE=<dev>",
                &format!("AWS_ACCESS_KEY_ID=<{dev}>"),
                // Static keys: no session token, no expiry; the user's own region comes back.
                "AWS_PROFILE=<static>",
                "AWS_ACCESS_KEY_ID=<AKIASTATIC>",
                "AWS_SECRET_ACCESS_KEY=<static/secret+key=>",
                "AWS_SESSION_TOKEN unset",
                "AWS_CREDENTIAL_EXPIRATION unset",
                "AWS_REGION=<us-west-2>",
                "AWS_DEFAULT_REGION=<>",
                // A settings-only profile: keys unset, never left behind.
                "AWS_PROFILE=<plain>",
                "AWS_ACCESS_KEY_ID unset",
                "AWS_REGION=<ap-south-1>",
                // -u: exactly the user's values, set, empty or unset.
                "AWS_PROFILE=<mine>",
                "AWS_ACCESS_KEY_ID=<AKIAMINE>",
                "AWS_SECRET_ACCESS_KEY unset",
                "AWS_SESSION_TOKEN unset",
                "AWS_CREDENTIAL_EXPIRATION unset",
                "AWS_REGION=<us-west-2>",
                "AWS_DEFAULT_REGION=<>",
                "_AWSCTX_PROFILE unset",
                "_AWSCTX_SAVED unset",
                "AWS_PROFILE=<plain>",
            ],
            "{shell}: {err}"
        );
        awsctx_snapshot!(format!("switch_back_{shell}"), stderr = err, home = &sb.home);
    });
}

#[test]
fn pins_apply_at_once_bind_the_tree_and_leaving_restores_the_profile_before() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    sb.seed_keys(PROD, Duration::from_secs(3570));
    sb.dir("repo/sub/deeper");
    sb.dir("repo/other");
    let script = format!(
        "cd '{root}'
prompt
awsctx prod-ro
cd repo
prompt
show AWS_PROFILE
awsctx pin dev
show AWS_PROFILE _AWSCTX_ORIGIN _AWSCTX_RESTORE
cd sub
prompt
show AWS_PROFILE
awsctx static
cd deeper
prompt
show AWS_PROFILE _AWSCTX_MANUAL
cd ../../other
prompt
show AWS_PROFILE _AWSCTX_MANUAL
cd '{root}'
prompt
show AWS_PROFILE _AWSCTX_BOUND _AWSCTX_ORIGIN
cd repo
prompt
show AWS_PROFILE
awsctx unpin
show AWS_PROFILE _AWSCTX_BOUND",
        root = sb.root.display()
    );
    sb.in_every_shell(&script, |shell, out, err| {
        assert_eq!(
            lines(out),
            [
                "AWS_PROFILE=<prod-ro>",
                "AWS_PROFILE=<dev>",
                "_AWSCTX_ORIGIN=<pin>",
                "_AWSCTX_RESTORE=<prod-ro>",
                "AWS_PROFILE=<dev>",
                // A manual switch in repo/sub wins below it...
                "AWS_PROFILE=<static>",
                &format!("_AWSCTX_MANUAL=<{}/repo/sub>", sb.root.display()),
                // ...until the shell leaves it: the pin again.
                "AWS_PROFILE=<dev>",
                "_AWSCTX_MANUAL unset",
                // Leaving the bound tree restores what was there before it.
                "AWS_PROFILE=<prod-ro>",
                "_AWSCTX_BOUND unset",
                "_AWSCTX_ORIGIN=<command>",
                "AWS_PROFILE=<dev>",
                "AWS_PROFILE=<prod-ro>",
                "_AWSCTX_BOUND unset",
            ],
            "{shell}: {err}"
        );
    });
}

#[test]
fn profile_files_switch_only_once_allowed_and_the_warning_shows_once_per_shell() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let proj = sb.dir("proj");
    sb.dir("proj/src");
    std::fs::write(proj.join(".aws-profile"), "dev\n").unwrap();
    let script = format!(
        "cd '{root}'
prompt
cd proj
prompt
show AWS_PROFILE
cd ..
prompt
cd proj/src
prompt
show AWS_PROFILE
awsctx allow
show AWS_PROFILE _AWSCTX_ORIGIN
cd '{root}'
prompt
show AWS_PROFILE
cd proj
prompt
show AWS_PROFILE
awsctx deny
show AWS_PROFILE",
        root = sb.root.display()
    );
    sb.in_every_shell(&script, |shell, out, err| {
        assert_eq!(
            lines(out),
            [
                "AWS_PROFILE unset",
                "AWS_PROFILE unset",
                "AWS_PROFILE=<dev>",
                "_AWSCTX_ORIGIN=<file>",
                "AWS_PROFILE unset",
                "AWS_PROFILE=<dev>",
                "AWS_PROFILE unset",
            ],
            "{shell}: {err}"
        );
        assert_eq!(err.matches("is not allowed yet").count(), 1, "{shell}: {err}");
        awsctx_snapshot!(format!("untrusted_{shell}"), stderr = err, home = &sb.home);
    });
}

/// What the bash hook puts first in `PROMPT_COMMAND`: the prompt hook, and the installer of the
/// pre-command trap (it runs once).
const BASH_PROMPT_ENTRY: &str = r#"_awsctx_hook;[[ -n "${__awsctx_trap_installed-}" ]] || { _awsctx_install_trap "$(trap -p DEBUG)"; [[ -z "${__awsctx_trap_body-}" ]] || trap -- "$__awsctx_trap_body" DEBUG; unset __awsctx_trap_body; _awsctx_prompt_alone; }"#;

#[test]
fn sourcing_the_hook_twice_registers_it_once() {
    let sb = Sandbox::switcher();
    for shell in shells() {
        let hook = sb.hook_file(shell);
        let check = match shell {
            "bash" => "printf '%s\\n' \"${PROMPT_COMMAND[@]}\"",
            "zsh" => "print -l -- $precmd_functions $chpwd_functions",
            _ => "functions --handlers | string match -r '_awsctx\\S*'",
        };
        let out = sb.shell(shell, &format!("source '{}'\n{check}", hook.display()));
        let expected: &[&str] = match shell {
            "bash" => &[BASH_PROMPT_ENTRY],
            "zsh" => &["_awsctx_precmd", "_awsctx_chpwd"],
            _ => &[],
        };
        let listed = stdout(&out);
        if shell == "fish" {
            for handler in
                ["_awsctx_on_pwd", "_awsctx_on_prompt", "_awsctx_on_timer", "_awsctx_on_preexec"]
            {
                assert_eq!(listed.matches(handler).count(), 1, "fish: {listed}");
            }
        } else {
            assert_eq!(lines(&listed), expected, "{shell}: {}", stderr(&out));
        }
    }
}

#[test]
fn prompt_hooks_chain_with_existing_ones_and_go_first() {
    let sb = Sandbox::switcher();
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "plain"]).output().unwrap().status.success());
    let hook = |shell| sb.hook_file(shell).display().to_string();
    // Each shell: an existing prompt hook, then the awsctx hook, then a prompt in a pinned
    // directory: both run, awsctx first (the other one sees the new profile).
    let cases: Vec<(&str, String)> = vec![
        (
            "bash",
            format!(
                "PROMPT_COMMAND='echo \"mine sees $AWS_PROFILE\"'\nsource '{}'\ncd '{}'\neval \"$PROMPT_COMMAND\"\nprintf '%s\\n' \"$PROMPT_COMMAND\"",
                hook("bash"),
                repo.display()
            ),
        ),
        (
            "bash",
            format!(
                "PROMPT_COMMAND=('echo \"mine sees $AWS_PROFILE\"' 'echo two')\nsource '{}'\ncd '{}'\nfor c in \"${{PROMPT_COMMAND[@]}}\"; do eval \"$c\"; done\nprintf '%s\\n' \"${{#PROMPT_COMMAND[@]}}\"",
                hook("bash"),
                repo.display()
            ),
        ),
        (
            "zsh",
            format!(
                "mine() {{ echo \"mine sees $AWS_PROFILE\" }}\nprecmd_functions=(mine)\nsource '{}'\ncd '{}'\nfor f in $precmd_functions; do $f; done\nprint -l -- $precmd_functions",
                hook("zsh"),
                repo.display()
            ),
        ),
        (
            "fish",
            format!(
                "function mine --on-event fish_prompt; echo \"mine sees $AWS_PROFILE\"; end\nsource '{}'\ncd '{}'\nemit fish_prompt",
                hook("fish"),
                repo.display()
            ),
        ),
    ];
    for (shell, script) in cases {
        if !shells().contains(&shell) {
            continue;
        }
        let out = sb.shell_raw(shell, &script);
        let text = stdout(&out);
        assert!(text.contains("mine sees plain"), "{shell}: {text}\n{}", stderr(&out));
        match shell {
            "bash" if script.contains("'echo two'") => {
                assert!(text.contains("two\n3\n"), "array kept, hook added: {text}");
            }
            // After the first prompt the entry is the hook alone (its installer has run).
            "bash" => assert!(
                text.ends_with("_awsctx_hook;echo \"mine sees $AWS_PROFILE\"\n"),
                "string chained: {text}"
            ),
            "zsh" => assert!(text.ends_with("_awsctx_precmd\nmine\n"), "{text}"),
            _ => {}
        }
    }
}

#[test]
fn hooks_survive_set_u_and_set_e_and_keep_the_exit_status() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let root = sb.root.display();
    let body = format!(
        "cd '{root}'\nprompt\ncd repo\nprompt\nshow AWS_PROFILE\nawsctx prod-ro\nawsctx -\ncd '{root}'\nprompt\nshow AWS_PROFILE\necho survived"
    );
    let strict: Vec<(&str, String)> = vec![
        ("bash", format!("set -eu\n{}\n{body}", sb.prelude("bash"))),
        ("zsh", format!("setopt nounset err_exit\n{}\n{body}", sb.prelude("zsh"))),
    ];
    for (shell, script) in strict {
        if !shells().contains(&shell) {
            continue;
        }
        let out = sb.shell_raw(shell, &script);
        assert_eq!(
            lines(&stdout(&out)),
            ["AWS_PROFILE=<dev>", "AWS_PROFILE unset", "survived"],
            "{shell}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("unbound") && !stderr(&out).contains("not set"),
            "{}",
            stderr(&out)
        );
    }
    // `$?` of the user's last command survives the hook, also when the hook runs awsctx.
    let keep: Vec<(&str, &str)> = vec![
        (
            "bash",
            "false; _awsctx_hook; echo \"rc=$?\"; cd repo; (exit 3); _awsctx_hook; echo \"rc=$?\"",
        ),
        (
            "zsh",
            "false; _awsctx_precmd; echo \"rc=$?\"; cd repo; (exit 3); _awsctx_precmd; echo \"rc=$?\"",
        ),
    ];
    for (shell, script) in keep {
        if !shells().contains(&shell) {
            continue;
        }
        let out = sb.shell(shell, &format!("cd '{root}'\n{script}"));
        assert_eq!(lines(&stdout(&out)), ["rc=1", "rc=3"], "{shell}: {}", stderr(&out));
    }
}

#[test]
fn a_hundred_prompts_and_commands_in_one_directory_start_no_awsctx_process() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    sb.dir("plain/dir");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    for shell in shells_and_nu() {
        let counted = sb.counting_wrapper(&format!("wrapper.{shell}"));
        let set_bin = counted.use_in(&sb, shell);
        let prompts = "prompt\n".repeat(100);
        let mut script = format!("cd '{}'\nprompt\n{set_bin}\n", sb.root.display());
        // Nothing bound: prompts and directory changes start nothing.
        let _ = write!(
            script,
            "{prompts}cd plain\n{prompts}cd dir\n{prompts}cd '{}'\n{prompts}",
            sb.root.display()
        );
        script.push_str("show AWS_PROFILE\n");
        // Into the pinned directory: one process; then a hundred prompts there, and a hundred
        // command lines with nothing due (each `DEBUG` trap / preexec hook): none.
        let commands = "cmdline\ntrue | true\n".repeat(100);
        let _ = write!(script, "cd repo\nprompt\n{prompts}{commands}show AWS_PROFILE\n");
        let out = sb.shell(shell, &script);
        assert_eq!(
            lines(&stdout(&out)),
            ["AWS_PROFILE unset", "AWS_PROFILE=<dev>"],
            "{shell}: {}",
            stderr(&out)
        );
        let calls = counted.calls();
        let first_prompt = usize::from(shell == "nu");
        assert_eq!(
            lines(&calls),
            vec![format!("hook-env {shell}"); 1 + first_prompt],
            "{shell}: the processes started"
        );
    }
}

#[test]
fn profile_names_complete_dynamically_in_bash_and_fish() {
    let sb = Sandbox::switcher();
    if shells().contains(&"bash") {
        let out = sb.shell(
            "bash",
            "COMP_WORDS=(awsctx pro); COMP_CWORD=1; COMP_TYPE=9\n\
             _clap_complete_awsctx awsctx pro awsctx\nprintf '<%s>\\n' \"${COMPREPLY[@]}\"\n\
             COMP_WORDS=(awsctx pin s); COMP_CWORD=2\n\
             _clap_complete_awsctx awsctx s pin\nprintf '<%s>\\n' \"${COMPREPLY[@]}\"",
        );
        assert_eq!(lines(&stdout(&out)), ["<prod-ro>", "<static>"], "{}", stderr(&out));
    }
    if shells().contains(&"fish") {
        let out = sb.shell("fish", "complete -C 'awsctx pro'\ncomplete -C 'awsctx use d'");
        assert_eq!(lines(&stdout(&out)), ["prod-ro", "dev"], "{}", stderr(&out));
    }
}

#[test]
fn completion_reads_only_section_headers_so_a_broken_profile_still_completes() {
    let sb = Sandbox::switcher();
    sb.add_profile(
        "[profile prod-rw]
this line has no equals sign
[prod-creds]",
    );
    let out = sb.shell(
        "bash",
        "COMP_WORDS=(awsctx prod); COMP_CWORD=1; COMP_TYPE=9\n\
         _clap_complete_awsctx awsctx prod awsctx\nprintf '<%s>\\n' \"${COMPREPLY[@]}\"",
    );
    // `[prod-creds]` is not a profile in the config file: only `[profile NAME]` is.
    assert_eq!(lines(&stdout(&out)), ["<prod-ro>", "<prod-rw>"], "{}", stderr(&out));
}

#[test]
fn a_refresh_leaves_an_aws_profile_the_user_exported_by_hand_alone() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let script = format!(
        "cd '{}'\nprompt\nawsctx dev\nsetvar AWS_PROFILE mine\nsetvar _AWSCTX_DUE 0\nsetvar _awsctx_due 1\nprompt\nshow AWS_PROFILE _AWSCTX_DUE",
        sb.root.display()
    );
    sb.in_every_shell(&script, |shell, out, err| {
        assert_eq!(lines(out), ["AWS_PROFILE=<mine>", "_AWSCTX_DUE unset"], "{shell}: {err}");
    });
}

#[test]
fn doctor_names_the_shell_the_hook_runs_in_and_its_clock() {
    let sb = Sandbox::switcher();
    let script = format!("cd '{}'\nprompt\nawsctx doctor", sb.root.display());
    sb.in_every_shell(&script, |shell, out, err| {
        let first = out.lines().next().unwrap_or_default();
        assert!(first.starts_with(&format!("✓ shell hook: loaded in {shell} ")), "{first}\n{err}");
        // bash without `EPOCHSECONDS` (before 5.0, or unset by the test run) says how it
        // keeps time; the others have a builtin clock and say nothing of it.
        let fallback = shell == "bash"
            && (std::env::var_os("AWSCTX_TEST_BASH_WITHOUT_EPOCHSECONDS").is_some()
                || first.starts_with("✓ shell hook: loaded in bash 3.")
                || first.starts_with("✓ shell hook: loaded in bash 4."));
        assert_eq!(first.contains("no `EPOCHSECONDS`"), fallback, "{first}");
    });
}

#[test]
fn bash_without_epochseconds_refreshes_on_its_fallback_clock_without_a_process() {
    if !shells().contains(&"bash") {
        return;
    }
    let sb = Sandbox::switcher();
    let counted = sb.counting_wrapper("wrapper");
    // Due two seconds ahead of the clock the hook keeps: prompts before then start nothing,
    // the first one after starts `hook-env`.
    let script = format!(
        "unset EPOCHSECONDS\nsource '{}'\ncd '{}'\nprompt\n_AWSCTX_BIN='{}'\n\
         _AWSCTX_DUE=$((_AWSCTX_EPOCH + SECONDS + 2))\nprompt\nprompt\nsleep 3\nprompt",
        sb.hook_file("bash").display(),
        sb.root.display(),
        counted.wrapper.display()
    );
    let out = sb.shell("bash", &script);
    let calls = counted.calls();
    assert_eq!(lines(&calls), ["hook-env bash"], "{}", stderr(&out));
}

#[test]
fn hook_help_names_the_start_up_file_of_each_shell() {
    let sb = Sandbox::switcher();
    let out = awsctx_snapshot!(sb.cmd(&["hook", "--help"]));
    assert!(out.status.success(), "{}", stderr(&out));
}
