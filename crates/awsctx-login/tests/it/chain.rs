//! Role chaining in the provider against the mock's STS: each `AssumeRole` signed with the
//! keys of the link before it, cached in the AWS CLI's shape and key, single-flight, and every
//! way a chain can be refused (cycle, external id, MFA without a terminal).

use std::cell::Cell;
use std::sync::{Arc, Barrier};

use awsctx_core::binding::StateDir;
use awsctx_core::cache::{
    AssumeRoleKeyArgs, CredentialCache, CredentialKey, RoleCredentials, SsoToken, TokenCache,
    TokenKey,
};
use awsctx_core::config::{Config, ProfileError};
use awsctx_core::env::Env;
use awsctx_core::secret::Secret;
use awsctx_login::provider::{
    CredentialOrigin, CredentialProvider, LoginReason, MfaError, ProviderError, ProviderSettings,
};
use awsctx_tests::{AssumableRole, Fault, IssuedCredentials, MockConfig, MockSso, Operation};
use jiff::{SignedDuration, Timestamp};

use crate::support::fast_settings;

const SECOND_ACCOUNT: &str = "222233334444";

/// A temp home for the mock, with `dev` (SSO), `first` (a role on `dev`) and `second` (a role
/// on `first`, in another account, region `us-west-2`), plus whatever a test appends.
struct Chain {
    mock: MockSso,
    home: tempfile::TempDir,
    account: String,
    role: String,
    extra: String,
    env: Env,
}

impl Chain {
    fn new() -> Self {
        let mock = MockSso::start(MockConfig::default());
        let account = mock.accounts()[0].id.clone();
        let role = mock.accounts()[0].roles[0].clone();
        let mut env = Env::from_pairs(mock.env_vars());
        env.set("PATH", std::env::var("PATH").unwrap_or_default());
        let home = tempfile::tempdir().expect("temp home");
        Self { mock, home, account, role, extra: String::new(), env }
    }

    fn first_arn(&self) -> String {
        format!("arn:aws:iam::{}:role/First", self.account)
    }

    fn config(&self) -> Config {
        let (start, account, role) = (self.mock.start_url(), &self.account, &self.role);
        let first = self.first_arn();
        let text = format!(
            "[sso-session corp]\nsso_start_url = {start}\nsso_region = us-east-1\n\n\
             [profile dev]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = {role}\nregion = eu-west-1\n\n\
             [profile first]\nrole_arn = {first}\nsource_profile = dev\n\n\
             [profile second]\nrole_arn = arn:aws:iam::{SECOND_ACCOUNT}:role/Second\nsource_profile = first\nregion = us-west-2\n\n{}",
            self.extra
        );
        Config::from_sources(&text, "").expect("config parses")
    }

    fn settings(&self, allow_network: bool) -> ProviderSettings {
        ProviderSettings {
            home: self.home.path().to_owned(),
            state_dir: StateDir::new(self.home.path().join("state")),
            http: fast_settings(),
            allow_network,
        }
    }

    fn seed_token(&self) {
        let issued = self.mock.issue_token();
        let token = SsoToken {
            start_url: Some(self.mock.start_url()),
            region: Some("us-east-1".into()),
            access_token: Secret::new(issued.access_token),
            expires_at: Timestamp::now() + SignedDuration::from_hours(8),
            client_id: Some(issued.client_id),
            client_secret: Some(Secret::new(issued.client_secret)),
            registration_expires_at: None,
            refresh_token: None,
        };
        TokenCache::from_home(self.home.path())
            .store(&TokenKey::Session("corp".into()), &token)
            .expect("write token");
    }

    fn cache(&self) -> CredentialCache {
        CredentialCache::from_home(self.home.path())
    }

    /// Who the mock says these keys are.
    fn identity(&self, access_key_id: &str) -> IssuedCredentials {
        self.mock.credentials(access_key_id).expect("keys the mock issued")
    }
}

fn key(role_arn: &str) -> CredentialKey {
    CredentialKey::assume_role(&AssumeRoleKeyArgs {
        role_arn: role_arn.to_owned(),
        ..AssumeRoleKeyArgs::default()
    })
}

/// The access key id and region of a request's `SigV4` credential scope.
fn signed_by(request: &awsctx_tests::RecordedRequest) -> (String, String) {
    let auth = request.header("authorization").expect("signed");
    let scope = auth.split("Credential=").nth(1).expect("credential").split(',').next().unwrap();
    let parts: Vec<&str> = scope.split('/').collect();
    (parts[0].to_owned(), parts[2].to_owned())
}

