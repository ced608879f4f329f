//! `awsctx console`: the federated sign-in URL.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: &crate::cli::ConsoleArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
