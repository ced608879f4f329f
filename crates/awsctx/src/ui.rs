//! What the user sees on stderr: one-line errors with a hint, notices, colour decisions.

#![allow(clippy::print_stderr)] // this module is where the binary talks to the user

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};

use awsctx_core::file::IgnoredFile;

use clap::CommandFactory as _;
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

/// Build an error with a hint line.
pub(crate) fn error(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    UserError { message: message.into(), hint: Some(hint.into()) }.into()
}

/// Print `awsctx: error: ...` (and `hint: ...`) and give exit code 1.
pub(crate) fn report(err: &anyhow::Error) -> ExitCode {
    let (message, hint) = message_and_hint(err);
    let paint = Paint::stderr();
    let mut text = format!("awsctx: {} {message}\n", paint.style(Color::Red.bold(), "error:"));
    if let Some(hint) = hint {
        let _ = writeln!(text, "{} {hint}", paint.style(Color::Cyan.bold(), "hint:"));
    }
    write_stderr(&text);
    ExitCode::FAILURE
}

/// `text` in one write: a message is never torn by other output to the same terminal (the
/// echo of what the user types meanwhile, another process's line).
fn write_stderr(text: &str) {
    // Nowhere left to say anything: nothing to do about it.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// What [`report`] prints: the error on one line, and the hint when there is one.
pub(crate) fn message_and_hint(err: &anyhow::Error) -> (String, Option<String>) {
    let hint = err
        .chain()
        .find_map(|e| e.downcast_ref::<UserError>())
        .and_then(|u| u.hint.clone())
        .or_else(|| crate::credentials::fallback_hint(err));
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
    let mut command = crate::cli::Cli::command();
    command.build();
    let mut target = &mut command;
    for name in path {
        // The names are this crate's own subcommands; a wrong one falls back to the top.
        if target.find_subcommand(name).is_none() {
            break;
        }
        target = target.find_subcommand_mut(name).expect("checked above");
    }
    target.error(kind, message).exit()
}

/// A one-line notice on stderr: `awsctx: ...`.
pub(crate) fn notice(message: &str) {
    write_stderr(&format!("awsctx: {message}\n"));
}

/// A one-line warning on stderr: `awsctx: warning: ...`.
pub(crate) fn warning(message: &str) {
    let paint = Paint::stderr();
    write_stderr(&format!("awsctx: {} {message}\n", paint.style(Color::Yellow.bold(), "warning:")));
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
