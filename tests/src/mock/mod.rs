//! The mock IAM Identity Center: SSO OIDC, the SSO portal, STS and console sign-in on one
//! loopback port, wire-exact per `docs/aws-protocol.md`, with the state, counters,
//! request log and fault injection that tests assert on.
//!
//! ```no_run
//! use awsctx_tests::{MockConfig, MockSso, Operation};
//! let mock = MockSso::start(MockConfig::default().accounts(5));
//! let mut cmd = std::process::Command::new("awsctx");
//! cmd.envs(mock.env_vars());
//! // ... run it, then:
//! assert_eq!(mock.count(Operation::GetRoleCredentials), 1);
//! ```

mod config;
mod oidc;
mod operation;
mod portal;
mod response;
mod server;
mod signin;
mod state;
mod sts;

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

pub use config::{Account, AssumableRole, DEFAULT_START_URL, MockConfig, generate_accounts};
pub use oidc::pkce_challenge;
pub use operation::{Fault, Operation};

use server::Shared;
use state::{Principal, State};

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot listen on `{addr}`: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the accept thread of the mock on `{addr}`: {source}")]
    Spawn { addr: SocketAddr, source: std::io::Error },
}

/// One request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query as sent (`/federation/credentials?role_name=..`).
    pub target: String,
    /// The decoded path.
    pub path: String,
    /// The decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub operation: Operation,
    /// Header names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The status answered; `None` while in flight or when the connection was dropped.
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::header(&self.headers, name)
    }

    /// First value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`None` when it is not JSON).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// First value of `name` in a form-encoded body (STS).
    pub fn form_param(&self, name: &str) -> Option<String> {
        crate::http::parse_query(&self.body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// A key pair the mock issued (or made for an IAM user) and will accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `None` for long-term IAM user keys.
    pub session_token: Option<String>,
    pub account_id: String,
    /// What `GetCallerIdentity` says for these keys.
    pub arn: String,
    pub expires_at: Option<SystemTime>,
}

/// A token made without a login ([`MockSso::issue_token`]), with what a token cache holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub expires_at: SystemTime,
    pub registration_expires_at: SystemTime,
}

/// A console sign-in the mock completed (`Action=login`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub account_id: String,
    /// The ARN of the keys the sign-in token was made from.
    pub arn: String,
    pub destination: String,
    pub issuer: String,
}

/// A running mock; the server stops when this is dropped.
#[derive(Debug)]
pub struct MockSso {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl MockSso {
    /// Start a mock on `127.0.0.1` (port 0 unless configured).
    ///
    /// # Panics
    /// When it cannot listen: a test cannot go on without its server.
    pub fn start(config: MockConfig) -> Self {
        match Self::try_start(config) {
            Ok(mock) => mock,
            Err(e) => panic!("mock-sso: {e}"),
        }
    }

