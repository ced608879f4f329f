//! `awsctx list`: every profile with its kind, account, role, region and SSO login state;
//! `--json` for scripts (one array, one object per profile, in file order), written out as
//! each profile is read rather than built as a document first.
//!
//! A config can hold anything (a value pasted from a web page, a name a portal made): every
//! cell of the table is escaped ([`escape_line`]) before it is cut, and the JSON has no raw
//! control character either ([`json_string`], as [`awsctx_core::text::escape_json`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::process::ExitCode;

use awsctx_core::arn;
use awsctx_core::cache::{TokenCache, TokenKey};
use awsctx_core::config::{Config, Profile, ProfileSource, Value};
use awsctx_core::facts::current_profile;
use awsctx_core::text::{escape_line, is_unsafe};
use jiff::Timestamp;
use nu_ansi_term::Color;

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
    region: Option<&'a str>,
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
    crate::write_stdout(|out| write_table(out, &rows, current.as_deref()));
    Ok(ExitCode::SUCCESS)
}

/// The keys `list` reads, found in one pass over a profile's properties (not a search of
/// them per key, 10 000 times). Nested values count as unset, as for [`Profile::get`].
#[derive(Default)]
struct Keys<'a> {
    sso_session: Option<&'a str>,
    sso_account_id: Option<&'a str>,
    sso_role_name: Option<&'a str>,
    sso_start_url: Option<&'a str>,
    role_arn: Option<&'a str>,
    aws_account_id: Option<&'a str>,
    region: Option<&'a str>,
}

impl<'a> Keys<'a> {
    fn of(profile: Profile<'a>) -> Self {
        let mut keys = Self::default();
        for (key, value) in profile.properties() {
            let Value::Simple(value) = value else { continue };
            let slot = match key {
                "sso_session" => &mut keys.sso_session,
                "sso_account_id" => &mut keys.sso_account_id,
                "sso_role_name" => &mut keys.sso_role_name,
                "sso_start_url" => &mut keys.sso_start_url,
                "role_arn" => &mut keys.role_arn,
                "aws_account_id" => &mut keys.aws_account_id,
                "region" => &mut keys.region,
                _ => continue,
            };
            *slot = Some(value);
        }
        keys
    }
}

fn row<'a>(
    config: &Config,
    profile: Profile<'a>,
    logins: &mut LoginStates<'a>,
    names: &'a AccountNames,
) -> Row<'a> {
    let keys = Keys::of(profile);
    let kind = config.kind_label_of(profile);
    // An `sso` profile with an `sso_session` uses it; without one it is a legacy profile.
    let session = keys.sso_session.filter(|s| !s.is_empty());
    let (sso_session, account_id, role_name, login) = match kind {
        Ok("sso") if session.is_some() => (
            session,
            keys.sso_account_id,
            keys.sso_role_name,
            session.map(|s| logins.state(Login::Session(s))),
        ),
        Ok("sso") => (
            None,
            keys.sso_account_id,
            keys.sso_role_name,
            keys.sso_start_url.map(|u| logins.state(Login::StartUrl(u))),
        ),
        Ok("sso-token") => (session, None, None, session.map(|s| logins.state(Login::Session(s)))),
        Ok("role" | "web-identity") => {
            let arn = keys.role_arn;
            let (account, role) = (arn.and_then(arn::account_of), arn.and_then(arn::role_of));
            (None, account, role, None)
        }
        _ => (None, keys.aws_account_id, None, None),
    };
    let kind = kind.map_err(|e| e.to_string());
    let account_name = account_id.and_then(|id| names.get(id));
    let region = keys.region;
    Row { profile, kind, sso_session, account_id, account_name, role_name, region, login }
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