#[test]
fn three_link_chain_assumes_each_role_with_the_keys_before_it_and_caches_both() {
    let c = Chain::new();
    c.seed_token();
    let config = c.config();
    let provider = CredentialProvider::new(&config, &c.env, c.settings(true));
    let got = provider.credentials("second").unwrap();

    assert_eq!(got.origin, CredentialOrigin::Sts);
    assert_eq!(got.profile, "second");
    assert_eq!(got.account_id.as_deref(), Some(SECOND_ACCOUNT));
    assert_eq!(got.role_name.as_deref(), Some("Second"));
    assert_eq!(got.region.as_deref(), Some("us-west-2"));
    let who = c.identity(got.credentials.access_key_id());
    assert!(
        who.arn.starts_with("arn:aws:sts::222233334444:assumed-role/Second/awsctx-"),
        "{}",
        who.arn
    );

    let portal = c.mock.issued_credentials()[0].clone();
    let calls = c.mock.requests_for(Operation::AssumeRole);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].form_param("RoleArn").as_deref(), Some(c.first_arn().as_str()));
    let (first_signer, region) = signed_by(&calls[0]);
    assert_eq!(first_signer, portal.access_key_id, "the first role is assumed with the SSO keys");
    assert_eq!(region, "us-west-2", "STS is called in the selected profile's region");
    let first_keys = c.cache().load(&key(&c.first_arn())).unwrap().expect("first role cached");
    assert_eq!(signed_by(&calls[1]).0, first_keys.access_key_id());
    assert_eq!(c.identity(first_keys.access_key_id()).arn.split('/').nth(1), Some("First"));

    // The AWS CLI's shape: the STS answer, `+00:00` expiry, the account from the ARN.
    let second_key = key(&format!("arn:aws:iam::{SECOND_ACCOUNT}:role/Second"));
    let text = std::fs::read_to_string(c.cache().path(&second_key)).unwrap();
    let entry: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(entry["Credentials"]["Expiration"].as_str().unwrap().ends_with("+00:00"), "{text}");
    assert_eq!(entry["Credentials"]["AccountId"], SECOND_ACCOUNT);
    assert_eq!(entry["AssumedRoleUser"]["Arn"].as_str(), Some(who.arn.as_str()));
    assert!(entry["ResponseMetadata"]["RequestId"].as_str().is_some_and(|id| !id.is_empty()));

    c.mock.reset_counts();
    let again = provider.credentials("second").unwrap();
    assert_eq!(again.origin, CredentialOrigin::Cache);
    assert_eq!(again.credentials, got.credentials);
    assert_eq!(again.role_name.as_deref(), Some("Second"));
    assert!(c.mock.requests().is_empty(), "a cached chain makes no request");
}

#[test]
fn a_cached_top_role_needs_neither_its_source_nor_a_login() {
    let c = Chain::new();
    let config = c.config();
    let cached = RoleCredentials::new(
        "ASIACACHEDROLE",
        Secret::new("s"),
        Some(Secret::new("t")),
        Some(Timestamp::from_second(Timestamp::now().as_second() + 2400).unwrap()),
    )
    .unwrap()
    .with_account_id(Some(SECOND_ACCOUNT.into()));
    let second_key = key(&format!("arn:aws:iam::{SECOND_ACCOUNT}:role/Second"));
    c.cache()
        .store_assume_role(
            &second_key,
            &cached,
            "arn:aws:sts::222233334444:assumed-role/Second/x",
            "AROA:x",
            "r",
        )
        .unwrap();
    for allow_network in [true, false] {
        let provider = CredentialProvider::new(&config, &c.env, c.settings(allow_network));
        let got = provider.credentials("second").unwrap();
        assert_eq!(got.credentials.access_key_id(), "ASIACACHEDROLE");
        assert_eq!(got.origin, CredentialOrigin::Cache);
        let old = provider.cached("second").unwrap().expect("role profiles have a cache entry");
        assert_eq!(old.credentials, cached);
    }
    assert!(c.mock.requests().is_empty());
}

#[test]
fn a_middle_role_in_the_cache_is_the_source_of_the_next_one() {
    let c = Chain::new();
    c.seed_token();
    let config = c.config();
    let provider = CredentialProvider::new(&config, &c.env, c.settings(true));
    let first = provider.credentials("first").unwrap();
    c.mock.reset_counts();
    provider.credentials("second").unwrap();
    assert_eq!(c.mock.count(Operation::GetRoleCredentials), 0, "the SSO base was not needed");
    let calls = c.mock.requests_for(Operation::AssumeRole);
    assert_eq!(calls.len(), 1);
    assert_eq!(signed_by(&calls[0]).0, first.credentials.access_key_id());
}

