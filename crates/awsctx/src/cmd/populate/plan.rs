//! From the access an SSO login has and the managed block as it is, the profiles the block
//! should hold and what changes: a pure function, so every rule is tested without a network.
//!
//! Rules: one modern profile per account × role (`sso_session`, `sso_account_id`,
//! `sso_role_name`, and `region` where given; never `sso_start_url`/`sso_region`). Populate
//! owns those keys and the header, nothing else: the editor keeps every other line of a
//! generated profile (see [`ConfigDocument::set_managed_block`]). Names come from the template
//! (see [`crate::generated::names`]); a profile whose name changes (another account now shares its name,
//! another template) keeps its lines under the new name. A name defined outside the block is
//! never taken: that profile is skipped; an account × role that a profile outside the block
//! already gives through this session gets no second profile. Profiles of the block whose
//! access is gone are kept, unless pruning; a removed profile that held settings of the
//! user's is named with them. `--region` goes into every generated profile; without it the
//! session's default region (chosen in `configure sso`) goes into new ones only, so a region
//! the user set stays. Profiles are sorted by name, so a run with the same access changes
//! nothing.
//!
//! [`ConfigDocument::set_managed_block`]: awsctx_core::config::ConfigDocument::set_managed_block

use std::collections::{BTreeMap, HashMap, HashSet};

use awsctx_core::config::{Config, ManagedProfile, Profile};

use crate::generated::access::{AccountAccess, is_account_id, is_role_name};
use crate::generated::names::{Candidate, NameValues, Template, assign, normalise};

/// The keys populate always writes (`region` too, when it is given).
const ACCESS_KEYS: [&str; 3] = ["sso_session", "sso_account_id", "sso_role_name"];

/// What the user asked for.
#[derive(Debug, Clone)]
pub(crate) struct Settings<'a> {
    pub(crate) session: &'a str,
    pub(crate) template: &'a Template,
    pub(crate) prefix: &'a str,
    /// `--region`: written into every generated profile.
    pub(crate) region: Option<&'a str>,
    /// The session's default region: written into new profiles when there is no `--region`.
    pub(crate) default_region: Option<&'a str>,
    pub(crate) prune: bool,
}

/// What is defined outside the block (the rest of the config file, other sessions' blocks,
/// the credentials file).
#[derive(Debug, Clone, Default)]
pub(crate) struct Outside {
    pub(crate) names: HashSet<String>,
    /// (account id, role name) → the first profile giving it through this session.
    pub(crate) access: HashMap<(String, String), String>,
}

/// A generated profile not written because its name is defined outside the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) name: String,
    pub(crate) account_id: String,
    pub(crate) role_name: String,
}

/// An account × role given no profile because one outside the block gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Covered {
    pub(crate) account_id: String,
    pub(crate) role_name: String,
    pub(crate) by: String,
}

/// A removed profile that held settings of the user's: its name and their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LostSettings {
    pub(crate) profile: String,
    pub(crate) keys: Vec<String>,
}

/// The block's new profiles and how they differ from the old ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Every profile of the new block, sorted by name (none: no block).
    pub(crate) profiles: Vec<ManagedProfile>,
    pub(crate) added: Vec<String>,
    pub(crate) updated: Vec<String>,
    pub(crate) removed: Vec<String>,
    pub(crate) unchanged: usize,
    /// Profiles of the old block for access that is gone, kept (no `--prune`).
    pub(crate) kept: Vec<String>,
    /// Profiles of the old block for access that is gone, removed by `--prune`.
    pub(crate) pruned: Vec<String>,
    /// (old name, new name) of the profiles whose name changed; counted as updated.
    pub(crate) renamed: Vec<(String, String)>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) covered: Vec<Covered>,
    /// Removed profiles that held settings of the user's.
    pub(crate) lost: Vec<LostSettings>,
    /// Accounts and roles the portal sent that cannot go into a config file, described.
    pub(crate) refused: Vec<String>,
}

/// Why the old block cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("the managed block of SSO session `{session}` does not parse: {reason}")]
pub(crate) struct OldBlockError {
    session: String,
    reason: String,
}

/// A profile of the old block, and the access it gives through this session.
struct OldProfile<'a> {
    profile: Profile<'a>,
    access: Option<(String, String)>,
}

