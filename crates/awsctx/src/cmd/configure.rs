//! `awsctx configure sso`: the AWS CLI's wizard. It asks (on a terminal) for what no flag gave:
//! session name, start URL, SSO region, scopes, then lists the accounts (in the AWS CLI's
//! order) and the roles of the chosen one, with a type-to-filter picker, and writes the
//! `[profile NAME]` and `[sso-session NAME]` sections in the AWS CLI's order, updating them in
//! place when they exist. Without a terminal (or with `--non-interactive`) every value comes
//! from a flag, the session's existing section, or a default; a missing one is a usage error.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write as _};
use std::path::Path;
use std::process::ExitCode;

use awsctx_core::cache::SsoToken;
use awsctx_core::config::parse::is_identifier;
use awsctx_core::config::{ConfigDocument, SectionName, SsoSession};
use awsctx_login::portal::Account;
use awsctx_login::provider::LoginSession;
use clap::error::ErrorKind;

use super::populate::access::{
    SessionPortal, is_account_id, is_role_name, sort_accounts_as_cli, sort_roles_as_cli,
};
use super::populate::usage_error;
use crate::cli::{ConfigureSsoArgs, LoginArgs};
use crate::context::Context;
use crate::ui;

/// The scope the AWS CLI registers when none is given.
const DEFAULT_SCOPES: &str = "sso:account:access";

/// Entries a picker shows at once; the rest are reached by filtering.
const PICKER_ROWS: usize = 20;

pub(crate) fn run_sso(args: &ConfigureSsoArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let interactive = !args.non_interactive && std::io::stdin().is_terminal();
    let mut ask = Prompter { interactive };
    let session = ask_session(args, ctx, &mut ask)?;
    let path = ctx.config()?.paths.config.clone();

    let sso = session.as_sso_session();
    let (token, session_written_for_login) = match token_for(ctx, &sso)? {
        Some(token) => (token, false),
        None => first_login(args, ctx, &session, &path)?,
    };
    let portal = SessionPortal::with_token(ctx, &sso, token.access_token)?;
    let (account, role) = ask_account_and_role(args, &portal, &mut ask)?;

    let region = ask.optional(args.region.as_deref(), "Default client Region", check_region)?;
    let output = ask.optional(
        args.output.as_deref(),
        "CLI default output format (json if not specified)",
        check_output,
    )?;
    let default_name = format!("{role}-{account}");
    let profile = ask.value(
        args.profile.as_deref(),
        "--profile",
        "Profile name",
        Some(&default_name),
        |v| check_name(v, "a profile name"),
    )?;

    let mut document = ConfigDocument::load(&path)?;
    if session_written_for_login {
        // Written only so that the login could read it: moved after the profile, where the
        // AWS CLI puts a new session.
        document.remove_section(&SectionName::SsoSession(session.name.clone()))?;
    }
    let profile_section = if profile == "default" {
        SectionName::Default
    } else {
        SectionName::Profile(profile.clone())
    };
    let mut profile_keys = vec![
        ("sso_session", session.name.as_str()),
        ("sso_account_id", account.as_str()),
        ("sso_role_name", role.as_str()),
    ];
    profile_keys.extend(region.as_deref().map(|r| ("region", r)));
    profile_keys.extend(output.as_deref().map(|o| ("output", o)));
    for (key, value) in profile_keys {
        document.set(&profile_section, key, value)?;
    }
    // A legacy profile turned modern: these keys beside `sso_session` are an error to the SDKs.
    for key in ["sso_start_url", "sso_region"] {
        document.remove(&profile_section, key)?;
    }
    session.write(&mut document)?;
    document.save(&path)?;
    ui::notice(&format!(
        "wrote `{}` and `[sso-session {}]` to `{}`",
        profile_section.header(),
        session.name,
        path.display()
    ));
    ui::notice(&format!("switch to it with `awsctx {profile}`"));
    Ok(ExitCode::SUCCESS)
}

/// A usable token of `session` (refreshed if due), `None` when a login is needed: no token,
/// an expired or refused one, or one for another start URL.
fn token_for(ctx: &Context, session: &SsoSession) -> anyhow::Result<Option<SsoToken>> {
    match ctx.provider(None, true)?.sso_token(&LoginSession::Session(session.clone()), None) {
        Ok(token) if token.start_url.as_deref().is_none_or(|url| url == session.start_url) => {
            Ok(Some(token))
        }
        Ok(_) => Ok(None),
        Err(error) if error.login_command().is_some() => Ok(None),
        Err(error) => Err(crate::credentials::user_error(error)),
    }
}

