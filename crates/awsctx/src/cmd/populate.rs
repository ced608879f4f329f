//! `awsctx populate`: one profile per account and role, in a managed block.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: &crate::cli::PopulateArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
