//! `awsctx configure sso`: flags only (no terminal) and through a PTY give the same file, in
//! the AWS CLI's order, with the profile named as `populate` names it; missing flags are usage
//! errors naming the flag; re-runs update in place; a command that fails (no login, a refused
//! login, a network error, denied access) leaves the file byte for byte as it was.

use std::time::Duration;

use awsctx_tests::{Fault, MockConfig, Operation};
use expectrl::{Eof, Session};

use crate::support::FakeBrowser;
use crate::support::{Sandbox, assert_ok, stderr};

/// What `configure sso` writes for account 0's `AdministratorAccess` of the mock, given
/// region `eu-west-1` and output `json`, in the AWS CLI's order: profile (named as `populate`
/// names it), then session, which keeps the region as the default for `populate`.
fn expected_file(sandbox: &Sandbox) -> String {
    format!(
        "[profile payments-prod-AdministratorAccess]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = AdministratorAccess\nregion = eu-west-1\noutput = json\n\
         [sso-session corp]\nsso_start_url = {}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\nawsctx_default_region = eu-west-1\n",
        sandbox.mock.start_url()
    )
}

fn mock() -> MockConfig {
    MockConfig::default().accounts(300).roles_per_account(3)
}

/// `configure sso` with every answer given as a flag.
fn every_flag(start_url: &str) -> [&str; 16] {
    [
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--start-url",
        start_url,
        "--sso-region",
        "us-east-1",
        "--account-id",
        "111111111111",
        "--role-name",
        "AdministratorAccess",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]
}

/// `configure sso` on a PTY with a login to `corp`, its four session questions answered.
fn wizard_past_the_session(sandbox: &Sandbox) -> Session {
    sandbox.seed_session("corp");
    let mut cmd = sandbox.cmd(&["configure", "sso"]);
    cmd.env("TERM", "dumb");
    let mut p = Session::spawn(cmd).expect("spawn in a PTY");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    for (prompt, answer) in [
        ("SSO session name [None]: ", "corp"),
        ("SSO start URL [None]: ", sandbox.mock.start_url().as_str()),
        ("SSO region [None]: ", "us-east-1"),
        ("SSO registration scopes [sso:account:access]: ", ""),
    ] {
        p.expect(prompt).unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
        p.send_line(answer).expect("answer");
    }
    p
}

#[test]
fn flags_only_writes_the_aws_cli_sections_in_its_order() {
    let sandbox = Sandbox::empty(mock());
    sandbox.seed_session("corp");
    let start_url = sandbox.mock.start_url();
    let out = sandbox.run(&every_flag(&start_url));
    assert_ok(&out);
    assert_eq!(sandbox.config_text(), expected_file(&sandbox));
    assert_eq!(
        stderr(&out).replace(&sandbox.shown(&sandbox.config_path()), "CONFIG"),
        "awsctx: wrote `[profile payments-prod-AdministratorAccess]` and `[sso-session corp]` to `CONFIG`\n\
         awsctx: switch to it with `awsctx payments-prod-AdministratorAccess`\n"
    );
}

#[test]
fn a_pty_session_writes_the_same_file_as_flags() {
    let sandbox = Sandbox::empty(mock());
    let mut p = wizard_past_the_session(&sandbox);
    // 300 accounts, in the AWS CLI's order (lower-cased name first); filter, then pick.
    p.expect("there are 300 AWS accounts available to you").unwrap();
    p.send_line("").unwrap();
    p.expect("   1) analytics-dev, aws+analytics-dev@example.com").expect("sorted list");
    p.expect("more: type to filter").expect("long lists are cut");
    p.expect("AWS account (number, or text to filter): ").expect("account prompt");
    p.send_line("PAYMENTS-PROD").unwrap();
    p.expect("   1) payments-prod, aws+payments-prod@example.com (111111111111)").unwrap();
    p.expect("   2) payments-prod-1,").unwrap();
    p.expect("AWS account (number, or text to filter): ").unwrap();
    // Every label holds an id with a `1`: only `#` makes the number a position.
    p.send_line("#1").unwrap();
    p.expect("using the account ID 111111111111").unwrap();
    p.expect("   1) AdministratorAccess").unwrap();
    p.expect("   2) PowerUserAccess").unwrap();
    p.expect("   3) ReadOnlyAccess").unwrap();
    p.expect("role (number, or text to filter): ").unwrap();
    p.send_line("admin").unwrap();
    p.expect("role (number, or text to filter): ").unwrap();
    // One match left: Enter takes it.
    p.send_line("").unwrap();
    p.expect("using the role name \"AdministratorAccess\"").unwrap();
    p.expect("Default client Region [None]: ").unwrap();
    p.send_line("eu-west-1").unwrap();
    p.expect("CLI default output format (json if not specified) [None]: ").unwrap();
    p.send_line("json").unwrap();
    p.expect("Profile name [payments-prod-AdministratorAccess]: ").unwrap();
    p.send_line("").unwrap();
    p.expect("switch to it with `awsctx payments-prod-AdministratorAccess`").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(sandbox.config_text(), expected_file(&sandbox));
}

