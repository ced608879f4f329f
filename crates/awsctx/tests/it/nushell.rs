//! What is Nushell's own: the hook's state in a record no child process sees, registration in
//! `$env.config.hooks` (once, first, beside the user's hooks), completion through the binary,
//! and the hooks firing in a real interactive `nu` on a terminal. The behaviour the shells
//! share (switch, `-`, `-u`, pins, `.aws-profile`, the process count) runs in `nu` in `hooks`.

use std::time::Duration;

use crate::support::{DEV, PROD, Sandbox, have_nu, lines, stderr, stdout};

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
