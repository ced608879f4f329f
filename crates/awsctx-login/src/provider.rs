//! The single-flight credential provider: the keys of a profile, from the caches the AWS CLI
//! shares whenever it can, from the network when it must, never through a browser.
//!
//! For an SSO profile ([`CredentialProvider::credentials`]):
//! 1. role credentials in `~/.aws/cli/cache` with at least 15 minutes left are used as they are;
//! 2. otherwise the provider takes that cache entry's lock (other processes wait, and are told
//!    who holds it), looks at the cache again (the holder may have just written it),
//! 3. loads the SSO token from `~/.aws/sso/cache`, refreshing it with its refresh token inside
//!    botocore's window (sso-session profiles only; under the token's own lock, written back in
//!    botocore's format),
//! 4. calls `GetRoleCredentials` and writes the cache entry in the AWS CLI's format.
//!
//! An expired, missing or refused token is [`ProviderError::LoginRequired`]: logging in is
//! the user's decision (`awsctx login`), never the provider's. Static keys and
//! `credential_process` profiles resolve too; so does `credential_source = Environment`.
//! Role chains (`role_arn` with `source_profile`, any depth) go through
//! [`Config::credential_chain`]; [`chain`] makes their `AssumeRole` calls and caches them as
//! the AWS CLI does. A role with `mfa_serial` asks for a code through [`mfa`] (the terminal,
//! unless the caller gives its own prompt).
//!
//! [`login`] holds the interactive side: `awsctx login` and `awsctx logout`.

pub mod chain;
pub mod login;
pub mod mfa;
mod process;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use awsctx_core::binding::StateDir;
use awsctx_core::cache::{
    CacheError, CredentialCache, CredentialKey, InvalidCredentials, RoleCredentials, SsoToken,
    TokenCache, TokenKey,
};
use awsctx_core::config::{ChainLink, Config, ProfileError, ProfileKind, SsoSession};
use awsctx_core::env::Env;
use awsctx_core::file::{FileError, FileLock, LockHolder};
use awsctx_core::secret::Secret;
use jiff::{SignedDuration, Timestamp};

use crate::endpoint::{Endpoint, ProfileEndpointSettings, Service};
use crate::error::{Call, Error};
use crate::http::{HttpClient, HttpSettings, run_blocking};
use crate::oidc::{ClientCredentials, Grant, SsoOidc};
use crate::portal::SsoPortal;

pub use chain::{DEFAULT_STS_REGION, generated_session_name};
pub use login::{LoginEvent, LoginFlow, LoginOptions, LoginOutcome, LogoutReport};
pub use mfa::{MfaError, MfaPrompt};

/// How long a process waits for another one fetching the same credentials or refreshing the
/// same token (a fetch takes a second or two; retries take longer).
pub const DEFAULT_LOCK_DEADLINE: Duration = Duration::from_secs(30);

/// Where the provider reads and writes, and whether it may use the network.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The home directory of `~/.aws/sso/cache` and `~/.aws/cli/cache`.
    pub home: PathBuf,
    /// awsctx's state directory: the single-flight locks live there.
    pub state_dir: StateDir,
    pub http: HttpSettings,
    /// `false`: answer from the caches only (the shell hook must not wait on the network).
    pub allow_network: bool,
}

/// The keys of a profile and what they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileCredentials {
    pub credentials: RoleCredentials,
    /// The profile asked for.
    pub profile: String,
    pub account_id: Option<String>,
    pub role_name: Option<String>,
    /// The profile's `region`.
    pub region: Option<String>,
    /// Where the keys came from this time.
    pub origin: CredentialOrigin,
}

/// Where a set of keys came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// `~/.aws/cli/cache`, written by awsctx or the AWS CLI.
    Cache,
    /// Fetched now from the SSO portal (and written to the cache).
    Portal,
    /// The profile's own keys.
    Static,
    /// Printed by the profile's `credential_process`.
    Process,
    /// Assumed now with STS `AssumeRole` (and written to the cache).
    Sts,
    /// `AWS_ACCESS_KEY_ID` and friends (`credential_source = Environment`).
    Environment,
}

