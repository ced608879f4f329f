//! Profile names for account × role: the `--template` with its placeholders, normalised to
//! the characters the SDKs accept in a profile name, and collisions resolved so that the
//! result depends only on the access (sorted first), never on the order the API answered in.
//! `populate` and `configure sso` name by this one rule ([`DEFAULT_TEMPLATE`], [`assign`]),
//! so the wizard suggests the name `populate` gives the same role.

use std::collections::{HashMap, HashSet};

/// The template both `populate` and `configure sso` name profiles by, unless told otherwise.
pub(crate) const DEFAULT_TEMPLATE: &str = "{account_name}-{role_name}";

/// The placeholders a template may use.
pub(crate) const PLACEHOLDERS: [&str; 4] = ["account_name", "account_id", "role_name", "session"];

/// A checked `--template`: literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    AccountName,
    AccountId,
    RoleName,
    Session,
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TemplateError {
    #[error(
        "template `{template}` uses `{{{name}}}`; the placeholders are {}",
        list_placeholders()
    )]
    UnknownPlaceholder { template: String, name: String },
    #[error("template `{template}` has a `{{` without its `}}`")]
    Unclosed { template: String },
    #[error("template `{template}` has a `}}` without its `{{`")]
    Unopened { template: String },
    #[error("template `{template}` uses no placeholder: every profile would get the same name")]
    NoPlaceholder { template: String },
}

fn list_placeholders() -> String {
    PLACEHOLDERS.iter().map(|p| format!("`{{{p}}}`")).collect::<Vec<_>>().join(", ")
}

impl Template {
    pub(crate) fn parse(template: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            let open = rest.find('{');
            let close = rest.find('}');
            match (open, close) {
                (None, None) => {
                    parts.push(Part::Text(rest.to_owned()));
                    break;
                }
                (Some(o), Some(c)) if o < c => {
                    if o > 0 {
                        parts.push(Part::Text(rest[..o].to_owned()));
                    }
                    let name = &rest[o + 1..c];
                    parts.push(match name {
                        "account_name" => Part::AccountName,
                        "account_id" => Part::AccountId,
                        "role_name" => Part::RoleName,
                        "session" => Part::Session,
                        _ => {
                            return Err(TemplateError::UnknownPlaceholder {
                                template: template.to_owned(),
                                name: name.to_owned(),
                            });
                        }
                    });
                    rest = &rest[c + 1..];
                }
                (Some(_), None) => {
                    return Err(TemplateError::Unclosed { template: template.to_owned() });
                }
                (_, Some(_)) => {
                    return Err(TemplateError::Unopened { template: template.to_owned() });
                }
            }
        }
        if !parts.iter().any(|p| matches!(p, Part::AccountName | Part::AccountId | Part::RoleName))
        {
            return Err(TemplateError::NoPlaceholder { template: template.to_owned() });
        }
        Ok(Self { parts })
    }

    /// The template filled in, not yet normalised. An account without a name uses its id.
    pub(crate) fn render(&self, values: &NameValues<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            out.push_str(match part {
                Part::Text(text) => text,
                Part::AccountName => values.account_name.unwrap_or(values.account_id),
                Part::AccountId => values.account_id,
                Part::RoleName => values.role_name,
                Part::Session => values.session,
            });
        }
        out
    }
}

/// What a name is made from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameValues<'a> {
    pub(crate) account_name: Option<&'a str>,
    pub(crate) account_id: &'a str,
    pub(crate) role_name: &'a str,
    pub(crate) session: &'a str,
}

/// A safe profile name: `[A-Za-z0-9_\-/.%@:+]` kept, anything else (spaces included) becomes
/// `-`, runs of `-` become one, and `-` is trimmed from both ends. Empty when nothing is left.
pub(crate) fn normalise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c) { c } else { '-' };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// One account × role to name; `base` is its normalised template name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) account_id: String,
    pub(crate) role_name: String,
    pub(crate) base: String,
}

