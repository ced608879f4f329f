//! `awsctx doctor`: checks the set-up, one line per check, `✓` or `✗`, each failure with what
//! fixes it. Exit 1 when any check fails.
//!
//! In order: the shell hook, the config (syntax, ignored lines by `file:line`, profiles that
//! cannot give credentials), each SSO login (token state and whether it renews itself), the
//! modes of the cache files, the proxy and CA bundle, then the endpoints (one `GET` each, in
//! parallel, short deadline, through the configured proxy and overrides) and the clock against
//! the SSO OIDC servers' `Date`. No secret is printed and nothing is changed.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use awsctx_core::binding::StateDir;
use awsctx_core::cache::{CredentialCache, TokenCache};
use awsctx_core::config::{Config, ProfileError, ProfileKind};
use awsctx_core::env::Env;
use awsctx_core::file::{Distrust, judge_file, judge_folder};
use awsctx_core::shell::{Shell, quote};
use awsctx_core::switch::var;
use awsctx_core::text::escape_line;
use awsctx_login::endpoint::EndpointSource;
use awsctx_login::http::HttpSettings;
use awsctx_login::probe::{Probe, ProbeError, probe};
use awsctx_login::provider::{
    CredentialProvider, DEFAULT_STS_REGION, LoginSession, TokenState, endpoint_settings,
};
use awsctx_login::{Endpoint, Error, HttpClient, Service, run_blocking};
use jiff::{SignedDuration, Timestamp};
use nu_ansi_term::Color;

use crate::context::Context;
use crate::switcher::time_left;
use crate::ui::Paint;

/// How long a probe may take: long enough for a slow VPN, short enough to wait for.
const PROBE_DEADLINE: Duration = Duration::from_secs(4);
/// More clock skew than this breaks `SigV4` (AWS refuses requests 5 minutes off).
const MAX_SKEW: SignedDuration = SignedDuration::from_mins(5);

