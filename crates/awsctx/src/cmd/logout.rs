//! `awsctx logout`: the portal's `Logout` (errors ignored, like the AWS CLI), then the
//! session's token file and the cached role credentials of its profiles; `--all` does it for
//! every token and every SSO role-credential entry, as `aws sso logout`.

use std::process::ExitCode;

use crate::cli::LogoutArgs;
use crate::context::Context;
use crate::session::{Choice, choose_session};

pub(crate) fn run(args: &LogoutArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    if args.all {
        let provider = ctx.provider(None, true)?;
        let report = provider.logout_all().map_err(crate::hints::user_error)?;
        crate::ui::notice(&format!(
            "logged out of every SSO session ({} removed)",
            removed(report.tokens, report.credentials)
        ));
        note_change(ctx);
        return Ok(ExitCode::SUCCESS);
    }
    let (session, profile) =
        match choose_session(config, &ctx.env, args.sso_session.as_deref(), None) {
            Ok(chosen) => chosen,
            Err(Choice::Usage(error)) => {
                crate::ui::report(&error);
                return Ok(ExitCode::from(2));
            }
            Err(Choice::Error(error)) => return Err(error),
        };
    let provider = ctx.provider(profile.as_deref(), true)?;
    let report = provider.logout(&session).map_err(crate::hints::user_error)?;
    crate::ui::notice(&format!(
        "logged out of the {} ({} removed)",
        session.target(),
        removed(report.tokens, report.credentials)
    ));
    note_change(ctx);
    Ok(ExitCode::SUCCESS)
}

/// Every open shell drops the keys of the session at its next prompt (this one at once: the
/// hook's `awsctx` function runs its prompt hook after a logout).
fn note_change(ctx: &Context) {
    if let Ok(state_dir) = ctx.state_dir() {
        state_dir.note_change();
    }
}

fn removed(tokens: usize, credentials: usize) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {}",
        plural(tokens, "token", "tokens"),
        plural(credentials, "set of role credentials", "sets of role credentials")
    )
}
