//! Dynamic completion candidates (profile names), read from the config on each TAB. Never
//! fails loudly: a config that cannot be read completes nothing. A name with a control
//! character is not offered: the shell would show it raw, and an escaped name would not be
//! the profile's.

use awsctx_core::config::{Config, ConfigPaths};
use awsctx_core::env::Env;
use clap_complete::CompletionCandidate;

pub(crate) fn profile_candidates() -> Vec<CompletionCandidate> {
    let env = Env::from_process();
    let Ok(paths) = ConfigPaths::from_env(&env) else { return Vec::new() };
    let Ok(config) = Config::load(&paths) else { return Vec::new() };
    config
        .profiles
        .keys()
        .filter(|name| !name.chars().any(awsctx_core::text::is_unsafe))
        .map(|name| {
            let help = config.kind(name).ok().map(|kind| kind.label().into());
            CompletionCandidate::new(name.as_str()).help(help)
        })
        .collect()
}
