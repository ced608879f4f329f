//! A shell's switcher state and the rules that change it, with no IO beyond reading the
//! `.aws-profile` files a binding search looks at.
//!
//! The hook keeps its state in shell-local (never exported) `_AWSCTX_*` variables (see
//! [`var`]), written only by statements the binary prints; the hook hands them to the awsctx
//! processes it starts, and to no other child. [`ShellState`] reads them from an [`Env`], the
//! decisions ([`ShellState::arrive`], [`ShellState::choose`], [`ShellState::unset`]) say what
//! the shell should have, and [`ShellState::changes_since`] / [`managed_changes`] turn the
//! result into the [`EnvChange`]s the hook evaluates.
//!
//! The state stays within [`STATE_BOUND`] bytes whatever the disk holds: messages already
//! shown are remembered as short hashes (the newest [`MAX_WARNED`]), a directory too long to
//! keep is kept as a hash, and what can be rebuilt is dropped first when the state would
//! outgrow its bound (see [`ShellState::fits`]).
//!
//! The rules (`docs/hook-protocol.md`, "Per-directory profiles"):
//! - the nearest binding above `$PWD` wins; an untrusted `.aws-profile`, a denied one, or one
//!   naming an unknown profile is skipped (the search goes on upward) and reported;
//! - entering a bound tree remembers what to restore; leaving it restores that;
//! - a manual switch made inside a bound tree wins until the shell leaves the directory it was
//!   made in, or enters a binding nearer than the one it overrode;
//! - `AWS_*` values the user had before awsctx first changed them are saved, and every
//!   variable a profile does not set falls back to them, so `-u` restores exactly what was
//!   there.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::binding::{
    BoundProfile, PROFILE_FILE, Pins, Trust, TrustStore, parse_profile_file, read_profile_file,
};
use crate::cache::{REUSE_WINDOW, RoleCredentials};
use crate::env::Env;
use crate::shell::EnvChange;
use crate::time::format_export;

