//! What a profile is and where its credentials come from.
//!
//! [`Config::kind`] classifies one profile by the rules of the SDKs (`aws-config`'s profile
//! provider, checked against `assume-role-tests.json`): `role_arn` first (a role to assume),
//! then `credential_source`, `web_identity_token_file`, SSO, `credential_process`, static keys;
//! a profile with none of these only holds settings. [`Config::credential_chain`] follows
//! `source_profile` from the selected profile down to the base credentials, as the AWS CLI
//! does when it chains `AssumeRole` calls (a source profile with static keys ends the chain).

use std::fmt;

use super::model::{Config, FileLine, Profile, Section, redact_command};
use crate::secret::Secret;

/// The key of `[sso-session NAME]` in which `configure sso` keeps the default region the user
/// chose, for `populate` to write into the profiles it generates for that session. Not
/// `region`: botocore refuses every profile of the session whose own `region` differs from
/// one in the session section ("inconsistent between profile and sso-session"), and the
/// SDKs ignore a key they do not know.
pub const SESSION_DEFAULT_REGION: &str = "awsctx_default_region";

/// An `[sso-session NAME]` section, checked: it has a start URL and a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    pub name: String,
    pub start_url: String,
    pub region: String,
    /// `sso_registration_scopes`, split at commas; empty when unset.
    pub registration_scopes: Vec<String>,
}

/// What gives the first credentials of an `AssumeRole` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleSource {
    /// `source_profile = NAME`.
    Profile(String),
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    CredentialSource(String),
}

/// The kind of a profile: how it gets credentials, with everything needed to get them.
/// `Debug` hides secret keys and the arguments of `credential_process`.
#[derive(Clone, PartialEq, Eq)]
pub enum ProfileKind {
    /// `sso_session` + `sso_account_id` + `sso_role_name`: role credentials from the portal.
    Sso { session: SsoSession, account_id: String, role_name: String },
    /// `sso_session` alone: a login (an SSO token), no role credentials.
    SsoToken { session: SsoSession },
    /// `sso_start_url` + `sso_region` + `sso_account_id` + `sso_role_name`, no session.
    LegacySso { start_url: String, region: String, account_id: String, role_name: String },
    /// `role_arn` with `source_profile` or `credential_source`.
    AssumeRole {
        role_arn: String,
        source: RoleSource,
        role_session_name: Option<String>,
        external_id: Option<String>,
        mfa_serial: Option<String>,
        /// `duration_seconds`; a value that is not a number is ignored, as by the AWS CLI.
        duration_seconds: Option<u32>,
    },
    /// `role_arn` + `web_identity_token_file`.
    WebIdentity { role_arn: String, token_file: String, role_session_name: Option<String> },
    /// `credential_source` without `role_arn`: the named source itself.
    CredentialSource { source: String },
    /// `credential_process = COMMAND`.
    CredentialProcess { command: String },
    /// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`).
    Static {
        access_key_id: String,
        secret_access_key: Secret,
        session_token: Option<Secret>,
        /// `aws_account_id`, when given.
        account_id: Option<String>,
    },
    /// Only settings (`region`, `output`, ...): no credentials of its own.
    SettingsOnly,
}

impl ProfileKind {
    /// A short word for listings: `sso`, `role`, `static`, ...
    pub fn label(&self) -> &'static str {
        match self {
            Self::Sso { .. } | Self::LegacySso { .. } => "sso",
            Self::SsoToken { .. } => "sso-token",
            Self::AssumeRole { .. } => "role",
            Self::WebIdentity { .. } => "web-identity",
            Self::CredentialSource { .. } => "credential-source",
            Self::CredentialProcess { .. } => "process",
            Self::Static { .. } => "static",
            Self::SettingsOnly => "settings",
        }
    }
}

