//! `awsctx list`: every profile with its kind, account, role, region and SSO login state;
//! `--json` for scripts (one array, one object per profile, in file order).
//!
//! A config can hold anything (a value pasted from a web page, a name a portal made): every
//! cell of the table is escaped ([`escape_line`]) before it is cut, and the JSON has no raw
//! control character either ([`escape_json`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::process::ExitCode;

use awsctx_core::cache::{TokenCache, TokenKey};
use awsctx_core::config::{Config, Profile, ProfileKind, ProfileSource, Value};
use awsctx_core::text::{escape_json, escape_line};
use jiff::Timestamp;
use nu_ansi_term::Color;
use serde_json::{Map, Value as Json, json};

use crate::cli::ListArgs;
use crate::context::Context;
use crate::ui::Paint;
use awsctx_core::lookup::AccountNames;

/// Keys whose values are secrets: `list` shows that they are set, never what they are.
const SECRET_KEYS: [&str; 3] = ["aws_secret_access_key", "aws_session_token", "aws_security_token"];
const REDACTED: &str = "***";

/// What `list` says about one profile. Everything is borrowed from the config: the kind is
/// resolved, read and dropped at once, so 10 000 profiles cost no memory beyond the config's.
struct Row<'a> {
    profile: &'a Profile,
    kind: Result<&'static str, String>,
    sso_session: Option<&'a str>,
    account_id: Option<&'a str>,
    /// The portal's name of the account (as `populate` kept it).
    account_name: Option<&'a str>,
    role_name: Option<&'a str>,
    login: Option<&'static str>,
}

impl Row<'_> {
    /// Whether every term (lower case) is in the profile's name, account id, account name or
    /// role, ignoring case.
    fn matches(&self, terms: &[String]) -> bool {
        let fields =
            [Some(self.profile.name.as_str()), self.account_id, self.account_name, self.role_name];
        terms.iter().all(|term| {
            fields.iter().flatten().any(|field| field.to_lowercase().contains(term.as_str()))
        })
    }
}

pub(crate) fn run(args: &ListArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let tokens = ctx.token_cache().ok();
    let mut logins = LoginStates::new(tokens, Timestamp::now());
    let names = crate::target::account_names(ctx);
    let terms: Vec<String> = args.filter.iter().map(|t| t.to_lowercase()).collect();
    let mut rows: Vec<Row<'_>> =
        config.profiles.values().map(|p| row(config, p, &mut logins, &names)).collect();
    if !terms.is_empty() {
        rows.retain(|r| r.matches(&terms));
        if rows.is_empty() && !args.json {
            return Err(crate::ui::error(
                format!(
                    "no profile's name, account or role matches `{}`",
                    awsctx_core::text::escape(&args.filter.join(" "))
                ),
                "`awsctx list` shows them all",
            ));
        }
    }
    if !args.json && rows.is_empty() {
        crate::ui::notice(&format!(
            "no profiles in `{}`: `awsctx configure sso` sets one up, `awsctx populate` writes one per account and role",
            config.paths.config.display()
        ));
    }
    if !args.json {
        for row in &rows {
            if let Err(error) = &row.kind {
                crate::ui::notice(&format!("warning: {error}"));
            }
        }
    }
    let current = current_profile(ctx);
    let text = if args.json { render_json(&rows) } else { render_table(&rows, current.as_deref()) };
    crate::print_stdout(&text);
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

fn row<'a>(
    config: &Config,
    profile: &'a Profile,
    logins: &mut LoginStates<'a>,
    names: &'a AccountNames,
) -> Row<'a> {
    let key = |k| profile.get(k);
    let kind = config.kind(&profile.name);
    let (sso_session, account_id, role_name, login) = match &kind {
        Ok(ProfileKind::Sso { .. }) => (
            key("sso_session"),
            key("sso_account_id"),
            key("sso_role_name"),
            key("sso_session").map(|s| logins.state(Login::Session(s))),
        ),
        Ok(ProfileKind::SsoToken { .. }) => (
            key("sso_session"),
            None,
            None,
            key("sso_session").map(|s| logins.state(Login::Session(s))),
        ),
        Ok(ProfileKind::LegacySso { .. }) => (
            None,
            key("sso_account_id"),
            key("sso_role_name"),
            key("sso_start_url").map(|u| logins.state(Login::StartUrl(u))),
        ),
        Ok(ProfileKind::AssumeRole { .. } | ProfileKind::WebIdentity { .. }) => {
            let (account, role) = key("role_arn").map_or((None, None), split_role_arn);
            (None, account, role, None)
        }
        _ => (None, key("aws_account_id"), None, None),
    };
    let kind = kind.as_ref().map(ProfileKind::label).map_err(ToString::to_string);
    let account_name = account_id.and_then(|id| names.get(id));
    Row { profile, kind, sso_session, account_id, account_name, role_name, login }
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
}

