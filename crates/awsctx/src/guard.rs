//! The production guard's confirmation: with `AWSCTX_CONFIRM_PROD` set, a profile that looks
//! like production (`AWSCTX_PROD_PATTERN` on its name, account id or account name) is used by
//! `exec`, `console` and an explicit switch only after the user types its name on the
//! terminal. Never from the hook (a pin or an allowed `.aws-profile` was the user's decision
//! already), and never without a terminal: there it is refused, so a script cannot confirm by
//! piping the name in.

use std::io::{BufRead, IsTerminal, Write};

use awsctx_core::facts::ProfileFacts;
use awsctx_core::settings;
use awsctx_core::text::Untrusted;

use crate::context::Context;
use crate::switcher::is_production;
use crate::ui;

/// Whether `AWSCTX_CONFIRM_PROD` asks for confirmations (set, and not `0`).
fn enabled(ctx: &Context) -> bool {
    ctx.env.setting(&settings::CONFIRM_PROD).is_some_and(|v| v != "0")
}

/// Ask for `profile`'s name before `what` (`switching`, `running a command`, `opening the
/// console`) when the guard is on and the profile looks like production.
pub(crate) fn confirm(ctx: &Context, profile: &str, what: &str) -> anyhow::Result<()> {
    if !enabled(ctx) {
        return Ok(());
    }
    let facts = ProfileFacts::of(ctx.profile_config(profile)?, profile);
    if !is_production(ctx, profile, facts.account.as_deref(), &facts) {
        return Ok(());
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let tty = terminal
        .then(|| fs_err::OpenOptions::new().read(true).write(true).open("/dev/tty").ok())
        .flatten();
    let Some(tty) = tty else {
        return Err(ui::error(
            format!(
                "`{profile}` looks like production and `AWSCTX_CONFIRM_PROD` asks to type its name before {what}, but there is no terminal"
            ),
            "run it on a terminal, or without `AWSCTX_CONFIRM_PROD` in scripts",
        ));
    };
    let who = [facts.account.as_deref(), facts.role.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = tty.try_clone()?;
    // Straight to the terminal, so escaped here.
    write!(
        out,
        "awsctx: `{}` ({}) looks like production; type its name to go on with {what}: ",
        Untrusted(profile),
        Untrusted(&who)
    )?;
    out.flush()?;
    let mut line = String::new();
    std::io::BufReader::new(tty).read_line(&mut line)?;
    if line.trim() == profile {
        return Ok(());
    }
    if line.is_empty() {
        // End of input: a new line, so the error does not follow the question.
        writeln!(out)?;
    }
    Err(ui::error(
        format!("not confirmed: nothing done with `{profile}`"),
        format!(
            "type `{profile}` exactly to confirm; `AWSCTX_PROD_PATTERN` says what looks like production"
        ),
    ))
}
