//! What the user sees on stderr: one-line errors with a hint, notices, colour decisions, and
//! the one question asked on the terminal (an MFA code). It uses nothing of the binary.
//!
//! Every error and notice is escaped here ([`awsctx_core::text::escape_line`]) before it is
//! written: whatever a message quotes (a directory name, a profile name from a cloned
//! repository, a server's answer), no control character reaches the terminal raw. Colour is
//! added after the escaping.

#![allow(clippy::print_stderr)] // this module is where the binary talks to the user

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, IsTerminal, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock, PoisonError};

use awsctx_core::file::IgnoredFile;
use awsctx_core::secret::Secret;
use awsctx_core::text::{Untrusted, escape_line};
use awsctx_login::provider::{MfaError, MfaPrompt};
use clap::error::ErrorKind;

use nu_ansi_term::{Color, Style};

/// An error the user can act on: one line, plus a hint naming the command that fixes it.
#[derive(Debug)]
pub(crate) struct UserError {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// The user cancelled a choice (the picker): a quiet exit 130, as fzf and shells say for an
/// interrupt.
#[derive(Debug)]
pub(crate) struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// Build an error with a hint line.
pub(crate) fn error(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    UserError { message: message.into(), hint: Some(hint.into()) }.into()
}

/// Print `awsctx: error: ...` (and `hint: ...`) and give exit code 1.
pub(crate) fn report(err: &anyhow::Error) -> ExitCode {
    if err.downcast_ref::<Cancelled>().is_some() {
        return ExitCode::from(130);
    }
    write_stderr(&error_text(err, Paint::stderr()));
    ExitCode::FAILURE
}

/// The lines [`report`] prints, escaped.
pub(crate) fn error_text(err: &anyhow::Error, paint: Paint) -> String {
    let (message, hint) = message_and_hint(err);
    let error = paint.style(Color::Red.bold(), "error:");
    let mut text = format!("awsctx: {error} {}\n", escape_line(&tilde(&message)));
    if let Some(hint) = hint {
        let label = paint.style(Color::Cyan.bold(), "hint:");
        let _ = writeln!(text, "{label} {}", escape_line(&tilde(&hint)));
    }
    text
}

/// `text` in one write: a message is never torn by other output to the same terminal (the
/// echo of what the user types meanwhile, another process's line).
fn write_stderr(text: &str) {
    // Nowhere left to say anything: nothing to do about it.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// What the binary tells this module at start: the hint for an error that brought none, and
/// the command line (for usage errors). Given, not imported, so that this module uses nothing
/// of the binary and everything may use it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setup {
    pub(crate) fallback_hint: fn(&anyhow::Error) -> Option<String>,
    pub(crate) command: fn() -> clap::Command,
}

static SETUP: OnceLock<Setup> = OnceLock::new();

/// Set up once, before anything is reported.
pub(crate) fn set_up(setup: Setup) {
    let _ = SETUP.set(setup);
}

/// The home folder with its trailing `/`, written `~/` in what the user reads.
static HOME: OnceLock<String> = OnceLock::new();

/// Learn the home folder once (from the environment every rule reads). A home of `/`, or one
/// that is not absolute, shortens nothing.
pub(crate) fn set_home(home: Option<&Path>) {
    if let Some(home) = home.and_then(Path::to_str) {
        let home = home.trim_end_matches('/');
        if home.starts_with('/') && home.len() > 1 {
            let _ = HOME.set(format!("{home}/"));
        }
    }
}

/// `text` with every path below the home folder written `~/…`: only where a path starts (the
/// line's start, after a space, a backtick or a bracket), never inside single quotes, where a
/// shell would not expand `~` in a command the user copies from a hint.
fn tilde(text: &str) -> Cow<'_, str> {
    tilde_below(text, HOME.get().map(String::as_str))
}

/// `path` as the user knows it: `~/…` below the home folder (for output that is not a
/// message, such as `doctor`'s report).
pub(crate) fn at_home(path: &Path) -> String {
    at_home_below(path, HOME.get().map(String::as_str))
}

fn at_home_below(path: &Path, home: Option<&str>) -> String {
    let shown = path.display().to_string();
    match home.and_then(|home| shown.strip_prefix(home)) {
        Some(rest) => format!("~/{rest}"),
        None => shown,
    }
}

