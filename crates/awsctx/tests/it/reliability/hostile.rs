//! Hostile input: a failed write on a hostile config changes none of its bytes; corrupt cache
//! entries count as missing.

use std::path::Path;
use std::process::Stdio;

use awsctx_core::cache::TokenKey;
use awsctx_core::config::{Config, ConfigDocument};
use awsctx_tests::{MockConfig, Operation};
use jiff::SignedDuration;
use proptest::prelude::*;

use super::awsctx;
use super::crash::{cli_credentials, credential_process, expired_credentials, stray_temps};
use crate::support::{Sandbox, stderr};

/// Lines of a hostile config that still parses: values and names meant for a shell, marker
/// look-alikes, names that collide with generated ones. `CANARY` becomes the path of a file
/// that must never appear (nothing awsctx does may run what a config says).
const HOSTILE_LINES: &[&str] = &[
    "region = $(touch CANARY)",
    "credential_process = sh -c 'touch CANARY'",
    "[profile `touch CANARY`]",
    "[profile a'b\"c;d|e&&f]",
    "[profile payments-prod-AdministratorAccess]",
    "[profile é日本🙂]",
    "[default]",
    "[profile default]",
    "# BEGIN awsctx managed: sso-session other",
    "# END awsctx managed: sso-session other",
    "; a comment",
    "",
];

/// Lines that break the config or a managed block.
const BROKEN_LINES: &[&str] = &[
    "[profile broken",
    "no equals sign here",
    "# BEGIN awsctx managed: sso-session corp",
    "# END awsctx managed: sso-session corp",
    "[sso-session corp]",
    "sso_region = moon-1",
    "key\u{0}with nul = v",
];

/// A hostile config: maybe the session the mock serves first, then lines (hostile, or now
/// and then broken) with any line endings; sometimes bytes that are not UTF-8.
#[derive(Debug, Clone)]
struct HostileConfig {
    with_session: bool,
    lines: Vec<(&'static str, &'static str)>,
    not_utf8: bool,
}

impl HostileConfig {
    fn strategy() -> impl Strategy<Value = Self> {
        let line = prop_oneof![
            4 => prop::sample::select(HOSTILE_LINES),
            1 => prop::sample::select(BROKEN_LINES),
        ];
        let ending = prop::sample::select(&["\n", "\r\n", ""][..]);
        (
            prop::bool::weighted(0.8),
            prop::collection::vec((line, ending), 1..6),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(with_session, lines, not_utf8)| Self {
                with_session,
                lines,
                not_utf8,
            })
    }

    fn bytes(&self, sb: &Sandbox, canary: &Path) -> Vec<u8> {
        let mut text = String::new();
        if self.with_session {
            text.push_str(&sb.default_config());
        }
        for (line, ending) in &self.lines {
            text.push_str(&line.replace("CANARY", &canary.display().to_string()));
            // A line without an ending is one whose next line continues it.
            text.push_str(if ending.is_empty() { " " } else { ending });
        }
        let mut bytes = text.into_bytes();
        if self.not_utf8 {
            let at = bytes.len() / 2;
            bytes.splice(at..at, *b"\xff\xfe");
        }
        bytes
    }
}

/// The config without the corp block, for comparing what is outside it.
fn outside_corp_block(text: &str) -> Option<String> {
    let mut doc = ConfigDocument::parse(text);
    doc.remove_managed_block("sso-session corp").ok()?;
    Some(doc.text().trim_end_matches(['\r', '\n']).to_owned())
}

