//! Files are opened, not paths: hostile `.aws-profile` files (links into `/proc`, FIFOs, huge
//! files) through the real hooks, planted symlinks and foreign-owned files in the caches, the
//! state and the lock files, folders other users can write, and a read-only config. The tests
//! run as root, so they plant "another user's" files by `chown`ing them to uid 65534.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use awsctx_core::cache::{RoleCredentials, SsoToken, TokenKey};
use awsctx_core::secret::Secret;
use awsctx_tests::MockConfig;
use jiff::SignedDuration;

use crate::support::{
    DEV, FakeBrowser, Sandbox, lines, seconds_from_now, shells, stderr, stdout, success,
};

/// Another user, as far as file ownership goes.
const NOBODY: u32 = 65534;

fn chown_to_nobody(path: &Path) {
    std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).expect("chown (tests run as root)");
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

fn uid_of(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).expect("lstat").uid()
}

/// What a shell run printed, and whether it had to be killed at its deadline.
struct ShellRun {
    stdout: String,
    stderr: String,
    timed_out: bool,
}

/// Run `script` in `shell` after the sandbox's prelude, in a process group of its own that is
/// killed whole if it has not finished within `limit` (a blocked prompt must fail the test, not
/// hang it). Output goes to files, so a flood cannot block the shell on a full pipe.
fn run_with_deadline(sb: &Sandbox, shell: &str, script: &str, limit: Duration) -> ShellRun {
    let full = format!("{}\n{script}\n", sb.prelude(shell));
    let out_path = sb.root.join(format!("out.{shell}"));
    let err_path = sb.root.join(format!("err.{shell}"));
    let mut cmd = sb.shell_command(shell, &["-c", &full]);
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .process_group(0);
    let mut child = cmd.spawn().expect("start shell");
    let started = Instant::now();
    let mut timed_out = false;
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            timed_out = true;
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Whatever the shell started goes with it (a reader blocked on a FIFO, say).
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).output();
    let read = |path: &Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    };
    ShellRun { stdout: read(&out_path), stderr: read(&err_path), timed_out }
}

// ---- `.aws-profile`: opened once, checked after open, read up to a cap --------------------

#[test]
fn hostile_profile_files_leak_no_environment_block_no_prompt_and_stay_small() {
    let sb = Sandbox::switcher();
    let canary = "canary-5e3cr3t-7f1d0c";
    symlink("/proc/self/environ", sb.dir("environ").join(".aws-profile")).unwrap();
    symlink("/proc/self/pagemap", sb.dir("pagemap").join(".aws-profile")).unwrap();
    let fifo = sb.dir("fifo").join(".aws-profile");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success(), "mkfifo");
    std::fs::write(sb.dir("large").join(".aws-profile"), "dev\n".repeat(2000)).unwrap();
    // An environment of its own under 4 KiB, so a cap alone would not hide it.
    let script = format!(
        "ulimit -v 1000000
setvar MY_SECRET {canary}
cd '{root}'
prompt
cd environ
prompt
cd ../pagemap
prompt
cd ../fifo
prompt
cd ../large
prompt
cd ..
prompt
cd large
prompt
show AWS_PROFILE
echo the prompt came back",
        root = sb.root.display()
    );
    for shell in shells() {
        let run = run_with_deadline(&sb, shell, &script, Duration::from_secs(90));
        let (out, err) = (&run.stdout, &run.stderr);
        assert!(!run.timed_out, "{shell}: a prompt blocked:\n{out}\n{err}");
        assert_eq!(lines(out), ["AWS_PROFILE unset", "the prompt came back"], "{shell}: {err}");
        assert!(
            !out.contains(canary) && !err.contains(canary),
            "{shell}: the environment leaked:\n{err}"
        );
        assert!(!err.contains("memory allocation"), "{shell}: {err}");
        let root = sb.root.display();
        for (dir, why) in [
            ("environ", "is a symbolic link"),
            ("pagemap", "is a symbolic link"),
            ("fifo", "is a FIFO, not a regular file"),
            ("large", "is too large to be a profile file"),
        ] {
            let said = format!("`{root}/{dir}/.aws-profile` {why}");
            assert_eq!(err.matches(&said).count(), 1, "{shell}: `{said}` once in:\n{err}");
        }
    }
}

#[test]
fn a_symlinked_profile_file_is_not_followed_even_to_a_good_one() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let shared = sb.dir("shared");
    std::fs::write(shared.join("profile"), "dev\n").unwrap();
    let repo = sb.dir("repo");
    symlink(shared.join("profile"), repo.join(".aws-profile")).unwrap();
    let out = sb.awsctx_in(&repo, &["allow"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: error: `{}/.aws-profile` is a symbolic link; awsctx reads profile files only as regular files\n\
             hint: replace the link with a copy of the file it points to, then run `awsctx allow`\n",
            repo.display()
        )
    );
    assert!(!sb.home.join(".local/state/awsctx/trust.json").exists(), "nothing allowed");
}

