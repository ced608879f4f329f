//! What a profile puts in the shell's environment, and when its keys are due again.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{ExportMode, MANAGED, SavedEnv, raw};
use crate::cache::{REUSE_WINDOW, RoleCredentials};
use crate::env::Env;
use crate::shell::EnvChange;
use crate::time::format_export;

/// What a profile puts in the environment.
#[derive(Debug, Clone, Copy)]
pub struct ProfileEnv<'a> {
    pub profile: &'a str,
    /// The profile's `region`.
    pub region: Option<&'a str>,
    /// Its keys; `None` when they cannot be had (they are unset then, never left behind).
    pub keys: Option<&'a RoleCredentials>,
}

/// The statements that give the shell `target` under `mode`, from what `env` has now. A
/// variable the profile does not set takes the user's own value from `saved` (the region), or
/// is unset (keys: never another identity's).
pub fn managed_changes(
    mode: ExportMode,
    target: &ProfileEnv<'_>,
    saved: &SavedEnv,
    env: &Env,
) -> Vec<EnvChange> {
    let mut want: BTreeMap<&str, Option<String>> = BTreeMap::new();
    want.insert("AWS_PROFILE", (mode != ExportMode::Keys).then(|| target.profile.to_owned()));
    let keys = target.keys.filter(|_| mode.wants_keys());
    want.insert("AWS_ACCESS_KEY_ID", keys.map(|k| k.access_key_id().to_owned()));
    want.insert("AWS_SECRET_ACCESS_KEY", keys.map(|k| k.secret_access_key().expose().to_owned()));
    want.insert(
        "AWS_SESSION_TOKEN",
        keys.and_then(RoleCredentials::session_token).map(|t| t.expose().to_owned()),
    );
    want.insert(
        "AWS_CREDENTIAL_EXPIRATION",
        keys.and_then(RoleCredentials::expiration).map(format_export),
    );
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        let value = target.region.or_else(|| saved.get(name)).map(str::to_owned);
        want.insert(name, value);
    }
    diff_managed(env, &want)
}

pub(super) fn diff_managed(env: &Env, want: &BTreeMap<&str, Option<String>>) -> Vec<EnvChange> {
    MANAGED
        .iter()
        .filter_map(|&name| match (raw(env, name), want.get(name).and_then(Option::as_deref)) {
            (Some(have), Some(value)) if have == value => None,
            (_, Some(value)) => Some(EnvChange::set(name, value)),
            (Some(_), None) => Some(EnvChange::unset(name)),
            (None, None) => None,
        })
        .collect()
}

/// When the hook must refresh keys expiring at `expiration`: 15 minutes before (the AWS
/// CLI's reuse window); keys already inside the window are retried `retry` seconds from `now`
/// (one refresh a minute, not one per prompt).
pub fn refresh_due(expiration: Timestamp, now: Timestamp, retry: i64) -> i64 {
    let due = expiration.as_second() - REUSE_WINDOW.as_secs();
    if due > now.as_second() { due } else { now.as_second() + retry }
}
