//! Role credentials in `~/.aws/cli/cache/<sha1>.json`, the AWS CLI's cache for SSO role
//! credentials and STS `AssumeRole` results (`docs/file-formats.md`, "Role credentials").

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::pyjson::{self, Layout};
use super::{
    CacheError, entry_path, json_files, outside_reuse_window, parse_object, read_entry,
    remove_entry, sha1_hex, write_entry,
};
use crate::secret::Secret;
use crate::time::{format_cache, format_export};

/// The directory of cached role credentials, `~/.aws/cli/cache`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCache {
    dir: PathBuf,
}

/// The name of one cached set of role credentials (the SHA-1 file stem).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CredentialKey {
    stem: String,
}

/// The `AssumeRole` arguments that make up the AWS CLI's cache key. The source profile is not
/// part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AssumeRoleKeyArgs {
    pub role_arn: String,
    /// Only when configured (`role_session_name`); a generated name is left out of the key.
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    /// `mfa_serial`.
    pub serial_number: Option<String>,
    pub duration_seconds: Option<u32>,
}

impl CredentialKey {
    /// SSO role credentials of an `sso-session` profile: SHA-1 of
    /// `{"accountId":…,"roleName":…,"sessionName":…}` (sorted, compact).
    pub fn sso(account_id: &str, role_name: &str, session_name: &str) -> Self {
        let args =
            json!({"accountId": account_id, "roleName": role_name, "sessionName": session_name});
        Self::hashed(&pyjson::dumps(&args, Layout::Compact, true))
    }

    /// SSO role credentials of a legacy profile (no `sso_session`): SHA-1 of
    /// `{"accountId":…,"roleName":…,"startUrl":…}` (sorted, compact).
    pub fn sso_legacy(account_id: &str, role_name: &str, start_url: &str) -> Self {
        let args = json!({"accountId": account_id, "roleName": role_name, "startUrl": start_url});
        Self::hashed(&pyjson::dumps(&args, Layout::Compact, true))
    }

    /// `AssumeRole` credentials: SHA-1 of the present arguments as
    /// `json.dumps(args, sort_keys=True)` (default separators).
    pub fn assume_role(args: &AssumeRoleKeyArgs) -> Self {
        let mut map = Map::new();
        map.insert("RoleArn".into(), Value::from(args.role_arn.as_str()));
        let optional = [
            ("RoleSessionName", &args.role_session_name),
            ("ExternalId", &args.external_id),
            ("SerialNumber", &args.serial_number),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), Value::from(value.as_str()));
            }
        }
        if let Some(seconds) = args.duration_seconds {
            map.insert("DurationSeconds".into(), Value::from(seconds));
        }
        Self::hashed(&pyjson::dumps(&Value::Object(map), Layout::Default, true))
    }

    /// The file name without `.json`.
    pub fn file_stem(&self) -> &str {
        &self.stem
    }

    fn hashed(args: &str) -> Self {
        // botocore also maps `:` and `/` to `_`, which never occur in hex.
        Self { stem: sha1_hex(args) }
    }
}

/// AWS keys, short-term or not, checked when they are made: every way keys enter awsctx (the
/// SSO portal, STS, `credential_process`, the caches, the config, the environment) builds
/// them with [`RoleCredentials::new`], and the fields cannot be changed afterwards. So no
/// value can hold shell syntax by the time `export`, `exec` or the hook print it unquoted,
/// as the AWS CLI does: see [`InvalidCredentials`] for the characters allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expiration: Option<Timestamp>,
    account_id: Option<String>,
}

/// The longest access key id (IAM's `AccessKeyIdType`).
pub const MAX_ACCESS_KEY_ID: usize = 128;
/// The longest secret or session token: far above any AWS issues (40 characters, and a
/// few kilobytes for tokens with session tags), far below Linux's 128 KiB for one
/// environment string, which a longer exported value would break for every command.
pub const MAX_SECRET: usize = 64 * 1024;