// ---- caches, state and locks: O_NOFOLLOW, owner and folder checks -------------------------

#[test]
fn login_replaces_a_planted_token_symlink_instead_of_writing_through_it() {
    let sandbox = Sandbox::new();
    let victim = sandbox.path("authorized_keys");
    std::fs::write(&victim, "ssh-ed25519 AAAAC3 the-users-own-key\n").unwrap();
    let token_file = sandbox.tokens().path(&TokenKey::Session("corp".into()));
    std::fs::create_dir_all(token_file.parent().unwrap()).unwrap();
    chmod(token_file.parent().unwrap(), 0o700);
    symlink(&victim, &token_file).unwrap();

    let browser = FakeBrowser::start(sandbox.home.as_path());
    success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "login",
        "--sso-session",
        "corp",
    ]));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "ssh-ed25519 AAAAC3 the-users-own-key\n");
    let meta = std::fs::symlink_metadata(&token_file).unwrap();
    assert!(meta.file_type().is_file(), "the link was replaced by the token file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let token = SsoToken::from_json(&std::fs::read(&token_file).unwrap()).expect("a whole token");
    assert!(!token.is_expired(jiff::Timestamp::now()));
}

#[test]
fn a_planted_lock_file_symlink_is_refused_and_its_target_left_alone() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let victim = sandbox.path("important");
    std::fs::write(&victim, "do not truncate\n").unwrap();
    let locks = sandbox.path(".local/state/awsctx/locks");
    std::fs::create_dir_all(&locks).unwrap();
    chmod(&locks, 0o700);
    let lock = locks.join(format!("credentials-{}.lock", &sandbox.dev_key().file_stem()[..1]));
    symlink(&victim, &lock).unwrap();

    let out = sandbox.awsctx().args(["export", "dev", "--format", "env"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: error: cannot lock `{}`: it is a symbolic link\n\
             hint: remove it (`rm {}`); awsctx makes a new one\n",
            sandbox.shown(&lock),
            sandbox.shown(&lock)
        )
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not truncate\n");
}

/// Fresh keys for `dev` in the role-credential cache, written (as root) and then handed to
/// another user, as a local attacker would plant them.
fn plant_foreign_keys(sandbox: &Sandbox) -> PathBuf {
    sandbox.seed_credentials(
        &RoleCredentials::new(
            "ASIAATTACKERSOWN",
            Secret::new("attacker-secret"),
            Some(Secret::new("attacker-token")),
            Some(seconds_from_now(SignedDuration::from_hours(1))),
        )
        .unwrap()
        .with_account_id(Some(sandbox.account.clone())),
    );
    let path = sandbox.credential_cache().path(&sandbox.dev_key());
    chown_to_nobody(&path);
    path
}

#[test]
fn credential_process_ignores_keys_another_user_planted_and_writes_its_own() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let planted = plant_foreign_keys(&sandbox);

    let out = success(sandbox.awsctx().args(["credential-process", "--profile", "dev"]));
    assert!(!stdout(&out).contains("ASIAATTACKERSOWN"), "{}", stdout(&out));
    let issued = sandbox.mock.issued_credentials();
    assert_eq!(issued.len(), 1, "fetched anew");
    assert!(stdout(&out).contains(&issued[0].access_key_id), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: warning: ignoring `{}`: it belongs to uid {NOBODY}, not to you\n",
            sandbox.shown(&planted)
        )
    );
    assert_eq!(uid_of(&planted), 0, "replaced by a file of the user's own");
    assert!(std::fs::read_to_string(&planted).unwrap().contains(&issued[0].access_key_id));
}

#[test]
fn a_cache_folder_other_users_can_write_is_neither_trusted_nor_written() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let planted = plant_foreign_keys(&sandbox);
    let before = std::fs::read(&planted).unwrap();
    let dir = sandbox.path(".aws/cli/cache");
    chmod(&dir, 0o777);

    let out = sandbox.awsctx().args(["credential-process", "--profile", "dev"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "no keys, and never the planted ones");
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: warning: ignoring `{file}`: its folder `{dir}` can be written by other users (mode 0777)\n\
             awsctx: error: cannot write `{file}`: its folder `{dir}` can be written by other users (mode 0777)\n\
             hint: run `chmod 700 {dir}` so that only you can write it\n",
            file = sandbox.shown(&planted),
            dir = sandbox.shown(&dir)
        )
    );
    assert_eq!(std::fs::read(&planted).unwrap(), before);
}

