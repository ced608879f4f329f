//! The SSO session a command logs in to (or out of), and logging in to it: the PKCE and
//! device-code flows, printed and opened as the AWS CLI does (`docs/aws-protocol.md`). The URL and code
//! go to stderr; a spinner with the time left runs only on a terminal. A second login for the
//! same session waits for the first and reuses its token.
//!
//! The server chose the device code and the URLs: the code is printed escaped, and only a
//! [`BrowserUrl`](awsctx_login::browser::BrowserUrl) (checked where the answer was read) is
//! printed or opened.

// Logging in talks to the user while it waits.
#![allow(clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use awsctx_core::cache::SsoToken;
use awsctx_core::config::{Config, ProfileKind};
use awsctx_core::env::Env;
use awsctx_core::facts::current_profile;
use awsctx_core::text::{Untrusted, escape_line};
use awsctx_login::flow::{AuthorizePrompt, DevicePrompt};
use awsctx_login::provider::{LoginEvent, LoginFlow, LoginOptions, LoginSession};
use jiff::Timestamp;

use crate::browser::open_browser;
use crate::context::Context;

/// The flow asked for on the command line; `None`: awsctx chooses (see [`log_in`]).
pub(crate) fn asked_flow(use_device_code: bool, use_pkce: bool) -> Option<LoginFlow> {
    match (use_device_code, use_pkce) {
        (true, _) => Some(LoginFlow::DeviceCode),
        (false, true) => Some(LoginFlow::AuthorizationCode),
        (false, false) => None,
    }
}

/// Log in to `session` (with `profile`'s endpoint settings), showing the URL and code as the
/// AWS CLI does; the token is stored in the cache and returned. The session need not be in
/// the config file yet: `configure sso` logs in before it writes anything. Without a `flow`,
/// the browser flow, unless this host looks remote ([`remote_reason`]): then the device code,
/// with one line saying why.
pub(crate) fn log_in(
    ctx: &Context,
    session: &LoginSession,
    profile: Option<String>,
    flow: Option<LoginFlow>,
    no_browser: bool,
) -> anyhow::Result<SsoToken> {
    let provider = ctx.provider(profile.as_deref(), true)?;
    let flow = match flow {
        Some(flow) => flow,
        // Legacy profiles have only the device code: nothing to choose, nothing to say.
        None if matches!(session, LoginSession::Legacy { .. }) => LoginFlow::DeviceCode,
        None => match remote_reason(&ctx.env, container_marker) {
            Some(reason) => {
                crate::ui::notice(&format!(
                    "using the device code: {reason}; `--use-pkce` uses a browser on this host instead"
                ));
                LoginFlow::DeviceCode
            }
            None => LoginFlow::AuthorizationCode,
        },
    };
    let options = LoginOptions { flow, profile, ..LoginOptions::default() };
    let mut spinner: Option<Spinner> = None;
    let outcome = provider.login(session, &options, |event| match event {
        LoginEvent::CallbackUnavailable { reason } => {
            crate::ui::notice(&format!("{reason}; using the device code instead"));
        }
        LoginEvent::Authorize(prompt) => {
            show_authorize(prompt, no_browser, ctx.child_env());
            let deadline = Instant::now() + options.pkce_timing.callback_deadline;
            spinner = Spinner::start(deadline, "waiting for the browser");
        }
        LoginEvent::Device(prompt) => {
            show_device(prompt, no_browser, ctx.child_env());
            let left = prompt.expires_at.duration_since(Timestamp::now());
            let left = Duration::try_from(left).unwrap_or_default();
            spinner = Spinner::start(Instant::now() + left, "waiting for the approval");
        }
    });
    drop(spinner.take());
    let outcome = outcome.map_err(crate::hints::user_error)?;
    if outcome.reused() {
        crate::ui::notice(
            "another `awsctx login` for this session finished first; using its token",
        );
    }
    eprintln!("Successfully logged into Start URL: {}", escape_line(session.start_url()));
    Ok(outcome.token)
}

/// Why no session could be chosen: a usage error (exit 2) or another failure.
pub(crate) enum Choice {
    Usage(anyhow::Error),
    Error(anyhow::Error),
}

