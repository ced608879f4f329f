//! The switcher from the outside: `awsctx PROFILE` without the hook, listing, `-c`, `hook-env`
//! output and its one-line reports, `pin`/`allow` errors. Also the sandbox and shell runners
//! that `hooks`, `pty` and `quoting` share.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use awsctx_core::cache::{
    CredentialCache, CredentialKey, RoleCredentials, SsoToken, TokenCache, TokenKey,
};
use awsctx_core::secret::Secret;
use awsctx_tests::{Account, MockConfig, MockSso};
use jiff::Timestamp;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_awsctx");

/// A temp home with a config of three SSO profiles (two accounts of the mock), a static one
/// and a settings-only one; a valid SSO login; nothing cached yet.
///
/// Every process it starts carries [`MARKER`] with this sandbox's own value; when the sandbox
/// goes, none of them may still run (`cargo test` leaves no process behind).
pub(crate) struct Sandbox {
    _tmp: tempfile::TempDir,
    /// This sandbox's value of [`MARKER`].
    pub(crate) marker: String,
    /// The physical path of the temp dir (what `$PWD` will say).
    pub(crate) root: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) mock: MockSso,
    extra_env: Vec<(String, String)>,
}

/// The variable that marks every process a [`Sandbox`] starts (nothing in awsctx reads it).
pub(crate) const MARKER: &str = "AWSCTX_TEST_SANDBOX";

pub(crate) const DEV: (&str, &str) = ("111122223333", "Admin");
pub(crate) const PROD: (&str, &str) = ("444455556666", "ReadOnly");

impl Sandbox {
    pub(crate) fn new() -> Self {
        Self::with_mock(MockConfig::default())
    }

