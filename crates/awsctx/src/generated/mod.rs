//! What `populate` and `configure sso` share about the profiles they generate: what a login
//! can reach ([`access`]), the one naming rule ([`names`]), and the managed block a profile
//! was written in.

use awsctx_core::config::{Config, ConfigDocument};

pub(crate) mod access;
pub(crate) mod names;

pub(crate) use names::DEFAULT_TEMPLATE;

/// The id in the block's markers: `# BEGIN awsctx managed: sso-session NAME`.
pub(crate) fn block_id(session: &str) -> String {
    format!("sso-session {session}")
}

/// The session whose managed block defines profile `name`, if one does, with the account id
/// and role name the profile has there: the next `populate` rewrites those, and keeps the
/// rest.
pub(crate) fn populated_by(
    document: &ConfigDocument,
    sessions: impl IntoIterator<Item = String>,
    name: &str,
) -> Option<(String, Option<String>, Option<String>)> {
    sessions.into_iter().find_map(|session| {
        let block = document.managed_block(&block_id(&session)).ok()??;
        let config = Config::from_sources(&block, "").ok()?;
        let profile = config.profile(name)?;
        let value = |key: &str| profile.get(key).map(str::to_owned);
        Some((session, value("sso_account_id"), value("sso_role_name")))
    })
}