#[allow(clippy::unnecessary_wraps, reason = "the signature of every command")]
pub(crate) fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let now = Timestamp::now();
    let home = ctx.env.home();
    let mut report = Report::new(home.as_deref());
    let at_home = |path: &Path| tilde(path, home.as_deref());

    report.add(hook(ctx));
    let config = match ctx.config() {
        Ok(config) => {
            check_config(config, &at_home, &mut report);
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
    check_file_modes(home.as_deref(), state.as_ref().map(StateDir::path), &at_home, &mut report);
    let proxy_ok = check_proxy(&ctx.env, &mut report);
    let ca_bundle = check_ca_bundles(&ctx.env, config, &at_home, &mut report);
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

/// The hook sets `_AWSCTX_PWD` at its first prompt and hands it to the awsctx it runs;
/// without it, the line for `$SHELL` (the same hint as a switch without the hook).
fn hook(ctx: &Context) -> Check {
    if awsctx_core::switch::hook_loaded(&ctx.env) {
        let Some(shell) = ctx.env.get(var::SHELL_VERSION) else {
            return Check::Ok("shell hook: loaded in this shell".to_owned());
        };
        let shell = awsctx_core::text::escape(shell);
        let clock = if ctx.env.get(var::EPOCH).is_some() {
            // bash before 5.0 (macOS's /bin/bash is 3.2).
            "; it has no `EPOCHSECONDS`, so the hook counts time from `SECONDS` and one `date` \
             at load (still no process per prompt)"
        } else {
            ""
        };
        let check = if shell.starts_with("bash 3.") {
            "; the check before each command line needs bash 4 (bash 3 loses `PIPESTATUS` \
             under a `DEBUG` trap), so keys and bindings follow at the prompt"
        } else {
            ""
        };
        return Check::Ok(format!("shell hook: loaded in {shell}{clock}{check}"));
    }
    let fix = crate::switcher::hook_hint(ctx);
    Check::Fail(format!("shell hook: not loaded in this shell; {fix}, then open a new shell"))
}

fn check_config(config: &Config, at_home: &dyn Fn(&Path) -> String, report: &mut Report) {
    let existing: Vec<String> = [&config.paths.config, &config.paths.credentials]
        .into_iter()
        .filter(|path| path.exists())
        .map(|path| format!("`{}`", at_home(path)))
        .collect();
    if config.profiles().len() == 0 && config.sso_session_sections().len() == 0 {
        let files = format!(
            "`{}` or `{}`",
            at_home(&config.paths.config),
            at_home(&config.paths.credentials)
        );
        report.fail(format!("config: no profiles in {files}; `awsctx configure sso` sets one up"));
    } else {
        let verb = if existing.len() == 1 { "parses" } else { "parse" };
        report.ok(format!(
            "config: {} {verb}: {}, {}",
            existing.join(" and "),
            count(config.profiles().len(), "profile"),
            count(config.sso_session_sections().len(), "sso-session")
        ));
    }
    for warning in config.warnings() {
        report.fail(format!("config: {warning}"));
    }
    let mut in_cycles: BTreeSet<String> = BTreeSet::new();
    for name in config.profiles().map(|p| p.name()) {
        let problem = match config.kind(name) {
            Ok(ProfileKind::SettingsOnly) => continue,
            Ok(_) => config.credential_chain(name).err(),
            Err(error) => Some(error),
        };
        let fix = match &problem {
            None => continue,
            // One line per loop, not one per profile on it.
            Some(ProfileError::Cycle { cycle }) => {
                if in_cycles.contains(name) {
                    continue;
                }
                in_cycles.extend(cycle.iter().cloned());
                "point one of their `source_profile`s elsewhere"
            }
            Some(_) => "fix that line",
        };
        if let Some(error) = problem {
            report.fail(format!("config: {error}; {fix}"));
        }
    }
}

/// Every SSO login the config uses: its `[sso-session]`s, and the start URLs of legacy
/// profiles (once each), with a profile whose endpoint settings apply.
fn logins(config: &Config, report: &mut Report) -> Vec<(LoginSession, Option<String>)> {
    let mut found = Vec::new();
    for name in config.sso_session_sections().map(|s| s.name()) {
        match config.sso_session(name) {
            Ok(session) => {
                let profile =
                    config.profiles_using_sso_session(name).next().map(|p| p.name().to_owned());
                found.push((LoginSession::Session(session), profile));
            }
            Err(error) => report.fail(format!("sso-session `{name}`: {error}; fix the section")),
        }
    }
    let mut start_urls = BTreeSet::new();
    for name in config.profiles().map(|p| p.name()) {
        if let Ok(kind @ ProfileKind::LegacySso { .. }) = config.kind(name)
            && let Some(session) = LoginSession::of_kind(name, &kind)
            && start_urls.insert(session.start_url().to_owned())
        {
            found.push((session, Some(name.to_owned())));
        }
    }
    found
}

fn check_logins(
    sessions: &[(LoginSession, Option<String>)],
    provider: &CredentialProvider<'_>,
    now: Timestamp,
    report: &mut Report,
) {
    for (session, _) in sessions {
        let what = match session {
            LoginSession::Session(session) => format!("sso-session `{}`", session.name),
            LoginSession::Legacy { profile, start_url, .. } => {
                format!("SSO login of profile `{profile}` (`{start_url}`)")
            }
        };
        let login = crate::hints::login_command(&session.target());
        let renews = provider
            .token_cache()
            .load(&session.token_key())
            .ok()
            .flatten()
            .is_some_and(|token| session.session_name().is_some() && token.can_refresh(now));
        match provider.token_state(&session.token_key()) {
            Ok(TokenState::Valid { expires_at }) => {
                let left = time_left(expires_at.duration_since(now).as_secs());
                let left = left.trim_end_matches(" left");
                let renews = if renews { ", then renews itself" } else { "" };
                report.ok(format!("{what}: logged in, valid for {left}{renews}"));
            }
            Ok(TokenState::Refreshable { .. }) => report.ok(format!(
                "{what}: token expired but refreshable; the next command renews it without a login"
            )),
            Ok(TokenState::Expired { .. }) => {
                report.fail(format!("{what}: login expired; run `{login}`"));
            }
            Ok(TokenState::Missing) => report.fail(format!("{what}: not logged in; run `{login}`")),
            Err(error) => report.fail(format!("{what}: {error}; run `{login}` to write it anew")),
        }
    }
}

/// Token and credential files must be yours alone (0600); their directories must not be
/// writable by others (0700 is what awsctx makes; the AWS CLI leaves them 0755, which is fine:
/// the names are hashes). The same for awsctx's state and lock files. A link, a FIFO or
/// another user's file where awsctx keeps its own is named too: awsctx ignores it.
fn check_file_modes(
    home: Option<&Path>,
    state: Option<&Path>,
    at_home: &dyn Fn(&Path) -> String,
    report: &mut Report,
) {
    let Some(home) = home else {
        report.fail("file modes: `HOME` is not set, so the caches cannot be found; set `HOME`");
        return;
    };
    let (tokens, credentials) = (TokenCache::from_home(home), CredentialCache::from_home(home));
    let mut folders: Vec<(PathBuf, &str)> =
        vec![(tokens.dir().to_owned(), ".json"), (credentials.dir().to_owned(), ".json")];
    if let Some(state) = state {
        folders.push((state.to_owned(), ""));
        folders.push((state.join("locks"), ".lock"));
    }
    let mut checked = 0;
    let mut bad = false;
    let mut flag = |path: &Path, what: String, fix: String, report: &mut Report| {
        bad = true;
        report.fail(format!("file modes: `{}` {what}; run `{fix}`", at_home(path)));
    };
    for (dir, suffix) in folders {
        let Ok(meta) = std::fs::metadata(&dir) else { continue };
        let shown = shell_path(&dir, home);
        match judge_folder(&dir, &meta) {
            Some(Distrust::OpenFolder { mode, .. }) => {
                let what = format!("is writable by other users ({mode:04o})");
                flag(&dir, what, format!("chmod 700 {shown}"), report);
                continue;
            }
            Some(Distrust::ForeignFolder { uid, .. }) => {
                let what =
                    format!("belongs to uid {uid}, not to you: awsctx ignores what it holds");
                flag(&dir, what, format!("mv {shown} {shown}.not-mine"), report);
                continue;
            }
            _ => {}
        }
        let is_cache = suffix == ".json";
        for file in own_files(&dir, suffix) {
            let Ok(meta) = std::fs::symlink_metadata(&file) else { continue };
            let shown = shell_path(&file, home);
            let ignored = match judge_file(&meta) {
                Some(Distrust::Symlink) => "is a symbolic link".to_owned(),
                Some(Distrust::NotRegular { kind }) => format!("is a {kind}, not a regular file"),
                Some(Distrust::ForeignOwner { uid }) => format!("belongs to uid {uid}, not to you"),
                Some(_) => continue,
                None => {
                    checked += usize::from(is_cache);
                    let mode = meta.permissions().mode() & 0o7777;
                    if mode & 0o077 != 0 {
                        let what = format!("is open to other users ({mode:04o})");
                        flag(&file, what, format!("chmod 600 {shown}"), report);
                    }
                    continue;
                }
            };
            let rm = if meta.is_dir() { "rm -r" } else { "rm" };
            flag(&file, format!("{ignored}: awsctx ignores it"), format!("{rm} {shown}"), report);
        }
    }
    let credentials = home.join(".aws/credentials");
    if let Ok(meta) = std::fs::metadata(&credentials) {
        checked += 1;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            let what = format!("is open to other users ({mode:04o})");
            flag(
                &credentials,
                what,
                format!("chmod 600 {}", shell_path(&credentials, home)),
                report,
            );
        }
    }
    if !bad {
        report.ok(format!(
            "file modes: tokens and keys are private to you ({})",
            count(checked, "file")
        ));
    }
}

/// The files awsctx keeps in `dir`: names ending in `suffix` (any name for ""), without
/// hidden ones (temp files) and without the folders awsctx makes itself, sorted.
fn own_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.')
                && name.ends_with(suffix)
                && !(name == "locks" && e.file_type().is_ok_and(|t| t.is_dir()))
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// The proxy variables parse (the HTTP client reads them as reqwest does); `false` when not.
fn check_proxy(env: &Env, report: &mut Report) -> bool {
    let set: Vec<String> = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ]
    .into_iter()
    .filter_map(|name| env.get(name).map(|v| format!("`{name}` = `{}`", redact_userinfo(v))))
    .collect();
    match HttpClient::new(&HttpSettings::default(), env) {
        Err(Error::Proxy { variable, reason }) => {
            report.fail(format!(
                "proxy: `{variable}` is not a usable proxy URL ({reason}); fix or unset it"
            ));
            false
        }
        Err(error) => {
            report.fail(format!("proxy: {error}"));
            false
        }
        Ok(_) if set.is_empty() => {
            report.ok("proxy: none set (direct connections)");
            true
        }
        Ok(_) => {
            report.ok(format!("proxy: {} (the endpoint checks go through it)", set.join(", ")));
            true
        }
    }
}

