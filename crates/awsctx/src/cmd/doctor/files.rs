//! The config, the SSO logins and the modes of the files awsctx and the AWS CLI keep.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use awsctx_core::cache::{CredentialCache, TokenCache};
use awsctx_core::config::{Config, ProfileError, ProfileKind};
use awsctx_core::file::{Distrust, judge_file, judge_folder};
use awsctx_login::provider::{CredentialProvider, LoginSession, TokenState};
use jiff::Timestamp;

use super::{Report, count, shell_path};
use crate::switcher::time_left;

pub(super) fn check_config(config: &Config, report: &mut Report) {
    let existing: Vec<String> = [&config.paths.config, &config.paths.credentials]
        .into_iter()
        .filter(|path| path.exists())
        .map(|path| format!("`{}`", crate::ui::at_home(path)))
        .collect();
    if config.profiles().len() == 0 && config.sso_session_sections().len() == 0 {
        let files = format!(
            "`{}` or `{}`",
            crate::ui::at_home(&config.paths.config),
            crate::ui::at_home(&config.paths.credentials)
        );
        report.fail(format!("config: no profiles in {files}; `awsctx configure sso` sets one up"));
    } else {
        let verb = if existing.len() == 1 { "parses" } else { "parse" };
        report.ok(format!(
            "config: {} {verb}: {}, {}",
            existing.join(" and "),
            count(config.profiles().len(), "profile"),
            count(config.sso_session_sections().len(), "sso-session")
        ));
    }
    for warning in config.warnings() {
        report.fail(format!("config: {warning}"));
    }
    let mut in_cycles: BTreeSet<String> = BTreeSet::new();
    for name in config.profiles().map(|p| p.name()) {
        let problem = match config.kind(name) {
            Ok(ProfileKind::SettingsOnly) => continue,
            Ok(_) => config.credential_chain(name).err(),
            Err(error) => Some(error),
        };
        let fix = match &problem {
            None => continue,
            // One line per loop, not one per profile on it.
            Some(ProfileError::Cycle { cycle }) => {
                if in_cycles.contains(name) {
                    continue;
                }
                in_cycles.extend(cycle.iter().cloned());
                "point one of their `source_profile`s elsewhere"
            }
            Some(_) => "fix that line",
        };
        if let Some(error) = problem {
            report.fail(format!("config: {error}; {fix}"));
        }
    }
}

/// Every SSO login the config uses: its `[sso-session]`s, and the start URLs of legacy
/// profiles (once each), with a profile whose endpoint settings apply.
pub(super) fn logins(config: &Config, report: &mut Report) -> Vec<(LoginSession, Option<String>)> {
    let mut found = Vec::new();
    for name in config.sso_session_sections().map(|s| s.name()) {
        match config.sso_session(name) {
            Ok(session) => {
                let profile =
                    config.profiles_using_sso_session(name).next().map(|p| p.name().to_owned());
                found.push((LoginSession::Session(session), profile));
            }
            Err(error) => report.fail(format!("sso-session `{name}`: {error}; fix the section")),
        }
    }
    let mut start_urls = BTreeSet::new();
    for name in config.profiles().map(|p| p.name()) {
        if let Ok(kind @ ProfileKind::LegacySso { .. }) = config.kind(name)
            && let Some(session) = LoginSession::of_kind(name, &kind)
            && start_urls.insert(session.start_url().to_owned())
        {
            found.push((session, Some(name.to_owned())));
        }
    }
    found
}

pub(super) fn check_logins(
    sessions: &[(LoginSession, Option<String>)],
    provider: &CredentialProvider<'_>,
    now: Timestamp,
    report: &mut Report,
) {
    for (session, _) in sessions {
        let what = match session {
            LoginSession::Session(session) => format!("sso-session `{}`", session.name),
            LoginSession::Legacy { profile, start_url, .. } => {
                format!("SSO login of profile `{profile}` (`{start_url}`)")
            }
        };
        let login = crate::hints::login_command(&session.target());
        let renews = provider
            .token_cache()
            .load(&session.token_key())
            .ok()
            .flatten()
            .is_some_and(|token| session.session_name().is_some() && token.can_refresh(now));
        match provider.token_state(&session.token_key()) {
            Ok(TokenState::Valid { expires_at }) => {
                let left = time_left(expires_at.duration_since(now).as_secs());
                let left = left.trim_end_matches(" left");
                let renews = if renews { ", then renews itself" } else { "" };
                report.ok(format!("{what}: logged in, valid for {left}{renews}"));
            }
            Ok(TokenState::Refreshable { .. }) => report.ok(format!(
                "{what}: token expired but refreshable; the next command renews it without a login"
            )),
            Ok(TokenState::Expired { .. }) => {
                report.fail(format!("{what}: login expired; run `{login}`"));
            }
            Ok(TokenState::Missing) => report.fail(format!("{what}: not logged in; run `{login}`")),
            Err(error) => report.fail(format!("{what}: {error}; run `{login}` to write it anew")),
        }
    }
}