/// The state of an SSO login, for `list`, `status` and `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// The access token works until `expires_at`.
    Valid { expires_at: Timestamp },
    /// Expired, but its refresh token can get a new one without a login.
    Refreshable { expires_at: Timestamp },
    /// Expired for good: a login is needed.
    Expired { expires_at: Timestamp },
    /// No token (or an unreadable one): a login is needed.
    Missing,
}

/// The SSO login a profile depends on: an `[sso-session]`, or the start URL of a legacy
/// profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginSession {
    Session(SsoSession),
    /// A profile with `sso_start_url` and `sso_region` of its own.
    Legacy {
        profile: String,
        start_url: String,
        region: String,
    },
}

impl LoginSession {
    /// The session of an SSO profile; `None` for a profile without SSO.
    pub fn of_kind(profile: &str, kind: &ProfileKind) -> Option<Self> {
        match kind {
            ProfileKind::Sso { session, .. } | ProfileKind::SsoToken { session } => {
                Some(Self::Session(session.clone()))
            }
            ProfileKind::LegacySso { start_url, region, .. } => Some(Self::Legacy {
                profile: profile.to_owned(),
                start_url: start_url.clone(),
                region: region.clone(),
            }),
            _ => None,
        }
    }

    /// The name of its token file: the session name, or the legacy start URL.
    pub fn token_key(&self) -> TokenKey {
        match self {
            Self::Session(session) => TokenKey::Session(session.name.clone()),
            Self::Legacy { start_url, .. } => TokenKey::StartUrl(start_url.clone()),
        }
    }

    pub fn start_url(&self) -> &str {
        match self {
            Self::Session(session) => &session.start_url,
            Self::Legacy { start_url, .. } => start_url,
        }
    }

    /// `sso_region`.
    pub fn region(&self) -> &str {
        match self {
            Self::Session(session) => &session.region,
            Self::Legacy { region, .. } => region,
        }
    }

    /// The `sso-session` name; `None` for a legacy profile.
    pub fn session_name(&self) -> Option<&str> {
        match self {
            Self::Session(session) => Some(&session.name),
            Self::Legacy { .. } => None,
        }
    }

    /// The configured `sso_registration_scopes`, `None` when there are none (legacy profiles
    /// have none).
    pub fn configured_scopes(&self) -> Option<Vec<String>> {
        match self {
            Self::Session(session) if !session.registration_scopes.is_empty() => {
                Some(session.registration_scopes.clone())
            }
            _ => None,
        }
    }

    /// What to log in to: the session, or the legacy profile.
    pub fn target(&self) -> LoginTarget {
        match self {
            Self::Session(session) => LoginTarget::Session(session.name.clone()),
            Self::Legacy { profile, .. } => LoginTarget::Profile(profile.clone()),
        }
    }
}

/// What `awsctx login` takes to renew a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginTarget {
    /// `--sso-session NAME`.
    Session(String),
    /// `--profile NAME`, for a legacy profile.
    Profile(String),
}

impl LoginTarget {
    /// The command that logs in again: `awsctx login --sso-session corp`.
    pub fn login_command(&self) -> String {
        match self {
            Self::Session(name) => format!("awsctx login --sso-session {}", shell_word(name)),
            Self::Profile(name) => format!("awsctx login --profile {}", shell_word(name)),
        }
    }
}

impl fmt::Display for LoginTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(name) => write!(f, "SSO session `{name}`"),
            Self::Profile(name) => write!(f, "SSO session of profile `{name}`"),
        }
    }
}

/// A name as one shell word in a hint (quoted only when it needs to be).
fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b));
    if plain { name.to_owned() } else { format!("'{}'", name.replace('\'', r"'\''")) }
}

/// Why a login is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReason {
    /// The token expired and cannot be refreshed.
    Expired,
    /// There is no token (or the file is unusable).
    Missing,
    /// The service refused the token (`UnauthorizedException`, or a refused refresh token).
    Refused,
}

