//! `awsctx export`: a profile's keys in the formats of `aws configure export-credentials`
//! (`docs/file-formats.md`), byte for byte, plus `json` (the `process` JSON with the account and
//! region).

use std::process::ExitCode;

use awsctx_core::facts::selected_profile;

use crate::cli::ExportArgs;
use crate::context::Context;
use crate::export_format::render;
use crate::target::Usage;

pub(crate) fn run(args: &ExportArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let profile = match &args.profile {
        Some(typed) => crate::target::profile_for(ctx, typed, Usage::Command("export"))?,
        None => selected_profile(&ctx.env),
    };
    let credentials = crate::credentials::resolve(ctx, &profile)?;
    crate::print_stdout(&render(&credentials, args.format));
    Ok(ExitCode::SUCCESS)
}
