//! `awsctx completions SHELL`: the completion scripts for packagers, the hook's dynamic
//! completion without the hook. Each TAB runs `awsctx` found on `PATH`, so commands, flags and
//! profile names complete as the installed binary defines them. The zsh script is an `fpath`
//! file (`_awsctx`, bound by `compinit`) that also works sourced after `compinit`.

use std::process::ExitCode;

use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

use crate::cli::{CompletionArgs, CompletionShell};

pub(crate) fn run(args: &CompletionArgs) -> anyhow::Result<ExitCode> {
    let shell: &dyn EnvCompleter = match args.shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
    };
    crate::print_stdout(&script(shell)?);
    Ok(ExitCode::SUCCESS)
}

fn script(shell: &dyn EnvCompleter) -> std::io::Result<String> {
    let script = crate::complete::registration(shell, "awsctx")?;
    // `command`: with the hook loaded too, `awsctx` is a shell function that must not see
    // the completion request. zsh and fish write the name bare, bash in double quotes.
    let mut script = script
        .replace(" awsctx -- ", " command awsctx -- ")
        .replace("\"awsctx\" -- ", "command awsctx -- ");
    if shell.name() == "zsh" {
        // Autoloaded from `fpath` the file is the body of `_awsctx`, run at the first TAB: it
        // completes then; sourced, it registers itself.
        script = script.replace(
            "\ncompdef _clap_dynamic_completer_awsctx awsctx",
            "\nif [[ ${funcstack[1]} == _awsctx ]]; then\n    _clap_dynamic_completer_awsctx \"$@\"\nelse\n    compdef _clap_dynamic_completer_awsctx awsctx\nfi",
        );
    }
    script.push('\n');
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_runs_awsctx_from_path_past_a_shell_function() {
        for shell in [&Bash as &dyn EnvCompleter, &Zsh, &Fish] {
            let script = script(shell).unwrap();
            assert_eq!(script.matches("command awsctx -- ").count(), 1, "{script}");
        }
    }
}
