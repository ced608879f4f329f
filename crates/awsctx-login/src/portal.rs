//! The SSO portal (`docs/aws-protocol.md`): `GetRoleCredentials`, `ListAccounts` and
//! `ListAccountRoles` (every page), and Logout. Unsigned; the access token travels in the
//! `x-amz-sso_bearer_token` header.

use std::sync::atomic::{AtomicUsize, Ordering};

use awsctx_core::secret::Secret;
use jiff::Timestamp;

use crate::endpoint::Call;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::http::{ErrorFormat, HttpClient, Response};
use crate::oidc::parse;
use crate::wire::encode_pairs;

/// The bearer-token header of the portal (with its literal underscore).
pub const BEARER_TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// What listings may bring back before they end with an error: a portal that keeps
/// paginating, or sends page after page of a megabyte, stops awsctx with one line naming the
/// call, never by exhausting the machine's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingCaps {
    /// Answers received (each is at most [`crate::http::MAX_BODY_BYTES`]).
    pub pages: usize,
    /// Accounts or roles listed.
    pub items: usize,
    /// Bytes of all answers together.
    pub bytes: usize,
}

impl ListingCaps {
    /// `ListAccounts`: ten times the largest organizations (AWS Organizations' own limit is
    /// thousands of accounts), 100 to a page as the portal sends them, ~100 bytes an account.
    pub const ACCOUNTS: Self = Self { pages: 10_000, items: 100_000, bytes: 32 << 20 };
    /// `ListAccountRoles` of one account: a permission set per role, and an instance holds a
    /// few thousand at most.
    pub const ROLES: Self = Self { pages: 1_000, items: 10_000, bytes: 16 << 20 };
}

/// Caps spent by one listing, or shared by several (the roles of every account in
/// `populate`); safe to share between tasks.
#[derive(Debug)]
pub struct ListingBudget {
    caps: ListingCaps,
    /// Appended to the item count in errors: `" in all accounts"` for a shared budget.
    scope: &'static str,
    pages: AtomicUsize,
    items: AtomicUsize,
    bytes: AtomicUsize,
}

impl ListingBudget {
    pub fn new(caps: ListingCaps) -> Self {
        Self::shared(caps, "")
    }

    /// A budget for several listings; `scope` says which, in errors (`" in all accounts"`).
    pub fn shared(caps: ListingCaps, scope: &'static str) -> Self {
        Self {
            caps,
            scope,
            pages: AtomicUsize::new(0),
            items: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
        }
    }

    /// Count one more page of `bytes`, before it is read.
    fn spend_page(&self, call: &Call, bytes: usize) -> Result<(), Error> {
        let pages = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        if pages > self.caps.pages {
            return Err(self.exceeded(call, &format!("{} pages", self.caps.pages)));
        }
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
        if total > self.caps.bytes {
            return Err(self.exceeded(call, &format!("{} MiB of answers", self.caps.bytes >> 20)));
        }
        Ok(())
    }

    /// Count `items` more accounts or roles (`what`).
    fn spend_items(&self, call: &Call, items: usize, what: &str) -> Result<(), Error> {
        let total = self.items.fetch_add(items, Ordering::Relaxed).saturating_add(items);
        if total > self.caps.items {
            return Err(self.exceeded(call, &format!("{} {what}", self.caps.items)));
        }
        Ok(())
    }

    fn exceeded(&self, call: &Call, limit: &str) -> Error {
        Error::ListingTooLarge { call: call.clone(), limit: format!("{limit}{}", self.scope) }
    }
}

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

    /// Every account, all pages of `GET /assignment/accounts`, within
    /// [`ListingCaps::ACCOUNTS`].
    pub async fn list_accounts(&self, access_token: &Secret) -> Result<Vec<Account>, Error> {
        let call = self.endpoint.call("ListAccounts");
        let budget = ListingBudget::new(ListingCaps::ACCOUNTS);
        let mut accounts = Vec::new();
        let budgets = [&budget];
        self.paginate(&call, "/assignment/accounts", None, access_token, &budgets, |response| {
            let listed = accounts.len();
            let next = parse(&call, response, |m| {
                for item in m.objects("accountList")? {
                    let item = crate::wire::Members::new(item);
                    accounts.push(Account {
                        account_id: item.string("accountId")?,
                        account_name: item.opt_string("accountName")?,
                        email_address: item.opt_string("emailAddress")?,
                    });
                }
                m.opt_string("nextToken")
            })?;
            budget.spend_items(&call, accounts.len() - listed, "accounts")?;
            Ok(next)
        })
        .await?;
        Ok(accounts)
    }

    /// Every role of an account, all pages of `GET /assignment/roles`, within
    /// [`ListingCaps::ROLES`].
    pub async fn list_account_roles(
        &self,
        account_id: &str,
        access_token: &Secret,
    ) -> Result<Vec<AccountRole>, Error> {
        let own = ListingBudget::new(ListingCaps::ROLES);
        self.roles_within(account_id, access_token, &[&own]).await
    }

    /// Like [`SsoPortal::list_account_roles`], and spending `shared` as well: a budget the
    /// listings of many accounts draw from.
    pub async fn list_account_roles_within(
        &self,
        account_id: &str,
        access_token: &Secret,
        shared: &ListingBudget,
    ) -> Result<Vec<AccountRole>, Error> {
        let own = ListingBudget::new(ListingCaps::ROLES);
        self.roles_within(account_id, access_token, &[&own, shared]).await
    }

    async fn roles_within(
        &self,
        account_id: &str,
        access_token: &Secret,
        budgets: &[&ListingBudget],
    ) -> Result<Vec<AccountRole>, Error> {
        let call = self.endpoint.call("ListAccountRoles");
        let mut roles = Vec::new();
        let fixed = Some(("account_id", account_id));
        self.paginate(&call, "/assignment/roles", fixed, access_token, budgets, |response| {
            let listed = roles.len();
            let next = parse(&call, response, |m| {
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
            })?;
            for budget in budgets {
                budget.spend_items(&call, roles.len() - listed, "roles")?;
            }
            Ok(next)
        })
        .await?;
        Ok(roles)
    }

    /// `POST /logout`: the service forgets the access token.
    pub async fn logout(&self, access_token: &Secret) -> Result<(), Error> {
        let call = self.endpoint.call("Logout");
        self.send(&call, reqwest::Method::POST, "/logout", "", access_token).await.map(drop)
    }

    /// Follow `nextToken` until it is absent, spending `budgets` on every answer; `page`
    /// reads one answer and returns the next token.
    async fn paginate(
        &self,
        call: &Call,
        path: &str,
        fixed: Option<(&str, &str)>,
        access_token: &Secret,
        budgets: &[&ListingBudget],
        mut page: impl FnMut(&Response) -> Result<Option<String>, Error>,
    ) -> Result<(), Error> {
        let mut next: Option<String> = None;
        loop {
            let mut pairs: Vec<(&str, &str)> = fixed.into_iter().collect();
            if let Some(token) = &next {
                pairs.push(("next_token", token));
            }
            let query = encode_pairs(pairs);
            let response =
                self.send(call, reqwest::Method::GET, path, &query, access_token).await?;
            for budget in budgets {
                budget.spend_page(call, response.body.len())?;
            }
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
