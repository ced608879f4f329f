//! Locks: a dead lock holder releases at once, a hung one makes waiters give up naming its
//! pid.

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awsctx_core::cache::TokenKey;
use awsctx_tests::{Fault, Operation};
use jiff::SignedDuration;

use super::awsctx;
use super::crash::credential_process;
use crate::support::{Sandbox, stderr, stdout};

/// Wait until the mock has a request of `op` in flight (received, not yet answered).
fn wait_in_flight(sb: &Sandbox, op: Operation) {
    let started = Instant::now();
    while !sb.mock.requests_for(op).iter().any(|r| r.status.is_none()) {
        assert!(started.elapsed() < Duration::from_secs(15), "no {op} request in flight");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A process stalled inside `op` (the mock answers after a minute), holding its locks.
fn stalled(sb: &Sandbox, op: Operation, mut cmd: Command) -> Child {
    sb.mock.inject(op, [Fault::Slow(Duration::from_secs(60))]);
    let child = cmd
        .env("AWSCTX_HTTP_TIMEOUT", "120")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the holder");
    wait_in_flight(sb, op);
    child
}

/// Profile `role`: a role assumed with the keys of the SSO profile `dev`.
pub(super) fn add_role_profile(sb: &Sandbox) {
    let mut config = sb.default_config();
    let _ = write!(
        config,
        "\n[profile role]\nrole_arn = arn:aws:iam::{}:role/Deploy\nsource_profile = dev\n",
        sb.account
    );
    sb.write_config(&config);
}

/// A sandbox whose config also has `role` and `dev2` (the same SSO session as `dev`, another
/// account).
fn two_profiles() -> Sandbox {
    let sb = Sandbox::new();
    add_role_profile(&sb);
    let other = sb.mock.accounts()[1].id.clone();
    let mut config = std::fs::read_to_string(sb.path(".aws/config")).unwrap();
    let _ = write!(
        config,
        "\n[profile dev2]\nsso_session = corp\nsso_account_id = {other}\nsso_role_name = {}\n",
        sb.role
    );
    sb.write_config(&config);
    sb
}

#[test]
fn a_lock_holder_killed_mid_flight_releases_at_once() {
    // The role-credential lock (held during GetRoleCredentials), the token's refresh lock
    // (held during CreateToken, with the role-credential lock too), and a role's lock (held
    // during AssumeRole).
    for (op, left, profile) in [
        (Operation::GetRoleCredentials, SignedDuration::from_hours(8), "dev"),
        (Operation::CreateToken, SignedDuration::from_mins(5), "dev"),
        (Operation::AssumeRole, SignedDuration::from_hours(8), "role"),
    ] {
        let sb = Sandbox::new();
        add_role_profile(&sb);
        sb.seed_token(left);
        let run = || {
            let mut cmd = awsctx(&sb);
            cmd.args(["credential-process", "--profile", profile]);
            cmd
        };
        let mut holder = stalled(&sb, op, run());
        holder.kill().unwrap();
        holder.wait().unwrap();
        // The default deadline (30 s) applies: the next caller must not need any of it.
        let started = Instant::now();
        let out = run().output().unwrap();
        let took = started.elapsed();
        assert!(out.status.success(), "{op}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{op}: the next caller never waited");
        assert!(took < Duration::from_secs(5), "{op}: took {took:?}");
        assert_eq!(sb.mock.count(op), 2, "{op}: the holder's call and the next caller's");
    }

    // The login lock: a login waiting for the browser, killed; the next login goes ahead.
    let sb = Sandbox::new();
    let login = || {
        let mut cmd = awsctx(&sb);
        cmd.args(["login", "--sso-session", "corp", "--use-device-code", "--no-browser"]);
        cmd
    };
    let mut holder = login().stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    while sb.mock.count(Operation::CreateToken) == 0 {
        assert!(started.elapsed() < Duration::from_secs(15), "the first login never polled");
        std::thread::sleep(Duration::from_millis(10));
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    let mut next = login().stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    // The user approves the new code in the browser as soon as it is there.
    while next.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            next.kill().unwrap();
            panic!("the next login did not finish");
        }
        sb.mock.approve_pending();
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = next.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("waiting for"), "{}", stderr(&out));
    assert_eq!(sb.mock.count(Operation::StartDeviceAuthorization), 2);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[test]
fn a_hung_lock_holder_makes_waiters_give_up_naming_its_pid() {
    let sb = two_profiles();
    sb.seed_token(SignedDuration::from_mins(5));
    // The holder refreshes the session's token (role-credential lock of `dev`, then the
    // token's lock), stalled by the network for a minute, but alive.
    let mut holder = stalled(&sb, Operation::CreateToken, credential_process(&sb));
    let pid = holder.id();
    let locks = sb.path(".local/state/awsctx/locks");
    let wait = |profile: &str| {
        let started = Instant::now();
        let out = awsctx(&sb)
            .env("AWSCTX_LOCK_TIMEOUT", "1")
            .args(["credential-process", "--profile", profile])
            .output()
            .unwrap();
        let took = started.elapsed();
        assert!((Duration::from_secs(1)..Duration::from_secs(5)).contains(&took), "{took:?}");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(stdout(&out), "");
        stderr(&out).replace(&sb.shown(&locks), "LOCKS")
    };
    let same_profile = wait("dev");
    let dev_lock = format!("credentials-{}.lock", &sb.dev_key().file_stem()[..1]);
    assert_eq!(
        same_profile,
        format!(
            "awsctx: waiting for pid {pid} (fetching the credentials of profile `dev`)\n\
             awsctx: error: `LOCKS/{dev_lock}` is locked by pid {pid} and did not come free within 1s\n\
             hint: pid {pid} is still at it: run the command again later, or stop it (`kill {pid}`)\n"
        )
    );
    let token_stem = TokenKey::Session("corp".into()).file_stem();
    let same_session = wait("dev2");
    assert_eq!(
        same_session,
        format!(
            "awsctx: waiting for pid {pid} (refreshing the token of the SSO session `corp`)\n\
             awsctx: error: `LOCKS/sso-token-{token_stem}.lock` is locked by pid {pid} and did not come free within 1s\n\
             hint: pid {pid} is still at it: run the command again later, or stop it (`kill {pid}`)\n"
        )
    );
    assert_eq!(sb.mock.count(Operation::CreateToken), 1, "the waiters made no call");
    assert!(holder.try_wait().unwrap().is_none(), "the holder is still alive");
    holder.kill().unwrap();
    holder.wait().unwrap();

    // A role's lock, held by a process stalled in AssumeRole.
    let mut cmd = awsctx(&sb);
    cmd.args(["credential-process", "--profile", "role"]);
    let mut holder = stalled(&sb, Operation::AssumeRole, cmd);
    let pid = holder.id();
    let role_lock = std::fs::read_dir(&locks)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("assume-role-"))
        .expect("the role's lock file");
    assert_eq!(
        wait("role"),
        format!(
            "awsctx: waiting for pid {pid} (assuming the role of profile `role`)\n\
             awsctx: error: `LOCKS/{role_lock}` is locked by pid {pid} and did not come free within 1s\n\
             hint: pid {pid} is still at it: run the command again later, or stop it (`kill {pid}`)\n"
        )
    );
    assert_eq!(sb.mock.count(Operation::AssumeRole), 1, "the waiter made no call");
    holder.kill().unwrap();
    holder.wait().unwrap();
}

/// `locks/` stays bounded: role credentials fetched for many profiles share a fixed set of
/// lock files (16 per kind), not one file per profile forever.
#[test]
fn the_lock_folder_stays_bounded_however_many_profiles_fetch_keys() {
    let sb = Sandbox::new();
    sb.seed_token(SignedDuration::from_hours(8));
    let mut config = sb.default_config();
    for i in 0..40 {
        let _ = write!(
            config,
            "\n[profile role-{i}]\nrole_arn = arn:aws:iam::{}:role/Deploy{i}\nsource_profile = dev\n",
            sb.account
        );
    }
    sb.write_config(&config);
    for i in 0..40 {
        let out = credential_process_of(&sb, &format!("role-{i}"));
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(sb.mock.count(Operation::AssumeRole), 40);
    let locks: Vec<String> = std::fs::read_dir(sb.path(".local/state/awsctx/locks"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let roles: Vec<&String> =
        locks.iter().filter(|name| name.starts_with("assume-role-")).collect();
    assert!(roles.len() <= 16, "{locks:?}");
    assert!(roles.iter().all(|name| name.len() == "assume-role-0.lock".len()), "{locks:?}");
    // `dev`'s own: the one role-credential lock.
    assert_eq!(locks.len() - roles.len(), 1, "{locks:?}");
}

fn credential_process_of(sb: &Sandbox, profile: &str) -> std::process::Output {
    awsctx(sb).args(["credential-process", "--profile", profile]).output().unwrap()
}
