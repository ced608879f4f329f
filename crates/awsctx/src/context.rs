//! What every command may need: the environment snapshot, the config (loaded once, lazily),
//! and the places awsctx reads and writes.

use std::cell::OnceCell;
use std::path::PathBuf;

use anyhow::Context as _;
use awsctx_core::binding::StateDir;
use awsctx_core::cache::{CredentialCache, TokenCache};
use awsctx_core::config::{Config, ConfigPaths};
use awsctx_core::env::Env;

#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) env: Env,
    config: OnceCell<Config>,
}

impl Context {
    pub(crate) fn from_process() -> Self {
        Self::new(Env::from_process())
    }

    pub(crate) fn new(env: Env) -> Self {
        Self { env, config: OnceCell::new() }
    }

    /// The AWS config and credentials files, parsed on first use.
    pub(crate) fn config(&self) -> anyhow::Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let paths = ConfigPaths::from_env(&self.env)?;
        let config = Config::load(&paths).map_err(|err| {
            crate::ui::error(
                err.to_string(),
                "fix the line named above; `awsctx doctor` checks the whole set-up",
            )
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

    /// `~/.aws/cli/cache`, shared with the AWS CLI.
    pub(crate) fn credential_cache(&self) -> anyhow::Result<CredentialCache> {
        Ok(CredentialCache::from_home(&self.home()?))
    }

    /// awsctx's own state: pins, trust records, history, locks.
    pub(crate) fn state_dir(&self) -> anyhow::Result<StateDir> {
        Ok(StateDir::from_env(&self.env)?)
    }
}