impl fmt::Debug for ProfileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sso { session, account_id, role_name } => f
                .debug_struct("Sso")
                .field("session", session)
                .field("account_id", account_id)
                .field("role_name", role_name)
                .finish(),
            Self::SsoToken { session } => {
                f.debug_struct("SsoToken").field("session", session).finish()
            }
            Self::LegacySso { start_url, region, account_id, role_name } => f
                .debug_struct("LegacySso")
                .field("start_url", start_url)
                .field("region", region)
                .field("account_id", account_id)
                .field("role_name", role_name)
                .finish(),
            Self::AssumeRole {
                role_arn,
                source,
                role_session_name,
                external_id,
                mfa_serial,
                duration_seconds,
            } => f
                .debug_struct("AssumeRole")
                .field("role_arn", role_arn)
                .field("source", source)
                .field("role_session_name", role_session_name)
                .field("external_id", external_id)
                .field("mfa_serial", mfa_serial)
                .field("duration_seconds", duration_seconds)
                .finish(),
            Self::WebIdentity { role_arn, token_file, role_session_name } => f
                .debug_struct("WebIdentity")
                .field("role_arn", role_arn)
                .field("token_file", token_file)
                .field("role_session_name", role_session_name)
                .finish(),
            Self::CredentialSource { source } => {
                f.debug_struct("CredentialSource").field("source", source).finish()
            }
            Self::CredentialProcess { command } => f
                .debug_struct("CredentialProcess")
                .field("command", &redact_command(command))
                .finish(),
            Self::Static { access_key_id, secret_access_key, session_token, account_id } => f
                .debug_struct("Static")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", secret_access_key)
                .field("session_token", session_token)
                .field("account_id", account_id)
                .finish(),
            Self::SettingsOnly => f.write_str("SettingsOnly"),
        }
    }
}

/// One step of a credential chain: the profile and what it contributes. The first link gives
/// the base credentials; each later link is a [`ProfileKind::AssumeRole`] made with the
/// credentials of the link before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    pub profile: String,
    pub kind: ProfileKind,
}

/// Why a profile cannot be used; each names the profile and, where known, `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("profile `{profile}` not found in the AWS config or credentials file")]
    NotFound { profile: String },
    #[error(
        "{at}: profile `{profile}` names `source_profile = {source_profile}`, but there is no profile `{source_profile}`"
    )]
    SourceProfileNotFound { profile: String, source_profile: String, at: FileLine },
    #[error(
        "{at}: profile `{profile}` has `role_arn` but neither `source_profile` nor `credential_source`"
    )]
    RoleWithoutSource { profile: String, at: FileLine },
    #[error(
        "{at}: profile `{profile}` sets both `source_profile` and `credential_source`; keep one"
    )]
    BothRoleSources { profile: String, at: FileLine },
    #[error("role chain loops: `{}`", cycle.join(" -> "))]
    Cycle {
        /// The profiles in order, the first repeated at the end: `a -> b -> a`.
        cycle: Vec<String>,
    },
    #[error("{at}: profile `{profile}` has `web_identity_token_file` but `role_arn` is missing")]
    WebIdentityWithoutRoleArn { profile: String, at: FileLine },
    #[error(
        "{at}: profile `{profile}` sets `{key}` next to `sso_session`; `{key}` belongs in the `[sso-session]` section"
    )]
    SsoKeyBesideSession { profile: String, key: &'static str, at: FileLine },
    #[error(
        "{at}: profile `{profile}` uses `sso_session = {session}`, but there is no `[sso-session {session}]` section"
    )]
    SsoSessionNotFound { profile: String, session: String, at: FileLine },
    #[error("no `[sso-session {session}]` section in the AWS config file")]
    UnknownSsoSession { session: String },
    #[error("{at}: `[sso-session {session}]` is missing `{key}`")]
    SsoSessionIncomplete { session: String, key: &'static str, at: FileLine },
    #[error("{at}: profile `{profile}` sets `{present}` but not `{missing}`; SSO needs both")]
    SsoAccountRolePair {
        profile: String,
        present: &'static str,
        missing: &'static str,
        at: FileLine,
    },
    #[error("{at}: profile `{profile}` is an SSO profile without `{key}` (or set `sso_session`)")]
    LegacySsoIncomplete { profile: String, key: &'static str, at: FileLine },
    #[error("{at}: profile `{profile}` sets `{present}` but not `{missing}`")]
    StaticKeysIncomplete {
        profile: String,
        present: &'static str,
        missing: &'static str,
        at: FileLine,
    },
    #[error(
        "{at}: profile `{profile}` has no credentials (no SSO, role, `credential_process` or keys)"
    )]
    NoCredentials { profile: String, at: FileLine },
}