fn tilde_below<'t>(text: &'t str, home: Option<&str>) -> Cow<'t, str> {
    let Some(home) = home.filter(|home| text.contains(*home)) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(home) {
        let starts_a_path = rest[..at]
            .chars()
            .next_back()
            .or_else(|| out.chars().next_back())
            .is_none_or(|c| matches!(c, ' ' | '`' | '(' | '['));
        out.push_str(&rest[..at]);
        out.push_str(if starts_a_path { "~/" } else { home });
        rest = &rest[at + home.len()..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// What [`report`] prints: the error on one line, and the hint when there is one.
pub(crate) fn message_and_hint(err: &anyhow::Error) -> (String, Option<String>) {
    let hint = err
        .chain()
        .find_map(|e| e.downcast_ref::<UserError>())
        .and_then(|u| u.hint.clone())
        .or_else(|| SETUP.get().and_then(|setup| (setup.fallback_hint)(err)));
    (one_line(err), hint)
}

/// The error and its causes on one line: "reading `x`: permission denied". A cause that the
/// error before it already quotes (library errors name their cause in their own message) is
/// not said twice.
fn one_line(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message.replace('\n', " ")
}

/// Print a usage error for the subcommand at `path` (e.g. `["configure", "sso"]`) the way
/// clap prints its own, and exit with status 2.
pub(crate) fn usage_error(path: &[&str], kind: ErrorKind, message: &str) -> ! {
    let mut command = SETUP.get().map_or_else(|| clap::Command::new("awsctx"), |s| (s.command)());
    command.build();
    let mut target = &mut command;
    for name in path {
        // The names are this crate's own subcommands; a wrong one falls back to the top.
        if target.find_subcommand(name).is_none() {
            break;
        }
        target = target.find_subcommand_mut(name).expect("checked above");
    }
    target.error(kind, escape_line(message)).exit()
}

/// A one-line notice on stderr: `awsctx: ...`.
pub(crate) fn notice(message: &str) {
    notice_styled(message, None);
}

/// A notice in `style` on a terminal (the switch line is red for production): escaped first,
/// then painted.
pub(crate) fn notice_styled(message: &str, style: Option<Style>) {
    write_stderr(&format!("{}\n", notice_text(message, style, Paint::stderr())));
}

/// The line [`notice_styled`] prints.
pub(crate) fn notice_text(message: &str, style: Option<Style>, paint: Paint) -> String {
    let message = tilde(message);
    let message = escape_line(&message);
    match style {
        Some(style) => format!("awsctx: {}", paint.style(style, &message)),
        None => format!("awsctx: {message}"),
    }
}

/// A one-line warning on stderr: `awsctx: warning: ...`.
pub(crate) fn warning(message: &str) {
    let paint = Paint::stderr();
    let label = paint.style(Color::Yellow.bold(), "warning:");
    write_stderr(&format!("awsctx: {label} {}\n", escape_line(&tilde(message))));
}

/// A file awsctx passed over (a planted link, another user's file): said once per file and
/// reason, however often the command looks at it.
pub(crate) fn ignored_file(ignored: &IgnoredFile) {
    static SAID: Mutex<Vec<IgnoredFile>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(PoisonError::into_inner);
    if !said.contains(ignored) {
        said.push(ignored.clone());
        warning(&ignored.to_string());
    }
}

/// Ask for an MFA code on the controlling terminal, `/dev/tty`, as the AWS CLI does
/// (`Enter MFA code for {mfa_serial}: `), so it works while stdout is captured (`eval "$(awsctx
/// ...)"`, `credential_process`). The code is a one-time value and echoes as typed (aws-vault's
/// and granted's prompts do the same).
pub(crate) fn ask_mfa_code(prompt: &MfaPrompt<'_>) -> Result<Secret, MfaError> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| MfaError::NoTerminal)?;
    let question = format!("Enter MFA code for {}: ", Untrusted(prompt.mfa_serial));
    let mut writer = &tty;
    writer.write_all(question.as_bytes()).map_err(MfaError::Terminal)?;
    writer.flush().map_err(MfaError::Terminal)?;
    let mut line = String::new();
    BufReader::new(&tty).read_line(&mut line).map_err(MfaError::Terminal)?;
    let code = line.trim();
    if code.is_empty() {
        return Err(MfaError::Empty);
    }
    Ok(Secret::new(code))
}

/// Whether to colour a stream: only a terminal, never with `NO_COLOR`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    enabled: bool,
}

impl Paint {
    pub(crate) fn stdout() -> Self {
        Self { enabled: std::io::stdout().is_terminal() && no_color_unset() }
    }

    pub(crate) fn stderr() -> Self {
        Self { enabled: std::io::stderr().is_terminal() && no_color_unset() }
    }

    pub(crate) fn enabled(self) -> bool {
        self.enabled
    }

    pub(crate) fn style(self, style: Style, text: &str) -> String {
        if self.enabled { style.paint(text).to_string() } else { text.to_owned() }
    }
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
pub(crate) mod tests {
    use awsctx_core::text::is_unsafe;
    use proptest::prelude::*;

    use super::*;

    /// Text with anything in it, controls of every kind more often than chance would have.
    pub(crate) fn any_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            prop::sample::select(vec![
                "\x1b[31m",
                "\x1b]0;t\x07",
                "\r",
                "\n",
                "\t",
                "\x7f",
                "\u{9b}",
                "\u{202e}",
                "\u{2067}",
                "`",
                "日本",
            ])
            .prop_map(str::to_owned),
            "[a-z ]{1,6}",
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    /// `text` without the colour codes awsctx itself writes (`ESC [ … m`).
    pub(crate) fn without_colour(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("\x1b[") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            match after.find(|c: char| !(c.is_ascii_digit() || c == ';')) {
                Some(end) if after[end..].starts_with('m') => rest = &after[end + 1..],
                _ => {
                    out.push_str("\x1b[");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    pub(crate) fn raw(text: &str) -> Vec<char> {
        without_colour(text).chars().filter(|&c| c != '\n' && is_unsafe(c)).collect()
    }

    proptest! {
        #[test]
        fn no_error_or_notice_is_printed_with_a_raw_control_character(
            message in any_text(),
            cause in any_text(),
            hint in any_text(),
        ) {
            let err = error(message.clone(), hint).context(cause);
            for enabled in [false, true] {
                let paint = Paint { enabled };
                let text = error_text(&err, paint);
                prop_assert!(raw(&text).is_empty(), "{text:?}");
                prop_assert_eq!(text.lines().count(), 2, "{:?}", text);
                for style in [None, Some(Color::Red.bold())] {
                    let line = notice_text(&message, style, paint);
                    prop_assert!(raw(&line).is_empty(), "{line:?}");
                    prop_assert_eq!(line.lines().count(), 1);
                }
            }
        }
    }

    #[test]
    fn colour_survives_and_escapes_do_not() {
        let paint = Paint { enabled: true };
        let line = notice_text("prod \x1b[2J", Some(Color::Red.bold()), paint);
        assert_eq!(line, "awsctx: \x1b[1;31mprod \\u{1b}[2J\x1b[0m");
        assert_eq!(without_colour(&line), "awsctx: prod \\u{1b}[2J");
    }
    #[test]
    fn paths_below_home_read_with_a_tilde_where_a_shell_would_expand_it() {
        let home = Some("/home/ann/");
        let said = "cannot read `/home/ann/.aws/config`: /home/ann/x (in /home/ann/y)";
        assert_eq!(tilde_below(said, home), "cannot read `~/.aws/config`: ~/x (in ~/y)");
        // Quoted for a shell (`~` would not expand), inside another path, or another user's.
        let kept = "run `chmod u+w '/home/ann/my dir'` or /srv/home/ann/x or /home/anne/x";
        assert_eq!(tilde_below(kept, home), kept);
        assert_eq!(tilde_below("/home/ann/a", home), "~/a");
        assert_eq!(tilde_below("/home/ann/a", None), "/home/ann/a");
        assert_eq!(
            at_home_below(Path::new("/home/a b/.aws/x.json"), Some("/home/a b/")),
            "~/.aws/x.json"
        );
        assert_eq!(at_home_below(Path::new("/home/a bc/x"), Some("/home/a b/")), "/home/a bc/x");
    }
}
