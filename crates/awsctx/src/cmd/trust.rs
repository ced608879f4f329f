//! `awsctx allow` / `awsctx deny` for `.aws-profile` files.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run_allow(_args: &crate::cli::TrustArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}

pub(crate) fn run_deny(_args: &crate::cli::TrustArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
