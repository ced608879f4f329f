//! What an SSO login can reach: the session's token (through the credential provider, which
//! refreshes it when due), the portal client, and the listing of accounts and their roles,
//! concurrent with a bounded number of requests in flight. Throttling never loses an account: the HTTP client honours `Retry-After` for a few
//! attempts, and a throttled call is then tried again here (the run fails rather than write
//! a partial answer).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use awsctx_core::cache::SsoToken;
use awsctx_core::config::SsoSession;
use awsctx_core::secret::Secret;
use awsctx_login::portal::{Account, ListingBudget, ListingCaps, SsoPortal};
use awsctx_login::provider::{LoginReason, LoginSession, LoginTarget, ProviderError};
use awsctx_login::{HttpClient, Service};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::context::Context;

/// Requests in flight at once while listing roles.
pub(crate) const CONCURRENCY: usize = 8;

/// Times a throttled call is started again after the HTTP client gave up on it.
const MAX_THROTTLE_ROUNDS: u32 = 30;

/// Pause before starting a throttled call again (the portal's `Retry-After` is about 1 s).
const THROTTLE_PAUSE: Duration = Duration::from_secs(1);

/// What the role listings of all accounts may bring together: 100 000 profiles (about 17 MB
/// of config, half of what awsctx reads back) and 64 MiB of answers (that many roles are
/// ~12 MB on the wire). Each account's listing also has [`ListingCaps::ROLES`].
const ALL_ROLES: ListingCaps = ListingCaps { pages: 200_000, items: 100_000, bytes: 64 << 20 };

/// An account and the roles the user has in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountAccess {
    pub(crate) account: Account,
    pub(crate) roles: Vec<String>,
}

/// The portal of a session, with the token to call it.
#[derive(Debug, Clone)]
pub(crate) struct SessionPortal {
    pub(crate) session: String,
    pub(crate) portal: SsoPortal,
    pub(crate) token: Secret,
}

/// A usable token for `session` from `~/.aws/sso/cache`, refreshed first when botocore would
/// refresh it (the credential provider's rules); missing, expired or refused is an error whose
/// hint is the login command.
pub(crate) fn session_token(ctx: &Context, session: &SsoSession) -> anyhow::Result<SsoToken> {
    ctx.provider(None, true)?
        .sso_token(&LoginSession::Session(session.clone()), None)
        .map_err(crate::hints::user_error)
}

impl SessionPortal {
    /// The portal of `session` (in its `sso_region`, or where `AWS_ENDPOINT_URL_SSO` points),
    /// with the session's token.
    pub(crate) fn open(ctx: &Context, session: &SsoSession) -> anyhow::Result<Self> {
        let token = session_token(ctx, session)?;
        Self::with_token(ctx, session, token.access_token)
    }

    pub(crate) fn with_token(
        ctx: &Context,
        session: &SsoSession,
        token: Secret,
    ) -> anyhow::Result<Self> {
        let endpoint = ctx
            .provider(None, true)?
            .endpoint(Service::Sso, &session.region, None)
            .map_err(crate::hints::user_error)?;
        let http = HttpClient::new(&ctx.http_settings(None)?, &ctx.env)?;
        Ok(Self { session: session.name.clone(), portal: SsoPortal::new(&http, endpoint), token })
    }

    /// Every account, all pages.
    pub(crate) async fn accounts(&self) -> anyhow::Result<Vec<Account>> {
        patiently(|| self.portal.list_accounts(&self.token)).await.map_err(|e| self.explain(e))
    }

    /// The role names of one account, all pages.
    pub(crate) async fn roles(&self, account_id: &str) -> anyhow::Result<Vec<String>> {
        let roles = patiently(|| self.portal.list_account_roles(account_id, &self.token))
            .await
            .map_err(|e| self.explain(e))?;
        Ok(roles.into_iter().map(|r| r.role_name).collect())
    }

    /// The role names of one account, spending `budget` with every other account's.
    async fn roles_within(
        &self,
        account_id: &str,
        budget: &ListingBudget,
    ) -> anyhow::Result<Vec<String>> {
        let roles =
            patiently(|| self.portal.list_account_roles_within(account_id, &self.token, budget))
                .await
                .map_err(|e| self.explain(e))?;
        Ok(roles.into_iter().map(|r| r.role_name).collect())
    }