    pub(crate) fn with_mock(config: MockConfig) -> Self {
        static SANDBOXES: AtomicU32 = AtomicU32::new(0);
        let mock = MockSso::start(config.with_accounts(vec![
            Account::new(DEV.0, "app-dev", &[DEV.1]),
            Account::new(PROD.0, "app-prod", &[PROD.1]),
        ]));
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = std::fs::canonicalize(tmp.path()).expect("canonical temp dir");
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".aws")).expect("mkdir .aws");
        let config = format!(
            "[sso-session corp]\nsso_start_url = {url}\nsso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n\n\
             [profile dev]\nsso_session = corp\nsso_account_id = {dev}\nsso_role_name = {dev_role}\nregion = eu-west-1\n\n\
             [profile prod-ro]\nsso_session = corp\nsso_account_id = {prod}\nsso_role_name = {prod_role}\nregion = us-east-1\n\n\
             [profile static]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = static/secret+key=\n\n\
             [profile plain]\nregion = ap-south-1\n",
            url = mock.start_url(),
            dev = DEV.0,
            dev_role = DEV.1,
            prod = PROD.0,
            prod_role = PROD.1,
        );
        std::fs::write(home.join(".aws/config"), config).expect("write config");
        let marker =
            format!("{}-{}", std::process::id(), SANDBOXES.fetch_add(1, Ordering::Relaxed));
        let sandbox = Self { _tmp: tmp, marker, root, home, mock, extra_env: Vec::new() };
        sandbox.seed_login();
        sandbox
    }

    /// Add a profile section to the config.
    pub(crate) fn add_profile(&self, text: &str) {
        let path = self.home.join(".aws/config");
        let mut config = std::fs::read_to_string(&path).expect("read config");
        config.push('\n');
        config.push_str(text);
        config.push('\n');
        std::fs::write(path, config).expect("write config");
    }

    /// Set a variable for every process this sandbox starts.
    pub(crate) fn set_env(&mut self, name: &str, value: &str) {
        self.extra_env.push((name.to_owned(), value.to_owned()));
    }

    /// A token for `corp`, as if the user had logged in.
    pub(crate) fn seed_login(&self) {
        let issued = self.mock.issue_token();
        let token = SsoToken {
            start_url: Some(self.mock.start_url()),
            region: Some("us-east-1".into()),
            access_token: Secret::new(issued.access_token),
            expires_at: Timestamp::try_from(issued.expires_at).expect("token expiry"),
            client_id: Some(issued.client_id),
            client_secret: Some(Secret::new(issued.client_secret)),
            registration_expires_at: Timestamp::try_from(issued.registration_expires_at).ok(),
            refresh_token: issued.refresh_token.map(Secret::new),
        };
        TokenCache::from_home(&self.home)
            .store(&TokenKey::Session("corp".into()), &token)
            .expect("store token");
    }

    /// No login: the `corp` token is gone.
    pub(crate) fn forget_login(&self) {
        TokenCache::from_home(&self.home).remove(&TokenKey::Session("corp".into())).expect("rm");
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
                    .checked_add(jiff::SignedDuration::try_from(ttl).expect("ttl"))
                    .expect("expiry"),
            ),
        )
        .unwrap()
        .with_account_id(Some(account.to_owned()));
        CredentialCache::from_home(&self.home)
            .store_sso(&CredentialKey::sso(account, role, "corp"), &creds)
            .expect("store keys");
        access_key_id
    }

    /// A directory under the sandbox root (made).
    pub(crate) fn dir(&self, relative: &str) -> PathBuf {
        let dir = self.root.join(relative);
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    /// The environment every process of the sandbox gets (after `env_clear`).
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), self.home.display().to_string()),
            ("XDG_STATE_HOME".into(), self.home.join(".local/state").display().to_string()),
            ("AWS_CONFIG_FILE".into(), self.home.join(".aws/config").display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                self.home.join(".aws/credentials").display().to_string(),
            ),
            ("NO_COLOR".into(), "1".into()),
            ("LANG".into(), "C.UTF-8".into()),
            (MARKER.into(), self.marker.clone()),
        ];
        env.extend(self.mock.env_vars().into_iter().map(|(k, v)| (k.to_owned(), v)));
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// `awsctx ARGS` in `dir`, with the sandbox's environment only.
    pub(crate) fn awsctx(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear().envs(self.env()).env("PWD", dir).current_dir(dir).args(args);
        cmd
    }

    /// The hook script for `shell`, written to a file (sourced by the shell runners).
    pub(crate) fn hook_file(&self, shell: &str) -> PathBuf {
        let path = self.root.join(format!("hook.{shell}"));
        if !path.exists() {
            let out = self.awsctx(&self.root, &["hook", shell]).output().expect("awsctx hook");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let mut hook = Vec::new();
            if shell == "bash"
                && std::env::var_os("AWSCTX_TEST_BASH_WITHOUT_EPOCHSECONDS").is_some()
            {
                // What bash before 5.0 (macOS's 3.2) has: no builtin clock. `.ci/run` runs the
                // shell tests once more this way, so the hook's fallback clock is tested too.
                hook.extend_from_slice(b"unset EPOCHSECONDS\n");
            }
            hook.extend_from_slice(&out.stdout);
            std::fs::write(&path, hook).expect("write hook");
        }
        path
    }

    /// Run `script` in `shell` (non-interactive, no rc files) after the prelude: the hook is
    /// sourced, and `prompt` (what the shell does before a prompt), `cmdline` (what it does
    /// before a command line runs: bash's `DEBUG` trap fires before every command by itself,
    /// zsh and fish run their preexec hooks only when interactive), `show NAME...` (prints
    /// `NAME=<value>` or `NAME unset`), `setvar NAME VALUE` (exported) and `unsetvar NAME` are
    /// defined alike in every shell.
    pub(crate) fn run(&self, shell: &str, script: &str) -> Output {
        self.run_raw(shell, &format!("{}\n{script}\n", self.prelude(shell)))
    }

    /// Run `script` in `shell` as it is (no prelude), in the sandbox's environment.
    pub(crate) fn run_raw(&self, shell: &str, full: &str) -> Output {
        let mut cmd = Command::new(program(shell));
        match shell {
            "bash" => cmd.args(["--norc", "--noprofile", "-c", full]),
            "zsh" => cmd.args(["-f", "-c", full]),
            "nu" => cmd.args(["--no-config-file", "-c", full]),
            _ => cmd.args(["--no-config", "-c", full]),
        };
        cmd.env_clear().envs(self.env()).current_dir(&self.root);
        cmd.output().expect("run shell")
    }

    pub(crate) fn prelude(&self, shell: &str) -> String {
        let hook = self.hook_file(shell);
        let hook = hook.display();
        match shell {
            "bash" => format!(
                "source '{hook}'\n\
                 prompt() {{ local __c; for __c in \"${{PROMPT_COMMAND[@]}}\"; do eval \"$__c\"; done; }}\n\
                 cmdline() {{ :; }}\n\
                 show() {{ local n; for n; do if [[ -n \"${{!n+set}}\" ]]; then printf '%s=<%s>\\n' \"$n\" \"${{!n}}\"; else printf '%s unset\\n' \"$n\"; fi; done; }}\n\
                 setvar() {{ export \"$1=$2\"; }}\n\
                 unsetvar() {{ unset \"$1\"; }}\n\
                 statevars() {{ local n; for n in \"${{!_AWSCTX_@}}\"; do printf '%s=%s\\0' \"$n\" \"${{!n}}\"; done; }}"
            ),
            "zsh" => format!(
                "source '{hook}'\n\
                 zmodload zsh/parameter\n\
                 prompt() {{ local f; for f in $precmd_functions; do $f; done }}\n\
                 cmdline() {{ local f; for f in $preexec_functions; do $f; done }}\n\
                 show() {{ local n; for n; do if (( ${{+parameters[$n]}} )); then printf '%s=<%s>\\n' $n \"${{(P)n}}\"; else printf '%s unset\\n' $n; fi; done }}\n\
                 setvar() {{ export \"$1=$2\" }}\n\
                 unsetvar() {{ unset \"$1\" }}\n\
                 statevars() {{ local n; for n in ${{(k)parameters[(I)_AWSCTX_*]}}; do printf '%s=%s\\0' $n \"${{(P)n}}\"; done }}"
            ),
            // A prompt as the REPL makes one: `pre_prompt` hooks, then `env_change.PWD` hooks
            // when `$env.PWD` changed since the last prompt. The hook's state is in the
            // `$env._AWSCTX` record: `show` looks there for `_AWSCTX_*`.
            "nu" => format!(
                "source '{hook}'\n\
                 $env.PROMPT_PWD = $env.PWD\n\
                 def cmdline [] {{ }}\n\
                 def --env prompt [] {{ for h in $env.config.hooks.pre_prompt {{ do --env $h.code }}; if $env.PWD != $env.PROMPT_PWD {{ let before = $env.PROMPT_PWD; $env.PROMPT_PWD = $env.PWD; for h in $env.config.hooks.env_change.PWD {{ do --env $h.code $before $env.PWD }} }} }}\n\
                 def show [...names: string] {{ for n in $names {{ let v = if ($n | str starts-with _AWSCTX_) {{ $env._AWSCTX? | default {{}} | get -o $n }} else {{ $env | get -o $n }}; if $v == null {{ print $\"($n) unset\" }} else {{ print $\"($n)=<($v)>\" }} }} }}\n\
                 def --env setvar [name: string, value: string] {{ if ($name | str starts-with _AWSCTX_) {{ $env._AWSCTX = ($env._AWSCTX? | default {{}} | upsert $name $value) }} else {{ load-env {{($name): $value}} }} }}\n\
                 def --env unsetvar [name: string] {{ hide-env -i $name }}"
            ),
            _ => format!(
                "source '{hook}'\n\
                 function prompt; emit fish_prompt; end\n\
                 function cmdline; emit fish_preexec; end\n\
                 function show; for n in $argv; if set -q $n; printf '%s=<%s>\\n' $n \"$$n\"; else; printf '%s unset\\n' $n; end; end; end\n\
                 function setvar; set -gx $argv[1] $argv[2]; end\n\
                 function unsetvar; set -e $argv[1]; end\n\
                 function statevars; for n in (set -n | string match '_AWSCTX_*'); printf '%s=%s\\0' $n \"$$n\"; end; end"
            ),
        }
    }
}