/// The JSON array, one object per row as it comes, then a newline: `serde_json`'s pretty
/// layout byte for byte, written by hand (its serializer took as long as reading the config)
/// and every string through [`json_string`].
fn write_json<'a>(out: &mut impl Write, rows: impl Iterator<Item = Row<'a>>) -> io::Result<()> {
    let mut empty = true;
    for row in rows {
        out.write_all(if empty { b"[\n  {\n" } else { b",\n  {\n" })?;
        empty = false;
        write_row(out, &row)?;
        out.write_all(b"\n  }")?;
    }
    out.write_all(if empty { b"[]\n" } else { b"\n]\n" })
}

fn write_row(out: &mut impl Write, row: &Row<'_>) -> io::Result<()> {
    let source = match row.profile.source() {
        ProfileSource::Config => "config",
        ProfileSource::Credentials => "credentials",
        ProfileSource::Both => "both",
    };
    // Each key with the punctuation around it as one constant: a write each, not three.
    let fields: [(&[u8], Option<&str>); 9] = [
        (b"    \"name\": ", Some(row.profile.name())),
        (b",\n    \"kind\": ", Some(row.kind.as_ref().map_or("invalid", |k| *k))),
        (b",\n    \"source\": ", Some(source)),
        (b",\n    \"sso_session\": ", row.sso_session),
        (b",\n    \"account_id\": ", row.account_id),
        (b",\n    \"account_name\": ", row.account_name),
        (b",\n    \"role_name\": ", row.role_name),
        (b",\n    \"region\": ", row.region),
        (b",\n    \"login\": ", row.login),
    ];
    for (key, value) in fields {
        out.write_all(key)?;
        match value {
            Some(value) => json_string(out, value)?,
            None => out.write_all(b"null")?,
        }
    }
    out.write_all(b",\n    \"properties\": ")?;
    let properties = row.profile.properties().map(|(key, value)| match value {
        _ if SECRET_KEYS.contains(&key) => (key, Value::Simple(REDACTED)),
        value => (key, value),
    });
    json_object(out, 2, properties, |out, value| match value {
        Value::Simple(text) => json_string(out, text),
        Value::Nested(nested) => json_object(out, 3, nested.iter(), json_string),
    })?;
    if let Err(error) = &row.kind {
        out.write_all(b",\n    \"error\": ")?;
        json_string(out, error)?;
    }
    Ok(())
}

/// A JSON object of `entries` whose closing brace is at nesting `depth` (two spaces each),
/// as `serde_json` lays it out: `{}` when empty.
fn json_object<W: Write, V>(
    out: &mut W,
    depth: usize,
    entries: impl Iterator<Item = (impl AsRef<str>, V)>,
    mut value: impl FnMut(&mut W, V) -> io::Result<()>,
) -> io::Result<()> {
    const SPACES: &[u8] = b"                ";
    // What comes before each entry (brace or comma, line break, indent), in one write.
    const FIRST: &[u8] = b"{\n                ";
    const NEXT: &[u8] = b",\n                ";
    let before = depth * 2 + 4;
    let mut empty = true;
    for (key, v) in entries {
        let start = if empty { FIRST } else { NEXT };
        out.write_all(start.get(..before).unwrap_or(start))?;
        empty = false;
        json_string(out, key.as_ref())?;
        out.write_all(b": ")?;
        value(out, v)?;
    }
    if empty {
        return out.write_all(b"{}");
    }
    out.write_all(b"\n")?;
    out.write_all(SPACES.get(..depth * 2).unwrap_or_default())?;
    out.write_all(b"}")
}

/// `text` as a JSON string: escaped as `serde_json` escapes it (quote, backslash, C0), and
/// every other unsafe character as `\uXXXX` too (as [`awsctx_core::text::escape_json`] does to
/// a whole document): nothing a terminal acts on reaches it raw.
fn json_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    // Most values are plain ASCII: one write.
    if text.bytes().all(|b| (b' '..0x7f).contains(&b) && b != b'"' && b != b'\\') {
        out.write_all(text.as_bytes())?;
        return out.write_all(b"\"");
    }
    let mut written = 0;
    for (i, c) in text.char_indices() {
        let short: &[u8] = match c {
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\u{8}' => b"\\b",
            '\u{c}' => b"\\f",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            c if is_unsafe(c) => b"",
            _ => continue,
        };
        out.write_all(text.as_bytes().get(written..i).unwrap_or_default())?;
        if short.is_empty() {
            // All of them are in the Basic Multilingual Plane: one escape each is exact.
            write!(out, "\\u{:04x}", u32::from(c))?;
        } else {
            out.write_all(short)?;
        }
        written = i + c.len_utf8();
    }
    out.write_all(text.as_bytes().get(written..).unwrap_or_default())?;
    out.write_all(b"\"")
}

