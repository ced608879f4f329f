//! The shell hook: loaded in this shell, and still run at its prompt.

use awsctx_core::switch::var;

use super::Check;
use crate::context::Context;

/// The hook sets `_AWSCTX_PWD` at its first prompt and hands it to the awsctx it runs;
/// without it, the line for `$SHELL` (the same hint as a switch without the hook).
pub(super) fn hook(ctx: &Context) -> Check {
    if awsctx_core::switch::hook_loaded(&ctx.env) {
        let Some(shell) = ctx.env.get(var::SHELL_VERSION) else {
            return Check::Ok("shell hook: loaded in this shell".to_owned());
        };
        let shell = awsctx_core::text::escape(shell);
        let clock = if ctx.env.get(var::EPOCH).is_some() {
            // bash before 5.0 (macOS's /bin/bash is 3.2).
            "; it has no `EPOCHSECONDS`, so the hook counts time from `SECONDS` and one `date` \
             at load (still no process per prompt)"
        } else {
            ""
        };
        let check = if shell.starts_with("bash 3.") {
            "; the check before each command line needs bash 4 (bash 3 loses `PIPESTATUS` \
             under a `DEBUG` trap), so keys and bindings follow at the prompt"
        } else {
            ""
        };
        return Check::Ok(format!("shell hook: loaded in {shell}{clock}{check}"));
    }
    let fix = crate::cmd::use_::hook_hint(ctx);
    Check::Fail(format!("shell hook: not loaded in this shell; {fix}, then open a new shell"))
}