#[test]
fn a_token_another_user_planted_counts_as_no_login() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    let token_file = sandbox.tokens().path(&TokenKey::Session("corp".into()));
    chown_to_nobody(&token_file);
    let out = awsctx_snapshot!(sandbox.cmd(&["export", "dev"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(sandbox.mock.issued_credentials().is_empty(), "the planted token was never sent");
}

#[test]
fn trust_records_another_user_planted_allow_nothing() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    let repo = sb.dir("repo");
    std::fs::write(repo.join(".aws-profile"), "dev\n").unwrap();
    assert!(sb.awsctx_in(&repo, &["allow"]).output().unwrap().status.success());
    let trust = sb.home.join(".local/state/awsctx/trust.json");
    chown_to_nobody(&trust);
    let out = sb.awsctx_in(&repo, &["status"]).output().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains(&format!(
            "awsctx: warning: ignoring `{}`: it belongs to uid {NOBODY}, not to you",
            sb.shown(&trust)
        )),
        "{text}"
    );
    assert!(text.contains("not allowed"), "the file is untrusted again: {text}");
    if shells().contains(&"bash") {
        let out = sb.shell("bash", &format!("cd '{}'\nprompt\nshow AWS_PROFILE", repo.display()));
        assert_eq!(lines(&stdout(&out)), ["AWS_PROFILE unset"], "{}", stderr(&out));
    }
}

#[test]
fn doctor_names_each_planted_file_and_open_folder_with_its_fix() {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(1));
    plant_foreign_keys(&sandbox);
    let sso = sandbox.path(".aws/sso/cache");
    symlink(sandbox.path("elsewhere"), sso.join("0123456789abcdef0123456789abcdef01234567.json"))
        .unwrap();
    let locks = sandbox.path(".local/state/awsctx/locks");
    std::fs::create_dir_all(&locks).unwrap();
    chmod(&locks, 0o757);
    let out = sandbox.awsctx().arg("doctor").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let key = sandbox.dev_key();
    let stem = key.file_stem();
    for line in [
        format!(
            "✗ file modes: `~/.aws/cli/cache/{stem}.json` belongs to uid {NOBODY}, not to you: awsctx ignores it; run `rm ~/.aws/cli/cache/{stem}.json`"
        ),
        "✗ file modes: `~/.aws/sso/cache/0123456789abcdef0123456789abcdef01234567.json` is a symbolic link: awsctx ignores it; run `rm ~/.aws/sso/cache/0123456789abcdef0123456789abcdef01234567.json`".to_owned(),
        "✗ file modes: `~/.local/state/awsctx/locks` is writable by other users (0757); run `chmod 700 ~/.local/state/awsctx/locks`".to_owned(),
    ] {
        assert!(text.contains(&format!("{line}\n")), "missing `{line}` in:\n{text}");
    }
}

// ---- the config: written only when the user could write it -------------------------------

fn populate_sandbox() -> Sandbox {
    let sandbox = Sandbox::empty(MockConfig::default());
    sandbox.write_config(&sandbox.session_section("corp"));
    sandbox.seed_session("corp");
    sandbox
}

#[test]
fn populate_refuses_a_read_only_config_and_leaves_it_as_it_was() {
    let sandbox = populate_sandbox();
    let config = sandbox.config_path();
    let before = sandbox.config_text();
    chmod(&config, 0o444);
    let out = sandbox.run(&["populate", "--sso-session", "corp"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: error: `{path}` is read-only (mode 0444); awsctx does not replace a file you cannot write\n\
             hint: run `chmod u+w {path}` to let awsctx write it\n",
            path = sandbox.shown(&config)
        )
    );
    assert_eq!(sandbox.config_text(), before);
    assert_eq!(mode_of(&config), 0o444);
    assert!(!sandbox.home.as_path().join(".aws/config.awsctx.bak").exists());
}

#[test]
fn a_read_only_config_behind_a_symlink_is_refused_and_the_link_kept() {
    let sandbox = populate_sandbox();
    let config = sandbox.config_path();
    let dotfiles = sandbox.home.as_path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("aws-config");
    std::fs::rename(&config, &real).unwrap();
    symlink(&real, &config).unwrap();
    let before = std::fs::read_to_string(&real).unwrap();
    chmod(&real, 0o444);
    let out = awsctx_snapshot!(sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&real).unwrap(), before);
    assert!(std::fs::symlink_metadata(&config).unwrap().file_type().is_symlink());

    // Writable again: written through the link, its mode kept.
    chmod(&real, 0o640);
    crate::support::assert_ok(&sandbox.run(&["populate", "--sso-session", "corp"]));
    assert!(std::fs::symlink_metadata(&config).unwrap().file_type().is_symlink());
    assert_ne!(std::fs::read_to_string(&real).unwrap(), before);
    assert_eq!(mode_of(&real), 0o640);
}
