//! `awsctx doctor`: checks the set-up, one line per check, `✓` or `✗`, each failure with what
//! fixes it. Exit 1 when any check fails.
//!
//! In order: the shell hook, the config (syntax, ignored lines by `file:line`, profiles that
//! cannot give credentials), each SSO login (token state and whether it renews itself), the
//! modes of the cache files, the proxy and CA bundle, then the endpoints (one `GET` each, in
//! parallel, short deadline, through the configured proxy and overrides) and the clock against
//! the SSO OIDC servers' `Date`. No secret is printed and nothing is changed.

use std::path::Path;
use std::process::ExitCode;

use awsctx_core::binding::StateDir;
use awsctx_core::shell::{Shell, quote};
use awsctx_core::text::escape_line;
use jiff::Timestamp;
use nu_ansi_term::Color;

use crate::context::Context;
use crate::ui::Paint;

mod files;
mod network;
mod shell;

use files::{check_config, check_file_modes, check_logins, logins};
use network::{check_ca_bundles, check_network, check_proxy};

#[allow(clippy::unnecessary_wraps, reason = "the signature of every command")]
pub(crate) fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let now = Timestamp::now();
    let home = ctx.env.home();
    let mut report = Report::new(home.as_deref());

    for check in shell::hook(ctx) {
        report.add(check);
    }
    let config = match ctx.config() {
        Ok(config) => {
            check_config(config, &mut report);
            Some(config)
        }
        Err(error) => {
            report.fail(format!("config: {error:#}; fix that line"));
            report.fail("SSO logins, endpoints and clock: not checked; fix the config first");
            None
        }
    };
    let sessions = config.map(|config| logins(config, &mut report)).unwrap_or_default();
    if let Ok(provider) = ctx.provider(None, false) {
        check_logins(&sessions, &provider, now, &mut report);
    }
    let state = ctx.state_dir().ok();
    check_file_modes(home.as_deref(), state.as_ref().map(StateDir::path), &mut report);
    let proxy_ok = check_proxy(&ctx.env, &mut report);
    let ca_bundle = check_ca_bundles(&ctx.env, config, &mut report);
    if let Some(config) = config {
        match (proxy_ok, ca_bundle) {
            (true, Ok(ca_bundle)) => {
                check_network(ctx, config, &sessions, ca_bundle, &mut report);
            }
            _ => report
                .fail("endpoints and clock: not checked; fix the proxy or CA bundle above first"),
        }
    }
    Ok(report.finish())
}

/// The lines so far, printed as they come.
struct Report {
    paint: Paint,
    failed: bool,
    /// `HOME/`, shown as `~/` in every line (paths in library errors included).
    home_prefix: Option<String>,
}

impl Report {
    fn new(home: Option<&Path>) -> Self {
        let home_prefix = home
            .and_then(Path::to_str)
            .filter(|h| h.len() > 1)
            .map(|h| format!("{}/", h.trim_end_matches('/')));
        Self { paint: Paint::stdout(), failed: false, home_prefix }
    }

    fn add(&mut self, check: Check) {
        match check {
            Check::Ok(text) => self.ok(text),
            Check::Fail(text) => self.fail(text),
        }
    }

    fn ok(&mut self, text: impl AsRef<str>) {
        self.line(Color::Green, "✓", text.as_ref());
    }

    fn fail(&mut self, text: impl AsRef<str>) {
        self.failed = true;
        self.line(Color::Red, "✗", text.as_ref());
    }

    /// The mark in colour on a terminal; the text itself stays plain, as it says it all. It
    /// quotes the config, paths and servers' answers, so it is escaped.
    fn line(&self, colour: Color, mark: &str, text: &str) {
        let text = match &self.home_prefix {
            Some(prefix) => text.replace(prefix.as_str(), "~/"),
            None => text.to_owned(),
        };
        let text = escape_line(&text);
        let mark = if self.paint.enabled() {
            colour.bold().paint(mark).to_string()
        } else {
            mark.to_owned()
        };
        crate::print_stdout(&format!("{mark} {text}\n"));
    }

    fn finish(&self) -> ExitCode {
        if self.failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    }
}

/// One check's outcome.
enum Check {
    Ok(String),
    Fail(String),
}

/// `1 profile`, `3 profiles`.
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// A path for a command to copy: `~/...` when that needs no quoting, else quoted in full.
fn shell_path(path: &Path, home: &Path) -> String {
    if let Ok(rest) = path.strip_prefix(home)
        && let Some(rest) = rest.to_str()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        return format!("~/{rest}");
    }
    quote(Shell::Bash, &path.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::network::{redact_userinfo, skew_text};
    use super::*;

    #[test]
    fn proxy_passwords_are_hidden() {
        assert_eq!(redact_userinfo("http://bob:pw@proxy:3128/x@y"), "http://***@proxy:3128/x@y");
        assert_eq!(redact_userinfo("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(redact_userinfo("bob:pw@proxy"), "***@proxy");
    }

    #[test]
    fn durations_and_skews_read_plainly() {
        assert_eq!(skew_text(SignedDuration::from_secs(600)), "10 min behind");
        assert_eq!(skew_text(SignedDuration::from_secs(-400)), "7 min ahead of");
    }

    #[test]
    fn cache_paths_are_shown_below_home() {
        let home = Path::new("/home/a b");
        assert_eq!(shell_path(Path::new("/home/a b/.aws/x.json"), home), "~/.aws/x.json");
        assert_eq!(shell_path(Path::new("/srv/a b/x"), home), "'/srv/a b/x'");
    }
}
