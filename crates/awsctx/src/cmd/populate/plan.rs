//! From the access an SSO login has and the managed block as it is, the block as it should
//! be, and what changes: a pure function, so every rule is tested without a network.
//!
//! Rules: one modern profile per account × role (`sso_session`, `sso_account_id`,
//! `sso_role_name`, optional `region`; never `sso_start_url`/`sso_region`); names from the
//! template (see [`super::names`]); a name defined outside the block (by the user, by another
//! session's block, or in the credentials file) is never taken: that profile is skipped;
//! profiles of the block whose access is gone are kept, unless pruning. Profiles are written
//! sorted by name, one blank line apart, so a run with the same access gives the same bytes.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use awsctx_core::config::{Config, SectionName, Value};

use super::access::{AccountAccess, is_account_id, is_role_name};
use super::names::{Candidate, NameValues, Template, assign, normalise};

/// What the user asked for.
#[derive(Debug, Clone)]
pub(crate) struct Settings<'a> {
    pub(crate) session: &'a str,
    pub(crate) template: &'a Template,
    pub(crate) prefix: &'a str,
    pub(crate) region: Option<&'a str>,
    pub(crate) prune: bool,
}

/// A generated profile not written because its name is defined outside the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) name: String,
    pub(crate) account_id: String,
    pub(crate) role_name: String,
}

/// The new block and how it differs from the old one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The block's new content (empty: no profile, no block).
    pub(crate) content: String,
    /// Profile name → (account id, role name), for every profile of the new block.
    pub(crate) profiles: BTreeMap<String, (String, String)>,
    pub(crate) added: Vec<String>,
    pub(crate) updated: Vec<String>,
    pub(crate) removed: Vec<String>,
    pub(crate) unchanged: usize,
    /// Profiles of the old block for access that is gone, kept (no `--prune`).
    pub(crate) kept: Vec<String>,
    /// Profiles of the old block for access that is gone, removed by `--prune`.
    pub(crate) pruned: Vec<String>,
    pub(crate) skipped: Vec<Skipped>,
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

/// A profile of the old block.
struct OldProfile {
    text: String,
    access: Option<(String, String)>,
}

/// Work out the new block. `old_block` is the block's current content; `outside` the profile
/// names defined anywhere but in this block.
pub(crate) fn plan(
    access: &[AccountAccess],
    settings: &Settings<'_>,
    old_block: Option<&str>,
    outside: &HashSet<String>,
) -> Result<Plan, OldBlockError> {
    let mut plan = Plan::default();
    let old = read_old_block(settings.session, old_block.unwrap_or_default())?;

    // The access, checked and sorted: names must not depend on the order of the answers.
    let mut pairs: Vec<(&str, Option<&str>, &str)> = Vec::new();
    for entry in access {
        let id = entry.account.account_id.as_str();
        if !is_account_id(id) {
            plan.refused.push(format!("account `{}`: not a valid account id", id.escape_debug()));
            continue;
        }
        for role in &entry.roles {
            if is_role_name(role) {
                pairs.push((id, entry.account.account_name.as_deref(), role));
            } else {
                plan.refused.push(format!(
                    "role `{}` of account `{id}`: not a valid role name",
                    role.escape_debug()
                ));
            }
        }
    }
    pairs.sort_unstable_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)));
    pairs.dedup_by(|a, b| (a.0, a.2) == (b.0, b.2));
    let reachable: HashSet<(&str, &str)> = pairs.iter().map(|&(id, _, role)| (id, role)).collect();

    // Profiles of the old block whose access is gone: kept (their names reserved) or pruned.
    let mut entries: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: HashSet<String> = HashSet::from(["default".to_owned()]);
    for (name, profile) in &old {
        let still_there = profile
            .access
            .as_ref()
            .is_some_and(|(id, role)| reachable.contains(&(id.as_str(), role.as_str())));
        if still_there || outside.contains(name) {
            continue;
        }
        if settings.prune {
            plan.pruned.push(name.clone());
        } else {
            plan.kept.push(name.clone());
            taken.insert(name.clone());
            entries.insert(name.clone(), profile.text.clone());
            if let Some(access) = &profile.access {
                plan.profiles.insert(name.clone(), access.clone());
            }
        }
    }

    let candidates: Vec<Candidate> = pairs
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
        .collect();
    for (candidate, name) in candidates.iter().zip(assign(&candidates, &taken)) {
        if outside.contains(&name) {
            plan.skipped.push(Skipped {
                name,
                account_id: candidate.account_id.clone(),
                role_name: candidate.role_name.clone(),
            });
            continue;
        }
        let text = render_profile(
            &name,
            settings.session,
            &candidate.account_id,
            &candidate.role_name,
            settings.region,
        );
        plan.profiles
            .insert(name.clone(), (candidate.account_id.clone(), candidate.role_name.clone()));
        entries.insert(name, text);
    }

    for (name, text) in &entries {
        match old.get(name) {
            None => plan.added.push(name.clone()),
            Some(before) if before.text == *text => plan.unchanged += 1,
            Some(_) => plan.updated.push(name.clone()),
        }
    }
    plan.removed = old.keys().filter(|name| !entries.contains_key(*name)).cloned().collect();
    plan.content = entries.into_values().collect::<Vec<_>>().join("\n");
    Ok(plan)
}

