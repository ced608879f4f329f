//! What a profile is, owned: its [`ProfileKind`], the links of its credential chain, and
//! why it cannot be used ([`ProfileError`]). `profile` works them out from a config.

use std::fmt;

use crate::config::model::redact_command;
use crate::config::place::FileLine;
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
        kind_label!(self)
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

impl fmt::Display for RoleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Profile(name) => write!(f, "profile `{name}`"),
            Self::CredentialSource(source) => write!(f, "credential source `{source}`"),
        }
    }
}