/// Write the session (the login reads it from the config), log in unless told not to
/// interact, and give the new token, and whether the session section is new.
fn first_login(
    args: &ConfigureSsoArgs,
    ctx: &Context,
    session: &SessionValues,
    path: &Path,
) -> anyhow::Result<(SsoToken, bool)> {
    let mut document = ConfigDocument::load(path)?;
    let is_new = !document.has_section(&SectionName::SsoSession(session.name.clone()));
    session.write(&mut document)?;
    document.save(path)?;
    let name = &session.name;
    if args.non_interactive {
        return Err(ui::error(
            format!(
                "not logged in to SSO session `{name}`; `[sso-session {name}]` is written to `{}`",
                path.display()
            ),
            format!("run `awsctx login --sso-session {name}`, then `awsctx configure sso` again"),
        ));
    }
    log_in(args, ctx, name)?;
    let token = token_for(&Context::new(ctx.env.clone()), &session.as_sso_session())?
        .ok_or_else(|| anyhow::anyhow!("the login left no token for SSO session `{name}`"))?;
    Ok((token, is_new))
}

/// `awsctx login --sso-session NAME` (with this wizard's `--use-device-code` and
/// `--no-browser`), on a fresh context so that it reads the session just written.
fn log_in(args: &ConfigureSsoArgs, ctx: &Context, name: &str) -> anyhow::Result<()> {
    let login = LoginArgs {
        sso_session: Some(name.to_owned()),
        profile: None,
        use_device_code: args.use_device_code,
        no_browser: args.no_browser,
    };
    let code = super::login::run(&login, &Context::new(ctx.env.clone()))?;
    if code != ExitCode::SUCCESS {
        anyhow::bail!("the login to SSO session `{name}` did not succeed");
    }
    Ok(())
}

/// The `[sso-session]` to write.
struct SessionValues {
    name: String,
    start_url: String,
    region: String,
    scopes: String,
}

impl SessionValues {
    fn as_sso_session(&self) -> SsoSession {
        SsoSession {
            name: self.name.clone(),
            start_url: self.start_url.clone(),
            region: self.region.clone(),
            registration_scopes: self.scopes.split(',').map(str::to_owned).collect(),
        }
    }

    /// Set its keys, in the AWS CLI's order, updating the section in place if it exists.
    fn write(&self, document: &mut ConfigDocument) -> anyhow::Result<()> {
        let section = SectionName::SsoSession(self.name.clone());
        document.set(&section, "sso_start_url", &self.start_url)?;
        document.set(&section, "sso_region", &self.region)?;
        document.set(&section, "sso_registration_scopes", &self.scopes)?;
        Ok(())
    }
}

/// Session name, start URL, region and scopes; an existing section gives the defaults.
fn ask_session(
    args: &ConfigureSsoArgs,
    ctx: &Context,
    ask: &mut Prompter,
) -> anyhow::Result<SessionValues> {
    let config = ctx.config()?;
    let name =
        ask.value(args.sso_session.as_deref(), "--sso-session", "SSO session name", None, |v| {
            check_name(v, "an SSO session name")
        })?;
    let existing = config.sso_sessions.get(&name);
    let existing_value =
        |key: &str| existing.and_then(|s| s.get(key)).filter(|v| !v.is_empty()).map(str::to_owned);
    let start_url = ask.value(
        args.start_url.as_deref(),
        "--start-url",
        "SSO start URL",
        existing_value("sso_start_url").as_deref(),
        check_start_url,
    )?;
    let region = ask.value(
        args.sso_region.as_deref(),
        "--sso-region",
        "SSO region",
        existing_value("sso_region").as_deref(),
        check_region,
    )?;
    let scopes = ask.value(
        args.scopes.as_deref(),
        "--scopes",
        "SSO registration scopes",
        Some(existing_value("sso_registration_scopes").as_deref().unwrap_or(DEFAULT_SCOPES)),
        check_scopes,
    )?;
    Ok(SessionValues { name, start_url, region, scopes: normalise_scopes(&scopes) })
}

/// The account (sorted as the AWS CLI sorts them) and then the role.
fn ask_account_and_role(
    args: &ConfigureSsoArgs,
    portal: &SessionPortal,
    ask: &mut Prompter,
) -> anyhow::Result<(String, String)> {
    let session = portal.session.as_str();
    let mut accounts: Vec<Account> = awsctx_login::run_blocking(portal.accounts())??
        .into_iter()
        .filter(|a| is_account_id(&a.account_id))
        .collect();
    sort_accounts_as_cli(&mut accounts);
    let account = ask.choose(
        args.account_id.as_deref(),
        "--account-id",
        &Choices {
            what: "AWS account",
            ids: accounts.iter().map(|a| a.account_id.clone()).collect(),
            labels: accounts.iter().map(account_label).collect(),
        },
        session,
    )?;
    if ask.interactive {
        ui::notice(&format!("using the account ID {account}"));
    }

    let mut roles: Vec<String> = awsctx_login::run_blocking(portal.roles(&account))??
        .into_iter()
        .filter(|r| is_role_name(r))
        .collect();
    sort_roles_as_cli(&mut roles);
    let role = ask.choose(
        args.role_name.as_deref(),
        "--role-name",
        &Choices { what: "role", ids: roles.clone(), labels: roles },
        session,
    )?;
    if ask.interactive {
        ui::notice(&format!("using the role name \"{role}\""));
    }
    Ok((account, role))
}

