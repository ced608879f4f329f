//! Per-directory profiles: pins (the user's own, always trusted), `.aws-profile` files
//! (obeyed only once allowed), and the trust records that say which files are allowed.
//!
//! Both live in awsctx's state directory (`$XDG_STATE_HOME/awsctx`, default
//! `~/.local/state/awsctx`) as small JSON files, written atomically under a lock. A trust
//! record is the sha256 of the file's path and content, as direnv does: an edited file needs
//! a new `awsctx allow`, and a copy of an allowed file elsewhere is not allowed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::env::Env;
use crate::file::{
    Capped, Distrust, FileError, FileLock, judge_folder, read_capped, read_private, write_private,
};
use crate::lookup::AccountNames;
use crate::text;

mod history;
mod trust;

pub use trust::{Trust, TrustStore};

/// The name of the file a repository uses to name its profile.
pub const PROFILE_FILE: &str = ".aws-profile";

/// A profile file larger than this is not a profile file: a name and a few comments fit.
/// Reading stops here, whatever the file says its size is (`/proc` files say 0).
pub const MAX_PROFILE_FILE: u64 = 4096;

/// State files hold one line per pin or trusted file; more than this is not ours.
const MAX_STATE_FILE: u64 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    #[error("no state directory: neither `XDG_STATE_HOME` nor `HOME` is set")]
    NoStateDir,
    #[error(transparent)]
    File(#[from] FileError),
    #[error("`{path}` is not valid awsctx state: {reason}")]
    CorruptState { path: PathBuf, reason: String },
    #[error("`{path}` names no profile (its first line that is not a comment is empty)")]
    EmptyProfileFile { path: PathBuf },
    /// Its first line holds characters no profile name has. The content is never shown: a
    /// link to `/proc/self/environ` would print the shell's environment.
    #[error(
        "`{}` names an invalid profile: its first line holds control or bidi characters",
        text::Untrusted(&path.to_string_lossy())
    )]
    InvalidProfileName { path: PathBuf },
    #[error(
        "`{}` is too large to be a profile file (over {MAX_PROFILE_FILE} bytes)",
        text::Untrusted(&path.to_string_lossy())
    )]
    ProfileFileTooLarge { path: PathBuf },
    /// A symbolic link: it could point anywhere (`/proc`, another repository's secrets).
    #[error(
        "`{}` is a symbolic link; awsctx reads profile files only as regular files",
        text::Untrusted(&path.to_string_lossy())
    )]
    ProfileFileLink { path: PathBuf },
    /// A FIFO, a device, a directory...
    #[error(
        "`{}` is a {kind}, not a regular file",
        text::Untrusted(&path.to_string_lossy())
    )]
    ProfileFileNotRegular { path: PathBuf, kind: &'static str },
    /// A setting line after the profile's name that is not `region = REGION` or
    /// `account = ID`. Only the line's number is shown, never its content.
    #[error(
        "`{}` line {line}: {reason}",
        text::Untrusted(&path.to_string_lossy())
    )]
    InvalidSetting { path: PathBuf, line: usize, reason: &'static str },
}

