//! STS for role chaining (`docs/aws-protocol.md`): `AssumeRole` and `GetCallerIdentity`, as form
//! `POST`s signed with `SigV4` (service `sts`), answers parsed from XML.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use awsctx_core::secret::Secret;
use jiff::Timestamp;

use crate::endpoint::Call;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::http::{ErrorFormat, HttpClient, Response};
use crate::portal::PortalRoleCredentials;
use crate::wire::{encode_pairs, xml_leaves};

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const API_VERSION: &str = "2011-06-15";

/// Keys to sign with (long-term or temporary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub expiration: Option<Timestamp>,
}

impl From<PortalRoleCredentials> for Credentials {
    fn from(value: PortalRoleCredentials) -> Self {
        Self {
            access_key_id: value.access_key_id,
            secret_access_key: value.secret_access_key,
            session_token: Some(value.session_token),
            expiration: Some(value.expiration),
        }
    }
}

impl From<TemporaryCredentials> for Credentials {
    fn from(value: TemporaryCredentials) -> Self {
        Self {
            access_key_id: value.access_key_id,
            secret_access_key: value.secret_access_key,
            session_token: Some(value.session_token),
            expiration: Some(value.expiration),
        }
    }
}

/// The short-term keys STS hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: Timestamp,
}

/// The parameters of `AssumeRole`, as the profile's `role_arn`, `role_session_name`,
/// `external_id`, `mfa_serial` and `duration_seconds` give them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub role_session_name: String,
    pub external_id: Option<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<Secret>,
    pub duration_seconds: Option<u32>,
}

/// The answer of `AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    pub credentials: TemporaryCredentials,
    pub assumed_role_user_arn: String,
    pub assumed_role_id: String,
    pub request_id: Option<String>,
}

impl AssumedRole {
    /// The account of the role, from the assumed-role ARN (`arn:aws:sts::ACCOUNT:...`).
    pub fn account_id(&self) -> Option<&str> {
        awsctx_core::arn::account_of(&self.assumed_role_user_arn)
    }
}

/// The answer of `GetCallerIdentity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    pub request_id: Option<String>,
}

/// An STS client for one endpoint and signing region.
#[derive(Debug, Clone)]
pub struct Sts {
    http: HttpClient,
    endpoint: Endpoint,
    region: String,
}

