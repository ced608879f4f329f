//! Finding profiles by what the user has in hand instead of a profile name: an account id
//! from a ticket, an ARN from an error message or an audit log event, an account name.
//!
//! A profile stands for an account and (usually) a role: `sso_account_id` + `sso_role_name`
//! (SSO, modern and legacy), the account and role of its `role_arn` (role chains, web
//! identity), or `aws_account_id` (static keys that say whose they are). These are read
//! straight from the profile's keys, without resolving its chain, so a search over ten
//! thousand profiles stays a scan of strings. Account names are what `populate` and
//! `configure sso` learned from the portal ([`AccountNames`], kept in awsctx's state).

use std::collections::BTreeMap;

use crate::arn::PARTITIONS;
use crate::config::{Config, Profile};

/// The longest account name kept: the portal's are at most 50 characters.
const MAX_ACCOUNT_NAME: usize = 128;

/// What the user typed, when it is not a profile name but names an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Twelve digits.
    AccountId(String),
    /// An ARN with an account, and a role when it names one.
    Arn(Arn),
}

/// The parts of an ARN that choose a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub account: String,
    /// The role of `arn:…:iam::A:role/[path/]NAME` or `arn:…:sts::A:assumed-role/NAME/session`.
    pub role: Option<String>,
}

/// Why text that starts like an ARN cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("`{arn}` is not an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`)")]
    MalformedArn { arn: String },
    #[error("ARN partition `{partition}` is not one of `aws`, `aws-us-gov`, `aws-cn`")]
    UnknownPartition { partition: String },
    #[error("`{arn}` names no account (its fifth field is not twelve digits)")]
    NoAccount { arn: String },
}

impl Query {
    /// `None` when `text` is neither an account id nor an ARN (it may be a profile name);
    /// an error when it starts with `arn:` but cannot be used.
    pub fn parse(text: &str) -> Option<Result<Self, QueryError>> {
        let text = text.trim();
        if is_account_id(text) {
            return Some(Ok(Self::AccountId(text.to_owned())));
        }
        text.starts_with("arn:").then(|| parse_arn(text).map(Self::Arn))
    }

    pub fn account(&self) -> &str {
        match self {
            Self::AccountId(id) => id,
            Self::Arn(arn) => &arn.account,
        }
    }

    pub fn role(&self) -> Option<&str> {
        match self {
            Self::AccountId(_) => None,
            Self::Arn(arn) => arn.role.as_deref(),
        }
    }
}

fn parse_arn(text: &str) -> Result<Arn, QueryError> {
    let malformed = || QueryError::MalformedArn { arn: text.to_owned() };
    let arn = crate::arn::Arn::parse(text).ok_or_else(malformed)?;
    if arn.service.is_empty() || arn.resource.is_empty() {
        return Err(malformed());
    }
    if !PARTITIONS.contains(&arn.partition) {
        return Err(QueryError::UnknownPartition { partition: arn.partition.to_owned() });
    }
    if !is_account_id(arn.account) {
        return Err(QueryError::NoAccount { arn: text.to_owned() });
    }
    Ok(Arn {
        partition: arn.partition.to_owned(),
        account: arn.account.to_owned(),
        role: arn.role().map(str::to_owned),
    })
}

/// Twelve ASCII digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A profile's account and role, as its keys say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    pub account: Option<&'a str>,
    pub role: Option<&'a str>,
}

impl<'a> Identity<'a> {
    pub fn of(profile: &Profile<'a>) -> Self {
        if let Some(account) = profile.get("sso_account_id") {
            return Self { account: Some(account), role: profile.get("sso_role_name") };
        }
        if let Some(arn) = profile.get("role_arn") {
            return Self { account: crate::arn::account_of(arn), role: crate::arn::role_of(arn) };
        }
        Self { account: profile.get("aws_account_id"), role: None }
    }
}

