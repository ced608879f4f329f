//! `awsctx login`: the session to log in to and the login itself are in `session.rs`.

use std::process::ExitCode;

use awsctx_login::provider::{LoginSession, TokenState};
use jiff::Timestamp;

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
    if !args.force
        && let Some(left) = hours_left(ctx, &session, profile.as_deref())?
    {
        crate::ui::notice(&format!(
            "already logged in to the {}, {left}h left; `--force` logs in anew",
            session.target()
        ));
        return Ok(ExitCode::SUCCESS);
    }
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

/// The whole hours the session's login has left, when it has at least one: a new login
/// would only open the browser for nothing. From the token cache, without the network.
fn hours_left(
    ctx: &Context,
    session: &LoginSession,
    profile: Option<&str>,
) -> anyhow::Result<Option<i64>> {
    let provider = ctx.provider(profile, false)?;
    let state = provider.token_state(&session.token_key()).map_err(crate::hints::user_error)?;
    let TokenState::Valid { expires_at } = state else { return Ok(None) };
    let hours = expires_at.duration_since(Timestamp::now()).as_hours();
    Ok((hours >= 1).then_some(hours))
}
