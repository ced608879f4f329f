//! `awsctx logout`.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: &crate::cli::LogoutArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
