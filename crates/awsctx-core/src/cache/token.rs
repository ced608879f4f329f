//! SSO access tokens in `~/.aws/sso/cache/<sha1>.json` (`docs/file-formats.md`, "SSO tokens").

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use super::pyjson::{self, Layout};
use super::{
    CacheError, REUSE_WINDOW, entry_path, json_files, parse_object, read_entry, remove_entry,
    sha1_hex, write_entry,
};
use crate::secret::Secret;
use crate::time::format_cache;

/// The directory of SSO tokens and client registrations, `~/.aws/sso/cache` (fixed in every
/// AWS tool: no environment variable moves it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCache {
    dir: PathBuf,
}

/// Which token a file holds: the `sso-session` name, or for a legacy profile (no
/// `sso_session`) its `sso_start_url` exactly as configured.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenKey {
    Session(String),
    StartUrl(String),
}

impl TokenKey {
    /// The file name without `.json`: the SHA-1 hex of the session name or start URL.
    pub fn file_stem(&self) -> String {
        match self {
            Self::Session(name) => sha1_hex(name),
            Self::StartUrl(url) => sha1_hex(url),
        }
    }
}

/// An SSO access token with what is needed to refresh it, as botocore stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoToken {
    /// The configured (not the resolved vanity) start URL. Absent in minimal files written by
    /// other tools.
    pub start_url: Option<String>,
    /// The `sso_region`. Absent in minimal files written by other tools.
    pub region: Option<String>,
    pub access_token: Secret,
    pub expires_at: Timestamp,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub registration_expires_at: Option<Timestamp>,
    pub refresh_token: Option<Secret>,
}

impl SsoToken {
    /// Read a token file. Keys match case-insensitively and unknown keys are ignored, as in
    /// the Rust SDK; `None` when the bytes are not a JSON object, or `accessToken` or
    /// `expiresAt` is missing or unusable. An optional field of the wrong type counts as
    /// absent.
    pub fn from_json(bytes: &[u8]) -> Option<Self> {
        let map = parse_object(bytes)?;
        let get = |name: &str| field_ignore_case(&map, name);
        Some(Self {
            access_token: Secret::new(get("accessToken")?.as_str()?),
            expires_at: super::timestamp(get("expiresAt"))?,
            start_url: super::string(get("startUrl")),
            region: super::string(get("region")),
            client_id: super::string(get("clientId")),
            client_secret: super::string(get("clientSecret")).map(Secret::from),
            registration_expires_at: super::timestamp(get("registrationExpiresAt")),
            refresh_token: super::string(get("refreshToken")).map(Secret::from),
        })
    }

    /// The file content botocore writes: one line, Python separators, no trailing newline,
    /// keys in botocore's order, absent fields left out, times as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn to_json(&self) -> String {
        let mut map = Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                map.insert(key.to_owned(), Value::String(value));
            }
        };
        put("startUrl", self.start_url.clone());
        put("region", self.region.clone());
        put("accessToken", Some(self.access_token.expose().to_owned()));
        put("expiresAt", Some(format_cache(self.expires_at)));
        put("clientId", self.client_id.clone());
        put("clientSecret", self.client_secret.as_ref().map(|s| s.expose().to_owned()));
        put("registrationExpiresAt", self.registration_expires_at.map(format_cache));
        put("refreshToken", self.refresh_token.as_ref().map(|s| s.expose().to_owned()));
        pyjson::dumps(&Value::Object(map), Layout::Default, false)
    }

    /// Whether the token can no longer be used (`expiresAt <= now`).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now
    }

    /// Whether botocore would try to refresh it: less than 15 minutes left.
    pub fn needs_refresh(&self, now: Timestamp) -> bool {
        self.expires_at.duration_since(now) < REUSE_WINDOW
    }

    /// Whether a `refresh_token` grant is possible: refresh token, client id and secret
    /// present, and the client registration not yet expired (botocore's
    /// `_refresh_access_token` preconditions).
    pub fn can_refresh(&self, now: Timestamp) -> bool {
        self.refresh_token.is_some()
            && self.client_id.is_some()
            && self.client_secret.is_some()
            && self.registration_expires_at.is_some_and(|at| at > now)
    }

    /// The token after a successful refresh, as botocore writes it back: the new access
    /// token, `expiresAt = now + expires_in`, the same client registration, and a refresh
    /// token only when the response carried one (botocore drops the old one otherwise).
    /// `start_url` and `region` are kept; botocore takes them from the config, so a caller
    /// holding the config sets them.
    #[must_use]
    pub fn refreshed(
        &self,
        access_token: Secret,
        expires_in: SignedDuration,
        refresh_token: Option<Secret>,
        now: Timestamp,
    ) -> Self {
        Self {
            access_token,
            expires_at: now.saturating_add(expires_in).unwrap_or(Timestamp::MAX),
            refresh_token,
            ..self.clone()
        }
    }
}