/// Give every candidate a distinct name, none of them in `taken`. `candidates` must be sorted
/// (by account id, then role name): ties are broken in that order. A name shared by several
/// candidates (or already taken) is made longer for all who share it, one step at a time:
/// `-{account_id}`, then `-{account_id}-{role_name}`; what still collides after that gets
/// `-2`, `-3`, ... in sorted order.
pub(crate) fn assign(candidates: &[Candidate], taken: &HashSet<String>) -> Vec<String> {
    let stage = |c: &Candidate, level: u8| -> String {
        match level {
            0 => c.base.clone(),
            1 => normalise(&format!("{}-{}", c.base, c.account_id)),
            _ => normalise(&format!("{}-{}-{}", c.base, c.account_id, c.role_name)),
        }
    };
    let mut levels = vec![0_u8; candidates.len()];
    loop {
        let names: Vec<String> =
            candidates.iter().zip(&levels).map(|(c, &l)| stage(c, l)).collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for name in &names {
            *counts.entry(name.as_str()).or_default() += 1;
        }
        let mut bumped = false;
        for (i, name) in names.iter().enumerate() {
            let clash = counts[name.as_str()] > 1 || taken.contains(name) || name.is_empty();
            if clash && levels[i] < 2 {
                levels[i] += 1;
                bumped = true;
            }
        }
        if !bumped {
            break;
        }
    }
    let mut used = taken.clone();
    let mut out = Vec::with_capacity(candidates.len());
    for (c, &level) in candidates.iter().zip(&levels) {
        let name = stage(c, level);
        let name =
            if used.contains(&name) || name.is_empty() { numbered(&name, &used) } else { name };
        used.insert(name.clone());
        out.push(name);
    }
    out
}

/// The name [`DEFAULT_TEMPLATE`] gives `role` of an account: what `populate` writes for it when
/// no other account's name collides. `roles` are all the account's roles (two that normalise
/// alike are told apart as `populate` does); `taken` names are extended as `populate` extends
/// a name taken by another profile.
pub(crate) fn default_name(
    account: &NameValues<'_>,
    roles: &[String],
    taken: &HashSet<String>,
) -> String {
    let Ok(template) = Template::parse(DEFAULT_TEMPLATE) else {
        unreachable!("the default template parses")
    };
    let mut roles: Vec<&str> = roles.iter().map(String::as_str).collect();
    if !roles.contains(&account.role_name) {
        roles.push(account.role_name);
    }
    roles.sort_unstable();
    roles.dedup();
    let candidates: Vec<Candidate> = roles
        .iter()
        .map(|&role_name| Candidate {
            account_id: account.account_id.to_owned(),
            role_name: role_name.to_owned(),
            base: normalise(&template.render(&NameValues { role_name, ..*account })),
        })
        .collect();
    let mut taken = taken.clone();
    taken.insert("default".to_owned());
    let names = assign(&candidates, &taken);
    let at = roles.iter().position(|r| *r == account.role_name).unwrap_or_default();
    names.into_iter().nth(at).unwrap_or_default()
}