/// Whether a profile's role is the role an ARN names. IAM role names are unique regardless of
/// case; an IAM Identity Center role (`AWSReservedSSO_PermissionSet_0123456789abcdef`, what
/// audit logs and error messages show) is the profile of its permission set.
pub fn same_role(profile_role: &str, arn_role: &str) -> bool {
    if profile_role.eq_ignore_ascii_case(arn_role) {
        return true;
    }
    let Some(rest) = arn_role.strip_prefix("AWSReservedSSO_") else { return false };
    match rest.rsplit_once('_') {
        Some((permission_set, suffix))
            if suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            permission_set.eq_ignore_ascii_case(profile_role)
        }
        _ => false,
    }
}

/// One profile that stands for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub profile: &'a str,
    pub account: &'a str,
    pub role: Option<&'a str>,
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    /// The profiles that match, in config order (one: switch to it; several: choose).
    Matches(Vec<Candidate<'a>>),
    /// None match; these are the nearest: the account's profiles for other roles, else the
    /// profiles of accounts one or two digits away.
    Nearest(Vec<Candidate<'a>>),
}

/// The profiles of `config` that match `query`.
pub fn find<'a>(config: &'a Config, query: &Query) -> Found<'a> {
    let candidates: Vec<Candidate<'a>> = config
        .profiles()
        .filter_map(|p| {
            let id = Identity::of(&p);
            Some(Candidate { profile: p.name(), account: id.account?, role: id.role })
        })
        .collect();
    let of_account: Vec<&Candidate<'a>> =
        candidates.iter().filter(|c| c.account == query.account()).collect();
    let matches: Vec<Candidate<'a>> = match query.role() {
        None => of_account.iter().map(|c| (*c).clone()).collect(),
        Some(role) => of_account
            .iter()
            .filter(|c| c.role.is_some_and(|r| same_role(r, role)))
            .map(|c| (*c).clone())
            .collect(),
    };
    if !matches.is_empty() {
        return Found::Matches(matches);
    }
    if !of_account.is_empty() {
        return Found::Nearest(of_account.into_iter().cloned().collect());
    }
    let near =
        candidates.into_iter().filter(|c| digits_apart(c.account, query.account()) <= 2).collect();
    Found::Nearest(near)
}

/// How many digits differ between two account ids of the same length (else: many).
fn digits_apart(a: &str, b: &str) -> usize {
    if a.len() != b.len() {
        return usize::MAX;
    }
    a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count()
}

/// Account names by account id, as the portal gave them (untrusted text: show them through
/// [`crate::text::Untrusted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AccountNames {
    names: BTreeMap<String, String>,
}

impl AccountNames {
    pub fn get(&self, account: &str) -> Option<&str> {
        self.names.get(account).map(String::as_str)
    }