#[test]
fn cache_only_answers_say_whether_a_login_or_the_network_is_missing() {
    let c = Chain::new();
    let config = c.config();
    let offline = CredentialProvider::new(&config, &c.env, c.settings(false));
    let err = offline.credentials("second").unwrap_err();
    assert!(
        matches!(err, ProviderError::LoginRequired { reason: LoginReason::Missing, .. }),
        "{err}"
    );
    c.seed_token();
    let err = offline.credentials("second").unwrap_err();
    assert!(matches!(&err, ProviderError::NotCached { profile } if profile == "second"), "{err}");
    assert!(c.mock.requests().is_empty());
}

#[test]
fn a_cycle_is_refused_by_name_before_any_request() {
    let mut c = Chain::new();
    c.extra = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = b\n\n\
               [profile b]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = a\n"
        .into();
    c.seed_token();
    let config = c.config();
    let err =
        CredentialProvider::new(&config, &c.env, c.settings(true)).credentials("a").unwrap_err();
    assert!(
        matches!(&err, ProviderError::Profile(ProfileError::Cycle { cycle }) if cycle == &["a", "b", "a"]),
        "{err}"
    );
    assert_eq!(err.to_string(), "role chain loops: `a -> b -> a`");
    assert!(c.mock.requests().is_empty());
}

#[test]
fn external_id_session_name_and_duration_are_sent_and_make_the_cache_key() {
    let mut c = Chain::new();
    let arn = format!("arn:aws:iam::{}:role/Vendor", c.account);
    c.mock.add_assumable_role(AssumableRole::new(&arn).external_id("ext-42"));
    c.extra = format!(
        "[profile vendor]\nrole_arn = {arn}\nsource_profile = dev\nexternal_id = ext-42\nrole_session_name = alice\nduration_seconds = 1800\n\n\
         [profile vendor-no-id]\nrole_arn = {arn}\nsource_profile = dev\n"
    );
    c.seed_token();
    let config = c.config();
    let provider = CredentialProvider::new(&config, &c.env, c.settings(true));
    let got = provider.credentials("vendor").unwrap();
    let call = c.mock.requests_for(Operation::AssumeRole).pop().unwrap();
    assert_eq!(call.form_param("ExternalId").as_deref(), Some("ext-42"));
    assert_eq!(call.form_param("RoleSessionName").as_deref(), Some("alice"));
    assert_eq!(call.form_param("DurationSeconds").as_deref(), Some("1800"));
    let left = got.credentials.expiration().unwrap().duration_since(Timestamp::now());
    assert!(left <= SignedDuration::from_mins(30) && left > SignedDuration::from_mins(29));
    let key = CredentialKey::assume_role(&AssumeRoleKeyArgs {
        role_arn: arn.clone(),
        role_session_name: Some("alice".into()),
        external_id: Some("ext-42".into()),
        serial_number: None,
        duration_seconds: Some(1800),
    });
    assert_eq!(c.cache().load(&key).unwrap().unwrap(), got.credentials);

    let err = provider.credentials("vendor-no-id").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ProviderError::AssumeRole { .. }), "{text}");
    assert!(
        text.starts_with(&format!("profile `vendor-no-id`: cannot assume role `{arn}`:")),
        "{text}"
    );
    assert!(text.contains("AccessDenied"), "{text}");
}

#[test]
fn mfa_without_a_terminal_is_a_clear_error_and_sends_nothing() {
    let mut c = Chain::new();
    let arn = format!("arn:aws:iam::{}:role/Guarded", c.account);
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    c.mock.add_assumable_role(AssumableRole::new(&arn).mfa(serial, "123456"));
    c.extra = format!(
        "[profile guarded]\nrole_arn = {arn}\nsource_profile = dev\nmfa_serial = {serial}\n"
    );
    c.seed_token();
    let config = c.config();
    let provider = CredentialProvider::new(&config, &c.env, c.settings(true))
        .with_mfa_prompt(|_| Err(MfaError::NoTerminal));
    let err = provider.credentials("guarded").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "profile `guarded` needs a code from MFA device `{serial}`, but there is no terminal to ask for it on"
        )
    );
    assert!(matches!(err, ProviderError::MfaUnavailable { reason: MfaError::NoTerminal, .. }));
    assert_eq!(c.mock.count(Operation::AssumeRole), 0);
}