/// A token file seen by [`TokenCache::entries`]: what `logout` needs to revoke and delete it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEntry {
    pub path: PathBuf,
    pub access_token: Secret,
    pub region: Option<String>,
    pub start_url: Option<String>,
    /// `None` when the file's `expiresAt` is missing or unreadable.
    pub expires_at: Option<Timestamp>,
}

impl TokenEntry {
    fn from_file(path: PathBuf, bytes: &[u8]) -> Option<Self> {
        let map = parse_object(bytes)?;
        let get = |name: &str| field_ignore_case(&map, name);
        Some(Self {
            access_token: Secret::new(get("accessToken")?.as_str()?),
            region: super::string(get("region")),
            start_url: super::string(get("startUrl")),
            expires_at: super::timestamp(get("expiresAt")),
            path,
        })
    }
}

/// The token files of a [`TokenCache`], read one by one. Registration files and corrupt
/// files are skipped; a file that cannot be read is an error (and the walk goes on).
#[derive(Debug)]
pub struct TokenEntries {
    files: std::vec::IntoIter<PathBuf>,
}

impl Iterator for TokenEntries {
    type Item = Result<TokenEntry, CacheError>;

    fn next(&mut self) -> Option<Self::Item> {
        for path in self.files.by_ref() {
            match read_entry(&path) {
                Ok(Some(bytes)) => {
                    if let Some(entry) = TokenEntry::from_file(path, &bytes) {
                        return Some(Ok(entry));
                    }
                }
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        None
    }
}

impl TokenCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `<home>/.aws/sso/cache`.
    pub fn from_home(home: &Path) -> Self {
        Self::new(home.join(".aws").join("sso").join("cache"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, key: &TokenKey) -> PathBuf {
        entry_path(&self.dir, &key.file_stem())
    }

    /// The cached token; `None` when there is none or the file is corrupt or incomplete.
    pub fn load(&self, key: &TokenKey) -> Result<Option<SsoToken>, CacheError> {
        Ok(read_entry(&self.path(key))?.and_then(|bytes| SsoToken::from_json(&bytes)))
    }

    /// Write the token atomically (file 0600, new directories 0700).
    pub fn store(&self, key: &TokenKey, token: &SsoToken) -> Result<(), CacheError> {
        write_entry(&self.path(key), &token.to_json())
    }

    /// Delete the token file; `false` when there was none.
    pub fn remove(&self, key: &TokenKey) -> Result<bool, CacheError> {
        remove_entry(&self.path(key))
    }

    /// Delete the file of an entry found by [`TokenCache::entries`].
    pub fn remove_entry(&self, entry: &TokenEntry) -> Result<bool, CacheError> {
        remove_entry(&entry.path)
    }

    /// Every file holding an `accessToken` (what `aws sso logout` deletes; registration files
    /// stay).
    pub fn entries(&self) -> Result<TokenEntries, CacheError> {
        Ok(TokenEntries { files: json_files(&self.dir)?.into_iter() })
    }
}

/// `map[name]` with the name matched case-insensitively; the last match wins, as when the
/// Rust SDK reads the keys in order.
fn field_ignore_case<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, v)| v).next_back()
}
