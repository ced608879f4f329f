//! `awsctx pin [PROFILE]` / `awsctx unpin`: bind this directory (and below) to a profile in
//! the user's own state. Through the hook's function the current shell follows at once.

use std::process::ExitCode;

use awsctx_core::switch::ShellState;

use crate::cmd::use_::{Session, Trigger, current_dir, require_profile};
use crate::context::Context;
use crate::ui;

pub(crate) fn run_pin(args: &crate::cli::PinArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let profile = match &args.profile {
        Some(profile) => profile.clone(),
        None => ShellState::from_env(&ctx.env)
            .profile
            .or_else(|| ctx.env.get("AWS_PROFILE").map(str::to_owned))
            .ok_or_else(|| {
                ui::error(
                    "no profile to pin: this shell has none",
                    "`awsctx pin PROFILE` names one",
                )
            })?,
    };
    require_profile(ctx, &profile)?;
    let dir = current_dir(ctx)?;
    let mut previous = None;
    ctx.state_dir()?.update_pins(|pins| {
        previous = pins.get(&dir).map(str::to_owned);
        pins.insert(dir.clone(), profile.clone());
    })?;
    match previous {
        Some(old) if old != profile => {
            ui::notice(&format!("pinned `{}` to {profile} (was {old})", dir.display()));
        }
        _ => ui::notice(&format!("pinned `{}` to {profile}", dir.display())),
    }
    follow(ctx)
}

pub(crate) fn run_unpin(ctx: &Context) -> anyhow::Result<ExitCode> {
    let dir = current_dir(ctx)?;
    let state_dir = ctx.state_dir()?;
    let mut removed = None;
    let pins = state_dir.update_pins(|pins| removed = pins.remove(&dir))?;
    let Some(profile) = removed else {
        let above = dir.ancestors().skip(1).find(|d| pins.get(d).is_some());
        let hint = match above {
            Some(d) => format!("`{}` is pinned: run `awsctx unpin` there", d.display()),
            None => "`awsctx pin PROFILE` pins a directory".to_owned(),
        };
        return Err(ui::error(format!("`{}` is not pinned", dir.display()), hint));
    };
    ui::notice(&format!("unpinned `{}` (was {profile})", dir.display()));
    follow(ctx)
}

/// Make the current shell follow the new bindings now: the user's explicit binding command
/// ends a manual override here. Without the hook the change applies at the next prompt of
/// shells that have it.
pub(crate) fn follow(ctx: &Context) -> anyhow::Result<ExitCode> {
    if !Session::is_hooked(ctx) {
        return Ok(ExitCode::SUCCESS);
    }
    let mut session = Session::hooked(ctx, "awsctx pin")?;
    let binding = session.resolve(false)?;
    let pwd = session.pwd.clone();
    session.state.manual = None;
    let action = session.state.arrive(&pwd, binding.as_ref());
    session.finish(&action, Trigger::Command)
}
