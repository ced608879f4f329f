//! `awsctx populate` against the mock IAM Identity Center with hundreds of accounts: the
//! profiles match the access, runs are idempotent to the byte, `--prune`, collisions with
//! hand-written profiles, bytes outside the block, several sessions, `--dry-run`, throttling,
//! and botocore reading the result.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use awsctx_core::cache::{TokenCache, TokenKey};
use awsctx_core::config::Config;
use awsctx_tests::{Account, Fault, MockConfig, Operation};

use crate::support::{Sandbox, assert_ok, stderr, stdout};

/// (account id, role name) of every profile with `sso_session = session`, checked to be a
/// modern profile with exactly the keys populate writes.
fn generated(text: &str, session: &str) -> BTreeMap<String, (String, String)> {
    let config = Config::from_sources(text, "").expect("config parses");
    let mut out = BTreeMap::new();
    for profile in config.profiles_using_sso_session(session) {
        let keys: Vec<&str> = profile.properties().map(|(key, _)| key).collect();
        assert!(
            keys == ["sso_session", "sso_account_id", "sso_role_name"]
                || keys == ["sso_session", "sso_account_id", "sso_role_name", "region"],
            "profile `{}` has keys {keys:?}",
            profile.name()
        );
        let id = profile.get("sso_account_id").unwrap_or_default().to_owned();
        let role = profile.get("sso_role_name").unwrap_or_default().to_owned();
        out.insert(profile.name().to_owned(), (id, role));
    }
    out
}

fn access_of(accounts: &[Account]) -> BTreeSet<(String, String)> {
    accounts.iter().flat_map(|a| a.roles.iter().map(|r| (a.id.clone(), r.clone()))).collect()
}

fn block<'a>(text: &'a str, session: &str) -> &'a str {
    let begin = format!("# BEGIN awsctx managed: sso-session {session}");
    let end = format!("# END awsctx managed: sso-session {session}");
    let start = text.find(&begin).expect("block begins");
    let stop = text.find(&end).expect("block ends") + end.len();
    &text[start..stop]
}

#[test]
fn profiles_written_match_the_access_exactly() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(300).roles_per_account(3));
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_ok(&out);
    let text = sandbox.config_text();
    let profiles = generated(&text, "corp");
    let expected = access_of(&sandbox.mock.accounts());
    let written: BTreeSet<(String, String)> = profiles.values().cloned().collect();
    assert_eq!(written, expected);
    assert_eq!(profiles.len(), expected.len(), "one profile per account × role");
    assert!(profiles.contains_key("payments-prod-AdministratorAccess"), "template names");
    // Modern profiles only: the start URL and region live in the session section.
    assert_eq!(text.matches("sso_start_url").count(), 1);
    assert!(text.starts_with(&sandbox.session_section("corp")));
    let n = expected.len();
    assert!(
        stderr(&out).contains(&format!(
            "awsctx: populate corp: {n} profiles ({n} added, 0 removed, 0 unchanged)"
        )),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(['\r', '\u{1b}']), "no progress bar off a terminal");
    // One ListAccountRoles per account (one page each), all accounts listed.
    assert_eq!(sandbox.mock.count(Operation::ListAccountRoles), 300);
}

#[test]
fn a_second_run_with_the_same_access_changes_no_byte_and_says_so() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(200).roles_per_account(2));
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp", "--region", "eu-west-1"]));
    let first = std::fs::read(sandbox.config_path()).unwrap();
    let modified = std::fs::metadata(sandbox.config_path()).unwrap().modified().unwrap();
    let out = awsctx_snapshot!(sandbox.cmd(&[
        "populate",
        "--sso-session",
        "corp",
        "--region",
        "eu-west-1"
    ]));
    assert_ok(&out);
    assert_eq!(std::fs::read(sandbox.config_path()).unwrap(), first);
    assert_eq!(std::fs::metadata(sandbox.config_path()).unwrap().modified().unwrap(), modified);
    let n = access_of(&sandbox.mock.accounts()).len();
    let err = stderr(&out);
    assert!(err.contains(&format!("{n} profiles (0 added, 0 removed, {n} unchanged)")), "{err}");
    assert!(err.contains("already up to date"), "{err}");
}