/// `Name, email (id)`, as the AWS CLI lists accounts.
fn account_label(account: &Account) -> String {
    let name = account.account_name.as_deref().unwrap_or(&account.account_id);
    match account.email_address.as_deref() {
        Some(email) => format!("{name}, {email} ({})", account.account_id),
        None => format!("{name} ({})", account.account_id),
    }
}

/// What a picker chooses from: ids (what is written) with their labels (what is shown).
struct Choices {
    what: &'static str,
    ids: Vec<String>,
    labels: Vec<String>,
}

/// Asks on stderr and reads stdin, or, when not interactive, fails on what is missing.
struct Prompter {
    interactive: bool,
}

impl Prompter {
    /// A value from its flag, else (on a terminal) a prompt, else `default`; a value that
    /// fails `check` is asked again on a terminal and an error otherwise.
    fn value(
        &mut self,
        flag_value: Option<&str>,
        flag: &str,
        label: &str,
        default: Option<&str>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> anyhow::Result<String> {
        if let Some(value) = flag_value {
            let value = value.trim();
            if let Err(reason) = check(value) {
                usage_error(
                    &["configure", "sso"],
                    ErrorKind::InvalidValue,
                    &format!("`{flag}`: {reason}"),
                );
            }
            return Ok(value.to_owned());
        }
        if !self.interactive {
            if let Some(default) = default {
                return Ok(default.to_owned());
            }
            missing(flag);
        }
        loop {
            let shown = default.unwrap_or("None");
            let answer = read_answer(&format!("{label} [{shown}]: "))?;
            let answer = if answer.is_empty() { default.unwrap_or_default() } else { &answer };
            if answer.is_empty() {
                continue;
            }
            match check(answer) {
                Ok(()) => return Ok(answer.to_owned()),
                Err(reason) => ui::notice(&reason),
            }
        }
    }

    /// A value that may stay unset (region, output): empty on the prompt means unset.
    fn optional(
        &mut self,
        flag_value: Option<&str>,
        label: &str,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> anyhow::Result<Option<String>> {
        if let Some(value) = flag_value {
            let value = value.trim();
            if let Err(reason) = check(value) {
                usage_error(&["configure", "sso"], ErrorKind::InvalidValue, &reason);
            }
            return Ok(Some(value.to_owned()));
        }
        if !self.interactive {
            return Ok(None);
        }
        loop {
            let answer = read_answer(&format!("{label} [None]: "))?;
            if answer.is_empty() {
                return Ok(None);
            }
            match check(&answer) {
                Ok(()) => return Ok(Some(answer)),
                Err(reason) => ui::notice(&reason),
            }
        }
    }

    /// One of `choices`: the flag's value (which must be among them), the only one there is,
    /// or the user's pick.
    fn choose(
        &mut self,
        flag_value: Option<&str>,
        flag: &str,
        choices: &Choices,
        session: &str,
    ) -> anyhow::Result<String> {
        let what = choices.what;
        if choices.ids.is_empty() {
            return Err(ui::error(
                format!("SSO session `{session}` has no {what} to offer"),
                "ask the administrator of IAM Identity Center for access",
            ));
        }
        if let Some(value) = flag_value {
            return match choices.ids.iter().find(|id| *id == value.trim()) {
                Some(id) => Ok(id.clone()),
                None => Err(ui::error(
                    format!(
                        "{what} `{value}` is not among the {} SSO session `{session}` can reach",
                        choices.ids.len()
                    ),
                    format!(
                        "run `awsctx configure sso` on a terminal to pick one, or check `{flag}`"
                    ),
                )),
            };
        }
        if choices.ids.len() == 1 {
            if self.interactive {
                ui::notice(&format!("the only {what} available to you is: {}", choices.labels[0]));
            }
            return Ok(choices.ids[0].clone());
        }
        if !self.interactive {
            missing(flag);
        }
        pick(choices)
    }
}

/// The line-based type-to-filter picker: shows up to `PICKER_ROWS` matches; a number picks
/// from them, an exact id picks that one, other text filters (case-insensitive substring),
/// Enter picks the only match.
fn pick(choices: &Choices) -> anyhow::Result<String> {
    let what = choices.what;
    let mut filter = String::new();
    ui::notice(&format!("there are {} {what}s available to you", choices.ids.len()));
    loop {
        let needle = filter.to_lowercase();
        let shown: Vec<usize> = (0..choices.ids.len())
            .filter(|&i| needle.is_empty() || choices.labels[i].to_lowercase().contains(&needle))
            .collect();
        let mut list = String::new();
        for (n, &i) in shown.iter().take(PICKER_ROWS).enumerate() {
            let _ = writeln!(list, "  {:>2}) {}", n + 1, choices.labels[i]);
        }
        if shown.len() > PICKER_ROWS {
            let _ = writeln!(list, "  ... {} more: type to filter", shown.len() - PICKER_ROWS);
        }
        if shown.is_empty() {
            let _ = writeln!(list, "  no {what} matches `{filter}`");
        }
        eprint_flush(&list);
        let answer = read_answer(&format!("{what} (number, or text to filter): "))?;
        if answer.is_empty() {
            if let [only] = shown[..] {
                return Ok(choices.ids[only].clone());
            }
            filter.clear();
            continue;
        }
        if let Some(&i) = answer
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .filter(|&n| n < PICKER_ROWS)
            .and_then(|n| shown.get(n))
        {
            return Ok(choices.ids[i].clone());
        }
        if let Some(id) = choices.ids.iter().find(|id| **id == answer) {
            return Ok(id.clone());
        }
        filter = answer;
    }
}

/// Ask on stderr, read one line from stdin (trimmed). End of input is an error.
fn read_answer(prompt: &str) -> anyhow::Result<String> {
    eprint_flush(prompt);
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line)?;
    if read == 0 {
        anyhow::bail!("input ended before the wizard was done");
    }
    Ok(line.trim().to_owned())
}

fn eprint_flush(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

fn missing(flag: &str) -> ! {
    usage_error(
        &["configure", "sso"],
        ErrorKind::MissingRequiredArgument,
        &format!("`{flag}` is required when not on a terminal (or with `--non-interactive`)"),
    )
}

fn check_name(value: &str, what: &str) -> Result<(), String> {
    if is_identifier(value) {
        Ok(())
    } else {
        Err(format!("`{value}` is not {what}: use `A-Za-z0-9_-/.%@:+`"))
    }
}

fn check_start_url(value: &str) -> Result<(), String> {
    let ok = (value.starts_with("https://") || value.starts_with("http://"))
        && value.len() > "https://".len()
        && !value.contains(|c: char| c.is_whitespace() || c == '#' || c == ';');
    if ok { Ok(()) } else { Err(format!("`{value}` is not a start URL (`https://…/start`)")) }
}

fn check_region(value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok { Ok(()) } else { Err(format!("`{value}` is not a region name (e.g. `us-east-1`)")) }
}

fn check_output(value: &str) -> Result<(), String> {
    if ["json", "yaml", "yaml-stream", "text", "table"].contains(&value) {
        Ok(())
    } else {
        Err(format!("`{value}` is not an output format: json, yaml, yaml-stream, text or table"))
    }
}

fn check_scopes(value: &str) -> Result<(), String> {
    let scopes: Vec<&str> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let ok = !scopes.is_empty()
        && scopes.iter().all(|s| s.bytes().all(|b| b.is_ascii_graphic() && b != b'#' && b != b';'));
    if ok { Ok(()) } else { Err(format!("`{value}` is not a comma-separated list of scopes")) }
}

/// `a, b` → `a,b`: written as the AWS CLI writes a list it was given.
fn normalise_scopes(value: &str) -> String {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_labelled_as_the_aws_cli_lists_them() {
        let account = Account {
            account_id: "111".into(),
            account_name: Some("dev".into()),
            email_address: Some("a@b".into()),
        };
        assert_eq!(account_label(&account), "dev, a@b (111)");
    }

    #[test]
    fn values_are_checked() {
        assert!(check_start_url("https://d-1.awsapps.com/start").is_ok());
        assert!(check_start_url("d-1.awsapps.com").is_err());
        assert!(check_start_url("https://x/start #c").is_err());
        assert!(check_scopes("sso:account:access, x").is_ok());
        assert!(check_scopes(" , ").is_err());
        assert_eq!(normalise_scopes("a , b,,c"), "a,b,c");
        assert!(check_output("json").is_ok() && check_output("xml").is_err());
        assert!(check_name("corp", "x").is_ok() && check_name("a b", "x").is_err());
    }
}
