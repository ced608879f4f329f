//! `awsctx exec PROFILE -- CMD`.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: crate::cli::ExecArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