    /// Every account and its roles: accounts first, then the roles of `CONCURRENCY` accounts
    /// at a time. `progress(done, total)` is called as each account's roles arrive. Accounts
    /// come back in the order the portal listed them.
    pub(crate) async fn access(
        &self,
        mut progress: impl FnMut(usize, usize),
    ) -> anyhow::Result<Vec<AccountAccess>> {
        let accounts = self.accounts().await?;
        let total = accounts.len();
        progress(0, total);
        let limit = Arc::new(Semaphore::new(CONCURRENCY));
        let budget = Arc::new(ListingBudget::shared(ALL_ROLES, " in all accounts"));
        let mut tasks = JoinSet::new();
        for (index, account) in accounts.iter().enumerate() {
            let (this, limit, id) = (self.clone(), Arc::clone(&limit), account.account_id.clone());
            let budget = Arc::clone(&budget);
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring only fails if it were.
                let _permit = limit.acquire_owned().await;
                (index, this.roles_within(&id, &budget).await)
            });
        }
        let mut roles: Vec<Option<Vec<String>>> = vec![None; total];
        let mut done = 0;
        while let Some(joined) = tasks.join_next().await {
            let (index, listed) = joined.map_err(|e| anyhow::anyhow!("listing roles: {e}"))?;
            // Dropping `tasks` on the way out cancels the calls still in flight.
            roles[index] = Some(listed?);
            done += 1;
            progress(done, total);
        }
        Ok(accounts
            .into_iter()
            .zip(roles)
            .map(|(account, roles)| AccountAccess { account, roles: roles.unwrap_or_default() })
            .collect())
    }

    /// A portal error in the user's words: a refused token means the login is over.
    fn explain(&self, error: awsctx_login::Error) -> anyhow::Error {
        match error.aws() {
            Some(aws) if aws.status == 401 || aws.is("UnauthorizedException") => {
                crate::hints::user_error(ProviderError::LoginRequired {
                    target: LoginTarget::Session(self.session.clone()),
                    reason: LoginReason::Refused,
                })
            }
            _ => anyhow::Error::new(error),
        }
    }
}

/// Whether the service asked us to slow down.
pub(crate) fn is_throttled(error: &awsctx_login::Error) -> bool {
    error.aws().is_some_and(|aws| {
        aws.status == 429
            || ["TooManyRequestsException", "ThrottlingException", "Throttling"]
                .iter()
                .any(|code| aws.is(code))
    })
}

/// Run `call` until it is not throttled (or `MAX_THROTTLE_ROUNDS` have passed).
async fn patiently<T, F, Fut>(mut call: F) -> Result<T, awsctx_login::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, awsctx_login::Error>>,
{
    let mut rounds = 0;
    loop {
        match call().await {
            Err(error) if is_throttled(&error) && rounds < MAX_THROTTLE_ROUNDS => {
                rounds += 1;
                tokio::time::sleep(THROTTLE_PAUSE + jitter(THROTTLE_PAUSE / 4)).await;
            }
            other => return other,
        }
    }
}

/// A random pause up to `max`, so throttled callers do not come back in step.
fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    #[allow(clippy::cast_precision_loss)]
    let fraction = (random >> 11) as f64 / (1_u64 << 53) as f64;
    max.mul_f64(fraction)
}

/// The AWS CLI's order for accounts: lower-cased name, then e-mail, then id.
pub(crate) fn sort_accounts_as_cli(accounts: &mut [Account]) {
    accounts.sort_by_cached_key(|a| {
        (
            a.account_name.as_deref().unwrap_or_default().to_lowercase(),
            a.email_address.as_deref().unwrap_or_default().to_lowercase(),
            a.account_id.clone(),
        )
    });
}

/// The AWS CLI's order for roles: lower-cased name.
pub(crate) fn sort_roles_as_cli(roles: &mut [String]) {
    roles.sort_by_cached_key(|r| (r.to_lowercase(), r.clone()));
}

/// An account id the portal may send: digits only (it goes into the config file).
pub(crate) fn is_account_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A role (permission set) name as IAM allows it: `[\w+=,.@-]+`.
pub(crate) fn is_role_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, name: Option<&str>, email: Option<&str>) -> Account {
        Account {
            account_id: id.into(),
            account_name: name.map(Into::into),
            email_address: email.map(Into::into),
        }
    }

    #[test]
    fn accounts_sort_by_lower_cased_name_then_email_then_id() {
        let mut list = vec![
            account("3", Some("beta"), Some("b@x")),
            account("2", Some("Alpha"), Some("z@x")),
            account("1", Some("alpha"), Some("a@x")),
            account("0", Some("alpha"), Some("a@x")),
        ];
        sort_accounts_as_cli(&mut list);
        let ids: Vec<_> = list.iter().map(|a| a.account_id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2", "3"]);
    }

    #[test]
    fn roles_sort_case_insensitively() {
        let mut roles = vec!["b".to_owned(), "ReadOnly".to_owned(), "Admin".to_owned()];
        sort_roles_as_cli(&mut roles);
        assert_eq!(roles, ["Admin", "b", "ReadOnly"]);
    }

    #[test]
    fn hostile_ids_and_role_names_are_refused() {
        assert!(is_account_id("111111111111"));
        assert!(!is_account_id("1\n[profile x]"));
        assert!(is_role_name("AWSReservedSSO_Admin+x=y,z.w@v-u"));
        for bad in ["", "a b", "a\nb", "a#b", "a;b", "[x]"] {
            assert!(!is_role_name(bad), "{bad:?}");
        }
    }
}
