//! Switch this shell to a profile, switch back, unset, print the current one, the picker; and
//! [`Session`], the switcher glue that `hook-env`, `pin` and `allow`/`deny` share: read the
//! shell's state, find the binding, fetch keys, print the shell code and the one-line report.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use clap::CommandFactory as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use awsctx_core::binding::{Pins, TrustStore};
use awsctx_core::cache::RoleCredentials;
use awsctx_core::config::{Config, ProfileKind};
use awsctx_core::file::{read_private, write_private};
use awsctx_core::lookup::{AccountNames, Identity};
use awsctx_core::shell::{EnvChange, Shell, render};
use awsctx_core::switch::{
    Action, ActiveBinding, ExportMode, KnownProfile, ProfileEnv, Resolution, STATE_BOUND,
    ShellState, Skipped, managed_changes, pins_list, refresh_due, resolve_binding, var,
};
use awsctx_core::text::{Untrusted, escape, escape_line};
use awsctx_login::provider::{
    CredentialProvider, LoginTarget, MfaError, ProviderError, ProviderSettings,
};
use jiff::Timestamp;
use nu_ansi_term::Color;

use crate::context::Context;
use crate::target::Usage;
use crate::ui;

/// Bare `awsctx` with its flags: `PROFILE`, `-`, `-u`, `-c`, `--region` (with a profile, or
/// alone), or nothing (list / picker).
pub(crate) fn run_bare(cli: &crate::cli::Cli, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (profile, unset, current) = (cli.profile.as_deref(), cli.unset, cli.current);
    let region = cli.region.as_deref();
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
    match (profile, region) {
        (Some(name), _) => switch(ctx, name, region),
        (None, Some(region)) => switch_region(ctx, region),
        (None, None) => list_or_pick(ctx),
    }
}

/// `awsctx use PROFILE [--region R]`.
pub(crate) fn run(args: &crate::cli::UseArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    switch(ctx, &args.profile, args.region.as_deref())
}

/// `awsctx --region R` alone: the profile in effect stays, in region R.
fn switch_region(ctx: &Context, region: &str) -> anyhow::Result<ExitCode> {
    let mut session = Session::hooked(ctx, &format!("awsctx --region {region}"))?;
    let Some(profile) = session.state.profile.clone() else {
        return Err(ui::error(
            "awsctx has no profile in this shell to change the region of",
            format!("`awsctx PROFILE --region {region}` switches to a profile in that region"),
        ));
    };
    let binding = session.resolve(false)?;
    let pwd = session.pwd.clone();
    let action = session.state.choose(&pwd, binding.as_ref(), &profile, Some(region));
    session.finish(&action, Trigger::Command)
}

