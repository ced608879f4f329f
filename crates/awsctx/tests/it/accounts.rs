//! Reaching a profile by what the user has in hand: an account id, an ARN (every form and
//! partition), an account name; one match switches, several ask (or list them off a
//! terminal), none names the nearest; the same for `exec`, `export`, `console`, `pin` and
//! tab-completion.

use std::time::Duration;

use crate::support::{DEV, PROD, Sandbox, have, lines, shells, stderr, stdout};

/// The sandbox plus a second profile in the dev account and one in a gov-cloud account.
fn sandbox() -> Sandbox {
    let sb = Sandbox::switcher();
    sb.add_profile(&format!(
        "[profile dev-ro]\nsso_session = corp\nsso_account_id = {}\nsso_role_name = ReadOnly\n\n\
         [profile gov]\nrole_arn = arn:aws-us-gov:iam::777788889999:role/ops/Deployer\nsource_profile = static",
        DEV.0
    ));
    sb
}

/// `awsctx ARGS` through the bash hook's function (its output is shell code).
fn switching(sb: &Sandbox, args: &[&str]) -> std::process::Command {
    let mut cmd = sb.awsctx_in(&sb.root, args);
    cmd.env("_AWSCTX_SHELL", "bash");
    cmd
}

fn switch(sb: &Sandbox, args: &[&str]) -> std::process::Output {
    switching(sb, args).output().unwrap()
}

fn switched_to(out: &std::process::Output) -> Option<String> {
    stdout(out)
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_PROFILE='")?.strip_suffix('\'').map(str::to_owned))
}