impl<'a> LoginStates<'a> {
    fn new(cache: Option<TokenCache>, now: Timestamp) -> Self {
        Self { cache, now, seen: HashMap::new() }
    }

    fn state(&mut self, login: Login<'a>) -> &'static str {
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

/// One JSON object per row, serialized as it is made: the tree of every row at once would cost
/// ten times the config's own memory.
fn render_json(rows: &[Row<'_>]) -> String {
    let objects = rows.iter().map(|r| {
        let properties: Map<String, Json> = r
            .profile
            .properties
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    _ if SECRET_KEYS.contains(&key.as_str()) => json!(REDACTED),
                    Value::Simple(v) => json!(v),
                    Value::Nested(map) => {
                        Json::Object(map.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
                    }
                };
                (key.clone(), value)
            })
            .collect();
        let mut object = json!({
            "name": r.profile.name,
            "kind": r.kind.as_ref().map_or("invalid", |k| *k),
            "source": match r.profile.source {
                ProfileSource::Config => "config",
                ProfileSource::Credentials => "credentials",
                ProfileSource::Both => "both",
            },
            "sso_session": r.sso_session,
            "account_id": r.account_id,
            "account_name": r.account_name,
            "role_name": r.role_name,
            "region": r.profile.get("region"),
            "login": r.login,
            "properties": properties,
        });
        if let (Err(error), Some(map)) = (&r.kind, object.as_object_mut()) {
            map.insert("error".into(), json!(error));
        }
        object
    });
    let mut out = Vec::with_capacity(rows.len() * 512);
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    if serde::Serializer::collect_seq(&mut serializer, objects).is_err() {
        return "[]\n".to_owned();
    }
    out.push(b'\n');
    // serde_json writes UTF-8 only.
    String::from_utf8(out).map_or_else(|_| "[]\n".to_owned(), escape_json)
}

/// The widest a column of the table grows, in characters: a longer cell is cut, with `…`
/// (`--json` has every value whole). One hostile value must not pad every row to its width.
const MAX_COLUMN: usize = 64;

/// `cell` escaped and cut to [`MAX_COLUMN`] characters, and its width.
fn fit(cell: &str) -> (Cow<'_, str>, usize) {
    let cell = escape_line(cell);
    // Bytes bound characters: most cells are ASCII and shorter than the cap.
    if cell.len() <= MAX_COLUMN {
        let count = cell.chars().count();
        return (cell, count);
    }
    let count = cell.chars().count();
    if count <= MAX_COLUMN {
        return (cell, count);
    }
    let mut cut: String = cell.chars().take(MAX_COLUMN - 1).collect();
    cut.push('…');
    (Cow::Owned(cut), MAX_COLUMN)
}

fn render_table(rows: &[Row<'_>], current: Option<&str>) -> String {
    const HEADERS: [&str; 7] =
        ["PROFILE", "KIND", "ACCOUNT", "ACCOUNT NAME", "ROLE", "REGION", "LOGIN"];
    // The account names column only when some account has a name (`populate` keeps them).
    let with_names = rows.iter().any(|r| r.account_name.is_some());
    let shown_names: Vec<Option<Cow<'_, str>>> =
        rows.iter().map(|r| r.account_name.map(awsctx_core::text::escape)).collect();
    let cells: Vec<[(Cow<'_, str>, usize); 7]> = rows
        .iter()
        .zip(&shown_names)
        .map(|(r, name)| {
            [
                r.profile.name.as_str(),
                r.kind.as_ref().map_or("invalid", |k| *k),
                r.account_id.unwrap_or("-"),
                name.as_deref().unwrap_or("-"),
                r.role_name.unwrap_or("-"),
                r.profile.get("region").unwrap_or("-"),
                r.login.unwrap_or("-"),
            ]
            .map(fit)
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for row in &cells {
        for (width, (_, cell_width)) in widths.iter_mut().zip(row) {
            *width = (*width).max(*cell_width);
        }
    }
    let paint = Paint::stdout();
    let mut out = String::with_capacity(rows.len() * 80);
    let mut line =
        |marker: &str, row: &[(Cow<'_, str>, usize); 7], style: Option<nu_ansi_term::Style>| {
            let mut text = String::from(marker);
            for (i, ((cell, cell_width), width)) in row.iter().zip(widths).enumerate() {
                if i == 3 && !with_names {
                    continue;
                }
                text.push_str(cell);
                if i + 1 < row.len() {
                    // By hand: `{:<width$}` costs a formatter call per cell, 60 000 of them.
                    let pad = width.saturating_sub(*cell_width) + 2;
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
    line("  ", &HEADERS.map(fit), Some(nu_ansi_term::Style::new().dimmed()));
    for (row, cells) in rows.iter().zip(&cells) {
        let is_current = current == Some(row.profile.name.as_str());
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
