//! `awsctx list`: every profile with its kind, account, role, region and SSO login state;
//! `--json` for scripts (one array, one object per profile, in file order), written out as
//! each profile is read rather than built as a document first.

use std::collections::HashMap;
use std::process::ExitCode;

use awsctx_core::cache::{TokenCache, TokenKey};
use awsctx_core::config::{Config, Nested, Profile, ProfileSource, Value};
use jiff::Timestamp;
use nu_ansi_term::Color;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::cli::ListArgs;
use crate::context::Context;
use crate::ui::Paint;

/// Keys whose values are secrets: `list` shows that they are set, never what they are.
const SECRET_KEYS: [&str; 3] = ["aws_secret_access_key", "aws_session_token", "aws_security_token"];
const REDACTED: &str = "***";

/// What `list` says about one profile. Everything is borrowed from the config (the kind is
/// only its label), so 10 000 profiles cost no memory beyond the config's.
struct Row<'a> {
    profile: Profile<'a>,
    kind: Result<&'static str, String>,
    sso_session: Option<&'a str>,
    account_id: Option<&'a str>,
    role_name: Option<&'a str>,
    login: Option<&'static str>,
}

pub(crate) fn run(args: &ListArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let tokens = ctx.token_cache().ok();
    let mut logins = LoginStates::new(tokens, Timestamp::now());
    if args.json {
        let rows = config.profiles().map(|p| row(config, p, &mut logins));
        crate::write_stdout(|out| write_json(out, rows));
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Row<'_>> = config.profiles().map(|p| row(config, p, &mut logins)).collect();
    if rows.is_empty() {
        crate::ui::notice(&format!(
            "no profiles in `{}`: `awsctx configure sso` sets one up, `awsctx populate` writes one per account and role",
            config.paths.config.display()
        ));
    }
    for row in &rows {
        if let Err(error) = &row.kind {
            crate::ui::notice(&format!("warning: {error}"));
        }
    }
    let current = current_profile(ctx);
    crate::print_stdout(&render_table(&rows, current.as_deref()));
    Ok(ExitCode::SUCCESS)
}

/// This shell's profile: the one awsctx set, else `AWS_PROFILE`.
pub(crate) fn current_profile(ctx: &Context) -> Option<String> {
    ctx.env
        .get("_AWSCTX_PROFILE")
        .or_else(|| ctx.env.get("AWS_PROFILE"))
        .or_else(|| ctx.env.get("AWS_DEFAULT_PROFILE"))
        .map(str::to_owned)
}

fn row<'a>(config: &Config, profile: Profile<'a>, logins: &mut LoginStates<'a>) -> Row<'a> {
    let key = |k| profile.get(k);
    let kind = config.kind_label_of(profile);
    // An `sso` profile with an `sso_session` uses it; without one it is a legacy profile.
    let session = key("sso_session").filter(|s| !s.is_empty());
    let (sso_session, account_id, role_name, login) = match kind {
        Ok("sso") if session.is_some() => (
            session,
            key("sso_account_id"),
            key("sso_role_name"),
            session.map(|s| logins.state(Login::Session(s))),
        ),
        Ok("sso") => (
            None,
            key("sso_account_id"),
            key("sso_role_name"),
            key("sso_start_url").map(|u| logins.state(Login::StartUrl(u))),
        ),
        Ok("sso-token") => (session, None, None, session.map(|s| logins.state(Login::Session(s)))),
        Ok("role" | "web-identity") => {
            let (account, role) = key("role_arn").map_or((None, None), split_role_arn);
            (None, account, role, None)
        }
        _ => (None, key("aws_account_id"), None, None),
    };
    let kind = kind.map_err(|e| e.to_string());
    Row { profile, kind, sso_session, account_id, role_name, login }
}

/// `arn:aws:iam::123456789012:role/path/Name` → (`123456789012`, `Name`).
fn split_role_arn(arn: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = arn.splitn(6, ':');
    let account = parts.nth(4).filter(|a| !a.is_empty());
    let role = parts.next().and_then(|r| r.rsplit('/').next());
    (account, role)
}

/// Which login a profile uses: an sso-session, or (legacy) a start URL.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Login<'a> {
    Session(&'a str),
    StartUrl(&'a str),
}

/// The state of each SSO login, read once per session from the shared token cache.
struct LoginStates<'a> {
    cache: Option<TokenCache>,
    now: Timestamp,
    seen: HashMap<Login<'a>, &'static str>,
    /// The last one asked for: profiles of one session come in long runs.
    last: Option<(Login<'a>, &'static str)>,
}

impl<'a> LoginStates<'a> {
    fn new(cache: Option<TokenCache>, now: Timestamp) -> Self {
        Self { cache, now, seen: HashMap::new(), last: None }
    }

    fn state(&mut self, login: Login<'a>) -> &'static str {
        if let Some((last, state)) = self.last
            && last == login
        {
            return state;
        }
        let state = self.lookup(login);
        self.last = Some((login, state));
        state
    }

    fn lookup(&mut self, login: Login<'a>) -> &'static str {
        if let Some(state) = self.seen.get(&login) {
            return state;
        }
        let key = match login {
            Login::Session(name) => TokenKey::Session(name.to_owned()),
            Login::StartUrl(url) => TokenKey::StartUrl(url.to_owned()),
        };
        let token = self.cache.as_ref().and_then(|c| c.load(&key).ok().flatten());
        let state = match token {
            None => "logged-out",
            Some(t) if !t.is_expired(self.now) => "logged-in",
            Some(t) if t.can_refresh(self.now) => "refreshable",
            Some(_) => "expired",
        };
        self.seen.insert(login, state);
        state
    }
}

/// The JSON array, one object per row as it comes, then a newline.
fn write_json<'a>(
    out: &mut impl std::io::Write,
    rows: impl Iterator<Item = Row<'a>>,
) -> std::io::Result<()> {
    let mut serializer = serde_json::Serializer::pretty(&mut *out);
    serializer.collect_seq(rows)?;
    out.write_all(b"\n")
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", self.profile.name())?;
        map.serialize_entry("kind", self.kind.as_ref().map_or("invalid", |k| *k))?;
        let source = match self.profile.source() {
            ProfileSource::Config => "config",
            ProfileSource::Credentials => "credentials",
            ProfileSource::Both => "both",
        };
        map.serialize_entry("source", source)?;
        map.serialize_entry("sso_session", &self.sso_session)?;
        map.serialize_entry("account_id", &self.account_id)?;
        map.serialize_entry("role_name", &self.role_name)?;
        map.serialize_entry("region", &self.profile.get("region"))?;
        map.serialize_entry("login", &self.login)?;
        map.serialize_entry("properties", &Properties(self.profile))?;
        if let Err(error) = &self.kind {
            map.serialize_entry("error", error)?;
        }
        map.end()
    }
}

/// A profile's properties as a JSON object, secrets redacted.
struct Properties<'a>(Profile<'a>);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.properties().len()))?;
        for (key, value) in self.0.properties() {
            match value {
                _ if SECRET_KEYS.contains(&key) => map.serialize_entry(key, REDACTED)?,
                Value::Simple(text) => map.serialize_entry(key, text)?,
                Value::Nested(nested) => map.serialize_entry(key, &SubProperties(nested))?,
            }
        }
        map.end()
    }
}

