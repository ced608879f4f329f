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
//! the AWS CLI does. A role with `mfa_serial` asks for a code through the caller's prompt
//! ([`mfa`]).
//!
//! [`login`] holds the interactive side: `awsctx login` and `awsctx logout`.

pub mod chain;
mod error;
pub mod login;
pub mod mfa;
mod process;
mod session;
mod sso;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use awsctx_core::binding::StateDir;
use awsctx_core::cache::{CredentialCache, CredentialKey, RoleCredentials, TokenCache, TokenKey};
use awsctx_core::config::{ChainLink, Config, ProfileError, ProfileKind};
use awsctx_core::env::Env;
use awsctx_core::file::FileLock;
use awsctx_core::secret::Secret;
use jiff::Timestamp;

use self::sso::sso_credential_key;
use crate::endpoint::{Endpoint, ProfileEndpointSettings, Service};
use crate::error::Error;
use crate::http::{HttpClient, HttpSettings};

pub use chain::{DEFAULT_STS_REGION, generated_session_name};
pub use error::{KeySource, LockPurpose, LockWait, ProviderError};
pub use login::{LoginEvent, LoginFlow, LoginOptions, LoginOutcome, LogoutReport};
pub use mfa::{MfaError, MfaPrompt};
pub use session::{LoginReason, LoginSession, LoginTarget, TokenState};

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
    /// `None`: no MFA code is asked for.
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

    /// Ask for MFA codes with `prompt` (without one, a role that needs a code fails with
    /// [`MfaError::NotAsked`]).
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

    fn fresh_cached(&self, key: &CredentialKey) -> Result<Option<RoleCredentials>, ProviderError> {
        let now = Timestamp::now();
        Ok(self.credentials.load(key)?.filter(|c| c.is_fresh(now)))
    }
}

/// The file formats keep whole seconds: so do the tokens handed back.
fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
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