impl Drop for Sandbox {
    /// Whatever the shells started (fish's refresh timer, its `sleep`) must be gone with them.
    fn drop(&mut self) {
        let left = wait_until_gone(&self.marker, Duration::from_secs(5));
        if left.is_empty() {
            return;
        }
        for (pid, _) in &left {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        assert!(
            std::thread::panicking(),
            "processes outlived the sandbox's shells (killed now): {left:?}"
        );
    }
}

/// The processes (pid, command line) that carry `marker`, wherever they were reparented.
/// Linux (`/proc`) only; elsewhere none are found.
pub(crate) fn processes_marked(marker: &str) -> Vec<(u32, String)> {
    let needle = format!("{MARKER}={marker}\0");
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // Another user's process, or one that ended meanwhile: not ours.
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
        if environ.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// Wait up to `grace` for every process marked `marker` to end; those still running.
pub(crate) fn wait_until_gone(marker: &str, grace: Duration) -> Vec<(u32, String)> {
    let started = std::time::Instant::now();
    loop {
        let left = processes_marked(marker);
        if left.is_empty() || started.elapsed() > grace {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `tool` can be run. Missing: a loud skip notice, or a failure when
/// `AWSCTX_REQUIRE_SHELLS=1` (CI installs bash, zsh, fish and shellcheck).
pub(crate) fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("AWSCTX_REQUIRE_SHELLS").as_deref() != Ok("1"),
            "`{tool}` is not installed and AWSCTX_REQUIRE_SHELLS=1 requires it"
        );
        eprintln!("SKIPPED: `{tool}` is not installed: its part of this test did not run");
    }
    found
}

/// The shells to run a test in: those installed (with a loud notice for the others).
pub(crate) fn shells() -> Vec<&'static str> {
    ["bash", "zsh", "fish"].into_iter().filter(|s| have(s)).collect()
}

/// [`shells`] and Nushell, for scripts all four understand (`cd`, `prompt`, `show`, `setvar`,
/// `awsctx ...`, one command a line).
pub(crate) fn shells_and_nu() -> Vec<&'static str> {
    let mut all = shells();
    if have_nu() {
        all.push("nu");
    }
    all
}

