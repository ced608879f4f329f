//! What the end-to-end tests share: a sandbox home wired to an in-process mock IAM Identity
//! Center, the `awsctx` command with a clean environment, seeded caches, and a fake browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsctx_core::cache::{
    CredentialCache, CredentialKey, RoleCredentials, SsoToken, TokenCache, TokenKey,
};
use awsctx_core::secret::Secret;
use awsctx_tests::{IssuedToken, MockConfig, MockSso};
use jiff::{SignedDuration, Timestamp};

/// A temp home whose `~/.aws/config` points at a mock: `[sso-session corp]` with profile
/// `dev` (the mock's first account and role, region `eu-west-1`), legacy profile `legacy`,
/// static profile `keys`.
pub(crate) struct Sandbox {
    pub(crate) mock: MockSso,
    pub(crate) home: tempfile::TempDir,
    pub(crate) account: String,
    pub(crate) role: String,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        Self::with(MockConfig::default())
    }

    pub(crate) fn with(config: MockConfig) -> Self {
        let mock = MockSso::start(config);
        let account = mock.accounts()[0].id.clone();
        let role = mock.accounts()[0].roles[0].clone();
        let home = tempfile::tempdir().expect("temp home");
        std::fs::create_dir_all(home.path().join(".aws")).expect("mkdir .aws");
        let sandbox = Self { mock, home, account, role };
        sandbox.write_config(&sandbox.default_config());
        sandbox
    }

    pub(crate) fn default_config(&self) -> String {
        let (start, account, role) = (self.mock.start_url(), &self.account, &self.role);
        format!(
            "[sso-session corp]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
             [profile dev]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = {role}\nregion = eu-west-1\n\n\
             [profile legacy]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_account_id = {account}\nsso_role_name = {role}\n\n\
             [profile keys]\naws_access_key_id = AKIAEXAMPLESTATIC\naws_secret_access_key = static/secret+key\nregion = ap-south-1\n"
        )
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.home.path().join(relative)
    }

    pub(crate) fn write_config(&self, text: &str) {
        std::fs::write(self.path(".aws/config"), text).expect("write config");
    }

    /// `awsctx` with nothing of the developer's environment: the sandbox home, the mock's
    /// endpoints, no colour.
    pub(crate) fn awsctx(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_awsctx"));
        self.sandbox_env(&mut cmd);
        cmd
    }

    pub(crate) fn sandbox_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_STATE_HOME", self.path(".local/state"))
            .env("AWS_CONFIG_FILE", self.path(".aws/config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path(".aws/credentials"))
            .env("NO_COLOR", "1")
            .envs(self.mock.env_vars());
    }

    pub(crate) fn tokens(&self) -> TokenCache {
        TokenCache::from_home(self.home.path())
    }

    pub(crate) fn credential_cache(&self) -> CredentialCache {
        CredentialCache::from_home(self.home.path())
    }

    pub(crate) fn dev_key(&self) -> CredentialKey {
        CredentialKey::sso(&self.account, &self.role, "corp")
    }

    /// A token the mock accepts, in the session's cache file, expiring in `left`.
    pub(crate) fn seed_token(&self, left: SignedDuration) -> IssuedToken {
        let issued = self.mock.issue_token();
        let token = SsoToken {
            start_url: Some(self.mock.start_url()),
            region: Some("us-east-1".into()),
            access_token: Secret::new(issued.access_token.clone()),
            expires_at: seconds_from_now(left),
            client_id: Some(issued.client_id.clone()),
            client_secret: Some(Secret::new(issued.client_secret.clone())),
            registration_expires_at: Some(timestamp(issued.registration_expires_at)),
            refresh_token: issued.refresh_token.clone().map(Secret::new),
        };
        self.tokens().store(&TokenKey::Session("corp".into()), &token).expect("write token");
        issued
    }

    /// Role credentials for `dev` in the AWS CLI's cache.
    pub(crate) fn seed_credentials(&self, credentials: &RoleCredentials) {
        self.credential_cache().store_sso(&self.dev_key(), credentials).expect("write creds");
    }

    /// Every secret the mock has handed out: none may appear in what users see (outside
    /// `export` and `credential-process`).
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        for key in self.mock.issued_credentials() {
            secrets.push(key.secret_access_key);
            secrets.extend(key.session_token);
        }
        for path in self.tokens().entries().into_iter().flatten().flatten().map(|e| e.path) {
            if let Ok(bytes) = std::fs::read(&path)
                && let Some(token) = SsoToken::from_json(&bytes)
            {
                secrets.push(token.access_token.expose().to_owned());
                secrets.extend(token.refresh_token.map(|t| t.expose().to_owned()));
                secrets.extend(token.client_secret.map(|t| t.expose().to_owned()));
            }
        }
        secrets
    }

    pub(crate) fn assert_no_secret_in(&self, text: &str) {
        for secret in self.secrets() {
            assert!(!text.contains(&secret), "a secret leaked into:\n{text}");
        }
    }

    /// Every cache file is whole JSON (or absent): nothing was left half-written.
    pub(crate) fn assert_caches_whole(&self) {
        for dir in [self.path(".aws/sso/cache"), self.path(".aws/cli/cache")] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).expect("read cache file");
                assert!(
                    serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
                    "corrupt cache file {}",
                    entry.path().display()
                );
            }
        }
    }
}

pub(crate) fn seconds_from_now(left: SignedDuration) -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second() + left.as_secs()).expect("in range")
}

pub(crate) fn timestamp(at: SystemTime) -> Timestamp {
    let secs = at.duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
    Timestamp::from_second(i64::try_from(secs).expect("fits")).expect("in range")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run and require success, showing stderr otherwise.
pub(crate) fn success(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run awsctx");
    assert!(out.status.success(), "{cmd:?} failed:\n{}", stderr(&out));
    out
}

/// A fake `$BROWSER`: a script that appends each URL to a log; a thread of the test reads
/// the log and fetches each new URL with the mock's browse client (following the mock's
/// redirect to awsctx's loopback callback, or approving a device code), as a user would.
pub(crate) struct FakeBrowser {
    pub(crate) script: PathBuf,
    pub(crate) log: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<String>>>,
}

impl FakeBrowser {
    /// A browser that acts on every URL it is given.
    pub(crate) fn start(dir: &Path) -> Self {
        Self::new(dir, true)
    }

    /// A browser that only records the URLs: the test decides when to visit them.
    pub(crate) fn recording(dir: &Path) -> Self {
        Self::new(dir, false)
    }

    fn new(dir: &Path, act: bool) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("browser.sh");
        let log = dir.join("browser.log");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
        )
        .expect("write browser script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = act.then(|| {
            let (stop, log) = (Arc::clone(&stop), log.clone());
            std::thread::spawn(move || {
                let mut seen = 0;
                let mut visited = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    for url in read_urls(&log).into_iter().skip(seen) {
                        seen += 1;
                        let page = awsctx_tests::browse(&url);
                        visited.push(format!("{url} -> {:?}", page.map(|p| p.status)));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                visited
            })
        });
        Self { script, log, stop, thread }
    }

    /// The URLs the browser was given so far.
    pub(crate) fn urls(&self) -> Vec<String> {
        read_urls(&self.log)
    }

    /// Wait until at least `n` URLs were given.
    pub(crate) fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let started = std::time::Instant::now();
        loop {
            let urls = self.urls();
            if urls.len() >= n || started.elapsed() > timeout {
                return urls;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakeBrowser {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_urls(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