#[test]
fn the_result_does_not_depend_on_the_order_the_portal_lists_in() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(120).roles_per_account(2));
    // Two accounts with the same name collide: both get their account id.
    let mut accounts = sandbox.mock.accounts();
    accounts[5].name = accounts[0].name.clone();
    sandbox.mock.set_access(accounts.clone());
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    let first = sandbox.config_text();
    accounts.reverse();
    for account in &mut accounts {
        account.roles.reverse();
    }
    sandbox.mock.set_access(accounts);
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_ok(&out);
    assert_eq!(sandbox.config_text(), first);
    let name = &sandbox.mock.accounts().last().unwrap().name.clone();
    let ids = [&sandbox.mock.accounts()[119].id, &sandbox.mock.accounts()[114].id];
    for id in ids {
        let expected = format!("[profile {name}-AdministratorAccess-{id}]");
        assert!(first.contains(&expected), "missing {expected}");
    }
}

#[test]
fn prune_after_access_is_removed_deletes_exactly_those_profiles() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(150).roles_per_account(3));
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    let before = generated(&sandbox.config_text(), "corp");

    // Two accounts gone, one role gone from a third.
    let mut accounts = sandbox.mock.accounts();
    let gone_accounts: Vec<Account> = vec![accounts.remove(10), accounts.remove(20)];
    let lost_role = accounts[0].roles.pop().unwrap();
    let lost_account = accounts[0].id.clone();
    sandbox.mock.set_access(accounts);
    let mut gone: BTreeSet<(String, String)> = access_of(&gone_accounts);
    gone.insert((lost_account, lost_role));

    // Without `--prune` they are kept, and reported.
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_ok(&out);
    assert_eq!(generated(&sandbox.config_text(), "corp"), before);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("kept {} profiles for access that is gone", gone.len())),
        "{err}"
    );
    assert!(err.contains("`--prune` removes them"), "{err}");

    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "corp", "--prune"]));
    assert_ok(&out);
    let after = generated(&sandbox.config_text(), "corp");
    let removed: BTreeSet<(String, String)> = before
        .iter()
        .filter(|(name, _)| !after.contains_key(*name))
        .map(|(_, a)| a.clone())
        .collect();
    assert_eq!(removed, gone);
    assert!(
        after.iter().all(|(name, access)| before.get(name) == Some(access)),
        "nothing else changed"
    );
    assert!(stderr(&out).contains(&format!("{} removed", gone.len())), "{}", stderr(&out));
}

#[test]
fn a_hand_written_profile_with_a_colliding_name_survives_untouched() {
    let sandbox = Sandbox::empty(MockConfig::default().accounts(100).roles_per_account(2));
    let mine = "[profile payments-prod-AdministratorAccess]\n# my own\nregion=us-west-2\ncredential_process = /bin/true\n";
    let original = format!("{mine}\n{}", sandbox.session_section("corp"));
    sandbox.write_config(&original);
    std::fs::write(
        sandbox.home.as_path().join(".aws/credentials"),
        "[identity-prod-AdministratorAccess]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n",
    )
    .unwrap();
    sandbox.seed_session("corp");
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_ok(&out);
    let text = sandbox.config_text();
    assert!(text.starts_with(&original), "bytes before the block changed:\n{text}");
    let profiles = generated(block(&text, "corp"), "corp");
    assert!(!profiles.contains_key("payments-prod-AdministratorAccess"));
    assert!(
        !profiles.contains_key("identity-prod-AdministratorAccess"),
        "credentials-file names too"
    );
    assert!(profiles.contains_key("payments-prod-ReadOnlyAccess"));
    let err = stderr(&out);
    assert!(
        err.contains("skipped `payments-prod-AdministratorAccess` (111111111111 AdministratorAccess): a profile of that name is defined outside the managed block"),
        "{err}"
    );
    assert!(err.contains("skipped `identity-prod-AdministratorAccess`"), "{err}");
    assert_eq!(text.matches("[profile payments-prod-AdministratorAccess]").count(), 1);
}

