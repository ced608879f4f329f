//! `awsctx exec PROFILE [--server] -- CMD ARGS...`: run CMD with the profile's keys.
//!
//! Without `--server`, awsctx replaces itself with CMD (`execvp`, no shell in between): CMD
//! keeps awsctx's pid, so its exit status and the signals sent to it (`kill`, Ctrl-C, job
//! control) are CMD's own with nothing in the middle to forward them or to outlive it. The
//! price is that awsctx cannot act after CMD ends, and it has nothing to do then: the keys are
//! in the cache for the next run.
//!
//! With `--server`, CMD gets no keys but a credential server on loopback
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`), so a
//! long-running CMD gets fresh keys whenever its SDK asks. awsctx stays CMD's parent for as
//! long as CMD runs: signals another process sends awsctx go on to CMD (the terminal's
//! Ctrl-C reaches both by itself), and awsctx ends as CMD ended, with its exit status or by
//! its signal.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::sync::{Arc, Mutex, PoisonError};

use awsctx_core::config::ProfileKind;
use awsctx_core::switch::ShellState;
use awsctx_core::time::format_export;
use awsctx_login::container::CredentialServer;
use awsctx_login::provider::ProfileCredentials;
use rustix::process::{Pid, Resource, Rlimit, Signal, WaitId, WaitIdOptions};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;

use crate::cli::ExecArgs;
use crate::context::Context;
use crate::target::Usage;

/// Exit status when CMD is not found, as in shells.
const NOT_FOUND: u8 = 127;
/// Exit status when CMD is found but cannot be run, as in shells.
const CANNOT_RUN: u8 = 126;

/// Variables that would contradict the profile's keys in the child: other keys, the older
/// token name, another profile, web-identity settings, and the account of other keys.
const CONFLICTING: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCOUNT_ID",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
];

/// Variables that would make CMD's SDK look elsewhere than the server of `--server`: the
/// ECS relative URI wins over the full one, and a token file over the token.
const CONTAINER_VARIABLES: &[&str] = &[
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Signals that `exec --server` passes on to CMD. Not the job-control ones: Ctrl-Z must stop
/// awsctx as well, or the shell would wait for it in the foreground.
const FORWARDED: [i32; 7] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH];

pub(crate) fn run(args: ExecArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ExecArgs { profile, server, command: words } = args;
    let profile = crate::target::profile_for(ctx, &profile, Usage::Exec)?;
    crate::guard::confirm(ctx, &profile, "running a command")?;
    let Some((program, rest)) = words.split_first() else {
        anyhow::bail!("no command given after `--`");
    };
    if server {
        return run_with_server(ctx, &profile, program, rest);
    }
    let found = crate::credentials::resolve(ctx, &profile)?;
    let mut command = Command::new(program);
    command.args(rest);
    for name in removed_variables(std::env::vars_os().map(|(name, _)| name), false) {
        command.env_remove(name);
    }
    for (name, value) in child_variables(&found) {
        command.env(name, value);
    }
    if found.region.is_none() {
        users_regions(ctx, &mut command);
    }
    // `exec` returns only when CMD could not be started.
    Ok(not_started(program, &command.exec()))
}

/// The error and exit status of a CMD that could not be started, as shells give them.
fn not_started(program: &OsString, error: &std::io::Error) -> ExitCode {
    let shown = program.to_string_lossy();
    let (message, code) = match error.kind() {
        ErrorKind::NotFound => (format!("command `{shown}` not found"), NOT_FOUND),
        _ => (format!("cannot run `{shown}`: {error}"), CANNOT_RUN),
    };
    crate::ui::report(&anyhow::anyhow!(message));
    ExitCode::from(code)
}

/// `exec --server`: CMD as a child, a credential server on loopback for as long as it runs.
fn run_with_server(
    ctx: &Context,
    profile: &str,
    program: &OsString,
    rest: &[OsString],
) -> anyhow::Result<ExitCode> {
    let (mut keys, found) = crate::served::ServedKeys::start(ctx, profile)?;
    if profile != "default"
        && ctx
            .config()?
            .kind("default")
            .is_ok_and(|kind| !matches!(kind, ProfileKind::SettingsOnly))
    {
        crate::ui::notice(
            "warning: profile `default` has credentials of its own: SDKs in the command use them before the server",
        );
    }
    let server = CredentialServer::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    // Taken before CMD starts, so that no signal in between ends awsctx and orphans CMD.
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED)?;
    let mut command = Command::new(program);
    command.args(rest);
    for name in removed_variables(std::env::vars_os().map(|(name, _)| name), true) {
        command.env_remove(name);
    }
    command
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url())
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", server.token().expose());
    if let Some(region) = &found.region {
        command.env("AWS_REGION", region).env("AWS_DEFAULT_REGION", region);
    } else {
        users_regions(ctx, &mut command);
    }
    let child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return Ok(not_started(program, &error)),
    };
    let pid = i32::try_from(child.id()).ok().and_then(Pid::from_raw);
    // `true` once CMD has ended: from then on its pid may be reused, and nothing is sent to it.
    let ended = Arc::new(Mutex::new(false));
    let forwarding = signals.handle();
    let ended_for_signals = Arc::clone(&ended);
    std::thread::spawn(move || {
        for origin in signals.forever() {
            // The terminal sends Ctrl-C and its like to CMD itself; pass on only what a
            // process sent to awsctx (`kill`), which CMD did not get.
            if origin.process.is_none_or(|sender| sender.pid == 0) {
                continue;
            }
            let ended = ended_for_signals.lock().unwrap_or_else(PoisonError::into_inner);
            if let (false, Some(pid), Some(signal)) =
                (*ended, pid, Signal::from_named_raw(origin.signal))
            {
                let _ = rustix::process::kill_process(pid, signal);
            }
        }
    });
    let stopper = server.stopper();
    let waiter = std::thread::spawn(move || {
        let status = wait_for(child, pid, &ended);
        stopper.stop();
        status
    });
    server.serve(|| keys.answer())?;
    forwarding.close();
    let status = waiter.join().map_err(|_| anyhow::anyhow!("waiting for the command failed"))??;
    Ok(end_like(status))
}

/// Wait for CMD to end, and mark it ended before its pid is released (a signal being passed
/// on at that moment either reaches CMD or is not sent).
fn wait_for(
    mut child: Child,
    pid: Option<Pid>,
    ended: &Mutex<bool>,
) -> std::io::Result<ExitStatus> {
    if let Some(pid) = pid {
        // Without reaping: the pid stays CMD's until `wait` below.
        while let Err(error) =
            rustix::process::waitid(WaitId::Pid(pid), WaitIdOptions::EXITED | WaitIdOptions::NOWAIT)
        {
            if error != rustix::io::Errno::INTR {
                break;
            }
        }
    }
    *ended.lock().unwrap_or_else(PoisonError::into_inner) = true;
    child.wait()
}

/// End awsctx as CMD ended: with its exit status, or killed by the same signal.
fn end_like(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let Some(signal) = status.signal() else { return ExitCode::FAILURE };
    // A core of awsctx would say nothing about CMD's crash.
    let limit = rustix::process::getrlimit(Resource::Core);
    let _ = rustix::process::setrlimit(Resource::Core, Rlimit { current: Some(0), ..limit });
    // Returns only for a signal whose default is to be ignored: say it as shells do.
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
}

/// The variables of the child that awsctx sets: the keys, their expiry, the profile and its
/// region (when it has one; otherwise the caller's region variables stay).
pub(crate) fn child_variables(found: &ProfileCredentials) -> Vec<(&'static str, String)> {
    let keys = &found.credentials;
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", keys.access_key_id().to_owned()),
        ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key().expose().to_owned()),
    ];
    if let Some(token) = keys.session_token() {
        vars.push(("AWS_SESSION_TOKEN", token.expose().to_owned()));
    }
    if let Some(expiration) = keys.expiration() {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", format_export(expiration)));
    }
    vars.push(("AWS_PROFILE", found.profile.clone()));
    if let Some(region) = &found.region {
        vars.push(("AWS_REGION", region.clone()));
        vars.push(("AWS_DEFAULT_REGION", region.clone()));
    }
    vars
}

/// For a profile without a region: the user's own region variables, never those of the
/// profile the shell has switched to.
fn users_regions(ctx: &Context, command: &mut Command) {
    let state = ShellState::from_env(&ctx.env);
    let last = state.profile.as_deref().and_then(|profile| {
        state.region.clone().or_else(|| {
            let config = ctx.config().ok()?;
            awsctx_core::facts::ProfileFacts::of(config, profile).region
        })
    });
    for (name, value) in state.users_regions(&ctx.env, last.as_deref()) {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
}

/// The caller's variables the child must not see (with `server`: nor other container
/// credential settings).
fn removed_variables(names: impl Iterator<Item = OsString>, server: bool) -> Vec<OsString> {
    names
        .filter(|name| {
            name.to_str().is_some_and(|name| {
                CONFLICTING.contains(&name)
                    // The hook's state: a shell started by `exec` starts its own hook afresh
                    // instead of refreshing the parent shell's profile over these keys.
                    || name.starts_with(awsctx_core::switch::var::PREFIX)
                    || (server && CONTAINER_VARIABLES.contains(&name))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use awsctx_core::cache::RoleCredentials;
    use awsctx_core::secret::Secret;
    use awsctx_login::provider::CredentialOrigin;

    use super::*;

    #[test]
    fn keys_without_token_or_region_leave_those_out() {
        let found = ProfileCredentials {
            credentials: RoleCredentials::new("AKIA1", Secret::new("s"), None, None).unwrap(),
            profile: "keys".into(),
            account_id: None,
            role_name: None,
            region: None,
            origin: CredentialOrigin::Static,
        };
        let names: Vec<&str> = child_variables(&found).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"]);
    }

    #[test]
    fn conflicting_and_hook_state_variables_are_removed() {
        let names = ["AWS_SECURITY_TOKEN", "AWS_REGION", "_AWSCTX_PROFILE", "HOME", "AWS_PROFILE"]
            .map(OsString::from);
        let removed = removed_variables(names.into_iter(), false);
        assert_eq!(removed, ["AWS_SECURITY_TOKEN", "_AWSCTX_PROFILE", "AWS_PROFILE"]);
        let names = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_PROFILE", "AWS_REGION"]
            .map(OsString::from);
        let removed = removed_variables(names.into_iter(), true);
        assert_eq!(removed, ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_PROFILE"]);
    }
}
