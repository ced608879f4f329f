//! `awsctx list`: the profiles table and `--json`.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: &crate::cli::ListArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
