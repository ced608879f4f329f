//! The credential provider against the mock IAM Identity Center: caches first, one fetch for
//! many callers, refresh in botocore's format, logins, and every way a login is needed.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsctx_core::binding::StateDir;
use awsctx_core::cache::{
    ClientRegistration, CredentialCache, CredentialKey, RegistrationKey, RoleCredentials, SsoToken,
    TokenCache, TokenKey,
};
use awsctx_core::config::Config;
use awsctx_core::env::Env;
use awsctx_core::file::{FileLock, LockHolder};
use awsctx_core::secret::Secret;
use awsctx_login::http::HttpSettings;
use awsctx_login::provider::{
    CredentialOrigin, CredentialProvider, LockPurpose, LoginEvent, LoginFlow, LoginOptions,
    LoginReason, LoginSession, LoginTarget, ProviderError, ProviderSettings, TokenState,
};
use awsctx_tests::{Fault, IssuedToken, MockConfig, MockSso, Operation};
use jiff::{SignedDuration, Timestamp};

/// A temp home with a config for the mock: `dev` (sso-session `corp`), `legacy` (start URL in
/// the profile), `keys` (static), `tool` (`credential_process`), `chained` (a role on `dev`).
struct Fixture {
    mock: MockSso,
    home: tempfile::TempDir,
    config: Config,
    env: Env,
    account: String,
    role: String,
}

impl Fixture {
    fn new() -> Self {
        Self::with(MockConfig::default())
    }

    fn with(mock_config: MockConfig) -> Self {
        let mock = MockSso::start(mock_config);
        let account = mock.accounts()[0].id.clone();
        let role = mock.accounts()[0].roles[0].clone();
        let start = mock.start_url();
        let text = format!(
            "[sso-session corp]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
             [profile dev]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = {role}\nregion = eu-west-1\n\n\
             [profile legacy]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_account_id = {account}\nsso_role_name = {role}\n\n\
             [profile keys]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = static-secret\naws_account_id = 999988887777\n\n\
             [profile tool]\ncredential_process = sh -c 'printf \"%s\" \"{{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"AKIAPROC\\\", \\\"SecretAccessKey\\\": \\\"proc-secret\\\", \\\"Expiration\\\": \\\"2099-01-01T00:00:00Z\\\"}}\"'\nregion = us-west-2\n\n\
             [profile chained]\nrole_arn = arn:aws:iam::{account}:role/Deploy\nsource_profile = dev\n"
        );
        let config = Config::from_sources(&text, "").expect("config parses");
        let mut env = Env::from_pairs(mock.env_vars());
        env.set("PATH", std::env::var("PATH").unwrap_or_default());
        let home = tempfile::tempdir().expect("temp home");
        Self { mock, home, config, env, account, role }
    }

    fn settings(&self, allow_network: bool) -> ProviderSettings {
        ProviderSettings {
            home: self.home.path().to_owned(),
            state_dir: StateDir::new(self.home.path().join("state")),
            http: fast_http(),
            allow_network,
        }
    }

    fn provider(&self) -> CredentialProvider<'_> {
        CredentialProvider::new(&self.config, &self.env, self.settings(true))
    }

    fn tokens(&self) -> TokenCache {
        TokenCache::from_home(self.home.path())
    }

    fn creds_cache(&self) -> CredentialCache {
        CredentialCache::from_home(self.home.path())
    }

    fn dev_key(&self) -> CredentialKey {
        CredentialKey::sso(&self.account, &self.role, "corp")
    }

    /// A token issued by the mock, written as `awsctx login` would, expiring in `left`.
    fn seed_token(&self, key: &TokenKey, left: SignedDuration) -> IssuedToken {
        let issued = self.mock.issue_token();
        let token = token_file(&issued, &self.mock.start_url(), left);
        self.tokens().store(key, &token).expect("write token");
        issued
    }

    fn seed_session_token(&self) -> IssuedToken {
        self.seed_token(&session_key(), SignedDuration::from_hours(8))
    }

    fn seed_credentials(&self, left: SignedDuration) -> RoleCredentials {
        let creds = RoleCredentials::new(
            "ASIACACHED",
            Secret::new("cached-secret"),
            Some(Secret::new("cached-token")),
            Some(in_whole_seconds(left)),
        )
        .unwrap()
        .with_account_id(Some(self.account.clone()));
        self.creds_cache().store_sso(&self.dev_key(), &creds).expect("write creds");
        creds
    }
}

