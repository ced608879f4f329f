//! Which profile is current, and what the config says about one profile, resolved: the
//! facts a switch reports and the production pattern is matched against.

use crate::arn;
use crate::config::{Config, ProfileKind};
use crate::env::Env;
use crate::switch::var;

/// The profile in effect in a shell, and the variable that says so: the one awsctx set there
/// (`_AWSCTX_PROFILE`: in `AWSCTX_EXPORT=keys` mode it is the only one that names the keys'
/// profile), then `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE` (the AWS CLI v2 order). Empty
/// values count as unset. Every command asks this one rule.
pub fn current_profile_from(env: &Env) -> Option<(&str, &'static str)> {
    [var::PROFILE, "AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
        .into_iter()
        .find_map(|name| env.get(name).map(|profile| (profile, name)))
}

/// The profile in effect (see [`current_profile_from`]).
pub fn current_profile(env: &Env) -> Option<&str> {
    current_profile_from(env).map(|(profile, _)| profile)
}

/// The profile a command without `--profile` uses: the current one, else `default`.
pub fn selected_profile(env: &Env) -> String {
    current_profile(env).unwrap_or("default").to_owned()
}

/// What the config says about a profile: its account, role and region, and the login that
/// gives its keys.
#[derive(Debug, Default)]
pub struct ProfileFacts {
    pub account: Option<String>,
    pub account_name: Option<String>,
    pub role: Option<String>,
    pub region: Option<String>,
    /// The SSO session (or legacy start URL) whose login gives the keys.
    pub session: Option<String>,
}

impl ProfileFacts {
    /// As the config resolves `profile` (its `sso-session`, its `role_arn`); what cannot be
    /// resolved is left out.
    pub fn of(config: &Config, profile: &str) -> Self {
        let p = config.profile(profile);
        let mut facts = Self {
            region: p.and_then(|p| p.get("region")).map(str::to_owned),
            account_name: p.and_then(|p| p.get("sso_account_name")).map(str::to_owned),
            ..Self::default()
        };
        match config.kind(profile) {
            Ok(ProfileKind::Sso { session, account_id, role_name }) => {
                facts.account = Some(account_id);
                facts.role = Some(role_name);
                facts.session = Some(session.name);
            }
            Ok(ProfileKind::LegacySso { start_url, account_id, role_name, .. }) => {
                facts.account = Some(account_id);
                facts.role = Some(role_name);
                facts.session = Some(start_url);
            }
            Ok(ProfileKind::AssumeRole { role_arn, .. }) => {
                facts.account = arn::account_of(&role_arn).map(str::to_owned);
                facts.role = arn::role_of(&role_arn).map(str::to_owned);
            }
            Ok(ProfileKind::Static { account_id, .. }) => facts.account = account_id,
            _ => {}
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_awsctx_set_wins_then_aws_profile_then_aws_default_profile() {
        let env = Env::from_pairs([("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]);
        assert_eq!(selected_profile(&env), "a");
        assert_eq!(selected_profile(&Env::from_pairs([("AWS_DEFAULT_PROFILE", "b")])), "b");
        assert_eq!(selected_profile(&Env::from_pairs([("AWS_PROFILE", "")])), "default");
        let hooked = Env::from_pairs([(var::PROFILE, "keys-only"), ("AWS_PROFILE", "a")]);
        assert_eq!(current_profile_from(&hooked), Some(("keys-only", var::PROFILE)));
        assert_eq!(current_profile(&Env::default()), None);
    }

    #[test]
    fn role_profiles_take_account_and_role_from_the_arn() {
        let config = Config::from_sources(
            "[profile ops]\nrole_arn = arn:aws:iam::777788889999:role/team/Deployer\nsource_profile = base\nregion = eu-west-1\n\
             [profile base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n",
            "",
        )
        .unwrap();
        let facts = ProfileFacts::of(&config, "ops");
        assert_eq!(facts.account.as_deref(), Some("777788889999"));
        assert_eq!(facts.role.as_deref(), Some("Deployer"));
        assert_eq!(facts.region.as_deref(), Some("eu-west-1"));
    }
}