#[test]
fn mfa_codes_are_asked_once_and_the_role_is_cached_with_its_serial() {
    let mut c = Chain::new();
    let arn = format!("arn:aws:iam::{}:role/Guarded", c.account);
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    c.mock.add_assumable_role(AssumableRole::new(&arn).mfa(serial, "654321"));
    c.extra = format!(
        "[profile guarded]\nrole_arn = {arn}\nsource_profile = dev\nmfa_serial = {serial}\n"
    );
    c.seed_token();
    let config = c.config();
    let asked = Cell::new(0);
    let provider =
        CredentialProvider::new(&config, &c.env, c.settings(true)).with_mfa_prompt(|p| {
            asked.set(asked.get() + 1);
            assert_eq!(p.mfa_serial, serial);
            assert_eq!(p.profile, "guarded");
            Ok(Secret::new("654321"))
        });
    provider.credentials("guarded").unwrap();
    provider.credentials("guarded").unwrap();
    assert_eq!(asked.get(), 1, "the cached role is reused without a new code");
    let call = c.mock.requests_for(Operation::AssumeRole).pop().unwrap();
    assert_eq!(call.form_param("SerialNumber").as_deref(), Some(serial));
    assert_eq!(call.form_param("TokenCode").as_deref(), Some("654321"));
    let key = CredentialKey::assume_role(&AssumeRoleKeyArgs {
        role_arn: arn,
        serial_number: Some(serial.into()),
        ..AssumeRoleKeyArgs::default()
    });
    assert!(c.cache().load(&key).unwrap().is_some());
}

#[test]
fn static_and_environment_sources_sign_the_first_call() {
    let mut c = Chain::new();
    let user = c.mock.create_user_keys("111122223333", "ci");
    c.extra = format!(
        "[profile ci-keys]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n\
         [profile from-keys]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\nsource_profile = ci-keys\n\n\
         [profile from-env]\nrole_arn = arn:aws:iam::111122223333:role/Audit\ncredential_source = Environment\n",
        user.access_key_id, user.secret_access_key
    );
    let config = c.config();
    let provider = CredentialProvider::new(&config, &c.env, c.settings(true));
    let got = provider.credentials("from-keys").unwrap();
    assert!(c.identity(got.credentials.access_key_id()).arn.contains(":assumed-role/Deploy/"));
    assert_eq!(signed_by(&c.mock.requests_for(Operation::AssumeRole)[0]).0, user.access_key_id);

    let err = provider.credentials("from-env").unwrap_err();
    assert!(matches!(err, ProviderError::NoEnvironmentCredentials { .. }), "{err}");
    let mut env = c.env.clone();
    env.set("AWS_ACCESS_KEY_ID", &user.access_key_id);
    env.set("AWS_SECRET_ACCESS_KEY", &user.secret_access_key);
    let got =
        CredentialProvider::new(&config, &env, c.settings(true)).credentials("from-env").unwrap();
    assert!(c.identity(got.credentials.access_key_id()).arn.contains(":assumed-role/Audit/"));
}

#[test]
fn ten_processes_at_once_make_one_call_per_link() {
    let c = Chain::new();
    c.seed_token();
    let config = c.config();
    let barrier = Arc::new(Barrier::new(10));
    std::thread::scope(|scope| {
        for _ in 0..10 {
            let barrier = Arc::clone(&barrier);
            let (config, c) = (&config, &c);
            scope.spawn(move || {
                let provider = CredentialProvider::new(config, &c.env, c.settings(true));
                barrier.wait();
                provider.credentials("second").unwrap()
            });
        }
    });
    assert_eq!(c.mock.count(Operation::GetRoleCredentials), 1);
    assert_eq!(c.mock.count(Operation::AssumeRole), 2);
}

#[test]
fn sts_errors_are_retried_and_a_broken_network_stays_a_network_error() {
    let c = Chain::new();
    c.seed_token();
    let config = c.config();
    let provider = CredentialProvider::new(&config, &c.env, c.settings(true));
    c.mock.inject(Operation::AssumeRole, [Fault::Status(500)]);
    assert_eq!(provider.credentials("first").unwrap().origin, CredentialOrigin::Sts);
    assert_eq!(c.mock.count(Operation::AssumeRole), 2, "the 500 was retried");

    c.mock.inject(
        Operation::AssumeRole,
        [Fault::DropConnection, Fault::DropConnection, Fault::DropConnection],
    );
    let err = provider.credentials("second").unwrap_err();
    assert!(matches!(err, ProviderError::Network(_)), "{err}");
    assert!(err.to_string().contains("STS AssumeRole"), "{err}");
}
