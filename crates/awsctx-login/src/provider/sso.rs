//! SSO profiles: role credentials from the cache, else under the role's lock from the portal
//! with the session's token, refreshed first inside botocore's window.

use awsctx_core::cache::{CredentialKey, RoleCredentials, SsoToken};
use awsctx_core::config::ProfileKind;
use jiff::{SignedDuration, Timestamp};

use super::{
    CredentialOrigin, CredentialProvider, KeySource, LockPurpose, LoginReason, LoginSession,
    ProfileCredentials, ProviderError, role_lock_name, whole_seconds,
};
use crate::endpoint::Service;
use crate::error::Error;
use crate::http::run_blocking;
use crate::oidc::{ClientCredentials, Grant, SsoOidc};
use crate::portal::SsoPortal;

impl CredentialProvider<'_> {
    /// The role credentials of an SSO profile: cache, else lock, re-check, token, portal.
    pub(super) fn sso_credentials(
        &self,
        profile: &str,
        kind: &ProfileKind,
    ) -> Result<ProfileCredentials, ProviderError> {
        let (Some((key, account_id, role_name)), Some(session)) =
            (sso_credential_key(kind), LoginSession::of_kind(profile, kind))
        else {
            return Err(ProviderError::Unsupported {
                profile: profile.to_owned(),
                what: "this kind of SSO profile".to_owned(),
            });
        };
        let done = |credentials: RoleCredentials, origin| ProfileCredentials {
            credentials,
            profile: profile.to_owned(),
            account_id: Some(account_id.to_owned()),
            role_name: Some(role_name.to_owned()),
            region: None,
            origin,
        };
        if let Some(cached) = self.fresh_cached(&key)? {
            return Ok(done(cached, CredentialOrigin::Cache));
        }
        if !self.settings.allow_network {
            // Say whether a login would help: that much is known without the network.
            let now = Timestamp::now();
            let refreshable = |t: &SsoToken| session.session_name().is_some() && t.can_refresh(now);
            return Err(match self.tokens.load(&session.token_key())? {
                None => login_required(&session, LoginReason::Missing),
                Some(t) if t.is_expired(now) && !refreshable(&t) => {
                    login_required(&session, LoginReason::Expired)
                }
                Some(_) => ProviderError::NotCached { profile: profile.to_owned() },
            });
        }
        let _lock = self.lock(
            &role_lock_name("credentials", &key),
            &LockPurpose::RoleCredentials { profile: profile.to_owned() },
        )?;
        // Whoever held the lock has probably just written what we need.
        if let Some(cached) = self.fresh_cached(&key)? {
            return Ok(done(cached, CredentialOrigin::Cache));
        }
        let token = self.sso_token(&session, Some(profile))?;
        let portal = SsoPortal::new(
            &self.http()?,
            self.endpoint(Service::Sso, session.region(), Some(profile))?,
        );
        let fetched =
            run_blocking(portal.get_role_credentials(account_id, role_name, &token.access_token))?;
        let fetched = match fetched {
            Ok(fetched) => fetched,
            Err(error) if error.code() == Some("UnauthorizedException") => {
                return Err(ProviderError::LoginRequired {
                    target: session.target(),
                    reason: LoginReason::Refused,
                });
            }
            Err(error) => return Err(error.into()),
        };
        let credentials = RoleCredentials::new(
            fetched.access_key_id,
            fetched.secret_access_key,
            Some(fetched.session_token),
            Some(fetched.expiration),
        )
        .map_err(|reason| ProviderError::InvalidCredentials {
            profile: profile.to_owned(),
            from: KeySource::Service(portal.endpoint().call("GetRoleCredentials")),
            reason,
        })?
        .with_account_id(Some(account_id.to_owned()));
        self.credentials.store_sso(&key, &credentials)?;
        Ok(done(credentials, CredentialOrigin::Portal))
    }

    /// A usable access token for `session`, refreshed first when botocore would refresh it
    /// (less than 15 minutes left; sso-session tokens only).
    pub fn sso_token(
        &self,
        session: &LoginSession,
        profile: Option<&str>,
    ) -> Result<SsoToken, ProviderError> {
        let key = session.token_key();
        let now = Timestamp::now();
        let Some(token) = self.tokens.load(&key)? else {
            return Err(login_required(session, LoginReason::Missing));
        };
        let refreshable = session.session_name().is_some()
            && token.can_refresh(now)
            && self.settings.allow_network;
        if !token.needs_refresh(now) || !refreshable {
            return usable(session, token, now);
        }
        let _lock = self.lock(
            &format!("sso-token-{}", key.file_stem()),
            &LockPurpose::TokenRefresh { target: session.target() },
        )?;
        let now = Timestamp::now();
        let Some(token) = self.tokens.load(&key)? else {
            return Err(login_required(session, LoginReason::Missing));
        };
        if !token.needs_refresh(now) || !token.can_refresh(now) {
            return usable(session, token, now);
        }
        match self.refresh(session, &token, profile)? {
            Some(refreshed) => {
                self.tokens.store(&key, &refreshed)?;
                Ok(refreshed)
            }
            None => usable(session, token, Timestamp::now()),
        }
    }

    /// The `refresh_token` grant. `Ok(None)` when the service refused it (botocore then keeps
    /// the old token); a network failure is an error unless the old token still works.
    fn refresh(
        &self,
        session: &LoginSession,
        token: &SsoToken,
        profile: Option<&str>,
    ) -> Result<Option<SsoToken>, ProviderError> {
        let (Some(client_id), Some(client_secret), Some(refresh_token)) =
            (&token.client_id, &token.client_secret, &token.refresh_token)
        else {
            return Ok(None);
        };
        let oidc = SsoOidc::new(
            &self.http()?,
            self.endpoint(Service::SsoOidc, session.region(), profile)?,
        );
        let client = ClientCredentials {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        };
        let grant =
            run_blocking(oidc.create_token(&client, Grant::RefreshToken { refresh_token }))?;
        let now = Timestamp::now();
        match grant {
            Ok(grant) => {
                let expires_in = SignedDuration::try_from(grant.expires_in).unwrap_or_default();
                let mut refreshed = token.refreshed(
                    grant.access_token,
                    expires_in,
                    grant.refresh_token,
                    whole_seconds(now),
                );
                // botocore writes the configured start URL and region back.
                refreshed.start_url = Some(session.start_url().to_owned());
                refreshed.region = Some(session.region().to_owned());
                Ok(Some(refreshed))
            }
            Err(Error::Service(_)) => Ok(None),
            Err(_) if !token.is_expired(now) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

fn login_required(session: &LoginSession, reason: LoginReason) -> ProviderError {
    ProviderError::LoginRequired { target: session.target(), reason }
}

/// The token if it has not expired yet.
fn usable(
    session: &LoginSession,
    token: SsoToken,
    now: Timestamp,
) -> Result<SsoToken, ProviderError> {
    if token.is_expired(now) {
        Err(login_required(session, LoginReason::Expired))
    } else {
        Ok(token)
    }
}

/// The role-credential cache key of an SSO profile, with its account and role.
pub(super) fn sso_credential_key(kind: &ProfileKind) -> Option<(CredentialKey, &str, &str)> {
    match kind {
        ProfileKind::Sso { session, account_id, role_name } => Some((
            CredentialKey::sso(account_id, role_name, &session.name),
            account_id.as_str(),
            role_name.as_str(),
        )),
        ProfileKind::LegacySso { start_url, account_id, role_name, .. } => Some((
            CredentialKey::sso_legacy(account_id, role_name, start_url),
            account_id.as_str(),
            role_name.as_str(),
        )),
        _ => None,
    }
}