#[test]
fn comments_blank_lines_and_crlf_outside_the_block_are_kept_byte_for_byte() {
    let sandbox = Sandbox::empty(MockConfig::default().accounts(100).roles_per_account(2));
    let head = format!(
        "# my config\r\n\r\n[default]\r\nregion   =  eu-central-1 ; odd spacing\r\n\r\n; another comment\r\n{}",
        sandbox.session_section("corp").replace('\n', "\r\n")
    );
    sandbox.write_config(&head);
    sandbox.seed_session("corp");
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    let text = sandbox.config_text();
    assert!(text.starts_with(&head), "the head changed");
    let written = &text[head.len()..];
    assert!(
        written.starts_with("\r\n# BEGIN awsctx managed: sso-session corp\r\n"),
        "{written:.80}"
    );
    assert!(!written.replace("\r\n", "").contains('\n'), "the block follows the file's CRLF");

    // User content after the block, then a run that changes the block: both sides stay.
    let tail = "\r\n# after the block\r\n[profile tail]\r\nregion = ap-south-1"; // no final newline
    sandbox.write_config(&format!("{text}{tail}"));
    let mut accounts = sandbox.mock.accounts();
    accounts.truncate(40);
    sandbox.mock.set_access(accounts);
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp", "--prune"]));
    let after = sandbox.config_text();
    assert!(after.starts_with(&head));
    assert!(after.ends_with(tail));
    assert_eq!(generated(&after, "corp").len(), access_of(&sandbox.mock.accounts()).len());
    // The previous version is kept as a backup.
    let backup =
        std::fs::read_to_string(sandbox.home.as_path().join(".aws/config.awsctx.bak")).unwrap();
    assert_eq!(backup, format!("{text}{tail}"));
}

#[test]
fn two_sessions_populate_side_by_side_without_touching_each_other() {
    let sandbox = Sandbox::empty(MockConfig::default().accounts(60).roles_per_account(2));
    let sessions = format!("{}{}", sandbox.session_section("corp"), sandbox.session_section("lab"));
    sandbox.write_config(&sessions);
    sandbox.seed_session("corp");
    sandbox.seed_session("lab");
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));

    // Same accounts under another session: every name is taken by corp's block.
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "lab"]));
    assert_ok(&out);
    let n = access_of(&sandbox.mock.accounts()).len();
    assert!(
        stderr(&out).contains(&format!("skipped {} more profiles", n - 10)),
        "{}",
        stderr(&out)
    );
    assert!(!sandbox.config_text().contains("sso-session lab\n[profile"), "no lab profiles");

    let out = sandbox.run(&["populate", "--sso-session", "lab", "--prefix", "lab-"]);
    assert_ok(&out);
    let text = sandbox.config_text();
    let corp_block = block(&text, "corp").to_owned();
    let lab = generated(block(&text, "lab"), "lab");
    assert_eq!(lab.len(), n);
    assert!(lab.keys().all(|name| name.starts_with("lab-")));

    // Corp's access changes; lab's block stays byte for byte, and the other way round.
    let mut accounts = sandbox.mock.accounts();
    accounts.truncate(30);
    sandbox.mock.set_access(accounts);
    let lab_block = block(&text, "lab").to_owned();
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp", "--prune"]));
    let text = sandbox.config_text();
    assert_eq!(block(&text, "lab"), lab_block);
    assert_ne!(block(&text, "corp"), corp_block);
    assert!(text.starts_with(&sessions));
}