/// awsctx's own state directory and the files in it.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// `$XDG_STATE_HOME/awsctx`, else `~/.local/state/awsctx`.
    pub fn from_env(env: &Env) -> Result<Self, BindingError> {
        let dir = match env.get("XDG_STATE_HOME") {
            Some(state) if Path::new(state).is_absolute() => PathBuf::from(state).join("awsctx"),
            _ => env.home().ok_or(BindingError::NoStateDir)?.join(".local/state/awsctx"),
        };
        Ok(Self { dir })
    }

    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn pins_path(&self) -> PathBuf {
        self.dir.join("pins.json")
    }

    pub fn trust_path(&self) -> PathBuf {
        self.dir.join("trust.json")
    }

    /// Account names by account id, as `populate` and `configure sso` learned them.
    pub fn accounts_path(&self) -> PathBuf {
        self.dir.join("accounts.json")
    }

    /// The file whose one line changes whenever pins, trust records or logins do: every
    /// hook reads it at its prompt (a builtin `read`, no process) and asks awsctx again when
    /// it differs from what it saw last.
    pub fn changes_path(&self) -> PathBuf {
        self.dir.join("changes")
    }

    /// The folder of empty files named by the line of [`StateDir::changes_path`]: the one of
    /// the line a shell saw is there until the line changes. Nushell, whose `open` costs more
    /// than its whole prompt budget, checks that name exists instead of reading the line.
    pub fn markers_path(&self) -> PathBuf {
        self.dir.join("changes.d")
    }

    /// The line of [`StateDir::changes_path`] now; empty when there is none.
    pub fn changes_seen(&self) -> String {
        read_private(&self.changes_path(), 256)
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.lines().next().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Tell every open shell that pins, trust records or logins changed. Best effort: a shell
    /// that misses it still sees the change at its next directory change into a binding.
    /// The new line's marker comes first, so a shell never sees a line without its marker
    /// for long; the others go last (see [`StateDir::remove_markers`]).
    pub fn note_change(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let line = format!("{now}-{}", std::process::id());
        if let Some(markers) = self.own_markers().filter(|_| is_marker_name(&line)) {
            let _ = write_private(&markers.join(&line), b"");
        }
        let _ = write_private(&self.changes_path(), format!("{line}\n").as_bytes());
        self.remove_markers();
    }

    /// The markers' folder (missing until the first change), unless it is a link (it could
    /// point anywhere) or not the user's alone: then there are no markers, and Nushell falls
    /// back to reading the line.
    fn own_markers(&self) -> Option<PathBuf> {
        let markers = self.markers_path();
        match std::fs::symlink_metadata(&markers) {
            Ok(meta) if !meta.is_dir() || judge_folder(&markers, &meta).is_some() => None,
            _ => Some(markers),
        }
    }

    /// Remove every marker but the one of the line in the file now, however many there are.
    /// Writers may race: a marker removed too early costs a shell one `hook-env` more, and
    /// the last writer's pass removes what an earlier one kept.
    fn remove_markers(&self) {
        let Some(markers) = self.own_markers() else { return };
        let Ok(entries) = std::fs::read_dir(&markers) else { return };
        let keep = self.changes_seen();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_str().is_some_and(|name| name != keep && is_marker_name(name)) {
                let _ = std::fs::remove_file(markers.join(name));
            }
        }
    }

    /// The lock file guarding `name` (single-flight locks of the credential provider live here too).
    pub fn lock_path(&self, name: &str) -> PathBuf {
        self.dir.join("locks").join(format!("{name}.lock"))
    }

    pub fn load_pins(&self) -> Result<Pins, BindingError> {
        read_json(&self.pins_path()).map(|map| Pins::from_stored(map.unwrap_or_default()))
    }

    pub fn load_trust(&self) -> Result<TrustStore, BindingError> {
        read_json(&self.trust_path()).map(Option::unwrap_or_default)
    }

    /// The account names known so far (none when the file is missing).
    pub fn load_account_names(&self) -> Result<AccountNames, BindingError> {
        read_json(&self.accounts_path()).map(Option::unwrap_or_default)
    }

    /// Change the account names under the state lock.
    pub fn update_account_names(
        &self,
        change: impl FnOnce(&mut AccountNames),
    ) -> Result<(), BindingError> {
        let _lock = FileLock::acquire(&self.lock_path("state"), LOCK_DEADLINE, |_| {})?;
        let mut names = self.load_account_names()?;
        change(&mut names);
        write_json(&self.accounts_path(), &names)
    }

    /// Change the pins under the state lock: read, apply `change`, write atomically.
    pub fn update_pins(&self, change: impl FnOnce(&mut Pins)) -> Result<Pins, BindingError> {
        let _lock = FileLock::acquire(&self.lock_path("state"), LOCK_DEADLINE, |_| {})?;
        let mut pins = self.load_pins()?;
        change(&mut pins);
        write_json(&self.pins_path(), &pins.to_stored())?;
        self.note_change();
        Ok(pins)
    }

    /// Change the trust records under the state lock.
    pub fn update_trust(&self, change: impl FnOnce(&mut TrustStore)) -> Result<(), BindingError> {
        let _lock = FileLock::acquire(&self.lock_path("state"), LOCK_DEADLINE, |_| {})?;
        let mut trust = self.load_trust()?;
        change(&mut trust);
        write_json(&self.trust_path(), &trust)?;
        self.note_change();
        Ok(())
    }
}