/// `NAME-2`, `NAME-3`, ...: the first not in `used` (`profile-N` for an empty name).
fn numbered(name: &str, used: &HashSet<String>) -> String {
    let stem = if name.is_empty() { "profile" } else { name };
    let mut n = 2_usize;
    loop {
        let candidate = format!("{stem}-{n}");
        if !used.contains(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(name: Option<&'a str>, id: &'a str, role: &'a str) -> NameValues<'a> {
        NameValues { account_name: name, account_id: id, role_name: role, session: "corp" }
    }

    fn candidate(id: &str, role: &str, base: &str) -> Candidate {
        Candidate { account_id: id.into(), role_name: role.into(), base: base.into() }
    }

    #[test]
    fn template_fills_every_placeholder() {
        let t = Template::parse("{session}/{account_name}-{account_id}:{role_name}").unwrap();
        assert_eq!(t.render(&values(Some("dev"), "111", "Admin")), "corp/dev-111:Admin");
        assert_eq!(t.render(&values(None, "111", "Admin")), "corp/111-111:Admin");
    }

    #[test]
    fn template_errors_name_the_problem() {
        let err = Template::parse("{account}-{role_name}").unwrap_err();
        assert!(err.to_string().contains("uses `{account}`"), "{err}");
        assert!(err.to_string().contains("`{account_name}`"), "{err}");
        assert!(matches!(Template::parse("{role_name"), Err(TemplateError::Unclosed { .. })));
        assert!(matches!(Template::parse("x}{role_name}"), Err(TemplateError::Unopened { .. })));
        assert!(matches!(Template::parse("{session}"), Err(TemplateError::NoPlaceholder { .. })));
        assert!(matches!(Template::parse(""), Err(TemplateError::NoPlaceholder { .. })));
    }

    #[test]
    fn normalise_keeps_safe_characters_and_dashes_the_rest() {
        assert_eq!(normalise("Payments Prod-Admin"), "Payments-Prod-Admin");
        assert_eq!(normalise("a/b.c%d@e:f+g_h"), "a/b.c%d@e:f+g_h");
        assert_eq!(normalise("  Müller (prod) -- x  "), "M-ller-prod-x");
        assert_eq!(normalise("[prof]#;x=y\n"), "prof-x-y");
        assert_eq!(normalise("---"), "");
    }

    #[test]
    fn unique_names_are_kept() {
        let c = [candidate("1", "A", "dev-A"), candidate("2", "A", "prod-A")];
        assert_eq!(assign(&c, &HashSet::new()), ["dev-A", "prod-A"]);
    }

    #[test]
    fn colliding_names_all_get_the_account_id() {
        let c = [
            candidate("111", "Admin", "dev-Admin"),
            candidate("222", "Admin", "dev-Admin"),
            candidate("333", "Admin", "prod-Admin"),
        ];
        assert_eq!(assign(&c, &HashSet::new()), ["dev-Admin-111", "dev-Admin-222", "prod-Admin"]);
    }

    #[test]
    fn a_name_taken_by_a_kept_profile_is_extended() {
        let taken = HashSet::from(["dev-Admin".to_owned()]);
        let c = [candidate("222", "Admin", "dev-Admin")];
        assert_eq!(assign(&c, &taken), ["dev-Admin-222"]);
    }

    #[test]
    fn same_account_collisions_add_the_role_then_a_number() {
        // Two roles that normalise alike, in one account: the role name is added.
        let c = [candidate("1", "Role A", "x-Role-A"), candidate("1", "Role-A", "x-Role-A")];
        let names = assign(&c, &HashSet::new());
        assert_eq!(names, ["x-Role-A-1-Role-A", "x-Role-A-1-Role-A-2"]);
    }

    #[test]
    fn names_do_not_depend_on_input_order_once_sorted() {
        let mut a = vec![
            candidate("222", "Admin", "dev-Admin"),
            candidate("111", "Admin", "dev-Admin"),
            candidate("111", "Read", "dev-Read"),
        ];
        let mut b = a.clone();
        b.reverse();
        for list in [&mut a, &mut b] {
            list.sort_by(|x, y| (&x.account_id, &x.role_name).cmp(&(&y.account_id, &y.role_name)));
        }
        assert_eq!(assign(&a, &HashSet::new()), assign(&b, &HashSet::new()));
    }

    #[test]
    fn the_wizard_suggests_the_name_populate_writes() {
        let dev = values(Some("payments prod"), "111", "ReadOnly");
        let roles = ["Admin".to_owned(), "ReadOnly".to_owned()];
        assert_eq!(default_name(&dev, &roles, &HashSet::new()), "payments-prod-ReadOnly");
        // What populate writes for the same access.
        let c = [
            candidate("111", "Admin", "payments-prod-Admin"),
            candidate("111", "ReadOnly", "payments-prod-ReadOnly"),
        ];
        assert_eq!(assign(&c, &HashSet::new())[1], "payments-prod-ReadOnly");
        // A name taken by another profile is extended, as populate extends it.
        let taken = HashSet::from(["payments-prod-ReadOnly".to_owned()]);
        assert_eq!(default_name(&dev, &roles, &taken), "payments-prod-ReadOnly-111");
        // Roles that normalise alike are told apart the same way.
        let odd = values(Some("x"), "1", "Role-A");
        let roles = ["Role A".to_owned(), "Role-A".to_owned()];
        assert_eq!(default_name(&odd, &roles, &HashSet::new()), "x-Role-A-1-Role-A-2");
    }

    #[test]
    fn empty_names_get_a_usable_one() {
        let c = [candidate("", "", "")];
        let names = assign(&c, &HashSet::new());
        assert_eq!(names, ["profile-2"]);
    }
}
