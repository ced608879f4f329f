//! [`ShellState`]: the `_AWSCTX_*` variables, and the decisions that change them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::env::diff_managed;
use super::{
    ActiveBinding, BIN_SHARE, MANAGED, MAX_PATH_CHARS, MAX_PINS_BYTES, MAX_WARNED, Origin,
    STATE_BOUND, SavedEnv, ancestor_of, is_short_hash, path_as_kept, raw, short_hash, var,
};
use crate::env::Env;
use crate::shell::EnvChange;

/// What the shell should have after a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The profile in effect stays (keys may still need a refresh).
    Stay,
    /// Switch to this profile, in this region (`None`: the profile's own).
    Switch { profile: String, origin: Origin, region: Option<String> },
    /// Put back the user's own values: awsctx has nothing in effect.
    Restore,
}

/// The switcher state of one shell, read from its `_AWSCTX_*` variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellState {
    pub pwd: Option<PathBuf>,
    /// `_AWSCTX_PINS` as it is (`None` when unset: the hook has never run `hook-env`).
    pub pins: Option<String>,
    pub bound: Option<PathBuf>,
    pub due: Option<i64>,
    /// When the keys in effect expire (epoch seconds).
    pub expires: Option<i64>,
    /// Whether the profile in effect looks like production.
    pub prod: bool,
    pub profile: Option<String>,
    /// The region chosen with the profile (`None`: the profile's own).
    pub region: Option<String>,
    pub prev: Option<String>,
    pub prev_region: Option<String>,
    pub origin: Option<Origin>,
    pub manual: Option<PathBuf>,
    pub restore: Option<String>,
    pub restore_region: Option<String>,
    pub saved: Option<SavedEnv>,
    pub warned: Vec<String>,
    pub changes: Option<PathBuf>,
    pub seen: Option<String>,
}

impl ShellState {
    /// The state in `env`. Values that do not parse count as unset.
    pub fn from_env(env: &Env) -> Self {
        let path = |name| env.get(name).map(PathBuf::from);
        let text = |name| env.get(name).map(str::to_owned);
        Self {
            pwd: path(var::PWD),
            pins: raw(env, var::PINS).map(str::to_owned),
            bound: path(var::BOUND),
            due: env.get(var::DUE).and_then(|d| d.parse().ok()),
            expires: env.get(var::EXPIRES).and_then(|d| d.parse().ok()),
            prod: env.get(var::PROD) == Some("1"),
            profile: text(var::PROFILE),
            region: text(var::REGION),
            prev: text(var::PREV),
            prev_region: text(var::PREV_REGION),
            origin: env.get(var::ORIGIN).and_then(Origin::parse),
            manual: path(var::MANUAL),
            restore: text(var::RESTORE),
            restore_region: text(var::RESTORE_REGION),
            saved: env.get(var::SAVED).and_then(SavedEnv::decode),
            // Only well-formed markers (an older hook kept whole messages), the newest.
            warned: env.get(var::WARNED).map_or_else(Vec::new, |w| {
                let markers: Vec<&str> = w.split('\n').filter(|m| is_short_hash(m)).collect();
                let skip = markers.len().saturating_sub(MAX_WARNED);
                markers[skip..].iter().map(|m| (*m).to_owned()).collect()
            }),
            changes: path(var::CHANGES),
            seen: text(var::SEEN),
        }
    }