const LOCK_DEADLINE: Duration = Duration::from_secs(5);

/// A line of the `changes` file as a marker's name: our own digits and dashes only, so it
/// names a file in the markers' folder and nothing else.
fn is_marker_name(line: &str) -> bool {
    !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

/// A state file that is missing, or not to be trusted (reported), reads as empty.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, BindingError> {
    let Some(bytes) = read_private(path, MAX_STATE_FILE)? else { return Ok(None) };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| BindingError::CorruptState { path: path.to_owned(), reason: e.to_string() })
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), BindingError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| BindingError::CorruptState { path: path.to_owned(), reason: e.to_string() })?;
    bytes.push(b'\n');
    write_private(path, &bytes)?;
    Ok(())
}

/// What a pin or a `.aws-profile` binds a directory to: a profile, and optionally the region
/// to use it in and the account it must be in (a binding whose profile is in another account
/// is refused).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct BoundProfile {
    pub profile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl BoundProfile {
    pub fn named(profile: impl Into<String>) -> Self {
        Self { profile: profile.into(), ..Self::default() }
    }
}

/// A binding to the profile alone.
impl From<&str> for BoundProfile {
    fn from(profile: &str) -> Self {
        Self::named(profile)
    }
}

/// `prod-ro`, `prod-ro in eu-central-1`, `prod-ro (account 444455556666)`; the name shown
/// safely (it may come from a repository's file).
impl std::fmt::Display for BoundProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", text::Untrusted(&self.profile))?;
        if let Some(region) = &self.region {
            write!(f, " in {region}")?;
        }
        if let Some(account) = &self.account {
            write!(f, " (account {account})")?;
        }
        Ok(())
    }
}

/// A pin as `pins.json` holds it: the profile's name alone (every pin before regions and
/// accounts, and every pin without them still), or the whole [`BoundProfile`].
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum StoredPin {
    Name(String),
    Bound(BoundProfile),
}

/// Directories pinned to a profile by `awsctx pin`.
#[derive(Debug, Clone, Default)]
pub struct Pins {
    dirs: BTreeMap<PathBuf, BoundProfile>,
}

impl Pins {
    pub fn get(&self, dir: &Path) -> Option<&BoundProfile> {
        self.dirs.get(dir)
    }

    pub fn insert(&mut self, dir: PathBuf, bound: BoundProfile) {
        self.dirs.insert(dir, bound);
    }

    pub fn remove(&mut self, dir: &Path) -> Option<BoundProfile> {
        self.dirs.remove(dir)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Path, &BoundProfile)> {
        self.dirs.iter().map(|(d, p)| (d.as_path(), p))
    }

    fn from_stored(stored: BTreeMap<PathBuf, StoredPin>) -> Self {
        let dirs = stored
            .into_iter()
            .map(|(dir, pin)| match pin {
                StoredPin::Name(profile) => (dir, BoundProfile::named(profile)),
                StoredPin::Bound(bound) => (dir, bound),
            })
            .collect();
        Self { dirs }
    }

    fn to_stored(&self) -> BTreeMap<&Path, StoredPin> {
        self.dirs
            .iter()
            .map(|(dir, bound)| {
                let pin = if bound.region.is_none() && bound.account.is_none() {
                    StoredPin::Name(bound.profile.clone())
                } else {
                    StoredPin::Bound(bound.clone())
                };
                (dir.as_path(), pin)
            })
            .collect()
    }
}

/// What binds a directory to a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingSource {
    Pin,
    File { path: PathBuf, trust: Trust },
}

/// The nearest binding above (or at) a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryBinding {
    /// The directory that holds the pin or the file: leaving it ends the binding.
    pub root: PathBuf,
    pub profile: String,
    pub source: BindingSource,
}

