//! `awsctx login`: the session to log in to and the login itself are in `session.rs`.

use std::process::ExitCode;

use crate::cli::LoginArgs;
use crate::context::Context;
use crate::session::{Choice, asked_flow, choose_session, log_in};

pub(crate) fn run(args: &LoginArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let (session, profile) = match choose_session(
        config,
        &ctx.env,
        args.sso_session.as_deref(),
        args.profile.as_deref(),
    ) {
        Ok(chosen) => chosen,
        Err(Choice::Usage(error)) => {
            crate::ui::report(&error);
            return Ok(ExitCode::from(2));
        }
        Err(Choice::Error(error)) => return Err(error),
    };
    log_in(
        ctx,
        &session,
        profile,
        asked_flow(args.use_device_code, args.use_pkce),
        args.no_browser,
    )?;
    // Every open shell bound to this session picks the new login up at its next prompt.
    if let Ok(state_dir) = ctx.state_dir() {
        state_dir.note_change();
    }
    Ok(ExitCode::SUCCESS)
}