/// `AWS_CA_BUNDLE` and every profile's `ca_bundle`: each must exist and hold PEM
/// certificates. `Ok` carries `AWS_CA_BUNDLE` for the endpoint checks.
fn check_ca_bundles(
    env: &Env,
    config: Option<&Config>,
    at_home: &dyn Fn(&Path) -> String,
    report: &mut Report,
) -> Result<Option<PathBuf>, ()> {
    let mut bundles: Vec<(PathBuf, String, &'static str)> = Vec::new();
    if let Some(path) = env.get("AWS_CA_BUNDLE") {
        bundles.push((PathBuf::from(path), "`AWS_CA_BUNDLE`".to_owned(), "unset `AWS_CA_BUNDLE`"));
    }
    for profile in config.into_iter().flat_map(Config::profiles) {
        if let Some(path) = profile.get("ca_bundle").filter(|p| !p.is_empty())
            && !bundles.iter().any(|(p, ..)| p == Path::new(path))
        {
            bundles.push((
                PathBuf::from(path),
                format!("`ca_bundle` of profile `{}`", profile.name()),
                "remove the key",
            ));
        }
    }
    if bundles.is_empty() {
        report.ok("CA bundle: none set (the system's roots)");
        return Ok(None);
    }
    let mut all_ok = true;
    for (path, from, unset) in &bundles {
        let shown = at_home(path);
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                all_ok = false;
                let why = if error.kind() == std::io::ErrorKind::NotFound {
                    "does not exist".to_owned()
                } else {
                    format!("cannot be read ({error})")
                };
                report.fail(format!(
                    "CA bundle: `{shown}` (from {from}) {why}; fix the path or {unset}"
                ));
                continue;
            }
        };
        let count = String::from_utf8_lossy(&text).matches("-----BEGIN CERTIFICATE-----").count();
        let settings = HttpSettings { ca_bundle: Some(path.clone()), ..HttpSettings::default() };
        match HttpClient::new(&settings, &Env::default()) {
            Ok(_) if count > 0 => {
                report.ok(format!("CA bundle: `{shown}` (from {from}) holds {count} certificates"));
            }
            Ok(_) => {
                all_ok = false;
                report.fail(format!(
                    "CA bundle: `{shown}` (from {from}) holds no PEM certificate; point it at a PEM file or {unset}"
                ));
            }
            Err(error) => {
                all_ok = false;
                report.fail(format!("CA bundle: {error}; point {from} at a PEM file or {unset}"));
            }
        }
    }
    if all_ok { Ok(env.get("AWS_CA_BUNDLE").map(PathBuf::from)) } else { Err(()) }
}