/// The session to log in to (or out of), and the profile whose settings apply: `--sso-session`,
/// else `--profile`, else the current profile (`AWS_PROFILE`), else the only `[sso-session]`.
pub(crate) fn choose_session(
    config: &Config,
    env: &Env,
    sso_session: Option<&str>,
    profile: Option<&str>,
) -> Result<(LoginSession, Option<String>), Choice> {
    if let Some(name) = sso_session {
        let session = config.sso_session(name).map_err(|e| {
            Choice::Error(crate::ui::error(
                e.to_string(),
                "`awsctx configure sso` writes an `[sso-session]`",
            ))
        })?;
        // The current profile's endpoint settings apply when it uses this session.
        let current = current_profile(env).map(str::to_owned).filter(|p| {
            matches!(config.kind(p), Ok(ProfileKind::Sso { session, .. } | ProfileKind::SsoToken { session }) if session.name == name)
        });
        return Ok((LoginSession::Session(session), current));
    }
    if let Some(name) = profile {
        let kind = config.kind(name).map_err(|e| {
            Choice::Error(crate::ui::error(e.to_string(), "`awsctx list` shows the profiles"))
        })?;
        let session = LoginSession::of_kind(name, &kind).ok_or_else(|| {
            Choice::Error(crate::ui::error(
                format!("profile `{name}` does not use SSO (it is a `{}` profile)", kind.label()),
                "name an SSO profile with `--profile`, or a session with `--sso-session`",
            ))
        })?;
        return Ok((session, Some(name.to_owned())));
    }
    // The current profile, when it is an SSO profile; otherwise the only session.
    if let Some(name) = current_profile(env).map(str::to_owned)
        && let Ok(kind) = config.kind(&name)
        && let Some(session) = LoginSession::of_kind(&name, &kind)
    {
        return Ok((session, Some(name)));
    }
    let names: Vec<&str> = config.sso_session_sections().map(|s| s.name()).collect();
    match names.as_slice() {
        [only] => {
            let session = config
                .sso_session(only)
                .map_err(|e| Choice::Error(crate::ui::error(e.to_string(), "fix the section")))?;
            Ok((LoginSession::Session(session), None))
        }
        [] => Err(Choice::Usage(crate::ui::error(
            "no `[sso-session]` in the AWS config and no profile given",
            "`awsctx configure sso` sets one up; or pass `--profile P` for a legacy SSO profile",
        ))),
        many => Err(Choice::Usage(crate::ui::error(
            format!(
                "which SSO session? the config has {}",
                many.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
            "pass `--sso-session NAME` (or `--profile P`)",
        ))),
    }
}

/// Why the browser flow would likely fail here, when it would: its redirect goes to a
/// loopback port of this host, which the browser must run on. Over SSH the browser that opens
/// is usually on another machine (even through a `$BROWSER` helper that forwards URLs); in a
/// container or on Linux without a display there is no browser, unless `$BROWSER` names one.
fn remote_reason(
    env: &Env,
    container: impl FnOnce(&Env) -> Option<&'static str>,
) -> Option<String> {
    if let Some(name) =
        ["SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"].into_iter().find(|name| env.get(name).is_some())
    {
        return Some(format!("this is an SSH session (`{name}` is set)"));
    }
    if env.get("BROWSER").is_some() {
        return None;
    }
    if let Some(marker) = container(env) {
        return Some(format!("this is a container ({marker})"));
    }
    if cfg!(target_os = "linux")
        && env.get("DISPLAY").is_none()
        && env.get("WAYLAND_DISPLAY").is_none()
    {
        return Some("there is no display (`DISPLAY` and `WAYLAND_DISPLAY` are unset)".to_owned());
    }
    None
}

/// What says this process runs in a container: the files Docker and Podman leave, or the
/// variables systemd-nspawn, Podman and Kubernetes set.
fn container_marker(env: &Env) -> Option<&'static str> {
    if Path::new("/.dockerenv").exists() {
        Some("`/.dockerenv` exists")
    } else if Path::new("/run/.containerenv").exists() {
        Some("`/run/.containerenv` exists")
    } else if env.get("container").is_some() {
        Some("`container` is set")
    } else if env.get("KUBERNETES_SERVICE_HOST").is_some() {
        Some("`KUBERNETES_SERVICE_HOST` is set")
    } else {
        None
    }
}

