//! `awsctx pin [PROFILE]` / `awsctx unpin`: bind this directory (and below) to a profile in
//! the user's own state. Through the hook's function the current shell follows at once.

use std::process::ExitCode;

use awsctx_core::binding::BoundProfile;
use awsctx_core::facts::current_profile;
use awsctx_core::lookup::Query;

use crate::context::Context;
use crate::switcher::{current_dir, follow, known_profile};
use crate::target::{Usage, require_profile};
use crate::ui;

pub(crate) fn run_pin(args: &crate::cli::PinArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let profile = if let Some(typed) = &args.profile {
        crate::target::profile_for(ctx, typed, Usage::Command("pin"))?
    } else {
        let profile = current_profile(&ctx.env).map(str::to_owned).ok_or_else(|| {
            ui::error("no profile to pin: this shell has none", "`awsctx pin PROFILE` names one")
        })?;
        require_profile(ctx, &profile)?;
        profile
    };
    // Pinned by account id or ARN: the pin expects that account.
    let typed_account = args
        .profile
        .as_deref()
        .filter(|typed| *typed != profile)
        .and_then(|typed| Query::parse(typed)?.ok())
        .map(|query| query.account().to_owned());
    let account = args.account.clone().or(typed_account);
    if let Some(expected) = &account {
        let actual = known_profile(ctx, &profile)?.and_then(|k| k.account);
        if actual.as_ref() != Some(expected) {
            let actual = actual.map_or_else(
                || "does not say which account it is in".to_owned(),
                |a| format!("is in account {a}"),
            );
            return Err(ui::error(
                format!("profile `{profile}` {actual}, not {expected}"),
                "pin a profile of that account: `awsctx pin ACCOUNT_ID` finds it",
            ));
        }
    }
    let dir = current_dir(ctx)?;
    let bound = BoundProfile { profile, region: args.region.clone(), account };
    let mut previous = None;
    ctx.state_dir()?.update_pins(|pins| {
        previous = pins.get(&dir).cloned();
        pins.insert(dir.clone(), bound.clone());
    })?;
    match previous {
        Some(old) if old != bound => {
            ui::notice(&format!("pinned `{}` to {bound} (was {old})", dir.display()));
        }
        _ => ui::notice(&format!("pinned `{}` to {bound}", dir.display())),
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