impl Sts {
    /// `region` is the region to sign for (the endpoint's own signing region, e.g. for
    /// `aws-global`, wins).
    pub fn new(http: &HttpClient, endpoint: Endpoint, region: &str) -> Self {
        let region = endpoint.signing_region().unwrap_or(region).to_owned();
        Self { http: http.clone(), endpoint, region }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `Action=AssumeRole`, signed with `source`.
    pub async fn assume_role(
        &self,
        source: &Credentials,
        request: &AssumeRoleRequest,
    ) -> Result<AssumedRole, Error> {
        let call = self.endpoint.call("AssumeRole");
        let duration = request.duration_seconds.map(|d| d.to_string());
        let mut pairs = vec![
            ("Action", "AssumeRole"),
            ("Version", API_VERSION),
            ("RoleArn", request.role_arn.as_str()),
            ("RoleSessionName", request.role_session_name.as_str()),
        ];
        if let Some(duration) = &duration {
            pairs.push(("DurationSeconds", duration));
        }
        if let Some(external_id) = &request.external_id {
            pairs.push(("ExternalId", external_id));
        }
        if let Some(serial) = &request.serial_number {
            pairs.push(("SerialNumber", serial));
        }
        if let Some(code) = &request.token_code {
            pairs.push(("TokenCode", code.expose()));
        }
        let body = encode_pairs(pairs);
        let response = self.post(&call, source, body).await?;
        let fields = leaves(&call, &response)?;
        let base = "AssumeRoleResponse/AssumeRoleResult";
        let get = |path: &str| field(&call, &response, &fields, &format!("{base}/{path}"));
        Ok(AssumedRole {
            credentials: TemporaryCredentials {
                access_key_id: get("Credentials/AccessKeyId")?,
                secret_access_key: Secret::new(get("Credentials/SecretAccessKey")?),
                session_token: Secret::new(get("Credentials/SessionToken")?),
                expiration: get("Credentials/Expiration")?.parse().map_err(|_| {
                    malformed(&call, &response, "`Expiration` is not an ISO-8601 time")
                })?,
            },
            assumed_role_user_arn: get("AssumedRoleUser/Arn")?,
            assumed_role_id: get("AssumedRoleUser/AssumedRoleId")?,
            request_id: optional(&fields, "AssumeRoleResponse/ResponseMetadata/RequestId")
                .or_else(|| crate::error::request_id(&response.headers)),
        })
    }

    /// `Action=GetCallerIdentity`: who `credentials` are.
    pub async fn get_caller_identity(
        &self,
        credentials: &Credentials,
    ) -> Result<CallerIdentity, Error> {
        let call = self.endpoint.call("GetCallerIdentity");
        let body = encode_pairs([("Action", "GetCallerIdentity"), ("Version", API_VERSION)]);
        let response = self.post(&call, credentials, body).await?;
        let fields = leaves(&call, &response)?;
        let base = "GetCallerIdentityResponse/GetCallerIdentityResult";
        let get = |path: &str| field(&call, &response, &fields, &format!("{base}/{path}"));
        Ok(CallerIdentity {
            account: get("Account")?,
            arn: get("Arn")?,
            user_id: get("UserId")?,
            request_id: optional(&fields, "GetCallerIdentityResponse/ResponseMetadata/RequestId")
                .or_else(|| crate::error::request_id(&response.headers)),
        })
    }

    async fn post(
        &self,
        call: &Call,
        credentials: &Credentials,
        body: String,
    ) -> Result<Response, Error> {
        let url = self.endpoint.join("/");
        self.http
            .send(call, ErrorFormat::Xml, || {
                let signing_headers = sign_headers(call, &url, &self.region, credentials, &body)?;
                let mut builder = self
                    .http
                    .request(reqwest::Method::POST, url.clone())
                    .header(http::header::CONTENT_TYPE, FORM_CONTENT_TYPE)
                    .body(body.clone());
                for (name, value) in signing_headers {
                    builder = builder.header(name, value);
                }
                HttpClient::build(call, builder)
            })
            .await
    }
}

/// The `SigV4` headers (`authorization`, `x-amz-date`, `x-amz-security-token`) for one POST.
fn sign_headers(
    call: &Call,
    url: &url::Url,
    region: &str,
    credentials: &Credentials,
    body: &str,
) -> Result<Vec<(&'static str, String)>, Error> {
    let failed = |reason: String| Error::Signing { call: call.clone(), reason };
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose().to_owned(),
        credentials.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "awsctx",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| failed(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        [("content-type", FORM_CONTENT_TYPE)].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| failed(e.to_string()))?;
    let (instructions, _signature) =
        sign(signable, &params).map_err(|e| failed(e.to_string()))?.into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers.into_iter().map(|h| (h.name(), h.value().to_owned())).collect())
}

fn malformed(call: &Call, response: &Response, reason: &str) -> Error {
    Error::MalformedResponse {
        call: call.clone(),
        status: response.status,
        reason: reason.to_owned(),
    }
}

fn leaves(call: &Call, response: &Response) -> Result<Vec<(String, String)>, Error> {
    xml_leaves(&response.body).map_err(|reason| malformed(call, response, &reason))
}

fn optional(fields: &[(String, String)], path: &str) -> Option<String> {
    fields
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn field(
    call: &Call,
    response: &Response,
    fields: &[(String, String)],
    path: &str,
) -> Result<String, Error> {
    optional(fields, path).ok_or_else(|| {
        let leaf = path.rsplit('/').next().unwrap_or(path);
        malformed(call, response, &format!("element `{leaf}` is missing"))
    })
}