/// Find the binding nearest to `dir`, searching upward. At one level a pin wins over a file.
/// A `.aws-profile` that cannot be read as a profile name is an error: the caller says why.
pub fn find_binding(
    dir: &Path,
    pins: &Pins,
    trust: &TrustStore,
) -> Result<Option<DirectoryBinding>, BindingError> {
    for level in dir.ancestors() {
        if let Some(bound) = pins.get(level) {
            return Ok(Some(DirectoryBinding {
                root: level.to_owned(),
                profile: bound.profile.clone(),
                source: BindingSource::Pin,
            }));
        }
        let path = level.join(PROFILE_FILE);
        let Some(content) = read_profile_file(&path)? else { continue };
        let profile = parse_profile_file(&path, &content)?.profile;
        let trust = trust.check(&path, &content);
        return Ok(Some(DirectoryBinding {
            root: level.to_owned(),
            profile,
            source: BindingSource::File { path, trust },
        }));
    }
    Ok(None)
}

/// The bytes of a profile file, or `None` when there is none. The file is opened once,
/// without following a link at its name and without blocking, checked after opening to be a
/// regular file, and read up to [`MAX_PROFILE_FILE`]: a repository decides what its
/// `.aws-profile` is, including a link to `/proc/self/environ` or a FIFO.
pub fn read_profile_file(path: &Path) -> Result<Option<Vec<u8>>, BindingError> {
    let read = read_capped(path, MAX_PROFILE_FILE)
        .map_err(|source| FileError::Read { path: path.to_owned(), source })?;
    let path = path.to_owned();
    match read {
        Capped::Missing => Ok(None),
        Capped::Bytes(bytes) => Ok(Some(bytes)),
        Capped::TooLarge => Err(BindingError::ProfileFileTooLarge { path }),
        Capped::Refused(Distrust::NotRegular { kind }) => {
            Err(BindingError::ProfileFileNotRegular { path, kind })
        }
        Capped::Refused(_) => Err(BindingError::ProfileFileLink { path }),
    }
}

/// What a `.aws-profile` binds to. Its first line that is neither blank nor a `#` comment
/// names the profile (trimmed); later lines may say `region = REGION` and `account = ID`.
/// Other lines are ignored, as before these settings existed, except `KEY = VALUE` lines with
/// a key awsctx does not know (a typo must not silently drop an account check). Characters a
/// terminal would act on (controls, bidi overrides) are refused in the name: it ends up in the
/// shell's environment and in messages.
pub fn parse_profile_file(path: &Path, content: &[u8]) -> Result<BoundProfile, BindingError> {
    let content = String::from_utf8_lossy(content);
    let mut lines = content
        .lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let (_, line) =
        lines.next().ok_or_else(|| BindingError::EmptyProfileFile { path: path.to_owned() })?;
    if line.chars().any(text::is_unsafe) {
        return Err(BindingError::InvalidProfileName { path: path.to_owned() });
    }
    let mut bound = BoundProfile::named(line);
    for (number, line) in lines {
        let Some((key, value)) = line.split_once('=') else { continue };
        let (key, value) = (key.trim(), value.trim());
        if key.contains(char::is_whitespace) {
            continue;
        }
        let invalid =
            |reason| BindingError::InvalidSetting { path: path.to_owned(), line: number, reason };
        match key {
            "region" if is_region(value) => bound.region = Some(value.to_owned()),
            "region" => return Err(invalid("not a region name (e.g. `eu-west-1`)")),
            "account" if crate::lookup::is_account_id(value) => {
                bound.account = Some(value.to_owned());
            }
            "account" => return Err(invalid("an account id is twelve digits")),
            _ => return Err(invalid("the settings are `region` and `account`")),
        }
    }
    Ok(bound)
}

/// A region name as AWS writes them: lower-case letters, digits and `-` (`us-gov-west-1`).
pub fn is_region(text: &str) -> bool {
    (2..=32).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && !text.ends_with('-')
}

#[cfg(test)]
mod tests;
