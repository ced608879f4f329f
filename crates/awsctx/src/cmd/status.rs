//! `awsctx status`: what this shell has and where it came from.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: &crate::cli::StatusArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