/// The variables a switch manages; everything else in the user's environment is left alone.
pub const MANAGED: [&str; 7] = [
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

/// The names of the hook's state variables.
pub mod var {
    /// The last directory the state was evaluated for.
    pub const PWD: &str = "_AWSCTX_PWD";
    /// Every pinned directory, one per line: lets the hook see cheaply whether a directory
    /// may be bound. Unset when the list would be longer than [`super::MAX_PINS_BYTES`]: the
    /// hook then asks the binary at every directory change.
    pub const PINS: &str = "_AWSCTX_PINS";
    /// The root of the binding in effect; empty when none.
    pub const BOUND: &str = "_AWSCTX_BOUND";
    /// Epoch seconds when the hook must run `hook-env` to refresh keys; empty = never.
    pub const DUE: &str = "_AWSCTX_DUE";
    /// Epoch seconds when the keys in effect expire (for prompts: `awsctx_prompt`).
    pub const EXPIRES: &str = "_AWSCTX_EXPIRES";
    /// `1` when the profile in effect looks like production (`AWSCTX_PROD_PATTERN`).
    pub const PROD: &str = "_AWSCTX_PROD";
    /// The profile awsctx set.
    pub const PROFILE: &str = "_AWSCTX_PROFILE";
    /// The region chosen with the profile (`--region`, a binding's `region`); unset: the
    /// profile's own.
    pub const REGION: &str = "_AWSCTX_REGION";
    /// The profile before it, for `awsctx -`.
    pub const PREV: &str = "_AWSCTX_PREV";
    /// The region chosen with the previous profile.
    pub const PREV_REGION: &str = "_AWSCTX_PREV_REGION";
    /// Where the profile came from: `command`, `pin` or `file`.
    pub const ORIGIN: &str = "_AWSCTX_ORIGIN";
    /// The directory a manual switch was made in, while it overrides a binding.
    pub const MANUAL: &str = "_AWSCTX_MANUAL";
    /// The profile to go back to on leaving the bound tree; empty = the user's own values.
    pub const RESTORE: &str = "_AWSCTX_RESTORE";
    /// The region chosen with the profile to go back to.
    pub const RESTORE_REGION: &str = "_AWSCTX_RESTORE_REGION";
    /// The user's own values of the managed variables (JSON: name → value or null).
    pub const SAVED: &str = "_AWSCTX_SAVED";
    /// Messages already shown in this shell: one short hash of each message's marker per
    /// line, the newest [`super::MAX_WARNED`].
    pub const WARNED: &str = "_AWSCTX_WARNED";
    /// The file that changes with pins, trust records and logins (`StateDir::changes_path`).
    pub const CHANGES: &str = "_AWSCTX_CHANGES";
    /// Its line when `hook-env` last ran: the hook asks again when the file says otherwise.
    pub const SEEN: &str = "_AWSCTX_SEEN";
    /// Set by the hook's `awsctx` function: the shell whose code a command prints.
    pub const SHELL: &str = "_AWSCTX_SHELL";
    /// The hook's own: the awsctx binary it runs.
    pub const BIN: &str = "_AWSCTX_BIN";
    /// The hook's own: the shell and its version (`bash 3.2.57(1)-release`), for `doctor`.
    pub const SHELL_VERSION: &str = "_AWSCTX_SHELL_VERSION";
    /// bash without `EPOCHSECONDS` (before 5.0): epoch seconds when `SECONDS` was 0, the
    /// hook's spawn-free clock. Set when the hook loads and again by every awsctx run.
    pub const EPOCH: &str = "_AWSCTX_EPOCH";

    /// What every name of the hook's state starts with.
    pub const PREFIX: &str = "_AWSCTX_";

    /// Every state variable the binary writes.
    pub const ALL: [&str; 18] = [
        PWD,
        PINS,
        BOUND,
        DUE,
        EXPIRES,
        PROD,
        PROFILE,
        REGION,
        PREV,
        PREV_REGION,
        ORIGIN,
        MANUAL,
        RESTORE,
        RESTORE_REGION,
        SAVED,
        WARNED,
        CHANGES,
        SEEN,
    ];
}

/// All `_AWSCTX_*` variables of one shell together take at most this many bytes (`NAME=value`
/// each), whatever the repositories it visits hold.
pub const STATE_BOUND: usize = 8 * 1024;

/// The part of [`STATE_BOUND`] left to the hook's own `_AWSCTX_BIN` (the binary's path).
const BIN_SHARE: usize = 1024;

/// The longest directory the state keeps as it is, in characters (the hooks count characters,
/// not bytes: at most 4 bytes each). A longer `$PWD` is kept as a hash, so a prompt there asks
/// the binary again.
pub const MAX_PATH_CHARS: usize = 512;

/// The longest pin list `_AWSCTX_PINS` holds, in bytes; with more pins the hook asks the
/// binary at every directory change.
pub const MAX_PINS_BYTES: usize = 2048;

/// How many messages a shell remembers having shown; the oldest is forgotten first.
pub const MAX_WARNED: usize = 32;

/// Hex digits of a marker's or a path's hash in the state (64 bits).
const HASH_DIGITS: usize = 16;

/// The first [`HASH_DIGITS`] hex digits of `text`'s sha256.
fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(HASH_DIGITS);
    for byte in &digest[..HASH_DIGITS / 2] {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn is_short_hash(text: &str) -> bool {
    text.len() == HASH_DIGITS
        && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `#` and the hash of `path`: how the state keeps a directory too long to keep as it is. It
/// never equals a `$PWD` (those start with `/`).
fn path_hash(path: &str) -> String {
    format!("#{}", short_hash(path))
}

fn is_path_hash(text: &str) -> bool {
    text.strip_prefix('#').is_some_and(is_short_hash)
}

/// A directory as the state keeps it: as it is, or its hash when longer than `max_chars`.
fn path_as_kept(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars || is_path_hash(text) {
        text.to_owned()
    } else {
        path_hash(text)
    }
}

/// `kept` (a directory from the state, or the hash it was kept as) when it is `dir` or one of
/// its parents.
pub fn ancestor_of(kept: &Path, dir: &Path) -> Option<PathBuf> {
    let text = kept.to_string_lossy();
    if is_path_hash(&text) {
        return dir
            .ancestors()
            .find(|a| path_hash(&a.to_string_lossy()) == text)
            .map(Path::to_owned);
    }
    dir.starts_with(kept).then(|| kept.to_owned())
}

/// Whether the shell that runs this command has the hook loaded: its first prompt sets
/// `_AWSCTX_PWD` (empty for a directory too long to keep), and the hook hands it to awsctx.
pub fn hook_loaded(env: &Env) -> bool {
    raw(env, var::PWD).is_some()
}

/// `env` without the hook's state: what the processes awsctx starts itself (a browser, a
/// `credential_process`, fzf) get, so the user's saved keys never reach them.
pub fn without_state(env: &Env) -> Env {
    Env::from_pairs(env.iter().filter(|(name, _)| !name.starts_with(var::PREFIX)))
        .for_windows(env.is_windows())
}

/// Why a switcher setting cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwitchError {
    #[error("`AWSCTX_EXPORT={value}` is not one of `both`, `profile`, `keys`")]
    InvalidExportMode { value: String },
}

/// What a switch exports (`AWSCTX_EXPORT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportMode {
    /// `AWS_PROFILE` and the keys.
    #[default]
    Both,
    /// `AWS_PROFILE` only: SDKs resolve through the config and the shared caches.
    Profile,
    /// The keys only.
    Keys,
}

impl ExportMode {
    pub fn from_env(env: &Env) -> Result<Self, SwitchError> {
        match env.get("AWSCTX_EXPORT") {
            None | Some("both") => Ok(Self::Both),
            Some("profile") => Ok(Self::Profile),
            Some("keys") => Ok(Self::Keys),
            Some(other) => Err(SwitchError::InvalidExportMode { value: other.to_owned() }),
        }
    }

    /// Whether this mode exports keys (and so needs them fetched and refreshed).
    pub fn wants_keys(self) -> bool {
        self != Self::Profile
    }
}

/// Where the profile in effect came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `awsctx PROFILE`, `awsctx -`, or a restore after leaving a bound tree.
    Command,
    /// `awsctx pin`.
    Pin,
    /// A `.aws-profile` file.
    File,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Self::Command => "command",
            Self::Pin => "pin",
            Self::File => "file",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "command" => Some(Self::Command),
            "pin" => Some(Self::Pin),
            "file" => Some(Self::File),
            _ => None,
        }
    }
}

