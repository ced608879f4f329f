//! `awsctx status`: what this shell has: the profile and where it came from, its account,
//! role and region, how long its keys last, and the state of its SSO login. Never a secret,
//! never the network. [`Status`] is the data (`--json`); [`Status::render`] the human view.

use std::fmt::Write as _;
use std::process::ExitCode;

use awsctx_core::config::ProfileKind;
use awsctx_core::time::{format_cache, parse_lenient};
use awsctx_login::provider::{CredentialProvider, LoginSession, TokenState};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::context::Context;

/// What this shell has.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Status {
    pub(crate) profile: Option<String>,
    /// The variable the profile came from (`_AWSCTX_PROFILE`, `AWS_PROFILE`, ...).
    pub(crate) profile_from: Option<&'static str>,
    /// `sso`, `role`, `static`, `process`, ...
    pub(crate) kind: Option<&'static str>,
    pub(crate) account_id: Option<String>,
    pub(crate) role_name: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) keys: Option<Keys>,
    pub(crate) sso: Option<SsoLogin>,
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
        json
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
        if let Some((name, from)) = ["_AWSCTX_PROFILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
            .into_iter()
            .find_map(|var| env.get(var).map(|p| (p.to_owned(), var)))
        {
            status.profile = Some(name);
            status.profile_from = Some(from);
        }
        status.region =
            env.get("AWS_REGION").or_else(|| env.get("AWS_DEFAULT_REGION")).map(str::to_owned);
        if env.get("AWS_ACCESS_KEY_ID").is_some() {
            let expires_at = env.get("AWS_CREDENTIAL_EXPIRATION").and_then(parse_lenient);
            status.keys = Some(Keys::new("environment", expires_at, now));
        }
        let Some(profile) = status.profile.clone() else { return Ok(status) };
        let provider = ctx.provider(Some(&profile), false)?;
        status.fill_from_config(&provider, &profile, now);
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
                    self.keys = Some(Keys::new("cache", cached.credentials.expiration, now));
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
        let Some(profile) = &self.profile else {
            return "profile  none (`AWS_PROFILE` is not set in this shell)\n".to_owned();
        };
        let mut lines: Vec<(&str, String)> = Vec::new();
        let from = self.profile_from.map(|v| format!(" (from `{v}`)")).unwrap_or_default();
        lines.push(("profile", format!("{profile}{from}")));
        if let Some(kind) = self.kind {
            lines.push(("kind", kind.to_owned()));
        }
        for (label, value) in
            [("account", &self.account_id), ("role", &self.role_name), ("region", &self.region)]
        {
            if let Some(value) = value {
                lines.push((label, value.clone()));
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
        for problem in &self.problems {
            lines.push(("problem", problem.clone()));
        }
        let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (label, value) in &lines {
            let _ = writeln!(out, "{label:width$}  {value}");
        }
        out
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

/// `59m left`, `7h 5m left`, `expired 3m ago`.
pub(crate) fn time_left(seconds: i64) -> String {
    let span = |s: i64| {
        let d = SignedDuration::from_secs(s.abs());
        let (h, m) = (d.as_secs() / 3600, (d.as_secs() % 3600) / 60);
        if h > 0 {
            format!("{h}h {m}m")
        } else if m > 0 {
            format!("{m}m")
        } else {
            format!("{}s", d.as_secs())
        }
    };
    if seconds > 0 {
        format!("{} left", span(seconds))
    } else {
        format!("expired {} ago", span(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::time_left;

    #[test]
    fn time_left_reads_like_a_person_wrote_it() {
        assert_eq!(time_left(3599), "59m left");
        assert_eq!(time_left(7 * 3600 + 300), "7h 5m left");
        assert_eq!(time_left(42), "42s left");
        assert_eq!(time_left(-180), "expired 3m ago");
    }
}