fn render_profile(
    name: &str,
    session: &str,
    account_id: &str,
    role_name: &str,
    region: Option<&str>,
) -> String {
    let mut text = format!(
        "{}\nsso_session = {session}\nsso_account_id = {account_id}\nsso_role_name = {role_name}\n",
        SectionName::Profile(name.to_owned()).header()
    );
    if let Some(region) = region {
        let _ = writeln!(text, "region = {region}");
    }
    text
}

/// The profiles of the old block, rendered back to text (so a kept one is written as it was).
fn read_old_block(
    session: &str,
    text: &str,
) -> Result<BTreeMap<String, OldProfile>, OldBlockError> {
    let config = Config::from_sources(text, "")
        .map_err(|e| OldBlockError { session: session.to_owned(), reason: e.to_string() })?;
    let mut out = BTreeMap::new();
    for profile in config.profiles() {
        let name = profile.name();
        let mut text = format!("{}\n", SectionName::Profile(name.to_owned()).header());
        for (key, value) in profile.properties() {
            match value {
                Value::Simple("") => {
                    let _ = writeln!(text, "{key} =");
                }
                Value::Simple(v) => {
                    let _ = writeln!(text, "{key} = {v}");
                }
                Value::Nested(map) => {
                    let _ = writeln!(text, "{key} =");
                    for (sub, v) in map.iter() {
                        let _ = writeln!(text, "    {sub} = {v}");
                    }
                }
            }
        }
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
        out.insert(name.to_owned(), OldProfile { text, access });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use awsctx_login::portal::Account;

    use super::*;

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

    fn run(
        access: &[AccountAccess],
        old: Option<&str>,
        outside: &[&str],
        prune: bool,
        region: Option<&str>,
    ) -> Plan {
        let template = Template::parse("{account_name}-{role_name}").unwrap();
        let settings = Settings { session: "corp", template: &template, prefix: "", region, prune };
        let outside = outside.iter().map(|s| (*s).to_owned()).collect();
        plan(access, &settings, old, &outside).unwrap()
    }

    #[test]
    fn one_modern_profile_per_account_and_role_sorted_by_name() {
        let a = access(&[("222", "web prod", &["ReadOnly"]), ("111", "api", &["Admin", "Read"])]);
        let p = run(&a, None, &[], false, Some("eu-west-1"));
        assert_eq!(
            p.content,
            "[profile api-Admin]\nsso_session = corp\nsso_account_id = 111\nsso_role_name = Admin\nregion = eu-west-1\n\n\
             [profile api-Read]\nsso_session = corp\nsso_account_id = 111\nsso_role_name = Read\nregion = eu-west-1\n\n\
             [profile web-prod-ReadOnly]\nsso_session = corp\nsso_account_id = 222\nsso_role_name = ReadOnly\nregion = eu-west-1\n"
        );
        assert_eq!(p.added, ["api-Admin", "api-Read", "web-prod-ReadOnly"]);
        assert!(!p.content.contains("sso_start_url") && !p.content.contains("sso_region"));
    }

    #[test]
    fn the_same_access_again_changes_nothing() {
        let a = access(&[("111", "api", &["Admin"]), ("222", "web", &["Admin"])]);
        let first = run(&a, None, &[], false, None);
        let mut reversed = a.clone();
        reversed.reverse();
        let second = run(&reversed, Some(&first.content), &[], false, None);
        assert_eq!(second.content, first.content);
        assert_eq!((second.added.len(), second.updated.len(), second.removed.len()), (0, 0, 0));
        assert_eq!(second.unchanged, 2);
    }

    #[test]
    fn gone_access_is_kept_without_prune_and_removed_with_it() {
        let before = access(&[("111", "api", &["Admin"]), ("222", "web", &["Admin"])]);
        let old = run(&before, None, &[], false, None).content;
        let after = access(&[("111", "api", &["Admin"])]);
        let kept = run(&after, Some(&old), &[], false, None);
        assert_eq!(kept.kept, ["web-Admin"]);
        assert_eq!(kept.content, old);
        assert!(kept.removed.is_empty());
        let pruned = run(&after, Some(&old), &[], true, None);
        assert_eq!(pruned.pruned, ["web-Admin"]);
        assert_eq!(pruned.removed, ["web-Admin"]);
        assert!(!pruned.content.contains("web-Admin"));
    }

    #[test]
    fn a_name_defined_outside_is_skipped_not_renamed() {
        let a = access(&[("111", "api", &["Admin", "Read"])]);
        let p = run(&a, None, &["api-Admin"], false, None);
        assert_eq!(
            p.skipped,
            [Skipped {
                name: "api-Admin".into(),
                account_id: "111".into(),
                role_name: "Admin".into()
            }]
        );
        assert!(!p.content.contains("[profile api-Admin]"));
        assert!(p.content.contains("[profile api-Read]"));
    }

    #[test]
    fn a_kept_profile_keeps_its_name_and_a_newcomer_is_extended() {
        let old = run(&access(&[("111", "dev", &["Admin"])]), None, &[], false, None).content;
        let p = run(&access(&[("222", "dev", &["Admin"])]), Some(&old), &[], false, None);
        assert_eq!(p.kept, ["dev-Admin"]);
        assert_eq!(p.added, ["dev-Admin-222"]);
    }

    #[test]
    fn changed_region_counts_as_updated() {
        let a = access(&[("111", "api", &["Admin"])]);
        let old = run(&a, None, &[], false, None).content;
        let p = run(&a, Some(&old), &[], false, Some("us-west-2"));
        assert_eq!(p.updated, ["api-Admin"]);
    }

    #[test]
    fn hostile_portal_data_is_refused_not_written() {
        let a = access(&[
            ("111\n[profile evil]", "x", &["Admin"]),
            ("222", "ok", &["Admin\ncredential_process = sh", "Read"]),
        ]);
        let p = run(&a, None, &[], false, None);
        assert_eq!(p.refused.len(), 2, "{:?}", p.refused);
        assert_eq!(p.added, ["ok-Read"]);
        assert!(!p.content.contains("evil") && !p.content.contains("credential_process"));
    }

    #[test]
    fn no_access_and_no_block_gives_an_empty_block() {
        let p = run(&[], None, &[], true, None);
        assert!(p.content.is_empty());
    }

    #[test]
    fn a_generated_default_name_is_extended() {
        let p = run(&access(&[("111", "default", &["x"])]), None, &[], false, None);
        // `default-x` is fine; only the bare `default` is reserved.
        assert_eq!(p.added, ["default-x"]);
        let template = Template::parse("{account_name}").unwrap();
        let settings = Settings {
            session: "corp",
            template: &template,
            prefix: "",
            region: None,
            prune: false,
        };
        let a = access(&[("111", "default", &["x"])]);
        let p = plan(&a, &settings, None, &HashSet::new()).unwrap();
        assert_eq!(p.added, ["default-111"]);
    }
}
