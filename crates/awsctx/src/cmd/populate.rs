//! `awsctx populate --sso-session S`: one profile per account and role the login can reach,
//! written inside a managed block of `~/.aws/config` (one block per session, its markers
//! naming the session). Populate owns the headers and the keys it writes there; every other
//! line, in the block or out, stays the user's. Everything is decided (token, listing, plan)
//! before the one write, which goes through the config editor (atomic, locked, backup kept).

mod plan;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::generated::block_id;
use awsctx_core::config::{
    Config, ConfigDocument, EditError, ProfileSource, SESSION_DEFAULT_REGION,
};
use awsctx_core::text::{Untrusted, escape_line};
use clap::error::ErrorKind;
use nu_ansi_term::Color;

use self::plan::{Outside, Plan, Settings};
use crate::cli::PopulateArgs;
use crate::context::Context;
use crate::generated::access::{self, SessionPortal};
use crate::generated::names::Template;
use crate::ui::{self, Paint, usage_error};

/// Names listed in one report line before "and N more".
const LIST_LIMIT: usize = 10;

pub(crate) fn run(args: &PopulateArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let template = match Template::parse(&args.template) {
        Ok(template) => template,
        Err(err) => usage_error(&["populate"], ErrorKind::InvalidValue, &err.to_string()),
    };
    if let Some(region) = &args.region
        && !is_region(region)
    {
        usage_error(
            &["populate"],
            ErrorKind::InvalidValue,
            &format!("`{region}` is not a region name (e.g. `us-east-1`)"),
        );
    }
    let config = ctx.config()?;
    let sessions: Vec<&str> = config.sso_session_sections().map(|s| s.name()).collect();
    let session_name = match (&args.sso_session, sessions.as_slice()) {
        (Some(name), _) => name.as_str(),
        (None, [only]) => only,
        (None, []) => usage_error(
            &["populate"],
            ErrorKind::MissingRequiredArgument,
            "no `[sso-session]` in the AWS config: `awsctx configure sso` sets one up",
        ),
        (None, many) => usage_error(
            &["populate"],
            ErrorKind::MissingRequiredArgument,
            &format!(
                "which SSO session? pass `--sso-session` with one of {}",
                many.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
        ),
    };
    let session = config.sso_session(session_name).map_err(|err| {
        ui::error(
            err.to_string(),
            format!("`awsctx configure sso --sso-session {session_name}` creates it"),
        )
    })?;
    let default_region = session_default_region(config, session_name)?;
    // A broken block is reported before any request is made.
    read_block(&config.paths.config, &block_id(session_name))?;
    let portal = SessionPortal::open(ctx, &session)?;

    let mut progress = Progress::new(session_name);
    let listed =
        awsctx_login::run_blocking(portal.access(|done, total| progress.draw(done, total)));
    progress.finish();
    let access = listed??;
    if !args.dry_run {
        remember_account_names(ctx, &access);
    }

    // Read the file only now, after the (slow) listing: the editor refuses to save over a
    // change made since it was read.
    let path = config.paths.config.clone();
    let block_id = block_id(session_name);
    let (document, old_block) = read_block(&path, &block_id)?;
    let outside = outside_block(&document, &block_id, config, session_name)?;
    let settings = Settings {
        session: session_name,
        template: &template,
        prefix: &args.prefix,
        region: args.region.as_deref(),
        default_region: default_region.as_deref(),
        prune: args.prune,
    };
    let plan = plan::plan(&access, &settings, old_block.as_deref(), &outside)?;

    let mut updated = document.clone();
    updated.set_managed_block(&block_id, &plan.profiles)?;
    let (before, after) = (document.text(), updated.text());

    let backup = ConfigDocument::backup_path(&path);
    report_details(session_name, &plan, (!args.dry_run).then_some(backup.as_path()));
    if args.dry_run {
        crate::print_stdout(&unified_diff(&before, &after, &path, Paint::stdout()));
        ui::notice(&format!(
            "populate {session_name} (dry run): {}; nothing written",
            counts(&plan)
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if before != after {
        updated.save(&path).map_err(|err| match err {
            EditError::ChangedOnDisk { .. } => {
                ui::error(err.to_string(), "run `awsctx populate` again")
            }
            other => other.into(),
        })?;
    }
    ui::notice(&format!("populate {session_name}: {}", counts(&plan)));
    if before == after {
        ui::notice(&format!("populate {session_name}: `{}` already up to date", path.display()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Keep the portal's account names in awsctx's state, so the pickers and `list` find profiles
/// by them (the config stays the AWS CLI's: no keys of ours in the profiles). A name is a help:
/// failing to keep it is said, never fatal.
fn remember_account_names(ctx: &Context, access: &[access::AccountAccess]) {
    let kept = ctx.state_dir().and_then(|state| {
        Ok(state.update_account_names(|names| {
            for entry in access {
                if let Some(name) = &entry.account.account_name {
                    names.insert(&entry.account.account_id, name);
                }
            }
        })?)
    });
    if let Err(err) = kept {
        ui::notice(&format!("warning: account names not kept: {err:#}"));
    }
}

/// The config file as a document, and the current content of the block.
fn read_block(path: &Path, block_id: &str) -> anyhow::Result<(ConfigDocument, Option<String>)> {
    let document = ConfigDocument::load(path)?;
    let block = document.managed_block(block_id).map_err(|err| {
        ui::error(
            format!("`{}`: {err}", path.display()),
            "fix the marker lines (or delete the block between them) and run populate again",
        )
    })?;
    Ok((document, block))
}

/// What is defined anywhere but in this session's block (the rest of the config file, other
/// sessions' blocks included, and the credentials file): profile names, and the account ×
/// role each profile gives through `session`.
fn outside_block(
    document: &ConfigDocument,
    block_id: &str,
    config: &Config,
    session: &str,
) -> anyhow::Result<Outside> {
    let mut rest = document.clone();
    rest.set_managed_block(block_id, &[])?;
    let without_block = Config::parse(&rest.text(), "", config.paths.clone())?;
    let mut outside = Outside::default();
    for profile in without_block.profiles() {
        if let (Some(id), Some(role)) =
            (profile.get("sso_account_id"), profile.get("sso_role_name"))
            && profile.get("sso_session") == Some(session)
        {
            let by = profile.name().to_owned();
            outside.access.entry((id.to_owned(), role.to_owned())).or_insert(by);
        }
    }
    outside.names = without_block.profiles().map(|p| p.name().to_owned()).collect();
    outside.names.extend(
        config
            .profiles()
            .filter(|p| matches!(p.source(), ProfileSource::Credentials | ProfileSource::Both))
            .map(|p| p.name().to_owned()),
    );
    Ok(outside)
}

/// The default region `configure sso` kept for `session`, checked.
fn session_default_region(config: &Config, session: &str) -> anyhow::Result<Option<String>> {
    let Some(value) = config
        .sso_session_section(session)
        .and_then(|s| s.get(SESSION_DEFAULT_REGION))
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    if !is_region(value) {
        return Err(ui::error(
            format!(
                "`{SESSION_DEFAULT_REGION} = {}` in `[sso-session {session}]` is not a region name",
                Untrusted(value)
            ),
            format!(
                "fix it in `{}`, or run `awsctx configure sso --sso-session {session} --region REGION`",
                config.paths.config.display()
            ),
        ));
    }
    Ok(Some(value.to_owned()))
}

/// `412 profiles (3 added, 1 removed, 408 unchanged)`; updates only when there are some.
fn counts(plan: &Plan) -> String {
    let total = plan.added.len() + plan.updated.len() + plan.unchanged;
    let updated = if plan.updated.is_empty() {
        String::new()
    } else {
        format!(", {} updated", plan.updated.len())
    };
    format!(
        "{total} profile{} ({} added{updated}, {} removed, {} unchanged)",
        if total == 1 { "" } else { "s" },
        plan.added.len(),
        plan.removed.len(),
        plan.unchanged
    )
}

/// What the user should know beyond the counts: skipped, covered, kept, pruned, renamed,
/// settings removed with their profile (`backup` keeps them), refused.
fn report_details(session: &str, plan: &Plan, backup: Option<&Path>) {
    for skipped in plan.skipped.iter().take(LIST_LIMIT) {
        ui::notice(&format!(
            "populate {session}: skipped `{}` ({} {}): a profile of that name is defined outside the managed block",
            skipped.name, skipped.account_id, skipped.role_name
        ));
    }
    if plan.skipped.len() > LIST_LIMIT {
        ui::notice(&format!(
            "populate {session}: skipped {} more profiles whose names are defined outside the managed block",
            plan.skipped.len() - LIST_LIMIT
        ));
    }
    for covered in plan.covered.iter().take(LIST_LIMIT) {
        ui::notice(&format!(
            "populate {session}: no new profile for {} {}: profile `{}` gives it already",
            covered.account_id,
            covered.role_name,
            Untrusted(&covered.by)
        ));
    }
    if plan.covered.len() > LIST_LIMIT {
        ui::notice(&format!(
            "populate {session}: no new profile for {} more roles that profiles outside the managed block give already",
            plan.covered.len() - LIST_LIMIT
        ));
    }
    if !plan.kept.is_empty() {
        ui::notice(&format!(
            "populate {session}: kept {} profile{} for access that is gone: {} (`--prune` removes them)",
            plan.kept.len(),
            if plan.kept.len() == 1 { "" } else { "s" },
            name_list(&plan.kept)
        ));
    }
    if !plan.pruned.is_empty() {
        ui::notice(&format!(
            "populate {session}: pruned {} profile{} for access that is gone: {}",
            plan.pruned.len(),
            if plan.pruned.len() == 1 { "" } else { "s" },
            name_list(&plan.pruned)
        ));
    }
    if !plan.renamed.is_empty() {
        let renames: Vec<String> = plan
            .renamed
            .iter()
            .map(|(old, new)| format!("{} → {}", Untrusted(old), Untrusted(new)))
            .collect();
        ui::notice(&format!(
            "populate {session}: renamed {} profile{}, your settings with them: {}",
            plan.renamed.len(),
            if plan.renamed.len() == 1 { "" } else { "s" },
            name_list(&renames)
        ));
    }
    for lost in plan.lost.iter().take(LIST_LIMIT) {
        let keys: Vec<String> = lost.keys.iter().map(|k| Untrusted(k).to_string()).collect();
        let kept = backup.map_or_else(String::new, |b| format!("; `{}` keeps them", b.display()));
        ui::notice(&format!(
            "populate {session}: removed `{}` with settings of yours: {}{kept}",
            Untrusted(&lost.profile),
            name_list(&keys)
        ));
    }
    if plan.lost.len() > LIST_LIMIT {
        ui::notice(&format!(
            "populate {session}: removed {} more profiles with settings of yours",
            plan.lost.len() - LIST_LIMIT
        ));
    }
    for refused in &plan.refused {
        ui::notice(&format!("populate {session}: ignored {refused}"));
    }
}

fn name_list(names: &[String]) -> String {
    let mut out: Vec<String> = names.iter().take(LIST_LIMIT).map(|n| format!("`{n}`")).collect();
    if names.len() > LIST_LIMIT {
        out.push(format!("and {} more", names.len() - LIST_LIMIT));
    }
    out.join(", ")
}

/// A region name as the SDKs accept it: lower-case letters, digits and dashes.
fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 64
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The change as a unified diff, coloured when `paint` says so.
fn unified_diff(before: &str, after: &str, path: &Path, paint: Paint) -> String {
    let name = path.display().to_string();
    let diff = similar::TextDiff::from_lines(before, after);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&name, &format!("{name} (populated)"))
        .to_string();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        // The config's own line ends (CRLF too) stay; anything else it holds is escaped.
        let body = line.trim_end_matches(['\n', '\r']);
        let end = &line[body.len()..];
        let body = escape_line(body);
        let style = if body.starts_with("+++") || body.starts_with("---") {
            Some(Color::Default.bold())
        } else if body.starts_with('+') {
            Some(Color::Green.normal())
        } else if body.starts_with('-') {
            Some(Color::Red.normal())
        } else if body.starts_with("@@") {
            Some(Color::Cyan.normal())
        } else {
            None
        };
        match style {
            Some(style) if paint.enabled() => out.push_str(&paint.style(style, &body)),
            _ => out.push_str(&body),
        }
        out.push_str(end);
    }
    out
}

/// `accounts done / total` on stderr, on a terminal only, redrawn at most 20 times a second.
struct Progress {
    session: String,
    enabled: bool,
    drawn: Option<Instant>,
}

impl Progress {
    const WIDTH: usize = 30;

    fn new(session: &str) -> Self {
        let enabled = std::io::stderr().is_terminal();
        Self { session: session.to_owned(), enabled, drawn: None }
    }

    fn draw(&mut self, done: usize, total: usize) {
        if !self.enabled {
            return;
        }
        if done != total && self.drawn.is_some_and(|at| at.elapsed() < Duration::from_millis(50)) {
            return;
        }
        self.drawn = Some(Instant::now());
        let filled = (done * Self::WIDTH).checked_div(total).unwrap_or(Self::WIDTH);
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(Self::WIDTH - filled));
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2Kawsctx: populate {}: [{bar}] {done}/{total} accounts",
            self.session
        );
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.enabled && self.drawn.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_is_plain_without_colour_and_names_the_file() {
        let diff = unified_diff("a\nb\n", "a\nc\n", Path::new("/h/.aws/config"), Paint::stdout());
        // Tests never run with stdout on a terminal.
        assert_eq!(
            diff,
            "--- /h/.aws/config\n+++ /h/.aws/config (populated)\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
        );
    }

    #[test]
    fn regions_are_checked() {
        assert!(is_region("us-east-1"));
        assert!(!is_region("us east"));
        assert!(!is_region("x #y"));
        assert!(!is_region(""));
    }

    #[test]
    fn counts_read_like_the_summary_line() {
        let plan = Plan {
            added: vec!["a".into(); 3],
            removed: vec!["r".into()],
            unchanged: 408,
            ..Plan::default()
        };
        assert_eq!(counts(&plan), "411 profiles (3 added, 1 removed, 408 unchanged)");
    }
}
