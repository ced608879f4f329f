//! One module per command; `run` dispatches the parsed command line.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::context::Context;

mod completions;
mod configure;
mod console;
mod credential_process;
mod doctor;
mod exec;
mod export;
mod hook;
mod list;
mod login;
mod logout;
mod pin;
mod populate;
mod status;
mod trust;
mod use_;

pub(crate) fn run(cli: Cli, ctx: &Context) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        _ => Ok(ExitCode::SUCCESS),
    }
}
