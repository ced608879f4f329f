//! SSO OIDC (`docs/aws-protocol.md`): `RegisterClient`, `StartDeviceAuthorization` and
//! `CreateToken` for the device-code, authorization-code and refresh-token grants. All unsigned
//! rest-json `POST`s with `Content-Type: application/json`; absent optional members are omitted.

use std::time::Duration;

use awsctx_core::secret::Secret;
use jiff::Timestamp;
use serde::Serialize;

use crate::browser::BrowserUrl;
use crate::endpoint::Call;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::http::{ErrorFormat, HttpClient, Response};
use crate::wire::{Members, json_object};

/// The redirect URI registered for the authorization-code flow: no port, because the
/// service matches loopback redirects port-agnostically.
pub const REGISTERED_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";

/// The scope registered by the authorization-code flow when none is configured.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";

/// `botocore-client-<session>`, or `botocore-client-<unix seconds>` for a legacy profile
/// without an `sso-session`, as the AWS CLI names its clients.
pub fn client_name(sso_session: Option<&str>, now: Timestamp) -> String {
    match sso_session {
        Some(session) => format!("botocore-client-{session}"),
        None => format!("botocore-client-{}", now.as_second()),
    }
}

/// What to register a client for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// The device-code flow: scopes only when configured (legacy profiles send none).
    DeviceCode { client_name: String, scopes: Option<Vec<String>> },
    /// The authorization-code (PKCE) flow.
    AuthorizationCode {
        client_name: String,
        /// The start URL (the resolved one, for vanity URLs).
        issuer_url: String,
        /// The configured scopes; `None` registers [`DEFAULT_SCOPE`].
        scopes: Option<Vec<String>>,
    },
}

/// The id and secret of a registered client: what every later call needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
}

/// The answer of `RegisterClient`, plus what was registered (for the registration cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: Secret,
    pub client_id_issued_at: Option<Timestamp>,
    pub client_secret_expires_at: Timestamp,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    /// The scopes sent (empty when none were).
    pub scopes: Vec<String>,
    /// The grant types sent (empty for the device-code registration).
    pub grant_types: Vec<String>,
}

impl RegisteredClient {
    pub fn credentials(&self) -> ClientCredentials {
        ClientCredentials {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
        }
    }
}

/// The answer of `StartDeviceAuthorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    /// Checked to be a URL a browser may open, like the one below: the service's answer
    /// is untrusted.
    pub verification_uri: BrowserUrl,
    pub verification_uri_complete: Option<BrowserUrl>,
    pub expires_in: Duration,
    /// The polling interval the service asks for, if any.
    pub interval: Option<Duration>,
}

/// The grant of a `CreateToken` call.
#[derive(Debug, Clone, Copy)]
pub enum Grant<'a> {
    DeviceCode {
        device_code: &'a Secret,
    },
    AuthorizationCode {
        code: &'a Secret,
        /// With the listener's port: `http://127.0.0.1:{port}/oauth/callback`.
        redirect_uri: &'a str,
        code_verifier: &'a Secret,
    },
    RefreshToken {
        refresh_token: &'a Secret,
    },
}

/// The answer of `CreateToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub access_token: Secret,
    pub expires_in: Duration,
    pub refresh_token: Option<Secret>,
    pub token_type: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegisterClientBody<'a> {
    client_name: &'a str,
    client_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    grant_types: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uris: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<&'a [String]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartDeviceAuthorizationBody<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    start_url: &'a str,
}

/// Members in the model's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateTokenBody<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    grant_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_verifier: Option<&'a str>,
}

/// An SSO OIDC client for one endpoint.
#[derive(Debug, Clone)]
pub struct SsoOidc {
    http: HttpClient,
    endpoint: Endpoint,
}

