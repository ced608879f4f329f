//! The two interactive logins, built on [`SsoOidc`] and the [`crate::pkce`] pieces:
//! the device-code flow and the authorization-code flow with PKCE (`docs/aws-protocol.md`).
//! Client registration is the caller's business (it is cached); these functions take the
//! registered client's credentials and return the [`TokenGrant`]. What the user must see is
//! handed to a callback, never printed.

use std::time::Duration;

use jiff::Timestamp;
use tokio::time::Instant;

use crate::browser::BrowserUrl;
use crate::error::Error;
use crate::oidc::{ClientCredentials, DEFAULT_SCOPE, Grant, SsoOidc, TokenGrant};
use crate::pkce::{self, CallbackListener};

/// What the user needs to approve a device-code login. The URLs were checked to be ones a
/// browser may open; the code is the server's text, for the caller to escape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePrompt {
    pub verification_uri: BrowserUrl,
    /// The URI with the code filled in: the one to open in a browser.
    pub verification_uri_complete: Option<BrowserUrl>,
    pub user_code: String,
    pub expires_at: Timestamp,
}

/// The URL the user must open to approve an authorization-code login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizePrompt {
    pub url: BrowserUrl,
}

/// Polling pace of the device-code flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFlowTiming {
    /// Used when the service names no interval.
    pub default_interval: Duration,
    /// Poll at this pace whatever the service says (for tests and impatient callers).
    pub interval_override: Option<Duration>,
    /// Added to the interval on each `slow_down`.
    pub slow_down_step: Duration,
    /// Give up after this long even if the device code has not expired yet.
    pub max_wait: Option<Duration>,
}

impl Default for DeviceFlowTiming {
    fn default() -> Self {
        Self {
            default_interval: Duration::from_secs(5),
            interval_override: None,
            slow_down_step: Duration::from_secs(5),
            max_wait: None,
        }
    }
}

/// Limits of the authorization-code flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PkceTiming {
    /// How long the loopback listener waits for the browser (the AWS CLI waits 600 s).
    pub callback_deadline: Duration,
}

impl Default for PkceTiming {
    fn default() -> Self {
        Self { callback_deadline: Duration::from_secs(600) }
    }
}

/// The device-code login: `StartDeviceAuthorization`, one immediate `CreateToken` (the client
/// may already be approved), then `on_prompt`, then polling until a token, `expired_token`
/// or the deadline (the code's lifetime, or `max_wait` if shorter).
pub async fn device_login(
    oidc: &SsoOidc,
    client: &ClientCredentials,
    start_url: &str,
    timing: &DeviceFlowTiming,
    on_prompt: impl FnOnce(&DevicePrompt),
) -> Result<TokenGrant, Error> {
    let authorization = oidc.start_device_authorization(client, start_url).await?;
    let started = Instant::now();
    let lifetime =
        timing.max_wait.map_or(authorization.expires_in, |max| max.min(authorization.expires_in));
    let deadline = started + lifetime;
    let expires_at = Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(authorization.expires_in).unwrap_or_default())
        .unwrap_or(Timestamp::MAX);
    let mut interval =
        timing.interval_override.or(authorization.interval).unwrap_or(timing.default_interval);
    let grant = Grant::DeviceCode { device_code: &authorization.device_code };

    match poll_once(oidc, client, grant).await? {
        Poll::Token(token) => return Ok(token),
        Poll::Pending => {}
        Poll::SlowDown => interval += timing.slow_down_step,
    }
    on_prompt(&DevicePrompt {
        verification_uri: authorization.verification_uri.clone(),
        verification_uri_complete: authorization.verification_uri_complete.clone(),
        user_code: authorization.user_code.clone(),
        expires_at,
    });
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::PendingAuthorizationExpired);
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
        match poll_once(oidc, client, grant).await? {
            Poll::Token(token) => return Ok(token),
            Poll::Pending => {}
            Poll::SlowDown => interval += timing.slow_down_step,
        }
    }
}

enum Poll {
    Token(TokenGrant),
    Pending,
    SlowDown,
}

async fn poll_once(
    oidc: &SsoOidc,
    client: &ClientCredentials,
    grant: Grant<'_>,
) -> Result<Poll, Error> {
    match oidc.create_token(client, grant).await {
        Ok(token) => Ok(Poll::Token(token)),
        Err(error) => match error.code() {
            Some("AuthorizationPendingException") => Ok(Poll::Pending),
            Some("SlowDownException") => Ok(Poll::SlowDown),
            Some("ExpiredTokenException") => Err(Error::PendingAuthorizationExpired),
            _ => Err(error),
        },
    }
}

/// The authorization-code login with PKCE. The caller binds the `listener` first (so that a
/// failure to bind can fall back to the device code before registering a client), and
/// registers the client for this flow. `scopes` are the registered ones (empty: the
/// default scope). `on_open` receives the authorize URL to print and open.
pub async fn pkce_login(
    oidc: &SsoOidc,
    client: &ClientCredentials,
    scopes: &[String],
    listener: CallbackListener,
    timing: &PkceTiming,
    on_open: impl FnOnce(&AuthorizePrompt),
) -> Result<TokenGrant, Error> {
    let verifier = pkce::code_verifier()?;
    let challenge = pkce::code_challenge(verifier.expose());
    let state = pkce::new_state()?;
    let redirect_uri = listener.redirect_uri();
    let default_scopes = [DEFAULT_SCOPE.to_owned()];
    let scopes = if scopes.is_empty() { &default_scopes[..] } else { scopes };
    let url = pkce::authorize_url(
        oidc.endpoint(),
        &client.client_id,
        &redirect_uri,
        &state,
        scopes,
        &challenge,
    );
    let url = BrowserUrl::parse(&url)
        .map_err(|refused| Error::BrowserUrl { what: "the authorization page", refused })?;
    on_open(&AuthorizePrompt { url });
    let code = listener.wait_for_code(&state, timing.callback_deadline).await?;
    let grant = Grant::AuthorizationCode {
        code: &code,
        redirect_uri: &redirect_uri,
        code_verifier: &verifier,
    };
    match oidc.create_token(client, grant).await {
        Err(error) if error.code() == Some("ExpiredTokenException") => {
            Err(Error::PendingAuthorizationExpired)
        }
        other => other,
    }
}
