//! `awsctx login`: the PKCE and device-code flows, printed and opened as the AWS CLI does
//! (reference §1.6). The URL and code go to stderr; a spinner with the time left runs only on
//! a terminal. A second login for the same session waits for the first and reuses its token.

// This command talks to the user while it waits.
#![allow(clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use awsctx_core::config::{Config, ProfileKind};
use awsctx_core::env::Env;
use awsctx_login::flow::{AuthorizePrompt, DevicePrompt};
use awsctx_login::provider::{LoginEvent, LoginFlow, LoginOptions, LoginSession};
use jiff::Timestamp;

use crate::cli::LoginArgs;
use crate::context::Context;

pub(crate) fn run(args: &LoginArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let (session, profile) = match choose_session(
        config,
        &ctx.env,
        args.sso_session.as_deref(),
        args.profile.as_deref(),
    ) {
        Ok(chosen) => chosen,
        Err(Choice::Usage(error)) => {
            crate::ui::report(&error);
            return Ok(ExitCode::from(2));
        }
        Err(Choice::Error(error)) => return Err(error),
    };
    let provider = ctx.provider(profile.as_deref(), true)?;
    let flow =
        if args.use_device_code { LoginFlow::DeviceCode } else { LoginFlow::AuthorizationCode };
    let options = LoginOptions { flow, profile, ..LoginOptions::default() };
    let mut spinner: Option<Spinner> = None;
    let outcome = provider.login(&session, &options, |event| match event {
        LoginEvent::CallbackUnavailable { reason } => {
            crate::ui::notice(&format!("{reason}; using the device code instead"));
        }
        LoginEvent::Authorize(prompt) => {
            show_authorize(prompt, args.no_browser, &ctx.env);
            let deadline = Instant::now() + options.pkce_timing.callback_deadline;
            spinner = Spinner::start(deadline, "waiting for the browser");
        }
        LoginEvent::Device(prompt) => {
            show_device(prompt, args.no_browser, &ctx.env);
            let left = prompt.expires_at.duration_since(Timestamp::now());
            let left = Duration::try_from(left).unwrap_or_default();
            spinner = Spinner::start(Instant::now() + left, "waiting for the approval");
        }
    });
    drop(spinner.take());
    let outcome = outcome.map_err(crate::credentials::user_error)?;
    if outcome.reused() {
        crate::ui::notice(
            "another `awsctx login` for this session finished first; using its token",
        );
    }
    eprintln!("Successfully logged into Start URL: {}", session.start_url());
    Ok(ExitCode::SUCCESS)
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
        let current = current_profile(env).filter(|p| {
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
    if let Some(name) = current_profile(env)
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

/// `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE`.
fn current_profile(env: &Env) -> Option<String> {
    env.get("AWS_PROFILE").or_else(|| env.get("AWS_DEFAULT_PROFILE")).map(str::to_owned)
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
    let complete = prompt.verification_uri_complete.as_deref();
    if no_browser {
        eprint!(
            "Browser will not be automatically opened.\nPlease visit the following URL:\n\n{}\n",
            prompt.verification_uri
        );
        eprint!("\nThen enter the code:\n\n{}\n", prompt.user_code);
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
    eprint!("\nThen enter the code:\n\n{}\n", prompt.user_code);
    open_browser(complete.unwrap_or(&prompt.verification_uri), env);
}

/// Open `url` with `$BROWSER` (each `:`-separated entry tried in turn; `%s` is replaced by
/// the URL, else the URL is appended as one argument), else `xdg-open` / `open` when present.
/// The browser runs on its own: the login goes on while it loads the page. `false` when no
/// browser could be started.
pub(crate) fn open_browser(url: &str, env: &Env) -> bool {
    let commands: Vec<Vec<String>> = match env.get("BROWSER") {
        Some(browsers) => browsers
            .split(':')
            .filter_map(shlex::split)
            .filter(|argv| !argv.is_empty())
            .map(|argv| with_url(argv, url))
            .collect(),
        None => ["xdg-open", "open"]
            .iter()
            .filter_map(|name| find_in_path(env, name))
            .map(|path| vec![path.to_string_lossy().into_owned(), url.to_owned()])
            .take(1)
            .collect(),
    };
    for argv in commands {
        let spawned = Command::new(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .envs(env.iter())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = spawned {
            // Reap it whenever it ends; never wait for it here.
            std::thread::spawn(move || child.wait());
            return true;
        }
    }
    false
}

fn with_url(mut argv: Vec<String>, url: &str) -> Vec<String> {
    if argv.iter().any(|a| a.contains("%s")) {
        for arg in &mut argv {
            *arg = arg.replace("%s", url);
        }
    } else {
        argv.push(url.to_owned());
    }
    argv
}

fn find_in_path(env: &Env, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    env.get("PATH")?.split(':').filter(|d| !d.is_empty()).map(|d| Path::new(d).join(name)).find(
        |p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0),
    )
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
    fn browser_commands_take_the_url_as_one_argument_or_in_place_of_percent_s() {
        let url = "http://127.0.0.1:1/authorize?a=b&c=d";
        assert_eq!(
            with_url(vec!["firefox".into(), "--new-tab".into()], url),
            ["firefox", "--new-tab", url]
        );
        assert_eq!(
            with_url(vec!["open".into(), "-u=%s".into()], url),
            ["open".to_owned(), format!("-u={url}")]
        );
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