#[test]
fn a_failed_populate_or_configure_never_changes_a_byte_of_a_hostile_config() {
    let sb = Sandbox::with(MockConfig::default().accounts(2));
    sb.seed_token(SignedDuration::from_hours(8));
    let canary = sb.path("CANARY");
    let config = sb.path(".aws/config");
    let backup = sb.path(".aws/config.awsctx.bak");
    let (account, role) = (sb.account.clone(), sb.role.clone());
    let commands: [Vec<&str>; 2] = [
        vec!["populate", "--sso-session", "corp"],
        vec![
            "configure",
            "sso",
            "--sso-session",
            "corp",
            "--account-id",
            &account,
            "--role-name",
            &role,
            "--profile",
            "mine",
            "--non-interactive",
        ],
    ];
    let (failed, succeeded) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&HostileConfig::strategy(), |hostile| {
        let before = hostile.bytes(&sb, &canary);
        for args in &commands {
            std::fs::write(&config, &before).unwrap();
            let _ = std::fs::remove_file(&backup);
            let out = awsctx(&sb).args(args).stdin(Stdio::null()).output().unwrap();
            let err = stderr(&out);
            prop_assert!(!err.contains("panicked at"), "{}", err);
            prop_assert!(!canary.exists(), "a config value was run: {}", err);
            let after = std::fs::read(&config).unwrap();
            if out.status.success() {
                succeeded.set(succeeded.get() + 1);
                // Only the corp block (populate) or the named sections (configure) changed.
                let (before, after) =
                    (String::from_utf8(before.clone()).unwrap(), String::from_utf8(after).unwrap());
                Config::from_sources(&after, "").map_err(|e| TestCaseError::fail(e.to_string()))?;
                if args[0] == "populate" {
                    prop_assert_eq!(outside_corp_block(&after), outside_corp_block(&before));
                }
            } else {
                failed.set(failed.get() + 1);
                prop_assert!(matches!(out.status.code(), Some(1 | 2)), "{:?}", out.status);
                prop_assert!(err.contains("error"), "{}", err);
                prop_assert!(
                    after == before,
                    "{} changed the config: {}\n--- before\n{}\n--- after\n{}",
                    args[0],
                    err,
                    String::from_utf8_lossy(&before),
                    String::from_utf8_lossy(&after)
                );
                prop_assert!(!backup.exists(), "a backup was written");
                prop_assert_eq!(
                    stray_temps(&sb.path(".aws"), &["config", "sso", "cli", ".config.awsctx.lock"]),
                    0
                );
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (failed, succeeded) = (failed.get(), succeeded.get());
    eprintln!("hostile configs: {failed} failed runs, {succeeded} successful runs");
    assert!(failed > 0 && succeeded > 0, "the cases reach both outcomes");
}

/// How a cache file is corrupted: random bytes, or the real entry cut short.
#[derive(Debug, Clone)]
enum Corrupt {
    Bytes(Vec<u8>),
    Cut(usize),
}

impl Corrupt {
    fn strategy() -> impl Strategy<Value = Self> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64).prop_map(Corrupt::Bytes),
            (0..10_000_usize).prop_map(Corrupt::Cut),
        ]
    }

    fn apply(&self, good: &[u8]) -> Vec<u8> {
        match self {
            Corrupt::Bytes(bytes) => bytes.clone(),
            Corrupt::Cut(at) => good[..at % good.len()].to_vec(),
        }
    }
}

/// A corrupt role-credential entry counts as missing: the keys are fetched again and the
/// entry replaced whole. A corrupt token is no login: nothing is sent, nothing deleted.
#[test]
fn corrupt_cache_entries_count_as_missing_and_are_replaced_whole() {
    let sb = Sandbox::new();
    sb.seed_token(SignedDuration::from_hours(8));
    let creds_path = sb.credential_cache().path(&sb.dev_key());
    let token_path = sb.tokens().path(&TokenKey::Session("corp".into()));
    let good_token = std::fs::read(&token_path).unwrap();
    sb.seed_credentials(&expired_credentials(&sb));
    let good_creds = std::fs::read(&creds_path).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&(Corrupt::strategy(), Corrupt::strategy()), |(creds, token)| {
        // Role credentials: fetched again, written whole.
        std::fs::write(&token_path, &good_token).unwrap();
        std::fs::write(&creds_path, creds.apply(&good_creds)).unwrap();
        let calls = sb.mock.count(Operation::GetRoleCredentials);
        let out = credential_process(&sb).output().unwrap();
        prop_assert!(out.status.success(), "{}", stderr(&out));
        prop_assert_eq!(stderr(&out), "");
        prop_assert_eq!(sb.mock.count(Operation::GetRoleCredentials), calls + 1);
        let entry = cli_credentials(&std::fs::read(&creds_path).unwrap());
        prop_assert!(entry.is_ok(), "the entry was not replaced whole");
        // A corrupt token: the login is missing.
        let bytes = token.apply(&good_token);
        std::fs::write(&token_path, &bytes).unwrap();
        std::fs::remove_file(&creds_path).unwrap();
        let out = credential_process(&sb).output().unwrap();
        prop_assert_eq!(out.status.code(), Some(1));
        prop_assert_eq!(
            stderr(&out),
            "awsctx: error: SSO session `corp` is not logged in\nhint: run `awsctx login --sso-session corp`\n"
        );
        prop_assert_eq!(std::fs::read(&token_path).unwrap(), bytes, "the token file was touched");
        prop_assert_eq!(sb.mock.count(Operation::GetRoleCredentials), calls + 1);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
