//! The AWS CLI v2 caches, byte for byte, so one login serves awsctx, the AWS CLI and the SDKs
//! in both directions:
//!
//! - [`TokenCache`]: `~/.aws/sso/cache/`, the SSO access tokens ([`SsoToken`], keyed by
//!   [`TokenKey`]) and the OIDC client registrations ([`ClientRegistration`], keyed by
//!   [`RegistrationKey`]), which share that directory.
//! - [`CredentialCache`]: `~/.aws/cli/cache/`, the role credentials ([`RoleCredentials`],
//!   keyed by [`CredentialKey`]) from SSO and from STS `AssumeRole`.
//! - [`pyjson`]: JSON written as Python's `json.dumps` writes it (the file contents and the
//!   cache keys depend on it).
//!
//! Readers are lenient: a corrupt, truncated or incomplete entry counts as missing, so the
//! caller fetches a fresh one and replaces it. Writers are exact and atomic (files 0600,
//! directories 0700). Locking around a fetch belongs to the caller.

mod credentials;
pub mod pyjson;
mod registration;
mod token;

use std::io;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

use crate::file::{FileError, read_private, write_private};

pub use credentials::{
    AssumeRoleKeyArgs, CredentialCache, CredentialKey, InvalidCredentials, MAX_ACCESS_KEY_ID,
    MAX_SECRET, RoleCredentials,
};
pub use registration::{ClientRegistration, RegistrationKey};
pub use token::{SsoToken, TokenCache, TokenEntries, TokenEntry, TokenKey};

/// How long before its expiry a cached token, registration or set of keys stops being reused
/// (the AWS CLI's window for all three).
pub const REUSE_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// What went wrong with a cache file; every variant names the path. A corrupt entry is not
/// an error (it counts as missing).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read cache file `{path}`: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot list cache directory `{path}`: {source}")]
    List { path: PathBuf, source: io::Error },
    #[error("cannot remove cache file `{path}`: {source}")]
    Remove { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Write(#[from] FileError),
}

/// Entries are a few hundred bytes; anything larger than this is not one of ours and is
/// treated as corrupt rather than read whole.
const MAX_ENTRY_BYTES: u64 = 1 << 20;

fn sha1_hex(text: &str) -> String {
    format!("{:x}", Sha1::digest(text.as_bytes()))
}

fn entry_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.json"))
}

/// The bytes of a cache entry; `None` when it does not exist, is too large to be one, or is
/// not to be trusted (a link, not a regular file, another user's, in a folder others can
/// write: reported, and then treated as missing, so a fetch writes a fresh one in its place).
fn read_entry(path: &Path) -> Result<Option<Vec<u8>>, CacheError> {
    read_private(path, MAX_ENTRY_BYTES).map_err(|error| match error {
        FileError::Read { path, source } => CacheError::Read { path, source },
        other => CacheError::Write(other),
    })
}

fn write_entry(path: &Path, contents: &str) -> Result<(), CacheError> {
    Ok(write_private(path, contents.as_bytes())?)
}

/// Remove a cache entry; `false` when it was not there.
fn remove_entry(path: &Path) -> Result<bool, CacheError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(CacheError::Remove { path: path.to_owned(), source }),
    }
}

/// The `*.json` files of a cache directory, sorted; none when the directory does not exist.
/// Hidden names (our own temp files) are skipped.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, CacheError> {
    let list_err = |source| CacheError::List { path: dir.to_owned(), source };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(list_err(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(list_err)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        // Exactly `<key>.json`, the only names the AWS tools read.
        if name.starts_with('.') || name.strip_suffix(".json").is_none() {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// The top-level object of a cache entry, `None` when the bytes are not a JSON object.
fn parse_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn string(value: Option<&Value>) -> Option<String> {
    value?.as_str().map(str::to_owned)
}

fn timestamp(value: Option<&Value>) -> Option<Timestamp> {
    crate::time::parse_lenient(value?.as_str()?)
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    value?.as_array()?.iter().map(|item| item.as_str().map(str::to_owned)).collect()
}

/// Whether more than the reuse window is left before `expires_at` (the AWS CLI's
/// `expires_at - now >= 15 min`).
fn outside_reuse_window(expires_at: Timestamp, now: Timestamp) -> bool {
    expires_at.duration_since(now) >= REUSE_WINDOW
}