fn session_key() -> TokenKey {
    TokenKey::Session("corp".into())
}

fn fast_http() -> HttpSettings {
    HttpSettings {
        request_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        retry_base_delay: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_millis(50),
        ..HttpSettings::default()
    }
}

fn in_whole_seconds(left: SignedDuration) -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second() + left.as_secs()).unwrap()
}

fn timestamp(at: SystemTime) -> Timestamp {
    let secs = at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    Timestamp::from_second(i64::try_from(secs).unwrap()).unwrap()
}

fn token_file(issued: &IssuedToken, start_url: &str, left: SignedDuration) -> SsoToken {
    SsoToken {
        start_url: Some(start_url.to_owned()),
        region: Some("us-east-1".into()),
        access_token: Secret::new(issued.access_token.clone()),
        expires_at: in_whole_seconds(left),
        client_id: Some(issued.client_id.clone()),
        client_secret: Some(Secret::new(issued.client_secret.clone())),
        registration_expires_at: Some(timestamp(issued.registration_expires_at)),
        refresh_token: issued.refresh_token.clone().map(Secret::new),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read file")
}

#[test]
fn cache_hit_makes_no_request() {
    let f = Fixture::new();
    let cached = f.seed_credentials(SignedDuration::from_mins(50));
    let got = f.provider().credentials("dev").unwrap();
    assert_eq!(got.credentials, cached);
    assert_eq!(got.origin, CredentialOrigin::Cache);
    assert_eq!(got.account_id.as_deref(), Some(f.account.as_str()));
    assert_eq!(got.role_name.as_deref(), Some(f.role.as_str()));
    assert_eq!(got.region.as_deref(), Some("eu-west-1"));
    assert!(f.mock.requests().is_empty(), "{:?}", f.mock.requests());
}

#[test]
fn credentials_inside_the_reuse_window_are_fetched_once_and_cached_in_the_cli_format() {
    let f = Fixture::new();
    f.seed_session_token();
    f.seed_credentials(SignedDuration::from_mins(14));
    let first = f.provider().credentials("dev").unwrap();
    assert_eq!(first.origin, CredentialOrigin::Portal);
    assert_ne!(first.credentials.access_key_id(), "ASIACACHED");
    let second = f.provider().credentials("dev").unwrap();
    assert_eq!(second.origin, CredentialOrigin::Cache);
    assert_eq!(second.credentials, first.credentials);
    assert_eq!(f.mock.count(Operation::GetRoleCredentials), 1);

    let issued = f.mock.credentials(first.credentials.access_key_id()).expect("mock issued them");
    let expiration = Timestamp::try_from(issued.expires_at.unwrap()).unwrap();
    let expected = format!(
        r#"{{"ProviderType": "sso", "Credentials": {{"AccessKeyId": "{}", "SecretAccessKey": "{}", "SessionToken": "{}", "Expiration": "{}", "AccountId": "{}"}}}}"#,
        issued.access_key_id,
        issued.secret_access_key,
        issued.session_token.unwrap(),
        expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        f.account
    );
    assert_eq!(read(&f.creds_cache().path(&f.dev_key())), expected);
}

#[test]
fn twenty_threads_at_once_cause_exactly_one_get_role_credentials() {
    let f = Fixture::new();
    f.seed_session_token();
    // A slow answer keeps the first fetch in flight while the others arrive.
    f.mock.inject(Operation::GetRoleCredentials, [Fault::Slow(Duration::from_millis(300))]);
    let barrier = Arc::new(Barrier::new(20));
    let keys: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let f = &f;
                scope.spawn(move || {
                    barrier.wait();
                    f.provider().credentials("dev").unwrap().credentials.access_key_id().to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(f.mock.count(Operation::GetRoleCredentials), 1);
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}

#[test]
fn a_busy_lock_names_its_holder_and_gives_up_at_the_deadline() {
    let f = Fixture::new();
    f.seed_session_token();
    let state = StateDir::new(f.home.path().join("state"));
    let _held = FileLock::acquire(
        &state.lock_path(&format!("credentials-{}", &f.dev_key().file_stem()[..1])),
        Duration::from_secs(1),
        |_| {},
    )
    .unwrap();
    let seen = std::cell::RefCell::new(Vec::new());
    let err = f
        .provider()
        .with_lock_deadline(Duration::from_millis(100))
        .on_lock_wait(|wait| seen.borrow_mut().push(wait.clone()))
        .credentials("dev")
        .unwrap_err();
    let seen = seen.into_inner();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].holder, LockHolder::Pid(std::process::id()));
    assert_eq!(seen[0].purpose, LockPurpose::RoleCredentials { profile: "dev".into() });
    assert_eq!(
        seen[0].to_string(),
        format!(
            "waiting for pid {} (fetching the credentials of profile `dev`)",
            std::process::id()
        )
    );
    assert!(matches!(err, ProviderError::Lock(_)), "{err}");
    assert_eq!(f.mock.count(Operation::GetRoleCredentials), 0);
}

#[test]
fn refresh_inside_the_window_writes_a_botocore_shaped_token() {
    let f = Fixture::new();
    let issued = f.seed_token(&session_key(), SignedDuration::from_mins(10));
    let got = f.provider().credentials("dev").unwrap();
    assert_eq!(got.origin, CredentialOrigin::Portal);
    assert_eq!(f.mock.count(Operation::CreateToken), 1);
    let refresh = &f.mock.requests_for(Operation::CreateToken)[0];
    let body = refresh.json().unwrap();
    assert_eq!(body["grantType"], "refresh_token");
    assert_eq!(body["refreshToken"].as_str(), issued.refresh_token.as_deref());

    let text = read(&f.tokens().path(&session_key()));
    let token = SsoToken::from_json(text.as_bytes()).unwrap();
    assert_ne!(token.access_token.expose(), issued.access_token);
    let new_refresh = token.refresh_token.as_ref().expect("the mock rotates refresh tokens");
    assert_ne!(Some(new_refresh.expose()), issued.refresh_token.as_deref());
    assert!(token.expires_at.duration_since(Timestamp::now()) > SignedDuration::from_hours(7));
    // botocore's bytes: one line, its key order, its separators, `Z` times.
    let expected = format!(
        r#"{{"startUrl": "{}", "region": "us-east-1", "accessToken": "{}", "expiresAt": "{}", "clientId": "{}", "clientSecret": "{}", "registrationExpiresAt": "{}", "refreshToken": "{}"}}"#,
        f.mock.start_url(),
        token.access_token.expose(),
        token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        issued.client_id,
        issued.client_secret,
        timestamp(issued.registration_expires_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        new_refresh.expose(),
    );
    assert_eq!(text, expected);
}

#[test]
fn a_refused_refresh_keeps_the_old_token_while_it_works() {
    let f = Fixture::new();
    let issued = f.seed_token(&session_key(), SignedDuration::from_mins(10));
    let before = read(&f.tokens().path(&session_key()));
    f.mock.inject(Operation::CreateToken, [Fault::RevokedToken]);
    let got = f.provider().credentials("dev").unwrap();
    assert_eq!(got.origin, CredentialOrigin::Portal);
    assert_eq!(read(&f.tokens().path(&session_key())), before);
    let portal = &f.mock.requests_for(Operation::GetRoleCredentials)[0];
    assert_eq!(portal.header("x-amz-sso_bearer_token"), Some(issued.access_token.as_str()));
}

#[test]
fn an_expired_token_is_refreshed_and_an_unrefreshable_one_needs_a_login() {
    let f = Fixture::new();
    f.seed_token(&session_key(), SignedDuration::from_mins(-5));
    assert!(matches!(
        f.provider().token_state(&session_key()).unwrap(),
        TokenState::Refreshable { .. }
    ));
    f.provider().credentials("dev").unwrap();
    assert!(matches!(f.provider().token_state(&session_key()).unwrap(), TokenState::Valid { .. }));

    let g = Fixture::new();
    let issued = g.mock.issue_token();
    let mut token = token_file(&issued, &g.mock.start_url(), SignedDuration::from_mins(-5));
    token.refresh_token = None;
    g.tokens().store(&session_key(), &token).unwrap();
    assert!(matches!(
        g.provider().token_state(&session_key()).unwrap(),
        TokenState::Expired { .. }
    ));
    let err = g.provider().credentials("dev").unwrap_err();
    assert!(
        matches!(&err, ProviderError::LoginRequired { reason: LoginReason::Expired, .. }),
        "{err}"
    );
    assert_eq!(err.to_string(), "SSO session `corp` has expired");
    assert!(
        matches!(&err, ProviderError::LoginRequired { target: LoginTarget::Session(name), .. } if name == "corp"),
        "{err}"
    );
    assert!(g.mock.requests().is_empty());
}

#[test]
fn a_revoked_token_means_a_login_is_needed() {
    let f = Fixture::new();
    f.seed_session_token();
    f.mock.revoke_tokens();
    let err = f.provider().credentials("dev").unwrap_err();
    assert!(
        matches!(&err, ProviderError::LoginRequired { reason: LoginReason::Refused, .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("SSO session `corp` was refused by the SSO portal"),
        "{err}"
    );
    assert_eq!(f.mock.count(Operation::GetRoleCredentials), 1, "401 is not retried");
    assert!(f.creds_cache().load(&f.dev_key()).unwrap().is_none());
}

#[test]
fn no_token_means_a_login_is_needed_and_legacy_profiles_name_the_profile() {
    let f = Fixture::new();
    let err = f.provider().credentials("dev").unwrap_err();
    assert!(
        matches!(&err, ProviderError::LoginRequired { reason: LoginReason::Missing, .. }),
        "{err}"
    );
    assert_eq!(f.provider().token_state(&session_key()).unwrap(), TokenState::Missing);
    let err = f.provider().credentials("legacy").unwrap_err();
    assert!(
        matches!(&err, ProviderError::LoginRequired { target: LoginTarget::Profile(name), .. } if name == "legacy"),
        "{err}"
    );
    assert!(f.mock.requests().is_empty());
}

#[test]
fn legacy_tokens_are_used_but_never_refreshed() {
    let f = Fixture::new();
    let legacy = TokenKey::StartUrl(f.mock.start_url());
    f.seed_token(&legacy, SignedDuration::from_mins(10));
    let got = f.provider().credentials("legacy").unwrap();
    assert_eq!(got.origin, CredentialOrigin::Portal);
    assert_eq!(f.mock.count(Operation::CreateToken), 0);
    let key = CredentialKey::sso_legacy(&f.account, &f.role, &f.mock.start_url());
    assert!(f.creds_cache().load(&key).unwrap().is_some());

    let g = Fixture::new();
    let legacy = TokenKey::StartUrl(g.mock.start_url());
    g.seed_token(&legacy, SignedDuration::from_mins(-1));
    assert!(matches!(g.provider().token_state(&legacy).unwrap(), TokenState::Expired { .. }));
    let err = g.provider().credentials("legacy").unwrap_err();
    assert_eq!(err.to_string(), "SSO session of profile `legacy` has expired");
    assert!(g.mock.requests().is_empty());
}

#[test]
fn corrupt_cache_files_count_as_missing_and_are_replaced() {
    let f = Fixture::new();
    f.seed_session_token();
    let path = f.creds_cache().path(&f.dev_key());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{\"ProviderType\": \"sso\", \"Credentials\": {\"AccessKe").unwrap();
    let got = f.provider().credentials("dev").unwrap();
    assert_eq!(got.origin, CredentialOrigin::Portal);
    let replaced = RoleCredentials::from_cache_json(read(&path).as_bytes()).expect("whole JSON");
    assert_eq!(replaced, got.credentials);

    let token_path = f.tokens().path(&session_key());
    std::fs::write(&token_path, "\u{0}garbage").unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = f.provider().credentials("dev").unwrap_err();
    assert!(matches!(err, ProviderError::LoginRequired { reason: LoginReason::Missing, .. }));
}

#[test]
fn cache_only_answers_never_touch_the_network() {
    let f = Fixture::new();
    let provider = CredentialProvider::new(&f.config, &f.env, f.settings(false));
    let err = provider.credentials("dev").unwrap_err();
    assert!(matches!(err, ProviderError::LoginRequired { reason: LoginReason::Missing, .. }));
    f.seed_session_token();
    let err = provider.credentials("dev").unwrap_err();
    assert!(matches!(&err, ProviderError::NotCached { profile } if profile == "dev"), "{err}");
    f.seed_credentials(SignedDuration::from_mins(30));
    assert_eq!(provider.credentials("dev").unwrap().origin, CredentialOrigin::Cache);
    assert!(f.mock.requests().is_empty());
}

#[test]
fn server_errors_are_retried_and_a_malformed_answer_is_an_error_naming_the_endpoint() {
    let f = Fixture::new();
    f.seed_session_token();
    f.mock.inject(Operation::GetRoleCredentials, [Fault::Status(500), Fault::DropConnection]);
    assert_eq!(f.provider().credentials("dev").unwrap().origin, CredentialOrigin::Portal);
    assert_eq!(f.mock.count(Operation::GetRoleCredentials), 3);

    let g = Fixture::new();
    g.seed_session_token();
    g.mock.inject(Operation::GetRoleCredentials, [Fault::MalformedJson]);
    let err = g.provider().credentials("dev").unwrap_err().to_string();
    assert!(err.starts_with("SSO portal GetRoleCredentials at `http://127.0.0.1:"), "{err}");
    assert!(err.contains("malformed"), "{err}");
    assert!(g.creds_cache().load(&g.dev_key()).unwrap().is_none());
}

#[test]
fn a_slow_portal_times_out_within_the_bounds() {
    let f = Fixture::new();
    f.seed_session_token();
    let mut settings = f.settings(true);
    settings.http.request_timeout = Duration::from_millis(200);
    settings.http.max_attempts = 2;
    f.mock.inject(
        Operation::GetRoleCredentials,
        [Fault::Slow(Duration::from_secs(1)), Fault::Slow(Duration::from_secs(1))],
    );
    let started = std::time::Instant::now();
    let err = CredentialProvider::new(&f.config, &f.env, settings).credentials("dev").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(err.to_string().contains("timed out after 200 ms (attempts: 2)"), "{err}");
}

#[test]
fn static_and_process_profiles_resolve() {
    let f = Fixture::new();
    let keys = f.provider().credentials("keys").unwrap();
    assert_eq!(keys.origin, CredentialOrigin::Static);
    assert_eq!(keys.credentials.access_key_id(), "AKIASTATIC");
    assert_eq!(keys.credentials.expiration(), None);
    assert_eq!(keys.account_id.as_deref(), Some("999988887777"));
    let tool = f.provider().credentials("tool").unwrap();
    assert_eq!(tool.origin, CredentialOrigin::Process);
    assert_eq!(tool.credentials.access_key_id(), "AKIAPROC");
    assert_eq!(tool.credentials.secret_access_key().expose(), "proc-secret");
    assert_eq!(tool.region.as_deref(), Some("us-west-2"));
    assert!(f.mock.requests().is_empty());
}

#[test]
fn credential_process_gets_the_cli_recursion_guard() {
    let mock = MockSso::start(MockConfig::default());
    let text = "[profile echo]\ncredential_process = sh -c 'printf \"{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"A\\\",\\\"SecretAccessKey\\\":\\\"s\\\",\\\"AccountId\\\":\\\"%s\\\"}\" \"$_AWS_CLI_PROFILE_CHAIN\"'\n\
                [profile failing]\ncredential_process = sh -c 'echo nope >&2; exit 3'\n";
    let config = Config::from_sources(text, "").unwrap();
    let mut env = Env::from_pairs([("PATH", std::env::var("PATH").unwrap_or_default())]);
    env.set("_AWS_CLI_PROFILE_CHAIN", "outer");
    let home = tempfile::tempdir().unwrap();
    let settings = ProviderSettings {
        home: home.path().to_owned(),
        state_dir: StateDir::new(home.path().join("state")),
        http: fast_http(),
        allow_network: true,
    };
    let provider = CredentialProvider::new(&config, &env, settings);
    let got = provider.credentials("echo").unwrap();
    assert_eq!(got.credentials.account_id(), Some("outer,echo"));
    let err = provider.credentials("failing").unwrap_err();
    assert_eq!(err.to_string(), "profile `failing`: `sh` failed (exit 3): nope");
    let settings = provider.settings().clone();
    drop(provider);
    env.set("_AWS_CLI_PROFILE_CHAIN", "echo,x");
    let provider = CredentialProvider::new(&config, &env, settings);
    let err = provider.credentials("echo").unwrap_err();
    assert!(matches!(err, ProviderError::ProcessLoop { .. }), "{err}");
    drop(mock);
}

/// A provider for `text` with nothing but `PATH` in its environment.
fn process_provider<'a>(config: &'a Config, env: &'a Env, home: &Path) -> CredentialProvider<'a> {
    let settings = ProviderSettings {
        home: home.to_owned(),
        state_dir: StateDir::new(home.join("state")),
        http: fast_http(),
        allow_network: true,
    };
    CredentialProvider::new(config, env, settings)
}

#[test]
fn a_credential_process_past_the_deadline_is_killed_with_what_it_started() {
    let home = tempfile::tempdir().unwrap();
    let pid_file = home.path().join("grandchild.pid");
    // The grandchild writes its pid, then both hang (the grandchild holding stdout open).
    let text = format!(
        "[profile slow]\ncredential_process = sh -c 'sh -c \"echo \\$\\$ > $0; exec sleep 30\" & sleep 30' {}\n",
        pid_file.display()
    );
    let config = Config::from_sources(&text, "").unwrap();
    let env = Env::from_pairs([("PATH", std::env::var("PATH").unwrap_or_default())]);
    let provider = process_provider(&config, &env, home.path())
        .with_deadline(std::time::Instant::now() + Duration::from_millis(500));
    let started = std::time::Instant::now();
    let err = provider.credentials("slow").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(matches!(err, ProviderError::ProcessTimeout { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("profile `slow`: `sh` did not finish within ")
            && text.ends_with(" ms and was stopped"),
        "{text}"
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap_or_default();
    let pid = pid.trim();
    assert!(!pid.is_empty(), "the grandchild ran");
    let alive = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat.rsplit(')').next().unwrap_or_default().trim_start().starts_with('Z')
        })
    };
    for _ in 0..20 {
        if !alive(pid) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!alive(pid), "grandchild {pid} survived the deadline");
}

#[test]
fn without_a_deadline_a_credential_process_takes_the_time_it_needs() {
    let text = "[profile slowish]\ncredential_process = sh -c 'sleep 1; printf \"{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"AKIASLOW\\\",\\\"SecretAccessKey\\\":\\\"s\\\"}\"'\n";
    let home = tempfile::tempdir().unwrap();
    let config = Config::from_sources(text, "").unwrap();
    let env = Env::from_pairs([("PATH", std::env::var("PATH").unwrap_or_default())]);
    let got = process_provider(&config, &env, home.path()).credentials("slowish").unwrap();
    assert_eq!(got.credentials.access_key_id(), "AKIASLOW");
    // Within a deadline it has, the answer is the same.
    let got = process_provider(&config, &env, home.path())
        .with_deadline(std::time::Instant::now() + Duration::from_secs(20))
        .credentials("slowish")
        .unwrap();
    assert_eq!(got.credentials.access_key_id(), "AKIASLOW");
}

#[test]
fn a_credential_process_that_prints_without_end_is_read_to_a_cap() {
    let text = "[profile chatty]\ncredential_process = sh -c 'head -c 100000000 /dev/zero'\n";
    let home = tempfile::tempdir().unwrap();
    let config = Config::from_sources(text, "").unwrap();
    let env = Env::from_pairs([("PATH", std::env::var("PATH").unwrap_or_default())]);
    let err = process_provider(&config, &env, home.path()).credentials("chatty").unwrap_err();
    assert_eq!(
        err.to_string(),
        "profile `chatty`: `sh` printed unusable credentials: the output is larger than 1024 KiB"
    );
}

#[test]
fn the_deadline_bounds_network_attempts_and_their_retries() {
    let f = Fixture::with(MockConfig::default());
    f.seed_session_token();
    f.mock.inject(
        Operation::GetRoleCredentials,
        std::iter::repeat_n(Fault::Slow(Duration::from_secs(5)), 3),
    );
    let started = std::time::Instant::now();
    let err = f
        .provider()
        .with_deadline(std::time::Instant::now() + Duration::from_millis(700))
        .credentials("dev")
        .unwrap_err();
    let took = started.elapsed();
    // 3 attempts of 2 s each without the deadline.
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(err.to_string().contains("GetRoleCredentials"), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(f.mock.count(Operation::GetRoleCredentials), 1, "no retry past the deadline");
}

#[test]
fn device_login_writes_the_token_and_caches_the_registration_for_the_next_login() {
    let f = Fixture::with(MockConfig::default().auto_approve(true));
    let provider = f.provider();
    let session = LoginSession::Session(f.config.sso_session("corp").unwrap());
    let options = LoginOptions { flow: LoginFlow::DeviceCode, ..LoginOptions::default() };
    let mut prompts = 0;
    let outcome = provider
        .login(&session, &options, |event| {
            if let LoginEvent::Device(prompt) = event {
                assert!(prompt.verification_uri.as_str().starts_with(&f.mock.url()));
                prompts += 1;
            }
        })
        .unwrap();
    assert_eq!(outcome.flow, Some(LoginFlow::DeviceCode));
    assert!(outcome.token.refresh_token.is_some(), "scopes configured: refreshable");
    let stored = f.tokens().load(&session_key()).unwrap().unwrap();
    assert_eq!(stored, outcome.token);
    let key = RegistrationKey {
        start_url: f.mock.start_url(),
        region: "us-east-1".into(),
        scopes: Some(vec!["sso:account:access".into()]),
        session_name: Some("corp".into()),
    };
    let registration: ClientRegistration = f.tokens().load_registration(&key).unwrap().unwrap();
    assert_eq!(stored.client_id.as_deref(), Some(registration.client_id.as_str()));
    assert_eq!(registration.grant_types, None, "device registrations record no grant types");

    // The next login (a new token) reuses the registration; `expiresIn` 8 h gives 8 h.
    let again = provider.login(&session, &options, |_| {}).unwrap();
    assert_eq!(again.flow, Some(LoginFlow::DeviceCode));
    assert_eq!(f.mock.count(Operation::RegisterClient), 1);
    assert_eq!(f.mock.count(Operation::StartDeviceAuthorization), 2);
    assert!(prompts <= 1);

    let creds = provider.credentials("dev").unwrap();
    assert_eq!(creds.origin, CredentialOrigin::Portal);
    assert_eq!(provider.cached("dev").unwrap().unwrap().credentials, creds.credentials);
}

#[test]
fn logout_revokes_and_removes_the_session_and_its_role_credentials() {
    let f = Fixture::new();
    let issued = f.seed_session_token();
    f.provider().credentials("dev").unwrap();
    let session = LoginSession::Session(f.config.sso_session("corp").unwrap());
    let report = f.provider().logout(&session).unwrap();
    assert_eq!((report.tokens, report.credentials), (1, 1));
    assert_eq!(f.mock.count(Operation::Logout), 1);
    let logout = &f.mock.requests_for(Operation::Logout)[0];
    assert_eq!(logout.header("x-amz-sso_bearer_token"), Some(issued.access_token.as_str()));
    assert!(!f.tokens().path(&session_key()).exists());
    assert!(f.creds_cache().load(&f.dev_key()).unwrap().is_none());
    assert!(matches!(session.target(), LoginTarget::Session(name) if name == "corp"));
}

#[test]
fn a_services_section_points_the_portal_at_its_endpoint() {
    let mock = MockSso::start(MockConfig::default());
    let account = &mock.accounts()[0];
    let text = format!(
        "[sso-session corp]\nsso_start_url = {}\nsso_region = us-east-1\n\n\
         [profile dev]\nsso_session = corp\nsso_account_id = {}\nsso_role_name = {}\nservices = local\n\n\
         [services local]\nsso =\n  endpoint_url = {}\n",
        mock.start_url(),
        account.id,
        account.roles[0],
        mock.url()
    );
    let config = Config::from_sources(&text, "").unwrap();
    let env = Env::default();
    let home = tempfile::tempdir().unwrap();
    let issued = mock.issue_token();
    let token = token_file(&issued, &mock.start_url(), SignedDuration::from_hours(1));
    TokenCache::from_home(home.path()).store(&session_key(), &token).unwrap();
    let settings = ProviderSettings {
        home: home.path().to_owned(),
        state_dir: StateDir::new(home.path().join("state")),
        http: fast_http(),
        allow_network: true,
    };
    let got = CredentialProvider::new(&config, &env, settings).credentials("dev").unwrap();
    assert_eq!(got.origin, CredentialOrigin::Portal);
    assert_eq!(mock.count(Operation::GetRoleCredentials), 1);
}