#[test]
fn without_a_token_it_logs_in_first_and_writes_the_same_file() {
    let sandbox = Sandbox::empty(mock());
    let browser = FakeBrowser::start(sandbox.home.as_path());
    let start_url = sandbox.mock.start_url();
    let out =
        awsctx_snapshot!(sandbox.cmd(&every_flag(&start_url)).env("BROWSER", &browser.script));
    assert_ok(&out);
    assert_eq!(browser.urls().len(), 1, "one browser authorization");
    assert_eq!(sandbox.config_text(), expected_file(&sandbox), "the AWS CLI's order still");
}

#[test]
fn non_interactive_names_the_missing_flag() {
    let sandbox = Sandbox::empty(mock());
    sandbox.seed_session("corp");
    let out = awsctx_snapshot!(sandbox.cmd(&["configure", "sso", "--sso-session", "corp"]));
    assert_eq!(out.status.code(), Some(2));

    let start_url = sandbox.mock.start_url();
    let out = awsctx_snapshot!(sandbox.cmd(&[
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--start-url",
        &start_url,
        "--sso-region",
        "us-east-1",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(sandbox.config_text(), "", "nothing written");
}

#[test]
fn non_interactive_is_honoured_on_a_terminal() {
    let sandbox = Sandbox::empty(mock());
    let mut p = Session::spawn(sandbox.cmd(&["configure", "sso", "--non-interactive"]))
        .expect("spawn in a PTY");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect("`--sso-session` is required").expect("usage error, no prompt");
    p.expect(Eof).unwrap();
}

#[test]
fn a_rerun_updates_the_sections_in_place() {
    let sandbox = Sandbox::empty(mock());
    let start_url = sandbox.mock.start_url();
    let before = format!(
        "# mine\n[profile work]\nsso_start_url = {start_url}\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = Old\n# keep me\nregion = ap-south-1\ncli_pager =\n\n[sso-session corp]\nsso_start_url = {start_url}\nsso_region = us-east-1\n"
    );
    sandbox.write_config(&before);
    sandbox.seed_session("corp");
    // Start URL and region come from the existing session.
    let out = sandbox.run(&[
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--account-id",
        "111112111114",
        "--role-name",
        "AdministratorAccess",
        "--profile",
        "work",
    ]);
    assert_ok(&out);
    assert_eq!(
        sandbox.config_text(),
        "# mine\n[profile work]\nsso_account_id = 111112111114\nsso_role_name = AdministratorAccess\n# keep me\nregion = ap-south-1\ncli_pager =\nsso_session = corp\n\n[sso-session corp]\nsso_start_url = START\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
            .replace("START", &start_url)
    );
}

#[test]
fn non_interactive_without_a_login_writes_nothing_and_names_the_way_to_log_in() {
    let sandbox = Sandbox::empty(mock());
    let start_url = sandbox.mock.start_url();
    let args = [
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--start-url",
        &start_url,
        "--sso-region",
        "us-east-1",
        "--non-interactive",
    ];
    let out = sandbox.run(&args);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: not logged in to SSO session `corp`; nothing was written\n\
         hint: run this command without `--non-interactive`: it logs in first\n"
    );
    assert!(!sandbox.config_path().exists(), "no file appeared");
    assert_eq!(sandbox.mock.count(Operation::ListAccounts), 0);

    // The session in the config already: `awsctx login` can log in to it.
    sandbox.write_config(&sandbox.session_section("corp"));
    let out = sandbox.run(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .ends_with("hint: run `awsctx login --sso-session corp`, then this command again\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sandbox.config_text(), sandbox.session_section("corp"));
}

/// A config with everything a user may have, for the byte-for-byte checks.
const MESSY: &str = "# mine\r\n[default]\r\nregion=eu-central-1   ; odd\r\n\r\n[profile work]\r\nsso_session = corp\r\nsso_account_id = 1\r\nsso_role_name = Old\r\n\t# indented comment\r\n[sso-session corp]\r\nsso_start_url = https://old.awsapps.com/start\r\nsso_region = eu-west-1\r\n[profile tail]\r\nregion = x";

#[test]
fn a_failing_configure_leaves_the_file_byte_for_byte() {
    /// What fails, and how the mock or the token cache is set up for it.
    type Case = (&'static str, fn(&Sandbox));
    let cases: [Case; 5] = [
        ("the login is refused in the browser", |s| s.mock.set_deny_authorization(true)),
        ("the login's registration loses its connection", |s| {
            s.mock.inject(Operation::RegisterClient, std::iter::repeat_n(Fault::DropConnection, 4));
        }),
        ("listing the accounts loses its connection", |s| {
            s.seed_session("corp");
            s.mock.inject(Operation::ListAccounts, std::iter::repeat_n(Fault::DropConnection, 4));
        }),
        ("listing the roles is denied", |s| {
            s.seed_session("corp");
            s.mock.inject(Operation::ListAccountRoles, [Fault::Status(403)]);
        }),
        ("the portal refuses the token", |s| {
            s.seed_session("corp");
            s.mock.revoke_tokens();
        }),
    ];
    for (what, setup) in cases {
        let sandbox = Sandbox::empty(mock());
        sandbox.write_config(MESSY);
        setup(&sandbox);
        let browser = FakeBrowser::start(sandbox.home.as_path());
        let start_url = sandbox.mock.start_url();
        let out = sandbox
            .cmd(&[
                "configure",
                "sso",
                "--sso-session",
                "corp",
                "--start-url",
                &start_url,
                "--sso-region",
                "us-east-1",
                "--account-id",
                "111111111111",
                "--role-name",
                "AdministratorAccess",
                "--region",
                "eu-west-1",
            ])
            .env("BROWSER", &browser.script)
            .env("AWS_MAX_ATTEMPTS", "2")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        drop(browser);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.lines().any(|l| l.starts_with("awsctx: error: ")), "{what}: {err}");
        assert_eq!(sandbox.config_text(), MESSY, "{what}: the file changed");
        assert!(
            !sandbox.home.as_path().join(".aws/config.awsctx.bak").exists(),
            "{what}: nothing was written"
        );
    }
}

#[test]
fn an_account_out_of_reach_is_refused() {
    let sandbox = Sandbox::empty(mock());
    sandbox.write_config(&sandbox.session_section("corp"));
    sandbox.seed_session("corp");
    let out = awsctx_snapshot!(sandbox.cmd(&[
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--account-id",
        "999999999999",
        "--role-name",
        "AdministratorAccess",
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(sandbox.config_text(), sandbox.session_section("corp"));
}

#[test]
fn a_profile_generated_by_populate_is_not_given_other_access() {
    let sandbox = Sandbox::empty(mock());
    sandbox.write_config(&sandbox.session_section("corp"));
    sandbox.seed_session("corp");
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    let before = sandbox.config_text();
    let out = sandbox.run(&[
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--account-id",
        "111111111111",
        "--role-name",
        "ReadOnlyAccess",
        "--profile",
        "payments-prod-AdministratorAccess",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: profile `payments-prod-AdministratorAccess` is generated by `awsctx populate --sso-session corp` for 111111111111 AdministratorAccess, which populate would write back\n\
         hint: choose another name with `--profile`\n"
    );
    assert_eq!(sandbox.config_text(), before);
}

#[test]
fn the_wizard_names_the_role_as_populate_does_and_populate_keeps_what_it_set() {
    let sandbox = Sandbox::empty(mock());
    sandbox.write_config(&sandbox.session_section("corp"));
    sandbox.seed_session("corp");
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    let populated = sandbox.config_text();
    let n = populated.matches("[profile ").count();
    // The role populate generated `payments-prod-AdministratorAccess` for: the wizard
    // suggests that profile, and what it sets there (region, output) is the user's.
    let out = awsctx_snapshot!(sandbox.cmd(&[
        "configure",
        "sso",
        "--sso-session",
        "corp",
        "--account-id",
        "111111111111",
        "--role-name",
        "AdministratorAccess",
        "--region",
        "ap-south-1",
        "--output",
        "text",
    ]));
    assert_ok(&out);
    let configured = sandbox.config_text();
    assert_eq!(configured.matches("[profile ").count(), n, "no second profile for the role");
    assert!(configured.contains(
        "[profile payments-prod-AdministratorAccess]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = AdministratorAccess\nregion = ap-south-1\noutput = text\n"
    ));
    // Populate again: the region and output stay; new profiles get the session's default.
    let mut accounts = sandbox.mock.accounts();
    accounts.truncate(299);
    let gone = sandbox.mock.accounts()[299].clone();
    sandbox.mock.set_access(accounts);
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp", "--prune"]));
    let mut accounts = sandbox.mock.accounts();
    accounts.push(gone.clone());
    sandbox.mock.set_access(accounts);
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    let text = sandbox.config_text();
    assert!(
        text.contains("sso_role_name = AdministratorAccess\nregion = ap-south-1\noutput = text\n")
    );
    let config = awsctx_core::config::Config::from_sources(&text, "").unwrap();
    for profile in config.profiles_using_sso_session("corp") {
        let expected = (profile.get("sso_account_id") == Some(gone.id.as_str())
            || profile.name() == "payments-prod-AdministratorAccess")
            .then_some("ap-south-1");
        assert_eq!(profile.get("region"), expected, "region of `{}`", profile.name());
    }
}

#[test]
fn text_that_looks_like_a_number_filters_the_accounts_before_it_picks_by_position() {
    let sandbox = Sandbox::empty(mock());
    let mut p = wizard_past_the_session(&sandbox);
    p.expect("AWS account (number, or text to filter): ").expect("account prompt");
    // `008` is in one account id only (111410112008); as a position it would be row 8.
    p.send_line("008").unwrap();
    p.expect("   1) audit-shared-2, aws+audit-shared-2@example.com (111410112008)").unwrap();
    p.expect("AWS account (number, or text to filter): ").unwrap();
    p.send_line("").unwrap();
    p.expect("using the account ID 111410112008").unwrap();
    p.expect("the only role available to you is: ").unwrap();
}
