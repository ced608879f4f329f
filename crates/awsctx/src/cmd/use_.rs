//! Switch this shell to a profile, switch back, unset, print the current one, the picker; and
//! [`Session`], the switcher glue that `hook-env`, `pin` and `allow`/`deny` share: read the
//! shell's state, find the binding, fetch keys, print the shell code and the one-line report.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use clap::CommandFactory as _;
use std::time::Duration;

use anyhow::Context as _;
use awsctx_core::binding::{Pins, TrustStore};
use awsctx_core::cache::RoleCredentials;
use awsctx_core::config::{Config, ProfileKind};
use awsctx_core::file::write_atomic;
use awsctx_core::shell::{EnvChange, Shell, render};
use awsctx_core::switch::{
    Action, ActiveBinding, ExportMode, ProfileEnv, Resolution, ShellState, Skipped,
    managed_changes, pins_list, refresh_due, resolve_binding, var,
};
use awsctx_login::provider::{
    CredentialProvider, LoginTarget, MfaError, ProviderError, ProviderSettings,
};
use jiff::Timestamp;
use nu_ansi_term::Color;

use crate::context::Context;
use crate::ui;

/// Bare `awsctx` with its flags: `PROFILE`, `-`, `-u`, `-c`, or nothing (list / picker).
pub(crate) fn run_bare(
    profile: Option<&str>,
    unset: bool,
    current: bool,
    ctx: &Context,
) -> anyhow::Result<ExitCode> {
    if current {
        return print_current(ctx);
    }
    if unset {
        let mut session = Session::hooked(ctx, "awsctx -u")?;
        let binding = session.resolve(false)?;
        let pwd = session.pwd.clone();
        let action = session.state.unset(&pwd, binding.as_ref());
        if action == Action::Stay {
            ui::notice("nothing to unset: awsctx has not changed this shell");
        }
        return session.finish(&action, Trigger::Command);
    }
    match profile {
        Some(name) => switch(ctx, name),
        None => list_or_pick(ctx),
    }
}

/// `awsctx use PROFILE`.
pub(crate) fn run(args: &crate::cli::UseArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    switch(ctx, &args.profile)
}

fn switch(ctx: &Context, name: &str) -> anyhow::Result<ExitCode> {
    let mut session = Session::hooked(ctx, &format!("awsctx {name}"))?;
    let target = if name == "-" {
        session.state.prev.clone().ok_or_else(|| {
            ui::error(
                "no previous profile in this shell",
                "`awsctx PROFILE` switches; `awsctx -` then switches back",
            )
        })?
    } else {
        name.to_owned()
    };
    require_profile(ctx, &target)?;
    let binding = session.resolve(false)?;
    let pwd = session.pwd.clone();
    let action = session.state.choose(&pwd, binding.as_ref(), &target);
    let code = session.finish(&action, Trigger::Command)?;
    record_history(ctx, &target);
    Ok(code)
}

/// The profile must exist: one line, and a hint with the nearest name (a typo of a profile or
/// of a command), else `list`.
pub(crate) fn require_profile(ctx: &Context, name: &str) -> anyhow::Result<()> {
    if ctx.has_profile(name)? {
        return Ok(());
    }
    let commands = crate::cli::Cli::command();
    let hint = match closest(name, commands.get_subcommands().map(clap::Command::get_name)) {
        Some(command) => format!("did you mean the command `awsctx {command}`?"),
        None => match closest(name, ctx.profile_names()?.into_iter()) {
            Some(profile) => format!("did you mean `{profile}`? `awsctx list` shows the profiles"),
            None => "`awsctx list` shows the profiles; `awsctx populate --sso-session NAME` generates them"
                .to_owned(),
        },
    };
    Err(ui::error(
        format!("profile `{name}` not found in the AWS config or credentials file"),
        hint,
    ))
}

