//! `awsctx credential-process --profile P`.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(
    _args: &crate::cli::CredentialProcessArgs,
    _ctx: &Context,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
