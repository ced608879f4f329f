//! `awsctx list`: every profile with its kind, account, role, region and SSO login state;
//! `--json` for scripts (one array, one object per profile, in file order), written out as
//! each profile is read rather than built as a document first.
//!
//! A config can hold anything (a value pasted from a web page, a name a portal made): every
//! cell of the table is escaped ([`escape_line`]) before it is cut, and the JSON has no raw
//! control character either ([`SafeJson`], as [`awsctx_core::text::escape_json`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::process::ExitCode;

use awsctx_core::arn;
use awsctx_core::cache::{TokenCache, TokenKey};
use awsctx_core::config::{Config, Nested, Profile, ProfileSource, Value};
use awsctx_core::facts::current_profile;
use awsctx_core::text::{escape_line, is_unsafe};
use jiff::Timestamp;
use nu_ansi_term::Color;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::cli::ListArgs;
use crate::context::Context;
use crate::ui::Paint;
use awsctx_core::lookup::AccountNames;

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
            [Some(self.profile.name()), self.account_id, self.account_name, self.role_name];
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
    let rows = config.profiles().map(|p| row(config, p, &mut logins, &names));
    if args.json {
        let rows = rows.filter(|r| terms.is_empty() || r.matches(&terms));
        crate::write_stdout(|out| write_json(out, rows));
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows: Vec<Row<'_>> = rows.collect();
    if !terms.is_empty() {
        rows.retain(|r| r.matches(&terms));
        if rows.is_empty() {
            return Err(crate::ui::error(
                format!(
                    "no profile's name, account or role matches `{}`",
                    awsctx_core::text::escape(&args.filter.join(" "))
                ),
                "`awsctx list` shows them all",
            ));
        }
    }
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
    let current = current_profile(&ctx.env).map(str::to_owned);
    crate::print_stdout(&render_table(&rows, current.as_deref()));
    Ok(ExitCode::SUCCESS)
}

fn row<'a>(
    config: &Config,
    profile: Profile<'a>,
    logins: &mut LoginStates<'a>,
    names: &'a AccountNames,
) -> Row<'a> {
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
            let arn = key("role_arn");
            let (account, role) = (arn.and_then(arn::account_of), arn.and_then(arn::role_of));
            (None, account, role, None)
        }
        _ => (None, key("aws_account_id"), None, None),
    };
    let kind = kind.map_err(|e| e.to_string());
    let account_name = account_id.and_then(|id| names.get(id));
    Row { profile, kind, sso_session, account_id, account_name, role_name, login }
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
fn write_json<'a>(out: &mut impl Write, rows: impl Iterator<Item = Row<'a>>) -> io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, SafeJson(PrettyFormatter::new()));
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
        map.serialize_entry("account_name", &self.account_name)?;
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

/// `serde_json`'s pretty output with every unsafe character in a string written as `\uXXXX`
/// (what [`awsctx_core::text::escape_json`] does to a whole document), as it is written.
/// `serde_json` escapes C0 itself; DEL, C1 and the bidi controls reach `write_string_fragment`.
struct SafeJson(PrettyFormatter<'static>);

impl Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if fragment.bytes().all(|b| (b' '..0x7f).contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        for c in fragment.chars() {
            if is_unsafe(c) {
                // All of them are in the Basic Multilingual Plane: one escape each is exact.
                write!(writer, "\\u{:04x}", u32::from(c))?;
            } else {
                let mut buffer = [0; 4];
                writer.write_all(c.encode_utf8(&mut buffer).as_bytes())?;
            }
        }
        Ok(())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
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

/// The cells of a row in the table, `name` being its account name as shown.
fn cells<'a>(r: &'a Row<'_>, name: Option<&'a str>) -> [&'a str; 7] {
    [
        r.profile.name(),
        r.kind.as_ref().map_or("invalid", |k| *k),
        r.account_id.unwrap_or("-"),
        name.unwrap_or("-"),
        r.role_name.unwrap_or("-"),
        r.profile.get("region").unwrap_or("-"),
        r.login.unwrap_or("-"),
    ]
}

fn shown_name<'a>(r: &Row<'a>) -> Option<Cow<'a, str>> {
    r.account_name.map(awsctx_core::text::escape)
}

fn render_table(rows: &[Row<'_>], current: Option<&str>) -> String {
    const HEADERS: [&str; 7] =
        ["PROFILE", "KIND", "ACCOUNT", "ACCOUNT NAME", "ROLE", "REGION", "LOGIN"];
    // The account names column only when some account has a name (`populate` keeps them).
    let with_names = rows.iter().any(|r| r.account_name.is_some());
    // Two passes over the rows, the cells made again in the second: keeping 70 000 of them
    // between the passes would cost more memory than the config itself.
    let mut widths = HEADERS.map(str::len);
    for r in rows {
        let name = shown_name(r);
        for (width, cell) in widths.iter_mut().zip(cells(r, name.as_deref())) {
            *width = (*width).max(fit(cell).1);
        }
    }
    let paint = Paint::stdout();
    let mut out = String::with_capacity(rows.len() * (widths.iter().sum::<usize>() + 16));
    let mut line = |marker: &str, row: [&str; 7], style: Option<nu_ansi_term::Style>| {
        let start = out.len();
        out.push_str(marker);
        for (i, (cell, width)) in row.into_iter().zip(widths).enumerate() {
            if i == 3 && !with_names {
                continue;
            }
            let (cell, cell_width) = fit(cell);
            out.push_str(&cell);
            if i + 1 < row.len() {
                // By hand: `{:<width$}` costs a formatter call per cell, 60 000 of them.
                let pad = width.saturating_sub(cell_width) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let end = start + out.get(start..).map_or(0, |l| l.trim_end().len());
        out.truncate(end);
        if let Some(style) = style {
            let styled = paint.style(style, out.get(start..).unwrap_or_default());
            out.truncate(start);
            out.push_str(&styled);
        }
        out.push('\n');
    };
    line("  ", HEADERS, Some(nu_ansi_term::Style::new().dimmed()));
    for r in rows {
        let is_current = current == Some(r.profile.name());
        let style = if is_current { Some(Color::Green.bold()) } else { None };
        let name = shown_name(r);
        line(if is_current { "* " } else { "  " }, cells(r, name.as_deref()), style);
    }
    out
}