impl SsoOidc {
    pub fn new(http: &HttpClient, endpoint: Endpoint) -> Self {
        Self { http: http.clone(), endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `POST /client/register`.
    pub async fn register_client(
        &self,
        registration: &Registration,
    ) -> Result<RegisteredClient, Error> {
        let call = self.endpoint.call("RegisterClient");
        let default_scopes = [DEFAULT_SCOPE.to_owned()];
        let pkce_grants = [GRANT_AUTHORIZATION_CODE.to_owned(), GRANT_REFRESH_TOKEN.to_owned()];
        let redirect_uris = [REGISTERED_REDIRECT_URI.to_owned()];
        let body = match registration {
            Registration::DeviceCode { client_name, scopes } => RegisterClientBody {
                client_name,
                client_type: "public",
                grant_types: None,
                redirect_uris: None,
                issuer_url: None,
                scopes: scopes.as_deref(),
            },
            Registration::AuthorizationCode { client_name, issuer_url, scopes } => {
                RegisterClientBody {
                    client_name,
                    client_type: "public",
                    grant_types: Some(&pkce_grants),
                    redirect_uris: Some(&redirect_uris),
                    issuer_url: Some(issuer_url),
                    scopes: Some(scopes.as_deref().unwrap_or(&default_scopes)),
                }
            }
        };
        let sent_scopes = body.scopes.map(<[String]>::to_vec).unwrap_or_default();
        let sent_grants = body.grant_types.map(<[String]>::to_vec).unwrap_or_default();
        let response = self.post(&call, "/client/register", &body).await?;
        parse(&call, &response, |m| {
            Ok(RegisteredClient {
                client_id: m.string("clientId")?,
                client_secret: Secret::new(m.string("clientSecret")?),
                client_id_issued_at: m
                    .opt_int("clientIdIssuedAt")?
                    .map(|s| epoch_seconds(s, "clientIdIssuedAt"))
                    .transpose()?,
                client_secret_expires_at: epoch_seconds(
                    m.int("clientSecretExpiresAt")?,
                    "clientSecretExpiresAt",
                )?,
                authorization_endpoint: m.opt_string("authorizationEndpoint")?,
                token_endpoint: m.opt_string("tokenEndpoint")?,
                scopes: sent_scopes,
                grant_types: sent_grants,
            })
        })
    }

    /// `POST /device_authorization`.
    pub async fn start_device_authorization(
        &self,
        client: &ClientCredentials,
        start_url: &str,
    ) -> Result<DeviceAuthorization, Error> {
        let call = self.endpoint.call("StartDeviceAuthorization");
        let body = StartDeviceAuthorizationBody {
            client_id: &client.client_id,
            client_secret: client.client_secret.expose(),
            start_url,
        };
        let response = self.post(&call, "/device_authorization", &body).await?;
        parse(&call, &response, |m| {
            Ok(DeviceAuthorization {
                device_code: Secret::new(m.string("deviceCode")?),
                user_code: m.string("userCode")?,
                verification_uri: browser_url(&m.string("verificationUri")?, "verificationUri")?,
                verification_uri_complete: m
                    .opt_string("verificationUriComplete")?
                    .map(|url| browser_url(&url, "verificationUriComplete"))
                    .transpose()?,
                expires_in: seconds(m.int("expiresIn")?, "expiresIn")?,
                interval: m.opt_int("interval")?.map(|s| seconds(s, "interval")).transpose()?,
            })
        })
    }

    /// `POST /token`.
    pub async fn create_token(
        &self,
        client: &ClientCredentials,
        grant: Grant<'_>,
    ) -> Result<TokenGrant, Error> {
        let call = self.endpoint.call("CreateToken");
        let mut body = CreateTokenBody {
            client_id: &client.client_id,
            client_secret: client.client_secret.expose(),
            grant_type: "",
            device_code: None,
            code: None,
            refresh_token: None,
            redirect_uri: None,
            code_verifier: None,
        };
        match grant {
            Grant::DeviceCode { device_code } => {
                body.grant_type = GRANT_DEVICE_CODE;
                body.device_code = Some(device_code.expose());
            }
            Grant::AuthorizationCode { code, redirect_uri, code_verifier } => {
                body.grant_type = GRANT_AUTHORIZATION_CODE;
                body.code = Some(code.expose());
                body.redirect_uri = Some(redirect_uri);
                body.code_verifier = Some(code_verifier.expose());
            }
            Grant::RefreshToken { refresh_token } => {
                body.grant_type = GRANT_REFRESH_TOKEN;
                body.refresh_token = Some(refresh_token.expose());
            }
        }
        let response = self.post(&call, "/token", &body).await?;
        parse(&call, &response, |m| {
            Ok(TokenGrant {
                access_token: Secret::new(m.string("accessToken")?),
                expires_in: seconds(m.int("expiresIn")?, "expiresIn")?,
                refresh_token: m.opt_string("refreshToken")?.map(Secret::new),
                token_type: m.opt_string("tokenType")?,
            })
        })
    }

    async fn post<B: Serialize>(
        &self,
        call: &Call,
        path: &str,
        body: &B,
    ) -> Result<Response, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest { call: call.clone(), reason: e.to_string() })?;
        let url = self.endpoint.join(path);
        self.http
            .send(call, ErrorFormat::Json, || {
                HttpClient::build(
                    call,
                    self.http
                        .request(reqwest::Method::POST, url.clone())
                        .header(http::header::CONTENT_TYPE, "application/json")
                        .body(bytes.clone()),
                )
            })
            .await
    }
}

/// Parse a JSON object answer with `read`; any shape problem is a malformed-response error.
pub(crate) fn parse<T>(
    call: &Call,
    response: &Response,
    read: impl FnOnce(&Members<'_>) -> Result<T, String>,
) -> Result<T, Error> {
    let malformed = |reason: String| Error::MalformedResponse {
        call: call.clone(),
        status: response.status,
        reason,
    };
    let object = json_object(&response.body).map_err(malformed)?;
    read(&Members::new(&object)).map_err(malformed)
}

/// A member that the user will open: refused (without quoting it) unless it is a URL a
/// browser may be given.
fn browser_url(text: &str, name: &str) -> Result<BrowserUrl, String> {
    BrowserUrl::parse(text).map_err(|refused| format!("member `{name}` {refused}"))
}

fn epoch_seconds(value: i64, name: &str) -> Result<Timestamp, String> {
    Timestamp::from_second(value).map_err(|_| format!("member `{name}` is not a valid time"))
}

fn seconds(value: i64, name: &str) -> Result<Duration, String> {
    u64::try_from(value)
        .map(Duration::from_secs)
        .map_err(|_| format!("member `{name}` is negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_follow_the_cli() {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        assert_eq!(client_name(Some("corp"), now), "botocore-client-corp");
        assert_eq!(client_name(None, now), "botocore-client-1700000000");
    }
}