#[test]
fn dry_run_shows_the_diff_and_changes_nothing() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(2).roles_per_account(2));
    let before = sandbox.config_text();
    let out =
        sandbox.run(&["populate", "--sso-session", "corp", "--dry-run", "--region", "eu-west-1"]);
    assert_ok(&out);
    assert_eq!(sandbox.config_text(), before);
    assert!(!sandbox.home.as_path().join(".aws/config.awsctx.bak").exists());
    let diff = stdout(&out).replace(&sandbox.config_path().display().to_string(), "CONFIG");
    insta::assert_snapshot!(diff, @r"
    --- CONFIG
    +++ CONFIG (populated)
    @@ -2,3 +2,23 @@
     sso_start_url = https://d-90670ca0b1.awsapps.com/start
     sso_region = us-east-1
     sso_registration_scopes = sso:account:access
    +
    +# BEGIN awsctx managed: sso-session corp
    +[profile identity-prod-AdministratorAccess]
    +sso_session = corp
    +sso_account_id = 111112111114
    +sso_role_name = AdministratorAccess
    +region = eu-west-1
    +
    +[profile payments-prod-AdministratorAccess]
    +sso_session = corp
    +sso_account_id = 111111111111
    +sso_role_name = AdministratorAccess
    +region = eu-west-1
    +
    +[profile payments-prod-ReadOnlyAccess]
    +sso_session = corp
    +sso_account_id = 111111111111
    +sso_role_name = ReadOnlyAccess
    +region = eu-west-1
    +# END awsctx managed: sso-session corp
    ");
    assert!(!diff.contains('\u{1b}'), "no colour off a terminal");
    assert!(
        stderr(&out).contains(
            "populate corp (dry run): 3 profiles (3 added, 0 removed, 0 unchanged); nothing written"
        ),
        "{}",
        stderr(&out)
    );
    // A dry run after a real one, with the same access, shows no change.
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp", "--region", "eu-west-1"]));
    let out =
        sandbox.run(&["populate", "--sso-session", "corp", "--dry-run", "--region", "eu-west-1"]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "");
}

#[test]
fn template_prefix_and_region_shape_the_profiles() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(3).roles_per_account(1));
    let out = sandbox.run(&[
        "populate",
        "--sso-session",
        "corp",
        "--template",
        "{session} {account_id}/{role_name}",
        "--prefix",
        "x.",
        "--region",
        "ap-southeast-2",
    ]);
    assert_ok(&out);
    let text = sandbox.config_text();
    let id = &sandbox.mock.accounts()[0].id;
    assert!(text.contains(&format!("[profile x.corp-{id}/AdministratorAccess]\n")), "{text}");
    assert_eq!(text.matches("region = ap-southeast-2\n").count(), 3);
}

#[test]
fn the_only_session_is_the_default_and_several_need_a_choice() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(5));
    assert_ok(&sandbox.run(&["populate"]));
    let written = std::fs::read_to_string(sandbox.config_path()).unwrap();
    assert_eq!(generated(&written, "corp").len(), access_of(&sandbox.mock.accounts()).len());

    let both = format!("{}{}", sandbox.session_section("corp"), sandbox.session_section("lab"));
    sandbox.write_config(&both);
    let out = awsctx_snapshot!(sandbox.cmd(&["populate"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pass `--sso-session` with one of `corp`, `lab`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_template_is_a_usage_error() {
    let sandbox = Sandbox::corp(MockConfig::default());
    let out = awsctx_snapshot!(sandbox.cmd(&[
        "populate",
        "--sso-session",
        "corp",
        "--template",
        "{account}"
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("uses `{account}`"), "{}", stderr(&out));
    assert_eq!(sandbox.mock.count(Operation::ListAccounts), 0, "checked before any request");
}

#[test]
fn no_token_an_expired_or_a_revoked_one_asks_for_a_login() {
    let sandbox = Sandbox::empty(MockConfig::default());
    sandbox.write_config(&sandbox.session_section("corp"));
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: SSO session `corp` is not logged in\nhint: run `awsctx login --sso-session corp`\n"
    );

    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60);
    sandbox.seed_session_expiring("corp", Some(past), false);
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: SSO session `corp` has expired\nhint: run `awsctx login --sso-session corp`\n"
    );
    assert_eq!(sandbox.mock.count(Operation::ListAccounts), 0, "no request with an expired token");

    sandbox.seed_session("corp");
    sandbox.mock.revoke_tokens();
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: SSO session `corp` was refused by the SSO portal (the login expired or was revoked)\nhint: run `awsctx login --sso-session corp`\n"
    );
    assert_eq!(sandbox.config_text(), sandbox.session_section("corp"), "nothing written");
}

#[test]
fn a_token_near_its_expiry_is_refreshed_first() {
    let sandbox = Sandbox::empty(MockConfig::default().accounts(10));
    sandbox.write_config(&sandbox.session_section("corp"));
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5);
    sandbox.seed_session_expiring("corp", Some(soon), true);
    let key = TokenKey::Session("corp".into());
    let before = TokenCache::from_home(sandbox.home.as_path()).load(&key).unwrap().unwrap();
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_ok(&out);
    assert_eq!(sandbox.mock.count(Operation::CreateToken), 1, "one refresh");
    let after = TokenCache::from_home(sandbox.home.as_path()).load(&key).unwrap().unwrap();
    assert_ne!(after.access_token.expose(), before.access_token.expose());
    assert!(after.expires_at > soon);
    // Every portal call used the refreshed token.
    for request in sandbox.mock.requests_for(Operation::ListAccountRoles) {
        assert_eq!(request.header("x-amz-sso_bearer_token"), Some(after.access_token.expose()));
    }
    assert_eq!(generated(&sandbox.config_text(), "corp").len(), 15);
}

