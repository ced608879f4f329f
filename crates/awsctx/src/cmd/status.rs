//! `awsctx status`: what this shell has: the profile and where it came from (a command, a pin,
//! a `.aws-profile`), the binding of the current directory, its account, role and region, how
//! long its keys last, and the state of its SSO login. Never a secret, never the network. [`Status`] is the data (`--json`); [`Status::render`] the human view.

use std::fmt::Write as _;
use std::process::ExitCode;

use std::path::PathBuf;

use awsctx_core::binding::PROFILE_FILE;
use awsctx_core::config::ProfileKind;
use awsctx_core::facts::current_profile_from;
use awsctx_core::refresh::RefreshRecord;
use awsctx_core::switch::{Origin, ShellState, Skipped, ancestor_of, hook_loaded, resolve_binding};
use awsctx_core::text::{escape_json, escape_line};
use awsctx_core::time::{format_cache, parse_lenient};
use awsctx_login::provider::{CredentialProvider, LoginSession, TokenState};
use jiff::Timestamp;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::context::Context;
use crate::switcher::{current_dir, time_left};

/// What this shell has.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Status {
    pub(crate) profile: Option<String>,
    /// The variable the profile came from (`_AWSCTX_PROFILE`, `AWS_PROFILE`, ...).
    pub(crate) profile_from: Option<&'static str>,
    /// `sso`, `role`, `static`, `process`, ...
    pub(crate) kind: Option<&'static str>,
    pub(crate) account_id: Option<String>,
    /// The portal's name of the account, as `populate` kept it.
    pub(crate) account_name: Option<String>,
    pub(crate) role_name: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) keys: Option<Keys>,
    pub(crate) sso: Option<SsoLogin>,
    /// A key refresh the hook left to the background: running, or failing and when it is tried
    /// again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh: Option<Refresh>,
    /// What the switcher did in this shell, and the binding of the current directory.
    pub(crate) switcher: Option<Switcher>,
    /// Why something above could not be found out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) problems: Vec<String>,
}

/// The keys this shell would use (never the keys themselves).
#[derive(Debug, Serialize)]
pub(crate) struct Keys {
    /// `environment` (`AWS_ACCESS_KEY_ID` is set), `cache` (`~/.aws/cli/cache`) or
    /// `config` (the profile's own keys).
    pub(crate) source: &'static str,
    pub(crate) expires_at: Option<String>,
    pub(crate) seconds_left: Option<i64>,
}

/// Where the shell's profile came from and the per-directory state (no values of keys).
#[derive(Debug, Default, Serialize)]
pub(crate) struct Switcher {
    /// Whether the hook has run in this shell (it handed its state to this command).
    pub(crate) hook: bool,
    /// `command`, `pin` or `file`; `None` when awsctx set no profile here.
    pub(crate) origin: Option<&'static str>,
    /// The pinned directory, or the `.aws-profile` file, the profile came from.
    pub(crate) source: Option<String>,
    /// The root of the binding in effect (the shell is in its tree).
    pub(crate) bound: Option<String>,
    /// A manual switch made in this directory overrides the binding until the shell leaves it.
    pub(crate) manual: Option<String>,
    /// What leaving the bound tree brings back: a profile, or `None` for the shell's own
    /// settings.
    pub(crate) restore: Option<String>,
    /// The region chosen with the profile (`--region`, a binding's `region`) instead of the
    /// profile's own.
    pub(crate) region: Option<String>,
    /// The profile `awsctx -` switches back to.
    pub(crate) previous: Option<String>,
    /// The nearest binding of the current directory, as the hook sees it now.
    pub(crate) here: Option<Binding>,
}

/// A pin or `.aws-profile` of the current directory (or above).
#[derive(Debug, Serialize)]
pub(crate) struct Binding {
    /// `pin` or `file`.
    pub(crate) kind: &'static str,
    /// The directory it binds (and everything below).
    pub(crate) root: String,
    /// The `.aws-profile` file.
    pub(crate) file: Option<String>,
    pub(crate) profile: String,
    /// The region the binding asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    /// `applies`, `untrusted` (run `awsctx allow`), `denied`, `unknown-profile`,
    /// `wrong-account` (the profile is not in the account it expects), `unreadable`.
    pub(crate) state: &'static str,
}