    /// Remember `name` for `account` (a name the portal changed replaces the old one). Ids
    /// that are not account ids and empty names are not kept; long names are cut.
    pub fn insert(&mut self, account: &str, name: &str) {
        let name = name.trim();
        if !is_account_id(account) || name.is_empty() {
            return;
        }
        let name: String = name.chars().take(MAX_ACCOUNT_NAME).collect();
        self.names.insert(account.to_owned(), name);
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The accounts whose name is `name`, ignoring case.
    pub fn accounts_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.names
            .iter()
            .filter(move |(_, n)| n.to_lowercase() == name.to_lowercase())
            .map(|(id, _)| id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_sources(
            "[profile dev]\nsso_session = s\nsso_account_id = 111122223333\nsso_role_name = Developer\n\
             [profile dev-ro]\nsso_session = s\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
             [profile prod]\nsso_session = s\nsso_account_id = 444455556666\nsso_role_name = ReadOnly\n\
             [profile chained]\nsource_profile = prod\nrole_arn = arn:aws:iam::777788889999:role/ops/Deployer\n\
             [profile mine]\naws_access_key_id = AKIA\naws_secret_access_key = x\naws_account_id = 123456789012\n\
             [profile plain]\nregion = us-east-1\n",
            "",
        )
        .unwrap()
    }

    fn names(found: &Found<'_>) -> (bool, Vec<String>) {
        match found {
            Found::Matches(c) => (true, c.iter().map(|c| c.profile.to_owned()).collect()),
            Found::Nearest(c) => (false, c.iter().map(|c| c.profile.to_owned()).collect()),
        }
    }

    fn find_text(text: &str) -> (bool, Vec<String>) {
        let config = config();
        let query = Query::parse(text).unwrap().unwrap();
        names(&find(&config, &query))
    }

    #[test]
    fn every_arn_form_and_partition_gives_its_account_and_role() {
        let arn = |text| match Query::parse(text) {
            Some(Ok(Query::Arn(arn))) => (arn.partition, arn.account, arn.role),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            arn("arn:aws:sts::111122223333:assumed-role/Developer/me@example.com"),
            ("aws".into(), "111122223333".into(), Some("Developer".into()))
        );
        assert_eq!(
            arn("arn:aws-us-gov:iam::444455556666:role/ReadOnly"),
            ("aws-us-gov".into(), "444455556666".into(), Some("ReadOnly".into()))
        );
        assert_eq!(
            arn("arn:aws-cn:iam::444455556666:role/a/b/Deployer").2,
            Some("Deployer".into())
        );
        assert_eq!(arn("arn:aws:iam::444455556666:user/bob").2, None);
        assert_eq!(arn("arn:aws:lambda:us-east-1:444455556666:function:f").2, None);
        assert_eq!(
            Query::parse(" 444455556666 "),
            Some(Ok(Query::AccountId("444455556666".into())))
        );
        assert_eq!(Query::parse("dev"), None);
        assert_eq!(Query::parse("4444555566"), None, "not twelve digits: maybe a profile");
        assert!(matches!(
            Query::parse("arn:aws-iso:iam::444455556666:role/x"),
            Some(Err(QueryError::UnknownPartition { .. }))
        ));
        assert!(matches!(
            Query::parse("arn:aws:s3:::bucket"),
            Some(Err(QueryError::NoAccount { .. }))
        ));
        assert!(matches!(Query::parse("arn:aws"), Some(Err(QueryError::MalformedArn { .. }))));
    }

    #[test]
    fn an_account_matches_all_its_profiles_and_a_role_narrows_to_one() {
        assert_eq!(find_text("111122223333"), (true, vec!["dev".into(), "dev-ro".into()]));
        assert_eq!(
            find_text("arn:aws:sts::111122223333:assumed-role/Developer/me@example.com"),
            (true, vec!["dev".into()])
        );
        assert_eq!(
            find_text("arn:aws:iam::777788889999:role/Deployer"),
            (true, vec!["chained".into()])
        );
        assert_eq!(find_text("123456789012"), (true, vec!["mine".into()]));
        // A user of the account: its account, any role.
        assert_eq!(find_text("arn:aws:iam::444455556666:user/bob"), (true, vec!["prod".into()]));
    }

    #[test]
    fn an_identity_center_role_arn_finds_the_profile_of_its_permission_set() {
        assert_eq!(
            find_text(
                "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/me"
            ),
            (true, vec!["dev-ro".into()])
        );
        assert!(same_role("Read_Only", "AWSReservedSSO_Read_Only_0123456789abcdef"));
        assert!(!same_role("ReadOnly", "AWSReservedSSO_ReadOnly_xyz"));
    }

    #[test]
    fn no_match_offers_the_accounts_other_roles_or_accounts_a_digit_away() {
        assert_eq!(
            find_text("arn:aws:iam::111122223333:role/Admin"),
            (false, vec!["dev".into(), "dev-ro".into()])
        );
        assert_eq!(find_text("444455556667"), (false, vec!["prod".into()]));
        assert_eq!(find_text("999999999999"), (false, vec![]));
    }

    #[test]
    fn account_names_keep_valid_ids_and_match_names_ignoring_case() {
        let mut names = AccountNames::default();
        names.insert("111122223333", " app-dev ");
        names.insert("not-an-id", "x");
        names.insert("444455556666", "");
        names.insert("777788889999", &"n".repeat(1000));
        assert_eq!(names.get("111122223333"), Some("app-dev"));
        assert_eq!(names.len(), 2);
        assert_eq!(names.get("777788889999").unwrap().len(), MAX_ACCOUNT_NAME);
        assert_eq!(names.accounts_named("APP-DEV").collect::<Vec<_>>(), ["111122223333"]);
    }
}