/// Work out the new block. `old_block` is the block's current content (as
/// `ConfigDocument::managed_block` reads it).
pub(crate) fn plan(
    access: &[AccountAccess],
    settings: &Settings<'_>,
    old_block: Option<&str>,
    outside: &Outside,
) -> Result<Plan, OldBlockError> {
    let mut plan = Plan::default();
    let old_config = Config::from_sources(old_block.unwrap_or_default(), "").map_err(|e| {
        OldBlockError { session: settings.session.to_owned(), reason: e.to_string() }
    })?;
    let old = read_old_block(settings.session, &old_config);
    let pairs = checked_pairs(access, &mut plan.refused);
    let reachable: HashSet<(&str, &str)> = pairs.iter().map(|&(id, _, role)| (id, role)).collect();

    // The old profile each reachable account × role continues: the first, by name, giving it.
    let mut old_name_of: HashMap<(&str, &str), &str> = HashMap::new();
    for (name, profile) in &old {
        if let Some((id, role)) = &profile.access
            && reachable.contains(&(id.as_str(), role.as_str()))
            && !outside.names.contains(name)
        {
            old_name_of.entry((id.as_str(), role.as_str())).or_insert(name.as_str());
        }
    }
    let continued: HashSet<&str> = old_name_of.values().copied().collect();

    // Profiles of the old block for access that is gone: kept (their names reserved) or pruned.
    let mut profiles: BTreeMap<String, ManagedProfile> = BTreeMap::new();
    let mut taken: HashSet<String> = HashSet::from(["default".to_owned()]);
    for (name, profile) in &old {
        let still_there = profile
            .access
            .as_ref()
            .is_some_and(|(id, role)| reachable.contains(&(id.as_str(), role.as_str())));
        if still_there || continued.contains(name.as_str()) || outside.names.contains(name) {
            continue;
        }
        if settings.prune {
            plan.pruned.push(name.clone());
        } else {
            plan.kept.push(name.clone());
            taken.insert(name.clone());
            let kept =
                ManagedProfile { name: name.clone(), from: Some(name.clone()), keys: Vec::new() };
            profiles.insert(name.clone(), kept);
            plan.unchanged += 1;
        }
    }

    let candidates = candidates(&pairs, settings);
    for (candidate, name) in candidates.iter().zip(assign(&candidates, &taken)) {
        let (id, role) = (candidate.account_id.as_str(), candidate.role_name.as_str());
        let from = old_name_of.get(&(id, role)).copied();
        if from.is_none()
            && let Some(by) = outside.access.get(&(id.to_owned(), role.to_owned()))
        {
            plan.covered.push(Covered {
                account_id: id.to_owned(),
                role_name: role.to_owned(),
                by: by.clone(),
            });
            continue;
        }
        if outside.names.contains(&name) {
            plan.skipped.push(Skipped {
                name,
                account_id: id.to_owned(),
                role_name: role.to_owned(),
            });
            continue;
        }
        let region =
            settings.region.or(if from.is_none() { settings.default_region } else { None });
        let mut keys: Vec<(String, String)> = ACCESS_KEYS
            .iter()
            .zip([settings.session, id, role])
            .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
            .collect();
        keys.extend(region.map(|r| ("region".to_owned(), r.to_owned())));
        match from.map(|f| (f, &old[f].profile)) {
            None => plan.added.push(name.clone()),
            Some((old_name, _)) if old_name != name => {
                plan.renamed.push((old_name.to_owned(), name.clone()));
                plan.updated.push(name.clone());
            }
            Some((_, before)) if keys.iter().any(|(k, v)| before.get(k) != Some(v.as_str())) => {
                plan.updated.push(name.clone());
            }
            Some(_) => plan.unchanged += 1,
        }
        let profile = ManagedProfile { name: name.clone(), from: from.map(str::to_owned), keys };
        profiles.insert(name, profile);
    }

    let claimed: HashSet<&str> = profiles.values().filter_map(|p| p.from.as_deref()).collect();
    plan.removed = old.keys().filter(|name| !claimed.contains(name.as_str())).cloned().collect();
    for name in &plan.removed {
        let keys = user_keys(&old[name].profile, settings);
        if !keys.is_empty() {
            plan.lost.push(LostSettings { profile: name.clone(), keys });
        }
    }
    plan.profiles = profiles.into_values().collect();
    Ok(plan)
}

/// Every account × role with its name from the template, before collisions are resolved.
fn candidates(pairs: &[(&str, Option<&str>, &str)], settings: &Settings<'_>) -> Vec<Candidate> {
    pairs
        .iter()
        .map(|&(account_id, account_name, role_name)| {
            let values =
                NameValues { account_name, account_id, role_name, session: settings.session };
            let raw = format!("{}{}", settings.prefix, settings.template.render(&values));
            Candidate {
                account_id: account_id.to_owned(),
                role_name: role_name.to_owned(),
                base: normalise(&raw),
            }
        })
        .collect()
}