/// The program to run for `shell`: its name, found on `PATH`; Nushell as [`nu_program`] finds it.
pub(crate) fn program(shell: &str) -> PathBuf {
    if shell == "nu" { nu_program() } else { shell.into() }
}

/// Nushell: `$AWSCTX_NU`, else `nu` on `PATH`, else the one `.ci/run` installs with npm under
/// `target/nushell`.
pub(crate) fn nu_program() -> PathBuf {
    if let Some(nu) = std::env::var_os("AWSCTX_NU") {
        return nu.into();
    }
    let on_path = Command::new("nu").arg("--version").output().is_ok_and(|o| o.status.success());
    if on_path {
        return "nu".into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/nushell/bin/nu")
}

/// Whether Nushell can be run (a loud skip, or a failure under `AWSCTX_REQUIRE_SHELLS=1`).
pub(crate) fn have_nu() -> bool {
    have(&nu_program().to_string_lossy())
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

// ---------------------------------------------------------------------------------------------

#[test]
fn switching_without_the_hook_is_an_error_whose_hint_names_the_users_shell() {
    let sb = Sandbox::new();
    for (shell, hint) in [
        (Some("/usr/bin/fish"), "add `awsctx hook fish | source` to ~/.config/fish/config.fish"),
        (Some("/bin/zsh"), "add `eval \"$(awsctx hook zsh)\"` to ~/.zshrc"),
        (None, "add `eval \"$(awsctx hook bash)\"` to ~/.bashrc"),
    ] {
        let mut cmd = sb.awsctx(&sb.home, &["dev"]);
        if let Some(shell) = shell {
            cmd.env("SHELL", shell);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(out.stdout, b"");
        assert_eq!(
            stderr(&out),
            format!(
                "awsctx: error: `awsctx dev` changes the current shell, which needs the awsctx hook\nhint: {hint}\n"
            )
        );
    }
    let out = sb.awsctx(&sb.home, &["-u"]).output().unwrap();
    assert!(stderr(&out).contains("`awsctx -u` changes the current shell"), "{}", stderr(&out));
}

#[test]
fn bare_awsctx_off_a_terminal_lists_profiles_with_the_current_one_marked() {
    let sb = Sandbox::new();
    let out = sb.awsctx(&sb.home, &[]).env("AWS_PROFILE", "prod-ro").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "  dev\n* prod-ro\n  static\n  plain\n");
}

#[test]
fn current_prints_the_profile_awsctx_set_else_aws_profile_else_fails() {
    let sb = Sandbox::new();
    let out = sb
        .awsctx(&sb.home, &["-c"])
        .env("_AWSCTX_PROFILE", "dev")
        .env("AWS_PROFILE", "dev")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "dev\n");
    let out = sb.awsctx(&sb.home, &["--current"]).env("AWS_PROFILE", "mine").output().unwrap();
    assert_eq!(stdout(&out), "mine\n");
    let out = sb.awsctx(&sb.home, &["-c"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("awsctx: error: no profile in this shell\n"));
}

#[test]
fn hook_env_in_a_pinned_directory_exports_cached_keys_and_reports_the_switch_in_one_line() {
    let sb = Sandbox::new();
    let key = sb.seed_keys(DEV, Duration::from_secs(2 * 3600 - 30));
    let repo = sb.dir("repo");
    let out = sb.awsctx(&repo, &["pin", "dev"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "without the hook, pin prints no shell code");
    assert_eq!(stderr(&out), format!("awsctx: pinned `{}` to dev\n", repo.display()));

    let out = sb.awsctx(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "awsctx: dev · 111122223333 · Admin · eu-west-1 · 1h 59m left\n");
    let code = stdout(&out);
    for line in [
        "export AWS_PROFILE='dev'".to_owned(),
        format!("export AWS_ACCESS_KEY_ID='{key}'"),
        "export AWS_REGION='eu-west-1'".to_owned(),
        "export AWS_DEFAULT_REGION='eu-west-1'".to_owned(),
        // The hook's own state: set in the shell, never exported.
        format!("_AWSCTX_BOUND='{}'", repo.display()),
        "_AWSCTX_ORIGIN='pin'".to_owned(),
        format!("_AWSCTX_PINS='{}'", repo.display()),
    ] {
        assert!(code.lines().any(|l| l == line), "missing {line:?} in\n{code}");
    }
    assert!(code.contains("export AWS_CREDENTIAL_EXPIRATION='20"), "{code}");
    assert!(code.contains("\n_AWSCTX_DUE='"), "{code}");
    assert!(!code.contains("export _AWSCTX"), "{code}");

    // The same in fish: `set -gx` for the profile, `set -gu` for the state, one timer.
    let out = sb.awsctx(&repo, &["hook-env", "fish"]).output().unwrap();
    let code = stdout(&out);
    assert!(code.contains("set -gx AWS_PROFILE 'dev'\n"), "{code}");
    assert!(code.contains("set -gu _AWSCTX_ORIGIN 'pin'\n"), "{code}");
    assert_eq!(code.matches("_awsctx_arm_timer ").count(), 1, "{code}");
}

#[test]
fn export_mode_chooses_profile_only_or_keys_only() {
    let sb = Sandbox::new();
    sb.seed_keys(DEV, Duration::from_secs(3600));
    let repo = sb.dir("repo");
    assert!(sb.awsctx(&repo, &["pin", "dev"]).output().unwrap().status.success());

    let out =
        sb.awsctx(&repo, &["hook-env", "bash"]).env("AWSCTX_EXPORT", "profile").output().unwrap();
    let code = stdout(&out);
    assert!(code.contains("export AWS_PROFILE='dev'"), "{code}");
    assert!(!code.contains("export AWS_ACCESS_KEY_ID") && !code.contains("_AWSCTX_DUE"), "{code}");
    assert_eq!(stderr(&out), "awsctx: dev · 111122223333 · Admin · eu-west-1\n");

    let out = sb.awsctx(&repo, &["hook-env", "zsh"]).env("AWSCTX_EXPORT", "keys").output().unwrap();
    let code = stdout(&out);
    assert!(!code.contains("export AWS_PROFILE="), "{code}");
    assert!(code.contains("export AWS_SECRET_ACCESS_KEY="), "{code}");

    let out = sb.awsctx(&repo, &["hook-env", "bash"]).env("AWSCTX_EXPORT", "all").output().unwrap();
    assert!(out.status.success(), "a bad setting never fails a prompt");
    assert!(
        stderr(&out).starts_with("awsctx: `AWSCTX_EXPORT=all` is not one of"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_expired_login_switches_the_profile_without_keys_and_says_so_in_one_line() {
    let sb = Sandbox::new();
    sb.forget_login();
    let repo = sb.dir("repo");
    assert!(sb.awsctx(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let out = sb.awsctx(&repo, &["hook-env", "bash"]).output().unwrap();
    assert_eq!(
        stderr(&out),
        "awsctx: dev · 111122223333 · Admin · eu-west-1 · no keys\n\
         awsctx: SSO session \"corp\" expired — run awsctx login\n"
    );
    let code = stdout(&out);
    assert!(code.contains("export AWS_PROFILE='dev'"), "{code}");
    assert!(!code.contains("export AWS_ACCESS_KEY_ID"), "{code}");
    // The shell remembers the message as a short hash, not its text.
    let warned = code
        .lines()
        .find_map(|l| l.strip_prefix("_AWSCTX_WARNED='")?.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no marker in {code}"));
    assert!(warned.len() == 16 && warned.bytes().all(|b| b.is_ascii_hexdigit()), "{code}");
    assert!(!code.contains("_AWSCTX_DUE"), "no refresh loop without a login: {code}");

    // Once per shell: with the marker in the state the hook hands it, the hook stays quiet.
    let out =
        sb.awsctx(&repo, &["hook-env", "bash"]).env("_AWSCTX_WARNED", warned).output().unwrap();
    assert_eq!(stderr(&out), "awsctx: dev · 111122223333 · Admin · eu-west-1 · no keys\n");
}

#[test]
fn an_explicit_switch_without_a_login_still_drops_the_old_keys_but_fails_with_a_hint() {
    let mut sb = Sandbox::new();
    sb.forget_login();
    sb.set_env("AWS_ACCESS_KEY_ID", "AKIAOLDKEYOFANOTHERPROFILE");
    let home = sb.dir("");
    let out = sb.awsctx(&home, &["dev"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "`awsctx dev && terraform plan` must stop");
    assert_eq!(
        stderr(&out),
        "awsctx: dev · 111122223333 · Admin · eu-west-1 · no keys\n\
         awsctx: error: no keys for `dev`: SSO session `corp` is not logged in\n\
         hint: run `awsctx login --sso-session corp`, then `awsctx dev` again\n"
    );
    let code = stdout(&out);
    assert!(code.contains("export AWS_PROFILE='dev'"), "{code}");
    assert!(code.contains("unset -v AWS_ACCESS_KEY_ID"), "old keys must go: {code}");
}

#[test]
fn switch_commands_refuse_unknown_profiles_and_pin_needs_one() {
    let sb = Sandbox::new();
    let out = sb.awsctx(&sb.home, &["nope"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"", "nothing for the shell to eval");
    assert_eq!(
        stderr(&out),
        "awsctx: error: profile `nope` not found in the AWS config or credentials file\n\
         hint: `awsctx list` shows the profiles; `awsctx populate --sso-session NAME` generates them\n"
    );
    // A typo of a command or of a profile name gets the nearest name as its hint.
    let out = sb.awsctx(&sb.home, &["lsit"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert!(
        stderr(&out).ends_with("hint: did you mean the command `awsctx list`?\n"),
        "{}",
        stderr(&out)
    );
    let out = sb.awsctx(&sb.home, &["DEV"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert!(stderr(&out).contains("hint: did you mean `dev`?"), "{}", stderr(&out));
    let out = sb.awsctx(&sb.home, &["pin", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = sb.awsctx(&sb.home, &["pin"]).output().unwrap();
    assert!(stderr(&out).contains("no profile to pin"), "{}", stderr(&out));
    let out = sb.awsctx(&sb.home, &["-"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert!(stderr(&out).contains("no previous profile in this shell"), "{}", stderr(&out));
}

#[test]
fn a_broken_line_in_another_profile_stops_neither_a_switch_nor_export_but_list_names_it() {
    let sb = Sandbox::new();
    let key = sb.seed_keys(DEV, Duration::from_secs(3600));
    sb.add_profile("[profile broken]\nregion = x\nthis line has no equals sign");
    let out = sb.awsctx(&sb.home, &["export", "dev", "--format", "env"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("export AWS_ACCESS_KEY_ID={key}\n")),
        "{}",
        stdout(&out)
    );
    let out = sb.awsctx(&sb.home, &["dev"]).env("_AWSCTX_SHELL", "bash").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("export AWS_PROFILE='dev'"), "{}", stdout(&out));
    // The profile with the broken line, and every command that reads the whole files, fail
    // with its place.
    let line = "config:27: expected an `=` sign defining a property";
    for args in [&["export", "broken"][..], &["list"], &["doctor"]] {
        let out = sb.awsctx(&sb.home, args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let all = stdout(&out) + &stderr(&out);
        assert!(all.contains(line), "{args:?}: {all}");
    }
}

#[test]
fn unpin_names_the_pin_above_when_this_directory_has_none() {
    let sb = Sandbox::new();
    let repo = sb.dir("repo");
    let sub = sb.dir("repo/sub");
    assert!(sb.awsctx(&repo, &["pin", "dev"]).output().unwrap().status.success());
    let out = sb.awsctx(&sub, &["unpin"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: error: `{}` is not pinned\nhint: `{}` is pinned: run `awsctx unpin` there\n",
            sub.display(),
            repo.display()
        )
    );
    let out = sb.awsctx(&repo, &["unpin"]).output().unwrap();
    assert_eq!(stderr(&out), format!("awsctx: unpinned `{}` (was dev)\n", repo.display()));
}

#[test]
fn allow_and_deny_find_the_nearest_profile_file_and_say_which() {
    let sb = Sandbox::new();
    let repo = sb.dir("repo");
    let deep = sb.dir("repo/a/b");
    let out = sb.awsctx(&deep, &["allow"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no `.aws-profile` in"), "{}", stderr(&out));

    std::fs::write(repo.join(".aws-profile"), "# team account\nprod-ro\n").unwrap();
    let out = sb.awsctx(&deep, &["allow"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let file = repo.join(".aws-profile");
    assert_eq!(stderr(&out), format!("awsctx: allowed `{}` (profile `prod-ro`)\n", file.display()));
    let out = sb.awsctx(&sb.root, &["deny", "repo/a"]).output().unwrap();
    assert_eq!(
        stderr(&out),
        format!("awsctx: denied `{}`: it will not switch profiles\n", file.display())
    );
}

#[test]
fn an_untrusted_profile_file_never_switches_and_says_what_to_run() {
    let sb = Sandbox::new();
    let repo = sb.dir("repo");
    std::fs::write(repo.join(".aws-profile"), "dev\n").unwrap();
    let out = sb.awsctx(&repo, &["hook-env", "bash"]).output().unwrap();
    let file = repo.join(".aws-profile");
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: `{}` (profile `dev`) is not allowed yet — run `awsctx allow` to trust it\n",
            file.display()
        )
    );
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));

    // Allowed, then edited: untrusted again, and said so.
    assert!(sb.awsctx(&repo, &["allow"]).output().unwrap().status.success());
    let out = sb.awsctx(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(stdout(&out).contains("export AWS_PROFILE='dev'"), "{}", stdout(&out));
    std::fs::write(repo.join(".aws-profile"), "prod-ro\n").unwrap();
    let out = sb.awsctx(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("(profile `prod-ro`) changed since you allowed it"),
        "{}",
        stderr(&out)
    );

    // A file naming a profile the config does not have: skipped, with the reason.
    std::fs::write(repo.join(".aws-profile"), "ghost\n").unwrap();
    assert!(sb.awsctx(&repo, &["allow"]).output().unwrap().status.success());
    let out = sb.awsctx(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(
        stderr(&out).contains("names profile `ghost`, which is not in the config"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));
}

#[test]
fn the_switch_line_is_red_only_for_production_on_a_terminal() {
    // Off a terminal there is never colour, whatever the pattern says.
    let sb = Sandbox::new();
    sb.seed_keys(PROD, Duration::from_secs(3600 - 30));
    let repo = sb.dir("repo");
    assert!(sb.awsctx(&repo, &["pin", "prod-ro"]).output().unwrap().status.success());
    let out = sb.awsctx(&repo, &["hook-env", "bash"]).env_remove("NO_COLOR").output().unwrap();
    assert!(!stderr(&out).contains('\u{1b}'), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .starts_with("awsctx: prod-ro · 444455556666 · ReadOnly · us-east-1 · 59m left")
    );
}

#[test]
fn status_says_where_the_profile_came_from_and_what_binds_this_directory() {
    if !have("bash") {
        return;
    }
    let sb = Sandbox::new();
    sb.seed_keys(DEV, Duration::from_secs(3600));
    let repo = sb.dir("repo");
    let proj = sb.dir("proj");
    std::fs::write(proj.join(".aws-profile"), "prod-ro\n").unwrap();
    let script = format!(
        "cd '{root}'\nprompt\nawsctx static\ncd repo\nprompt\nawsctx pin dev 2>/dev/null\n\
         awsctx status --json\necho ===\nawsctx prod-ro 2>/dev/null\nawsctx status\necho ===\n\
         cd ../proj\nprompt 2>/dev/null\nawsctx status --json",
        root = sb.root.display()
    );
    let out = sb.run("bash", &script);
    let text = stdout(&out);
    let parts: Vec<&str> = text.split("===\n").collect();
    assert_eq!(parts.len(), 3, "{text}\n{}", stderr(&out));
    assert!(!text.contains("secret-") && !text.contains("token-"), "no secrets in status: {text}");

    let pinned: serde_json::Value = serde_json::from_str(parts[0]).unwrap();
    let switcher = &pinned["switcher"];
    assert_eq!(switcher["origin"], "pin");
    assert_eq!(switcher["source"], repo.display().to_string());
    assert_eq!(switcher["bound"], repo.display().to_string());
    assert_eq!(switcher["restore"], "static");
    assert_eq!(switcher["here"]["state"], "applies");
    assert_eq!(pinned["keys"]["source"], "environment");

    let manual = parts[1];
    assert!(
        manual.contains("set by    `awsctx` command (overrides the binding here)\n"),
        "{manual}"
    );
    assert!(
        manual.contains(&format!("manual    until the shell leaves `{}`\n", repo.display())),
        "{manual}"
    );
    assert!(
        manual.contains(&format!("leaving   `{}` brings back static\n", repo.display())),
        "{manual}"
    );

    let untrusted: serde_json::Value = serde_json::from_str(parts[2]).unwrap();
    let here = &untrusted["switcher"]["here"];
    assert_eq!(here["state"], "untrusted");
    assert_eq!(here["file"], proj.join(".aws-profile").display().to_string());
    assert_eq!(here["profile"], "prod-ro");
    assert_eq!(untrusted["profile"], "static", "leaving the pinned tree restored static");
}

#[test]
fn an_allowed_profile_file_edited_since_says_it_changed_not_that_it_was_never_allowed() {
    let sb = Sandbox::new();
    let repo = sb.dir("repo");
    let file = repo.join(".aws-profile");
    std::fs::write(&file, "dev\n").unwrap();
    assert!(sb.awsctx(&repo, &["allow"]).output().unwrap().status.success());
    std::fs::write(&file, "prod-ro\n").unwrap();
    let out = sb.awsctx(&repo, &["hook-env", "bash"]).output().unwrap();
    assert!(!stdout(&out).contains("AWS_PROFILE"), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: `{}` (profile `prod-ro`) changed since you allowed it — run `awsctx allow` to trust it\n",
            file.display()
        )
    );
}

#[test]
fn bare_awsctx_with_no_profiles_says_how_to_start_and_fails() {
    let sb = Sandbox::new();
    let none = sb.root.join("none");
    for hooked in [false, true] {
        let mut cmd = sb.awsctx(&sb.home, &[]);
        cmd.env("AWS_CONFIG_FILE", &none).env("AWS_SHARED_CREDENTIALS_FILE", &none);
        cmd.env("SHELL", "/bin/zsh");
        if hooked {
            cmd.env("_AWSCTX_SHELL", "zsh");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(out.stdout, b"");
        let hint = if hooked {
            "hint: `awsctx configure sso` sets one up\n".to_owned()
        } else {
            "hint: `awsctx configure sso` sets one up; to switch to it in this shell, add `eval \"$(awsctx hook zsh)\"` to ~/.zshrc\n".to_owned()
        };
        assert_eq!(
            stderr(&out),
            format!(
                "awsctx: error: there are no AWS profiles in the config or credentials file\n{hint}"
            ),
            "hooked: {hooked}"
        );
    }
}