impl fmt::Display for LoginReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Expired => "has expired",
            Self::Missing => "is not logged in",
            Self::Refused => "was refused by the SSO portal (the login expired or was revoked)",
        })
    }
}

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

    /// A login is needed: `awsctx login` with [`LoginTarget::login_command`].
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

impl ProviderError {
    /// The command that fixes it, when there is one (`awsctx login --sso-session corp`).
    pub fn login_command(&self) -> Option<String> {
        match self {
            Self::LoginRequired { target, .. } => Some(target.login_command()),
            _ => None,
        }
    }

    /// What to do about it, for the `hint:` line, when something can be said.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::LoginRequired { target, .. } => Some(format!("run `{}`", target.login_command())),
            Self::MfaUnavailable { reason: MfaError::NoTerminal | MfaError::NotAsked, .. } => Some(
                "run the command once in a terminal to enter the code; the role's keys are then cached and reused while 15 minutes remain"
                    .to_owned(),
            ),
            Self::NoEnvironmentCredentials { .. } => Some(
                "export the source keys first, or give the role a `source_profile` instead".to_owned(),
            ),
            Self::InvalidCredentials { profile, from, .. } => Some(match from {
                KeySource::Service(_) => "nothing was printed or cached; check `AWS_ENDPOINT_URL*` and the proxy: `awsctx doctor` checks the endpoints".to_owned(),
                KeySource::Process { .. } => format!("fix the `credential_process` of profile `{profile}`: it must print the keys AWS issued"),
                KeySource::Config => format!("fix the keys of profile `{profile}` in `~/.aws/credentials` (`aws configure --profile {profile}` rewrites them)"),
                KeySource::Environment => "export the keys AWS issued in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`".to_owned(),
            }),
            _ => None,
        }
    }
}

/// `5 s`, or `300 ms` under a second.
fn roughly(duration: Duration) -> String {
    if duration < Duration::from_millis(950) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs_f64().round())
    }
}

type WaitCallback<'a> = Box<dyn Fn(&LockWait) + 'a>;
type MfaCallback<'a> = Box<dyn Fn(&MfaPrompt<'_>) -> Result<Secret, MfaError> + 'a>;

/// Credentials for the profiles of one config. Cheap to make; it opens no connection until a
/// fetch needs one.
pub struct CredentialProvider<'a> {
    config: &'a Config,
    env: &'a Env,
    settings: ProviderSettings,
    tokens: TokenCache,
    credentials: CredentialCache,
    lock_deadline: Duration,
    /// When every wait of this provider ends (the shell hook's budget), if ever.
    deadline: Option<Instant>,
    on_wait: Option<WaitCallback<'a>>,
    /// `None`: ask on the terminal ([`mfa::ask_terminal`]).
    mfa_prompt: Option<MfaCallback<'a>>,
}

impl fmt::Debug for CredentialProvider<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialProvider")
            .field("settings", &self.settings)
            .field("lock_deadline", &self.lock_deadline)
            .finish_non_exhaustive()
    }
}

impl<'a> CredentialProvider<'a> {
    pub fn new(config: &'a Config, env: &'a Env, settings: ProviderSettings) -> Self {
        Self {
            config,
            env,
            tokens: TokenCache::from_home(&settings.home),
            credentials: CredentialCache::from_home(&settings.home),
            settings,
            lock_deadline: DEFAULT_LOCK_DEADLINE,
            deadline: None,
            on_wait: None,
            mfa_prompt: None,
        }
    }

    /// Ask for MFA codes with `prompt` instead of on the terminal.
    #[must_use]
    pub fn with_mfa_prompt(
        mut self,
        prompt: impl Fn(&MfaPrompt<'_>) -> Result<Secret, MfaError> + 'a,
    ) -> Self {
        self.mfa_prompt = Some(Box::new(prompt));
        self
    }

    /// Wait at most this long for another process's fetch or refresh.
    #[must_use]
    pub fn with_lock_deadline(mut self, deadline: Duration) -> Self {
        self.lock_deadline = deadline;
        self
    }

    /// End every wait by `deadline`: lock waits, network calls (no attempt and no pause
    /// between attempts runs past it), and `credential_process`, which then runs in a process
    /// group of its own and is killed with it. For the shell hook: a prompt is never held
    /// longer. Without it a `credential_process` runs as long as it takes, as in the AWS CLI.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self.settings.http.deadline = Some(deadline);
        self
    }

