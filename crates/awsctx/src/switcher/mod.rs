//! The switcher: one run of the hook's state machine against one shell's state, which
//! `awsctx PROFILE`, `hook-env`, `pin` and `allow`/`deny` share: read the shell's state, find
//! the binding, fetch keys ([`keys`]), print the shell code and the one-line report
//! ([`report`]). It never calls back into a command.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use awsctx_core::binding::{Pins, TrustStore};
use awsctx_core::cache::RoleCredentials;
use awsctx_core::facts::ProfileFacts;
use awsctx_core::lookup::Identity;
use awsctx_core::shell::{EnvChange, Shell, render};
use awsctx_core::switch::{
    Action, ActiveBinding, ExportMode, KnownProfile, ProfileEnv, Resolution, STATE_BOUND,
    ShellState, managed_changes, pins_list, refresh_due, resolve_binding, var,
};
use awsctx_core::text::Untrusted;
use jiff::Timestamp;

use crate::context::Context;
use crate::ui;

pub(crate) mod keys;
pub(crate) mod report;

use keys::fetch_keys;
pub(crate) use keys::{Fetch, Keys, Trigger, fetch_keys_with};
pub(crate) use report::{is_production, time_left};
use report::{report_keys, report_skipped, report_switch};

/// A failed refresh is tried again after this many seconds.
const RETRY_SECS: i64 = 60;

/// The most passed-over bindings one run names (the nearest ones).
const MAX_REPORTED: usize = 3;

/// One shell's switcher state, read from the environment, and what this run changes.
pub(crate) struct Switcher<'a> {
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

impl<'a> Switcher<'a> {
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
            report_switch(self.ctx, self.now, profile, &facts, &keys);
        }
        self.key_failure = report_keys(&mut self.state, self.now, profile, &keys, trigger);
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

/// Make the current shell follow the new bindings now: the user's explicit binding command
/// ends a manual override here. Without the hook the change applies at the next prompt of
/// shells that have it.
pub(crate) fn follow(ctx: &Context) -> anyhow::Result<ExitCode> {
    if !Switcher::is_hooked(ctx) {
        return Ok(ExitCode::SUCCESS);
    }
    let mut switcher = Switcher::hooked(ctx, "awsctx pin")?;
    let binding = switcher.resolve(false)?;
    let pwd = switcher.pwd.clone();
    switcher.state.manual = None;
    let action = switcher.state.arrive(&pwd, binding.as_ref());
    switcher.finish(&action, Trigger::Command)
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