/// The background refresh of the profile's keys (`cmd/refresh.rs`).
#[derive(Debug, Serialize)]
pub(crate) struct Refresh {
    /// `running` or `failing`.
    pub(crate) state: &'static str,
    /// Failed tries in a row.
    pub(crate) failures: u32,
    /// Why the last try failed.
    pub(crate) reason: Option<String>,
    /// When the next try may start, and in how many seconds.
    pub(crate) next_try: Option<String>,
    pub(crate) seconds_to_next_try: Option<i64>,
}

/// The SSO login behind the profile.
#[derive(Debug, Serialize)]
pub(crate) struct SsoLogin {
    /// The `sso-session` name; `None` for a legacy profile.
    pub(crate) session: Option<String>,
    pub(crate) start_url: String,
    /// `logged-in`, `refreshable`, `expired` or `logged-out`.
    pub(crate) state: &'static str,
    pub(crate) expires_at: Option<String>,
    pub(crate) seconds_left: Option<i64>,
}

pub(crate) fn run(args: &StatusArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let status = Status::gather(ctx, Timestamp::now())?;
    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&status)?;
        json.push('\n');
        escape_json(json)
    } else {
        status.render()
    };
    crate::print_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

impl Status {
    pub(crate) fn gather(ctx: &Context, now: Timestamp) -> anyhow::Result<Self> {
        let env = &ctx.env;
        let mut status = Status::default();
        if let Some((name, from)) = current_profile_from(env) {
            status.profile = Some(name.to_owned());
            status.profile_from = Some(from);
        }
        status.region =
            env.get("AWS_REGION").or_else(|| env.get("AWS_DEFAULT_REGION")).map(str::to_owned);
        if env.get("AWS_ACCESS_KEY_ID").is_some() {
            let expires_at = env.get("AWS_CREDENTIAL_EXPIRATION").and_then(parse_lenient);
            status.keys = Some(Keys::new("environment", expires_at, now));
        }
        status.switcher = Some(Switcher::gather(ctx, &mut status.problems));
        let Some(profile) = status.profile.clone() else { return Ok(status) };
        let provider = ctx.provider_for(&profile, false)?;
        status.fill_from_config(&provider, &profile, now);
        let names = crate::target::account_names(ctx);
        status.account_name =
            status.account_id.as_deref().and_then(|a| names.get(a)).map(str::to_owned);
        status.refresh = Refresh::of(ctx, &profile, now);
        Ok(status)
    }

    fn fill_from_config(
        &mut self,
        provider: &CredentialProvider<'_>,
        profile: &str,
        now: Timestamp,
    ) {
        let config = provider.config();
        if let Some(region) = config.profile(profile).and_then(|p| p.get("region")) {
            self.region.get_or_insert_with(|| region.to_owned());
        }
        let kind = match config.kind(profile) {
            Ok(kind) => kind,
            Err(error) => {
                self.problems.push(error.to_string());
                return;
            }
        };
        self.kind = Some(kind.label());
        match &kind {
            ProfileKind::Sso { account_id, role_name, .. }
            | ProfileKind::LegacySso { account_id, role_name, .. } => {
                self.account_id = Some(account_id.clone());
                self.role_name = Some(role_name.clone());
            }
            ProfileKind::Static { account_id, .. } => self.account_id.clone_from(account_id),
            ProfileKind::AssumeRole { role_arn, .. } => {
                let mut parts = role_arn.splitn(6, ':');
                self.account_id = parts.nth(4).filter(|a| !a.is_empty()).map(str::to_owned);
                self.role_name = parts.next().and_then(|r| r.rsplit('/').next()).map(str::to_owned);
            }
            _ => {}
        }
        if self.keys.is_none() {
            match provider.cached(profile) {
                Ok(Some(cached)) => {
                    self.keys = Some(Keys::new("cache", cached.credentials.expiration(), now));
                }
                Ok(None) if matches!(kind, ProfileKind::Static { .. }) => {
                    self.keys = Some(Keys::new("config", None, now));
                }
                Ok(None) => {}
                Err(error) => self.problems.push(error.to_string()),
            }
        }
        if let Some(session) = LoginSession::of_kind(profile, &kind) {
            match provider.token_state(&session.token_key()) {
                Ok(state) => self.sso = Some(SsoLogin::new(&session, state, now)),
                Err(error) => self.problems.push(error.to_string()),
            }
        }
    }

