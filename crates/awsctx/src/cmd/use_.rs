//! Switch this shell to a profile, switch back, unset, print the current one, or list and
//! pick; the switch itself is the [`Switcher`]'s.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use awsctx_core::facts::current_profile;
use awsctx_core::switch::{Action, var};
use awsctx_core::text::{escape, escape_line};

use crate::context::Context;
use crate::picker::{Choice, pick, recent_first};
use crate::switcher::{Switcher, Trigger, hook_hint};
use crate::target::{Usage, require_profile};
use crate::ui;

/// Bare `awsctx` with its flags: `PROFILE`, `-`, `-u`, `-c`, `--region` (with a profile, or
/// alone), or nothing (list / picker).
pub(crate) fn run_bare(cli: &crate::cli::Cli, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (profile, unset, current) = (cli.profile.as_deref(), cli.unset, cli.current);
    let region = cli.region.as_deref();
    if current {
        return print_current(ctx);
    }
    if unset {
        let mut switcher = Switcher::hooked(ctx, "awsctx -u")?;
        let binding = switcher.resolve(false)?;
        let pwd = switcher.pwd.clone();
        let action = switcher.state.unset(&pwd, binding.as_ref());
        if action == Action::Stay {
            ui::notice("nothing to unset: awsctx has not changed this shell");
        }
        return switcher.finish(&action, Trigger::Command);
    }
    match (profile, region) {
        (Some(name), _) => switch(ctx, name, region),
        (None, Some(region)) => switch_region(ctx, region),
        (None, None) => list_or_pick(ctx),
    }
}

/// `awsctx use PROFILE [--region R]`.
pub(crate) fn run(args: &crate::cli::UseArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    switch(ctx, &args.profile, args.region.as_deref())
}

/// `awsctx --region R` alone: the profile in effect stays, in region R.
fn switch_region(ctx: &Context, region: &str) -> anyhow::Result<ExitCode> {
    let mut switcher = Switcher::hooked(ctx, &format!("awsctx --region {region}"))?;
    let Some(profile) = switcher.state.profile.clone() else {
        return Err(ui::error(
            "awsctx has no profile in this shell to change the region of",
            format!("`awsctx PROFILE --region {region}` switches to a profile in that region"),
        ));
    };
    let binding = switcher.resolve(false)?;
    let pwd = switcher.pwd.clone();
    let action = switcher.state.choose(&pwd, binding.as_ref(), &profile, Some(region));
    switcher.finish(&action, Trigger::Command)
}

/// Switch to what `name` means (`-`: the previous profile, in its region unless `region`
/// says otherwise).
fn switch(ctx: &Context, name: &str, region: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut switcher = Switcher::hooked(ctx, &format!("awsctx {}", escape(name)))?;
    let (target, region) = if name == "-" {
        let prev = switcher.state.prev.clone().ok_or_else(|| {
            ui::error(
                "no previous profile in this shell",
                "`awsctx PROFILE` switches; `awsctx -` then switches back",
            )
        })?;
        require_profile(ctx, &prev)?;
        (prev, region.map(str::to_owned).or_else(|| switcher.state.prev_region.clone()))
    } else {
        (crate::target::profile_for(ctx, name, Usage::Switch)?, region.map(str::to_owned))
    };
    crate::guard::confirm(ctx, &target, "switching")?;
    let binding = switcher.resolve(false)?;
    let pwd = switcher.pwd.clone();
    let action = switcher.state.choose(&pwd, binding.as_ref(), &target, region.as_deref());
    let code = switcher.finish(&action, Trigger::Command)?;
    if let Ok(state_dir) = ctx.state_dir() {
        state_dir.record_history(&target);
    }
    Ok(code)
}

fn print_current(ctx: &Context) -> anyhow::Result<ExitCode> {
    match current_profile(&ctx.env) {
        Some(profile) => {
            // Often shown in a prompt (`$(awsctx -c)`): escaped like every other line.
            crate::print_stdout(&format!("{}\n", escape_line(profile)));
            Ok(ExitCode::SUCCESS)
        }
        None => Err(ui::error("no profile in this shell", "`awsctx PROFILE` switches to one")),
    }
}

fn list_or_pick(ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let names: Vec<&str> = config.profiles().map(|p| p.name()).collect();
    let hooked = ctx.env.get(var::SHELL).is_some();
    if names.is_empty() {
        // Nothing to list or pick: say how to start.
        let hint = if hooked {
            "`awsctx configure sso` sets one up".to_owned()
        } else {
            format!(
                "`awsctx configure sso` sets one up; to switch to it in this shell, {}",
                hook_hint(ctx)
            )
        };
        return Err(ui::error("there are no AWS profiles in the config or credentials file", hint));
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !hooked || !interactive {
        let current = current_profile(&ctx.env);
        let mut out = String::new();
        for name in &names {
            let mark = if current == Some(*name) { "* " } else { "  " };
            out.push_str(mark);
            out.push_str(&escape_line(name));
            out.push('\n');
        }
        if hooked {
            // Inside the hook's function stdout is evaluated: the list goes to stderr.
            let _ = std::io::stderr().lock().write_all(out.as_bytes());
        } else {
            crate::print_stdout(&out);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let ordered =
        recent_first(&ctx.state_dir().map(|s| s.load_history()).unwrap_or_default(), &names);
    let accounts = crate::target::account_names(ctx);
    let choices: Vec<Choice> =
        ordered.iter().map(|name| Choice::of(config, name, &accounts)).collect();
    match pick(&choices)? {
        Some(choice) => switch(ctx, &choice, None),
        // Cancelled: quiet, and 130 as fzf and shells say for an interrupt.
        None => Ok(ExitCode::from(130)),
    }
}
