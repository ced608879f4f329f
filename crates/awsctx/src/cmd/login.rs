//! `awsctx login`: the PKCE and device-code flows, printed and opened as the AWS CLI does.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run(_args: &crate::cli::LoginArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
