//! `awsctx hook SHELL` prints the hook (a real file under `shell/`, compiled in) with this
//! binary's path quoted in, plus the dynamic completion registration; the hidden `hook-env`
//! is what the hook runs on a directory change or when keys are due for a refresh.
//!
//! Where a script must agree with the binary, it is written out here: the path, the commands
//! whose output is for reading (from the command line's definition), and bash's clock.

use std::process::ExitCode;

use anyhow::Context as _;
use awsctx_core::shell::{Shell, quote, render};
use awsctx_core::switch::ShellState;
use clap::CommandFactory as _;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

use crate::cli::{ShellArgs, ShellName};
use crate::context::Context;
use crate::switcher::{Switcher, Trigger};

const BASH: &str = include_str!("../../../../shell/awsctx.bash");
const ZSH: &str = include_str!("../../../../shell/awsctx.zsh");
const FISH: &str = include_str!("../../../../shell/awsctx.fish");
const NU: &str = include_str!("../../../../shell/awsctx.nu");

/// What the hook's `awsctx` function evaluates (they change the shell): these commands, and
/// the top-level arguments that switch. Every other command and flag, new ones included, is
/// passed through untouched: its output is for reading, never for `eval`.
const EVALUATED_COMMANDS: [&str; 6] = ["use", "pin", "unpin", "allow", "deny", "login"];
const EVALUATED_ARGS: [&str; 3] = ["profile", "unset", "region"];

/// bash's clock: `EPOCHSECONDS` (bash 5), else `SECONDS` counted from the `date` the hook took
/// at load (`_AWSCTX_EPOCH`). One expression wherever the script says `__AWSCTX_NOW__`.
const BASH_NOW: &str = "${EPOCHSECONDS:-$((${_AWSCTX_EPOCH:-0} + SECONDS))}";

/// Where the list of [`passed_through`] goes in each script.
const PASS_THROUGH: &str = "__AWSCTX_PASS_THROUGH__";

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
    let quoted = quote(shell, bin);
    let words = passed_through();
    let (script, completer): (String, &dyn EnvCompleter) = match shell {
        Shell::Bash => {
            (fill_list(BASH, &words, " | ", " | \\\n  ").replace("__AWSCTX_NOW__", BASH_NOW), &Bash)
        }
        Shell::Zsh => (fill_list(ZSH, &words, " | ", " | \\\n  "), &Zsh),
        Shell::Fish => (fill_list(FISH, &words, " ", " \\\n    "), &Fish),
        // Its `awsctx` command completes through the binary itself (see the script).
        Shell::Nu => {
            return Ok(fill_list(NU, &words, " ", "\n    ").replace("__AWSCTX_BIN__", &quoted));
        }
    };
    let mut out = script.replace("__AWSCTX_BIN__", &quoted);
    let mut registration = crate::complete::registration(completer, bin)?;
    if shell == Shell::Zsh {
        // `compdef` exists only after `compinit`: without it, skip quietly (a hook loaded
        // before `compinit` would otherwise print an error at every shell start), and end
        // with status 0 (`err_exit` users).
        registration = registration.replace(
            "\ncompdef _clap_dynamic_completer_awsctx awsctx",
            "\nif (( $+functions[compdef] )); then\n  compdef _clap_dynamic_completer_awsctx awsctx\nfi",
        );
    }
    out.push_str("\n# Tab-completion of commands, flags and profile names (clap_complete).\n");
    out.push_str(&registration);
    out.push('\n');
    Ok(out)
}

/// Every command (and alias) and top-level flag whose output the hook prints as it is.
fn passed_through() -> Vec<String> {
    let mut cli = crate::cli::Cli::command();
    // Adds `help`, `-h` and `-V`.
    cli.build();
    let commands = cli
        .get_subcommands()
        .filter(|c| !EVALUATED_COMMANDS.contains(&c.get_name()))
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .map(str::to_owned);
    let flags = cli
        .get_arguments()
        .filter(|a| !EVALUATED_ARGS.contains(&a.get_id().as_str()))
        .flat_map(|a| {
            let short = a.get_short().map(|s| format!("-{s}"));
            short.into_iter().chain(a.get_long().map(|l| format!("--{l}")))
        });
    commands.chain(flags).collect()
}

/// `script` with [`PASS_THROUGH`] replaced by `words`, `separator` between them, lines broken
/// with `line_end` (its last line indents past the line's own indentation) before they pass
/// 100 columns.
fn fill_list(script: &str, words: &[String], separator: &str, line_end: &str) -> String {
    let at = script.find(PASS_THROUGH).expect("every hook script has the list");
    let line = &script[script[..at].rfind('\n').map_or(0, |n| n + 1)..at];
    let column = line.len();
    let indent = " ".repeat(line.len() - line.trim_start().len());
    let mut list = String::new();
    let mut width = column;
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            if width + separator.len() + word.len() + 2 > 100 {
                list.push_str(line_end);
                list.push_str(&indent);
                width = indent.len() + line_end.len() - line_end.rfind('\n').map_or(0, |n| n + 1);
            } else {
                list.push_str(separator);
                width += separator.len();
            }
        }
        list.push_str(word);
        width += word.len();
    }
    script.replacen(PASS_THROUGH, &list, 1)
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

    use super::{EVALUATED_ARGS, EVALUATED_COMMANDS, render_hook};
    use awsctx_core::shell::Shell;

    /// Every command other than the evaluated ones (new ones included) is passed through by
    /// every hook, as the shell reads the rendered script; and the evaluated names still exist,
    /// so a renamed command cannot slip into the list unnoticed.
    #[test]
    fn every_command_that_does_not_change_the_shell_is_passed_through_by_every_hook() {
        let cli = crate::cli::Cli::command();
        for name in EVALUATED_COMMANDS {
            assert!(cli.find_subcommand(name).is_some(), "no command `{name}`");
        }
        for id in EVALUATED_ARGS {
            assert!(cli.get_arguments().any(|a| a.get_id() == id), "no argument `{id}`");
        }
        let names: Vec<String> = cli
            .get_subcommands()
            .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
            .filter(|name| !EVALUATED_COMMANDS.contains(name))
            .map(str::to_owned)
            .chain(["help", "-c", "--current", "-h", "--help", "-V", "--version"].map(String::from))
            .collect();
        assert!(names.iter().any(|n| n == "serve") && names.iter().any(|n| n == "hook-env"));
        // The list starts at `logout` and ends where the shell's syntax ends it.
        for (shell, end) in
            [(Shell::Bash, ')'), (Shell::Zsh, ')'), (Shell::Fish, '\n'), (Shell::Nu, ']')]
        {
            // Lines continued with `\` read as one.
            let script = render_hook(shell, "/bin/awsctx").unwrap().replace("\\\n", " ");
            let start = script.find("logout |").or_else(|| script.find("logout ")).unwrap();
            let list = &script[start..];
            let list = &list[..list.find(end).expect("the list ends")];
            let words: Vec<&str> = list
                .split(|c: char| c.is_whitespace() || c == '|' || c == '\\')
                .filter(|w| !w.is_empty())
                .collect();
            for name in &names {
                assert!(
                    words.contains(&name.as_str()),
                    "{shell:?}: `{name}` is not passed through: {words:?}"
                );
            }
            for name in ["use", "pin", "login", "-u", "--unset", "-r"] {
                assert!(!words.contains(&name), "{shell:?}: `{name}` is passed through");
            }
        }
    }
}
