//! What every command may need: the environment snapshot, the config (loaded once, lazily:
//! whole, or only what one profile needs), and the places awsctx reads and writes.

use std::cell::OnceCell;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use awsctx_core::binding::StateDir;
use awsctx_core::cache::TokenCache;
use awsctx_core::config::{Config, ConfigPaths};
use awsctx_core::env::Env;
use awsctx_core::settings;
use awsctx_core::switch::without_state;
use awsctx_login::http::{HttpSettings, ca_bundle_path};
use awsctx_login::provider::{CredentialProvider, DEFAULT_LOCK_DEADLINE, ProviderSettings};

#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) env: Env,
    /// `env` without the hook's state, for the processes awsctx starts.
    child_env: Env,
    config: OnceCell<Config>,
    /// The first profile a command asked for, with what its credentials need, read without
    /// modelling the other profiles (`Config::load_profile`).
    profile_config: OnceCell<Config>,
}

impl Context {
    pub(crate) fn from_process() -> Self {
        Self::new(Env::from_process())
    }

    pub(crate) fn new(env: Env) -> Self {
        Self {
            child_env: without_state(&env),
            env,
            config: OnceCell::new(),
            profile_config: OnceCell::new(),
        }
    }

    /// The environment of a process awsctx starts: everything but the hook's state (which
    /// holds the user's own saved keys).
    pub(crate) fn child_env(&self) -> &Env {
        &self.child_env
    }

    /// The AWS config and credentials files, parsed whole on first use.
    pub(crate) fn config(&self) -> anyhow::Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let paths = ConfigPaths::from_env(&self.env)?;
        let config = Config::load(&paths).map_err(|e| crate::hints::config_error(&e))?;
        Ok(self.config.get_or_init(|| config))
    }

    /// What profile `name` needs (its sections, its role chain, its sso-session), read
    /// without modelling the others: a command about one profile costs the same on a config
    /// of 10 000. The whole config when it is loaded already, or when another profile came
    /// first.
    pub(crate) fn profile_config(&self, name: &str) -> anyhow::Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        if let Some(config) = self.profile_config.get() {
            return if config.covers(name) { Ok(config) } else { self.config() };
        }
        let paths = ConfigPaths::from_env(&self.env)?;
        let config =
            Config::load_profile(&paths, name).map_err(|e| crate::hints::config_error(&e))?;
        Ok(self.profile_config.get_or_init(|| config))
    }

    /// Whether the files define profile `name` (read from the section headers when only one
    /// profile was read).
    pub(crate) fn has_profile(&self, name: &str) -> anyhow::Result<bool> {
        if let Some(config) = self.config.get() {
            return Ok(config.has_profile(name));
        }
        let config = match self.profile_config.get() {
            Some(config) => config,
            None => self.profile_config(name)?,
        };
        Ok(config.has_profile(name))
    }

    /// Every profile name, in file order, from whatever has been read already.
    pub(crate) fn profile_names(&self) -> anyhow::Result<Vec<String>> {
        let config = match (self.config.get(), self.profile_config.get()) {
            (Some(config), _) | (None, Some(config)) => config,
            (None, None) => self.config()?,
        };
        Ok(config.profile_names())
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
            Ok(self.profile_config(name)?.profile(name).and_then(|p| p.get(key)).map(str::to_owned))
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
        if let Some(timeout) = self.env.setting(&settings::HTTP_TIMEOUT) {
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
        let Some(value) = self.env.setting(&settings::LOCK_TIMEOUT) else {
            return Ok(DEFAULT_LOCK_DEADLINE);
        };
        let seconds =
            value.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).with_context(
                || format!("`AWSCTX_LOCK_TIMEOUT` must be a number of seconds, not `{value}`"),
            )?;
        Ok(Duration::from_secs_f64(seconds.min(3600.0)))
    }

    /// The credential provider for the whole config, with `profile`'s HTTP settings (for
    /// commands that look at every profile or session: login, logout, doctor, populate).
    pub(crate) fn provider(
        &self,
        profile: Option<&str>,
        allow_network: bool,
    ) -> anyhow::Result<CredentialProvider<'_>> {
        self.provider_with(self.config()?, profile, allow_network)
    }

    /// The credential provider for one profile, with only what that profile needs read.
    pub(crate) fn provider_for(
        &self,
        profile: &str,
        allow_network: bool,
    ) -> anyhow::Result<CredentialProvider<'_>> {
        self.provider_with(self.profile_config(profile)?, Some(profile), allow_network)
    }

    /// A provider that says which pid it waits for, for at most [`Context::lock_deadline`],
    /// and asks for MFA codes on the terminal.
    pub(crate) fn provider_with<'a>(
        &'a self,
        config: &'a Config,
        profile: Option<&str>,
        allow_network: bool,
    ) -> anyhow::Result<CredentialProvider<'a>> {
        let settings = ProviderSettings {
            home: self.home()?,
            state_dir: self.state_dir()?,
            http: self.http_settings(profile)?,
            allow_network,
        };
        Ok(CredentialProvider::new(config, self.child_env(), settings)
            .with_lock_deadline(self.lock_deadline()?)
            .on_lock_wait(|wait| crate::ui::notice(&wait.to_string()))
            .with_mfa_prompt(crate::ui::ask_mfa_code))
    }
}
