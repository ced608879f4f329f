//! Keys for the hook, with the network never holding a prompt for more than a second: what the
//! caches give at once; else a detached `awsctx hook-refresh PROFILE` fetches into the shared
//! cache, and the prompt waits on it for [`PROMPT_WAIT`] at most. A refresh that takes longer
//! goes on by itself and a later prompt picks the keys up from the cache; a failed one is
//! recorded ([`RefreshRecord`]) and tried again after 1, 2, 4 … minutes.

use std::os::unix::process::CommandExt as _;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use awsctx_core::config::Config;
use awsctx_core::refresh::RefreshRecord;
use jiff::Timestamp;

use crate::cli::HookRefreshArgs;
use crate::cmd::use_::{Fetch, Keys, fetch_keys_with};
use crate::context::Context;

/// The most a prompt waits on a refresh that needs the network: with the process start and
/// the cache reads, well within the second a prompt may take.
const PROMPT_WAIT: Duration = Duration::from_millis(600);

/// While a background refresh runs, the hook looks in the cache again this many seconds on.
const LOOK_AGAIN_SECS: i64 = 5;

/// A failed refresh is not tried again sooner than this (seconds).
const MIN_RETRY_SECS: i64 = 60;

/// `profile`'s keys for a prompt: from the caches, or from a refresh that ends within
/// [`PROMPT_WAIT`]; else the old keys for now and when to look again.
pub(crate) fn keys_at_prompt(ctx: &Context, config: &Config, profile: &str) -> Keys {
    let old = match fetch_keys_with(ctx, config, profile, Fetch::Offline) {
        Keys::Later { old, .. } => old,
        keys => return keys,
    };
    let path = match ctx.state_dir() {
        Ok(state) => RefreshRecord::path(state.path(), profile),
        Err(err) => return Keys::Missing { reason: format!("{err:#}") },
    };
    let now = Timestamp::now().as_second();
    let record = RefreshRecord::load(&path).unwrap_or_default();
    let started = Instant::now();
    if let Some(pid) = record.running_pid(now).filter(|pid| is_alive(*pid)) {
        // Another shell's refresh: wait on it as on our own.
        if !ended_in_time(started, || !is_alive(pid)) {
            return Keys::Later { old, retry_at: Some(now + LOOK_AGAIN_SECS), reason: None };
        }
    } else if record.next_try > now {
        return Keys::Later { old, retry_at: Some(record.next_try), reason: record.reason };
    } else {
        let mut child = match start(ctx, profile) {
            Ok(child) => child,
            Err(err) => {
                return Keys::Missing { reason: format!("starting a background refresh: {err}") };
            }
        };
        let running = RefreshRecord { running: Some((child.id(), now)), ..record };
        // Best effort: without the record another prompt may start a second refresh, which
        // then finds the first one's keys (the provider fetches under a lock, cache first).
        let _ = running.store(&path);
        if !ended_in_time(started, || matches!(child.try_wait(), Ok(Some(_)) | Err(_))) {
            // It goes on by itself (and is reaped by init when this process ends).
            return Keys::Later { old, retry_at: Some(now + LOOK_AGAIN_SECS), reason: None };
        }
    }
    match fetch_keys_with(ctx, config, profile, Fetch::Offline) {
        Keys::Later { old, .. } => {
            let record = RefreshRecord::load(&path).unwrap_or_default();
            Keys::Later {
                old,
                retry_at: Some(record.next_try.max(now + MIN_RETRY_SECS)),
                reason: record.reason.or_else(|| Some("the refresh got no keys".to_owned())),
            }
        }
        keys => keys,
    }
}

/// Whether `ended` comes true within [`PROMPT_WAIT`] of `started`.
fn ended_in_time(started: Instant, mut ended: impl FnMut() -> bool) -> bool {
    loop {
        if ended() {
            return true;
        }
        if started.elapsed() >= PROMPT_WAIT {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `awsctx hook-refresh PROFILE`, detached: its own process group (a Ctrl-C at the prompt is
/// not for it), no terminal, and none of the hook's state.
fn start(ctx: &Context, profile: &str) -> std::io::Result<std::process::Child> {
    let bin = std::env::current_exe()?;
    Command::new(bin)
        .args(["hook-refresh", "--", profile])
        .env_clear()
        .envs(ctx.child_env().iter())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

fn is_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return false;
    };
    rustix::process::test_kill_process(pid).is_ok()
}

/// The background refresh: fetch `profile`'s keys into the cache, and record how it went.
pub(crate) fn run(args: &HookRefreshArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let path = RefreshRecord::path(ctx.state_dir()?.path(), &args.profile);
    let failed = |reason: &str| {
        let record = RefreshRecord::load(&path).unwrap_or_default();
        let _ = record.failed(Timestamp::now().as_second(), reason).store(&path);
    };
    match fetch_keys_with(ctx, config, &args.profile, Fetch::Background) {
        // A login is needed: the hook sees that without the network, and says so itself.
        Keys::Got(_) | Keys::NotWanted | Keys::LoginRequired { .. } => RefreshRecord::remove(&path),
        Keys::Unreachable { reason } | Keys::Missing { reason } => failed(&reason),
        Keys::Later { .. } => failed("no keys"),
    }
    Ok(ExitCode::SUCCESS)
}
