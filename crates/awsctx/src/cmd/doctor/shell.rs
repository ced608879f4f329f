//! The shell hook: loaded in this shell, and still run at its prompt. The hook's `awsctx`
//! function tells `doctor` what the shell runs now ([`var::LIVE`]): asking the shell itself
//! costs nothing, where running the user's rc file again (`bash -ic`) would run everything in
//! it, and could only guess at what an interactive session did since. From a shell without
//! the hook, the rc file is all there is, and the hint says to add the line.

use std::path::{Path, PathBuf};

use awsctx_core::switch::var;

use super::Check;
use crate::context::Context;

/// The most of an rc file read to find the lines that undo the hook.
const MAX_RC_BYTES: u64 = 1 << 20;

pub(super) fn hook(ctx: &Context) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(live) = ctx.env.get(var::LIVE) {
        let live: Vec<&str> = live.split_whitespace().collect();
        let shell = ctx.env.get(var::SHELL_VERSION).unwrap_or_default();
        let rc = rc_file(ctx, shell);
        if !live.contains(&"prompt") {
            checks.push(Check::Fail(prompt_dropped(shell, rc.as_ref())));
            return checks;
        }
        if shell.starts_with("zsh") && !live.contains(&"complete") {
            checks.push(Check::Fail(completion_missing(rc.as_ref())));
        }
    }
    checks.insert(0, loaded(ctx));
    checks
}

/// The hook sets `_AWSCTX_PWD` at its first prompt and hands it to the awsctx it runs;
/// without it, the line for `$SHELL` (the same hint as a switch without the hook).
fn loaded(ctx: &Context) -> Check {
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
    let fix = crate::switcher::hook_hint(ctx);
    Check::Fail(format!("shell hook: not loaded in this shell; {fix}, then open a new shell"))
}

/// The rc file of the shell the hook runs in: `~/.bashrc`, `${ZDOTDIR:-~}/.zshrc`.
fn rc_file(ctx: &Context, shell: &str) -> Option<PathBuf> {
    let home = ctx.env.home()?;
    if shell.starts_with("zsh") {
        let dir = ctx.env.get("ZDOTDIR").filter(|d| !d.is_empty()).map_or(home, PathBuf::from);
        Some(dir.join(".zshrc"))
    } else if shell.starts_with("bash") {
        Some(home.join(".bashrc"))
    } else {
        None
    }
}

/// The rc file's lines, numbered from 1 (empty when it cannot be read).
fn rc_lines(path: &Path) -> Vec<(usize, String)> {
    use std::io::Read as _;
    let mut text = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(MAX_RC_BYTES).read_to_end(&mut text));
    if read.is_err() {
        return Vec::new();
    }
    String::from_utf8_lossy(&text)
        .lines()
        .map(str::to_owned)
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect()
}

/// The line that loads the hook for `shell` (`awsctx hook bash`), the last one if several.
fn hook_line(lines: &[(usize, String)], shell: &str) -> Option<usize> {
    let wanted = format!("hook {shell}");
    lines
        .iter()
        .rev()
        .find(|(_, l)| {
            !l.trim_start().starts_with('#') && l.contains("awsctx") && l.contains(&wanted)
        })
        .map(|(n, _)| *n)
}

/// The hook is loaded but no longer run at the prompt: the last line below the hook line that
/// sets the prompt's list anew (`PROMPT_COMMAND=…`, `precmd_functions=(…)`) without keeping
/// what was there.
fn prompt_dropped(shell: &str, rc: Option<&PathBuf>) -> String {
    let (name, list) = if shell.starts_with("zsh") {
        ("zsh", "precmd_functions")
    } else {
        ("bash", "PROMPT_COMMAND")
    };
    let head = "shell hook: loaded, but no longer run at the prompt";
    let anew = format!("{head}: `{list}` was set anew after the hook loaded");
    let Some(rc) = rc else { return format!("{anew}; load the hook last") };
    let at = crate::ui::at_home(rc);
    let lines = rc_lines(rc);
    let Some(hook) = hook_line(&lines, name) else {
        return format!("{anew}; load the hook after whatever sets `{list}`");
    };
    let culprit = lines.iter().rev().find(|(n, l)| *n > hook && resets(l, list)).map(|(n, _)| *n);
    match culprit {
        Some(line) => format!(
            "{head}: {at}:{line} sets `{list}` anew after the hook line ({hook}); add to it \
             there (`{list}+=…`) or move the hook line below it"
        ),
        None => format!("{anew}; load the hook ({at}:{hook}) after whatever sets `{list}`"),
    }
}

/// `line` assigns `list` without its old value: `PROMPT_COMMAND='…'`, `export
/// PROMPT_COMMAND=…`, `precmd_functions=(…)`; not `+=`, nor a value that uses `$list`.
fn resets(line: &str, list: &str) -> bool {
    let code = line.trim_start();
    let code =
        code.strip_prefix("export ").or_else(|| code.strip_prefix("typeset -g ")).unwrap_or(code);
    let Some(value) = code.trim_start().strip_prefix(list) else { return false };
    let value = value.strip_prefix("[0]").unwrap_or(value);
    value.starts_with('=')
        && !value.contains(&format!("${list}"))
        && !value.contains(&format!("${{{list}"))
}

/// zsh: `compdef` did not exist when the hook loaded (`compinit` ran later), so `awsctx`
/// does not complete.
fn completion_missing(rc: Option<&PathBuf>) -> String {
    let head =
        "shell completion: `awsctx` does not complete: the hook was loaded before `compinit`";
    let Some(rc) = rc else { return format!("{head}; load it after `compinit`") };
    let at = crate::ui::at_home(rc);
    let lines = rc_lines(rc);
    let compinit = |after: usize| {
        lines
            .iter()
            .find(|(n, l)| *n > after && l.split_whitespace().next() == Some("compinit"))
            .map(|(n, _)| *n)
    };
    match hook_line(&lines, "zsh") {
        Some(hook) => match compinit(hook) {
            Some(line) => {
                format!("{head}; move the hook line ({at}:{hook}) below `compinit` (line {line})")
            }
            None => format!("{head}; move the hook line ({at}:{hook}) below `compinit`"),
        },
        None => format!("{head}; load it after `compinit` in {at}"),
    }
}