/// One endpoint to probe, and whether its `Date` is the clock to compare with.
struct Target {
    endpoint: Endpoint,
    clock: bool,
}

fn check_network(
    ctx: &Context,
    config: &Config,
    sessions: &[(LoginSession, Option<String>)],
    ca_bundle: Option<PathBuf>,
    report: &mut Report,
) {
    let mut targets: Vec<Target> = Vec::new();
    let mut add = |service: Service, region: &str, profile: Option<&str>, report: &mut Report| {
        let settings = endpoint_settings(config, profile, service);
        match Endpoint::resolve(service, Some(region), &ctx.env, &settings) {
            Ok(endpoint) => {
                if !targets.iter().any(|t| t.endpoint == endpoint) {
                    targets.push(Target { endpoint, clock: service == Service::SsoOidc });
                }
            }
            Err(error) => report.fail(format!("endpoint: {error}")),
        }
    };
    for (session, profile) in sessions {
        add(Service::SsoOidc, session.region(), profile.as_deref(), report);
        add(Service::Sso, session.region(), profile.as_deref(), report);
    }
    for profile in config.profiles() {
        if let Ok(ProfileKind::AssumeRole { .. }) = config.kind(profile.name()) {
            let region =
                profile.get("region").filter(|r| !r.is_empty()).unwrap_or(DEFAULT_STS_REGION);
            add(Service::Sts, region, Some(profile.name()), report);
        }
    }
    if targets.is_empty() {
        return;
    }
    let Some(results) = probe_all(ctx, &targets, ca_bundle, report) else { return };
    for (target, result) in targets.iter().zip(&results) {
        let named = endpoint_name(&target.endpoint);
        match result {
            Ok(answer) => report
                .ok(format!("endpoint: {named} answers ({} ms)", answer.round_trip.as_millis())),
            Err(error) => {
                let fix = match target.endpoint.source() {
                    EndpointSource::Default | EndpointSource::Explicit => {
                        "check the network and the proxy".to_owned()
                    }
                    source => format!("check the network, the proxy, and {source}"),
                };
                report.fail(format!("endpoint: {error}; {fix}"));
            }
        }
    }
    for (target, result) in targets.iter().zip(&results) {
        if !target.clock {
            continue;
        }
        let named = endpoint_name(&target.endpoint);
        match result.as_ref().map(Probe::clock_skew) {
            Err(_) => report.fail(format!("clock: not checked; {named} did not answer")),
            Ok(None) => report.fail(format!(
                "clock: not checked; {named} sent no `Date` header (is a proxy rewriting answers?)"
            )),
            Ok(Some(skew)) if skew.abs() > MAX_SKEW => report.fail(format!(
                "clock: this machine's clock is {} {named}; AWS refuses requests more than 5 minutes off, so turn on network time (NTP)",
                skew_text(skew)
            )),
            Ok(Some(skew)) if skew.abs() >= SignedDuration::from_mins(1) => report.ok(format!(
                "clock: this machine's clock is {} {named} (within the 5-minute limit)",
                skew_text(skew)
            )),
            Ok(Some(_)) => report.ok(format!("clock: in step with {named}")),
        }
    }
}