    pub fn try_start(config: MockConfig) -> Result<Self, MockError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
        let listener =
            TcpListener::bind(addr).map_err(|source| MockError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| MockError::Bind { addr, source })?;
        let mut state = State::new(config);
        state.base_url = format!("http://{addr}");
        let shared =
            Arc::new(Shared { state: Mutex::new(state), stopping: AtomicBool::new(false) });
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("mock-sso-accept".into())
                .spawn(move || server::accept_loop(&listener, &shared))
                .map_err(|source| MockError::Spawn { addr, source })?
        };
        Ok(Self { shared, addr, accept: Some(accept) })
    }

    /// `http://127.0.0.1:PORT`, the endpoint of every service.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The start URL the mock accepts (configure it as `sso_start_url`).
    pub fn start_url(&self) -> String {
        self.shared.lock().config.start_url.clone()
    }

    /// The variables that point awsctx (and the AWS SDKs) at this mock.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        let url = self.url();
        vec![
            ("AWS_ENDPOINT_URL_SSO_OIDC", url.clone()),
            ("AWS_ENDPOINT_URL_SSO", url.clone()),
            ("AWS_ENDPOINT_URL_STS", url.clone()),
            ("AWS_ENDPOINT_URL_SIGNIN", url),
        ]
    }

    /// How many requests of `op` arrived (including those answered with errors or faults).
    pub fn count(&self, op: Operation) -> u64 {
        self.shared.lock().counts[op.index()]
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// The requests of one operation, in arrival order.
    pub fn requests_for(&self, op: Operation) -> Vec<RecordedRequest> {
        self.shared.lock().log.iter().filter(|r| r.operation == op).cloned().collect()
    }

    /// Forget the request log and zero the counters (state such as tokens stays).
    pub fn reset_counts(&self) {
        let mut state = self.shared.lock();
        state.log.clear();
        state.counts = [0; Operation::ALL.len()];
    }

    /// Queue faults for the next requests of `op`, one per request, in order.
    pub fn inject(&self, op: Operation, faults: impl IntoIterator<Item = Fault>) {
        self.shared.lock().faults.entry(op).or_default().extend(faults);
    }

    /// Replace the accounts and roles the user can reach.
    pub fn set_access(&self, accounts: Vec<Account>) {
        self.shared.lock().accounts = accounts;
    }

    /// The accounts and roles the user can reach now.
    pub fn accounts(&self) -> Vec<Account> {
        self.shared.lock().accounts.clone()
    }

    /// Revoke every access and refresh token issued so far (as an admin ending sessions).
    pub fn revoke_tokens(&self) {
        let mut state = self.shared.lock();
        for token in state.access_tokens.values_mut() {
            token.revoked = true;
        }
        for token in state.refresh_tokens.values_mut() {
            token.revoked = true;
        }
    }

    /// Revoke one access token (and the refresh token issued with it).
    pub fn revoke_token(&self, access_token: &str) {
        let mut state = self.shared.lock();
        let refresh = state.access_tokens.get_mut(access_token).and_then(|t| {
            t.revoked = true;
            t.refresh_token.clone()
        });
        if let Some(refresh) = refresh
            && let Some(r) = state.refresh_tokens.get_mut(&refresh)
        {
            r.revoked = true;
        }
    }

    /// Make every access token issued so far expire now (refresh tokens stay usable).
    pub fn expire_tokens(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for token in self.shared.lock().access_tokens.values_mut() {
            token.expires_at = past;
        }
    }

    /// Make every temporary key pair issued so far expire now.
    pub fn expire_credentials(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for key in self.shared.lock().keys.values_mut() {
            if key.expires_at.is_some() {
                key.expires_at = Some(past);
            }
        }
    }

    /// Change the portal list APIs' rate limit (`None`: unlimited).
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        self.shared.lock().bucket = per_second.map(state::TokenBucket::new);
    }

    /// Make `op` paginate without end, in pages of about `bytes` (`None`: the real accounts
    /// again); see [`MockConfig::endless_pages`].
    pub fn set_endless_pages(&self, op: Operation, bytes: Option<usize>) {
        let mut state = self.shared.lock();
        state.endless_pages.retain(|(o, _)| *o != op);
        state.endless_pages.extend(bytes.map(|b| (op, b)));
    }

    /// Make the user refuse (or accept again) authorizations from now on.
    pub fn set_deny_authorization(&self, deny: bool) {
        self.shared.lock().deny_authorization = deny;
    }

    /// Approve every pending device authorization; returns how many.
    pub fn approve_pending(&self) -> usize {
        oidc::approve_pending(&mut self.shared.lock())
    }

    /// Register a client (with scopes `sso:account:access`) and issue it a token, as if the
    /// user had logged in: for tests that seed a token cache instead of logging in.
    pub fn issue_token(&self) -> IssuedToken {
        let mut state = self.shared.lock();
        let client_id = state.random(22);
        let client_secret = format!("eyJraWQiOiJrZXktMTU2{}", state.random(300));
        let registration_expires_at = state::later(state.config.registration_ttl);
        state.clients.insert(
            client_id.clone(),
            state::Client {
                secret: client_secret.clone(),
                scopes: vec!["sso:account:access".to_owned()],
                grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
                redirect_uris: vec!["http://127.0.0.1/oauth/callback".to_owned()],
                expires_at: registration_expires_at,
            },
        );
        let (access_token, refresh_token, _) = state.issue_token(&client_id);
        let expires_at =
            state.access_tokens.get(&access_token).map_or_else(SystemTime::now, |t| t.expires_at);
        IssuedToken {
            access_token,
            refresh_token,
            client_id,
            client_secret,
            expires_at,
            registration_expires_at,
        }
    }

    /// Long-term keys (`AKIA…`) of IAM user `user_name` in `account_id`, accepted by STS.
    pub fn create_user_keys(&self, account_id: &str, user_name: &str) -> IssuedCredentials {
        let mut state = self.shared.lock();
        let principal = Principal::User { user_name: user_name.to_owned() };
        let key = state.issue_key(account_id, principal, None);
        key.public(&state.config.user_name)
    }

    /// The key pair with this access key id, if the mock issued it.
    pub fn credentials(&self, access_key_id: &str) -> Option<IssuedCredentials> {
        let state = self.shared.lock();
        state.keys.get(access_key_id).map(|k| k.public(&state.config.user_name))
    }

    /// Every key pair issued so far, oldest first.
    pub fn issued_credentials(&self) -> Vec<IssuedCredentials> {
        let state = self.shared.lock();
        state
            .key_order
            .iter()
            .filter_map(|id| state.keys.get(id))
            .map(|k| k.public(&state.config.user_name))
            .collect()
    }

    /// Add an IAM role with trust conditions for `AssumeRole`.
    pub fn add_assumable_role(&self, role: AssumableRole) {
        self.shared.lock().assumable_roles.push(role);
    }

    /// The console sign-ins completed so far.
    pub fn console_sessions(&self) -> Vec<ConsoleSession> {
        self.shared.lock().console_sessions.clone()
    }
}

impl Drop for MockSso {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        server::wake(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}
