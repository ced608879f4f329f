//! What the end-to-end tests share: one [`Sandbox`] (a temp home wired to an in-process mock
//! IAM Identity Center, the `awsctx` command with a clean environment, seeded caches, real
//! shells with the hook, and the check that nothing it started outlives it), the fake browser,
//! and `awsctx_snapshot!` with the filters every snapshot shares.

mod browser;
mod procs;
mod python;
mod shell;
#[macro_use]
mod snapshot;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsctx_core::cache::{
    CredentialCache, CredentialKey, RoleCredentials, SsoToken, TokenCache, TokenKey,
};
use awsctx_core::secret::Secret;
use awsctx_tests::{Account, IssuedToken, MockConfig, MockSso};
use jiff::{SignedDuration, Timestamp};

pub(crate) use browser::FakeBrowser;
pub(crate) use procs::{MARKER, processes_marked, wait_until_gone};
pub(crate) use python::{Moto, python_with};
pub(crate) use shell::{Counted, have, have_nu, shells, shells_and_nu};
pub(crate) use snapshot::{render, settings as snapshot_settings, snapshot_text};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_awsctx");

/// The two accounts of a [`Sandbox::switcher`]: (account id, role name).
pub(crate) const DEV: (&str, &str) = ("111122223333", "Admin");
pub(crate) const PROD: (&str, &str) = ("444455556666", "ReadOnly");

/// A temp dir holding a home (`home/.aws`), and the mock it talks to. Every process it starts
/// carries [`MARKER`] with this sandbox's own value; when the sandbox goes, none of them may
/// still run (`cargo test` leaves no process behind).
///
/// Set-ups: [`Sandbox::empty`] (no config), [`Sandbox::new`] (`[sso-session corp]` with
/// profile `dev`, legacy profile `legacy`, static profile `keys`), [`Sandbox::switcher`] (two
/// accounts, profiles `dev`, `prod-ro`, `static`, `plain`, logged in), [`Sandbox::corp`]
/// (only the session, logged in); then `.config(…)`, `.logged_in()`, `.env(…)` as needed.
pub(crate) struct Sandbox {
    _tmp: tempfile::TempDir,
    /// The physical path of the temp dir (what `$PWD` will say).
    pub(crate) root: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) mock: MockSso,
    /// The mock's first account and its first role.
    pub(crate) account: String,
    pub(crate) role: String,
    /// This sandbox's value of [`MARKER`].
    pub(crate) marker: String,
    extra_env: Vec<(String, String)>,
}

