//! `awsctx doctor`.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
