//! The SSO portal (reference §2): `GetRoleCredentials`, `ListAccounts` and `ListAccountRoles`
//! (every page), and Logout. Unsigned; the access token travels in the
//! `x-amz-sso_bearer_token` header.

use awsctx_core::secret::Secret;
use jiff::Timestamp;

use crate::endpoint::Endpoint;
use crate::error::{Call, Error};
use crate::http::{ErrorFormat, HttpClient, Response};
use crate::oidc::parse;
use crate::wire::encode_pairs;

/// The bearer-token header of the portal (with its literal underscore).
pub const BEARER_TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// Most pages followed in one listing: a guard against a server that never stops.
const MAX_PAGES: usize = 10_000;

/// Short-term keys of a role, as `GetRoleCredentials` returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalRoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: Timestamp,
}

/// An account the user can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub account_name: Option<String>,
    pub email_address: Option<String>,
}

/// A role the user can take in an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRole {
    pub account_id: String,
    pub role_name: String,
}

/// An SSO portal client for one endpoint.
#[derive(Debug, Clone)]
pub struct SsoPortal {
    http: HttpClient,
    endpoint: Endpoint,
}

impl SsoPortal {
    pub fn new(http: &HttpClient, endpoint: Endpoint) -> Self {
        Self { http: http.clone(), endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `GET /federation/credentials?role_name=..&account_id=..`.
    pub async fn get_role_credentials(
        &self,
        account_id: &str,
        role_name: &str,
        access_token: &Secret,
    ) -> Result<PortalRoleCredentials, Error> {
        let call = self.endpoint.call("GetRoleCredentials");
        let query = encode_pairs([("role_name", role_name), ("account_id", account_id)]);
        let response = self
            .send(&call, reqwest::Method::GET, "/federation/credentials", &query, access_token)
            .await?;
        parse(&call, &response, |m| {
            let creds = m.object("roleCredentials")?;
            let millis = creds.int("expiration")?;
            Ok(PortalRoleCredentials {
                access_key_id: creds.string("accessKeyId")?,
                secret_access_key: Secret::new(creds.string("secretAccessKey")?),
                session_token: Secret::new(creds.string("sessionToken")?),
                expiration: Timestamp::from_millisecond(millis)
                    .map_err(|_| "member `expiration` is not a valid time".to_owned())?,
            })
        })
    }

    /// Every account, all pages of `GET /assignment/accounts`.
    pub async fn list_accounts(&self, access_token: &Secret) -> Result<Vec<Account>, Error> {
        let call = self.endpoint.call("ListAccounts");
        let mut accounts = Vec::new();
        self.paginate(&call, "/assignment/accounts", None, access_token, |response| {
            parse(&call, response, |m| {
                for item in m.objects("accountList")? {
                    let item = crate::wire::Members::new(item);
                    accounts.push(Account {
                        account_id: item.string("accountId")?,
                        account_name: item.opt_string("accountName")?,
                        email_address: item.opt_string("emailAddress")?,
                    });
                }
                m.opt_string("nextToken")
            })
        })
        .await?;
        Ok(accounts)
    }

    /// Every role of an account, all pages of `GET /assignment/roles`.
    pub async fn list_account_roles(
        &self,
        account_id: &str,
        access_token: &Secret,
    ) -> Result<Vec<AccountRole>, Error> {
        let call = self.endpoint.call("ListAccountRoles");
        let mut roles = Vec::new();
        self.paginate(
            &call,
            "/assignment/roles",
            Some(("account_id", account_id)),
            access_token,
            |response| {
                parse(&call, response, |m| {
                    for item in m.objects("roleList")? {
                        let item = crate::wire::Members::new(item);
                        roles.push(AccountRole {
                            role_name: item.string("roleName")?,
                            account_id: item
                                .opt_string("accountId")?
                                .unwrap_or_else(|| account_id.to_owned()),
                        });
                    }
                    m.opt_string("nextToken")
                })
            },
        )
        .await?;
        Ok(roles)
    }

    /// `POST /logout`: the service forgets the access token.
    pub async fn logout(&self, access_token: &Secret) -> Result<(), Error> {
        let call = self.endpoint.call("Logout");
        self.send(&call, reqwest::Method::POST, "/logout", "", access_token).await.map(drop)
    }

    /// Follow `nextToken` until it is absent; `page` reads one answer and returns the next
    /// token.
    async fn paginate(
        &self,
        call: &Call,
        path: &str,
        fixed: Option<(&str, &str)>,
        access_token: &Secret,
        mut page: impl FnMut(&Response) -> Result<Option<String>, Error>,
    ) -> Result<(), Error> {
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut pairs: Vec<(&str, &str)> = fixed.into_iter().collect();
            if let Some(token) = &next {
                pairs.push(("next_token", token));
            }
            let query = encode_pairs(pairs);
            let response =
                self.send(call, reqwest::Method::GET, path, &query, access_token).await?;
            let token = page(&response)?.filter(|t| !t.is_empty());
            match token {
                None => return Ok(()),
                Some(token) if next.as_deref() == Some(token.as_str()) => {
                    return Err(Error::MalformedResponse {
                        call: call.clone(),
                        status: response.status,
                        reason: "the same `nextToken` came back twice".to_owned(),
                    });
                }
                Some(token) => next = Some(token),
            }
        }
        Err(Error::MalformedResponse {
            call: call.clone(),
            status: 200,
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    async fn send(
        &self,
        call: &Call,
        method: reqwest::Method,
        path: &str,
        query: &str,
        access_token: &Secret,
    ) -> Result<Response, Error> {
        let mut url = self.endpoint.join(path);
        if !query.is_empty() {
            url.set_query(Some(query));
        }
        self.http
            .send(call, ErrorFormat::Json, || {
                HttpClient::build(
                    call,
                    self.http
                        .request(method.clone(), url.clone())
                        .header(BEARER_TOKEN_HEADER, access_token.expose()),
                )
            })
            .await
    }
}