/// The user's own values of the managed variables, from before awsctx first changed them.
/// `Debug` shows only names: the values may be the user's own secret key.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SavedEnv {
    values: BTreeMap<String, Option<String>>,
}

impl fmt::Debug for SavedEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(
                self.values
                    .iter()
                    .map(|(k, v)| if v.is_some() { k.clone() } else { format!("!{k}") }),
            )
            .finish()
    }
}

impl SavedEnv {
    /// The managed variables as they are in `env` (an empty value is kept as empty).
    pub fn capture(env: &Env) -> Self {
        Self {
            values: MANAGED
                .iter()
                .map(|&n| (n.to_owned(), raw(env, n).map(str::to_owned)))
                .collect(),
        }
    }

    /// The saved value of `name`; `None` when it was unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Option::as_deref)
    }

    /// `{"AWS_PROFILE":"dev","AWS_REGION":null,...}`.
    pub fn encode(&self) -> String {
        serde_json::to_string(&self.values).unwrap_or_default()
    }

    /// `None` when `text` is not what [`SavedEnv::encode`] wrote.
    pub fn decode(text: &str) -> Option<Self> {
        let values: BTreeMap<String, Option<String>> = serde_json::from_str(text).ok()?;
        values.keys().all(|k| MANAGED.contains(&k.as_str())).then_some(Self { values })
    }
}

/// The raw value of `name` in `env`, empty values included ([`Env::get`] hides them).
fn raw<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
    env.iter().find_map(|(k, v)| (k == name).then_some(v))
}

/// A binding that applies: trusted, naming a profile that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveBinding {
    /// The directory that holds the pin or the file.
    pub root: PathBuf,
    pub profile: String,
    /// The region the binding asks for; `None`: the profile's own.
    pub region: Option<String>,
    /// [`Origin::Pin`] or [`Origin::File`].
    pub origin: Origin,
}

impl ActiveBinding {
    fn new(root: &Path, bound: BoundProfile, origin: Origin) -> Self {
        Self { root: root.to_owned(), profile: bound.profile, region: bound.region, origin }
    }
}

/// A binding the search passed over, and why: the hook says so once per shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// A `.aws-profile` never allowed, or (`changed`) edited since it was.
    Untrusted { path: PathBuf, profile: String, changed: bool },
    /// A `.aws-profile` the user denied (skipped silently).
    Denied { path: PathBuf },
    /// A pin (`file: None`) or file naming a profile the config does not have.
    UnknownProfile { root: PathBuf, file: Option<PathBuf>, profile: String },
    /// A pin or file that expects its profile in `expected`, whose profile is in another
    /// account (`actual`), or does not say which (`None`): refused.
    WrongAccount {
        root: PathBuf,
        file: Option<PathBuf>,
        profile: String,
        expected: String,
        actual: Option<String>,
    },
    /// A `.aws-profile` that is not a profile file (empty, control characters, too large,
    /// unreadable): the reason, one line.
    Unreadable { path: PathBuf, reason: String },
}

impl Skipped {
    /// The marker that keeps the message to once per shell (per file, per content); the state
    /// keeps only its hash.
    pub fn marker(&self) -> Option<String> {
        match self {
            Self::Untrusted { path, profile, .. } => {
                Some(format!("untrusted:{}:{profile}", path.display()))
            }
            Self::Denied { .. } => None,
            Self::UnknownProfile { root, profile, .. } => {
                Some(format!("unknown:{}:{profile}", root.display()))
            }
            Self::WrongAccount { root, profile, expected, .. } => {
                Some(format!("account:{}:{profile}:{expected}", root.display()))
            }
            Self::Unreadable { path, .. } => Some(format!("unreadable:{}", path.display())),
        }
    }
}

