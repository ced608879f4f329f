//! `awsctx credential-process --profile P`: the `process` JSON of `awsctx export`, for
//! `credential_process = awsctx credential-process --profile P` in another profile.

use std::process::ExitCode;

use crate::cli::{CredentialProcessArgs, ExportFormat};
use crate::context::Context;

pub(crate) fn run(args: &CredentialProcessArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let credentials = crate::credentials::resolve(ctx, &args.profile)?;
    crate::print_stdout(&crate::export_format::render(&credentials, ExportFormat::Process));
    Ok(ExitCode::SUCCESS)
}