/// The access, checked (what cannot go into a config file is described in `refused`) and
/// sorted: names must not depend on the order of the answers.
fn checked_pairs<'a>(
    access: &'a [AccountAccess],
    refused: &mut Vec<String>,
) -> Vec<(&'a str, Option<&'a str>, &'a str)> {
    let mut pairs = Vec::new();
    for entry in access {
        let id = entry.account.account_id.as_str();
        if !is_account_id(id) {
            refused.push(format!("account `{}`: not a valid account id", id.escape_debug()));
            continue;
        }
        for role in &entry.roles {
            if is_role_name(role) {
                pairs.push((id, entry.account.account_name.as_deref(), role.as_str()));
            } else {
                refused.push(format!(
                    "role `{}` of account `{id}`: not a valid role name",
                    role.escape_debug()
                ));
            }
        }
    }
    pairs.sort_unstable_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)));
    pairs.dedup_by(|a, b| (a.0, a.2) == (b.0, b.2));
    pairs
}

/// The keys of a generated profile that populate did not write: all but the access keys,
/// and but `region` when it is the one populate writes.
fn user_keys(profile: &Profile<'_>, settings: &Settings<'_>) -> Vec<String> {
    let region = settings.region.or(settings.default_region);
    profile
        .properties()
        .map(|(key, _)| key)
        .filter(|key| !ACCESS_KEYS.contains(key))
        .filter(|key| !(*key == "region" && profile.get("region") == region))
        .map(str::to_owned)
        .collect()
}

/// The profiles of the old block, with the access each gives through `session`.
fn read_old_block<'a>(session: &str, config: &'a Config) -> BTreeMap<String, OldProfile<'a>> {
    let mut out = BTreeMap::new();
    for profile in config.profiles() {
        let access = match (
            profile.get("sso_session"),
            profile.get("sso_account_id"),
            profile.get("sso_role_name"),
        ) {
            (Some(s), Some(id), Some(role)) if s == session => {
                Some((id.to_owned(), role.to_owned()))
            }
            _ => None,
        };
        out.insert(profile.name().to_owned(), OldProfile { profile, access });
    }
    out
}

#[cfg(test)]
mod tests {
    use awsctx_core::config::ConfigDocument;
    use awsctx_login::portal::Account;

    use super::*;

    const BLOCK: &str = "sso-session corp";

    fn access(list: &[(&str, &str, &[&str])]) -> Vec<AccountAccess> {
        list.iter()
            .map(|(id, name, roles)| AccountAccess {
                account: Account {
                    account_id: (*id).into(),
                    account_name: Some((*name).into()),
                    email_address: None,
                },
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            })
            .collect()
    }

    fn outside(names: &[&str]) -> Outside {
        Outside { names: names.iter().map(|s| (*s).to_owned()).collect(), ..Outside::default() }
    }

    /// The plan for `settings`, and the block it gives, applied to a block holding `old`.
    fn apply(
        access: &[AccountAccess],
        settings: &Settings<'_>,
        old: Option<&str>,
        outside: &Outside,
    ) -> (Plan, String) {
        let text = old.map_or_else(String::new, |old| {
            format!("# BEGIN awsctx managed: {BLOCK}\n{old}# END awsctx managed: {BLOCK}\n")
        });
        let mut doc = ConfigDocument::parse(&text);
        let block = doc.managed_block(BLOCK).unwrap();
        let plan = plan(access, settings, block.as_deref(), outside).unwrap();
        doc.set_managed_block(BLOCK, &plan.profiles).unwrap();
        (plan, doc.managed_block(BLOCK).unwrap().unwrap_or_default())
    }

    fn run(
        access: &[AccountAccess],
        old: Option<&str>,
        outside_names: &[&str],
        prune: bool,
        region: Option<&str>,
    ) -> (Plan, String) {
        let template = Template::parse("{account_name}-{role_name}").unwrap();
        apply(access, &settings(&template, region, prune), old, &outside(outside_names))
    }

    /// What `populate --sso-session corp` runs with, names from `template`.
    fn settings<'a>(template: &'a Template, region: Option<&'a str>, prune: bool) -> Settings<'a> {
        Settings { session: "corp", template, prefix: "", region, default_region: None, prune }
    }

