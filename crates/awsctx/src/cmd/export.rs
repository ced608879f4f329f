//! `awsctx export`: the formats of `aws configure export-credentials`.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: &crate::cli::ExportArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