/// Switch to what `name` means (`-`: the previous profile, in its region unless `region`
/// says otherwise).
fn switch(ctx: &Context, name: &str, region: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut session = Session::hooked(ctx, &format!("awsctx {}", escape(name)))?;
    let (target, region) = if name == "-" {
        let prev = session.state.prev.clone().ok_or_else(|| {
            ui::error(
                "no previous profile in this shell",
                "`awsctx PROFILE` switches; `awsctx -` then switches back",
            )
        })?;
        require_profile(ctx, &prev)?;
        (prev, region.map(str::to_owned).or_else(|| session.state.prev_region.clone()))
    } else {
        (crate::target::profile_for(ctx, name, Usage::Switch)?, region.map(str::to_owned))
    };
    crate::guard::confirm(ctx, &target, "switching")?;
    let binding = session.resolve(false)?;
    let pwd = session.pwd.clone();
    let action = session.state.choose(&pwd, binding.as_ref(), &target, region.as_deref());
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
    let names = ctx.profile_names()?;
    let hint = match closest(name, commands.get_subcommands().map(clap::Command::get_name)) {
        Some(command) => format!("did you mean the command `awsctx {command}`?"),
        None => match closest(name, names.iter().map(String::as_str)) {
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
            // Often shown in a prompt (`$(awsctx -c)`): escaped like every other line.
            crate::print_stdout(&format!("{}\n", escape_line(&profile)));
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
        Some("nu") => {
            "add `awsctx hook nu | save -f ~/.awsctx.nu` to env.nu and `source ~/.awsctx.nu` to config.nu"
                .to_owned()
        }
        _ => "add `eval \"$(awsctx hook bash)\"` to ~/.bashrc".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Listing and picking

fn list_or_pick(ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let names: Vec<&str> = config.profiles().map(|p| p.name()).collect();
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
            out.push_str(&escape_line(name));
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
    let accounts = crate::target::account_names(ctx);
    let choices: Vec<Choice> =
        ordered.iter().map(|name| Choice::of(config, name, &accounts)).collect();
    match pick(&choices)? {
        Some(choice) => switch(ctx, &choice, None),
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

/// One line of the picker: a profile and what it stands for, all of it searchable.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub(crate) name: String,
    /// Account id, account name and role, as far as known: `111122223333 app-dev Admin`.
    pub(crate) details: String,
}

impl Choice {
    pub(crate) fn of(config: &Config, name: &str, accounts: &AccountNames) -> Self {
        let identity = config.profile(name).map(|p| Identity::of(&p));
        let account = identity.and_then(|i| i.account);
        let parts = [
            account.map(Cow::Borrowed),
            account.and_then(|a| accounts.get(a)).map(escape),
            identity.and_then(|i| i.role).map(escape),
        ];
        let details = parts.into_iter().flatten().collect::<Vec<_>>().join("  ");
        Self { name: name.to_owned(), details }
    }
}

/// Let the user choose: `fzf` when installed, else a line-based filter on the terminal.
pub(crate) fn pick(choices: &[Choice]) -> anyhow::Result<Option<String>> {
    if choices.is_empty() {
        return Err(ui::error(
            "there are no profiles to choose from",
            "`awsctx configure sso` writes one; `awsctx populate --sso-session NAME` writes many",
        ));
    }
    match pick_with_fzf(choices) {
        Ok(choice) => Ok(choice),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => pick_builtin(choices),
        Err(err) => Err(err).context("running `fzf`"),
    }
}

/// fzf shows each choice escaped (a line of its own, drawn on the terminal): its name and what
/// it stands for, all searchable. Each line starts with the choice's index, which fzf hides and
/// gives back, so the choice is the name itself whatever its escaped form.
fn pick_with_fzf(choices: &[Choice]) -> std::io::Result<Option<String>> {
    let mut fzf = std::process::Command::new("fzf");
    // The hook's state (the user's saved keys) stays with awsctx.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with(var::PREFIX)) {
            fzf.env_remove(name);
        }
    }
    let mut child = fzf
        .args([
            "--height=40%",
            "--reverse",
            "--no-multi",
            "--prompt=profile> ",
            "--delimiter=\t",
            "--with-nth=2..",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        let mut lines = String::new();
        for (i, choice) in choices.iter().enumerate() {
            let _ = writeln!(lines, "{i}\t{}\t{}", escape_line(&choice.name), choice.details);
        }
        // fzf may exit before reading everything (a quick ESC): not an error.
        let _ = stdin.write_all(lines.as_bytes());
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Ok(None);
    }
    let chosen = String::from_utf8_lossy(&out.stdout);
    let index = chosen.split('\t').next().and_then(|i| i.trim().parse::<usize>().ok());
    Ok(index.and_then(|i| choices.get(i)).map(|c| c.name.clone()))
}

/// The built-in picker: numbered matches on the terminal, type to filter (by profile name,
/// account id, account name or role), a number to choose. Names are shown escaped, and the
/// filter matches what is shown.
fn pick_builtin(choices: &[Choice]) -> anyhow::Result<Option<String>> {
    const SHOWN: usize = 15;
    let tty = fs_err::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let mut input = std::io::BufReader::new(tty.try_clone()?);
    let mut out = tty;
    let names: Vec<String> = choices.iter().map(|c| escape_line(&c.name).into_owned()).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let shown: Vec<String> = names
        .iter()
        .zip(choices)
        .map(|(name, c)| format!("{name:<width$}  {}", c.details).trim_end().to_owned())
        .collect();
    let mut filter = String::new();
    loop {
        let terms: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        let matches: Vec<usize> = (0..shown.len())
            .filter(|&i| terms.iter().all(|t| shown[i].to_lowercase().contains(t.as_str())))
            .collect();
        if matches.len() == 1 && !filter.is_empty() {
            return Ok(Some(choices[matches[0]].name.clone()));
        }
        for (n, &i) in matches.iter().take(SHOWN).enumerate() {
            writeln!(out, "{:>3}  {}", n + 1, shown[i])?;
        }
        if matches.len() > SHOWN {
            writeln!(out, "     … {} more: type to filter", matches.len() - SHOWN)?;
        }
        if matches.is_empty() {
            writeln!(out, "no profile matches `{}`", escape_line(&filter))?;
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
        // What is typed filters first (`0012` finds `team-0012-…`); a number picks by position
        // only when it matches nothing, or after `#`.
        let (explicit, number) = match line.strip_prefix('#') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let typed = line.to_lowercase();
        if let Ok(n) = number.parse::<usize>()
            && (explicit || !shown.iter().any(|s| s.to_lowercase().contains(&typed)))
            && let Some(&i) = n.checked_sub(1).and_then(|i| matches.get(i))
            && n <= SHOWN
        {
            return Ok(Some(choices[i].name.clone()));
        }
        line.clone_into(&mut filter);
    }
}

fn history_path(ctx: &Context) -> anyhow::Result<PathBuf> {
    Ok(ctx.state_dir()?.path().join("history.json"))
}

/// Recently used profiles, most recent first. A missing, damaged or untrusted file is an
/// empty history.
fn load_history(ctx: &Context) -> Vec<String> {
    /// A hundred profile names; anything much larger is not ours.
    const MAX_BYTES: u64 = 1 << 20;
    history_path(ctx)
        .ok()
        .and_then(|path| read_private(&path, MAX_BYTES).ok().flatten())
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
        let _ = write_private(&path, &bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// The session: one run of the switcher against one shell's state

/// A failed refresh is tried again after this many seconds.
const RETRY_SECS: i64 = 60;

/// The most passed-over bindings one run names (the nearest ones).
const MAX_REPORTED: usize = 3;

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
    /// The line of the state directory's `changes` file when this run started.
    changes_seen: String,
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

    /// Pins, trust records or logins changed since this shell last looked (in another shell,
    /// say): keys in effect are looked at again now, as if due (a logout drops them, a new
    /// login brings them back).
    pub(crate) fn look_again_after_changes(&mut self) {
        let seen = self.state.seen.as_deref().unwrap_or_default();
        if self.state.changes.is_some() && seen != self.changes_seen && self.state.profile.is_some()
        {
            self.state.due = Some(self.now.as_second());
        }
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
            changes_seen: ctx.state_dir().map(|s| s.changes_seen()).unwrap_or_default(),
            extra: String::new(),
            key_failure: None,
        })
    }

    /// The binding that applies here, with `_AWSCTX_PINS` brought up to date. The nearest
    /// bindings passed over are reported: by the hook once per shell, for a command always.
    pub(crate) fn resolve(&mut self, hook: bool) -> anyhow::Result<Option<ActiveBinding>> {
        let state_dir = self.ctx.state_dir()?;
        let pins = state_dir.load_pins()?;
        let trust = state_dir.load_trust()?;
        let resolution = self.resolve_with(&pins, &trust)?;
        self.state.pins = Some(pins_list(&pins));
        // A repository can nest any number of files; the nearest are the ones to act on.
        let reported = resolution.skipped.iter().filter_map(|s| Some((s, s.marker()?)));
        for (skipped, marker) in reported.take(MAX_REPORTED) {
            if self.state.warn_once(&marker) || !hook {
                report_skipped(skipped);
            }
        }
        Ok(resolution.binding)
    }

    fn resolve_with(&self, pins: &Pins, trust: &TrustStore) -> anyhow::Result<Resolution> {
        let mut config_error = None;
        let resolution = resolve_binding(&self.pwd, pins, trust, |profile| {
            known_profile(self.ctx, profile).unwrap_or_else(|err| {
                config_error.get_or_insert(err);
                None
            })
        });
        match config_error {
            // A binding was found but the config cannot say whether its profile exists.
            Some(err) => Err(err),
            None => Ok(resolution),
        }
    }

    /// Apply `action`, print the shell code on stdout and the report on stderr, and give the
    /// exit code: failure when an explicit switch got no keys (the switch itself still
    /// happens). From the hook an error is reported once and the shell keeps what it had, with
    /// this directory marked as looked at: the next prompt neither retries nor repeats it.
    pub(crate) fn finish(mut self, action: &Action, trigger: Trigger) -> anyhow::Result<ExitCode> {
        let changes = match self.apply(action, trigger) {
            Ok(changes) => changes,
            Err(err) if trigger == Trigger::Hook => {
                self.keep_state_before();
                self.report_error_once(&err);
                Vec::new()
            }
            Err(err) => return Err(err),
        };
        let failure = self.key_failure.take();
        self.print(&changes)?;
        Ok(failure.map_or(ExitCode::SUCCESS, |err| ui::report(&err)))
    }

    /// Undo this run's decision (what it learnt stays: the messages it showed, the pin list);
    /// a refresh that was due is tried again in a minute, not at every prompt.
    fn keep_state_before(&mut self) {
        let (warned, pins) = (std::mem::take(&mut self.state.warned), self.state.pins.take());
        self.state = self.before.clone();
        self.state.warned = warned;
        self.state.pins = pins.or(self.state.pins.take());
        let now = self.now.as_second();
        if self.state.due.is_some_and(|due| due <= now) {
            self.state.due = Some(now + RETRY_SECS);
        }
    }

    /// One line for an error the hook met, once per shell for each message and directory.
    pub(crate) fn report_error_once(&mut self, err: &anyhow::Error) {
        let message = format!("{err:#}").replace('\n', " ");
        let marker = format!("error:{}\0{message}", self.pwd.display());
        if self.state.warn_once(&marker) {
            ui::notice(&format!("error: {message}"));
        }
    }

    /// The state has changed (or not) without a switch: print what differs.
    pub(crate) fn print(mut self, changes: &[EnvChange]) -> anyhow::Result<()> {
        self.state.pwd = Some(self.pwd.clone());
        if let Ok(state_dir) = self.ctx.state_dir() {
            self.state.changes = Some(state_dir.changes_path());
            self.state.seen = Some(std::mem::take(&mut self.changes_seen));
        }
        if self.shell == Shell::Fish {
            self.fish_timer();
        }
        let mut all = changes.to_vec();
        all.extend(self.state.changes_since(&self.before));
        let mut code = render(self.shell, &all)?;
        code.push_str(&self.extra);
        if self.shell == Shell::Bash && self.ctx.env.get(var::EPOCH).is_some() {
            // Re-anchor the fallback clock of a bash without `EPOCHSECONDS`.
            let _ = writeln!(code, "{}=$(({} - SECONDS))", var::EPOCH, self.now.as_second());
        }
        crate::print_stdout(&code);
        Ok(())
    }

    /// The statements for `action`, with the state updated.
    fn apply(&mut self, action: &Action, trigger: Trigger) -> anyhow::Result<Vec<EnvChange>> {
        match action {
            Action::Stay => {
                let due = self.state.due.is_some_and(|due| due <= self.now.as_second());
                let Some(profile) = self.state.profile.clone().filter(|_| due) else {
                    if due {
                        // Nothing in effect to refresh: not due again at every command.
                        self.state.due = None;
                    }
                    return Ok(Vec::new());
                };
                // The user exported another `AWS_PROFILE` by hand since: theirs now, so no
                // refresh puts ours back.
                let exported = self.ctx.env.get("AWS_PROFILE");
                if self.mode != ExportMode::Keys && exported != Some(profile.as_str()) {
                    self.state.due = None;
                    return Ok(Vec::new());
                }
                let region = self.state.region.clone();
                self.switch_to(&profile, None, region.as_deref(), Trigger::Hook)
            }
            Action::Switch { profile, origin, region } => {
                self.switch_to(profile, Some(*origin), region.as_deref(), trigger)
            }
            Action::Restore => {
                self.adopt_users_regions();
                let old = self.state.profile.clone();
                let changes = self.state.restored(&self.ctx.env);
                if let Some(old) = old {
                    ui::notice(&format!("{old} unset: the shell's own AWS settings are back"));
                }
                Ok(changes)
            }
        }
    }

    /// Switch to (or, with `origin` `None`, refresh) `profile` in `region` (`None`: the
    /// profile's own): keys, variables, report.
    fn switch_to(
        &mut self,
        profile: &str,
        origin: Option<awsctx_core::switch::Origin>,
        region: Option<&str>,
        trigger: Trigger,
    ) -> anyhow::Result<Vec<EnvChange>> {
        let config = self.ctx.profile_config(profile)?;
        let mut facts = ProfileFacts::of(config, profile);
        // awsctx sets the region variables only from the profile or an explicit choice.
        if let Some(region) = region {
            facts.region = Some(region.to_owned());
        }
        let keys = if self.mode.wants_keys() {
            fetch_keys(self.ctx, config, profile, trigger)
        } else {
            Keys::NotWanted
        };
        let refresh = origin.is_none();
        self.adopt_users_regions();
        if let Some(origin) = origin {
            self.state.switched(&self.ctx.env, profile, region, origin);
        }
        let saved = self.state.saved.clone().unwrap_or_default();
        let got = match &keys {
            Keys::Got(creds) | Keys::Later { old: Some(creds), .. } => Some(creds),
            _ => None,
        };
        let target = ProfileEnv { profile, region: facts.region.as_deref(), keys: got };
        let mut changes = managed_changes(self.mode, &target, &saved, &self.ctx.env);
        if refresh {
            // New keys only: a region the user exported since stays until the next switch.
            changes.retain(|c| !matches!(c.name(), "AWS_REGION" | "AWS_DEFAULT_REGION"));
        }
        self.state.expires = got.and_then(RoleCredentials::expiration).map(Timestamp::as_second);
        self.state.prod = is_production(self.ctx, profile, facts.account.as_deref(), &facts);
        self.state.due = match &keys {
            Keys::Got(k) => k.expiration().map(|exp| refresh_due(exp, self.now, RETRY_SECS)),
            // Try again in a minute, not at every prompt.
            Keys::Unreachable { .. } => Some(self.now.as_second() + RETRY_SECS),
            Keys::Later { retry_at, .. } => {
                Some(retry_at.unwrap_or(self.now.as_second() + RETRY_SECS))
            }
            _ => None,
        };
        if matches!(keys, Keys::Got(_)) {
            // Renewed: a later failure is news again.
            self.state.forget_warning(&format!("unreachable:{profile}"));
        }
        if let Some(session) = &facts.session
            && got.is_some()
        {
            // Logged in again: a later expiry is news again.
            self.state.forget_warning(&format!("expired:{session}"));
        }
        self.check_switch(profile, &changes)?;
        if !refresh {
            self.report_switch(profile, &facts, &keys);
        }
        self.report_keys(profile, &keys, trigger);
        Ok(changes)
    }

    /// The region awsctx last set in this shell: the one chosen with the profile, else the
    /// profile's own.
    pub(crate) fn region_last_set(&self) -> Option<String> {
        let profile = self.state.profile.as_deref()?;
        self.state.region.clone().or_else(|| {
            let config = self.ctx.config().ok()?;
            ProfileFacts::of(config, profile).region
        })
    }

    /// A region the user exported since awsctx last set one is theirs from now on.
    fn adopt_users_regions(&mut self) {
        let last = self.region_last_set();
        self.state.adopt_users_regions(&self.ctx.env, last.as_deref());
    }

    /// Before anything is said about it: the shell can hold what the switch sets (a profile
    /// value with a NUL byte cannot be switched to), and the state stays within its bound.
    fn check_switch(&self, profile: &str, changes: &[EnvChange]) -> anyhow::Result<()> {
        let mut all = changes.to_vec();
        all.extend(self.state.changes_since(&self.before));
        render(self.shell, &all)
            .with_context(|| format!("profile `{}` cannot be switched to", Untrusted(profile)))?;
        if !self.state.fits() {
            return Err(ui::error(
                format!(
                    "switching to `{}` needs {} bytes of shell state, over the {STATE_BOUND} awsctx allows: the shell's own `AWS_*` values, kept for `awsctx -u`, are too long",
                    Untrusted(profile),
                    self.state.size()
                ),
                "unset the longest of them first (`unset AWS_SESSION_TOKEN`), or run the command with `awsctx exec PROFILE -- CMD`",
            ));
        }
        Ok(())
    }

    fn report_switch(&self, profile: &str, facts: &ProfileFacts, keys: &Keys) {
        let account = match keys {
            Keys::Got(k) => k.account_id().map(str::to_owned).or_else(|| facts.account.clone()),
            _ => facts.account.clone(),
        };
        let shown = |text: &str| Untrusted(text).to_string();
        let mut parts = vec![shown(profile)];
        parts.extend(account.as_deref().map(shown));
        parts.extend(facts.role.as_deref().map(shown));
        parts.extend(facts.region.as_deref().map(shown));
        match keys {
            Keys::Got(k) => parts.extend(k.expiration().map(|exp| time_left(exp, self.now))),
            Keys::NotWanted => {}
            _ => parts.push("no keys".to_owned()),
        }
        let line = parts.join(" · ");
        let prod = is_production(self.ctx, profile, account.as_deref(), facts);
        ui::notice_styled(&line, prod.then(|| Color::Red.bold()));
    }

    fn report_keys(&mut self, profile: &str, keys: &Keys, trigger: Trigger) {
        if trigger == Trigger::Command {
            self.key_failure = match keys {
                Keys::Got(_) | Keys::NotWanted | Keys::Later { .. } => None,
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
            Keys::Got(_) | Keys::NotWanted | Keys::Later { reason: None, .. } => return,
            Keys::Later { reason: Some(reason), retry_at, old } => {
                let wait = retry_at.map_or(60, |at| at - self.now.as_second()).max(60) / 60;
                let what = if old.is_some() { "could not renew the keys" } else { "no keys" };
                (
                    format!("unreachable:{profile}"),
                    format!(
                        "{what} for `{profile}`: {reason} (trying again in {wait}m; `awsctx status` shows it)"
                    ),
                )
            }
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

    /// fish has no clock: (re)arm the hook's timer that signals the shell when keys are due,
    /// or disarm it, so a prompt never has to look at the time (`shell/awsctx.fish`).
    fn fish_timer(&mut self) {
        match self.state.due {
            Some(due) => {
                let secs = (due - self.now.as_second()).max(1);
                let _ = writeln!(self.extra, "_awsctx_arm_timer {secs}");
            }
            None if self.before.due.is_some() => self.extra.push_str("_awsctx_disarm_timer\n"),
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

/// What a binding needs to know of its profile: that it exists, and its account.
/// What the config says of a binding's `profile`: whether it exists, and its account. Read
/// with what that profile needs only (a binding is usually the profile switched to next).
pub(crate) fn known_profile(ctx: &Context, profile: &str) -> anyhow::Result<Option<KnownProfile>> {
    let config = ctx.profile_config(profile)?;
    Ok(config
        .profile(profile)
        .map(|p| KnownProfile { account: Identity::of(&p).account.map(str::to_owned) }))
}

/// The line for a binding passed over. The directory names and the profile name come from
/// whatever repository the shell is in: [`ui::notice`] escapes the line, and the profile
/// name is also cut short.
fn report_skipped(skipped: &Skipped) {
    if let Some(line) = skipped_line(skipped) {
        ui::notice(&line);
    }
}

fn skipped_line(skipped: &Skipped) -> Option<String> {
    Some(match skipped {
        Skipped::Untrusted { path, profile } => format!(
            "`{}` (profile `{}`) is not allowed yet — run `awsctx allow` to trust it",
            path.display(),
            Untrusted(profile)
        ),
        Skipped::Denied { .. } => return None,
        Skipped::UnknownProfile { file: Some(file), profile, .. } => format!(
            "`{}` names profile `{}`, which is not in the config — `awsctx list` shows the profiles",
            file.display(),
            Untrusted(profile)
        ),
        Skipped::UnknownProfile { root, file: None, profile } => format!(
            "the pin at `{}` names profile `{}`, which is not in the config — run `awsctx pin PROFILE` there",
            root.display(),
            Untrusted(profile)
        ),
        Skipped::WrongAccount { root, file, profile, expected, actual } => {
            let what = match file {
                Some(file) => format!("`{}`", file.display()),
                None => format!("the pin at `{}`", root.display()),
            };
            let actual = match actual {
                Some(account) => format!("is in account {account}"),
                None => "does not say which account it is in".to_owned(),
            };
            format!(
                "{what} expects account {expected}, but profile `{}` {actual} — refused; fix the binding or the profile",
                Untrusted(profile)
            )
        }
        Skipped::Unreadable { reason, .. } => format!("{reason} — fix or remove it"),
    })
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

/// Whether `profile` looks like production (see [`looks_like_production`]), its account's
/// name taken from the profile's `sso_account_name`, else from the names `populate` kept.
pub(crate) fn is_production(
    ctx: &Context,
    profile: &str,
    account: Option<&str>,
    facts: &ProfileFacts,
) -> bool {
    if looks_like_production(&ctx.env, profile, account, facts) {
        return true;
    }
    let kept = crate::target::account_names(ctx);
    let Some(name) = account.and_then(|a| kept.get(a)) else { return false };
    let named = ProfileFacts { account_name: Some(name.to_owned()), ..ProfileFacts::default() };
    looks_like_production(&ctx.env, profile, account, &named)
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
    /// Keys need the network, and the hook left that to a background refresh: the old keys
    /// (while they last) until it is done, `retry_at` when to look again (epoch seconds;
    /// `None` from an offline look, before a refresh was started), and why the last refresh
    /// failed, if it did.
    Later {
        old: Option<RoleCredentials>,
        retry_at: Option<i64>,
        reason: Option<String>,
    },
}

/// The most a prompt waits for keys without the network, all waits together: another
/// process's fetch, and a `credential_process` (killed with everything it started when time
/// is up).
const HOOK_DEADLINE: Duration = Duration::from_secs(5);
/// The most the background refresh waits for keys, all waits together.
const BACKGROUND_DEADLINE: Duration = Duration::from_secs(120);

/// A profile's keys: the one place that knows where keys come from (the credential provider:
/// cache, then a token refresh and the SSO portal, the profile's own keys, its
/// `credential_process`). Never a browser. From the hook, the network is left to a background
/// refresh that the prompt waits on for a second at most (`cmd/refresh.rs`).
pub(crate) fn fetch_keys(ctx: &Context, config: &Config, profile: &str, trigger: Trigger) -> Keys {
    match trigger {
        Trigger::Hook => crate::cmd::refresh::keys_at_prompt(ctx, config, profile),
        Trigger::Command => fetch_keys_with(ctx, config, profile, Fetch::Command),
    }
}

/// How [`fetch_keys_with`] may get keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetch {
    /// The user waits for it: every way, MFA asked on the terminal.
    Command,
    /// The background refresh: nobody at the keyboard, so no MFA prompt.
    Background,
    /// The cache and the profile's own keys only (the caller starts a refresh for the rest).
    Offline,
}

pub(crate) fn fetch_keys_with(ctx: &Context, config: &Config, profile: &str, how: Fetch) -> Keys {
    let (settings, deadline) =
        match provider_settings(ctx, profile, how).and_then(|s| Ok((s, ctx.lock_deadline()?))) {
            Ok(found) => found,
            Err(err) => return Keys::Missing { reason: format!("{err:#}") },
        };
    let mut provider = CredentialProvider::new(config, ctx.child_env(), settings)
        .with_lock_deadline(deadline)
        .on_lock_wait(|wait| ui::notice(&wait.to_string()));
    if how != Fetch::Command {
        // Nobody waits on the keyboard: an MFA role's keys come from the cache or from an
        // explicit `awsctx PROFILE`.
        let deadline = if how == Fetch::Offline { HOOK_DEADLINE } else { BACKGROUND_DEADLINE };
        provider = provider
            .with_deadline(Instant::now() + deadline)
            .with_mfa_prompt(|_| Err(MfaError::NotAsked));
    }
    match provider.credentials(profile) {
        Ok(found) => Keys::Got(found.credentials),
        Err(ProviderError::LoginRequired { target, reason }) => Keys::LoginRequired {
            login: crate::hints::login_command(&target),
            reason: format!("{target} {reason}"),
            session: match target {
                LoginTarget::Session(name) | LoginTarget::Profile(name) => name,
            },
        },
        Err(ProviderError::NotCached { .. }) => {
            Keys::Later { old: old_keys(&provider, profile), retry_at: None, reason: None }
        }
        Err(err @ (ProviderError::Network(_) | ProviderError::Lock(_))) => {
            // For a command, keys that are old but not yet expired still work meanwhile; the
            // background refresh records the failure instead.
            match old_keys(&provider, profile).filter(|_| how == Fetch::Command) {
                Some(old) => Keys::Got(old),
                None => Keys::Unreachable { reason: err.to_string() },
            }
        }
        // Not tried again at every prompt: only a command waits for it.
        Err(err @ ProviderError::ProcessTimeout { .. }) => {
            Keys::Missing { reason: format!("{err}; `awsctx {profile}` waits for it") }
        }
        Err(err) => Keys::Missing { reason: err.to_string() },
    }
}

/// Cached keys that are old but not yet expired: they still work meanwhile.
fn old_keys(provider: &CredentialProvider<'_>, profile: &str) -> Option<RoleCredentials> {
    match provider.cached(profile) {
        Ok(Some(old)) if old.credentials.expiration().is_some_and(|e| e > Timestamp::now()) => {
            Some(old.credentials)
        }
        _ => None,
    }
}

fn provider_settings(ctx: &Context, profile: &str, how: Fetch) -> anyhow::Result<ProviderSettings> {
    Ok(ProviderSettings {
        home: ctx.home()?,
        state_dir: ctx.state_dir()?,
        http: ctx.http_settings(Some(profile))?,
        allow_network: how != Fetch::Offline,
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

    proptest::proptest! {
        #[test]
        fn lines_about_bindings_never_hold_a_raw_control_character(
            dir in ui::tests::any_text(),
            profile in ui::tests::any_text(),
        ) {
            let path = PathBuf::from(format!("/src/{dir}/.aws-profile"));
            let root = PathBuf::from(format!("/src/{dir}"));
            for skipped in [
                Skipped::Untrusted { path: path.clone(), profile: profile.clone() },
                Skipped::UnknownProfile { root: root.clone(), file: Some(path.clone()), profile: profile.clone() },
                Skipped::UnknownProfile { root, file: None, profile: profile.clone() },
                Skipped::Unreadable { path, reason: profile.clone() },
            ] {
                let line = skipped_line(&skipped).unwrap();
                let shown = ui::notice_text(&line, None, ui::Paint::stderr());
                proptest::prop_assert!(ui::tests::raw(&shown).is_empty(), "{shown:?}");
                proptest::prop_assert_eq!(shown.lines().count(), 1);
            }
        }
    }

    #[test]
    fn recent_profiles_come_first_and_forgotten_ones_drop_out() {
        let history = vec!["b".to_owned(), "gone".to_owned(), "c".to_owned()];
        assert_eq!(recent_first(&history, &["a", "b", "c", "d"]), ["b", "c", "a", "d"]);
    }
}