fn show_authorize(prompt: &AuthorizePrompt, no_browser: bool, env: &Env) {
    if no_browser {
        eprint!(
            "Browser will not be automatically opened.\nPlease visit the following URL:\n\n{}\n",
            prompt.url
        );
        return;
    }
    eprint!(
        "Attempting to open your default browser. If the browser does not open, open the following URL.\nIf you are unable to open the URL on this device, run this command again with the '--use-device-code' option.\n\n{}\n\n",
        prompt.url
    );
    open_browser(&prompt.url, env);
}

fn show_device(prompt: &DevicePrompt, no_browser: bool, env: &Env) {
    let complete = prompt.verification_uri_complete.as_ref();
    let code = Untrusted(&prompt.user_code);
    if no_browser {
        eprint!(
            "Browser will not be automatically opened.\nPlease visit the following URL:\n\n{}\n",
            prompt.verification_uri
        );
        eprint!("\nThen enter the code:\n\n{code}\n");
        if let Some(complete) = complete {
            eprint!(
                "\nAlternatively, you may visit the following URL which will autofill the code upon loading:\n{complete}\n"
            );
        }
        return;
    }
    eprint!(
        "Attempting to open your default browser.\nIf the browser does not open or you wish to use a different device to authorize this request, open the following URL:\n\n{}\n",
        prompt.verification_uri
    );
    eprint!("\nThen enter the code:\n\n{code}\n");
    open_browser(complete.unwrap_or(&prompt.verification_uri), env);
}

/// A spinner with the time left, on stderr, only when stderr is a terminal; it clears its
/// line when dropped.
struct Spinner {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    fn start(deadline: Instant, what: &'static str) -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut frame = 0;
            while !flag.load(Ordering::Relaxed) {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K{} {what}… {}m {:02}s left",
                    FRAMES[frame % FRAMES.len()],
                    left / 60,
                    left % 60
                );
                let _ = err.flush();
                drop(err);
                frame += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        });
        Some(Self { stop, thread: Some(thread) })
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_a_container_or_no_display_choose_the_device_code_unless_browser_names_one() {
        let reason = |pairs: &[(&str, &str)], container: Option<&'static str>| {
            remote_reason(&Env::from_pairs(pairs.iter().copied()), |_| container)
        };
        let display = ("DISPLAY", ":0");
        assert_eq!(
            reason(&[display, ("SSH_TTY", "/dev/pts/1"), ("BROWSER", "firefox")], None).as_deref(),
            Some("this is an SSH session (`SSH_TTY` is set)")
        );
        assert_eq!(
            reason(&[display], Some("`/.dockerenv` exists")).as_deref(),
            Some("this is a container (`/.dockerenv` exists)")
        );
        assert_eq!(reason(&[display, ("BROWSER", "w3m")], Some("`/.dockerenv` exists")), None);
        assert_eq!(reason(&[display], None), None);
        assert_eq!(reason(&[("WAYLAND_DISPLAY", "wayland-0")], None), None);
        if cfg!(target_os = "linux") {
            assert_eq!(
                reason(&[], None).as_deref(),
                Some("there is no display (`DISPLAY` and `WAYLAND_DISPLAY` are unset)")
            );
            assert_eq!(reason(&[("BROWSER", "w3m")], None), None);
        }
    }

    #[test]
    fn the_only_session_is_the_default_and_several_are_a_usage_error() {
        let one = Config::from_sources(
            "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n",
            "",
        )
        .unwrap();
        let (session, profile) = choose_session(&one, &Env::default(), None, None).ok().unwrap();
        assert_eq!(session.session_name(), Some("corp"));
        assert_eq!(profile, None);
        let two = Config::from_sources(
            "[sso-session a]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n\
             [sso-session b]\nsso_start_url = https://y.awsapps.com/start\nsso_region = us-east-1\n",
            "",
        )
        .unwrap();
        let Err(Choice::Usage(error)) = choose_session(&two, &Env::default(), None, None) else {
            panic!("a usage error");
        };
        assert_eq!(error.to_string(), "which SSO session? the config has `a`, `b`");
    }
}
