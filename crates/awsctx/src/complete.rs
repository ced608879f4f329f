//! Dynamic completion candidates (profile names, account ids), read from the config on each
//! TAB. Never fails loudly: a config that cannot be read completes nothing. A name with a
//! control character is not offered: the shell would show it raw, and an escaped name would
//! not be the profile's.

use std::ffi::OsStr;

use awsctx_core::config::{Config, ConfigPaths};
use awsctx_core::env::Env;
use awsctx_core::lookup::{Found, Identity, Query, is_account_id};
use clap_complete::CompletionCandidate;

fn load() -> Option<Config> {
    let env = Env::from_process();
    Config::load(&ConfigPaths::from_env(&env).ok()?).ok()
}

pub(crate) fn profile_candidates() -> Vec<CompletionCandidate> {
    load().map_or_else(Vec::new, |config| names(&config, ""))
}

/// The profile names starting with `prefix`, their kind as the help.
fn names(config: &Config, prefix: &str) -> Vec<CompletionCandidate> {
    config
        .profiles
        .keys()
        .filter(|name| name.starts_with(prefix))
        .filter(|name| !name.chars().any(awsctx_core::text::is_unsafe))
        .map(|name| {
            let help = config.kind(name).ok().map(|kind| kind.label().into());
            CompletionCandidate::new(name.as_str()).help(help)
        })
        .collect()
}

/// Where a profile is wanted and an account id stands for one: digits complete to the account
/// ids that start with them (their profiles as the help), and a whole account id or ARN
/// completes to its profiles (the shell replaces the word: bash and zsh).
pub(crate) fn profile_or_account(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else { return Vec::new() };
    let Some(config) = load() else { return Vec::new() };
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
    if !current.is_empty() && current.bytes().all(|b| b.is_ascii_digit()) && current.len() < 12 {
        let mut accounts: Vec<(&str, Vec<&str>)> = Vec::new();
        for profile in config.profiles.values() {
            let Some(account) = Identity::of(profile).account else { continue };
            if !is_account_id(account) || !account.starts_with(current) {
                continue;
            }
            match accounts.iter_mut().find(|(a, _)| *a == account) {
                Some((_, names)) => names.push(&profile.name),
                None => accounts.push((account, vec![&profile.name])),
            }
        }
        out.extend(accounts.into_iter().map(|(account, names)| {
            CompletionCandidate::new(account).help(Some(names.join(", ").into()))
        }));
    }
    out.extend(names(&config, current));
    out
}
