//! The operations the mock answers, and the faults a test can make them suffer.

use std::fmt;
use std::time::Duration;

/// One operation on the wire, as AWS names it (browser-facing pages included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// SSO OIDC `POST /client/register`.
    RegisterClient,
    /// SSO OIDC `POST /device_authorization`.
    StartDeviceAuthorization,
    /// SSO OIDC `POST /token` (every grant type).
    CreateToken,
    /// Browser: `GET /authorize` (PKCE authorization-code flow).
    Authorize,
    /// Browser: `GET /device?user_code=..` (the user approving a device authorization).
    VerifyDevice,
    /// SSO portal `GET /federation/credentials`.
    GetRoleCredentials,
    /// SSO portal `GET /assignment/accounts`.
    ListAccounts,
    /// SSO portal `GET /assignment/roles`.
    ListAccountRoles,
    /// SSO portal `POST /logout`.
    Logout,
    /// STS `Action=AssumeRole`.
    AssumeRole,
    /// STS `Action=GetCallerIdentity`.
    GetCallerIdentity,
    /// Sign-in `GET /federation?Action=getSigninToken`.
    GetSigninToken,
    /// Sign-in `GET /federation?Action=login`.
    ConsoleLogin,
    /// Anything the mock does not know (answered `404` or the service's unknown-operation error).
    Unknown,
}

/// The AWS service an operation belongs to, which decides the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Oidc,
    Browser,
    Portal,
    Sts,
    Signin,
    None,
}

impl Operation {
    /// Every operation, in a stable order (the order of `/_mock/stats`).
    pub const ALL: [Operation; 14] = [
        Operation::RegisterClient,
        Operation::StartDeviceAuthorization,
        Operation::CreateToken,
        Operation::Authorize,
        Operation::VerifyDevice,
        Operation::GetRoleCredentials,
        Operation::ListAccounts,
        Operation::ListAccountRoles,
        Operation::Logout,
        Operation::AssumeRole,
        Operation::GetCallerIdentity,
        Operation::GetSigninToken,
        Operation::ConsoleLogin,
        Operation::Unknown,
    ];

    /// The operation's AWS name, e.g. `GetRoleCredentials`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RegisterClient => "RegisterClient",
            Self::StartDeviceAuthorization => "StartDeviceAuthorization",
            Self::CreateToken => "CreateToken",
            Self::Authorize => "Authorize",
            Self::VerifyDevice => "VerifyDevice",
            Self::GetRoleCredentials => "GetRoleCredentials",
            Self::ListAccounts => "ListAccounts",
            Self::ListAccountRoles => "ListAccountRoles",
            Self::Logout => "Logout",
            Self::AssumeRole => "AssumeRole",
            Self::GetCallerIdentity => "GetCallerIdentity",
            Self::GetSigninToken => "GetSigninToken",
            Self::ConsoleLogin => "ConsoleLogin",
            Self::Unknown => "Unknown",
        }
    }

    /// The operation called `name` (as [`Operation::name`] spells it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    pub(crate) fn index(self) -> usize {
        Self::ALL.iter().position(|op| *op == self).unwrap_or(Self::ALL.len() - 1)
    }

    pub(crate) fn service(self) -> Service {
        match self {
            Self::RegisterClient | Self::StartDeviceAuthorization | Self::CreateToken => {
                Service::Oidc
            }
            Self::Authorize | Self::VerifyDevice => Service::Browser,
            Self::GetRoleCredentials
            | Self::ListAccounts
            | Self::ListAccountRoles
            | Self::Logout => Service::Portal,
            Self::AssumeRole | Self::GetCallerIdentity => Service::Sts,
            Self::GetSigninToken | Self::ConsoleLogin => Service::Signin,
            Self::Unknown => Service::None,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A misbehaviour injected into the next request of one operation
/// ([`crate::MockSso::inject`]); each request consumes one fault, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with the service's error shape (e.g. `500` →
    /// `InternalServerException` for OIDC, `InternalFailure` for STS).
    Status(u16),
    /// The service's throttling error: portal and OIDC `429 TooManyRequestsException` with
    /// `Retry-After: 1`, STS `400 Throttling`.
    Throttle,
    /// Wait this long, then answer normally.
    Slow(Duration),
    /// Do the work, then answer `200` with the first half of the body.
    MalformedJson,
    /// Read the request, then close the connection without a byte of answer.
    DropConnection,
    /// Answer `200` with a JSON body of this many bytes (the operation's own members, then
    /// padding), as a hostile or broken server might.
    HugeBody(usize),
    /// Answer as if the presented token or keys had expired (portal `401`, OIDC
    /// `ExpiredTokenException`, STS `ExpiredToken`). The state is not changed.
    ExpiredToken,
    /// Answer as if the presented token or keys had been revoked (portal `401`, OIDC
    /// `InvalidGrantException`, STS `InvalidClientTokenId`). The state is not changed.
    RevokedToken,
    /// Answer this error in the service's shape, with this code and message as they are
    /// (any characters: a hostile or broken server).
    Error { status: u16, code: String, message: String },
    /// Do the work, then answer with every JSON string member (STS: XML element) called
    /// `name` set to `value`, e.g. a `secretAccessKey` or `verificationUriComplete` that no
    /// AWS service would send.
    Field { name: String, value: String },
}