/// Token and credential files must be yours alone (0600); their directories must not be
/// writable by others (0700 is what awsctx makes; the AWS CLI leaves them 0755, which is fine:
/// the names are hashes). The same for awsctx's state and lock files. A link, a FIFO or
/// another user's file where awsctx keeps its own is named too: awsctx ignores it.
pub(super) fn check_file_modes(home: Option<&Path>, state: Option<&Path>, report: &mut Report) {
    let Some(home) = home else {
        report.fail("file modes: `HOME` is not set, so the caches cannot be found; set `HOME`");
        return;
    };
    let (tokens, credentials) = (TokenCache::from_home(home), CredentialCache::from_home(home));
    let mut folders: Vec<(PathBuf, &str)> =
        vec![(tokens.dir().to_owned(), ".json"), (credentials.dir().to_owned(), ".json")];
    if let Some(state) = state {
        folders.push((state.to_owned(), ""));
        folders.push((state.join("locks"), ".lock"));
        // The Nushell hook's markers of the `changes` line: empty files named by it.
        folders.push((state.join("changes.d"), ""));
    }
    let mut checked = 0;
    let mut bad = false;
    let mut flag = |path: &Path, what: String, fix: String, report: &mut Report| {
        bad = true;
        report.fail(format!("file modes: `{}` {what}; run `{fix}`", crate::ui::at_home(path)));
    };
    for (dir, suffix) in folders {
        let Ok(meta) = std::fs::metadata(&dir) else { continue };
        let shown = shell_path(&dir, home);
        match judge_folder(&dir, &meta) {
            Some(Distrust::OpenFolder { mode, .. }) => {
                let what = format!("is writable by other users ({mode:04o})");
                flag(&dir, what, format!("chmod 700 {shown}"), report);
                continue;
            }
            Some(Distrust::ForeignFolder { uid, .. }) => {
                let what =
                    format!("belongs to uid {uid}, not to you: awsctx ignores what it holds");
                flag(&dir, what, format!("mv {shown} {shown}.not-mine"), report);
                continue;
            }
            _ => {}
        }
        let is_cache = suffix == ".json";
        for file in own_files(&dir, suffix) {
            let Ok(meta) = std::fs::symlink_metadata(&file) else { continue };
            let shown = shell_path(&file, home);
            let ignored = match judge_file(&meta) {
                Some(Distrust::Symlink) => "is a symbolic link".to_owned(),
                Some(Distrust::NotRegular { kind }) => format!("is a {kind}, not a regular file"),
                Some(Distrust::ForeignOwner { uid }) => format!("belongs to uid {uid}, not to you"),
                Some(_) => continue,
                None => {
                    checked += usize::from(is_cache);
                    let mode = meta.permissions().mode() & 0o7777;
                    if mode & 0o077 != 0 {
                        let what = format!("is open to other users ({mode:04o})");
                        flag(&file, what, format!("chmod 600 {shown}"), report);
                    }
                    continue;
                }
            };
            let rm = if meta.is_dir() { "rm -r" } else { "rm" };
            flag(&file, format!("{ignored}: awsctx ignores it"), format!("{rm} {shown}"), report);
        }
    }
    let credentials = home.join(".aws/credentials");
    if let Ok(meta) = std::fs::metadata(&credentials) {
        checked += 1;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            let what = format!("is open to other users ({mode:04o})");
            flag(
                &credentials,
                what,
                format!("chmod 600 {}", shell_path(&credentials, home)),
                report,
            );
        }
    }
    if !bad {
        report.ok(format!(
            "file modes: tokens and keys are private to you ({})",
            count(checked, "file")
        ));
    }
}

/// The files awsctx keeps in `dir`: names ending in `suffix` (any name for ""), without
/// hidden ones (temp files) and without the folders awsctx makes itself (checked on their
/// own), sorted.
fn own_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.')
                && name.ends_with(suffix)
                && !(matches!(&*name, "locks" | "changes.d")
                    && e.file_type().is_ok_and(|t| t.is_dir()))
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}
