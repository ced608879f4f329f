//! `awsctx hook-refresh PROFILE`: the hook's background refresh (started by the switcher's
//! keys, `switcher/keys.rs`), fetching a profile's keys into the shared cache and recording
//! how it went.

use std::process::ExitCode;

use awsctx_core::refresh::RefreshRecord;
use jiff::Timestamp;

use crate::cli::HookRefreshArgs;
use crate::context::Context;
use crate::switcher::{Fetch, Keys, fetch_keys_with};

/// The background refresh: fetch `profile`'s keys into the cache, and record how it went.
pub(crate) fn run(args: &HookRefreshArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let path = RefreshRecord::path(ctx.state_dir()?.path(), &args.profile);
    let failed = |reason: &str| {
        let record = RefreshRecord::load(&path).unwrap_or_default();
        let _ = record.failed(Timestamp::now().as_second(), reason).store(&path);
    };
    match fetch_keys_with(ctx, config, &args.profile, Fetch::Background) {
        // A login is needed: the hook sees that without the network, and says so itself.
        Keys::Got(_) | Keys::NotWanted | Keys::LoginRequired { .. } => RefreshRecord::remove(&path),
        Keys::Unreachable { reason } | Keys::Missing { reason } => failed(&reason),
        Keys::Later { .. } => failed("no keys"),
    }
    Ok(ExitCode::SUCCESS)
}
