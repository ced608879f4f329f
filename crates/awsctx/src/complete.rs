//! Dynamic completion candidates (profile names), read from the config on each TAB. Never
//! fails loudly: a config that cannot be read completes nothing.

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
        .map(|name| {
            let help = config.kind(name).ok().map(|kind| kind.label().into());
            CompletionCandidate::new(name.as_str()).help(help)
        })
        .collect()
}