    /// One `label  value` line per known fact.
    pub(crate) fn render(&self) -> String {
        let mut lines: Vec<(&str, String)> = Vec::new();
        let Some(profile) = &self.profile else {
            lines.push(("profile", "none (`AWS_PROFILE` is not set in this shell)".to_owned()));
            if let Some(switcher) = &self.switcher {
                switcher.render(&mut lines);
            }
            return aligned(&lines);
        };
        // The hook's own variable is an implementation detail: the `set by` line says more.
        let from = self
            .profile_from
            .filter(|v| !v.starts_with("_AWSCTX"))
            .map(|v| format!(" (from `{v}`)"))
            .unwrap_or_default();
        lines.push(("profile", format!("{profile}{from}")));
        if let Some(switcher) = &self.switcher {
            switcher.render(&mut lines);
        }
        if let Some(kind) = self.kind {
            lines.push(("kind", kind.to_owned()));
        }
        let account = self.account_id.as_ref().map(|id| match &self.account_name {
            Some(name) => format!("{id} ({})", awsctx_core::text::escape(name)),
            None => id.clone(),
        });
        for (label, value) in
            [("account", &account), ("role", &self.role_name), ("region", &self.region)]
        {
            if let Some(value) = value {
                let chosen = self.switcher.as_ref().and_then(|s| s.region.as_ref());
                if label == "region" && chosen == Some(value) {
                    lines.push((label, format!("{value} (chosen for this shell)")));
                } else {
                    lines.push((label, value.clone()));
                }
            }
        }
        if let Some(keys) = &self.keys {
            let when = match (&keys.expires_at, keys.seconds_left) {
                (Some(at), Some(left)) => format!(", expire {at} ({})", time_left(left)),
                _ => ", no expiry".to_owned(),
            };
            let source = match keys.source {
                "environment" => "in the environment",
                "cache" => "in the cache",
                _ => "in the config",
            };
            lines.push(("keys", format!("{source}{when}")));
        } else if self.kind.is_some() {
            lines.push(("keys", "none cached".to_owned()));
        }
        if let Some(sso) = &self.sso {
            let who = sso.session.as_ref().map_or_else(
                || format!("start URL `{}`", sso.start_url),
                |name| format!("SSO session `{name}`"),
            );
            let state = match (sso.state, sso.seconds_left) {
                ("logged-in", Some(left)) => format!("logged in, {}", time_left(left)),
                ("refreshable", _) => "expired, refreshable without a login".to_owned(),
                ("expired", _) => "expired: run `awsctx login`".to_owned(),
                _ => "logged out: run `awsctx login`".to_owned(),
            };
            lines.push(("login", format!("{who}: {state}")));
        }
        if let Some(refresh) = &self.refresh {
            let line = match (refresh.state, refresh.seconds_to_next_try) {
                ("running", _) => "running in the background".to_owned(),
                (_, left) => format!(
                    "failed {} in a row ({}); next try {}",
                    refresh.failures,
                    refresh.reason.as_deref().map_or("no reason", |r| r),
                    left.map_or_else(
                        || "at the next prompt".to_owned(),
                        |s| format!("in {}", time_left(s).trim_end_matches(" left"))
                    ),
                ),
            };
            lines.push(("refresh", line));
        }
        for problem in &self.problems {
            lines.push(("problem", problem.clone()));
        }
        aligned(&lines)
    }
}

/// `label  value` lines, the values aligned. The values quote the environment, the config,
/// directory names and `.aws-profile` files: each is escaped.
fn aligned(lines: &[(&str, String)]) -> String {
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in lines {
        let _ = writeln!(out, "{label:width$}  {}", escape_line(value));
    }
    out
}

