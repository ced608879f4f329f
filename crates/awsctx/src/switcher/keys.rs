//! A profile's keys: the one place that knows where keys come from. A command waits for
//! them; the hook never waits on the network for more than a second: what the caches give at
//! once, else a detached `awsctx hook-refresh PROFILE` fetches into the shared cache, and the
//! prompt waits on it for [`PROMPT_WAIT`] at most. A refresh that takes longer goes on by
//! itself and a later prompt picks the keys up from the cache; a failed one is recorded
//! ([`RefreshRecord`]) and tried again after 1, 2, 4 … minutes.

use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use awsctx_core::cache::RoleCredentials;
use awsctx_core::config::Config;
use awsctx_core::refresh::RefreshRecord;
use awsctx_login::provider::{CredentialProvider, LoginTarget, MfaError, ProviderError};
use jiff::Timestamp;

use crate::context::Context;

/// Why the switcher runs: the user's command (waits for keys, reports always), or the hook
/// (leaves the network to a background refresh, reports once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    Command,
    Hook,
}

/// The outcome of asking for a profile's keys.
#[derive(Debug)]
pub(crate) enum Keys {
    Got(RoleCredentials),
    /// `AWSCTX_EXPORT=profile`: keys are not exported.
    NotWanted,
    /// The SSO login behind the profile has expired (or there is none).
    LoginRequired {
        session: String,
        /// The command that fixes it: `awsctx login --sso-session S` (or `--profile P`).
        login: String,
        /// Why, in the provider's words: "SSO session `corp` is not logged in".
        reason: String,
    },
    /// Keys cannot be had, and why (one line).
    Missing {
        reason: String,
    },
    /// The network or a lock failed: worth another try in a minute.
    Unreachable {
        reason: String,
    },
    /// Keys need the network, and the hook left that to a background refresh: the old keys
    /// (while they last) until it is done, `retry_at` when to look again (epoch seconds;
    /// `None` from an offline look, before a refresh was started), and why the last refresh
    /// failed, if it did.
    Later {
        old: Option<RoleCredentials>,
        retry_at: Option<i64>,
        reason: Option<String>,
    },
}

/// The most a prompt waits for keys without the network, all waits together: another
/// process's fetch, and a `credential_process` (killed with everything it started when time
/// is up).
const HOOK_DEADLINE: Duration = Duration::from_secs(5);
/// The most the background refresh waits for keys, all waits together.
const BACKGROUND_DEADLINE: Duration = Duration::from_secs(120);

/// A profile's keys: the one place that knows where keys come from (the credential provider:
/// cache, then a token refresh and the SSO portal, the profile's own keys, its
/// `credential_process`). Never a browser. From the hook, the network is left to a background
/// refresh that the prompt waits on for a second at most ([`keys_at_prompt`]).
pub(crate) fn fetch_keys(ctx: &Context, config: &Config, profile: &str, trigger: Trigger) -> Keys {
    match trigger {
        Trigger::Hook => keys_at_prompt(ctx, config, profile),
        Trigger::Command => fetch_keys_with(ctx, config, profile, Fetch::Command),
    }
}

/// How [`fetch_keys_with`] may get keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetch {
    /// The user waits for it: every way, MFA asked on the terminal.
    Command,
    /// The background refresh: nobody at the keyboard, so no MFA prompt.
    Background,
    /// The cache and the profile's own keys only (the caller starts a refresh for the rest).
    Offline,
}

pub(crate) fn fetch_keys_with(ctx: &Context, config: &Config, profile: &str, how: Fetch) -> Keys {
    let allow_network = how != Fetch::Offline;
    let mut provider = match ctx.provider_with(config, Some(profile), allow_network) {
        Ok(provider) => provider,
        Err(err) => return Keys::Missing { reason: format!("{err:#}") },
    };
    if how != Fetch::Command {
        // Nobody waits on the keyboard: an MFA role's keys come from the cache or from an
        // explicit `awsctx PROFILE`.
        let deadline = if how == Fetch::Offline { HOOK_DEADLINE } else { BACKGROUND_DEADLINE };
        provider = provider
            .with_deadline(Instant::now() + deadline)
            .with_mfa_prompt(|_| Err(MfaError::NotAsked));
    }
    match provider.credentials(profile) {
        Ok(found) => Keys::Got(found.credentials),
        Err(ProviderError::LoginRequired { target, reason }) => Keys::LoginRequired {
            login: crate::hints::login_command(&target),
            reason: format!("{target} {reason}"),
            session: match target {
                LoginTarget::Session(name) | LoginTarget::Profile(name) => name,
            },
        },
        Err(ProviderError::NotCached { .. }) => {
            Keys::Later { old: old_keys(&provider, profile), retry_at: None, reason: None }
        }
        Err(err @ (ProviderError::Network(_) | ProviderError::Lock(_))) => {
            // For a command, keys that are old but not yet expired still work meanwhile; the
            // background refresh records the failure instead.
            match old_keys(&provider, profile).filter(|_| how == Fetch::Command) {
                Some(old) => Keys::Got(old),
                None => Keys::Unreachable { reason: err.to_string() },
            }
        }
        // Not tried again at every prompt: only a command waits for it.
        Err(err @ ProviderError::ProcessTimeout { .. }) => {
            Keys::Missing { reason: format!("{err}; `awsctx {profile}` waits for it") }
        }
        Err(err) => Keys::Missing { reason: err.to_string() },
    }
}

/// Cached keys that are old but not yet expired: they still work meanwhile.
fn old_keys(provider: &CredentialProvider<'_>, profile: &str) -> Option<RoleCredentials> {
    match provider.cached(profile) {
        Ok(Some(old)) if old.credentials.expiration().is_some_and(|e| e > Timestamp::now()) => {
            Some(old.credentials)
        }
        _ => None,
    }
}

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
