//! `awsctx completions SHELL`: static scripts for packagers. They complete commands and flags;
//! the hook's dynamic completion also completes profile names.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::aot::{Shell, generate};

use crate::cli::{Cli, CompletionArgs, CompletionShell};

pub(crate) fn run(args: &CompletionArgs) -> ExitCode {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    generate(shell, &mut Cli::command(), "awsctx", &mut script);
    crate::print_stdout(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}
