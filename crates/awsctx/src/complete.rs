//! Dynamic completion candidates (profile names), read from the config on each TAB.

use clap_complete::CompletionCandidate;

pub(crate) fn profile_candidates() -> Vec<CompletionCandidate> {
    Vec::new()
}
