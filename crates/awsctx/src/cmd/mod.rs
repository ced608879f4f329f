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
mod refresh;
mod serve;
mod status;
mod trust;
mod use_;

pub(crate) fn run(cli: Cli, ctx: &Context) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        return use_::run_bare(&cli, ctx);
    };
    match command {
        Command::Use(args) => use_::run(&args, ctx),
        Command::Login(args) => login::run(&args, ctx),
        Command::Logout(args) => logout::run(&args, ctx),
        Command::List(args) => list::run(&args, ctx),
        Command::Status(args) => status::run(&args, ctx),
        Command::Export(args) => export::run(&args, ctx),
        Command::CredentialProcess(args) => credential_process::run(&args, ctx),
        Command::Exec(args) => exec::run(args, ctx),
        Command::Serve(args) => serve::run(&args, ctx),
        Command::Console(args) => console::run(&args, ctx),
        Command::Configure(crate::cli::ConfigureCommand::Sso(args)) => {
            configure::run_sso(&args, ctx)
        }
        Command::Populate(args) => populate::run(&args, ctx),
        Command::Pin(args) => pin::run_pin(&args, ctx),
        Command::Unpin => pin::run_unpin(ctx),
        Command::Allow(args) => trust::run_allow(&args, ctx),
        Command::Deny(args) => trust::run_deny(&args, ctx),
        Command::Hook(args) => hook::run_hook(&args, ctx),
        Command::HookEnv(args) => hook::run_hook_env(&args, ctx),
        Command::HookRefresh(args) => refresh::run(&args, ctx),
        Command::Completions(args) => completions::run(&args),
        Command::Doctor => doctor::run(ctx),
    }
}