/// Probe every target at once (each on its own thread and runtime), in the targets' order.
fn probe_all(
    ctx: &Context,
    targets: &[Target],
    ca_bundle: Option<PathBuf>,
    report: &mut Report,
) -> Option<Vec<Result<Probe, ProbeError>>> {
    let settings = HttpSettings {
        request_timeout: PROBE_DEADLINE,
        connect_timeout: PROBE_DEADLINE,
        max_attempts: 1,
        ca_bundle,
        ..HttpSettings::default()
    };
    let http = match HttpClient::new(&settings, &ctx.env) {
        Ok(http) => http,
        Err(error) => {
            report.fail(format!("endpoints: {error}"));
            return None;
        }
    };
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|target| {
                let http = &http;
                scope.spawn(move || {
                    run_blocking(probe(http, &target.endpoint, PROBE_DEADLINE)).unwrap_or_else(
                        |error| {
                            Err(ProbeError::Unreachable {
                                service: target.endpoint.service(),
                                endpoint: target.endpoint.to_string(),
                                reason: error.to_string(),
                            })
                        },
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ProbeError::Unreachable {
                        service: Service::Sts,
                        endpoint: String::new(),
                        reason: "the probe thread failed".to_owned(),
                    })
                })
            })
            .collect()
    });
    Some(results)
}

/// The service and URL of an endpoint (``SSO OIDC `https://oidc...` ``), with where an
/// override came from.
fn endpoint_name(endpoint: &Endpoint) -> String {
    let service = endpoint.service();
    match endpoint.source() {
        EndpointSource::Default | EndpointSource::Explicit => format!("{service} `{endpoint}`"),
        source => format!("{service} `{endpoint}` (from {source})"),
    }
}

/// `10 min behind` / `6 min ahead of`: the local clock against the server's, to the minute.
fn skew_text(skew: SignedDuration) -> String {
    let minutes = (skew.abs().as_secs() + 30) / 60;
    // Positive skew: the server is ahead, so the local clock is behind.
    let side = if skew.is_positive() { "behind" } else { "ahead of" };
    format!("{minutes} min {side}")
}

/// `1 profile`, `3 profiles`.
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// A path as the user knows it: `~/...` below the home directory.
fn tilde(path: &Path, home: Option<&Path>) -> String {
    match home.and_then(|home| path.strip_prefix(home).ok()) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
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

/// `http://user:pass@proxy:3128` → `http://***@proxy:3128`: proxy passwords stay private.
fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let prefix = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
            format!("{prefix}***{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(tilde(Path::new("/home/a b/.aws/x.json"), Some(home)), "~/.aws/x.json");
        assert_eq!(shell_path(Path::new("/home/a b/.aws/x.json"), home), "~/.aws/x.json");
        assert_eq!(shell_path(Path::new("/srv/a b/x"), home), "'/srv/a b/x'");
    }
}