impl Sandbox {
    /// A home with an empty `~/.aws` and a mock answering as `config` says.
    pub(crate) fn empty(config: MockConfig) -> Self {
        static SANDBOXES: AtomicU32 = AtomicU32::new(0);
        let mock = MockSso::start(config);
        let account = mock.accounts()[0].id.clone();
        let role = mock.accounts()[0].roles[0].clone();
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = std::fs::canonicalize(tmp.path()).expect("canonical temp dir");
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".aws")).expect("mkdir .aws");
        let marker =
            format!("{}-{}", std::process::id(), SANDBOXES.fetch_add(1, Ordering::Relaxed));
        Self { _tmp: tmp, root, home, mock, account, role, marker, extra_env: Vec::new() }
    }

    /// `[sso-session corp]` with profile `dev` (the mock's first account and role, region
    /// `eu-west-1`), legacy profile `legacy`, static profile `keys`; not logged in.
    pub(crate) fn new() -> Self {
        Self::with(MockConfig::default())
    }

    pub(crate) fn with(config: MockConfig) -> Self {
        let sandbox = Self::empty(config);
        let config = sandbox.default_config();
        sandbox.config(&config)
    }

    /// Three SSO profiles over two accounts of the mock ([`DEV`], [`PROD`]), a static one and a
    /// settings-only one; logged in; nothing cached yet.
    pub(crate) fn switcher() -> Self {
        Self::switcher_with(MockConfig::default())
    }

    pub(crate) fn switcher_with(config: MockConfig) -> Self {
        let sandbox = Self::empty(config.with_accounts(vec![
            Account::new(DEV.0, "app-dev", &[DEV.1]),
            Account::new(PROD.0, "app-prod", &[PROD.1]),
        ]));
        let config = format!(
            "{session}\n\
             [profile dev]\nsso_session = corp\nsso_account_id = {dev}\nsso_role_name = {dev_role}\nregion = eu-west-1\n\n\
             [profile prod-ro]\nsso_session = corp\nsso_account_id = {prod}\nsso_role_name = {prod_role}\nregion = us-east-1\n\n\
             [profile static]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = static/secret+key=\n\n\
             [profile plain]\nregion = ap-south-1\n",
            session = sandbox.session_section("corp"),
            dev = DEV.0,
            dev_role = DEV.1,
            prod = PROD.0,
            prod_role = PROD.1,
        );
        sandbox.config(&config).logged_in()
    }

    /// Only `[sso-session corp]`, logged in.
    pub(crate) fn corp(config: MockConfig) -> Self {
        let sandbox = Self::empty(config);
        let section = sandbox.session_section("corp");
        sandbox.config(&section).logged_in()
    }

    /// `~/.aws/config` is `text`.
    pub(crate) fn config(self, text: &str) -> Self {
        self.write_config(text);
        self
    }

    /// `~/.aws/credentials` is `text`.
    pub(crate) fn credentials(self, text: &str) -> Self {
        std::fs::write(self.path(".aws/credentials"), text).expect("write credentials");
        self
    }

    /// Logged in to `corp`, as [`Sandbox::seed_login`].
    pub(crate) fn logged_in(self) -> Self {
        self.seed_login();
        self
    }

    /// A variable for every process this sandbox starts.
    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.set_env(name, value);
        self
    }

    pub(crate) fn set_env(&mut self, name: &str, value: &str) {
        self.extra_env.push((name.to_owned(), value.to_owned()));
    }

    /// The config of [`Sandbox::new`].
    pub(crate) fn default_config(&self) -> String {
        let (start, account, role) = (self.mock.start_url(), &self.account, &self.role);
        format!(
            "{}\n\
             [profile dev]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = {role}\nregion = eu-west-1\n\n\
             [profile legacy]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_account_id = {account}\nsso_role_name = {role}\n\n\
             [profile keys]\naws_access_key_id = AKIAEXAMPLESTATIC\naws_secret_access_key = static/secret+key\nregion = ap-south-1\n",
            self.session_section("corp")
        )
    }

    /// `[sso-session NAME]` for the mock, as the user would have it.
    pub(crate) fn session_section(&self, name: &str) -> String {
        format!(
            "[sso-session {name}]\nsso_start_url = {}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
            self.mock.start_url()
        )
    }

    /// `relative` under the home.
    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.home.join(relative)
    }

    /// A directory under the sandbox root (made).
    pub(crate) fn dir(&self, relative: &str) -> PathBuf {
        let dir = self.root.join(relative);
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    pub(crate) fn config_path(&self) -> PathBuf {
        self.path(".aws/config")
    }

    /// `path` as awsctx shows it to the user: `~/…` below the sandbox's home.
    pub(crate) fn shown(&self, path: &Path) -> String {
        match path.strip_prefix(&self.home) {
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => path.display().to_string(),
        }
    }

    pub(crate) fn config_text(&self) -> String {
        std::fs::read_to_string(self.config_path()).unwrap_or_default()
    }

    pub(crate) fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// Add a profile section to the config.
    pub(crate) fn add_profile(&self, text: &str) {
        let mut config = self.config_text();
        config.push('\n');
        config.push_str(text);
        config.push('\n');
        self.write_config(&config);
    }

    /// An executable script at `relative` under the root (`text` has its `#!` line).
    pub(crate) fn script(&self, relative: &str, text: &str) -> PathBuf {
        executable(&self.root.join(relative), text)
    }

    /// The environment every process of the sandbox gets (after `env_clear`).
    pub(crate) fn vars(&self) -> Vec<(String, String)> {
        let path = |p: &str| self.path(p).display().to_string();
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), self.home.display().to_string()),
            ("XDG_STATE_HOME".into(), path(".local/state")),
            ("AWS_CONFIG_FILE".into(), path(".aws/config")),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), path(".aws/credentials")),
            ("NO_COLOR".into(), "1".into()),
            ("LANG".into(), "C.UTF-8".into()),
            (MARKER.into(), self.marker.clone()),
        ];
        env.extend(self.mock.env_vars().into_iter().map(|(k, v)| (k.to_owned(), v)));
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// `program` in the sandbox root, with the sandbox's environment and nothing of the
    /// developer's.
    pub(crate) fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear().envs(self.vars()).current_dir(&self.root);
        cmd
    }

    /// `awsctx` (see [`Sandbox::command`]).
    pub(crate) fn awsctx(&self) -> Command {
        self.command(BIN)
    }

    /// `awsctx ARGS` (see [`Sandbox::awsctx`]).
    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.awsctx();
        cmd.args(args);
        cmd
    }

    /// `awsctx ARGS` in `dir` (`$PWD` too).
    pub(crate) fn awsctx_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = self.cmd(args);
        cmd.env("PWD", dir).current_dir(dir);
        cmd
    }

    /// Run `awsctx ARGS` to the end, stdin closed (not a terminal).
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).stdin(Stdio::null()).output().expect("run awsctx")
    }

    pub(crate) fn tokens(&self) -> TokenCache {
        TokenCache::from_home(&self.home)
    }

    pub(crate) fn credential_cache(&self) -> CredentialCache {
        CredentialCache::from_home(&self.home)
    }

    pub(crate) fn dev_key(&self) -> CredentialKey {
        CredentialKey::sso(&self.account, &self.role, "corp")
    }

    /// A token the mock accepts for session `name`, as a login would leave it: its
    /// `expiresAt` is `expires_at` when given, with or without what a refresh needs.
    pub(crate) fn seed_session_expiring(
        &self,
        name: &str,
        expires_at: Option<Timestamp>,
        refreshable: bool,
    ) -> IssuedToken {
        let issued = self.mock.issue_token();
        let token = SsoToken {
            start_url: Some(self.mock.start_url()),
            region: Some("us-east-1".into()),
            access_token: Secret::new(issued.access_token.clone()),
            expires_at: expires_at.unwrap_or_else(|| timestamp(issued.expires_at)),
            client_id: Some(issued.client_id.clone()),
            client_secret: Some(Secret::new(issued.client_secret.clone())),
            registration_expires_at: Some(timestamp(issued.registration_expires_at)),
            refresh_token: issued.refresh_token.clone().filter(|_| refreshable).map(Secret::new),
        };
        self.tokens().store(&TokenKey::Session(name.into()), &token).expect("write token");
        issued
    }

    /// A valid token for session `name`.
    pub(crate) fn seed_session(&self, name: &str) {
        self.seed_session_expiring(name, None, true);
    }

    /// A token for `corp`, as if the user had logged in.
    pub(crate) fn seed_login(&self) {
        self.seed_session("corp");
    }

    /// A token the mock accepts, in `corp`'s cache file, expiring in `left`.
    pub(crate) fn seed_token(&self, left: SignedDuration) -> IssuedToken {
        self.seed_session_expiring("corp", Some(seconds_from_now(left)), true)
    }

    /// No login: the `corp` token is gone.
    pub(crate) fn forget_login(&self) {
        self.tokens().remove(&TokenKey::Session("corp".into())).expect("rm");
    }

    /// Role credentials for `dev` in the AWS CLI's cache.
    pub(crate) fn seed_credentials(&self, credentials: &RoleCredentials) {
        self.credential_cache().store_sso(&self.dev_key(), credentials).expect("write creds");
    }

    /// Cache role credentials for `(account, role)` expiring in `ttl`; returns the access key.
    pub(crate) fn seed_keys(&self, (account, role): (&str, &str), ttl: Duration) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let access_key_id = format!("ASIA{account}K{n:04}");
        let creds = RoleCredentials::new(
            access_key_id.clone(),
            Secret::new(format!("secret-{n}")),
            Some(Secret::new(format!("token-{access_key_id}"))),
            Some(
                Timestamp::now()
                    .checked_add(SignedDuration::try_from(ttl).expect("ttl"))
                    .expect("expiry"),
            ),
        )
        .unwrap()
        .with_account_id(Some(account.to_owned()));
        self.credential_cache()
            .store_sso(&CredentialKey::sso(account, role, "corp"), &creds)
            .expect("store keys");
        access_key_id
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

/// `text` at `path`, executable.
pub(crate) fn executable(path: &Path, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.to_owned()
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

/// Lines of `text`, for comparing with what a test expects.
pub(crate) fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// Run and require success, showing stderr otherwise.
pub(crate) fn success(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run awsctx");
    assert!(out.status.success(), "{cmd:?} failed:\n{}", stderr(&out));
    out
}

#[track_caller]
pub(crate) fn assert_ok(out: &Output) {
    assert!(out.status.success(), "exit {:?}\nstderr:\n{}", out.status.code(), stderr(out));
}
