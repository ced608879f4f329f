//! What a profile is and where its credentials come from.
//!
//! [`Config::kind`] classifies one profile by the rules of the SDKs (`aws-config`'s profile
//! provider, checked against `assume-role-tests.json`): `role_arn` first (a role to assume),
//! then `credential_source`, `web_identity_token_file`, SSO, `credential_process`, static keys;
//! a profile with none of these only holds settings. [`Config::credential_chain`] follows
//! `source_profile` from the selected profile down to the base credentials, as the AWS CLI
//! does when it chains `AssumeRole` calls (a source profile with static keys ends the chain).
//! The owned results and their errors are in `kind`.

/// The word for a kind of profile, written once for [`ProfileKind`] and for the kind borrowed
/// from the config (`list` wants only the word): their variants have the same names.
macro_rules! kind_label {
    ($kind:expr) => {
        match $kind {
            Self::Sso { .. } | Self::LegacySso { .. } => "sso",
            Self::SsoToken { .. } => "sso-token",
            Self::AssumeRole { .. } => "role",
            Self::WebIdentity { .. } => "web-identity",
            Self::CredentialSource { .. } => "credential-source",
            Self::CredentialProcess { .. } => "process",
            Self::Static { .. } => "static",
            Self::SettingsOnly => "settings",
        }
    };
}

mod kind;

pub use kind::{
    ChainLink, ProfileError, ProfileKind, RoleSource, SESSION_DEFAULT_REGION, SsoSession,
};

use super::model::{Config, Profile, Section};
use super::place::FileLine;
use super::store::Stored;
use crate::secret::Secret;

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

/// The keys that say what a profile is, found in one pass over its properties. An empty
/// value counts as unset, as in the SDKs (`region =`).
#[derive(Default)]
struct Keys<'a> {
    role_arn: Option<&'a str>,
    source_profile: Option<&'a str>,
    credential_source: Option<&'a str>,
    role_session_name: Option<&'a str>,
    external_id: Option<&'a str>,
    mfa_serial: Option<&'a str>,
    duration_seconds: Option<&'a str>,
    web_identity_token_file: Option<&'a str>,
    sso_session: Option<&'a str>,
    sso_start_url: Option<&'a str>,
    sso_region: Option<&'a str>,
    sso_account_id: Option<&'a str>,
    sso_role_name: Option<&'a str>,
    credential_process: Option<&'a str>,
    access_key_id: Option<&'a str>,
    secret_access_key: Option<&'a str>,
    session_token: Option<&'a str>,
    account_id: Option<&'a str>,
}

impl<'a> Keys<'a> {
    fn of(profile: &Profile<'a>) -> Self {
        let mut keys = Self::default();
        let text = profile.text();
        for property in profile.stored_all() {
            let Stored::Simple(span) = property.value.get() else { continue };
            let value = text.get(span);
            if value.is_empty() {
                continue;
            }
            let slot = match text.get(property.key) {
                key::ROLE_ARN => &mut keys.role_arn,
                key::SOURCE_PROFILE => &mut keys.source_profile,
                key::CREDENTIAL_SOURCE => &mut keys.credential_source,
                key::ROLE_SESSION_NAME => &mut keys.role_session_name,
                key::EXTERNAL_ID => &mut keys.external_id,
                key::MFA_SERIAL => &mut keys.mfa_serial,
                key::DURATION_SECONDS => &mut keys.duration_seconds,
                key::WEB_IDENTITY_TOKEN_FILE => &mut keys.web_identity_token_file,
                key::SSO_SESSION => &mut keys.sso_session,
                key::SSO_START_URL => &mut keys.sso_start_url,
                key::SSO_REGION => &mut keys.sso_region,
                key::SSO_ACCOUNT_ID => &mut keys.sso_account_id,
                key::SSO_ROLE_NAME => &mut keys.sso_role_name,
                key::CREDENTIAL_PROCESS => &mut keys.credential_process,
                key::ACCESS_KEY_ID => &mut keys.access_key_id,
                key::SECRET_ACCESS_KEY => &mut keys.secret_access_key,
                key::SESSION_TOKEN => &mut keys.session_token,
                key::ACCOUNT_ID => &mut keys.account_id,
                _ => continue,
            };
            *slot = Some(value);
        }
        keys
    }
}

