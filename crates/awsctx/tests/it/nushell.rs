//! What is Nushell's own: the hook's state in a record no child process sees, registration in
//! `$env.config.hooks` (once, first, beside the user's hooks), completion through the binary,
//! and the hooks firing in a real interactive `nu` on a terminal. The behaviour the shells
//! share (switch, `-`, `-u`, pins, `.aws-profile`, the process count) runs in `nu` in `hooks`.

use std::time::Duration;

use crate::support::{BIN, Counted, DEV, PROD, Sandbox, have_nu, lines, stderr, stdout};

#[test]
fn the_saved_keys_and_the_hook_state_never_reach_a_child_process() {
    if !have_nu() {
        return;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    // The user's own keys: awsctx saves them (for `-u`) while dev's are in effect.
    let script = format!(
        "cd '{}'\nprompt\nsetvar AWS_ACCESS_KEY_ID AKIAUSERSOWN\nsetvar AWS_SECRET_ACCESS_KEY users-own-secret\n\
         awsctx dev\nprint (^env | lines | where {{|l| ($l | str contains users-own-secret) or ($l | str starts-with _AWSCTX) }} | length)\n\
         print ($env._AWSCTX._AWSCTX_SAVED | str contains users-own-secret)\n\
         print (^env | lines | where {{|l| $l starts-with AWS_ACCESS_KEY_ID=ASIA }} | length)\n\
         awsctx -u\nshow AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
        sb.root.display()
    );
    let out = sb.shell("nu", &script);
    assert_eq!(
        lines(&stdout(&out)),
        [
            // No child sees the saved secret, nor any of the state.
            "0",
            // ...which the shell holds, for `-u`,
            "true",
            // ...while the child does get dev's keys.
            "1",
            "AWS_ACCESS_KEY_ID=<AKIAUSERSOWN>",
            "AWS_SECRET_ACCESS_KEY=<users-own-secret>",
        ],
        "{}",
        stderr(&out)
    );
}

#[test]
fn doctor_through_the_nushell_hook_sees_it_loaded_and_names_nu() {
    if !have_nu() {
        return;
    }
    let sb = Sandbox::switcher();
    let out = sb.shell("nu", &format!("cd '{}'\nprompt\nawsctx doctor", sb.root.display()));
    let text = stdout(&out);
    assert!(text.contains("shell hook: loaded in nu 0."), "{text}\n{}", stderr(&out));
}

#[test]
fn sourcing_twice_registers_once_first_and_keeps_the_users_hooks() {
    if !have_nu() {
        return;
    }
    let sb = Sandbox::switcher();
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "plain"]).output().unwrap().status.success());
    let hook = sb.hook_file("nu");
    let script = format!(
        "$env.config.hooks.pre_prompt = [{{|| print $\"mine sees ($env.AWS_PROFILE? | default none)\" }}]\n\
         source '{hook}'\nsource '{hook}'\n\
         print ($env.config.hooks.pre_prompt | length) ($env.config.hooks.env_change.PWD | length)\n\
         cd '{repo}'\nfor h in $env.config.hooks.pre_prompt {{ if ($h | describe | str starts-with record) {{ do --env $h.code }} else {{ do --env $h }} }}",
        hook = hook.display(),
        repo = repo.display()
    );
    let out = sb.shell_raw("nu", &script);
    assert_eq!(lines(&stdout(&out)), ["2", "1", "mine sees plain"], "{}", stderr(&out));
}

#[test]
fn nushell_completes_commands_profile_names_and_account_ids_through_the_binary() {
    if !have_nu() {
        return;
    }
    let sb = Sandbox::switcher();
    let out = sb.shell(
        "nu",
        "print (_awsctx_complete 'awsctx pro' | get value)\n\
         print (_awsctx_complete 'awsctx use d' | get value)\n\
         print (_awsctx_complete 'awsctx 4444' | to json -r)\n\
         print (_awsctx_complete 'awsctx lo' | get value)",
    );
    let text = stdout(&out);
    assert_eq!(
        lines(&text),
        [
            "╭───┬─────────╮",
            "│ 0 │ prod-ro │",
            "╰───┴─────────╯",
            "╭───┬─────╮",
            "│ 0 │ dev │",
            "╰───┴─────╯",
            "[{\"value\":\"444455556666\",\"description\":\"prod-ro\"}]",
            "╭───┬────────╮",
            "│ 0 │ login  │",
            "│ 1 │ logout │",
            "╰───┴────────╯",
        ],
        "{}",
        stderr(&out)
    );
}

