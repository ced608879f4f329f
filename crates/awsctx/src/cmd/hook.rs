//! `awsctx hook SHELL` and the hidden `hook-env` the hook runs.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run_hook(_args: &crate::cli::ShellArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}

pub(crate) fn run_hook_env(
    _args: &crate::cli::ShellArgs,
    _ctx: &Context,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
