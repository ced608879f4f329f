//! `awsctx configure sso`: the wizard.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run_sso(
    _args: &crate::cli::ConfigureSsoArgs,
    _ctx: &Context,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