impl Switcher {
    /// The switcher's state variables, and the binding of the current directory.
    fn gather(ctx: &Context, problems: &mut Vec<String>) -> Self {
        let mut state = ShellState::from_env(&ctx.env);
        // A directory the state kept as a hash (too long to keep): named when it is here.
        if let Ok(here) = current_dir(ctx) {
            for kept in [&mut state.bound, &mut state.manual] {
                if let Some(dir) = kept.as_deref().and_then(|k| ancestor_of(k, &here)) {
                    *kept = Some(dir);
                }
            }
        }
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let mut switcher = Self {
            hook: hook_loaded(&ctx.env),
            origin: state.profile.as_ref().and(state.origin).map(Origin::name),
            bound: path(&state.bound),
            manual: path(&state.manual),
            restore: state.restore.clone(),
            region: state.profile.as_ref().and(state.region.clone()),
            previous: state.prev.clone(),
            ..Self::default()
        };
        switcher.source = match (state.origin, &state.bound) {
            (Some(Origin::Pin), Some(root)) if state.profile.is_some() => {
                Some(root.display().to_string())
            }
            (Some(Origin::File), Some(root)) if state.profile.is_some() => {
                Some(root.join(PROFILE_FILE).display().to_string())
            }
            _ => None,
        };
        match Self::binding_here(ctx) {
            Ok(here) => switcher.here = here,
            Err(err) => problems.push(format!("{err:#}")),
        }
        switcher
    }

    fn binding_here(ctx: &Context) -> anyhow::Result<Option<Binding>> {
        let dir = current_dir(ctx)?;
        let state_dir = ctx.state_dir()?;
        let (pins, trust) = (state_dir.load_pins()?, state_dir.load_trust()?);
        let mut config_error = None;
        let resolution = resolve_binding(&dir, &pins, &trust, |p| {
            crate::switcher::known_profile(ctx, p).unwrap_or_else(|err| {
                config_error.get_or_insert(err);
                None
            })
        });
        if let Some(err) = config_error {
            return Err(err);
        }
        // The nearest one: what applies, or the one passed over on the way there.
        let display = |p: &std::path::Path| p.display().to_string();
        let binding = match (resolution.skipped.first(), resolution.binding) {
            (Some(skipped), _) => match skipped {
                Skipped::Untrusted { path, profile, .. } => Binding {
                    kind: "file",
                    root: path.parent().map(display).unwrap_or_default(),
                    file: Some(display(path)),
                    profile: profile.clone(),
                    region: None,
                    state: "untrusted",
                },
                Skipped::Denied { path } => Binding {
                    kind: "file",
                    root: path.parent().map(display).unwrap_or_default(),
                    file: Some(display(path)),
                    profile: String::new(),
                    region: None,
                    state: "denied",
                },
                Skipped::UnknownProfile { root, file, profile } => Binding {
                    kind: if file.is_some() { "file" } else { "pin" },
                    root: display(root),
                    file: file.as_deref().map(display),
                    profile: profile.clone(),
                    region: None,
                    state: "unknown-profile",
                },
                Skipped::WrongAccount { root, file, profile, .. } => Binding {
                    kind: if file.is_some() { "file" } else { "pin" },
                    root: display(root),
                    file: file.as_deref().map(display),
                    profile: profile.clone(),
                    region: None,
                    state: "wrong-account",
                },
                Skipped::Unreadable { path, .. } => Binding {
                    kind: "file",
                    root: path.parent().map(display).unwrap_or_default(),
                    file: Some(display(path)),
                    profile: String::new(),
                    region: None,
                    state: "unreadable",
                },
            },
            (None, Some(active)) => Binding {
                kind: if active.origin == Origin::Pin { "pin" } else { "file" },
                file: (active.origin == Origin::File)
                    .then(|| display(&active.root.join(PROFILE_FILE))),
                root: display(&active.root),
                profile: active.profile,
                region: active.region,
                state: "applies",
            },
            (None, None) => return Ok(None),
        };
        Ok(Some(binding))
    }