#[test]
fn an_account_id_or_any_arn_form_switches_to_the_one_profile_that_matches() {
    let sb = sandbox();
    sb.seed_keys(PROD, Duration::from_secs(3600));
    let out = switch(&sb, &["444455556666"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(switched_to(&out).as_deref(), Some("prod-ro"));
    assert!(
        stderr(&out).starts_with("awsctx: prod-ro · 444455556666 · ReadOnly"),
        "{}",
        stderr(&out)
    );

    for (arn, profile) in [
        ("arn:aws:sts::111122223333:assumed-role/Admin/me@example.com", "dev"),
        ("arn:aws:iam::111122223333:role/ReadOnly", "dev-ro"),
        // What CloudTrail shows for an IAM Identity Center session: the permission set's role.
        (
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/me",
            "dev-ro",
        ),
        ("arn:aws:iam::444455556666:user/someone", "prod-ro"),
        ("arn:aws-us-gov:sts::777788889999:assumed-role/Deployer/ci", "gov"),
        ("arn:aws-cn:iam::777788889999:role/ops/Deployer", "gov"),
    ] {
        let out = switch(&sb, &[arn]);
        assert_eq!(switched_to(&out).as_deref(), Some(profile), "{arn}: {}", stderr(&out));
    }
    // `use` takes the same.
    let out = switch(&sb, &["use", "444455556666"]);
    assert_eq!(switched_to(&out).as_deref(), Some("prod-ro"), "{}", stderr(&out));
}

#[test]
fn a_profile_named_like_an_account_id_wins_by_name() {
    let sb = sandbox();
    sb.add_profile(&format!(
        "[profile 444455556666]\nsso_session = corp\nsso_account_id = {}\nsso_role_name = {}",
        DEV.0, DEV.1
    ));
    let out = switch(&sb, &["444455556666"]);
    assert_eq!(switched_to(&out).as_deref(), Some("444455556666"), "{}", stderr(&out));
}

#[test]
fn several_matches_off_a_terminal_are_listed_and_nothing_switches() {
    let sb = sandbox();
    let out = switch(&sb, &["111122223333"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"", "nothing for the shell to eval");
    assert_eq!(
        stderr(&out),
        "awsctx: error: `111122223333` matches 2 profiles: `dev` (111122223333 Admin), `dev-ro` (111122223333 ReadOnly)\n\
         hint: name one of them, e.g. `awsctx dev`\n"
    );
    awsctx_snapshot!(sb.awsctx_in(&sb.root, &["export", "111122223333"]));
}

#[test]
fn no_match_names_the_nearest_account_or_the_accounts_other_roles() {
    let sb = sandbox();
    let out = switch(&sb, &["444455556667"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: no profile for account `444455556667`\n\
         hint: did you mean account `444455556666`? `awsctx prod-ro`\n"
    );
    let out = switch(&sb, &["arn:aws:sts::111122223333:assumed-role/Billing/me"]);
    assert_eq!(
        stderr(&out),
        "awsctx: error: no profile for role `Billing` in account `111122223333`\n\
         hint: the account's profiles: `dev` (111122223333 Admin), `dev-ro` (111122223333 ReadOnly)\n"
    );
    let out = switch(&sb, &["999999999999"]);
    assert_eq!(
        stderr(&out),
        "awsctx: error: no profile for account `999999999999`\n\
         hint: `awsctx list` shows the profiles with their accounts and roles\n"
    );
    // Not an ARN awsctx can use: said, with the control character shown, not sent.
    let out = awsctx_snapshot!(switching(&sb, &["arn:aws-iso:iam::111122223333:role/x\u{1b}[2J"]));
    assert_eq!(out.status.code(), Some(1));
    let out = awsctx_snapshot!(switching(&sb, &["arn:aws:s3:::bucket\u{1b}[2J"]));
    assert!(!stderr(&out).contains('\u{1b}'));
}

#[test]
fn exec_export_console_and_pin_take_an_account_id_or_arn_too() {
    let sb = sandbox();
    let key = sb.seed_keys(PROD, Duration::from_secs(3600));
    let out =
        sb.awsctx_in(&sb.root, &["export", "444455556666", "--format", "env"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("export AWS_ACCESS_KEY_ID={key}\n")),
        "{}",
        stdout(&out)
    );

    let out = sb
        .awsctx_in(
            &sb.root,
            &[
                "exec",
                "arn:aws:iam::444455556666:role/ReadOnly",
                "--",
                "sh",
                "-c",
                "echo $AWS_PROFILE $AWS_ACCESS_KEY_ID",
            ],
        )
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("prod-ro {key}\n"), "{}", stderr(&out));

    // The console link of the account's SSO role.
    let out = sb.awsctx_in(&sb.root, &["console", "444455556666", "--print"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("#/console?account_id=444455556666&role_name=ReadOnly"),
        "{}",
        stdout(&out)
    );

    let repo = sb.dir("repo");
    let out = sb.awsctx_in(&repo, &["pin", "444455556666"]).output().unwrap();
    assert_eq!(
        stderr(&out),
        format!("awsctx: pinned `{}` to prod-ro (account 444455556666)\n", repo.display())
    );
    let out = sb.awsctx_in(&repo, &["exec", "111122223333", "--", "true"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).ends_with("hint: name one of them, e.g. `awsctx exec dev -- CMD`\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completing_an_account_id_offers_its_profiles() {
    let sb = sandbox();
    if have("bash") {
        let out = sb.shell(
            "bash",
            "COMP_WORDS=(awsctx 1111); COMP_CWORD=1; COMP_TYPE=9\n\
             _clap_complete_awsctx awsctx 1111 awsctx\nprintf '<%s>\\n' \"${COMPREPLY[@]}\"\n\
             COMP_WORDS=(awsctx exec 444455556666); COMP_CWORD=2\n\
             _clap_complete_awsctx awsctx 444455556666 exec\nprintf '<%s>\\n' \"${COMPREPLY[@]}\"\n\
             COMP_WORDS=(awsctx 111122223333); COMP_CWORD=1\n\
             _clap_complete_awsctx awsctx 111122223333 awsctx\nprintf '<%s>\\n' \"${COMPREPLY[@]}\"",
        );
        assert_eq!(
            lines(&stdout(&out)),
            ["<111122223333>", "<prod-ro>", "<dev>", "<dev-ro>"],
            "{}",
            stderr(&out)
        );
    }
    if shells().contains(&"fish") {
        let out = sb.shell("fish", "complete -C 'awsctx 4444'");
        assert_eq!(lines(&stdout(&out)), ["444455556666\tprod-ro"], "{}", stderr(&out));
    }
    if shells().contains(&"zsh") {
        // What the registration hands to `_describe` for a whole account id: the profiles,
        // with `-U` so they replace the word.
        let out = sb.shell(
            "zsh",
            "_describe() { print -r -- \"$*\"; print -rl -- ${(P)3} }\n\
             words=(awsctx 111122223333); CURRENT=2\n_clap_dynamic_completer_awsctx",
        );
        assert_eq!(
            lines(&stdout(&out)),
            ["-V values other -U", "dev:Admin", "dev-ro:ReadOnly"],
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn populate_keeps_account_names_and_list_shows_and_filters_by_them() {
    use awsctx_tests::{Account, MockConfig};

    use crate::support::assert_ok;
    let sb = Sandbox::corp(MockConfig::default().with_accounts(vec![
        Account::new("111122223333", "payments", &["Admin", "ReadOnly"]),
        Account::new("444455556666", "billing-live", &["ReadOnly"]),
        Account::new("777788889999", "evil\u{1b}]0;pwned\u{7}", &["ReadOnly"]),
    ]));
    // A dry run keeps nothing; a real run keeps the names beside the config, not in it.
    assert_ok(&sb.run(&["populate", "--dry-run"]));
    let names = sb.home.as_path().join(".local/state/awsctx/accounts.json");
    assert!(!names.exists(), "a dry run writes nothing");
    assert_ok(&sb.run(&["populate"]));
    assert!(!sb.config_text().contains("payments\n"), "{}", sb.config_text());
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&names).unwrap()).unwrap();
    assert_eq!(kept["444455556666"], "billing-live");

    let out = awsctx_snapshot!(sb.cmd(&["list"]));
    assert_ok(&out);
    let table = stdout(&out);
    assert!(!table.contains('\u{1b}'), "{table}");

    let out = sb.run(&["list", "PAYMENTS"]);
    let text = stdout(&out);
    let rows: Vec<&str> =
        text.lines().skip(1).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(rows, ["payments-Admin", "payments-ReadOnly"]);
    let out = sb.run(&["list", "--json", "billing", "readonly"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json[0]["account_name"], "billing-live");
    let out = sb.run(&["list", "nothing-like-it"]);
    assert_eq!(out.status.code(), Some(1));

    // The account's name stands for its profile.
    let out = sb.cmd(&["billing-live"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert!(
        stdout(&out).contains("export AWS_PROFILE='billing-live-ReadOnly'"),
        "{}",
        stderr(&out)
    );
    awsctx_snapshot!(sb.cmd(&["status"]).env("AWS_PROFILE", "payments-Admin"));
}
