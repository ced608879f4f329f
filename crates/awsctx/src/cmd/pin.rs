//! `awsctx pin` / `awsctx unpin`.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run_pin(_args: &crate::cli::PinArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}

pub(crate) fn run_unpin(_ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