/// The binding search's answer for one directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    pub binding: Option<ActiveBinding>,
    /// Nearer bindings that were passed over, nearest first.
    pub skipped: Vec<Skipped>,
}

/// What the config says of a profile a binding names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownProfile {
    /// The account it is in, when its keys say (see [`crate::lookup::Identity`]).
    pub account: Option<String>,
}

/// Why a binding's own profile cannot be used: `None` when it can.
fn refusal(
    root: &Path,
    file: Option<&Path>,
    bound: &BoundProfile,
    known: Option<KnownProfile>,
) -> Option<Skipped> {
    let Some(known) = known else {
        return Some(Skipped::UnknownProfile {
            root: root.to_owned(),
            file: file.map(Path::to_owned),
            profile: bound.profile.clone(),
        });
    };
    let expected = bound.account.as_ref()?;
    (known.account.as_ref() != Some(expected)).then(|| Skipped::WrongAccount {
        root: root.to_owned(),
        file: file.map(Path::to_owned),
        profile: bound.profile.clone(),
        expected: expected.clone(),
        actual: known.account,
    })
}

/// The nearest binding at or above `dir` that applies. At one level a pin beats a file.
/// `known` gives what the config says of a profile (`None`: no such profile); it is only
/// called when a binding is found. A binding that expects an account its profile is not in is
/// refused.
pub fn resolve_binding(
    dir: &Path,
    pins: &Pins,
    trust: &TrustStore,
    mut known: impl FnMut(&str) -> Option<KnownProfile>,
) -> Resolution {
    let mut out = Resolution::default();
    for level in dir.ancestors() {
        if let Some(bound) = pins.get(level) {
            match refusal(level, None, bound, known(&bound.profile)) {
                None => {
                    out.binding = Some(ActiveBinding::new(level, bound.clone(), Origin::Pin));
                    return out;
                }
                Some(skipped) => out.skipped.push(skipped),
            }
            continue;
        }
        let path = level.join(PROFILE_FILE);
        let content = match read_profile_file(&path) {
            Ok(Some(content)) => content,
            Ok(None) => continue,
            Err(err) => {
                out.skipped.push(Skipped::Unreadable { path, reason: err.to_string() });
                continue;
            }
        };
        let bound = match parse_profile_file(&path, &content) {
            Ok(bound) => bound,
            Err(err) => {
                out.skipped.push(Skipped::Unreadable { path, reason: err.to_string() });
                continue;
            }
        };
        match trust.check(&path, &content) {
            Trust::Denied => out.skipped.push(Skipped::Denied { path }),
            verdict @ (Trust::Unknown | Trust::Changed) => {
                let changed = verdict == Trust::Changed;
                out.skipped.push(Skipped::Untrusted { path, profile: bound.profile, changed });
            }
            Trust::Allowed => match refusal(level, Some(&path), &bound, known(&bound.profile)) {
                None => {
                    out.binding = Some(ActiveBinding::new(level, bound, Origin::File));
                    return out;
                }
                Some(skipped) => out.skipped.push(skipped),
            },
        }
    }
    out
}

/// The pinned directories as `_AWSCTX_PINS` holds them: one per line, sorted. A directory
/// whose name holds a newline still matches the hook's `\n$dir\n` substring test.
pub fn pins_list(pins: &Pins) -> String {
    let mut out = String::new();
    for (dir, _) in pins.iter() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&dir.to_string_lossy());
    }
    out
}

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
    fn vars(&self) -> BTreeMap<&'static str, String> {
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

/// What a profile puts in the environment.
#[derive(Debug, Clone, Copy)]
pub struct ProfileEnv<'a> {
    pub profile: &'a str,
    /// The profile's `region`.
    pub region: Option<&'a str>,
    /// Its keys; `None` when they cannot be had (they are unset then, never left behind).
    pub keys: Option<&'a RoleCredentials>,
}

/// The statements that give the shell `target` under `mode`, from what `env` has now. A
/// variable the profile does not set takes the user's own value from `saved` (the region), or
/// is unset (keys: never another identity's).
pub fn managed_changes(
    mode: ExportMode,
    target: &ProfileEnv<'_>,
    saved: &SavedEnv,
    env: &Env,
) -> Vec<EnvChange> {
    let mut want: BTreeMap<&str, Option<String>> = BTreeMap::new();
    want.insert("AWS_PROFILE", (mode != ExportMode::Keys).then(|| target.profile.to_owned()));
    let keys = target.keys.filter(|_| mode.wants_keys());
    want.insert("AWS_ACCESS_KEY_ID", keys.map(|k| k.access_key_id().to_owned()));
    want.insert("AWS_SECRET_ACCESS_KEY", keys.map(|k| k.secret_access_key().expose().to_owned()));
    want.insert(
        "AWS_SESSION_TOKEN",
        keys.and_then(RoleCredentials::session_token).map(|t| t.expose().to_owned()),
    );
    want.insert(
        "AWS_CREDENTIAL_EXPIRATION",
        keys.and_then(RoleCredentials::expiration).map(format_export),
    );
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        let value = target.region.or_else(|| saved.get(name)).map(str::to_owned);
        want.insert(name, value);
    }
    diff_managed(env, &want)
}

