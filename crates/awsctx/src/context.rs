//! What every command may need: the environment snapshot, and the config loaded once, lazily.

use awsctx_core::env::Env;

#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) env: Env,
}

impl Context {
    pub(crate) fn from_process() -> Self {
        Self { env: Env::from_process() }
    }
}