#[test]
fn an_unknown_session_names_the_command_that_creates_it() {
    let sandbox = Sandbox::empty(MockConfig::default());
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "nope"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no `[sso-session nope]` section"), "{err}");
    assert!(err.contains("hint: `awsctx configure sso --sso-session nope` creates it"), "{err}");
}

#[test]
fn a_failing_account_writes_nothing() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(50));
    let before = sandbox.config_text();
    sandbox.mock.inject(Operation::ListAccountRoles, [Fault::Status(403)]);
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("ListAccountRoles"), "{err}");
    assert_eq!(err.lines().count(), 2, "one error line and its hint: {err}");
    assert!(err.lines().nth(1).is_some_and(|l| l.starts_with("hint: ")), "{err}");
    assert_eq!(sandbox.config_text(), before);
}

#[test]
fn throttling_never_loses_an_account() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(40).roles_per_account(2));
    // 24 throttles: the first 8 calls are refused 3 times each, more than the HTTP client's
    // attempts, so populate itself must come back to them.
    sandbox.mock.inject(Operation::ListAccountRoles, std::iter::repeat_n(Fault::Throttle, 24));
    sandbox.mock.inject(Operation::ListAccounts, [Fault::Throttle]);
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_ok(&out);
    let written: BTreeSet<_> = generated(&sandbox.config_text(), "corp").into_values().collect();
    assert_eq!(written, access_of(&sandbox.mock.accounts()));
    assert_eq!(sandbox.mock.count(Operation::ListAccountRoles), 40 + 24);
}

#[test]
fn a_rate_limited_portal_still_gives_every_account() {
    let sandbox =
        Sandbox::corp(MockConfig::default().accounts(70).roles_per_account(2).rate_limit(40));
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_ok(&out);
    let written: BTreeSet<_> = generated(&sandbox.config_text(), "corp").into_values().collect();
    assert_eq!(written, access_of(&sandbox.mock.accounts()));
    let throttled = sandbox
        .mock
        .requests_for(Operation::ListAccountRoles)
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert!(throttled > 0, "the limit was reached");
}

#[test]
fn requests_in_flight_are_bounded() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(40));
    sandbox.mock.inject(
        Operation::ListAccountRoles,
        std::iter::repeat_n(Fault::Slow(Duration::from_millis(150)), 40),
    );
    let mut child = sandbox.cmd(&["populate", "--sso-session", "corp"]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut most = 0;
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let in_flight = sandbox
            .mock
            .requests_for(Operation::ListAccountRoles)
            .iter()
            .filter(|r| r.status.is_none())
            .count();
        most = most.max(in_flight);
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(child.wait().unwrap().success());
    assert!((2..=8).contains(&most), "{most} requests in flight at most");
}

const BOTOCORE_SCRIPT: &str = r#"
import json, sys
import botocore.session
session = botocore.session.Session()
config = session.full_config
print(json.dumps({"profiles": config["profiles"], "sso_sessions": config.get("sso_sessions", {})}))
name = sys.argv[1]
creds = botocore.session.Session(profile=name).get_credentials().get_frozen_credentials()
print(creds.access_key[:4])
"#;

