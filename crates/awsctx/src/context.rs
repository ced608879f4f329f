//! What every command may need: the environment snapshot, the config (loaded once, lazily),
//! and the places awsctx reads and writes.

use std::cell::OnceCell;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use awsctx_core::binding::StateDir;
use awsctx_core::cache::TokenCache;
use awsctx_core::config::{Config, ConfigError, ConfigPaths};
use awsctx_core::env::Env;
use awsctx_core::switch::without_state;
use awsctx_login::http::{HttpSettings, ca_bundle_path};
use awsctx_login::provider::{CredentialProvider, DEFAULT_LOCK_DEADLINE, ProviderSettings};

#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) env: Env,
    /// `env` without the hook's state, for the processes awsctx starts.
    child_env: Env,
    config: OnceCell<Config>,
}

impl Context {
    pub(crate) fn from_process() -> Self {
        Self::new(Env::from_process())
    }

    pub(crate) fn new(env: Env) -> Self {
        Self { child_env: without_state(&env), env, config: OnceCell::new() }
    }

    /// The environment of a process awsctx starts: everything but the hook's state (which
    /// holds the user's own saved keys).
    pub(crate) fn child_env(&self) -> &Env {
        &self.child_env
    }

    /// The AWS config and credentials files, parsed on first use.
    pub(crate) fn config(&self) -> anyhow::Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let paths = ConfigPaths::from_env(&self.env)?;
        let config = Config::load(&paths).map_err(|err| {
            let hint = match err {
                ConfigError::TooLarge { .. } => {
                    "point `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` at your AWS files; `awsctx doctor` checks the whole set-up"
                }
                _ => "fix the line named above; `awsctx doctor` checks the whole set-up",
            };
            crate::ui::error(err.to_string(), hint)
        })?;
        Ok(self.config.get_or_init(|| config))
    }

    pub(crate) fn home(&self) -> anyhow::Result<PathBuf> {
        self.env.home().context("`HOME` is not set")
    }

    /// `~/.aws/sso/cache`, shared with the AWS CLI and the SDKs.
    pub(crate) fn token_cache(&self) -> anyhow::Result<TokenCache> {
        Ok(TokenCache::from_home(&self.home()?))
    }

    /// awsctx's own state: pins, trust records, history, locks.
    pub(crate) fn state_dir(&self) -> anyhow::Result<StateDir> {
        Ok(StateDir::from_env(&self.env)?)
    }

    /// The HTTP settings for calls made for `profile`: `AWS_CA_BUNDLE` / `ca_bundle`,
    /// `AWS_MAX_ATTEMPTS` / `max_attempts` (as the SDKs), and `AWSCTX_HTTP_TIMEOUT` (seconds
    /// per attempt, default 30).
    pub(crate) fn http_settings(&self, profile: Option<&str>) -> anyhow::Result<HttpSettings> {
        let profile_value = |key: &str| -> anyhow::Result<Option<String>> {
            let Some(name) = profile else { return Ok(None) };
            Ok(self.config()?.profile(name).and_then(|p| p.get(key)).map(str::to_owned))
        };
        let mut settings = HttpSettings {
            ca_bundle: ca_bundle_path(&self.env, profile_value("ca_bundle")?.as_deref()),
            ..HttpSettings::default()
        };
        let attempts = match self.env.get("AWS_MAX_ATTEMPTS") {
            Some(value) => Some(value.to_owned()),
            None => profile_value("max_attempts")?,
        };
        if let Some(attempts) = attempts {
            settings.max_attempts =
                attempts.trim().parse::<u32>().ok().filter(|n| *n >= 1).with_context(|| {
                    format!("`max_attempts` must be a whole number of at least 1, not `{attempts}`")
                })?;
        }
        if let Some(timeout) = self.env.get("AWSCTX_HTTP_TIMEOUT") {
            let seconds = timeout
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .with_context(|| {
                    format!("`AWSCTX_HTTP_TIMEOUT` must be a number of seconds, not `{timeout}`")
                })?;
            settings.request_timeout = Duration::from_secs_f64(seconds.min(3600.0));
            settings.connect_timeout = settings.connect_timeout.min(settings.request_timeout);
        }
        Ok(settings)
    }

    /// How long to wait for another process fetching the same keys or refreshing the same
    /// token: `AWSCTX_LOCK_TIMEOUT` (seconds), else the provider's default (30 s).
    pub(crate) fn lock_deadline(&self) -> anyhow::Result<Duration> {
        let Some(value) = self.env.get("AWSCTX_LOCK_TIMEOUT") else {
            return Ok(DEFAULT_LOCK_DEADLINE);
        };
        let seconds =
            value.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).with_context(
                || format!("`AWSCTX_LOCK_TIMEOUT` must be a number of seconds, not `{value}`"),
            )?;
        Ok(Duration::from_secs_f64(seconds.min(3600.0)))
    }

    /// The credential provider for `profile`'s settings. A process that has to wait for
    /// another one says which pid it waits for, for at most [`Context::lock_deadline`].
    pub(crate) fn provider(
        &self,
        profile: Option<&str>,
        allow_network: bool,
    ) -> anyhow::Result<CredentialProvider<'_>> {
        let settings = ProviderSettings {
            home: self.home()?,
            state_dir: self.state_dir()?,
            http: self.http_settings(profile)?,
            allow_network,
        };
        Ok(CredentialProvider::new(self.config()?, self.child_env(), settings)
            .with_lock_deadline(self.lock_deadline()?)
            .on_lock_wait(|wait| crate::ui::notice(&wait.to_string())))
    }
}
