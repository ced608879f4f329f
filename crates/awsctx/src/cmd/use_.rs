//! switch this shell to a profile, switch back, unset, print the current one, the picker.

use std::process::ExitCode;

use crate::context::Context;

pub(crate) fn run_bare(
    _profile: Option<&str>,
    _unset: bool,
    _current: bool,
    _ctx: &Context,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}

pub(crate) fn run(_args: &crate::cli::UseArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
