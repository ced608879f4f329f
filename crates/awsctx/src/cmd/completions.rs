//! `awsctx completions SHELL`: static scripts for packagers. They complete commands and flags;
//! the hook's dynamic completion also completes profile names.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::aot::{Shell, generate};

use crate::cli::{Cli, ShellArgs, ShellName};

pub(crate) fn run(args: &ShellArgs) -> ExitCode {
    let shell = match args.shell {
        ShellName::Bash => Shell::Bash,
        ShellName::Zsh => Shell::Zsh,
        ShellName::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    generate(shell, &mut Cli::command(), "awsctx", &mut script);
    crate::print_stdout(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}
