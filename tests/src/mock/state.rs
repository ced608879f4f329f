//! Everything the mock remembers between requests: registrations, pending authorizations,
//! tokens, issued keys, counters, the request log, queued faults and the rate limiter.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::config::{Account, AssumableRole, MockConfig};
use super::operation::{Fault, Operation};
use super::{ConsoleSession, IssuedCredentials, RecordedRequest};

/// Unicode-free alphabets for generated values.
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// RFC 8628 §6.1: consonants only, so a user code spells no word.
const USER_CODE: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// A small PRNG (splitmix64) seeded from std's per-process random hasher keys: the mock needs
/// unguessable-enough, unique values, not cryptography.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new() -> Self {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        Self(hasher.finish())
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                let i = usize::try_from(self.next_u64() % alphabet.len() as u64).unwrap_or(0);
                char::from(alphabet[i])
            })
            .collect()
    }

    pub(crate) fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

/// FNV-1a: stable across runs and Rust versions, for ids derived from names.
pub(crate) fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// `len` characters of `[A-Z2-7]` derived from `text`.
pub(crate) fn stable_id(text: &str, len: usize) -> String {
    let mut rng = Rng(stable_hash(text));
    rng.string(UPPER_ALNUM, len)
}

/// Now plus `ttl`, saturating far in the future instead of overflowing.
pub(crate) fn later(ttl: Duration) -> SystemTime {
    let now = SystemTime::now();
    now.checked_add(ttl)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

pub(crate) fn epoch_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) secret: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) grant_types: Vec<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) expires_at: SystemTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Approval {
    Pending,
    Approved,
    Denied,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceAuthorization {
    pub(crate) client_id: String,
    pub(crate) user_code: String,
    pub(crate) expires_at: SystemTime,
    pub(crate) approval: Approval,
    pub(crate) last_poll: Option<Instant>,
}

#[derive(Debug, Clone)]
pub(crate) struct AuthorizationCode {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: String,
    pub(crate) expires_at: SystemTime,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub(crate) expires_at: SystemTime,
    pub(crate) revoked: bool,
    pub(crate) refresh_token: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub(crate) client_id: String,
    pub(crate) revoked: bool,
}

/// Who a key pair speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// Role credentials from the portal: a session of `AWSReservedSSO_<role>_<hex>`.
    SsoRole { role_name: String },
    /// Keys from `AssumeRole`.
    AssumedRole { partition: String, role_name: String, session_name: String },
    /// Long-term keys of an IAM user (made with `MockSso::create_user_keys`).
    User { user_name: String },
}

#[derive(Debug, Clone)]
pub(crate) struct IssuedKey {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: Option<String>,
    pub(crate) account_id: String,
    pub(crate) principal: Principal,
    pub(crate) expires_at: Option<SystemTime>,
}

impl IssuedKey {
    pub(crate) fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The ARN `GetCallerIdentity` answers for these keys.
    pub(crate) fn arn(&self, user_name: &str) -> String {
        let account = &self.account_id;
        match &self.principal {
            Principal::SsoRole { role_name } => {
                format!(
                    "arn:aws:sts::{account}:assumed-role/{}/{user_name}",
                    sso_role_name(role_name)
                )
            }
            Principal::AssumedRole { partition, role_name, session_name } => {
                format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}")
            }
            Principal::User { user_name } => format!("arn:aws:iam::{account}:user/{user_name}"),
        }
    }

    /// The `UserId` `GetCallerIdentity` answers (`AROA…:<session>` for role sessions).
    pub(crate) fn user_id(&self, user_name: &str) -> String {
        let account = &self.account_id;
        match &self.principal {
            Principal::SsoRole { role_name } => {
                format!("{}:{user_name}", role_id(account, &sso_role_name(role_name)))
            }
            Principal::AssumedRole { role_name, session_name, .. } => {
                format!("{}:{session_name}", role_id(account, role_name))
            }
            Principal::User { user_name } => {
                format!("AIDA{}", stable_id(&format!("{account}/{user_name}"), 17))
            }
        }
    }

    pub(crate) fn public(&self, user_name: &str) -> IssuedCredentials {
        IssuedCredentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
            account_id: self.account_id.clone(),
            arn: self.arn(user_name),
            expires_at: self.expires_at,
        }
    }
}

/// The IAM role name Identity Center creates for a permission set.
pub(crate) fn sso_role_name(permission_set: &str) -> String {
    format!("AWSReservedSSO_{permission_set}_{:016x}", stable_hash(permission_set))
}

/// A role's unique id (`AROA` + 17), stable per account and name.
pub(crate) fn role_id(account: &str, role_name: &str) -> String {
    format!("AROA{}", stable_id(&format!("{account}/{role_name}"), 17))
}

/// The portal list APIs' token bucket.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    pub(crate) rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub(crate) fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Self { rate, tokens: rate, last: Instant::now() }
    }

    /// Take one token, or say how long until one is there.
    pub(crate) fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.rate);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

