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

use sha2::{Digest, Sha256};

use crate::binding::BoundProfile;
use crate::env::Env;

mod env;
mod resolve;
mod state;
#[cfg(test)]
mod tests;

pub use env::{ProfileEnv, managed_changes, refresh_due};
pub use resolve::{KnownProfile, Resolution, Skipped, pins_list, resolve_binding};
pub use state::{Action, ShellState};

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
    /// Set by the hook's `awsctx` function for `doctor` alone: what the shell runs now,
    /// `loaded`, then `prompt` (the hook is still run at its prompt) and `complete` (`awsctx`
    /// completes).
    pub const LIVE: &str = "_AWSCTX_LIVE";

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