#[test]
fn botocore_parses_the_result_and_gets_credentials_with_it() {
    let Some(python) = crate::support::python_with("botocore") else { return };
    let sandbox = Sandbox::empty(MockConfig::default().accounts(120).roles_per_account(3));
    let mine = "# hand-written\n[default]\nregion = eu-west-1\n\n";
    sandbox.write_config(&format!("{mine}{}", sandbox.session_section("corp")));
    sandbox.seed_session("corp");
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp", "--region", "us-west-2"]));
    let ours = generated(&sandbox.config_text(), "corp");
    let (first, _) = ours.iter().next().unwrap();

    let mut py = sandbox.command(&python);
    py.args(["-c", BOTOCORE_SCRIPT, first]);
    let out = py.output().unwrap();
    assert_ok(&out);
    let text = stdout(&out);
    let mut lines = text.lines();
    let parsed: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let profiles = parsed["profiles"].as_object().unwrap();
    for (name, (id, role)) in &ours {
        let expected = serde_json::json!({
            "sso_session": "corp",
            "sso_account_id": id,
            "sso_role_name": role,
            "region": "us-west-2",
        });
        assert_eq!(profiles.get(name), Some(&expected), "botocore's view of `{name}`");
    }
    assert_eq!(profiles.len(), ours.len() + 1, "plus `default`");
    assert_eq!(parsed["profiles"]["default"]["region"], "eu-west-1");
    assert_eq!(parsed["sso_sessions"]["corp"]["sso_region"], "us-east-1");
    assert_eq!(lines.next(), Some("ASIA"), "botocore got role credentials from the mock");
    assert_eq!(sandbox.mock.count(Operation::GetRoleCredentials), 1);
}

#[test]
fn pruning_every_profile_removes_the_block() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(20));
    let before = sandbox.config_text();
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    assert_ne!(sandbox.config_text(), before);
    sandbox.mock.set_access(Vec::new());
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "corp", "--prune"]));
    assert_ok(&out);
    // The blank line that set the block off stays: it cannot be told from one of the user's.
    assert_eq!(sandbox.config_text(), format!("{before}\n"), "markers gone too");
    assert!(
        stderr(&out).contains("0 profiles (0 added, 30 removed, 0 unchanged)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn on_a_terminal_there_is_a_progress_bar_and_the_diff_is_coloured() {
    let sandbox = Sandbox::corp(MockConfig::default().accounts(40));
    let mut cmd = sandbox.cmd(&["populate", "--sso-session", "corp", "--dry-run"]);
    cmd.env_remove("NO_COLOR").env("TERM", "xterm");
    let mut p = expectrl::Session::spawn(cmd).expect("spawn in a PTY");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect("] 40/40 accounts").expect("progress bar");
    p.expect("\u{1b}[32m+# BEGIN awsctx managed: sso-session corp").expect("green additions");
    p.expect("(dry run): 60 profiles (60 added, 0 removed, 0 unchanged); nothing written")
        .expect("summary");
    p.expect(expectrl::Eof).unwrap();
}

#[test]
fn a_broken_block_is_an_error_naming_the_file_and_line() {
    let sandbox = Sandbox::corp(MockConfig::default());
    let broken = format!(
        "{}# BEGIN awsctx managed: sso-session corp\n[profile x]\nregion = eu-west-1\n",
        sandbox.session_section("corp")
    );
    sandbox.write_config(&broken);
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out).replace(&sandbox.shown(&sandbox.config_path()), "CONFIG");
    assert_eq!(
        err,
        "awsctx: error: `CONFIG`: line 5: managed block `sso-session corp` has no `# END awsctx managed: sso-session corp` line\n\
         hint: fix the marker lines (or delete the block between them) and run populate again\n"
    );
    assert_eq!(sandbox.config_text(), broken);
    assert_eq!(sandbox.mock.count(Operation::ListAccounts), 0, "found before any request");
}

/// `aws configure set KEY VALUE --profile NAME` as the AWS CLI does it: its own writer, from
/// the `awscli` package (the same `ConfigFileWriter` in v1 and v2).
const CONFIGURE_SET: &str = "\
import sys
from awscli.customizations.configure.writer import ConfigFileWriter
profile, key, value, path = sys.argv[1:]
ConfigFileWriter().update_config({'__section__': 'profile ' + profile, key: value}, path)
";

/// botocore's view of every profile: `full_config['profiles']`, as JSON.
const BOTOCORE_PROFILES: &str = "\
import json, botocore.session
print(json.dumps(botocore.session.Session().full_config['profiles']))
";