    #[test]
    fn one_modern_profile_per_account_and_role_sorted_by_name() {
        let a = access(&[("222", "web prod", &["ReadOnly"]), ("111", "api", &["Admin", "Read"])]);
        let (p, content) = run(&a, None, &[], false, Some("eu-west-1"));
        assert_eq!(
            content,
            "[profile api-Admin]\nsso_session = corp\nsso_account_id = 111\nsso_role_name = Admin\nregion = eu-west-1\n\n\
             [profile api-Read]\nsso_session = corp\nsso_account_id = 111\nsso_role_name = Read\nregion = eu-west-1\n\n\
             [profile web-prod-ReadOnly]\nsso_session = corp\nsso_account_id = 222\nsso_role_name = ReadOnly\nregion = eu-west-1\n"
        );
        assert_eq!(p.added, ["api-Admin", "api-Read", "web-prod-ReadOnly"]);
        assert!(!content.contains("sso_start_url") && !content.contains("sso_region"));
    }

    #[test]
    fn the_same_access_again_changes_nothing() {
        let a = access(&[("111", "api", &["Admin"]), ("222", "web", &["Admin"])]);
        let (_, first) = run(&a, None, &[], false, None);
        let mut reversed = a.clone();
        reversed.reverse();
        let (second, content) = run(&reversed, Some(&first), &[], false, None);
        assert_eq!(content, first);
        assert_eq!((second.added.len(), second.updated.len(), second.removed.len()), (0, 0, 0));
        assert_eq!(second.unchanged, 2);
    }

    #[test]
    fn gone_access_is_kept_without_prune_and_removed_with_it() {
        let before = access(&[("111", "api", &["Admin"]), ("222", "web", &["Admin"])]);
        let (_, old) = run(&before, None, &[], false, None);
        let after = access(&[("111", "api", &["Admin"])]);
        let (kept, content) = run(&after, Some(&old), &[], false, None);
        assert_eq!(kept.kept, ["web-Admin"]);
        assert_eq!(content, old);
        assert!(kept.removed.is_empty());
        let (pruned, content) = run(&after, Some(&old), &[], true, None);
        assert_eq!(pruned.pruned, ["web-Admin"]);
        assert_eq!(pruned.removed, ["web-Admin"]);
        assert!(pruned.lost.is_empty(), "only populate's own keys went");
        assert!(!content.contains("web-Admin"));
    }

    #[test]
    fn settings_of_the_user_stay_and_a_pruned_profile_names_them() {
        let a = access(&[("111", "api", &["Admin"]), ("222", "web", &["Admin"])]);
        let (_, old) = run(&a, None, &[], false, None);
        let edited = old.replace(
            "sso_role_name = Admin\n\n[profile web",
            "sso_role_name = Admin\n# mine\noutput = text\n\n[profile web",
        );
        let (p, content) = run(&a, Some(&edited), &[], false, None);
        assert_eq!(content, edited);
        assert_eq!((p.updated.len(), p.unchanged), (0, 2));
        let (p, content) =
            run(&access(&[("222", "web", &["Admin"])]), Some(&edited), &[], true, None);
        assert_eq!(
            p.lost,
            [LostSettings { profile: "api-Admin".into(), keys: vec!["output".into()] }]
        );
        assert!(!content.contains("output"), "removed with its profile, not moved");
    }

    #[test]
    fn the_session_default_region_goes_into_new_profiles_only() {
        let template = Template::parse("{account_name}-{role_name}").unwrap();
        let mut settings = Settings {
            session: "corp",
            template: &template,
            prefix: "",
            region: None,
            default_region: Some("eu-west-1"),
            prune: false,
        };
        let one = access(&[("111", "api", &["Admin"])]);
        let (_, old) = apply(&one, &settings, None, &Outside::default());
        assert!(old.contains("region = eu-west-1\n"), "{old}");
        // The user changes the region of `api-Admin` (`aws configure set region …`).
        let old = old.replace("region = eu-west-1", "region = ap-south-1");
        let two = access(&[("111", "api", &["Admin"]), ("222", "web", &["Admin"])]);
        let (p, content) = apply(&two, &settings, Some(&old), &Outside::default());
        assert_eq!((p.added.as_slice(), p.unchanged), (["web-Admin".to_owned()].as_slice(), 1));
        assert!(
            content.contains("sso_role_name = Admin\nregion = ap-south-1\n\n[profile web-Admin]")
        );
        assert!(content.ends_with("sso_role_name = Admin\nregion = eu-west-1\n"), "{content}");
        // `--region` says otherwise for every profile.
        settings.region = Some("us-east-2");
        let (p, content) = apply(&two, &settings, Some(&content), &Outside::default());
        assert_eq!(p.updated, ["api-Admin", "web-Admin"]);
        assert_eq!(content.matches("region = us-east-2").count(), 2);
    }