#[derive(Debug)]
pub(crate) struct SigninToken {
    pub(crate) access_key_id: String,
    pub(crate) issued: SystemTime,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) base_url: String,
    pub(crate) config: MockConfig,
    pub(crate) accounts: Vec<Account>,
    pub(crate) assumable_roles: Vec<AssumableRole>,
    pub(crate) rng: Rng,
    /// A per-instance tag in generated keys, so keys of two mocks never collide.
    pub(crate) tag: String,
    pub(crate) counts: [u64; Operation::ALL.len()],
    pub(crate) log: Vec<RecordedRequest>,
    pub(crate) faults: HashMap<Operation, VecDeque<Fault>>,
    pub(crate) clients: HashMap<String, Client>,
    pub(crate) devices: HashMap<String, DeviceAuthorization>,
    pub(crate) codes: HashMap<String, AuthorizationCode>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    pub(crate) keys: HashMap<String, IssuedKey>,
    pub(crate) key_order: Vec<String>,
    pub(crate) key_counter: u64,
    pub(crate) signin_tokens: HashMap<String, SigninToken>,
    pub(crate) console_sessions: Vec<ConsoleSession>,
    pub(crate) bucket: Option<TokenBucket>,
    pub(crate) endless_pages: Vec<(Operation, usize)>,
    pub(crate) deny_authorization: bool,
}

impl State {
    pub(crate) fn new(config: MockConfig) -> Self {
        let mut rng = Rng::new();
        let tag = rng.string(UPPER_ALNUM, 4);
        Self {
            base_url: String::new(),
            accounts: config.accounts.clone(),
            assumable_roles: config.assumable_roles.clone(),
            bucket: config.rate_limit.map(TokenBucket::new),
            endless_pages: config.endless_pages.clone(),
            deny_authorization: config.deny_authorization,
            config,
            rng,
            tag,
            counts: [0; Operation::ALL.len()],
            log: Vec::new(),
            faults: HashMap::new(),
            clients: HashMap::new(),
            devices: HashMap::new(),
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            keys: HashMap::new(),
            key_order: Vec::new(),
            key_counter: 0,
            signin_tokens: HashMap::new(),
            console_sessions: Vec::new(),
        }
    }

    pub(crate) fn request_id(&mut self) -> String {
        self.rng.uuid()
    }

    pub(crate) fn user_code(&mut self) -> String {
        format!("{}-{}", self.rng.string(USER_CODE, 4), self.rng.string(USER_CODE, 4))
    }

    pub(crate) fn random(&mut self, len: usize) -> String {
        self.rng.string(ALNUM, len)
    }

    /// Issue an access token (and a refresh token when the client registered scopes, as AWS).
    pub(crate) fn issue_token(&mut self, client_id: &str) -> (String, Option<String>, u64) {
        let access = format!("aoa{}", self.random(120));
        let with_refresh = self.clients.get(client_id).is_some_and(|c| !c.scopes.is_empty());
        let refresh = with_refresh.then(|| format!("aor{}", self.random(120)));
        let ttl = self.config.token_ttl;
        self.access_tokens.insert(
            access.clone(),
            AccessToken { expires_at: later(ttl), revoked: false, refresh_token: refresh.clone() },
        );
        if let Some(refresh) = &refresh {
            self.refresh_tokens.insert(
                refresh.clone(),
                RefreshToken { client_id: client_id.to_owned(), revoked: false },
            );
        }
        (access, refresh, ttl.as_secs())
    }

    /// Whether `token` is a live access token.
    pub(crate) fn token_is_valid(&self, token: &str) -> bool {
        self.access_tokens
            .get(token)
            .is_some_and(|t| !t.revoked && t.expires_at > SystemTime::now())
    }

    /// Issue and remember a key pair.
    pub(crate) fn issue_key(
        &mut self,
        account_id: &str,
        principal: Principal,
        lifetime: Option<Duration>,
    ) -> IssuedKey {
        self.key_counter += 1;
        let prefix = if lifetime.is_some() { "ASIA" } else { "AKIA" };
        let access_key_id = format!("{prefix}{}{:012}", self.tag, self.key_counter);
        let secret_access_key = self.random(40);
        let session_token = lifetime.map(|_| format!("IQoJb3JpZ2luX2Vj{}", self.random(300)));
        // Whole seconds, as AWS answers.
        let expires_at = lifetime.map(|l| UNIX_EPOCH + Duration::from_secs(epoch_secs(later(l))));
        let key = IssuedKey {
            access_key_id: access_key_id.clone(),
            secret_access_key,
            session_token,
            account_id: account_id.to_owned(),
            principal,
            expires_at,
        };
        self.keys.insert(access_key_id.clone(), key.clone());
        self.key_order.push(access_key_id);
        key
    }

    /// Whether the user currently may use `role` in `account_id`.
    pub(crate) fn has_access(&self, account_id: &str, role: &str) -> bool {
        self.accounts.iter().any(|a| a.id == account_id && a.roles.iter().any(|r| r == role))
    }
}
