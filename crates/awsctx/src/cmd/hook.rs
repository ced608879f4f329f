//! `awsctx hook SHELL` prints the hook (a real file under `shell/`, compiled in) with this
//! binary's path quoted in, plus the dynamic completion registration; the hidden `hook-env`
//! is what the hook runs on a directory change or when keys are due for a refresh.

use std::process::ExitCode;

use anyhow::Context as _;
use awsctx_core::shell::{Shell, quote, render};
use awsctx_core::switch::ShellState;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

use crate::cli::{ShellArgs, ShellName};
use crate::context::Context;
use crate::switcher::{Switcher, Trigger};

const BASH: &str = include_str!("../../../../shell/awsctx.bash");
const ZSH: &str = include_str!("../../../../shell/awsctx.zsh");
const FISH: &str = include_str!("../../../../shell/awsctx.fish");
const NU: &str = include_str!("../../../../shell/awsctx.nu");

pub(crate) fn shell_of(name: ShellName) -> Shell {
    match name {
        ShellName::Bash => Shell::Bash,
        ShellName::Zsh => Shell::Zsh,
        ShellName::Fish => Shell::Fish,
        ShellName::Nu => Shell::Nu,
    }
}

pub(crate) fn run_hook(args: &ShellArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    let bin = std::env::current_exe().context("finding the awsctx binary's own path")?;
    let bin = bin.to_str().context("the awsctx binary's path is not valid UTF-8")?;
    crate::print_stdout(&render_hook(shell_of(args.shell), bin)?);
    Ok(ExitCode::SUCCESS)
}

/// The hook script for `shell`, calling the binary at `bin`.
pub(crate) fn render_hook(shell: Shell, bin: &str) -> anyhow::Result<String> {
    let (script, completer): (&str, &dyn EnvCompleter) = match shell {
        Shell::Bash => (BASH, &Bash),
        Shell::Zsh => (ZSH, &Zsh),
        Shell::Fish => (FISH, &Fish),
        // Its `awsctx` command completes through the binary itself (see the script).
        Shell::Nu => return Ok(NU.replace("__AWSCTX_BIN__", &quote(shell, bin))),
    };
    let mut out = script.replace("__AWSCTX_BIN__", &quote(shell, bin));
    let mut registration = Vec::new();
    completer.write_registration("COMPLETE", "awsctx", "awsctx", bin, &mut registration)?;
    let mut registration = String::from_utf8_lossy(&registration).trim().to_owned();
    if shell == Shell::Zsh {
        // `compdef` exists only after `compinit`: without it, skip quietly (a hook loaded
        // before `compinit` would otherwise print an error at every shell start), and end
        // with status 0 (`err_exit` users).
        registration = registration.replace(
            "\ncompdef _clap_dynamic_completer_awsctx awsctx",
            "\nif (( $+functions[compdef] )); then\n  compdef _clap_dynamic_completer_awsctx awsctx\nfi",
        );
        // A whole account id or ARN completes to its profiles, which do not start with what
        // was typed: `-U` lets them replace the word instead of being filtered out.
        registration = registration.replace(
            "[[ -n $other ]] && _describe -V 'values' other",
            "if [[ ${words[CURRENT]} == <-> || ${words[CURRENT]} == arn:* ]]; then\n            [[ -n $other ]] && _describe -V 'values' other -U\n        else\n            [[ -n $other ]] && _describe -V 'values' other\n        fi",
        );
    }
    out.push_str("\n# Tab-completion of commands, flags and profile names (clap_complete).\n");
    if shell == Shell::Bash {
        // clap_complete's generated function splits the completer's output on purpose.
        out.push_str("# shellcheck disable=SC2207,SC2181\n");
    }
    out.push_str(&registration);
    out.push('\n');
    Ok(out)
}

/// What the hook runs when the directory changed (and may be bound) or keys are due: decide
/// what this directory's shell should have, and print it as code. Never fails the prompt:
/// an error is one line, once per shell and directory, and the directory counts as looked at.
pub(crate) fn run_hook_env(args: &ShellArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let shell = shell_of(args.shell);
    let mut session = match Switcher::new(ctx, shell, Trigger::Hook) {
        Ok(session) => session,
        Err(err) => return without_session(ctx, shell, &err),
    };
    let binding = match session.resolve(true) {
        Ok(binding) => binding,
        Err(err) => {
            session.report_error_once(&err);
            // Keep what the shell believed; only say this directory has been looked at.
            session.state.pins.get_or_insert_with(String::new);
            session.print(&[])?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    session.look_again_after_changes();
    let pwd = session.pwd.clone();
    let action = session.state.arrive(&pwd, binding.as_ref());
    session.finish(&action, Trigger::Hook)
}

/// `hook-env` could not even start (the directory it runs in was deleted): say so once for
/// this directory, and mark it as looked at so the next prompt does not ask again.
fn without_session(ctx: &Context, shell: Shell, err: &anyhow::Error) -> anyhow::Result<ExitCode> {
    let before = ShellState::from_env(&ctx.env);
    let mut state = before.clone();
    let pwd = ctx.env.get("PWD").unwrap_or_default();
    let message = format!("{err:#}").replace('\n', " ");
    if state.warn_once(&format!("error:{pwd}\0{message}")) {
        crate::ui::notice(&format!("error: {message}"));
    }
    state.pwd = Some(pwd.into());
    crate::print_stdout(&render(shell, &state.changes_since(&before))?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::{BASH, FISH, NU, ZSH};

    /// Commands whose output the hook's `awsctx` function evaluates: they change the shell.
    const EVALUATED: [&str; 6] = ["use", "pin", "unpin", "allow", "deny", "login"];

    /// Every other command's output is for reading, so each hook must pass it through
    /// untouched; a new command missing from a hook's list would have its output evaluated.
    #[test]
    fn every_command_that_does_not_change_the_shell_is_passed_through_by_every_hook() {
        let cli = crate::cli::Cli::command();
        let names: Vec<String> = cli
            .get_subcommands()
            .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
            .filter(|name| !EVALUATED.contains(name))
            .map(str::to_owned)
            .collect();
        assert!(names.iter().any(|n| n == "serve") && names.iter().any(|n| n == "hook-env"));
        // The list starts at `logout` and ends where the shell's syntax ends it.
        for (shell, script, end) in
            [("bash", BASH, ')'), ("zsh", ZSH, ')'), ("fish", FISH, '\n'), ("nu", NU, ']')]
        {
            let start = script.find("logout").expect("the pass-through list starts with logout");
            let list = &script[start..];
            let list = &list[..list.find(end).expect("the list ends")];
            let words: Vec<&str> = list
                .split(|c: char| c.is_whitespace() || c == '|' || c == '\\')
                .filter(|w| !w.is_empty())
                .collect();
            for name in &names {
                assert!(
                    words.contains(&name.as_str()),
                    "{shell}: `{name}` is not passed through: {words:?}"
                );
            }
        }
    }
}
