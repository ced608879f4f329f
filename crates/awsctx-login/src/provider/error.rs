//! Why the provider gives no keys: typed errors with the facts (profile, session, command,
//! path, the network error); what to do about them is the binary's to say.

use std::fmt;
use std::time::Duration;

use awsctx_core::cache::{CacheError, InvalidCredentials};
use awsctx_core::config::ProfileError;
use awsctx_core::file::{FileError, LockHolder};

use super::mfa::MfaError;
use super::session::{LoginReason, LoginTarget};
use crate::endpoint::Call;
use crate::error::Error;

/// What a process that waits for a lock is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockPurpose {
    /// Another process is fetching these role credentials.
    RoleCredentials { profile: String },
    /// Another process is refreshing this SSO token.
    TokenRefresh { target: LoginTarget },
    /// Another process is logging in to this session.
    Login { target: LoginTarget },
    /// Another process is assuming the role of this profile.
    AssumeRole { profile: String },
}

impl fmt::Display for LockPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RoleCredentials { profile } => {
                write!(f, "fetching the credentials of profile `{profile}`")
            }
            Self::TokenRefresh { target } => write!(f, "refreshing the token of the {target}"),
            Self::Login { target } => write!(f, "logging in to the {target}"),
            Self::AssumeRole { profile } => {
                write!(f, "assuming the role of profile `{profile}`")
            }
        }
    }
}

/// A lock is busy: who holds it and why (the binary prints it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockWait {
    pub holder: LockHolder,
    pub purpose: LockPurpose,
}

impl fmt::Display for LockWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "waiting for {} ({})", self.holder, self.purpose)
    }
}

/// Where a set of keys came from, for the error that refuses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `GetRoleCredentials` (or `AssumeRole`) at this endpoint.
    Service(Call),
    /// The profile's `credential_process`.
    Process { program: String },
    /// The profile's own `aws_access_key_id` and friends.
    Config,
    /// `AWS_ACCESS_KEY_ID` and friends (`credential_source = Environment`).
    Environment,
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(call) => write!(f, "{call} answered"),
            Self::Process { program } => write!(f, "`{program}` printed"),
            Self::Config => f.write_str("the config or credentials file has"),
            Self::Environment => f.write_str("the environment has"),
        }
    }
}

/// Everything that can keep the provider from giving keys; each names its profile, session,
/// command or path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    #[error(transparent)]
    Profile(#[from] ProfileError),

    /// A login is needed: `awsctx login` for `target`.
    #[error("{target} {reason}")]
    LoginRequired { target: LoginTarget, reason: LoginReason },

    /// Network use was not allowed and the caches have no usable keys (the SSO login itself
    /// is fine or refreshable: otherwise the error is [`ProviderError::LoginRequired`]).
    #[error("no cached credentials for profile `{profile}` (and the network was not to be used)")]
    NotCached { profile: String },

    /// A profile kind this version cannot resolve yet.
    #[error("profile `{profile}`: {what} is not supported yet")]
    Unsupported { profile: String, what: String },

    /// An `sso_session` without `sso_account_id` and `sso_role_name`: a login, no role.
    #[error(
        "profile `{profile}` names SSO session `{session}` but no `sso_account_id` and `sso_role_name`, so it has no role credentials"
    )]
    NoRole { profile: String, session: String },

    #[error(transparent)]
    Cache(#[from] CacheError),

    #[error(transparent)]
    Lock(#[from] FileError),

    #[error(transparent)]
    Network(#[from] Error),

    #[error("profile `{profile}`: `credential_process` is not a valid command line: {reason}")]
    ProcessCommand { profile: String, reason: String },

    #[error("profile `{profile}`: cannot run `{program}`: {source}")]
    ProcessSpawn { profile: String, program: String, source: std::io::Error },

    #[error("profile `{profile}`: `{program}` failed ({status}): {stderr}")]
    ProcessFailed { profile: String, program: String, status: String, stderr: String },

    /// The `credential_process` ran past the caller's deadline (the shell hook's) and was
    /// killed with its process group.
    #[error(
        "profile `{profile}`: `{program}` did not finish within {} and was stopped",
        roughly(*after)
    )]
    ProcessTimeout { profile: String, program: String, after: Duration },

    #[error("profile `{profile}`: `{program}` printed unusable credentials: {reason}")]
    ProcessOutput { profile: String, program: String, reason: String },

    /// The AWS CLI's `_AWS_CLI_PROFILE_CHAIN` guard: a `credential_process` calls itself.
    #[error(
        "credential process resolution detected an infinite loop, profile cycle: `{}`",
        cycle.join(" -> ")
    )]
    ProcessLoop { cycle: Vec<String> },

    #[error("maximum recursive credential process resolution reached ({max})")]
    ProcessDepth { max: usize },

    /// STS refused (or could not be asked) to give the role of `profile`.
    #[error("profile `{profile}`: cannot assume role `{role_arn}`: {source}")]
    AssumeRole { profile: String, role_arn: String, source: Box<Error> },

    /// The role of `profile` needs a code from its MFA device and none could be had.
    #[error("profile `{profile}` needs a code from MFA device `{mfa_serial}`, but {reason}")]
    MfaUnavailable { profile: String, mfa_serial: String, reason: MfaError },

    /// Keys with characters AWS never issues: refused where they enter, so nothing prints,
    /// caches or exports them.
    #[error("profile `{profile}`: {from} keys that awsctx refuses: {reason}")]
    InvalidCredentials { profile: String, from: KeySource, reason: InvalidCredentials },

    /// `credential_source = Environment` without keys in the environment.
    #[error(
        "profile `{profile}` has `credential_source = Environment`, but `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are not both set"
    )]
    NoEnvironmentCredentials { profile: String },
}

/// `5 s`, or `300 ms` under a second.
fn roughly(duration: Duration) -> String {
    if duration < Duration::from_millis(950) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs_f64().round())
    }
}