/// Which value of a set of keys was refused (never the value: it may be a secret). Access key
/// ids are IAM's pattern `[\w]+` (letters, digits, `_`; AWS issues upper case and digits,
/// S3-compatible stores lower case too); secrets and session tokens the base64 and base64url
/// alphabets (`A–Z a–z 0–9 + / = - _`). None of these characters means anything to any
/// shell, which is what lets `export --format env` print them unquoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCredentials {
    #[error("the access key id is not 1 to 128 letters, digits or `_`, the characters AWS issues")]
    AccessKeyId,
    #[error(
        "the secret access key holds characters AWS never issues (only letters, digits, `+`, `/`, `=`, `-` and `_`)"
    )]
    SecretAccessKey,
    #[error(
        "the session token holds characters AWS never issues (only letters, digits, `+`, `/`, `=`, `-` and `_`)"
    )]
    SessionToken,
}

fn is_access_key_id(value: &str) -> bool {
    (1..=MAX_ACCESS_KEY_ID).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn is_base64_like(value: &str) -> bool {
    (1..=MAX_SECRET).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b))
}

impl RoleCredentials {
    /// Keys, if every value is made of the characters AWS issues ([`InvalidCredentials`]).
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: Secret,
        session_token: Option<Secret>,
        expiration: Option<Timestamp>,
    ) -> Result<Self, InvalidCredentials> {
        let access_key_id = access_key_id.into();
        if !is_access_key_id(&access_key_id) {
            return Err(InvalidCredentials::AccessKeyId);
        }
        if !is_base64_like(secret_access_key.expose()) {
            return Err(InvalidCredentials::SecretAccessKey);
        }
        if session_token.as_ref().is_some_and(|t| !is_base64_like(t.expose())) {
            return Err(InvalidCredentials::SessionToken);
        }
        Ok(Self { access_key_id, secret_access_key, session_token, expiration, account_id: None })
    }

    /// The same keys, said to belong to `account_id`.
    #[must_use]
    pub fn with_account_id(mut self, account_id: Option<String>) -> Self {
        self.account_id = account_id;
        self
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    pub fn session_token(&self) -> Option<&Secret> {
        self.session_token.as_ref()
    }

    /// `None` for keys that do not expire.
    pub fn expiration(&self) -> Option<Timestamp> {
        self.expiration
    }

    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// Whether the AWS CLI would still reuse them: at least 15 minutes left (keys without an
    /// expiry always are).
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        self.expiration.is_none_or(|at| outside_reuse_window(at, now))
    }

    /// Read a cache entry of either shape (SSO or `AssumeRole`). `None` when the bytes are not
    /// a JSON object, or `Credentials` lacks a usable `AccessKeyId`, `SecretAccessKey` or
    /// `Expiration` (every AWS tool writes one; keys of unknown age are not reused), or holds
    /// a value [`RoleCredentials::new`] refuses: such an entry counts as corrupt, so it is
    /// fetched again and replaced. The account comes from `Credentials.AccountId`, else from
    /// `AssumedRoleUser.Arn`.
    pub fn from_cache_json(bytes: &[u8]) -> Option<Self> {
        let map = parse_object(bytes)?;
        let creds = map.get("Credentials")?.as_object()?;
        let account_id = super::string(creds.get("AccountId")).or_else(|| {
            let arn = map.get("AssumedRoleUser")?.get("Arn")?.as_str()?;
            crate::arn::account_of(arn).map(str::to_owned)
        });
        let keys = Self::new(
            super::string(creds.get("AccessKeyId"))?,
            Secret::from(super::string(creds.get("SecretAccessKey"))?),
            super::string(creds.get("SessionToken")).map(Secret::from),
            Some(super::timestamp(creds.get("Expiration"))?),
        )
        .ok()?;
        Some(keys.with_account_id(account_id))
    }

    /// The `Credentials` object, keys in the AWS CLI's order, absent ones left out.
    fn credentials_object(&self, expiration: Option<String>, account_id: Option<&str>) -> Value {
        let mut creds = Map::new();
        creds.insert("AccessKeyId".into(), Value::from(self.access_key_id.as_str()));
        creds.insert("SecretAccessKey".into(), Value::from(self.secret_access_key.expose()));
        if let Some(token) = &self.session_token {
            creds.insert("SessionToken".into(), Value::from(token.expose()));
        }
        if let Some(expiration) = expiration {
            creds.insert("Expiration".into(), Value::from(expiration));
        }
        if let Some(account_id) = account_id {
            creds.insert("AccountId".into(), Value::from(account_id));
        }
        Value::Object(creds)
    }

    /// The entry the AWS CLI writes for SSO role credentials:
    /// `{"ProviderType": "sso", "Credentials": {…, "Expiration": "…Z", "AccountId": …}}`.
    pub fn to_sso_cache_json(&self) -> String {
        let creds =
            self.credentials_object(self.expiration.map(format_cache), self.account_id.as_deref());
        let mut entry = Map::new();
        entry.insert("ProviderType".into(), Value::from("sso"));
        entry.insert("Credentials".into(), creds);
        pyjson::dumps(&Value::Object(entry), Layout::Default, false)
    }

    /// The entry AWS CLI v2 writes for `AssumeRole`: the parsed STS response with
    /// `Expiration` as `…+00:00` and `Credentials.AccountId` taken from the assumed-role ARN
    /// (or, failing that, from these credentials).
    pub fn to_assume_role_cache_json(
        &self,
        assumed_role_user_arn: &str,
        assumed_role_id: &str,
        request_id: &str,
    ) -> String {
        let account_id =
            crate::arn::account_of(assumed_role_user_arn).or(self.account_id.as_deref());
        let creds = self.credentials_object(self.expiration.map(format_export), account_id);
        let mut entry = Map::new();
        entry.insert("Credentials".into(), creds);
        entry.insert(
            "AssumedRoleUser".into(),
            json!({"AssumedRoleId": assumed_role_id, "Arn": assumed_role_user_arn}),
        );
        entry.insert(
            "ResponseMetadata".into(),
            json!({"RequestId": request_id, "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}),
        );
        pyjson::dumps(&Value::Object(entry), Layout::Default, false)
    }
}

impl CredentialCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `<home>/.aws/cli/cache`.
    pub fn from_home(home: &Path) -> Self {
        Self::new(home.join(".aws").join("cli").join("cache"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, key: &CredentialKey) -> PathBuf {
        entry_path(&self.dir, key.file_stem())
    }

    /// The cached credentials, of either shape; `None` when there are none or the file is
    /// corrupt. Freshness is the caller's question ([`RoleCredentials::is_fresh`]).
    pub fn load(&self, key: &CredentialKey) -> Result<Option<RoleCredentials>, CacheError> {
        Ok(read_entry(&self.path(key))?.and_then(|bytes| RoleCredentials::from_cache_json(&bytes)))
    }

    /// Write SSO role credentials atomically, in the AWS CLI's SSO shape.
    pub fn store_sso(
        &self,
        key: &CredentialKey,
        creds: &RoleCredentials,
    ) -> Result<(), CacheError> {
        write_entry(&self.path(key), &creds.to_sso_cache_json())
    }

    /// Write `AssumeRole` credentials atomically, in the AWS CLI v2 shape.
    pub fn store_assume_role(
        &self,
        key: &CredentialKey,
        creds: &RoleCredentials,
        assumed_role_user_arn: &str,
        assumed_role_id: &str,
        request_id: &str,
    ) -> Result<(), CacheError> {
        let json =
            creds.to_assume_role_cache_json(assumed_role_user_arn, assumed_role_id, request_id);
        write_entry(&self.path(key), &json)
    }

    /// Delete one entry; `false` when there was none.
    pub fn remove(&self, key: &CredentialKey) -> Result<bool, CacheError> {
        remove_entry(&self.path(key))
    }

    /// Delete every entry whose `ProviderType` is `"sso"`, as `aws sso logout` does, and say
    /// how many went. Files that cannot be read or parsed are not known to be SSO entries and
    /// stay.
    pub fn remove_sso_entries(&self) -> Result<usize, CacheError> {
        let mut removed = 0;
        for path in json_files(&self.dir)? {
            let Ok(Some(bytes)) = read_entry(&path) else { continue };
            let is_sso = parse_object(&bytes)
                .is_some_and(|map| map.get("ProviderType").and_then(Value::as_str) == Some("sso"));
            if is_sso && remove_entry(&path)? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
