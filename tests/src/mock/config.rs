//! What a mock IAM Identity Center knows before its first request: the accounts and roles the
//! user can reach, lifetimes, limits and the rules of the IAM roles behind STS.

use std::time::Duration;

use super::operation::Operation;

/// One AWS account the user can reach through the portal, with its permission-set roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
}

impl Account {
    pub fn new(id: impl Into<String>, name: impl Into<String>, roles: &[&str]) -> Self {
        let name = name.into();
        Self {
            id: id.into(),
            email: format!("aws+{name}@example.com"),
            name,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        }
    }
}

/// An IAM role behind STS `AssumeRole`, with the conditions of its trust policy.
/// Roles nobody configured can be assumed with no conditions (unless
/// [`MockConfig::deny_unknown_roles`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumableRole {
    /// `arn:aws:iam::<account>:role/<name>`.
    pub arn: String,
    /// When set, `ExternalId` must equal it.
    pub external_id: Option<String>,
    /// When set, `SerialNumber` must equal `.0` and `TokenCode` must equal `.1`.
    pub mfa: Option<(String, String)>,
    /// The role's `MaxSessionDuration` (default 1 h).
    pub max_session: Duration,
}

impl AssumableRole {
    pub fn new(arn: impl Into<String>) -> Self {
        Self {
            arn: arn.into(),
            external_id: None,
            mfa: None,
            max_session: Duration::from_secs(3600),
        }
    }

    #[must_use]
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    #[must_use]
    pub fn mfa(mut self, serial: impl Into<String>, code: impl Into<String>) -> Self {
        self.mfa = Some((serial.into(), code.into()));
        self
    }

    #[must_use]
    pub fn max_session(mut self, max: Duration) -> Self {
        self.max_session = max;
        self
    }
}

/// The start URL the mock expects by default: an AWS-owned host, so clients use it as is
/// (no vanity-URL resolution over the network).
pub const DEFAULT_START_URL: &str = "https://d-90670ca0b1.awsapps.com/start";

/// How a [`crate::MockSso`] behaves. Built with chained setters from [`MockConfig::default`].
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub(crate) accounts: Vec<Account>,
    pub(crate) start_url: String,
    pub(crate) user_name: String,
    pub(crate) token_ttl: Duration,
    pub(crate) credential_ttl: Duration,
    pub(crate) registration_ttl: Duration,
    pub(crate) device_code_ttl: Duration,
    pub(crate) device_interval: u64,
    pub(crate) page_size: usize,
    pub(crate) rate_limit: Option<u32>,
    pub(crate) endless_pages: Vec<(Operation, usize)>,
    pub(crate) deny_authorization: bool,
    pub(crate) auto_approve: bool,
    pub(crate) assumable_roles: Vec<AssumableRole>,
    pub(crate) deny_unknown_roles: bool,
    pub(crate) port: u16,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            accounts: generate_accounts(3, 2),
            start_url: DEFAULT_START_URL.to_owned(),
            user_name: "alice@example.com".to_owned(),
            token_ttl: Duration::from_secs(8 * 3600),
            credential_ttl: Duration::from_secs(3600),
            registration_ttl: Duration::from_secs(90 * 24 * 3600),
            device_code_ttl: Duration::from_secs(600),
            device_interval: 1,
            page_size: 20,
            rate_limit: None,
            endless_pages: Vec::new(),
            deny_authorization: false,
            auto_approve: false,
            assumable_roles: Vec::new(),
            deny_unknown_roles: false,
            port: 0,
        }
    }
}

impl MockConfig {
    /// `n` generated accounts (deterministic ids, names and emails), each with 1 to
    /// `roles_per_account` roles (the first account has all of them). Default: 3 accounts, 2 roles.
    #[must_use]
    pub fn accounts(mut self, n: usize) -> Self {
        let k = self.accounts.iter().map(|a| a.roles.len()).max().unwrap_or(2).max(1);
        self.accounts = generate_accounts(n, k);
        self
    }

    /// Regenerate the accounts with up to `k` roles each, keeping their number.
    #[must_use]
    pub fn roles_per_account(mut self, k: usize) -> Self {
        self.accounts = generate_accounts(self.accounts.len(), k.max(1));
        self
    }

    /// Exactly these accounts, in this order.
    #[must_use]
    pub fn with_accounts(mut self, accounts: Vec<Account>) -> Self {
        self.accounts = accounts;
        self
    }

    /// The start URL `StartDeviceAuthorization` and PKCE registration (`issuerUrl`) must carry.
    #[must_use]
    pub fn start_url(mut self, url: impl Into<String>) -> Self {
        self.start_url = url.into();
        self
    }

