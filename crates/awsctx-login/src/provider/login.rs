//! `awsctx login` and `awsctx logout` without the printing: the client registration cached
//! under botocore's key, the PKCE or device-code flow, the token written in botocore's format,
//! and single flight (a second login for the same session waits for the first and reuses its
//! token). What the user must see arrives as [`LoginEvent`]s.

use std::time::{Duration, SystemTime};

use awsctx_core::cache::{ClientRegistration, RegistrationKey, SsoToken, TokenKey};
use jiff::{SignedDuration, Timestamp};

use super::sso::sso_credential_key;
use super::{CredentialProvider, LockPurpose, LoginSession, ProviderError};
use crate::endpoint::Service;
use crate::error::Error;
use crate::flow::{
    AuthorizePrompt, DeviceFlowTiming, DevicePrompt, PkceTiming, device_login, pkce_login,
};
use crate::http::{HttpClient, run_blocking};
use crate::oidc::{Registration, SsoOidc, TokenGrant, client_name};
use crate::pkce::CallbackListener;
use crate::portal::SsoPortal;

/// The interactive flow of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFlow {
    /// Authorization code with PKCE through a loopback callback (sso-session default).
    AuthorizationCode,
    /// The device code, approved in any browser (legacy profiles, `--use-device-code`).
    DeviceCode,
}

/// How to log in.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// The flow asked for; legacy profiles always use the device code, and PKCE falls back
    /// to it when no loopback port can be bound.
    pub flow: LoginFlow,
    /// The profile whose endpoint settings apply (`[services]`, `endpoint_url`), if any.
    pub profile: Option<String>,
    pub device_timing: DeviceFlowTiming,
    pub pkce_timing: PkceTiming,
    /// How long to wait for another process's login of the same session: longer than a
    /// login may take.
    pub wait_deadline: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            flow: LoginFlow::AuthorizationCode,
            profile: None,
            device_timing: DeviceFlowTiming::default(),
            pkce_timing: PkceTiming::default(),
            wait_deadline: Duration::from_secs(660),
        }
    }
}

/// What the user must be told during a login.
#[derive(Debug, Clone, Copy)]
pub enum LoginEvent<'e> {
    /// No loopback port could be bound: the device code is used instead.
    CallbackUnavailable { reason: &'e str },
    /// Open (or print) this URL: PKCE.
    Authorize(&'e AuthorizePrompt),
    /// Open the URL and show the code: device code.
    Device(&'e DevicePrompt),
}

/// How a login ended.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: SsoToken,
    /// The flow used; `None` when another process's fresh login was reused.
    pub flow: Option<LoginFlow>,
}

impl LoginOutcome {
    /// Whether the token came from a login another process finished while this one waited.
    pub fn reused(&self) -> bool {
        self.flow.is_none()
    }
}

/// What a logout removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogoutReport {
    /// Token files deleted.
    pub tokens: usize,
    /// Role-credential cache entries deleted.
    pub credentials: usize,
}