mod key {
    pub(super) const ROLE_ARN: &str = "role_arn";
    pub(super) const SOURCE_PROFILE: &str = "source_profile";
    pub(super) const CREDENTIAL_SOURCE: &str = "credential_source";
    pub(super) const ROLE_SESSION_NAME: &str = "role_session_name";
    pub(super) const EXTERNAL_ID: &str = "external_id";
    pub(super) const MFA_SERIAL: &str = "mfa_serial";
    pub(super) const DURATION_SECONDS: &str = "duration_seconds";
    pub(super) const WEB_IDENTITY_TOKEN_FILE: &str = "web_identity_token_file";
    pub(super) const SSO_SESSION: &str = "sso_session";
    pub(super) const SSO_START_URL: &str = "sso_start_url";
    pub(super) const SSO_REGION: &str = "sso_region";
    pub(super) const SSO_ACCOUNT_ID: &str = "sso_account_id";
    pub(super) const SSO_ROLE_NAME: &str = "sso_role_name";
    pub(super) const SSO_REGISTRATION_SCOPES: &str = "sso_registration_scopes";
    pub(super) const CREDENTIAL_PROCESS: &str = "credential_process";
    pub(super) const ACCESS_KEY_ID: &str = "aws_access_key_id";
    pub(super) const SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
    pub(super) const SESSION_TOKEN: &str = "aws_session_token";
    pub(super) const ACCOUNT_ID: &str = "aws_account_id";
}

/// Where the next link of a chain comes from.
enum Next<'a> {
    Profile(&'a str),
    /// `source_profile` is the profile itself, or `credential_source`: read this profile's
    /// own base credentials.
    Itself,
}

impl Config {
    /// What profile `name` is, checked.
    pub fn kind(&self, name: &str) -> Result<ProfileKind, ProfileError> {
        let profile = self
            .profile(name)
            .ok_or_else(|| ProfileError::NotFound { profile: name.to_owned() })?;
        if let Some((kind, _)) = self.role(profile)? {
            return Ok(kind);
        }
        self.base_kind(profile)
    }

    /// The chain from the base credentials to profile `name`: the base first, then one
    /// [`ProfileKind::AssumeRole`] link per role, `name`'s own role last.
    pub fn credential_chain(&self, name: &str) -> Result<Vec<ChainLink>, ProfileError> {
        let mut visited: Vec<&str> = Vec::new();
        let mut roles: Vec<ChainLink> = Vec::new();
        let mut current = name;
        let base = loop {
            let Some(profile) = self.profile(current) else {
                return Err(match visited.last().and_then(|last| self.profile(last)) {
                    Some(referrer) => ProfileError::SourceProfileNotFound {
                        profile: referrer.name.clone(),
                        source_profile: current.to_owned(),
                        at: self.key_line(referrer, key::SOURCE_PROFILE),
                    },
                    None => ProfileError::NotFound { profile: current.to_owned() },
                });
            };
            if visited.contains(&current) {
                let mut cycle: Vec<String> = visited.iter().map(|&p| p.to_owned()).collect();
                cycle.push(current.to_owned());
                return Err(ProfileError::Cycle { cycle });
            }
            visited.push(current);
            // A source profile with static keys ends the chain, even when it has a role.
            if visited.len() > 1
                && let Ok(Some(kind)) = self.static_keys(profile)
            {
                break ChainLink { profile: profile.name.clone(), kind };
            }
            if let Some((kind, next)) = self.role(profile)? {
                roles.push(ChainLink { profile: profile.name.clone(), kind });
                if let Next::Profile(source) = next {
                    current = source;
                    continue;
                }
            }
            // No role, or a role whose source is this profile's own base credentials.
            let kind = self.credential_base(profile)?;
            break ChainLink { profile: profile.name.clone(), kind };
        };
        roles.push(base);
        roles.reverse();
        Ok(roles)
    }

    /// The `[sso-session NAME]` section, checked.
    pub fn sso_session(&self, name: &str) -> Result<SsoSession, ProfileError> {
        let section = self
            .sso_sessions
            .get(name)
            .ok_or_else(|| ProfileError::UnknownSsoSession { session: name.to_owned() })?;
        self.checked_session(section)
    }

