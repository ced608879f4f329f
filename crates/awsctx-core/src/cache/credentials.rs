//! Role credentials in `~/.aws/cli/cache/<sha1>.json`, the AWS CLI's cache for SSO role
//! credentials and STS `AssumeRole` results (reference §5.1).

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

/// Short-term AWS keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// `None` for keys that do not expire.
    pub expiration: Option<Timestamp>,
    pub account_id: Option<String>,
}

impl RoleCredentials {
    /// Whether the AWS CLI would still reuse them: at least 15 minutes left (keys without an
    /// expiry always are).
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        self.expiration.is_none_or(|at| outside_reuse_window(at, now))
    }

    /// Read a cache entry of either shape (SSO or `AssumeRole`). `None` when the bytes are not
    /// a JSON object, or `Credentials` lacks a usable `AccessKeyId`, `SecretAccessKey` or
    /// `Expiration` (every AWS tool writes one; keys of unknown age are not reused). The
    /// account comes from `Credentials.AccountId`, else from `AssumedRoleUser.Arn`.
    pub fn from_cache_json(bytes: &[u8]) -> Option<Self> {
        let map = parse_object(bytes)?;
        let creds = map.get("Credentials")?.as_object()?;
        let account_id = super::string(creds.get("AccountId")).or_else(|| {
            let arn = map.get("AssumedRoleUser")?.get("Arn")?.as_str()?;
            account_of_arn(arn).map(str::to_owned)
        });
        Some(Self {
            access_key_id: super::string(creds.get("AccessKeyId"))?,
            secret_access_key: Secret::from(super::string(creds.get("SecretAccessKey"))?),
            session_token: super::string(creds.get("SessionToken")).map(Secret::from),
            expiration: Some(super::timestamp(creds.get("Expiration"))?),
            account_id,
        })
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
        let account_id = account_of_arn(assumed_role_user_arn).or(self.account_id.as_deref());
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

/// The account field of an ARN (`arn:partition:service:region:account:resource`).
fn account_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let account = parts.nth(3)?;
    parts.next()?;
    (!account.is_empty()).then_some(account)
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