    /// The state variables as name → value (absent = unset), within [`STATE_BOUND`] when they
    /// can be: past it, what can be rebuilt goes first (the pin list: the hook then asks the
    /// binary at every directory change; long directories become hashes; the previous profile;
    /// the messages shown).
    pub(super) fn vars(&self) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::new();
        let mut put = |name, value: Option<String>| {
            if let Some(value) = value {
                out.insert(name, value);
            }
        };
        let path =
            |p: &Option<PathBuf>, max| p.as_ref().map(|p| path_as_kept(&p.to_string_lossy(), max));
        put(var::PWD, path(&self.pwd, MAX_PATH_CHARS));
        put(var::PINS, self.pins.clone().filter(|p| p.len() <= MAX_PINS_BYTES));
        put(var::BOUND, path(&self.bound, usize::MAX));
        put(var::DUE, self.due.map(|d| d.to_string()));
        put(var::EXPIRES, self.expires.map(|d| d.to_string()));
        put(var::PROD, self.prod.then(|| "1".to_owned()));
        put(var::PROFILE, self.profile.clone());
        put(var::REGION, self.region.clone());
        put(var::PREV, self.prev.clone());
        put(var::PREV_REGION, self.prev_region.clone());
        put(var::ORIGIN, self.origin.map(|o| o.name().to_owned()));
        put(var::MANUAL, path(&self.manual, usize::MAX));
        put(var::RESTORE, self.restore.clone());
        put(var::RESTORE_REGION, self.restore_region.clone());
        put(var::SAVED, self.saved.as_ref().map(SavedEnv::encode));
        put(var::WARNED, (!self.warned.is_empty()).then(|| self.warned.join("\n")));
        put(var::CHANGES, self.changes.as_ref().map(|p| p.to_string_lossy().into_owned()));
        put(var::SEEN, self.seen.clone());
        let over = |out: &BTreeMap<&str, String>| state_size(out) > STATE_BOUND;
        if over(&out) {
            out.remove(var::PINS);
        }
        for name in [var::MANUAL, var::BOUND] {
            if over(&out)
                && let Some(value) = out.get_mut(name)
            {
                *value = path_as_kept(value, 0);
            }
        }
        for names in [&[var::PREV, var::PREV_REGION][..], &[var::WARNED]] {
            if over(&out) {
                for name in names {
                    out.remove(name);
                }
            }
        }
        out
    }

    /// Whether the state fits in its bound. Only the user's own saved `AWS_*` values and
    /// profile names can keep it from fitting (everything else shrinks): such a switch is
    /// refused rather than made with state that could break the shell's commands.
    pub fn fits(&self) -> bool {
        self.size() <= STATE_BOUND
    }

    /// The bytes the state takes (`NAME=value` each), counting what the hook itself keeps or
    /// may write (`_AWSCTX_BIN`, `_AWSCTX_PWD`, `_AWSCTX_DUE`) at their largest.
    pub fn size(&self) -> usize {
        state_size(&self.vars())
    }

    /// The statements that turn the state `before` into this one: only what differs, set
    /// shell-local.
    pub fn changes_since(&self, before: &Self) -> Vec<EnvChange> {
        let (old, new) = (before.vars(), self.vars());
        let mut changes = Vec::new();
        for name in var::ALL {
            match (old.get(name), new.get(name)) {
                (Some(a), Some(b)) if a == b => {}
                (_, Some(value)) => changes.push(EnvChange::set_local(name, value.clone())),
                (Some(_), None) => changes.push(EnvChange::unset(name)),
                (None, None) => {}
            }
        }
        changes
    }

    /// The shell now stands in `pwd`, where `binding` is the nearest binding that applies.
    pub fn arrive(&mut self, pwd: &Path, binding: Option<&ActiveBinding>) -> Action {
        self.pwd = Some(pwd.to_owned());
        if let Some(manual) = self.manual.take() {
            // The override holds inside its directory, unless a binding nearer than the one
            // it overrode starts here (a different repository is a different decision).
            let here = ancestor_of(&manual, pwd);
            if let Some(dir) = here
                && binding.is_some_and(|b| dir.starts_with(&b.root))
            {
                self.manual = Some(dir);
                return Action::Stay;
            }
        }
        match binding {
            Some(b) => {
                if self.bound.is_none() {
                    self.remember_restore();
                }
                self.bound = Some(b.root.clone());
                if self.profile.as_deref() == Some(b.profile.as_str()) && self.region == b.region {
                    self.origin = Some(b.origin);
                    Action::Stay
                } else {
                    Action::Switch {
                        profile: b.profile.clone(),
                        origin: b.origin,
                        region: b.region.clone(),
                    }
                }
            }
            None if self.bound.take().is_some() => {
                let region = self.restore_region.take();
                match self.restore.take() {
                    Some(profile)
                        if self.profile.as_deref() == Some(profile.as_str())
                            && self.region == region =>
                    {
                        self.origin = Some(Origin::Command);
                        Action::Stay
                    }
                    Some(profile) => Action::Switch { profile, origin: Origin::Command, region },
                    None if self.profile.is_some() => Action::Restore,
                    None => Action::Stay,
                }
            }
            None => Action::Stay,
        }
    }

    /// What to go back to on leaving the bound tree being entered: what is in effect now.
    fn remember_restore(&mut self) {
        self.restore = self.profile.clone();
        self.restore_region = self.profile.as_ref().and(self.region.clone());
    }

    /// The user asked for `profile` (in `region`, or the profile's own) in `pwd` (`awsctx
    /// PROFILE`, `use`, `-`, `--region`). Inside a bound tree the choice overrides the binding
    /// until the shell leaves `pwd`.
    pub fn choose(
        &mut self,
        pwd: &Path,
        binding: Option<&ActiveBinding>,
        profile: &str,
        region: Option<&str>,
    ) -> Action {
        self.manual_here(pwd, binding);
        Action::Switch {
            profile: profile.to_owned(),
            origin: Origin::Command,
            region: region.map(str::to_owned),
        }
    }

    /// `awsctx -u`: back to the user's own values. Inside a bound tree the binding stays
    /// overridden until the shell leaves `pwd`, and leaving restores nothing more.
    pub fn unset(&mut self, pwd: &Path, binding: Option<&ActiveBinding>) -> Action {
        self.manual_here(pwd, binding);
        self.restore = None;
        self.restore_region = None;
        if self.profile.is_some() || self.saved.is_some() { Action::Restore } else { Action::Stay }
    }

    fn manual_here(&mut self, pwd: &Path, binding: Option<&ActiveBinding>) {
        self.pwd = Some(pwd.to_owned());
        if let Some(b) = binding {
            if self.bound.is_none() {
                self.remember_restore();
            }
            self.bound = Some(b.root.clone());
            self.manual = Some(pwd.to_owned());
        } else {
            // Not in a bound tree (whatever the state thought): nothing to override.
            if self.bound.take().is_some() {
                self.restore = None;
                self.restore_region = None;
            }
            self.manual = None;
        }
    }

    /// Record a switch to `profile` in `region`: the user's own values are saved first if
    /// awsctx had nothing in effect; the old profile (with its region) becomes the previous
    /// one.
    pub fn switched(&mut self, env: &Env, profile: &str, region: Option<&str>, origin: Origin) {
        if self.saved.is_none() {
            self.saved = Some(SavedEnv::capture(env));
        }
        let old_region = self.region.take();
        if let Some(old) = self.profile.take()
            && (old != profile || old_region.as_deref() != region)
        {
            self.prev = Some(old);
            self.prev_region = old_region;
        }
        self.profile = Some(profile.to_owned());
        self.region = region.map(str::to_owned);
        self.origin = Some(origin);
    }

    /// The user's own values of the region variables now: those in `env` where they differ
    /// from `last_set` (the region awsctx last set; `None`: it set none, so the saved ones
    /// were in effect), because the user exported them since; else the saved ones. With
    /// nothing saved (awsctx changed nothing), those in `env`.
    pub fn users_regions(
        &self,
        env: &Env,
        last_set: Option<&str>,
    ) -> [(&'static str, Option<String>); 2] {
        ["AWS_REGION", "AWS_DEFAULT_REGION"].map(|name| {
            let have = raw(env, name).map(str::to_owned);
            let Some(saved) = &self.saved else { return (name, have) };
            let expected = last_set.or_else(|| saved.get(name));
            if have.as_deref() == expected {
                (name, saved.get(name).map(str::to_owned))
            } else {
                (name, have)
            }
        })
    }

    /// Keep a region the user exported since awsctx last set one (see
    /// [`ShellState::users_regions`]) as their own: a profile without a region and `-u` give
    /// it back.
    pub fn adopt_users_regions(&mut self, env: &Env, last_set: Option<&str>) {
        let regions = self.users_regions(env, last_set);
        if let Some(saved) = &mut self.saved {
            for (name, value) in regions {
                saved.values.insert(name.to_owned(), value);
            }
        }
    }

    /// Record a restore: the statements that put the user's own values back.
    pub fn restored(&mut self, env: &Env) -> Vec<EnvChange> {
        let saved = self.saved.take().unwrap_or_else(|| SavedEnv::capture(env));
        if let Some(old) = self.profile.take() {
            self.prev = Some(old);
            self.prev_region = self.region.take();
        }
        self.origin = None;
        self.due = None;
        self.expires = None;
        self.prod = false;
        let target: BTreeMap<&str, Option<String>> =
            MANAGED.iter().map(|&n| (n, saved.get(n).map(str::to_owned))).collect();
        diff_managed(env, &target)
    }

    /// Show a message once per shell: `true` the first time for `marker` (of any length:
    /// the state keeps its hash, the newest [`MAX_WARNED`]).
    pub fn warn_once(&mut self, marker: &str) -> bool {
        let hash = short_hash(marker);
        let seen = self.warned.iter().position(|m| *m == hash);
        if let Some(at) = seen {
            // Seen again: the newest now, so the oldest goes first.
            self.warned.remove(at);
        }
        self.warned.push(hash);
        let skip = self.warned.len().saturating_sub(MAX_WARNED);
        self.warned.drain(..skip);
        seen.is_none()
    }

    /// Forget `marker` (a login fixed it; say so again next time).
    pub fn forget_warning(&mut self, marker: &str) {
        let hash = short_hash(marker);
        self.warned.retain(|m| *m != hash);
    }
}

/// `NAME=value` bytes of `vars`, with `_AWSCTX_PWD` and `_AWSCTX_DUE` at the most the hook
/// may write into them itself, and the share of `_AWSCTX_BIN`.
fn state_size(vars: &BTreeMap<&str, String>) -> usize {
    let entry = |name: &str, value: usize| name.len() + 1 + value;
    let pwd = entry(var::PWD, 4 * MAX_PATH_CHARS);
    let due = entry(var::DUE, i64::MIN.to_string().len());
    let rest: usize = vars
        .iter()
        .filter(|(name, _)| **name != var::PWD && **name != var::DUE)
        .map(|(name, value)| entry(name, value.len()))
        .sum();
    BIN_SHARE + pwd + due + rest
}
