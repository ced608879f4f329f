//! OIDC client registrations, cached beside the tokens in `~/.aws/sso/cache/<sha1>.json`
//! under botocore's key, so `aws sso login` and awsctx reuse each other's
//! (`docs/file-formats.md`, "Client registrations").

use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::pyjson::{self, Layout};
use super::{
    CacheError, TokenCache, entry_path, outside_reuse_window, parse_object, read_entry,
    remove_entry, sha1_hex, write_entry,
};
use crate::secret::Secret;
use crate::time::format_cache;

/// What a registration is for: botocore's `_registration_cache_key` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistrationKey {
    /// The configured start URL.
    pub start_url: String,
    pub region: String,
    /// The configured `sso_registration_scopes`, `None` when not configured (even though the
    /// PKCE flow then registers the default scope).
    pub scopes: Option<Vec<String>>,
    /// The `sso-session` name, `None` for a legacy profile.
    pub session_name: Option<String>,
}

impl RegistrationKey {
    /// SHA-1 hex of `json.dumps({"tool": "botocore", "startUrl": …, "region": …,
    /// "scopes": …, "session_name": …}, sort_keys=True)`.
    pub fn file_stem(&self) -> String {
        let args = json!({
            "tool": "botocore",
            "startUrl": self.start_url,
            "region": self.region,
            "scopes": self.scopes,
            "session_name": self.session_name,
        });
        sha1_hex(&pyjson::dumps(&args, Layout::Default, true))
    }
}

/// A client registered with `RegisterClient`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRegistration {
    pub client_id: String,
    pub client_secret: Secret,
    /// `clientSecretExpiresAt`.
    pub expires_at: Timestamp,
    /// Written when set: the device flow sets it only for configured scopes, the PKCE flow
    /// always (the configured scopes or `["sso:account:access"]`).
    pub scopes: Option<Vec<String>>,
    /// Set by the PKCE flow (`["authorization_code", "refresh_token"]`); the device flow
    /// leaves it out.
    pub grant_types: Option<Vec<String>>,
}

impl ClientRegistration {
    /// Read a registration file; `None` when it is not a JSON object or `clientId`,
    /// `clientSecret` or `expiresAt` is missing or unusable. A `scopes` or `grantTypes` that
    /// is not a list of strings counts as absent.
    pub fn from_json(bytes: &[u8]) -> Option<Self> {
        let map = parse_object(bytes)?;
        Some(Self {
            client_id: super::string(map.get("clientId"))?,
            client_secret: Secret::from(super::string(map.get("clientSecret"))?),
            expires_at: super::timestamp(map.get("expiresAt"))?,
            scopes: super::string_list(map.get("scopes")),
            grant_types: super::string_list(map.get("grantTypes")),
        })
    }

    /// The file content the AWS CLI writes: `{"clientId": …, "clientSecret": …, "expiresAt":
    /// …[, "scopes": […]][, "grantTypes": […]]}` on one line.
    pub fn to_json(&self) -> String {
        let mut map = Map::new();
        map.insert("clientId".into(), Value::from(self.client_id.as_str()));
        map.insert("clientSecret".into(), Value::from(self.client_secret.expose()));
        map.insert("expiresAt".into(), Value::from(format_cache(self.expires_at)));
        if let Some(scopes) = &self.scopes {
            map.insert("scopes".into(), Value::from(scopes.clone()));
        }
        if let Some(grant_types) = &self.grant_types {
            map.insert("grantTypes".into(), Value::from(grant_types.clone()));
        }
        pyjson::dumps(&Value::Object(map), Layout::Default, false)
    }

    /// Whether it was registered for the authorization-code (PKCE) flow; one without
    /// `grantTypes` is a device-flow registration (older CLIs did not record them).
    pub fn is_for_auth_code(&self) -> bool {
        self.grant_types.as_ref().is_some_and(|g| g.iter().any(|t| t == "authorization_code"))
    }

    /// Whether the AWS CLI would reuse it for a login of this kind: at least 15 minutes left
    /// and registered for the same flow (the two flows share one cache key).
    pub fn is_usable(&self, now: Timestamp, for_auth_code: bool) -> bool {
        outside_reuse_window(self.expires_at, now) && self.is_for_auth_code() == for_auth_code
    }
}

impl TokenCache {
    pub fn registration_path(&self, key: &RegistrationKey) -> PathBuf {
        entry_path(self.dir(), &key.file_stem())
    }

    /// The cached registration; `None` when there is none or the file is corrupt.
    pub fn load_registration(
        &self,
        key: &RegistrationKey,
    ) -> Result<Option<ClientRegistration>, CacheError> {
        let bytes = read_entry(&self.registration_path(key))?;
        Ok(bytes.and_then(|bytes| ClientRegistration::from_json(&bytes)))
    }

    /// Write the registration atomically (file 0600, new directories 0700).
    pub fn store_registration(
        &self,
        key: &RegistrationKey,
        registration: &ClientRegistration,
    ) -> Result<(), CacheError> {
        write_entry(&self.registration_path(key), &registration.to_json())
    }

    /// Delete the registration file; `false` when there was none.
    pub fn remove_registration(&self, key: &RegistrationKey) -> Result<bool, CacheError> {
        remove_entry(&self.registration_path(key))
    }
}