    /// The user name in the ARNs of SSO role sessions (default `alice@example.com`).
    #[must_use]
    pub fn user_name(mut self, name: impl Into<String>) -> Self {
        self.user_name = name.into();
        self
    }

    /// `expiresIn` of access tokens (default 8 h).
    #[must_use]
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Lifetime of role credentials from `GetRoleCredentials` (default 1 h).
    #[must_use]
    pub fn credential_ttl(mut self, ttl: Duration) -> Self {
        self.credential_ttl = ttl;
        self
    }

    /// Lifetime of client registrations (`clientSecretExpiresAt`, default 90 days).
    #[must_use]
    pub fn registration_ttl(mut self, ttl: Duration) -> Self {
        self.registration_ttl = ttl;
        self
    }

    /// `expiresIn` of device authorizations and PKCE codes (default 600 s).
    #[must_use]
    pub fn device_code_ttl(mut self, ttl: Duration) -> Self {
        self.device_code_ttl = ttl;
        self
    }

    /// `interval` of device authorizations, in seconds (default 1, as AWS answers).
    #[must_use]
    pub fn device_interval(mut self, secs: u64) -> Self {
        self.device_interval = secs;
        self
    }

    /// Page size of `ListAccounts`/`ListAccountRoles` when the client sends no `max_result`
    /// (default 20).
    #[must_use]
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Allow `n` portal list calls per second (token bucket of `n`); beyond that `429`.
    #[must_use]
    pub fn rate_limit(mut self, per_second: u32) -> Self {
        self.rate_limit = Some(per_second.max(1));
        self
    }

    /// A hostile portal: `op` (`ListAccounts` or `ListAccountRoles`) never ends, each page
    /// holding about `bytes` of made-up accounts (~1 KB each) or roles (~60 bytes each) and a
    /// fresh `nextToken`.
    #[must_use]
    pub fn endless_pages(mut self, op: Operation, bytes: usize) -> Self {
        self.endless_pages.push((op, bytes));
        self
    }

    /// The user refuses every authorization (device approval and `/authorize`).
    #[must_use]
    pub fn deny_authorization(mut self, deny: bool) -> Self {
        self.deny_authorization = deny;
        self
    }

    /// Device authorizations are approved as soon as they start (no browser needed).
    #[must_use]
    pub fn auto_approve(mut self, auto: bool) -> Self {
        self.auto_approve = auto;
        self
    }

    /// Add an IAM role with trust conditions for `AssumeRole`.
    #[must_use]
    pub fn assumable_role(mut self, role: AssumableRole) -> Self {
        self.assumable_roles.push(role);
        self
    }

    /// `AssumeRole` of a role not added with [`MockConfig::assumable_role`] is `AccessDenied`.
    #[must_use]
    pub fn deny_unknown_roles(mut self) -> Self {
        self.deny_unknown_roles = true;
        self
    }

    /// Listen on this port instead of one the OS picks.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

const TEAMS: [&str; 20] = [
    "payments",
    "identity",
    "search",
    "billing",
    "analytics",
    "platform",
    "network",
    "security",
    "logging",
    "mobile",
    "web",
    "data",
    "ml",
    "infra",
    "checkout",
    "catalog",
    "support",
    "media",
    "mail",
    "audit",
];
const STAGES: [&str; 5] = ["prod", "staging", "dev", "sandbox", "shared"];
const ROLES: [&str; 8] = [
    "AdministratorAccess",
    "ReadOnlyAccess",
    "PowerUserAccess",
    "ViewOnlyAccess",
    "Billing",
    "DatabaseAdministrator",
    "SecurityAudit",
    "SupportUser",
];

/// `n` accounts named `<team>-<stage>` (with a numeric suffix past the 100 combinations),
/// ids `111111111111` upward, account `i` holding `k - i % k` roles.
pub fn generate_accounts(n: usize, k: usize) -> Vec<Account> {
    let k = k.max(1);
    (0..n)
        .map(|i| {
            let combo = i % (TEAMS.len() * STAGES.len());
            let mut name =
                format!("{}-{}", TEAMS[combo % TEAMS.len()], STAGES[combo / TEAMS.len()]);
            if i >= TEAMS.len() * STAGES.len() {
                name = format!("{name}-{}", i / (TEAMS.len() * STAGES.len()));
            }
            let id = format!("{:012}", 111_111_111_111_u64 + (i as u64) * 1_000_003);
            let count = k - i % k;
            let roles = (0..count)
                .map(|r| ROLES.get(r).map_or_else(|| format!("CustomRole{r}"), |s| (*s).to_owned()))
                .collect();
            Account { id, email: format!("aws+{name}@example.com"), name, roles }
        })
        .collect()
}