/// The widest a column of the table grows, in characters: a longer cell is cut, with `…`
/// (`--json` has every value whole). One hostile value must not pad every row to its width.
const MAX_COLUMN: usize = 64;

/// Padding for a cell, cut to length (a column is at most [`MAX_COLUMN`] wide, plus its gap).
const SPACES: &str = "                                                                    ";

/// `cell` escaped and cut to [`MAX_COLUMN`] characters, and its width.
fn fit(cell: &str) -> (Cow<'_, str>, usize) {
    // Nearly every cell: short printable ASCII, one byte a column, nothing to escape.
    if cell.len() <= MAX_COLUMN && cell.bytes().all(|b| (b' '..0x7f).contains(&b)) {
        return (Cow::Borrowed(cell), cell.len());
    }
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
        r.region.unwrap_or("-"),
        r.login.unwrap_or("-"),
    ]
}

fn shown_name<'a>(r: &Row<'a>) -> Option<Cow<'a, str>> {
    r.account_name.map(awsctx_core::text::escape)
}

/// The table, a line at a time into `out` (a whole table of 10 000 rows would be a megabyte
/// held only to be copied out).
fn write_table(out: &mut impl Write, rows: &[Row<'_>], current: Option<&str>) -> io::Result<()> {
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
    let mut line = String::with_capacity(widths.iter().sum::<usize>() + 16);
    let mut write_line = |marker: &str, row: [&str; 7], style: Option<nu_ansi_term::Style>| {
        line.clear();
        line.push_str(marker);
        for (i, (cell, width)) in row.into_iter().zip(widths).enumerate() {
            if i == 3 && !with_names {
                continue;
            }
            let (cell, cell_width) = fit(cell);
            line.push_str(&cell);
            if i + 1 < row.len() {
                // By hand: `{:<width$}` costs a formatter call per cell, 60 000 of them.
                let mut pad = width.saturating_sub(cell_width) + 2;
                while pad > 0 {
                    let spaces = SPACES.get(..pad).unwrap_or(SPACES);
                    line.push_str(spaces);
                    pad -= spaces.len();
                }
            }
        }
        line.truncate(line.trim_end().len());
        match style {
            Some(style) => out.write_all(paint.style(style, &line).as_bytes())?,
            None => out.write_all(line.as_bytes())?,
        }
        out.write_all(b"\n")
    };
    write_line("  ", HEADERS, Some(nu_ansi_term::Style::new().dimmed()))?;
    for r in rows {
        let is_current = current == Some(r.profile.name());
        let style = if is_current { Some(Color::Green.bold()) } else { None };
        let name = shown_name(r);
        write_line(if is_current { "* " } else { "  " }, cells(r, name.as_deref()), style)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::json_string;

    proptest::proptest! {
        #[test]
        fn json_strings_are_serde_json_strings_with_unsafe_characters_escaped(
            text in "[a\"\\\\\u{0}-\u{1f}\u{7f}-\u{a0}\u{200e}\u{202e}\u{2028}é€😀]{0,12}"
        ) {
            let mut ours = Vec::new();
            json_string(&mut ours, &text).unwrap();
            let theirs = awsctx_core::text::escape_json(serde_json::to_string(&text).unwrap());
            proptest::prop_assert_eq!(String::from_utf8(ours).unwrap(), theirs);
        }
    }
}
