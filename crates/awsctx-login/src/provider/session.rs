//! What an SSO login is: the session a profile depends on, what `awsctx login` takes to renew
//! it, why one is needed, and the state of its token.

use std::fmt;

use awsctx_core::cache::TokenKey;
use awsctx_core::config::{ProfileKind, SsoSession};
use jiff::Timestamp;

/// The state of an SSO login, for `list`, `status` and `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// The access token works until `expires_at`.
    Valid { expires_at: Timestamp },
    /// Expired, but its refresh token can get a new one without a login.
    Refreshable { expires_at: Timestamp },
    /// Expired for good: a login is needed.
    Expired { expires_at: Timestamp },
    /// No token (or an unreadable one): a login is needed.
    Missing,
}

/// The SSO login a profile depends on: an `[sso-session]`, or the start URL of a legacy
/// profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginSession {
    Session(SsoSession),
    /// A profile with `sso_start_url` and `sso_region` of its own.
    Legacy {
        profile: String,
        start_url: String,
        region: String,
    },
}

impl LoginSession {
    /// The session of an SSO profile; `None` for a profile without SSO.
    pub fn of_kind(profile: &str, kind: &ProfileKind) -> Option<Self> {
        match kind {
            ProfileKind::Sso { session, .. } | ProfileKind::SsoToken { session } => {
                Some(Self::Session(session.clone()))
            }
            ProfileKind::LegacySso { start_url, region, .. } => Some(Self::Legacy {
                profile: profile.to_owned(),
                start_url: start_url.clone(),
                region: region.clone(),
            }),
            _ => None,
        }
    }

    /// The name of its token file: the session name, or the legacy start URL.
    pub fn token_key(&self) -> TokenKey {
        match self {
            Self::Session(session) => TokenKey::Session(session.name.clone()),
            Self::Legacy { start_url, .. } => TokenKey::StartUrl(start_url.clone()),
        }
    }

    pub fn start_url(&self) -> &str {
        match self {
            Self::Session(session) => &session.start_url,
            Self::Legacy { start_url, .. } => start_url,
        }
    }

    /// `sso_region`.
    pub fn region(&self) -> &str {
        match self {
            Self::Session(session) => &session.region,
            Self::Legacy { region, .. } => region,
        }
    }

    /// The `sso-session` name; `None` for a legacy profile.
    pub fn session_name(&self) -> Option<&str> {
        match self {
            Self::Session(session) => Some(&session.name),
            Self::Legacy { .. } => None,
        }
    }

    /// The configured `sso_registration_scopes`, `None` when there are none (legacy profiles
    /// have none).
    pub fn configured_scopes(&self) -> Option<Vec<String>> {
        match self {
            Self::Session(session) if !session.registration_scopes.is_empty() => {
                Some(session.registration_scopes.clone())
            }
            _ => None,
        }
    }

    /// What to log in to: the session, or the legacy profile.
    pub fn target(&self) -> LoginTarget {
        match self {
            Self::Session(session) => LoginTarget::Session(session.name.clone()),
            Self::Legacy { profile, .. } => LoginTarget::Profile(profile.clone()),
        }
    }
}

/// What `awsctx login` takes to renew a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginTarget {
    /// `--sso-session NAME`.
    Session(String),
    /// `--profile NAME`, for a legacy profile.
    Profile(String),
}

impl fmt::Display for LoginTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(name) => write!(f, "SSO session `{name}`"),
            Self::Profile(name) => write!(f, "SSO session of profile `{name}`"),
        }
    }
}

/// Why a login is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReason {
    /// The token expired and cannot be refreshed.
    Expired,
    /// There is no token (or the file is unusable).
    Missing,
    /// The service refused the token (`UnauthorizedException`, or a refused refresh token).
    Refused,
}

impl fmt::Display for LoginReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Expired => "has expired",
            Self::Missing => "is not logged in",
            Self::Refused => "was refused by the SSO portal (the login expired or was revoked)",
        })
    }
}