fn diff_managed(env: &Env, want: &BTreeMap<&str, Option<String>>) -> Vec<EnvChange> {
    MANAGED
        .iter()
        .filter_map(|&name| match (raw(env, name), want.get(name).and_then(Option::as_deref)) {
            (Some(have), Some(value)) if have == value => None,
            (_, Some(value)) => Some(EnvChange::set(name, value)),
            (Some(_), None) => Some(EnvChange::unset(name)),
            (None, None) => None,
        })
        .collect()
}

/// When the hook must refresh keys expiring at `expiration`: 15 minutes before (the AWS
/// CLI's reuse window); keys already inside the window are retried `retry` seconds from `now`
/// (one refresh a minute, not one per prompt).
pub fn refresh_due(expiration: Timestamp, now: Timestamp, retry: i64) -> i64 {
    let due = expiration.as_second() - REUSE_WINDOW.as_secs();
    if due > now.as_second() { due } else { now.as_second() + retry }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn bound(root: &str, profile: &str) -> ActiveBinding {
        ActiveBinding {
            root: root.into(),
            profile: profile.into(),
            region: None,
            origin: Origin::Pin,
        }
    }

    fn switch(profile: &str, origin: Origin) -> Action {
        Action::Switch { profile: profile.into(), origin, region: None }
    }

    /// Apply an action the way the binary does (keys aside).
    fn apply(state: &mut ShellState, env: &Env, action: &Action) {
        match action {
            Action::Stay => {}
            Action::Switch { profile, origin, region } => {
                state.switched(env, profile, region.as_deref(), *origin);
            }
            Action::Restore => {
                state.restored(env);
            }
        }
    }

    #[test]
    fn entering_and_leaving_a_bound_tree_restores_the_profile_before_it() {
        let env = Env::default();
        let mut s = ShellState::default();
        let a = s.choose(Path::new("/home"), None, "prod", None);
        apply(&mut s, &env, &a);
        let repo = bound("/home/repo", "dev");
        let a = s.arrive(Path::new("/home/repo/src"), Some(&repo));
        assert_eq!(a, switch("dev", Origin::Pin));
        apply(&mut s, &env, &a);
        assert_eq!(s.restore.as_deref(), Some("prod"));
        assert_eq!(s.arrive(Path::new("/home/repo"), Some(&repo)), Action::Stay);
        let a = s.arrive(Path::new("/home"), None);
        assert_eq!(a, switch("prod", Origin::Command));
        apply(&mut s, &env, &a);
        assert_eq!((s.bound.as_ref(), s.restore.as_ref()), (None, None));
        assert_eq!(s.prev.as_deref(), Some("dev"));
    }

    #[test]
    fn leaving_a_bound_tree_entered_with_nothing_restores_the_users_own_values() {
        let env = Env::from_pairs([("AWS_PROFILE", "mine"), ("AWS_REGION", "")]);
        let mut s = ShellState::default();
        let a = s.arrive(Path::new("/r"), Some(&bound("/r", "dev")));
        apply(&mut s, &env, &a);
        assert_eq!(s.saved.as_ref().unwrap().get("AWS_PROFILE"), Some("mine"));
        assert_eq!(s.arrive(Path::new("/"), None), Action::Restore);
        let env_now = Env::from_pairs([("AWS_PROFILE", "dev"), ("AWS_REGION", "eu-west-1")]);
        let changes = s.restored(&env_now);
        assert_eq!(
            changes,
            vec![EnvChange::set("AWS_PROFILE", "mine"), EnvChange::set("AWS_REGION", "")]
        );
        assert_eq!((s.profile.as_ref(), s.saved.as_ref()), (None, None));
    }

    #[test]
    fn a_manual_switch_wins_until_the_shell_leaves_its_directory() {
        let env = Env::default();
        let repo = bound("/r", "dev");
        let mut s = ShellState::default();
        let a = s.arrive(Path::new("/r"), Some(&repo));
        apply(&mut s, &env, &a);
        let a = s.choose(Path::new("/r/a"), Some(&repo), "prod", None);
        apply(&mut s, &env, &a);
        assert_eq!(s.manual.as_deref(), Some(Path::new("/r/a")));
        assert_eq!(s.arrive(Path::new("/r/a/deeper"), Some(&repo)), Action::Stay);
        // A nearer binding inside the manual directory is a new decision.
        let inner = bound("/r/a/svc", "staging");
        assert_eq!(
            s.clone().arrive(Path::new("/r/a/svc"), Some(&inner)),
            switch("staging", Origin::Pin)
        );
        // Leaving the manual directory inside the same tree: the binding again.
        let a = s.arrive(Path::new("/r/b"), Some(&repo));
        assert_eq!(a, switch("dev", Origin::Pin));
        assert_eq!(s.manual, None);
    }

    #[test]
    fn a_region_goes_with_its_profile_to_dash_and_to_the_restore_after_a_bound_tree() {
        let env = Env::default();
        let mut s = ShellState::default();
        let a = s.choose(Path::new("/"), None, "dev", Some("us-west-2"));
        apply(&mut s, &env, &a);
        assert_eq!(s.region.as_deref(), Some("us-west-2"));
        // The same profile in another region is a switch `-` can undo.
        let a = s.choose(Path::new("/"), None, "dev", None);
        apply(&mut s, &env, &a);
        assert_eq!((s.prev.as_deref(), s.prev_region.as_deref()), (Some("dev"), Some("us-west-2")));
        let a = s.choose(Path::new("/"), None, "dev", Some("us-west-2"));
        apply(&mut s, &env, &a);
        // A binding with a region of its own; leaving it brings back dev in us-west-2.
        let repo = ActiveBinding { region: Some("eu-central-1".into()), ..bound("/r", "dev") };
        let a = s.arrive(Path::new("/r"), Some(&repo));
        assert_eq!(
            a,
            Action::Switch {
                profile: "dev".into(),
                origin: Origin::Pin,
                region: Some("eu-central-1".into())
            }
        );
        apply(&mut s, &env, &a);
        assert_eq!(s.arrive(Path::new("/r/x"), Some(&repo)), Action::Stay);
        let a = s.arrive(Path::new("/"), None);
        assert_eq!(
            a,
            Action::Switch {
                profile: "dev".into(),
                origin: Origin::Command,
                region: Some("us-west-2".into())
            }
        );
        apply(&mut s, &env, &a);
        // -u forgets the region with the profile; `-` brings both back.
        let a = s.unset(Path::new("/"), None);
        apply(&mut s, &env, &a);
        assert_eq!((s.region.as_ref(), s.prev_region.as_deref()), (None, Some("us-west-2")));
    }

    #[test]
    fn unset_inside_a_bound_tree_sticks_until_leaving_and_leaving_restores_nothing() {
        let env = Env::default();
        let repo = bound("/r", "dev");
        let mut s = ShellState::default();
        let a = s.choose(Path::new("/"), None, "prod", None);
        apply(&mut s, &env, &a);
        let a = s.arrive(Path::new("/r"), Some(&repo));
        apply(&mut s, &env, &a);
        let a = s.unset(Path::new("/r"), Some(&repo));
        assert_eq!(a, Action::Restore);
        apply(&mut s, &env, &a);
        assert_eq!(s.arrive(Path::new("/r/sub"), Some(&repo)), Action::Stay);
        assert_eq!(s.arrive(Path::new("/"), None), Action::Stay);
        assert_eq!(s.profile, None);
        assert_eq!(s.prev.as_deref(), Some("dev"));
    }

    #[test]
    fn state_round_trips_through_the_environment_and_only_changes_are_printed() {
        let mut s = ShellState {
            pwd: Some("/a b/'$(x)'\n".into()),
            pins: Some(String::new()),
            due: Some(1_700_000_000),
            profile: Some("dev".into()),
            origin: Some(Origin::File),
            saved: Some(SavedEnv::capture(&Env::from_pairs([("AWS_REGION", "x\"y")]))),
            ..ShellState::default()
        };
        assert!(s.warn_once("a") && s.warn_once("b") && !s.warn_once("a"));
        let changes = s.changes_since(&ShellState::default());
        let env = Env::from_pairs(changes.iter().map(|c| match c {
            EnvChange::SetLocal { name, value } => (name.clone(), value.clone()),
            other => panic!("the state is never exported nor unset from nothing: {other:?}"),
        }));
        let back = ShellState::from_env(&env);
        assert_eq!(back, s);
        let before = s.clone();
        s.due = None;
        assert_eq!(s.changes_since(&before), vec![EnvChange::unset(var::DUE)]);
    }

    #[test]
    fn profile_env_unsets_keys_it_cannot_have_and_falls_back_to_the_users_region() {
        let env = Env::from_pairs([
            ("AWS_PROFILE", "old"),
            ("AWS_ACCESS_KEY_ID", "AKOLD"),
            ("AWS_SECRET_ACCESS_KEY", "old"),
            ("AWS_REGION", "ap-south-1"),
        ]);
        let saved = SavedEnv::capture(&Env::from_pairs([("AWS_REGION", "mine")]));
        let target = ProfileEnv { profile: "dev", region: None, keys: None };
        let changes = managed_changes(ExportMode::Both, &target, &saved, &env);
        assert_eq!(
            changes,
            vec![
                EnvChange::set("AWS_PROFILE", "dev"),
                EnvChange::unset("AWS_ACCESS_KEY_ID"),
                EnvChange::unset("AWS_SECRET_ACCESS_KEY"),
                EnvChange::set("AWS_REGION", "mine"),
            ]
        );
        let keys = RoleCredentials::new(
            "AKNEW",
            Secret::new("s"),
            Some(Secret::new("t")),
            Some("2030-01-01T00:00:00Z".parse().unwrap()),
        )
        .unwrap();
        let target = ProfileEnv { profile: "dev", region: Some("us-east-1"), keys: Some(&keys) };
        let changes = managed_changes(ExportMode::Keys, &target, &saved, &env);
        assert!(changes.contains(&EnvChange::unset("AWS_PROFILE")));
        assert!(
            changes.contains(&EnvChange::set(
                "AWS_CREDENTIAL_EXPIRATION",
                "2030-01-01T00:00:00+00:00"
            ))
        );
        assert!(changes.contains(&EnvChange::set("AWS_DEFAULT_REGION", "us-east-1")));
        let changes = managed_changes(ExportMode::Profile, &target, &saved, &env);
        assert!(changes.contains(&EnvChange::unset("AWS_ACCESS_KEY_ID")));
        assert!(!changes.iter().any(|c| c.name() == "AWS_SESSION_TOKEN"));
    }

    #[test]
    fn refresh_is_due_fifteen_minutes_early_but_never_in_a_loop() {
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let exp: Timestamp = "2030-01-01T01:00:00Z".parse().unwrap();
        assert_eq!(refresh_due(exp, now, 60), exp.as_second() - 900);
        let soon: Timestamp = "2030-01-01T00:05:00Z".parse().unwrap();
        assert_eq!(refresh_due(soon, now, 60), now.as_second() + 60);
        let just_outside: Timestamp = "2030-01-01T00:15:03Z".parse().unwrap();
        assert_eq!(refresh_due(just_outside, now, 60), now.as_second() + 3);
    }

    #[test]
    fn export_mode_is_read_from_awsctx_export() {
        assert_eq!(ExportMode::from_env(&Env::default()), Ok(ExportMode::Both));
        let env = Env::from_pairs([("AWSCTX_EXPORT", "keys")]);
        assert_eq!(ExportMode::from_env(&env), Ok(ExportMode::Keys));
        let env = Env::from_pairs([("AWSCTX_EXPORT", "all")]);
        assert!(
            ExportMode::from_env(&env).unwrap_err().to_string().contains("`AWSCTX_EXPORT=all`")
        );
    }

    #[test]
    fn saved_env_debug_hides_values() {
        let saved = SavedEnv::capture(&Env::from_pairs([("AWS_SECRET_ACCESS_KEY", "hunter2")]));
        assert!(!format!("{saved:?}").contains("hunter2"));
        assert_eq!(SavedEnv::decode(&saved.encode()), Some(saved));
        assert_eq!(SavedEnv::decode(r#"{"PATH":"x"}"#), None);
    }

    #[test]
    fn a_binding_expecting_another_account_is_refused() {
        let mut pins = Pins::default();
        let bound = |account: &str| BoundProfile {
            account: Some(account.into()),
            ..BoundProfile::named("prod")
        };
        let known = |_: &str| Some(KnownProfile { account: Some("444455556666".into()) });
        pins.insert("/r".into(), bound("444455556666"));
        let trust = TrustStore::default();
        let r = resolve_binding(Path::new("/r/x"), &pins, &trust, known);
        assert_eq!(r.binding.unwrap().profile, "prod");
        pins.insert("/r".into(), bound("111122223333"));
        let r = resolve_binding(Path::new("/r/x"), &pins, &trust, known);
        assert_eq!(r.binding, None);
        assert!(matches!(
            &r.skipped[..],
            [Skipped::WrongAccount { expected, actual: Some(actual), .. }]
                if expected == "111122223333" && actual == "444455556666"
        ));
        // A profile that does not say its account cannot be checked: refused too.
        let r = resolve_binding(Path::new("/r"), &pins, &trust, |_| {
            Some(KnownProfile { account: None })
        });
        assert!(matches!(&r.skipped[..], [Skipped::WrongAccount { actual: None, .. }]));
    }

    #[test]
    fn resolution_skips_untrusted_denied_and_unknown_bindings_and_goes_on_upward() {
        let tmp = tempfile::tempdir().unwrap();
        let outer = tmp.path().join("outer");
        let inner = outer.join("inner");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(inner.join(PROFILE_FILE), "prod\n").unwrap();
        let mut pins = Pins::default();
        pins.insert(outer.clone(), BoundProfile::named("dev"));
        let mut trust = TrustStore::default();
        let known = |p: &str| {
            (p == "dev" || p == "prod")
                .then(|| KnownProfile { account: Some(format!("{p}-account")) })
        };

        let r = resolve_binding(&inner, &pins, &trust, known);
        assert_eq!(r.binding.as_ref().unwrap().profile, "dev");
        assert!(
            matches!(&r.skipped[..], [Skipped::Untrusted { profile, .. }] if profile == "prod")
        );

        trust.allow(&inner.join(PROFILE_FILE), b"prod\n");
        let r = resolve_binding(&inner, &pins, &trust, known);
        assert_eq!(r.binding.unwrap().origin, Origin::File);

        let r = resolve_binding(&inner, &pins, &trust, |p| {
            (p == "dev").then_some(KnownProfile { account: None })
        });
        assert!(matches!(&r.skipped[..], [Skipped::UnknownProfile { file: Some(_), .. }]));

        trust.deny(&inner.join(PROFILE_FILE));
        let r = resolve_binding(&inner, &pins, &trust, known);
        assert!(matches!(&r.skipped[..], [Skipped::Denied { .. }]));
        assert_eq!(r.binding.unwrap().root, outer);
    }

    #[test]
    fn messages_are_remembered_as_short_hashes_and_only_the_newest_are_kept() {
        let mut s = ShellState::default();
        let long = "untrusted:/repo/.aws-profile:".to_owned() + &"p".repeat(4000);
        assert!(s.warn_once(&long));
        assert!(!s.warn_once(&long));
        assert_eq!(s.warned.len(), 1);
        assert_eq!(s.warned[0].len(), HASH_DIGITS, "a hash, not the message");
        for n in 0..MAX_WARNED {
            assert!(s.warn_once(&format!("other:{n}")));
        }
        assert_eq!(s.warned.len(), MAX_WARNED);
        assert!(s.warn_once(&long), "the oldest was forgotten");
        // Seen again, a marker becomes the newest: `other:1` outlives `other:2` now.
        assert!(!s.warn_once("other:1"));
        assert!(s.warn_once("again") && !s.warn_once("other:1") && s.warn_once("other:2"));
        s.forget_warning("other:1");
        assert!(s.warn_once("other:1"));
        // An older hook's whole messages are dropped when read back.
        let env = Env::from_pairs([(var::WARNED, format!("expired:corp\n{}", s.warned[0]))]);
        assert_eq!(ShellState::from_env(&env).warned, [s.warned[0].clone()]);
    }

    #[test]
    fn the_state_stays_within_its_bound_by_dropping_what_the_hook_can_rebuild() {
        let deep: PathBuf = format!("{}/end", "/d".repeat(2000)).into();
        let pins = (0..400).map(|n| format!("/pinned/{n}")).collect::<Vec<_>>().join("\n");
        let mut s = ShellState {
            pwd: Some(deep.clone()),
            pins: Some(pins),
            bound: Some(deep.clone()),
            manual: Some(deep.clone()),
            ..ShellState::default()
        };
        let vars = s.vars();
        assert!(s.fits(), "{} bytes", s.size());
        assert_eq!(vars[var::PWD].len(), 1 + HASH_DIGITS, "a long $PWD is kept as a hash");
        assert!(!vars.contains_key(var::PINS), "too many pins: the hook asks the binary");
        assert_eq!(vars[var::BOUND], deep.to_string_lossy(), "fits as it is");
        // The user's own values take room: long directories shrink to hashes first.
        s.saved =
            Some(SavedEnv::capture(&Env::from_pairs([("AWS_SESSION_TOKEN", "t".repeat(2000))])));
        let vars = s.vars();
        assert!(s.fits(), "{} bytes", s.size());
        assert_eq!(vars[var::MANUAL].len(), 1 + HASH_DIGITS);
        // A manual switch kept as a hash still holds below its directory.
        let repo = bound("/d", "dev");
        let mut back = ShellState::from_env(&Env::from_pairs(vars.clone()));
        assert_eq!(back.arrive(&deep.join("x"), Some(&repo)), Action::Stay);
        assert_eq!(back.manual.as_deref(), Some(deep.as_path()));
        let mut back = ShellState::from_env(&Env::from_pairs(vars));
        assert_eq!(back.arrive(Path::new("/d/e"), Some(&repo)), switch("dev", Origin::Pin));
        // Only the user's own values can keep it from fitting: that switch is refused.
        s.saved =
            Some(SavedEnv::capture(&Env::from_pairs([("AWS_SESSION_TOKEN", "t".repeat(8000))])));
        assert!(!s.fits());
        assert!(s.size() > STATE_BOUND);
    }
}