/// What a terminal is asked for its cursor position.
const CURSOR_QUERY: &str = "\u{1b}[6n";

#[test]
fn a_real_interactive_nu_switches_on_cd_and_back_with_dash() {
    if !have_nu() {
        return;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    sb.seed_keys(PROD, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let mut cmd = sb.shell_command("nu", &["--no-history"]);
    cmd.env("TERM", "dumb");
    let mut nu = expectrl::Session::spawn(cmd).expect("nu on a pty");
    nu.set_expect_timeout(Some(Duration::from_secs(20)));
    // Nushell's line editor asks the terminal where its cursor is at each prompt, and reads
    // the answer from the input: answer as a terminal would, before typing the next line.
    let settle = |nu: &mut expectrl::Session| -> String {
        let found = nu.expect(CURSOR_QUERY).unwrap();
        nu.send("\u{1b}[1;1R").unwrap();
        String::from_utf8_lossy(found.before()).into_owned()
    };
    let mut n = 0;
    let mut run = |nu: &mut expectrl::Session, line: &str| -> String {
        n += 1;
        settle(nu);
        nu.send_line(line).unwrap();
        let out = settle(nu);
        // Typed as two strings, printed as one: the echo of the line never matches.
        nu.send_line(format!("print ('__E' + 'ND_{n}_')")).unwrap();
        nu.expect(format!("__END_{n}_")).unwrap();
        out
    };
    run(&mut nu, &format!("source '{}'", sb.hook_file("nu").display()));
    let out = run(&mut nu, "cd repo");
    assert!(out.contains("awsctx: dev · 111122223333 · Admin · eu-west-1"), "{out}");
    let out = run(&mut nu, "print $\"profile=($env.AWS_PROFILE)\"");
    assert!(out.contains("profile=dev"), "the prompt's hooks ran: {out}");
    run(&mut nu, "awsctx prod-ro");
    run(&mut nu, "awsctx -");
    let out = run(&mut nu, "print $\"profile=($env.AWS_PROFILE)\"");
    assert!(out.contains("profile=dev"), "{out}");
    run(&mut nu, "cd ..");
    let out = run(&mut nu, "print $\"profile=($env.AWS_PROFILE? | default unset)\"");
    assert!(out.contains("profile=unset"), "leaving the pinned tree: {out}");
    nu.send_line("exit").unwrap();
}

#[test]
fn a_pin_made_in_another_process_switches_nu_at_its_next_prompt() {
    if !have_nu() {
        return;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    // The other shell: awsctx run without this shell's state (no child sees the record).
    let script = format!(
        "cd '{repo}'\nprompt\nshow AWS_PROFILE\n^'{bin}' pin dev\nprompt\nshow AWS_PROFILE\n\
         ^'{bin}' unpin\nprompt\nshow AWS_PROFILE",
        repo = repo.display(),
        bin = BIN,
    );
    let out = sb.shell("nu", &script);
    assert_eq!(
        lines(&stdout(&out)),
        ["AWS_PROFILE unset", "AWS_PROFILE=<dev>", "AWS_PROFILE unset"],
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_logout_and_a_new_login_elsewhere_are_followed_by_nu_at_its_next_prompt() {
    if !have_nu() {
        return;
    }
    let mut sb = Sandbox::switcher();
    let browser = crate::support::FakeBrowser::start(&sb.root);
    sb.set_env("BROWSER", &browser.script.display().to_string());
    sb.seed_login();
    let old = sb.seed_keys(DEV, Duration::from_secs(3570));
    let script = format!(
        "cd '{root}'\nprompt\nawsctx dev\n^'{bin}' logout\nprompt\nshow AWS_PROFILE AWS_ACCESS_KEY_ID\n\
         ^'{bin}' login --sso-session corp --use-device-code out+err> /dev/null\nprompt\nshow AWS_ACCESS_KEY_ID\n\
         awsctx logout\nshow AWS_ACCESS_KEY_ID AWS_SESSION_TOKEN",
        root = sb.root.display(),
        bin = BIN,
    );
    let out = sb.shell("nu", &script);
    let (text, err) = (stdout(&out), stderr(&out));
    let seen = lines(&text);
    assert_eq!(seen.len(), 5, "{text}{err}");
    assert_eq!(seen[..2], ["AWS_PROFILE=<dev>", "AWS_ACCESS_KEY_ID unset"], "{err}");
    assert!(
        seen[2].starts_with("AWS_ACCESS_KEY_ID=<ASIA") && !seen[2].contains(&old),
        "the new login's keys: {text}{err}"
    );
    assert_eq!(
        seen[3..],
        ["AWS_ACCESS_KEY_ID unset", "AWS_SESSION_TOKEN unset"],
        "a logout here drops the keys at once: {err}"
    );
}

#[test]
fn a_missing_or_oversized_changes_file_is_passed_over_silently_and_a_later_change_is_followed() {
    let Some((sb, counted)) = nu_with_counted_awsctx() else { return };
    let prompts = "prompt\n".repeat(20);
    // The first prompt learns the pins (one process); none has changed anything yet.
    let script = format!(
        "cd '{root}'\nprompt\nlet changes = $env._AWSCTX._AWSCTX_CHANGES\nprint ($changes | path exists)\n\
         {prompts}\
         mkdir ($changes | path dirname)\n'' | fill -c x -w 1000000 | save -f $changes\n{prompts}\
         print -e '--'\nrm $changes\n^'{bin}' pin dev\nprompt\nshow AWS_PROFILE\n{prompts}show AWS_PROFILE",
        root = sb.root.display(),
        bin = BIN,
    );
    let out = sb.shell("nu", &script);
    assert_eq!(
        lines(&stdout(&out)),
        ["false", "AWS_PROFILE=<dev>", "AWS_PROFILE=<dev>"],
        "{}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(err.starts_with("--\n"), "nothing said about a missing or oversized file: {err}");
    let calls = counted.calls();
    assert_eq!(
        lines(&calls),
        ["hook-env nu"; 2],
        "one process for the first prompt and one for the pin, none for the other prompts"
    );
}

#[test]
fn a_linked_markers_folder_costs_one_process_per_change_not_one_per_prompt() {
    let Some((sb, counted)) = nu_with_counted_awsctx() else { return };
    let elsewhere = sb.dir("elsewhere");
    let prompts = "prompt\n".repeat(20);
    // awsctx cannot make markers through the link: Nushell reads the line instead.
    let script = format!(
        "cd '{root}'\nprompt\nlet changes = $env._AWSCTX._AWSCTX_CHANGES\nmkdir ($changes | path dirname)\n\
         ^ln -s '{elsewhere}' $\"($changes).d\"\n^'{bin}' pin dev\n{prompts}show AWS_PROFILE\n\
         ^'{bin}' unpin\n{prompts}show AWS_PROFILE",
        root = sb.root.display(),
        elsewhere = elsewhere.display(),
        bin = BIN,
    );
    let out = sb.shell("nu", &script);
    assert_eq!(
        lines(&stdout(&out)),
        ["AWS_PROFILE=<dev>", "AWS_PROFILE unset"],
        "{}",
        stderr(&out)
    );
    let calls = counted.calls();
    assert_eq!(
        lines(&calls),
        ["hook-env nu"; 3],
        "one process for the first prompt and one for each change, none for the other prompts"
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through");
}

/// A switcher sandbox with dev's keys cached and a wrapper that logs every awsctx that nu
/// starts; `None` when nu is not installed.
fn nu_with_counted_awsctx() -> Option<(Sandbox, Counted)> {
    if !have_nu() {
        return None;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let counted = sb.counting_wrapper("wrapper");
    counted.use_in(&sb, "nu");
    Some((sb, counted))
}