struct SubProperties<'a>(Nested<'a>);

impl Serialize for SubProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter())
    }
}

fn render_table(rows: &[Row<'_>], current: Option<&str>) -> String {
    const HEADERS: [&str; 6] = ["PROFILE", "KIND", "ACCOUNT", "ROLE", "REGION", "LOGIN"];
    let cells: Vec<[&str; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.profile.name(),
                r.kind.as_ref().map_or("invalid", |k| *k),
                r.account_id.unwrap_or("-"),
                r.role_name.unwrap_or("-"),
                r.profile.get("region").unwrap_or("-"),
                r.login.unwrap_or("-"),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let paint = Paint::stdout();
    let mut out = String::with_capacity(rows.len() * 80);
    let mut line = |marker: &str, row: &[&str; 6], style: Option<nu_ansi_term::Style>| {
        let mut text = String::from(marker);
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                // By hand: `{:<width$}` costs a formatter call per cell, 60 000 of them.
                text.push_str(cell);
                let pad = width.saturating_sub(cell.chars().count()) + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let text = text.trim_end();
        match style {
            Some(style) => out.push_str(&paint.style(style, text)),
            None => out.push_str(text),
        }
        out.push('\n');
    };
    line("  ", &HEADERS, Some(nu_ansi_term::Style::new().dimmed()));
    for (row, cells) in rows.iter().zip(&cells) {
        let is_current = current == Some(row.profile.name());
        let style = if is_current { Some(Color::Green.bold()) } else { None };
        line(if is_current { "* " } else { "  " }, cells, style);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split_role_arn;

    #[test]
    fn role_arns_give_account_and_role_name() {
        assert_eq!(
            split_role_arn("arn:aws:iam::123456789012:role/path/to/Admin"),
            (Some("123456789012"), Some("Admin"))
        );
        assert_eq!(split_role_arn("not-an-arn"), (None, None));
    }
}