/// A [`ProfileKind`] borrowed from the config: classifying costs no copy until a caller
/// wants one (`list` only wants the label, 10 000 times).
enum Kind<'a> {
    Sso {
        session: Section<'a>,
        account_id: &'a str,
        role_name: &'a str,
    },
    SsoToken {
        session: Section<'a>,
    },
    LegacySso {
        start_url: &'a str,
        region: &'a str,
        account_id: &'a str,
        role_name: &'a str,
    },
    AssumeRole {
        role_arn: &'a str,
        source: Source<'a>,
        role_session_name: Option<&'a str>,
        external_id: Option<&'a str>,
        mfa_serial: Option<&'a str>,
        duration_seconds: Option<u32>,
    },
    WebIdentity {
        role_arn: &'a str,
        token_file: &'a str,
        role_session_name: Option<&'a str>,
    },
    CredentialSource {
        source: &'a str,
    },
    CredentialProcess {
        command: &'a str,
    },
    Static {
        access_key_id: &'a str,
        secret_access_key: &'a str,
        session_token: Option<&'a str>,
        account_id: Option<&'a str>,
    },
    SettingsOnly,
}

enum Source<'a> {
    Profile(&'a str),
    CredentialSource(&'a str),
}

impl Kind<'_> {
    fn owned(&self) -> ProfileKind {
        let own = |s: Option<&str>| s.map(str::to_owned);
        match self {
            Self::Sso { session, account_id, role_name } => ProfileKind::Sso {
                session: owned_session(*session),
                account_id: (*account_id).to_owned(),
                role_name: (*role_name).to_owned(),
            },
            Self::SsoToken { session } => {
                ProfileKind::SsoToken { session: owned_session(*session) }
            }
            Self::LegacySso { start_url, region, account_id, role_name } => {
                ProfileKind::LegacySso {
                    start_url: (*start_url).to_owned(),
                    region: (*region).to_owned(),
                    account_id: (*account_id).to_owned(),
                    role_name: (*role_name).to_owned(),
                }
            }
            Self::AssumeRole {
                role_arn,
                source,
                role_session_name,
                external_id,
                mfa_serial,
                duration_seconds,
            } => ProfileKind::AssumeRole {
                role_arn: (*role_arn).to_owned(),
                source: match source {
                    Source::Profile(name) => RoleSource::Profile((*name).to_owned()),
                    Source::CredentialSource(name) => {
                        RoleSource::CredentialSource((*name).to_owned())
                    }
                },
                role_session_name: own(*role_session_name),
                external_id: own(*external_id),
                mfa_serial: own(*mfa_serial),
                duration_seconds: *duration_seconds,
            },
            Self::WebIdentity { role_arn, token_file, role_session_name } => {
                ProfileKind::WebIdentity {
                    role_arn: (*role_arn).to_owned(),
                    token_file: (*token_file).to_owned(),
                    role_session_name: own(*role_session_name),
                }
            }
            Self::CredentialSource { source } => {
                ProfileKind::CredentialSource { source: (*source).to_owned() }
            }
            Self::CredentialProcess { command } => {
                ProfileKind::CredentialProcess { command: (*command).to_owned() }
            }
            Self::Static { access_key_id, secret_access_key, session_token, account_id } => {
                ProfileKind::Static {
                    access_key_id: (*access_key_id).to_owned(),
                    secret_access_key: Secret::new(*secret_access_key),
                    session_token: session_token.map(Secret::new),
                    account_id: own(*account_id),
                }
            }
            Self::SettingsOnly => ProfileKind::SettingsOnly,
        }
    }

    fn label(&self) -> &'static str {
        kind_label!(self)
    }
}

/// An `[sso-session]` section already checked by [`Config::checked_session`].
fn owned_session(section: Section<'_>) -> SsoSession {
    let registration_scopes = section
        .get(key::SSO_REGISTRATION_SCOPES)
        .map(|scopes| {
            scopes.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        })
        .unwrap_or_default();
    SsoSession {
        name: section.name().to_owned(),
        start_url: section.non_empty(key::SSO_START_URL).unwrap_or_default().to_owned(),
        region: section.non_empty(key::SSO_REGION).unwrap_or_default().to_owned(),
        registration_scopes,
    }
}

impl Config {
    /// What profile `name` is, checked.
    pub fn kind(&self, name: &str) -> Result<ProfileKind, ProfileError> {
        self.classify(name).map(|kind| kind.owned())
    }