fn python(sandbox: &Sandbox, python: &std::path::Path, args: &[&str]) -> String {
    let out = sandbox.command(python).args(args).output().expect("run python");
    assert_ok(&out);
    stdout(&out)
}

fn botocore_profiles(
    sandbox: &Sandbox,
    python_path: &std::path::Path,
) -> serde_json::Map<String, serde_json::Value> {
    let text = python(sandbox, python_path, &["-c", BOTOCORE_PROFILES]);
    match serde_json::from_str(&text).expect("JSON") {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn settings_made_with_the_aws_cli_survive_populate_and_prune() {
    let Some(py) = crate::support::python_with("awscli") else { return };
    let sandbox = Sandbox::empty(MockConfig::default().accounts(8).roles_per_account(2));
    // `mine` ends up right above the block.
    sandbox.write_config(&format!(
        "{}\n[profile mine]\nregion = eu-west-1\n",
        sandbox.session_section("corp")
    ));
    sandbox.seed_session("corp");
    assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    let names: Vec<String> = generated(&sandbox.config_text(), "corp").into_keys().collect();
    let (first, middle, last) = (&names[0], &names[names.len() / 2], &names[names.len() - 1]);

    // The user's settings, made as a user makes them: `aws configure set`, and an editor.
    let path = sandbox.config_path().display().to_string();
    let set = |profile: &str, key: &str, value: &str| {
        python(&sandbox, &py, &["-c", CONFIGURE_SET, profile, key, value, &path]);
    };
    set(first, "region", "ap-south-1");
    set(middle, "output", "text");
    set(middle, "cli_pager", "");
    set(last, "output", "yaml");
    set("mine", "cli_pager", "less");
    let text = sandbox.config_text();
    let (begin, end) =
        ("# BEGIN awsctx managed: sso-session corp\n", "# END awsctx managed: sso-session corp\n");
    assert!(text.contains(&format!("{end}output = yaml\n")), "after the END marker:\n{text}");
    assert!(text.contains(&format!("{begin}cli_pager = less\n")), "after BEGIN:\n{text}");
    let header = format!("[profile {middle}]\n");
    sandbox.write_config(&text.replace(&header, &format!("{header}# mine: keep me\n")));
    let view = botocore_profiles(&sandbox, &py);
    assert_eq!(view[last.as_str()]["output"], "yaml", "botocore reads it as the last profile's");

    // Populate, and again: botocore sees every profile as before; the second run changes nothing.
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_ok(&out);
    assert_eq!(botocore_profiles(&sandbox, &py), view);
    let once = sandbox.config_text();
    assert_eq!(once.matches("# mine: keep me\n").count(), 1);
    assert!(once.contains(&format!("output = yaml\n{end}")), "moved into the block:\n{once}");
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_ok(&out);
    assert!(stderr(&out).contains("already up to date"), "{}", stderr(&out));
    assert_eq!(sandbox.config_text(), once);

    // The last profile's access goes; `--prune` removes it and names the user's setting.
    let field = |key: &str| view[last.as_str()][key].as_str().unwrap().to_owned();
    let (gone_account, gone_role) = (field("sso_account_id"), field("sso_role_name"));
    let mut accounts = sandbox.mock.accounts();
    for account in accounts.iter_mut().filter(|a| a.id == gone_account) {
        account.roles.retain(|r| *r != gone_role);
    }
    sandbox.mock.set_access(accounts);
    let out = sandbox.run(&["populate", "--sso-session", "corp", "--prune"]);
    assert_ok(&out);
    let backup = sandbox.home.as_path().join(".aws/config.awsctx.bak");
    assert!(
        stderr(&out).contains(&format!(
            "awsctx: populate corp: removed `{last}` with settings of yours: `output`; `{}` keeps them\n",
            sandbox.shown(&backup)
        )),
        "{}",
        stderr(&out)
    );
    let mut expected = view.clone();
    expected.remove(last.as_str());
    assert_eq!(botocore_profiles(&sandbox, &py), expected, "no profile lost or gained a key");
    assert!(std::fs::read_to_string(&backup).unwrap().contains("output = yaml"));
}