impl CredentialProvider<'_> {
    /// Log in to `session` interactively and write the token where botocore reads it.
    pub fn login(
        &self,
        session: &LoginSession,
        options: &LoginOptions,
        mut on_event: impl FnMut(LoginEvent<'_>),
    ) -> Result<LoginOutcome, ProviderError> {
        let started = SystemTime::now();
        let key = session.token_key();
        let _lock = self.lock_for(
            &format!("login-{}", key.file_stem()),
            &LockPurpose::Login { target: session.target() },
            options.wait_deadline,
        )?;
        // A login that another process finished while we waited serves us too.
        if let Some(token) = self.token_written_since(&key, started)? {
            return Ok(LoginOutcome { token, flow: None });
        }
        let flow = match session {
            LoginSession::Legacy { .. } => LoginFlow::DeviceCode,
            LoginSession::Session(_) => options.flow,
        };
        let oidc = SsoOidc::new(
            &self.http()?,
            self.endpoint(Service::SsoOidc, session.region(), options.profile.as_deref())?,
        );
        let (grant, registration, flow) =
            run_blocking(self.run_flow(&oidc, session, flow, options, &mut on_event))??;
        let now = super::whole_seconds(Timestamp::now());
        let expires_in = SignedDuration::try_from(grant.expires_in).unwrap_or_default();
        let token = SsoToken {
            start_url: Some(session.start_url().to_owned()),
            region: Some(session.region().to_owned()),
            access_token: grant.access_token,
            expires_at: now.saturating_add(expires_in).unwrap_or(Timestamp::MAX),
            client_id: Some(registration.client_id),
            client_secret: Some(registration.client_secret),
            registration_expires_at: Some(registration.expires_at),
            refresh_token: grant.refresh_token,
        };
        // Under the refresh lock, so a refresh in flight cannot write an older token over it.
        let _refresh = self.lock_for(
            &format!("sso-token-{}", key.file_stem()),
            &LockPurpose::TokenRefresh { target: session.target() },
            self.lock_deadline,
        )?;
        self.tokens.store(&key, &token)?;
        Ok(LoginOutcome { token, flow: Some(flow) })
    }

    async fn run_flow(
        &self,
        oidc: &SsoOidc,
        session: &LoginSession,
        flow: LoginFlow,
        options: &LoginOptions,
        on_event: &mut impl FnMut(LoginEvent<'_>),
    ) -> Result<(TokenGrant, ClientRegistration, LoginFlow), ProviderError> {
        let listener = match flow {
            LoginFlow::DeviceCode => None,
            LoginFlow::AuthorizationCode => match CallbackListener::bind().await {
                Ok(listener) => Some(listener),
                Err(error) => {
                    on_event(LoginEvent::CallbackUnavailable { reason: &error.to_string() });
                    None
                }
            },
        };
        let registration = self.registration(oidc, session, listener.is_some()).await?;
        let client = crate::oidc::ClientCredentials {
            client_id: registration.client_id.clone(),
            client_secret: registration.client_secret.clone(),
        };
        let (grant, flow) = if let Some(listener) = listener {
            let scopes = registration.scopes.clone().unwrap_or_default();
            let grant = pkce_login(oidc, &client, &scopes, listener, &options.pkce_timing, |p| {
                on_event(LoginEvent::Authorize(p));
            })
            .await?;
            (grant, LoginFlow::AuthorizationCode)
        } else {
            let grant =
                device_login(oidc, &client, session.start_url(), &options.device_timing, |p| {
                    on_event(LoginEvent::Device(p));
                })
                .await?;
            (grant, LoginFlow::DeviceCode)
        };
        Ok((grant, registration, flow))
    }

    /// The cached client registration when the AWS CLI would reuse it, else a new one
    /// (written to the cache under botocore's key).
    async fn registration(
        &self,
        oidc: &SsoOidc,
        session: &LoginSession,
        for_auth_code: bool,
    ) -> Result<ClientRegistration, ProviderError> {
        let key = RegistrationKey {
            start_url: session.start_url().to_owned(),
            region: session.region().to_owned(),
            scopes: session.configured_scopes(),
            session_name: session.session_name().map(str::to_owned),
        };
        let now = Timestamp::now();
        if let Some(cached) = self.tokens.load_registration(&key)?
            && cached.is_usable(now, for_auth_code)
        {
            return Ok(cached);
        }
        let client_name = client_name(session.session_name(), now);
        let request = if for_auth_code {
            Registration::AuthorizationCode {
                client_name,
                issuer_url: session.start_url().to_owned(),
                scopes: session.configured_scopes(),
            }
        } else {
            Registration::DeviceCode { client_name, scopes: session.configured_scopes() }
        };
        let registered = oidc.register_client(&request).await?;
        let registration = ClientRegistration {
            client_id: registered.client_id,
            client_secret: registered.client_secret,
            expires_at: registered.client_secret_expires_at,
            scopes: (!registered.scopes.is_empty()).then_some(registered.scopes),
            grant_types: (!registered.grant_types.is_empty()).then_some(registered.grant_types),
        };
        self.tokens.store_registration(&key, &registration)?;
        Ok(registration)
    }

    /// A token for `key` written after `since` and good for a while yet.
    fn token_written_since(
        &self,
        key: &TokenKey,
        since: SystemTime,
    ) -> Result<Option<SsoToken>, ProviderError> {
        let written = std::fs::symlink_metadata(self.tokens.path(key)).and_then(|m| m.modified());
        if written.is_ok_and(|at| at >= since) {
            let now = Timestamp::now();
            return Ok(self.tokens.load(key)?.filter(|t| !t.needs_refresh(now)));
        }
        Ok(None)
    }

    /// Log out of one session: the portal's `Logout` (errors ignored, like the AWS CLI), its
    /// token file, and the cached role credentials of every profile that uses it.
    pub fn logout(&self, session: &LoginSession) -> Result<LogoutReport, ProviderError> {
        let key = session.token_key();
        let mut report = LogoutReport::default();
        if let Some(token) = self.tokens.load(&key)? {
            self.revoke(&token.access_token, session.region());
        }
        if self.tokens.remove(&key)? {
            report.tokens += 1;
        }
        for name in self.config.profiles().map(|p| p.name()) {
            let Ok(kind) = self.config.kind(name) else { continue };
            let same = LoginSession::of_kind(name, &kind).is_some_and(|s| s.token_key() == key);
            if same
                && let Some((credential_key, _, _)) = sso_credential_key(&kind)
                && self.credentials.remove(&credential_key)?
            {
                report.credentials += 1;
            }
        }
        Ok(report)
    }

    /// Log out of everything, as `aws sso logout` does: every token file (registrations stay)
    /// and every role-credential entry from SSO.
    pub fn logout_all(&self) -> Result<LogoutReport, ProviderError> {
        let mut report = LogoutReport::default();
        for entry in self.tokens.entries()? {
            let entry = entry?;
            if let Some(region) = &entry.region {
                self.revoke(&entry.access_token, region);
            }
            if self.tokens.remove_entry(&entry)? {
                report.tokens += 1;
            }
        }
        report.credentials = self.credentials.remove_sso_entries()?;
        Ok(report)
    }

    /// The portal's `Logout`, one attempt, every failure ignored.
    fn revoke(&self, access_token: &awsctx_core::secret::Secret, region: &str) {
        if !self.settings.allow_network {
            return;
        }
        let mut settings = self.settings.http.clone();
        settings.max_attempts = 1;
        let Ok(http) = HttpClient::new(&settings, self.env) else { return };
        let Ok(endpoint) = self.endpoint(Service::Sso, region, None) else { return };
        let portal = SsoPortal::new(&http, endpoint);
        let _ignored: Result<Result<(), Error>, Error> = run_blocking(portal.logout(access_token));
    }
}