    /// The word for what profile `name` is ([`ProfileKind::label`]), checked as by
    /// [`Config::kind`], without copying anything out of the config.
    pub fn kind_label(&self, name: &str) -> Result<&'static str, ProfileError> {
        self.classify(name).map(|kind| kind.label())
    }

    /// [`Config::kind_label`] of a profile already at hand (`list` goes through them all).
    pub fn kind_label_of(&self, profile: Profile<'_>) -> Result<&'static str, ProfileError> {
        self.classify_profile(profile).map(|kind| kind.label())
    }

    fn classify(&self, name: &str) -> Result<Kind<'_>, ProfileError> {
        let profile = self
            .profile(name)
            .ok_or_else(|| ProfileError::NotFound { profile: name.to_owned() })?;
        self.classify_profile(profile)
    }

    fn classify_profile<'a>(&'a self, profile: Profile<'a>) -> Result<Kind<'a>, ProfileError> {
        let keys = Keys::of(&profile);
        if let Some((kind, _)) = self.role(profile, &keys)? {
            return Ok(kind);
        }
        self.base_kind(profile, &keys)
    }

    /// The chain from the base credentials to profile `name`: the base first, then one
    /// [`ProfileKind::AssumeRole`] link per role, `name`'s own role last.
    pub fn credential_chain(&self, name: &str) -> Result<Vec<ChainLink>, ProfileError> {
        let mut visited: Vec<&str> = Vec::new();
        let mut roles: Vec<ChainLink> = Vec::new();
        let mut current = name;
        let link = |profile: Profile<'_>, kind: &Kind<'_>| ChainLink {
            profile: profile.name().to_owned(),
            kind: kind.owned(),
        };
        let base = loop {
            let Some(profile) = self.profile(current) else {
                return Err(match visited.last().and_then(|last| self.profile(last)) {
                    Some(referrer) => ProfileError::SourceProfileNotFound {
                        profile: referrer.name().to_owned(),
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
            let keys = Keys::of(&profile);
            // A source profile with static keys ends the chain, even when it has a role.
            if visited.len() > 1
                && let Ok(Some(kind)) = self.static_keys(profile, &keys)
            {
                break link(profile, &kind);
            }
            if let Some((kind, next)) = self.role(profile, &keys)? {
                roles.push(link(profile, &kind));
                if let Next::Profile(source) = next {
                    current = source;
                    continue;
                }
            }
            // No role, or a role whose source is this profile's own base credentials.
            let kind = self.credential_base(profile, &keys)?;
            break link(profile, &kind);
        };
        roles.push(base);
        roles.reverse();
        Ok(roles)
    }

    /// The `[sso-session NAME]` section, checked.
    pub fn sso_session(&self, name: &str) -> Result<SsoSession, ProfileError> {
        let section = self
            .sso_session_section(name)
            .ok_or_else(|| ProfileError::UnknownSsoSession { session: name.to_owned() })?;
        self.checked_session(section).map(owned_session)
    }

    /// The profiles with `sso_session = NAME`, in file order.
    pub fn profiles_using_sso_session<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = Profile<'a>> + 'a {
        self.profiles().filter(move |p| p.get(key::SSO_SESSION) == Some(name))
    }

    fn checked_session<'a>(&self, section: Section<'a>) -> Result<Section<'a>, ProfileError> {
        for key in [key::SSO_START_URL, key::SSO_REGION] {
            if section.non_empty(key).is_none() {
                return Err(ProfileError::SsoSessionIncomplete {
                    session: section.name().to_owned(),
                    key,
                    at: self.file_line(section.header()),
                });
            }
        }
        Ok(section)
    }

    /// The line of `key` in `profile`, or its header when the key is not there.
    fn key_line(&self, profile: Profile<'_>, key: &str) -> FileLine {
        self.file_line(profile.location_of(key).unwrap_or(profile.header()))
    }

    /// `role_arn` (without `web_identity_token_file`, which makes it a web-identity base):
    /// the role and where its source credentials come from.
    fn role<'a>(
        &self,
        profile: Profile<'a>,
        keys: &Keys<'a>,
    ) -> Result<Option<(Kind<'a>, Next<'a>)>, ProfileError> {
        if keys.web_identity_token_file.is_some() {
            return Ok(None);
        }
        let Some(role_arn) = keys.role_arn else { return Ok(None) };
        let (source, next) = match (keys.source_profile, keys.credential_source) {
            (Some(_), Some(_)) => {
                return Err(ProfileError::BothRoleSources {
                    profile: profile.name().to_owned(),
                    at: self.key_line(profile, key::CREDENTIAL_SOURCE),
                });
            }
            (None, None) => {
                return Err(ProfileError::RoleWithoutSource {
                    profile: profile.name().to_owned(),
                    at: self.key_line(profile, key::ROLE_ARN),
                });
            }
            (Some(source), None) => {
                let next =
                    if source == profile.name() { Next::Itself } else { Next::Profile(source) };
                (Source::Profile(source), next)
            }
            (None, Some(source)) => (Source::CredentialSource(source), Next::Itself),
        };
        let kind = Kind::AssumeRole {
            role_arn,
            source,
            role_session_name: keys.role_session_name,
            external_id: keys.external_id,
            mfa_serial: keys.mfa_serial,
            duration_seconds: keys.duration_seconds.and_then(|d| d.trim().parse().ok()),
        };
        Ok(Some((kind, next)))
    }

    /// A base kind that gives credentials (or an SSO token); `SettingsOnly` is an error here.
    fn credential_base<'a>(
        &'a self,
        profile: Profile<'a>,
        keys: &Keys<'a>,
    ) -> Result<Kind<'a>, ProfileError> {
        match self.base_kind(profile, keys)? {
            Kind::SettingsOnly => Err(ProfileError::NoCredentials {
                profile: profile.name().to_owned(),
                at: self.file_line(profile.header()),
            }),
            kind => Ok(kind),
        }
    }

    /// The kind of a profile that is not (or no longer) read as a role.
    fn base_kind<'a>(
        &'a self,
        profile: Profile<'a>,
        keys: &Keys<'a>,
    ) -> Result<Kind<'a>, ProfileError> {
        if let Some(source) = keys.credential_source {
            return Ok(Kind::CredentialSource { source });
        }
        if let Some(token_file) = keys.web_identity_token_file {
            let Some(role_arn) = keys.role_arn else {
                return Err(ProfileError::WebIdentityWithoutRoleArn {
                    profile: profile.name().to_owned(),
                    at: self.key_line(profile, key::WEB_IDENTITY_TOKEN_FILE),
                });
            };
            return Ok(Kind::WebIdentity {
                role_arn,
                token_file,
                role_session_name: keys.role_session_name,
            });
        }
        if let Some(kind) = self.sso(profile, keys)? {
            return Ok(kind);
        }
        if let Some(command) = keys.credential_process {
            return Ok(Kind::CredentialProcess { command });
        }
        Ok(self.static_keys(profile, keys)?.unwrap_or(Kind::SettingsOnly))
    }

    fn sso<'a>(
        &'a self,
        profile: Profile<'a>,
        keys: &Keys<'a>,
    ) -> Result<Option<Kind<'a>>, ProfileError> {
        let pair_error = |present, missing| ProfileError::SsoAccountRolePair {
            profile: profile.name().to_owned(),
            present,
            missing,
            at: self.key_line(profile, present),
        };
        let (account_id, role_name) = (keys.sso_account_id, keys.sso_role_name);
        if let Some(session_name) = keys.sso_session {
            for (key, value) in
                [(key::SSO_START_URL, keys.sso_start_url), (key::SSO_REGION, keys.sso_region)]
            {
                if value.is_some() {
                    return Err(ProfileError::SsoKeyBesideSession {
                        profile: profile.name().to_owned(),
                        key,
                        at: self.key_line(profile, key),
                    });
                }
            }
            let section = self.sso_session_section(session_name).ok_or_else(|| {
                ProfileError::SsoSessionNotFound {
                    profile: profile.name().to_owned(),
                    session: session_name.to_owned(),
                    at: self.key_line(profile, key::SSO_SESSION),
                }
            })?;
            let kind = match (account_id, role_name) {
                (Some(account_id), Some(role_name)) => {
                    Kind::Sso { session: self.checked_session(section)?, account_id, role_name }
                }
                (None, None) => Kind::SsoToken { session: self.checked_session(section)? },
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
        let require = |key: &'static str, value: Option<&'a str>| {
            value.ok_or_else(|| ProfileError::LegacySsoIncomplete {
                profile: profile.name().to_owned(),
                key,
                at: self.file_line(profile.header()),
            })
        };
        Ok(Some(Kind::LegacySso {
            start_url: require(key::SSO_START_URL, keys.sso_start_url)?,
            region: require(key::SSO_REGION, keys.sso_region)?,
            account_id,
            role_name,
        }))
    }

    /// Static keys, if the profile has any of them; an incomplete pair is an error.
    fn static_keys<'a>(
        &self,
        profile: Profile<'a>,
        keys: &Keys<'a>,
    ) -> Result<Option<Kind<'a>>, ProfileError> {
        let incomplete = |present, missing| ProfileError::StaticKeysIncomplete {
            profile: profile.name().to_owned(),
            present,
            missing,
            at: self.key_line(profile, present),
        };
        match (keys.access_key_id, keys.secret_access_key) {
            (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Kind::Static {
                access_key_id,
                secret_access_key,
                session_token: keys.session_token,
                account_id: keys.account_id,
            })),
            (None, None) if keys.session_token.is_none() => Ok(None),
            (None, None) => Err(incomplete(key::SESSION_TOKEN, key::ACCESS_KEY_ID)),
            (Some(_), None) => Err(incomplete(key::ACCESS_KEY_ID, key::SECRET_ACCESS_KEY)),
            (None, Some(_)) => Err(incomplete(key::SECRET_ACCESS_KEY, key::ACCESS_KEY_ID)),
        }
    }
}