    fn render(&self, lines: &mut Vec<(&str, String)>) {
        if let Some(origin) = self.origin {
            let from = match (origin, &self.source) {
                ("pin", Some(dir)) => format!("pin at `{dir}`"),
                ("file", Some(file)) => format!("`{file}`"),
                _ if self.manual.is_some() => {
                    "`awsctx` command (overrides the binding here)".to_owned()
                }
                _ => "`awsctx` command".to_owned(),
            };
            lines.push(("set by", from));
        }
        if let Some(manual) = &self.manual {
            lines.push(("manual", format!("until the shell leaves `{manual}`")));
        }
        if let Some(root) = &self.bound {
            let back = self.restore.as_deref().unwrap_or("the shell's own settings");
            lines.push(("leaving", format!("`{root}` brings back {back}")));
        }
        if let Some(here) = &self.here {
            let what = match (here.kind, &here.file) {
                ("file", Some(file)) => format!("`{file}`"),
                _ => format!("pin at `{}`", here.root),
            };
            let state = match here.state {
                "applies" => match &here.region {
                    Some(region) => format!("profile `{}` in {region}", here.profile),
                    None => format!("profile `{}`", here.profile),
                },
                "untrusted" => {
                    format!("profile `{}`, not allowed: run `awsctx allow`", here.profile)
                }
                "denied" => "denied (`awsctx allow` trusts it)".to_owned(),
                "unknown-profile" => {
                    format!("profile `{}`, which is not in the config", here.profile)
                }
                "wrong-account" => {
                    format!(
                        "profile `{}`, refused: not in the account the binding expects",
                        here.profile
                    )
                }
                _ => "not a profile file".to_owned(),
            };
            lines.push(("binding", format!("{what}: {state}")));
        }
        if let Some(previous) = &self.previous {
            lines.push(("previous", format!("{previous} (`awsctx -`)")));
        }
        if !self.hook {
            lines.push((
                "hook",
                "not loaded in this shell: `awsctx hook --help` says how".to_owned(),
            ));
        }
    }
}

impl Keys {
    fn new(source: &'static str, expires_at: Option<Timestamp>, now: Timestamp) -> Self {
        Self {
            source,
            expires_at: expires_at.map(format_cache),
            seconds_left: expires_at.map(|at| at.duration_since(now).as_secs()),
        }
    }
}

impl SsoLogin {
    fn new(session: &LoginSession, state: TokenState, now: Timestamp) -> Self {
        let (label, expires_at) = match state {
            TokenState::Valid { expires_at } => ("logged-in", Some(expires_at)),
            TokenState::Refreshable { expires_at } => ("refreshable", Some(expires_at)),
            TokenState::Expired { expires_at } => ("expired", Some(expires_at)),
            TokenState::Missing => ("logged-out", None),
        };
        Self {
            session: session.session_name().map(str::to_owned),
            start_url: session.start_url().to_owned(),
            state: label,
            expires_at: expires_at.map(format_cache),
            seconds_left: expires_at.map(|at| at.duration_since(now).as_secs()),
        }
    }
}

impl Refresh {
    fn of(ctx: &Context, profile: &str, now: Timestamp) -> Option<Self> {
        let state = ctx.state_dir().ok()?;
        let record = RefreshRecord::load(&RefreshRecord::path(state.path(), profile))?;
        let now_secs = now.as_second();
        if record.running_pid(now_secs).is_some() {
            return Some(Self {
                state: "running",
                failures: record.failures,
                reason: record.reason,
                next_try: None,
                seconds_to_next_try: None,
            });
        }
        if record.failures == 0 {
            return None;
        }
        let next = Timestamp::from_second(record.next_try).ok();
        Some(Self {
            state: "failing",
            failures: record.failures,
            reason: record.reason.map(|r| awsctx_core::text::escape(&r).into_owned()),
            next_try: next.map(format_cache),
            seconds_to_next_try: next.map(|_| record.next_try - now_secs).filter(|s| *s > 0),
        })
    }
}