/// The candidate nearest to `typed`: the same but for case, or at most two edits away.
fn closest<'a>(typed: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let typed_lower = typed.to_lowercase();
    candidates
        .map(|c| (if c.to_lowercase() == typed_lower { 0 } else { edit_distance(typed, c) }, c))
        .filter(|(d, _)| *d <= if typed.chars().count() <= 5 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance by characters, a swap of two neighbours counting as one edit (`lsit`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

fn print_current(ctx: &Context) -> anyhow::Result<ExitCode> {
    let state = ShellState::from_env(&ctx.env);
    let current = state
        .profile
        .or_else(|| ctx.env.get("AWS_PROFILE").map(str::to_owned))
        .or_else(|| ctx.env.get("AWS_DEFAULT_PROFILE").map(str::to_owned));
    match current {
        Some(profile) => {
            crate::print_stdout(&format!("{profile}\n"));
            Ok(ExitCode::SUCCESS)
        }
        None => Err(ui::error("no profile in this shell", "`awsctx PROFILE` switches to one")),
    }
}

/// The hook's instructions for the user's shell, from `$SHELL`.
pub(crate) fn hook_hint(ctx: &Context) -> String {
    let shell = ctx.env.get("SHELL").and_then(|s| Path::new(s).file_name()?.to_str());
    match shell {
        Some("fish") => "add `awsctx hook fish | source` to ~/.config/fish/config.fish".to_owned(),
        Some("zsh") => "add `eval \"$(awsctx hook zsh)\"` to ~/.zshrc".to_owned(),
        _ => "add `eval \"$(awsctx hook bash)\"` to ~/.bashrc".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Listing and picking

fn list_or_pick(ctx: &Context) -> anyhow::Result<ExitCode> {
    let names = ctx.config()?.profile_names();
    let hooked = ctx.env.get(var::SHELL).is_some();
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !hooked || !interactive {
        let current = ShellState::from_env(&ctx.env)
            .profile
            .or_else(|| ctx.env.get("AWS_PROFILE").map(str::to_owned));
        let mut out = String::new();
        for name in &names {
            let mark = if current.as_deref() == Some(*name) { "* " } else { "  " };
            out.push_str(mark);
            out.push_str(name);
            out.push('\n');
        }
        if hooked {
            // Inside the hook's function stdout is evaluated: the list goes to stderr.
            let _ = std::io::stderr().lock().write_all(out.as_bytes());
        } else {
            crate::print_stdout(&out);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let ordered = recent_first(&load_history(ctx), &names);
    match pick(&ordered)? {
        Some(choice) => switch(ctx, &choice),
        // Cancelled: quiet, and 130 as fzf and shells say for an interrupt.
        None => Ok(ExitCode::from(130)),
    }
}

/// `names` with the recently used ones first (most recent first), the rest in config order.
fn recent_first(history: &[String], names: &[&str]) -> Vec<String> {
    let mut out: Vec<String> =
        history.iter().filter(|h| names.contains(&h.as_str())).cloned().collect();
    out.extend(names.iter().filter(|n| !history.iter().any(|h| h == *n)).map(|n| (*n).to_owned()));
    out
}

/// Let the user choose: `fzf` when installed, else a line-based filter on the terminal.
fn pick(names: &[String]) -> anyhow::Result<Option<String>> {
    if names.is_empty() {
        return Err(ui::error(
            "there are no profiles to choose from",
            "`awsctx configure sso` writes one; `awsctx populate --sso-session NAME` writes many",
        ));
    }
    match pick_with_fzf(names) {
        Ok(choice) => Ok(choice),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => pick_builtin(names),
        Err(err) => Err(err).context("running `fzf`"),
    }
}

fn pick_with_fzf(names: &[String]) -> std::io::Result<Option<String>> {
    let mut child = std::process::Command::new("fzf")
        .args(["--height=40%", "--reverse", "--no-multi", "--prompt=profile> "])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // fzf may exit before reading everything (a quick ESC): not an error.
        let _ = stdin.write_all(names.join("\n").as_bytes());
    }
    let out = child.wait_with_output()?;
    let choice = String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_owned();
    Ok((out.status.success() && !choice.is_empty()).then_some(choice))
}

/// The built-in picker: numbered matches on the terminal, type to filter, a number to choose.
fn pick_builtin(names: &[String]) -> anyhow::Result<Option<String>> {
    const SHOWN: usize = 15;
    let tty = fs_err::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let mut input = std::io::BufReader::new(tty.try_clone()?);
    let mut out = tty;
    let mut filter = String::new();
    loop {
        let terms: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        let matches: Vec<&String> = names
            .iter()
            .filter(|n| terms.iter().all(|t| n.to_lowercase().contains(t.as_str())))
            .collect();
        if matches.len() == 1 && !filter.is_empty() {
            return Ok(Some(matches[0].clone()));
        }
        for (i, name) in matches.iter().take(SHOWN).enumerate() {
            writeln!(out, "{:>3}  {name}", i + 1)?;
        }
        if matches.len() > SHOWN {
            writeln!(out, "     … {} more: type to filter", matches.len() - SHOWN)?;
        }
        if matches.is_empty() {
            writeln!(out, "no profile matches `{filter}`")?;
        }
        write!(out, "profile (text filters, number picks, empty cancels)> ")?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim();
        if line.is_empty() {
            return Ok(None);
        }
        if let Ok(n) = line.parse::<usize>()
            && let Some(name) = n.checked_sub(1).and_then(|i| matches.get(i))
            && n <= SHOWN
        {
            return Ok(Some((*name).clone()));
        }
        line.clone_into(&mut filter);
    }
}

fn history_path(ctx: &Context) -> anyhow::Result<PathBuf> {
    Ok(ctx.state_dir()?.path().join("history.json"))
}

/// Recently used profiles, most recent first. A missing or damaged file is an empty history.
fn load_history(ctx: &Context) -> Vec<String> {
    history_path(ctx)
        .ok()
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Put `profile` first in the history. Best effort: a switch never fails for its history.
fn record_history(ctx: &Context, profile: &str) {
    const KEEP: usize = 100;
    let Ok(path) = history_path(ctx) else { return };
    let mut history = load_history(ctx);
    history.retain(|p| p != profile);
    history.insert(0, profile.to_owned());
    history.truncate(KEEP);
    if let Ok(mut bytes) = serde_json::to_vec(&history) {
        bytes.push(b'\n');
        let _ = write_atomic(&path, &bytes, 0o600, true);
    }
}

// ---------------------------------------------------------------------------------------------
// The session: one run of the switcher against one shell's state

/// A failed refresh is tried again after this many seconds.
const RETRY_SECS: i64 = 60;

/// Why the switcher runs: the user's command (reports always), or the hook (reports once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    Command,
    Hook,
}

/// One shell's switcher state, read from the environment, and what this run changes.
pub(crate) struct Session<'a> {
    ctx: &'a Context,
    shell: Shell,
    pub(crate) pwd: PathBuf,
    before: ShellState,
    pub(crate) state: ShellState,
    mode: ExportMode,
    now: Timestamp,
    /// Statements to run after the variables change (fish's refresh timer).
    extra: String,
    /// Why an explicit switch got no keys: the switch happens (the old keys must go), then
    /// this is the command's error, so `awsctx prod && terraform plan` stops.
    key_failure: Option<anyhow::Error>,
}

impl<'a> Session<'a> {
    /// For a command run through the hook's `awsctx` function (`_AWSCTX_SHELL` set); without
    /// the hook, `what` is an error with the set-up line as its hint.
    pub(crate) fn hooked(ctx: &'a Context, what: &str) -> anyhow::Result<Self> {
        let Some(name) = ctx.env.get(var::SHELL) else {
            return Err(ui::error(
                format!("`{what}` changes the current shell, which needs the awsctx hook"),
                hook_hint(ctx),
            ));
        };
        let shell: Shell = name.parse()?;
        Self::new(ctx, shell, Trigger::Command)
    }

    /// Whether a command runs through the hook's function.
    pub(crate) fn is_hooked(ctx: &Context) -> bool {
        ctx.env.get(var::SHELL).is_some()
    }

    pub(crate) fn new(ctx: &'a Context, shell: Shell, trigger: Trigger) -> anyhow::Result<Self> {
        let mut state = ShellState::from_env(&ctx.env);
        let mode = match ExportMode::from_env(&ctx.env) {
            Ok(mode) => mode,
            Err(err) if trigger == Trigger::Hook => {
                // A prompt never fails: say it once, export both.
                if state.warn_once("export-mode") {
                    ui::notice(&format!("{err}; exporting both"));
                }
                ExportMode::Both
            }
            Err(err) => return Err(ui::error(err.to_string(), "unset it, or set it to `both`")),
        };
        Ok(Self {
            ctx,
            shell,
            pwd: current_dir(ctx)?,
            before: state.clone(),
            state,
            mode,
            now: Timestamp::now(),
            extra: String::new(),
            key_failure: None,
        })
    }

    /// The binding that applies here, with `_AWSCTX_PINS` brought up to date. Bindings passed
    /// over are reported: by the hook once per shell, for a command always.
    pub(crate) fn resolve(&mut self, hook: bool) -> anyhow::Result<Option<ActiveBinding>> {
        let state_dir = self.ctx.state_dir()?;
        let pins = state_dir.load_pins()?;
        let trust = state_dir.load_trust()?;
        let resolution = self.resolve_with(&pins, &trust)?;
        self.state.pins = Some(pins_list(&pins));
        for skipped in &resolution.skipped {
            let first = skipped.marker().is_none_or(|m| self.state.warn_once(&m));
            if first || !hook {
                report_skipped(skipped);
            }
        }
        Ok(resolution.binding)
    }

    fn resolve_with(&self, pins: &Pins, trust: &TrustStore) -> anyhow::Result<Resolution> {
        let mut config_error = None;
        let resolution = resolve_binding(&self.pwd, pins, trust, |profile| {
            match self.ctx.has_profile(profile) {
                Ok(found) => found,
                Err(err) => {
                    config_error.get_or_insert(err);
                    false
                }
            }
        });
        match config_error {
            // A binding was found but the config cannot say whether its profile exists.
            Some(err) => Err(err),
            None => Ok(resolution),
        }
    }

    /// Carry out `action`, print the shell code on stdout and the report on stderr. From the
    /// hook an error is reported once and the state still moves on (a prompt never retries a
    /// failing run on every prompt).
    /// Apply `action`, print the shell code, and give the exit code: failure when an explicit
    /// switch got no keys (the switch itself still happens).
    pub(crate) fn finish(mut self, action: &Action, trigger: Trigger) -> anyhow::Result<ExitCode> {
        let changes = match self.apply(action, trigger) {
            Ok(changes) => changes,
            Err(err) if trigger == Trigger::Hook => {
                self.report_error_once(&err);
                Vec::new()
            }
            Err(err) => return Err(err),
        };
        let failure = self.key_failure.take();
        self.print(&changes)?;
        Ok(failure.map_or(ExitCode::SUCCESS, |err| ui::report(&err)))
    }

    /// One line for an error the hook met, once per shell per message.
    pub(crate) fn report_error_once(&mut self, err: &anyhow::Error) {
        let message = format!("{err:#}").replace('\n', " ");
        if self.state.warn_once(&format!("error:{message}")) {
            ui::notice(&format!("error: {message}"));
        }
    }

    /// The state has changed (or not) without a switch: print what differs.
    pub(crate) fn print(mut self, changes: &[EnvChange]) -> anyhow::Result<()> {
        self.state.pwd = Some(self.pwd.clone());
        if self.shell == Shell::Fish {
            self.fish_timer();
        }
        let mut all = changes.to_vec();
        all.extend(self.state.changes_since(&self.before));
        let mut code = render(self.shell, &all)?;
        code.push_str(&self.extra);
        crate::print_stdout(&code);
        Ok(())
    }

    /// The statements for `action`, with the state updated.
    fn apply(&mut self, action: &Action, trigger: Trigger) -> anyhow::Result<Vec<EnvChange>> {
        match action {
            Action::Stay => {
                let due = self.state.due.is_some_and(|due| due <= self.now.as_second());
                let Some(profile) = self.state.profile.clone().filter(|_| due) else {
                    return Ok(Vec::new());
                };
                // The user exported another `AWS_PROFILE` by hand since: theirs now, so no
                // refresh puts ours back.
                let exported = self.ctx.env.get("AWS_PROFILE");
                if self.mode != ExportMode::Keys && exported != Some(profile.as_str()) {
                    self.state.due = None;
                    return Ok(Vec::new());
                }
                self.switch_to(&profile, None, Trigger::Hook)
            }
            Action::Switch { profile, origin } => self.switch_to(profile, Some(*origin), trigger),
            Action::Restore => {
                let old = self.state.profile.clone();
                let changes = self.state.restored(&self.ctx.env);
                if let Some(old) = old {
                    ui::notice(&format!("{old} unset: the shell's own AWS settings are back"));
                }
                Ok(changes)
            }
        }
    }

    /// Switch to (or, with `origin` `None`, refresh) `profile`: keys, variables, report.
    fn switch_to(
        &mut self,
        profile: &str,
        origin: Option<awsctx_core::switch::Origin>,
        trigger: Trigger,
    ) -> anyhow::Result<Vec<EnvChange>> {
        let config = self.ctx.profile_config(profile)?;
        let facts = ProfileFacts::of(config, profile);
        let keys = if self.mode.wants_keys() {
            fetch_keys(self.ctx, config, profile, trigger)
        } else {
            Keys::NotWanted
        };
        let refresh = origin.is_none();
        if let Some(origin) = origin {
            self.state.switched(&self.ctx.env, profile, origin);
        }
        let saved = self.state.saved.clone().unwrap_or_default();
        let got = match &keys {
            Keys::Got(creds) => Some(creds),
            _ => None,
        };
        let target = ProfileEnv { profile, region: facts.region.as_deref(), keys: got };
        let changes = managed_changes(self.mode, &target, &saved, &self.ctx.env);
        self.state.due = match &keys {
            Keys::Got(k) => k.expiration.map(|exp| refresh_due(exp, self.now, RETRY_SECS)),
            // Try again in a minute, not at every prompt.
            Keys::Unreachable { .. } => Some(self.now.as_second() + RETRY_SECS),
            _ => None,
        };
        if let Some(session) = &facts.session
            && got.is_some()
        {
            // Logged in again: a later expiry is news again.
            self.state.forget_warnings(&format!("expired:{session}"));
        }
        if !refresh {
            self.report_switch(profile, &facts, &keys);
        }
        self.report_keys(profile, &keys, trigger);
        Ok(changes)
    }

    fn report_switch(&self, profile: &str, facts: &ProfileFacts, keys: &Keys) {
        let account = match keys {
            Keys::Got(k) => k.account_id.clone().or_else(|| facts.account.clone()),
            _ => facts.account.clone(),
        };
        let mut parts = vec![display(profile)];
        parts.extend(account.as_deref().map(display));
        parts.extend(facts.role.as_deref().map(display));
        parts.extend(facts.region.as_deref().map(display));
        match keys {
            Keys::Got(k) => parts.extend(k.expiration.map(|exp| time_left(exp, self.now))),
            Keys::NotWanted => {}
            _ => parts.push("no keys".to_owned()),
        }
        let line = parts.join(" · ");
        let paint = ui::Paint::stderr();
        let prod = looks_like_production(&self.ctx.env, profile, account.as_deref(), facts);
        let line =
            if prod && paint.enabled() { paint.style(Color::Red.bold(), &line) } else { line };
        ui::notice(&line);
    }

    fn report_keys(&mut self, profile: &str, keys: &Keys, trigger: Trigger) {
        if trigger == Trigger::Command {
            self.key_failure = match keys {
                Keys::Got(_) | Keys::NotWanted => None,
                Keys::LoginRequired { login, reason, .. } => Some(ui::error(
                    format!("no keys for `{profile}`: {reason}"),
                    format!("run `{login}`, then `awsctx {profile}` again"),
                )),
                Keys::Unreachable { reason } | Keys::Missing { reason } => Some(ui::error(
                    format!("no keys for `{profile}`: {reason}"),
                    "`awsctx doctor` checks the set-up",
                )),
            };
            return;
        }
        let (marker, line) = match keys {
            Keys::Got(_) | Keys::NotWanted => return,
            Keys::Unreachable { reason } => (
                format!("unreachable:{profile}"),
                format!("no keys for `{profile}` yet: {reason} (trying again in a minute)"),
            ),
            Keys::LoginRequired { session, .. } => (
                format!("expired:{session}"),
                format!("SSO session \"{session}\" expired — run awsctx login"),
            ),
            Keys::Missing { reason } => {
                (format!("nokeys:{profile}"), format!("no keys for `{profile}`: {reason}"))
            }
        };
        if self.state.warn_once(&marker) || trigger == Trigger::Command {
            ui::notice(&line);
        }
    }

    /// fish has no clock: arm one timer that signals the shell when keys are due (and disarm
    /// the previous one), so a prompt never has to look at the time.
    fn fish_timer(&mut self) {
        let disarm = "set -q _awsctx_timer; and command kill $_awsctx_timer 2>/dev/null; \
                      set -e _awsctx_timer\n";
        match self.state.due {
            Some(due) => {
                let secs = (due - self.now.as_second()).max(1);
                self.extra.push_str(disarm);
                // The timer checks that its parent is still this shell before signalling, so
                // a reused pid is never hit after the shell is gone.
                let _ = write!(
                    self.extra,
                    "command sh -c 'sleep \"$1\"; [ \"$(ps -o ppid= -p $$ | tr -d \" \")\" = \"$2\" ] && kill -USR1 \"$2\"' sh {secs} $fish_pid </dev/null >/dev/null 2>&1 &\n\
                     set -g _awsctx_timer $last_pid\n\
                     disown $last_pid 2>/dev/null\n"
                );
            }
            None if self.before.due.is_some() => self.extra.push_str(disarm),
            None => {}
        }
    }
}

/// The shell's directory: `$PWD` (the logical path the hook compares) when it is this
/// process's directory, else the physical one.
pub(crate) fn current_dir(ctx: &Context) -> anyhow::Result<PathBuf> {
    let physical = std::env::current_dir().context("reading the current directory")?;
    if let Some(pwd) = ctx.env.get("PWD").map(PathBuf::from)
        && pwd.is_absolute()
        && pwd.components().collect::<PathBuf>() == pwd
        && !pwd.components().any(|c| c == std::path::Component::ParentDir)
        && same_dir(&pwd, &physical)
    {
        return Ok(pwd);
    }
    Ok(physical)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn report_skipped(skipped: &Skipped) {
    let line = match skipped {
        Skipped::Untrusted { path, profile } => format!(
            "`{}` (profile `{}`) is not allowed yet — run `awsctx allow` to trust it",
            path.display(),
            display(profile)
        ),
        Skipped::Denied { .. } => return,
        Skipped::UnknownProfile { file: Some(file), profile, .. } => format!(
            "`{}` names profile `{}`, which is not in the config — `awsctx list` shows the profiles",
            file.display(),
            display(profile)
        ),
        Skipped::UnknownProfile { root, file: None, profile } => format!(
            "the pin at `{}` names profile `{}`, which is not in the config — run `awsctx pin PROFILE` there",
            root.display(),
            display(profile)
        ),
        Skipped::Unreadable { reason, .. } => format!("{reason} — fix or remove it"),
    };
    ui::notice(&line);
}

/// `text` safe for a terminal line: control characters escaped.
fn display(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.escape_debug().to_string()
    } else {
        text.to_owned()
    }
}

fn time_left(expiration: Timestamp, now: Timestamp) -> String {
    let secs = expiration.as_second() - now.as_second();
    if secs <= 0 {
        return "expired".to_owned();
    }
    let minutes = secs / 60;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "<1m left".to_owned(),
        (0, m) => format!("{m}m left"),
        (h, 0) => format!("{h}h left"),
        (h, m) => format!("{h}h {m}m left"),
    }
}

/// `AWSCTX_PROD_PATTERN` (default `prod`): comma- or space-separated; an item with `*` or `?`
/// is a glob over the whole name, any other item a substring; case does not matter. Matched
/// against the profile name, the account id and the account name (`sso_account_name`).
fn looks_like_production(
    env: &awsctx_core::env::Env,
    profile: &str,
    account: Option<&str>,
    facts: &ProfileFacts,
) -> bool {
    let patterns = match env.iter().find(|(k, _)| *k == "AWSCTX_PROD_PATTERN") {
        Some((_, value)) => value.to_owned(),
        None => "prod".to_owned(),
    };
    let candidates = [Some(profile), account, facts.account_name.as_deref()];
    patterns.split([',', ' ']).filter(|p| !p.is_empty()).any(|pattern| {
        let pattern = pattern.to_lowercase();
        candidates.iter().flatten().any(|c| {
            let c = c.to_lowercase();
            if pattern.contains(['*', '?']) { glob(&pattern, &c) } else { c.contains(&pattern) }
        })
    })
}

/// `*` and `?` over chars.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

// ---------------------------------------------------------------------------------------------
// Keys

/// What the config says about a profile, for the report line.
#[derive(Debug, Default)]
pub(crate) struct ProfileFacts {
    pub(crate) account: Option<String>,
    pub(crate) account_name: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) region: Option<String>,
    /// The SSO session (or legacy start URL) whose login gives the keys.
    pub(crate) session: Option<String>,
}

impl ProfileFacts {
    pub(crate) fn of(config: &Config, profile: &str) -> Self {
        let p = config.profile(profile);
        let mut facts = Self {
            region: p.and_then(|p| p.get("region")).map(str::to_owned),
            account_name: p.and_then(|p| p.get("sso_account_name")).map(str::to_owned),
            ..Self::default()
        };
        match config.kind(profile) {
            Ok(ProfileKind::Sso { session, account_id, role_name }) => {
                facts.account = Some(account_id);
                facts.role = Some(role_name);
                facts.session = Some(session.name);
            }
            Ok(ProfileKind::LegacySso { start_url, account_id, role_name, .. }) => {
                facts.account = Some(account_id);
                facts.role = Some(role_name);
                facts.session = Some(start_url);
            }
            Ok(ProfileKind::AssumeRole { role_arn, .. }) => {
                // arn:aws:iam::ACCOUNT:role/path/NAME
                let mut parts = role_arn.splitn(6, ':');
                facts.account = parts.nth(4).filter(|a| !a.is_empty()).map(str::to_owned);
                facts.role = role_arn.rsplit('/').next().map(str::to_owned);
            }
            Ok(ProfileKind::Static { account_id, .. }) => facts.account = account_id,
            _ => {}
        }
        facts
    }
}

/// The outcome of asking for a profile's keys.
#[derive(Debug)]
pub(crate) enum Keys {
    Got(RoleCredentials),
    /// `AWSCTX_EXPORT=profile`: keys are not exported.
    NotWanted,
    /// The SSO login behind the profile has expired (or there is none).
    LoginRequired {
        session: String,
        /// The command that fixes it: `awsctx login --sso-session S` (or `--profile P`).
        login: String,
        /// Why, in the provider's words: "SSO session `corp` is not logged in".
        reason: String,
    },
    /// Keys cannot be had, and why (one line).
    Missing {
        reason: String,
    },
    /// The network or a lock failed: worth another try in a minute.
    Unreachable {
        reason: String,
    },
}

/// How long the hook may wait on the network or on another process's fetch.
const HOOK_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
const HOOK_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const HOOK_LOCK_DEADLINE: Duration = Duration::from_secs(5);

/// A profile's keys: the one place that knows where keys come from (the credential provider:
/// cache, then a token refresh and the SSO portal, the profile's own keys, its
/// `credential_process`). Never a browser. From the hook, network calls and lock waits are
/// short, so a prompt is never held up for long.
pub(crate) fn fetch_keys(ctx: &Context, config: &Config, profile: &str, trigger: Trigger) -> Keys {
    let (settings, deadline) = match provider_settings(ctx, profile, trigger)
        .and_then(|s| Ok((s, ctx.lock_deadline()?)))
    {
        Ok(found) => found,
        Err(err) => return Keys::Missing { reason: format!("{err:#}") },
    };
    let mut provider = CredentialProvider::new(config, &ctx.env, settings)
        .with_lock_deadline(deadline)
        .on_lock_wait(|wait| ui::notice(&wait.to_string()));
    if trigger == Trigger::Hook {
        // A prompt never waits on the keyboard: an MFA role's keys come from the cache or
        // from an explicit `awsctx PROFILE`.
        provider = provider
            .with_lock_deadline(deadline.min(HOOK_LOCK_DEADLINE))
            .with_mfa_prompt(|_| Err(MfaError::NotAsked));
    }
    match provider.credentials(profile) {
        Ok(found) => Keys::Got(found.credentials),
        Err(ProviderError::LoginRequired { target, reason }) => Keys::LoginRequired {
            login: target.login_command(),
            reason: format!("{target} {reason}"),
            session: match target {
                LoginTarget::Session(name) | LoginTarget::Profile(name) => name,
            },
        },
        Err(err @ (ProviderError::Network(_) | ProviderError::Lock(_))) => {
            // Keys that are old but not yet expired still work meanwhile.
            match provider.cached(profile) {
                Ok(Some(old))
                    if old.credentials.expiration.is_some_and(|e| e > Timestamp::now()) =>
                {
                    Keys::Got(old.credentials)
                }
                _ => Keys::Unreachable { reason: err.to_string() },
            }
        }
        Err(err) => Keys::Missing { reason: err.to_string() },
    }
}

fn provider_settings(
    ctx: &Context,
    profile: &str,
    trigger: Trigger,
) -> anyhow::Result<ProviderSettings> {
    let mut http = ctx.http_settings(Some(profile))?;
    if trigger == Trigger::Hook {
        http.request_timeout = http.request_timeout.min(HOOK_REQUEST_TIMEOUT);
        http.connect_timeout = http.connect_timeout.min(HOOK_CONNECT_TIMEOUT);
        http.max_attempts = http.max_attempts.min(2);
    }
    Ok(ProviderSettings {
        home: ctx.home()?,
        state_dir: ctx.state_dir()?,
        http,
        allow_network: true,
    })
}

#[cfg(test)]
mod typo_tests {
    use super::closest;

    #[test]
    fn typos_of_commands_and_profiles_find_their_nearest_name() {
        let names = ["list", "login", "status"];
        assert_eq!(closest("lsit", names.into_iter()), Some("list"));
        assert_eq!(
            closest("Prod-ReadOnly", ["prod-readonly", "dev"].into_iter()),
            Some("prod-readonly")
        );
        assert_eq!(
            closest("dev", ["prod", "staging"].into_iter()),
            None,
            "short names need a near match"
        );
        assert_eq!(
            closest("payments-prod-admin", ["payments-prod-admn"].into_iter()),
            Some("payments-prod-admn")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_is_short() {
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(time_left(at("2030-01-01T00:59:30Z"), now), "59m left");
        assert_eq!(time_left(at("2030-01-01T02:05:00Z"), now), "2h 5m left");
        assert_eq!(time_left(at("2030-01-01T00:00:20Z"), now), "<1m left");
        assert_eq!(time_left(at("2029-01-01T00:00:00Z"), now), "expired");
    }

    #[test]
    fn production_pattern_matches_substrings_and_globs_case_blind() {
        let facts = ProfileFacts::default();
        let env = |p: &str| awsctx_core::env::Env::from_pairs([("AWSCTX_PROD_PATTERN", p)]);
        let default = awsctx_core::env::Env::default();
        assert!(looks_like_production(&default, "Prod-ReadOnly", None, &facts));
        assert!(!looks_like_production(&default, "dev", None, &facts));
        assert!(looks_like_production(&env("live, *-prd"), "app-prd", None, &facts));
        assert!(!looks_like_production(&env("*-prd"), "app-prd-x", None, &facts));
        assert!(looks_like_production(&env("4444*"), "x", Some("444455556666"), &facts));
        assert!(!looks_like_production(&env(""), "prod", None, &facts));
    }

    #[test]
    fn recent_profiles_come_first_and_forgotten_ones_drop_out() {
        let history = vec!["b".to_owned(), "gone".to_owned(), "c".to_owned()];
        assert_eq!(recent_first(&history, &["a", "b", "c", "d"]), ["b", "c", "a", "d"]);
    }
}