    /// The profiles with `sso_session = NAME`, in file order.
    pub fn profiles_using_sso_session<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Profile> + 'a {
        self.profiles.values().filter(move |p| p.get(key::SSO_SESSION) == Some(name))
    }

    fn checked_session(&self, section: &Section) -> Result<SsoSession, ProfileError> {
        let require = |key: &'static str| {
            section.non_empty(key).map(str::to_owned).ok_or_else(|| {
                ProfileError::SsoSessionIncomplete {
                    session: section.name.clone(),
                    key,
                    at: self.file_line(section.header),
                }
            })
        };
        let start_url = require(key::SSO_START_URL)?;
        let region = require(key::SSO_REGION)?;
        let registration_scopes = section
            .get(key::SSO_REGISTRATION_SCOPES)
            .map(|scopes| {
                scopes
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(SsoSession { name: section.name.clone(), start_url, region, registration_scopes })
    }

    /// The line of `key` in `profile`, or its header when the key is not there.
    fn key_line(&self, profile: &Profile, key: &str) -> FileLine {
        self.file_line(profile.location_of(key).unwrap_or(profile.header))
    }

    /// `role_arn` (without `web_identity_token_file`, which makes it a web-identity base):
    /// the role and where its source credentials come from.
    fn role<'a>(
        &self,
        profile: &'a Profile,
    ) -> Result<Option<(ProfileKind, Next<'a>)>, ProfileError> {
        if profile.non_empty(key::WEB_IDENTITY_TOKEN_FILE).is_some() {
            return Ok(None);
        }
        let Some(role_arn) = profile.non_empty(key::ROLE_ARN) else { return Ok(None) };
        let (source, next) = match (
            profile.non_empty(key::SOURCE_PROFILE),
            profile.non_empty(key::CREDENTIAL_SOURCE),
        ) {
            (Some(_), Some(_)) => {
                return Err(ProfileError::BothRoleSources {
                    profile: profile.name.clone(),
                    at: self.key_line(profile, key::CREDENTIAL_SOURCE),
                });
            }
            (None, None) => {
                return Err(ProfileError::RoleWithoutSource {
                    profile: profile.name.clone(),
                    at: self.key_line(profile, key::ROLE_ARN),
                });
            }
            (Some(source), None) => {
                let next =
                    if source == profile.name { Next::Itself } else { Next::Profile(source) };
                (RoleSource::Profile(source.to_owned()), next)
            }
            (None, Some(source)) => (RoleSource::CredentialSource(source.to_owned()), Next::Itself),
        };
        let optional = |key| profile.non_empty(key).map(str::to_owned);
        let kind = ProfileKind::AssumeRole {
            role_arn: role_arn.to_owned(),
            source,
            role_session_name: optional(key::ROLE_SESSION_NAME),
            external_id: optional(key::EXTERNAL_ID),
            mfa_serial: optional(key::MFA_SERIAL),
            duration_seconds: profile
                .non_empty(key::DURATION_SECONDS)
                .and_then(|d| d.trim().parse().ok()),
        };
        Ok(Some((kind, next)))
    }

    /// A base kind that gives credentials (or an SSO token); `SettingsOnly` is an error here.
    fn credential_base(&self, profile: &Profile) -> Result<ProfileKind, ProfileError> {
        match self.base_kind(profile)? {
            ProfileKind::SettingsOnly => Err(ProfileError::NoCredentials {
                profile: profile.name.clone(),
                at: self.file_line(profile.header),
            }),
            kind => Ok(kind),
        }
    }

    /// The kind of a profile that is not (or no longer) read as a role.
    fn base_kind(&self, profile: &Profile) -> Result<ProfileKind, ProfileError> {
        if let Some(source) = profile.non_empty(key::CREDENTIAL_SOURCE) {
            return Ok(ProfileKind::CredentialSource { source: source.to_owned() });
        }
        if let Some(token_file) = profile.non_empty(key::WEB_IDENTITY_TOKEN_FILE) {
            let Some(role_arn) = profile.non_empty(key::ROLE_ARN) else {
                return Err(ProfileError::WebIdentityWithoutRoleArn {
                    profile: profile.name.clone(),
                    at: self.key_line(profile, key::WEB_IDENTITY_TOKEN_FILE),
                });
            };
            return Ok(ProfileKind::WebIdentity {
                role_arn: role_arn.to_owned(),
                token_file: token_file.to_owned(),
                role_session_name: profile.non_empty(key::ROLE_SESSION_NAME).map(str::to_owned),
            });
        }
        if let Some(kind) = self.sso(profile)? {
            return Ok(kind);
        }
        if let Some(command) = profile.non_empty(key::CREDENTIAL_PROCESS) {
            return Ok(ProfileKind::CredentialProcess { command: command.to_owned() });
        }
        Ok(self.static_keys(profile)?.unwrap_or(ProfileKind::SettingsOnly))
    }

    fn sso(&self, profile: &Profile) -> Result<Option<ProfileKind>, ProfileError> {
        let account_id = profile.non_empty(key::SSO_ACCOUNT_ID);
        let role_name = profile.non_empty(key::SSO_ROLE_NAME);
        let pair_error = |present, missing| ProfileError::SsoAccountRolePair {
            profile: profile.name.clone(),
            present,
            missing,
            at: self.key_line(profile, present),
        };
        if let Some(session_name) = profile.non_empty(key::SSO_SESSION) {
            for key in [key::SSO_START_URL, key::SSO_REGION] {
                if profile.non_empty(key).is_some() {
                    return Err(ProfileError::SsoKeyBesideSession {
                        profile: profile.name.clone(),
                        key,
                        at: self.key_line(profile, key),
                    });
                }
            }
            let section = self.sso_sessions.get(session_name).ok_or_else(|| {
                ProfileError::SsoSessionNotFound {
                    profile: profile.name.clone(),
                    session: session_name.to_owned(),
                    at: self.key_line(profile, key::SSO_SESSION),
                }
            })?;
            let kind = match (account_id, role_name) {
                (Some(account_id), Some(role_name)) => ProfileKind::Sso {
                    session: self.checked_session(section)?,
                    account_id: account_id.to_owned(),
                    role_name: role_name.to_owned(),
                },
                (None, None) => ProfileKind::SsoToken { session: self.checked_session(section)? },
                (Some(_), None) => return Err(pair_error(key::SSO_ACCOUNT_ID, key::SSO_ROLE_NAME)),
                (None, Some(_)) => return Err(pair_error(key::SSO_ROLE_NAME, key::SSO_ACCOUNT_ID)),
            };
            return Ok(Some(kind));
        }
        let (account_id, role_name) = match (account_id, role_name) {
            (Some(account_id), Some(role_name)) => (account_id, role_name),
            // `sso_start_url` / `sso_region` alone configure no role: settings, as in the CLI.
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(pair_error(key::SSO_ACCOUNT_ID, key::SSO_ROLE_NAME)),
            (None, Some(_)) => return Err(pair_error(key::SSO_ROLE_NAME, key::SSO_ACCOUNT_ID)),
        };
        let require = |key: &'static str| {
            profile.non_empty(key).map(str::to_owned).ok_or_else(|| {
                ProfileError::LegacySsoIncomplete {
                    profile: profile.name.clone(),
                    key,
                    at: self.file_line(profile.header),
                }
            })
        };
        Ok(Some(ProfileKind::LegacySso {
            start_url: require(key::SSO_START_URL)?,
            region: require(key::SSO_REGION)?,
            account_id: account_id.to_owned(),
            role_name: role_name.to_owned(),
        }))
    }

    /// Static keys, if the profile has any of them; an incomplete pair is an error.
    fn static_keys(&self, profile: &Profile) -> Result<Option<ProfileKind>, ProfileError> {
        let access_key_id = profile.non_empty(key::ACCESS_KEY_ID);
        let secret = profile.non_empty(key::SECRET_ACCESS_KEY);
        let token = profile.non_empty(key::SESSION_TOKEN);
        let incomplete = |present, missing| ProfileError::StaticKeysIncomplete {
            profile: profile.name.clone(),
            present,
            missing,
            at: self.key_line(profile, present),
        };
        match (access_key_id, secret) {
            (Some(access_key_id), Some(secret)) => Ok(Some(ProfileKind::Static {
                access_key_id: access_key_id.to_owned(),
                secret_access_key: Secret::new(secret),
                session_token: token.map(Secret::new),
                account_id: profile.non_empty(key::ACCOUNT_ID).map(str::to_owned),
            })),
            (None, None) if token.is_none() => Ok(None),
            (None, None) => Err(incomplete(key::SESSION_TOKEN, key::ACCESS_KEY_ID)),
            (Some(_), None) => Err(incomplete(key::ACCESS_KEY_ID, key::SECRET_ACCESS_KEY)),
            (None, Some(_)) => Err(incomplete(key::SECRET_ACCESS_KEY, key::ACCESS_KEY_ID)),
        }
    }
}

impl fmt::Display for RoleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Profile(name) => write!(f, "profile `{name}`"),
            Self::CredentialSource(source) => write!(f, "credential source `{source}`"),
        }
    }
}