    #[test]
    fn a_renamed_profile_keeps_the_settings_of_the_user() {
        let (_, old) = run(&access(&[("111", "dev", &["Admin"])]), None, &[], false, None);
        let old =
            old.replace("\nsso_role_name = Admin\n", "\nsso_role_name = Admin\noutput = text\n");
        // Another account named `dev` appears: both names get their account id.
        let both = access(&[("111", "dev", &["Admin"]), ("222", "dev", &["Admin"])]);
        let (p, content) = run(&both, Some(&old), &[], false, None);
        assert_eq!(p.renamed, [("dev-Admin".to_owned(), "dev-Admin-111".to_owned())]);
        assert_eq!(
            (p.added.as_slice(), p.updated.as_slice()),
            (["dev-Admin-222".to_owned()].as_slice(), ["dev-Admin-111".to_owned()].as_slice())
        );
        assert!(p.removed.is_empty() && p.lost.is_empty());
        assert!(content.starts_with("[profile dev-Admin-111]\nsso_session = corp\nsso_account_id = 111\nsso_role_name = Admin\noutput = text\n\n"), "{content}");
    }

    #[test]
    fn access_a_profile_outside_gives_gets_no_second_profile() {
        let a = access(&[("111", "api", &["Admin", "Read"])]);
        let mut given = outside(&["mine"]);
        given.access.insert(("111".into(), "Admin".into()), "mine".into());
        let template = Template::parse("{account_name}-{role_name}").unwrap();
        let settings = settings(&template, None, false);
        let (p, content) = apply(&a, &settings, None, &given);
        assert_eq!(
            p.covered,
            [Covered { account_id: "111".into(), role_name: "Admin".into(), by: "mine".into() }]
        );
        assert_eq!(p.added, ["api-Read"]);
        assert!(!content.contains("api-Admin"));
        // A profile the block already has for it stays.
        let (_, old) = run(&a, None, &[], false, None);
        let (p, _) = apply(&a, &settings, Some(&old), &given);
        assert!(p.covered.is_empty() && p.removed.is_empty());
    }

    #[test]
    fn a_name_defined_outside_is_skipped_not_renamed() {
        let a = access(&[("111", "api", &["Admin", "Read"])]);
        let (p, content) = run(&a, None, &["api-Admin"], false, None);
        assert_eq!(
            p.skipped,
            [Skipped {
                name: "api-Admin".into(),
                account_id: "111".into(),
                role_name: "Admin".into()
            }]
        );
        assert!(!content.contains("[profile api-Admin]"));
        assert!(content.contains("[profile api-Read]"));
    }

    #[test]
    fn a_kept_profile_keeps_its_name_and_a_newcomer_is_extended() {
        let (_, old) = run(&access(&[("111", "dev", &["Admin"])]), None, &[], false, None);
        let (p, _) = run(&access(&[("222", "dev", &["Admin"])]), Some(&old), &[], false, None);
        assert_eq!(p.kept, ["dev-Admin"]);
        assert_eq!(p.added, ["dev-Admin-222"]);
    }

    #[test]
    fn changed_region_counts_as_updated() {
        let a = access(&[("111", "api", &["Admin"])]);
        let (_, old) = run(&a, None, &[], false, None);
        let (p, _) = run(&a, Some(&old), &[], false, Some("us-west-2"));
        assert_eq!(p.updated, ["api-Admin"]);
    }

    #[test]
    fn hostile_portal_data_is_refused_not_written() {
        let a = access(&[
            ("111\n[profile evil]", "x", &["Admin"]),
            ("222", "ok", &["Admin\ncredential_process = sh", "Read"]),
        ]);
        let (p, content) = run(&a, None, &[], false, None);
        assert_eq!(p.refused.len(), 2, "{:?}", p.refused);
        assert_eq!(p.added, ["ok-Read"]);
        assert!(!content.contains("evil") && !content.contains("credential_process"));
    }

    #[test]
    fn no_access_and_no_block_gives_no_profile() {
        let (p, _) = run(&[], None, &[], true, None);
        assert!(p.profiles.is_empty());
    }

    #[test]
    fn a_generated_default_name_is_extended() {
        let (p, _) = run(&access(&[("111", "default", &["x"])]), None, &[], false, None);
        // `default-x` is fine; only the bare `default` is reserved.
        assert_eq!(p.added, ["default-x"]);
        let template = Template::parse("{account_name}").unwrap();
        let settings = settings(&template, None, false);
        let a = access(&[("111", "default", &["x"])]);
        let p = plan(&a, &settings, None, &Outside::default()).unwrap();
        assert_eq!(p.added, ["default-111"]);
    }
}