    /// Called once per busy lock, before waiting, with who holds it.
    #[must_use]
    pub fn on_lock_wait(mut self, callback: impl Fn(&LockWait) + 'a) -> Self {
        self.on_wait = Some(Box::new(callback));
        self
    }

    pub fn config(&self) -> &Config {
        self.config
    }

    pub fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }

    pub fn credential_cache(&self) -> &CredentialCache {
        &self.credentials
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// The keys of `profile`: from the cache, the SSO portal, the profile itself, its
    /// `credential_process`, the environment, or STS at the end of a role chain.
    pub fn credentials(&self, profile: &str) -> Result<ProfileCredentials, ProviderError> {
        process::check_recursion(self.env, profile)?;
        let chain = self.config.credential_chain(profile)?;
        let Some((base, roles)) = chain.split_first() else {
            return Err(ProfileError::NotFound { profile: profile.to_owned() }.into());
        };
        let mut resolved = self.resolve_chain(profile, base, roles)?;
        profile.clone_into(&mut resolved.profile);
        resolved.region = self.region_of(profile);
        Ok(resolved)
    }

    /// The cached role credentials of an SSO or role profile, however little time they have
    /// left; `None` when there are none (or the profile has no cache entry of its own). No
    /// network.
    pub fn cached(&self, profile: &str) -> Result<Option<ProfileCredentials>, ProviderError> {
        let kind = self.config.kind(profile)?;
        if let Some(step) =
            chain::RoleStep::of(&ChainLink { profile: profile.to_owned(), kind: kind.clone() })
        {
            return Ok(self.credentials.load(&step.key)?.map(|credentials| {
                let mut found = step.done(credentials, CredentialOrigin::Cache);
                found.region = self.region_of(profile);
                found
            }));
        }
        let Some((key, account_id, role_name)) = sso_credential_key(&kind) else {
            return Ok(None);
        };
        Ok(self.credentials.load(&key)?.map(|credentials| ProfileCredentials {
            credentials,
            profile: profile.to_owned(),
            account_id: Some(account_id.to_owned()),
            role_name: Some(role_name.to_owned()),
            region: self.region_of(profile),
            origin: CredentialOrigin::Cache,
        }))
    }

    /// The state of the login behind `key`. Tokens of legacy profiles are never refreshed.
    pub fn token_state(&self, key: &TokenKey) -> Result<TokenState, ProviderError> {
        let now = Timestamp::now();
        Ok(match self.tokens.load(key)? {
            None => TokenState::Missing,
            Some(t) if !t.is_expired(now) => TokenState::Valid { expires_at: t.expires_at },
            Some(t) if matches!(key, TokenKey::Session(_)) && t.can_refresh(now) => {
                TokenState::Refreshable { expires_at: t.expires_at }
            }
            Some(t) => TokenState::Expired { expires_at: t.expires_at },
        })
    }

    /// The endpoint of `service` for `region`, with the overrides of `profile` (the
    /// environment's apply in any case).
    pub fn endpoint(
        &self,
        service: Service,
        region: &str,
        profile: Option<&str>,
    ) -> Result<Endpoint, ProviderError> {
        let settings = endpoint_settings(self.config, profile, service);
        Endpoint::resolve(service, Some(region), self.env, &settings)
            .map_err(|e| ProviderError::Network(Error::Endpoint(e)))
    }

    /// The HTTP client for one network step (each step runs on its own runtime).
    fn http(&self) -> Result<HttpClient, ProviderError> {
        Ok(HttpClient::new(&self.settings.http, self.env)?)
    }

    fn region_of(&self, profile: &str) -> Option<String> {
        self.config
            .profile(profile)
            .and_then(|p| p.get("region"))
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
    }

    /// Take the lock `name`, telling the callback who is in the way.
    fn lock(&self, name: &str, purpose: &LockPurpose) -> Result<FileLock, ProviderError> {
        self.lock_for(name, purpose, self.lock_deadline)
    }

    fn lock_for(
        &self,
        name: &str,
        purpose: &LockPurpose,
        deadline: Duration,
    ) -> Result<FileLock, ProviderError> {
        let deadline = match self.deadline {
            Some(end) => deadline.min(end.saturating_duration_since(Instant::now())),
            None => deadline,
        };
        let path = self.settings.state_dir.lock_path(name);
        let lock = FileLock::acquire(&path, deadline, |holder| {
            if let Some(callback) = &self.on_wait {
                callback(&LockWait { holder, purpose: purpose.clone() });
            }
        })?;
        Ok(lock)
    }

    fn base_credentials(
        &self,
        profile: &str,
        link: &ChainLink,
    ) -> Result<ProfileCredentials, ProviderError> {
        let plain = |credentials: RoleCredentials, origin| ProfileCredentials {
            account_id: credentials.account_id().map(str::to_owned),
            credentials,
            profile: link.profile.clone(),
            role_name: None,
            region: None,
            origin,
        };
        match &link.kind {
            ProfileKind::Sso { .. } | ProfileKind::LegacySso { .. } => {
                self.sso_credentials(&link.profile, &link.kind)
            }
            ProfileKind::Static { access_key_id, secret_access_key, session_token, account_id } => {
                let credentials = RoleCredentials::new(
                    access_key_id.clone(),
                    secret_access_key.clone(),
                    session_token.clone(),
                    None,
                )
                .map_err(|reason| ProviderError::InvalidCredentials {
                    profile: link.profile.clone(),
                    from: KeySource::Config,
                    reason,
                })?;
                Ok(plain(credentials.with_account_id(account_id.clone()), CredentialOrigin::Static))
            }
            ProfileKind::CredentialProcess { command } => {
                let fallback_account = self
                    .config
                    .profile(&link.profile)
                    .and_then(|p| p.get("aws_account_id"))
                    .filter(|a| !a.is_empty());
                let credentials = process::run(
                    self.env,
                    profile,
                    &link.profile,
                    command,
                    fallback_account,
                    self.deadline,
                )?;
                Ok(plain(credentials, CredentialOrigin::Process))
            }
            ProfileKind::SsoToken { session } => Err(ProviderError::NoRole {
                profile: link.profile.clone(),
                session: session.name.clone(),
            }),
            ProfileKind::WebIdentity { .. } => Err(ProviderError::Unsupported {
                profile: link.profile.clone(),
                what: "`web_identity_token_file`".to_owned(),
            }),
            ProfileKind::CredentialSource { source } if source == "Environment" => Ok(plain(
                self.environment_credentials(&link.profile)?,
                CredentialOrigin::Environment,
            )),
            ProfileKind::CredentialSource { source } => Err(ProviderError::Unsupported {
                profile: link.profile.clone(),
                what: format!("`credential_source = {source}`"),
            }),
            ProfileKind::AssumeRole { .. } | ProfileKind::SettingsOnly => {
                // `credential_chain` never gives these as a base; say so rather than panic.
                Err(ProviderError::Unsupported {
                    profile: link.profile.clone(),
                    what: format!("a `{}` profile as the base of a chain", link.kind.label()),
                })
            }
        }
    }

    /// The role credentials of an SSO profile: cache, else lock, re-check, token, portal.
    fn sso_credentials(
        &self,
        profile: &str,
        kind: &ProfileKind,
    ) -> Result<ProfileCredentials, ProviderError> {
        let (Some((key, account_id, role_name)), Some(session)) =
            (sso_credential_key(kind), LoginSession::of_kind(profile, kind))
        else {
            return Err(ProviderError::Unsupported {
                profile: profile.to_owned(),
                what: "this kind of SSO profile".to_owned(),
            });
        };
        let done = |credentials: RoleCredentials, origin| ProfileCredentials {
            credentials,
            profile: profile.to_owned(),
            account_id: Some(account_id.to_owned()),
            role_name: Some(role_name.to_owned()),
            region: None,
            origin,
        };
        if let Some(cached) = self.fresh_cached(&key)? {
            return Ok(done(cached, CredentialOrigin::Cache));
        }
        if !self.settings.allow_network {
            // Say whether a login would help: that much is known without the network.
            let now = Timestamp::now();
            let refreshable = |t: &SsoToken| session.session_name().is_some() && t.can_refresh(now);
            return Err(match self.tokens.load(&session.token_key())? {
                None => login_required(&session, LoginReason::Missing),
                Some(t) if t.is_expired(now) && !refreshable(&t) => {
                    login_required(&session, LoginReason::Expired)
                }
                Some(_) => ProviderError::NotCached { profile: profile.to_owned() },
            });
        }
        let _lock = self.lock(
            &role_lock_name("credentials", &key),
            &LockPurpose::RoleCredentials { profile: profile.to_owned() },
        )?;
        // Whoever held the lock has probably just written what we need.
        if let Some(cached) = self.fresh_cached(&key)? {
            return Ok(done(cached, CredentialOrigin::Cache));
        }
        let token = self.sso_token(&session, Some(profile))?;
        let portal = SsoPortal::new(
            &self.http()?,
            self.endpoint(Service::Sso, session.region(), Some(profile))?,
        );
        let fetched =
            run_blocking(portal.get_role_credentials(account_id, role_name, &token.access_token))?;
        let fetched = match fetched {
            Ok(fetched) => fetched,
            Err(error) if error.code() == Some("UnauthorizedException") => {
                return Err(ProviderError::LoginRequired {
                    target: session.target(),
                    reason: LoginReason::Refused,
                });
            }
            Err(error) => return Err(error.into()),
        };
        let credentials = RoleCredentials::new(
            fetched.access_key_id,
            fetched.secret_access_key,
            Some(fetched.session_token),
            Some(fetched.expiration),
        )
        .map_err(|reason| ProviderError::InvalidCredentials {
            profile: profile.to_owned(),
            from: KeySource::Service(portal.endpoint().call("GetRoleCredentials")),
            reason,
        })?
        .with_account_id(Some(account_id.to_owned()));
        self.credentials.store_sso(&key, &credentials)?;
        Ok(done(credentials, CredentialOrigin::Portal))
    }

    fn fresh_cached(&self, key: &CredentialKey) -> Result<Option<RoleCredentials>, ProviderError> {
        let now = Timestamp::now();
        Ok(self.credentials.load(key)?.filter(|c| c.is_fresh(now)))
    }

    /// A usable access token for `session`, refreshed first when botocore would refresh it
    /// (less than 15 minutes left; sso-session tokens only).
    pub fn sso_token(
        &self,
        session: &LoginSession,
        profile: Option<&str>,
    ) -> Result<SsoToken, ProviderError> {
        let key = session.token_key();
        let now = Timestamp::now();
        let Some(token) = self.tokens.load(&key)? else {
            return Err(login_required(session, LoginReason::Missing));
        };
        let refreshable = session.session_name().is_some()
            && token.can_refresh(now)
            && self.settings.allow_network;
        if !token.needs_refresh(now) || !refreshable {
            return usable(session, token, now);
        }
        let _lock = self.lock(
            &format!("sso-token-{}", key.file_stem()),
            &LockPurpose::TokenRefresh { target: session.target() },
        )?;
        let now = Timestamp::now();
        let Some(token) = self.tokens.load(&key)? else {
            return Err(login_required(session, LoginReason::Missing));
        };
        if !token.needs_refresh(now) || !token.can_refresh(now) {
            return usable(session, token, now);
        }
        match self.refresh(session, &token, profile)? {
            Some(refreshed) => {
                self.tokens.store(&key, &refreshed)?;
                Ok(refreshed)
            }
            None => usable(session, token, Timestamp::now()),
        }
    }

    /// The `refresh_token` grant. `Ok(None)` when the service refused it (botocore then keeps
    /// the old token); a network failure is an error unless the old token still works.
    fn refresh(
        &self,
        session: &LoginSession,
        token: &SsoToken,
        profile: Option<&str>,
    ) -> Result<Option<SsoToken>, ProviderError> {
        let (Some(client_id), Some(client_secret), Some(refresh_token)) =
            (&token.client_id, &token.client_secret, &token.refresh_token)
        else {
            return Ok(None);
        };
        let oidc = SsoOidc::new(
            &self.http()?,
            self.endpoint(Service::SsoOidc, session.region(), profile)?,
        );
        let client = ClientCredentials {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        };
        let grant =
            run_blocking(oidc.create_token(&client, Grant::RefreshToken { refresh_token }))?;
        let now = Timestamp::now();
        match grant {
            Ok(grant) => {
                let expires_in = SignedDuration::try_from(grant.expires_in).unwrap_or_default();
                let mut refreshed = token.refreshed(
                    grant.access_token,
                    expires_in,
                    grant.refresh_token,
                    whole_seconds(now),
                );
                // botocore writes the configured start URL and region back.
                refreshed.start_url = Some(session.start_url().to_owned());
                refreshed.region = Some(session.region().to_owned());
                Ok(Some(refreshed))
            }
            Err(Error::Service(_)) => Ok(None),
            Err(_) if !token.is_expired(now) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

/// The file formats keep whole seconds: so do the tokens handed back.
fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

fn login_required(session: &LoginSession, reason: LoginReason) -> ProviderError {
    ProviderError::LoginRequired { target: session.target(), reason }
}

/// The token if it has not expired yet.
fn usable(
    session: &LoginSession,
    token: SsoToken,
    now: Timestamp,
) -> Result<SsoToken, ProviderError> {
    if token.is_expired(now) {
        Err(login_required(session, LoginReason::Expired))
    } else {
        Ok(token)
    }
}

/// The lock of the role credentials behind `key`: one of 16 files per `kind`, chosen by the
/// first hex digit of the cache file's SHA-1 name, so `locks/` stays bounded however many
/// profiles come and go. Removing a lock file when done would be racy (a waiter holding the
/// unlinked file and a newcomer creating a new one would both hold "the" lock); a fixed set
/// is not. Two roles in one bucket only take turns, for the second or two of a fetch. Locks of
/// different kinds never share a file, so the nested ones (credentials, then the token's) never
/// wait on themselves.
pub(crate) fn role_lock_name(kind: &str, key: &CredentialKey) -> String {
    let bucket = key.file_stem().get(..1).unwrap_or("0");
    format!("{kind}-{bucket}")
}

/// The role-credential cache key of an SSO profile, with its account and role.
fn sso_credential_key(kind: &ProfileKind) -> Option<(CredentialKey, &str, &str)> {
    match kind {
        ProfileKind::Sso { session, account_id, role_name } => Some((
            CredentialKey::sso(account_id, role_name, &session.name),
            account_id.as_str(),
            role_name.as_str(),
        )),
        ProfileKind::LegacySso { start_url, account_id, role_name, .. } => Some((
            CredentialKey::sso_legacy(account_id, role_name, start_url),
            account_id.as_str(),
            role_name.as_str(),
        )),
        _ => None,
    }
}

/// The endpoint settings of `profile` for `service`: its `[services]` section's
/// `endpoint_url`, its own `endpoint_url`, and the FIPS / dual-stack / ignore switches.
pub fn endpoint_settings(
    config: &Config,
    profile: Option<&str>,
    service: Service,
) -> ProfileEndpointSettings {
    let Some(profile) = profile.and_then(|name| config.profile(name)) else {
        return ProfileEndpointSettings::default();
    };
    let flag = |key: &str| profile.get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let services_endpoint_url = profile
        .get("services")
        .and_then(|name| config.services_section(name))
        .and_then(|section| section.value(service.services_key()))
        .and_then(|value| value.as_nested())
        .and_then(|nested| nested.get("endpoint_url"))
        .map(str::to_owned);
    ProfileEndpointSettings {
        services_endpoint_url,
        endpoint_url: profile.get("endpoint_url").map(str::to_owned),
        ignore_configured_endpoint_urls: flag("ignore_configured_endpoint_urls"),
        use_fips: flag("use_fips_endpoint"),
        use_dualstack: flag("use_dualstack_endpoint"),
    }
}
