//! Dynamic completion candidates (profile names, account ids), read on each TAB. Profile
//! names come from the section headers alone, so a config of 10 000 profiles completes as
//! fast as one of ten; only digits or an ARN (account ids stand for profiles) read the whole
//! config. Never fails loudly: a config that cannot be read completes nothing. A name with a
//! control character is not offered: the shell would show it raw, and an escaped name would
//! not be the profile's.

use std::ffi::OsStr;

use awsctx_core::config::{Config, ConfigPaths, profile_names};
use awsctx_core::env::Env;
use awsctx_core::lookup::{Found, Identity, Query, is_account_id};
use clap_complete::CompletionCandidate;

fn paths() -> Option<ConfigPaths> {
    ConfigPaths::from_env(&Env::from_process()).ok()
}

pub(crate) fn profile_candidates() -> Vec<CompletionCandidate> {
    paths().map_or_else(Vec::new, |paths| names(&paths, ""))
}

/// The profile names starting with `prefix`, from the section headers.
fn names(paths: &ConfigPaths, prefix: &str) -> Vec<CompletionCandidate> {
    let Ok(names) = profile_names(paths, prefix) else { return Vec::new() };
    names
        .into_iter()
        .filter(|name| !name.chars().any(awsctx_core::text::is_unsafe))
        .map(CompletionCandidate::new)
        .collect()
}

/// Where a profile is wanted and an account id stands for one: digits complete to the account
/// ids that start with them (their profiles as the help), and a whole account id or ARN
/// completes to its profiles (the shell replaces the word: bash and zsh).
pub(crate) fn profile_or_account(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else { return Vec::new() };
    let Some(paths) = paths() else { return Vec::new() };
    let digits = !current.is_empty() && current.bytes().all(|b| b.is_ascii_digit());
    if !digits && !current.starts_with("arn:") {
        return names(&paths, current);
    }
    // Account ids are in the profiles' keys: only now is the whole config read.
    let Ok(config) = Config::load(&paths) else { return Vec::new() };
    if config.profile(current).is_none()
        && let Some(Ok(query)) = Query::parse(current)
    {
        let found = awsctx_core::lookup::find(&config, &query);
        if let Found::Matches(matches) = found {
            return matches
                .iter()
                .map(|c| {
                    CompletionCandidate::new(c.profile).help(c.role.map(|r| r.to_owned().into()))
                })
                .collect();
        }
    }
    let mut out: Vec<CompletionCandidate> = Vec::new();
    if digits && current.len() < 12 {
        let mut accounts: Vec<(&str, Vec<&str>)> = Vec::new();
        for profile in config.profiles() {
            let Some(account) = Identity::of(&profile).account else { continue };
            if !is_account_id(account) || !account.starts_with(current) {
                continue;
            }
            match accounts.iter_mut().find(|(a, _)| *a == account) {
                Some((_, names)) => names.push(profile.name()),
                None => accounts.push((account, vec![profile.name()])),
            }
        }
        out.extend(accounts.into_iter().map(|(account, names)| {
            CompletionCandidate::new(account).help(Some(names.join(", ").into()))
        }));
    }
    out.extend(names(&paths, current));
    out
}
