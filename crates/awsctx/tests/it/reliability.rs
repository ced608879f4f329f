//! The reliability suite: the real binary's writers killed with SIGKILL at random points never
//! leave (or show a reader) a torn `~/.aws/config`, backup, SSO token or role-credential file;
//! a dead lock holder releases at once and a hung one makes waiters give up naming its pid;
//! every fault the mock injects, on every call the product makes, ends in a retry or one clear
//! error with a hint, within a bound, with no panic and no secret; a failed write on a hostile
//! config changes none of its bytes.
//!
//! Kill delays are spread over the run time of an uninterrupted writer (timed again every 25
//! kills, as the load changes), and a reader polls each file while the kills go on. Set
//! `AWSCTX_TEST_SEED` to replay the kill points of a failed run (its seed is printed).

use std::fmt::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use awsctx_core::cache::{RoleCredentials, SsoToken, TokenKey};
use awsctx_core::config::{Config, ConfigDocument};
use awsctx_core::secret::Secret;
use awsctx_tests::{Account, Fault, MockConfig, Operation};
use jiff::SignedDuration;
use proptest::prelude::*;

use crate::support::{Sandbox, seconds_from_now, stderr, stdout};

/// Kills per file kind.
const KILLS: usize = 150;

/// `awsctx` in the sandbox, without the system's CA roots: the mock speaks plain HTTP, and
/// loading a few hundred roots is most of a debug build's start-up, which would only stretch
/// the runs being killed.
fn awsctx(sb: &Sandbox) -> Command {
    let mut cmd = sb.awsctx();
    cmd.env("SSL_CERT_FILE", "/dev/null");
    cmd
}

// ---------------------------------------------------------------------------------------------
// Crash safety

/// A small deterministic generator: the kill delays of a run can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn seeded(test: &str) -> Self {
        let seed = std::env::var("AWSCTX_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos());
                u64::try_from(nanos % u128::from(u64::MAX)).unwrap_or(1)
            });
        eprintln!("{test}: AWSCTX_TEST_SEED={seed}");
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let unit = (self.next() >> 11) as f64 / (1_u64 << 53) as f64;
        unit
    }
}

/// `n` kill points, as fractions of a run's length, covering `[0, 1.3)` (past the end, so
/// that runs get through the write too): one in each of `n` equal slices, at a random point of
/// its slice, in random order.
fn kill_points(rng: &mut Rng, n: usize) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)]
    let mut points: Vec<f64> = (0..n).map(|i| 1.3 * (i as f64 + rng.unit()) / n as f64).collect();
    for i in (1..points.len()).rev() {
        let j = usize::try_from(rng.next() % (i as u64 + 1)).unwrap_or(0);
        points.swap(i, j);
    }
    points
}

/// How a writer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Killed,
    Exited(i32),
}

/// Spawn `cmd` and SIGKILL it after `delay`, unless it ended first.
fn run_and_kill(mut cmd: Command, delay: Duration) -> End {
    let mut child: Child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn awsctx");
    let deadline = Instant::now() + delay;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll awsctx") {
            break status;
        }
        let now = Instant::now();
        if now >= deadline {
            // `kill` is SIGKILL on Unix.
            let _ = child.kill();
            break child.wait().expect("reap awsctx");
        }
        std::thread::sleep((deadline - now).min(Duration::from_micros(200)));
    };
    match (status.signal(), status.code()) {
        (Some(9), _) => End::Killed,
        (_, Some(code)) => End::Exited(code),
        (signal, code) => panic!("awsctx ended with signal {signal:?}, code {code:?}"),
    }
}

/// How long an uninterrupted run of the writer takes, kept current: the load of the machine
/// changes while the kills go on (other tests run beside these), so a run is timed again
/// every few kills and the kill delays follow the median of the last three.
#[derive(Debug, Default)]
struct RunClock {
    times: Vec<Duration>,
}

impl RunClock {
    /// Time one uninterrupted run of `cmd`, which must succeed.
    fn time(&mut self, mut cmd: Command) {
        let started = Instant::now();
        let out = cmd.stdin(Stdio::null()).output().expect("run awsctx");
        let took = started.elapsed();
        assert!(out.status.success(), "an uninterrupted run failed:\n{}", stderr(&out));
        self.times.push(took);
    }

    /// The delay of a kill at `point` (a fraction of a run).
    fn delay(&self, point: f64) -> Duration {
        let mut last: Vec<Duration> = self.times.iter().rev().take(3).copied().collect();
        last.sort();
        last[last.len() / 2].mul_f64(point)
    }

    /// How many runs to time before kill number `i`: four to start with (the first warms
    /// up), then one every 25 kills.
    fn due(i: usize) -> usize {
        match i {
            0 => 4,
            i if i % 25 == 0 => 1,
            _ => 0,
        }
    }
}

/// A reader polling files while the writers run and get killed: every read must pass
/// `check` (a reader of an atomically replaced file sees the old bytes or the new ones, never
/// a part). Collects the first violations.
struct Reader {
    stop: Arc<AtomicBool>,
    reads: Arc<AtomicUsize>,
    violations: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Check = Box<dyn Fn(Option<&[u8]>) -> Result<(), String> + Send>;

impl Reader {
    fn start(files: Vec<(PathBuf, Check)>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        let violations = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, reads, violations) =
                (Arc::clone(&stop), Arc::clone(&reads), Arc::clone(&violations));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for (path, check) in &files {
                        let bytes = std::fs::read(path).ok();
                        if let Err(why) = check(bytes.as_deref()) {
                            let mut seen = violations.lock().unwrap();
                            if seen.len() < 5 {
                                seen.push(format!("{}: {why}", path.display()));
                            }
                        }
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_micros(100));
                }
            })
        };
        Self { stop, reads, violations, thread: Some(thread) }
    }

    /// Stop, and fail with what the reader saw if anything was torn.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("reader thread");
        }
        let violations = self.violations.lock().unwrap();
        assert!(violations.is_empty(), "a reader saw a torn file:\n{}", violations.join("\n"));
        self.reads.load(Ordering::Relaxed)
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The files in `dir` that are neither `keep` nor one of awsctx's hidden temp files
/// `.<name>.awsctx-<pid>-<n>.tmp` (which no AWS tool reads): none may exist. Returns how many
/// temp files a kill left behind. Temp files of the caches hold secrets: they are private.
fn stray_temps(dir: &Path, keep: &[&str]) -> usize {
    use std::os::unix::fs::PermissionsExt;
    let private = dir.ends_with("cache");
    let mut temps = 0;
    for entry in std::fs::read_dir(dir).expect("list dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if keep.contains(&name.as_str()) {
            continue;
        }
        let temp = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")).and_then(|n| {
            let (real, suffix) = n.rsplit_once(".awsctx-")?;
            let (pid, count) = suffix.split_once('-')?;
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            (keep.contains(&real) && digits(pid) && digits(count)).then_some(())
        });
        assert!(temp.is_some(), "unexpected file `{name}` in {}", dir.display());
        let mode = entry.metadata().expect("stat").permissions().mode();
        assert!(!private || mode & 0o777 == 0o600, "`{name}` is not private: {mode:o}");
        temps += 1;
    }
    temps
}

/// What the kills of one file kind did, for the report and the coverage checks.
#[derive(Debug, Default)]
struct Tally {
    killed_before: usize,
    killed_after: usize,
    exited: usize,
}

impl Tally {
    fn count(&mut self, end: End, replaced: bool) {
        assert!(matches!(end, End::Killed | End::Exited(0)), "a run that was not killed failed");
        match (end, replaced) {
            (End::Exited(_), _) => self.exited += 1,
            (End::Killed, false) => self.killed_before += 1,
            (End::Killed, true) => self.killed_after += 1,
        }
    }

    /// The delays reached both sides of the write: some kills came before it, and some runs
    /// got past it.
    fn assert_covers_the_write(&self, what: &str) {
        assert!(self.killed_before > 0, "{what}: no kill landed before the write: {self:?}");
        assert!(
            self.killed_after + self.exited > 0,
            "{what}: no run got as far as the write: {self:?}"
        );
    }
}

/// A config whose hand-written part is large (a long-lived config with many comments), so
/// that writing it takes a while and kills land inside the write.
fn crash_config(sb: &Sandbox) -> String {
    let mut text = sb.default_config();
    text.push('\n');
    for i in 0..2_000 {
        let _ = writeln!(text, "# note {i}: hand-written, must survive every kill");
    }
    text.push_str("[profile mine]\nregion = eu-north-1\n");
    text
}

#[test]
fn populate_killed_at_random_points_leaves_the_config_and_its_backup_whole() {
    let mut rng = Rng::seeded("populate_killed");
    let sb = Sandbox::with(MockConfig::default().accounts(8).roles_per_account(3));
    sb.seed_token(SignedDuration::from_hours(8));
    let v0 = crash_config(&sb);
    sb.write_config(&v0);
    let all = sb.mock.accounts();
    let half: Vec<Account> = all.iter().take(4).cloned().collect();
    let config = sb.path(".aws/config");
    let backup = sb.path(".aws/config.awsctx.bak");
    let populate = || {
        let mut cmd = awsctx(&sb);
        cmd.args(["populate", "--sso-session", "corp", "--prune"]);
        cmd
    };

    // The two versions a run writes, alternating the access so that every run rewrites
    // the block.
    let mut versions = vec![v0.clone()];
    let va = {
        sb.mock.set_access(all.clone());
        crate::support::success(&mut populate());
        std::fs::read_to_string(&config).unwrap()
    };
    let vb = {
        sb.mock.set_access(half.clone());
        crate::support::success(&mut populate());
        std::fs::read_to_string(&config).unwrap()
    };
    assert!(va != vb && va.starts_with(&v0) && vb.starts_with(&v0), "two different versions");
    versions.extend([va.clone(), vb.clone()]);
    for version in &versions {
        Config::from_sources(version, "").expect("every version parses");
        assert_eq!(ConfigDocument::parse(version).text(), *version);
    }

    let known = versions.clone();
    let whole = move |required: bool| -> Check {
        let known = known.clone();
        Box::new(move |bytes| match bytes {
            None if required => Err("missing".into()),
            None => Ok(()),
            Some(bytes) if known.iter().any(|v| v.as_bytes() == bytes) => Ok(()),
            Some(bytes) => Err(format!("{} bytes, not a version", bytes.len())),
        })
    };
    let reader = Reader::start(vec![(config.clone(), whole(true)), (backup.clone(), whole(true))]);

    let mut tally = Tally::default();
    let mut clock = RunClock::default();
    let (mut current, mut backed_up) = (vb.clone(), va.clone());
    // The access that makes the next version, and that version.
    let next_of = |current: &str| {
        if current == va { (half.clone(), vb.clone()) } else { (all.clone(), va.clone()) }
    };
    for (i, point) in kill_points(&mut rng, KILLS).into_iter().enumerate() {
        for _ in 0..RunClock::due(i) {
            let (access, next) = next_of(&current);
            sb.mock.set_access(access);
            clock.time(populate());
            assert_eq!(std::fs::read_to_string(&config).unwrap(), next);
            (current, backed_up) = (next, current);
        }
        let delay = clock.delay(point);
        let (access, next) = next_of(&current);
        sb.mock.set_access(access);
        let end = run_and_kill(populate(), delay);
        let text = std::fs::read_to_string(&config).expect("the config is there, as UTF-8");
        assert!(
            text == current || text == next,
            "after a kill at {delay:?} the config is neither the previous nor the next version"
        );
        // Equal to a version parsed above; the editor reads it back byte for byte.
        assert_eq!(ConfigDocument::parse(&text).text(), text);
        // The backup is the version the last write replaced: the previous one once the
        // config is replaced; before that, the backup of the run before, or already the
        // current version (killed between the two writes).
        let saved = std::fs::read_to_string(&backup).expect("the backup is there");
        assert!(
            if text == current { saved == backed_up || saved == current } else { saved == current },
            "after a kill at {delay:?} the backup is not the version replaced last"
        );
        tally.count(end, text != current);
        (current, backed_up) = (text, saved);
    }
    let reads = reader.finish();
    let temps = stray_temps(
        &sb.path(".aws"),
        &["config", "config.awsctx.bak", ".config.awsctx.lock", "sso", "cli", "credentials"],
    );
    eprintln!(
        "populate: {tally:?}, {temps} temp files left by kills inside a write, {reads} reads, runs {:?}",
        clock.times
    );
    tally.assert_covers_the_write("populate");
    // Stray temp files are never taken for the config: the next run reads the real file.
    let (access, next) = next_of(&current);
    sb.mock.set_access(access);
    crate::support::success(&mut populate());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), next);
}

/// A token file as botocore writes it: parses, and is byte for byte what awsctx would write
/// for what it holds.
fn botocore_token(bytes: &[u8]) -> Result<SsoToken, String> {
    let token = SsoToken::from_json(bytes).ok_or("not a token")?;
    if token.to_json().as_bytes() == bytes {
        Ok(token)
    } else {
        Err("not in botocore's shape".into())
    }
}

/// A role-credential entry as the AWS CLI writes it.
fn cli_credentials(bytes: &[u8]) -> Result<RoleCredentials, String> {
    let creds = RoleCredentials::from_cache_json(bytes).ok_or("not role credentials")?;
    if creds.to_sso_cache_json().as_bytes() == bytes {
        Ok(creds)
    } else {
        Err("not in the AWS CLI's shape".into())
    }
}

fn expired_credentials(sb: &Sandbox) -> RoleCredentials {
    RoleCredentials::new(
        "ASIAEXPIREDKEY",
        Secret::new("expired/secret"),
        Some(Secret::new("expired-session-token")),
        Some(seconds_from_now(SignedDuration::from_mins(-5))),
    )
    .unwrap()
    .with_account_id(Some(sb.account.clone()))
}

fn credential_process(sb: &Sandbox) -> Command {
    let mut cmd = awsctx(sb);
    cmd.args(["credential-process", "--profile", "dev"]);
    cmd
}

#[test]
fn a_token_refresh_killed_at_random_points_leaves_the_old_token_or_a_whole_new_one() {
    let mut rng = Rng::seeded("token_refresh_killed");
    let sb = Sandbox::new();
    let token_path = sb.tokens().path(&TokenKey::Session("corp".into()));
    // Each run: a token 5 minutes from its expiry (so it is refreshed) and no role
    // credentials (so the refresh is needed).
    let prepare = || {
        let _ = std::fs::remove_file(sb.credential_cache().path(&sb.dev_key()));
        sb.seed_token(SignedDuration::from_mins(5));
        std::fs::read(&token_path).expect("seeded token")
    };
    prepare();
    let reader = Reader::start(vec![(
        token_path.clone(),
        Box::new(|bytes| botocore_token(bytes.ok_or("missing")?).map(drop)),
    )]);
    let mut tally = Tally::default();
    let mut clock = RunClock::default();
    for (i, point) in kill_points(&mut rng, KILLS).into_iter().enumerate() {
        for _ in 0..RunClock::due(i) {
            prepare();
            clock.time(credential_process(&sb));
        }
        let delay = clock.delay(point);
        let old = prepare();
        let end = run_and_kill(credential_process(&sb), delay);
        let now = std::fs::read(&token_path).expect("the token file is there");
        let replaced = now != old;
        if replaced {
            let token = botocore_token(&now).unwrap_or_else(|why| {
                panic!("after a kill at {delay:?} the token file is torn: {why}")
            });
            assert!(
                token.expires_at > seconds_from_now(SignedDuration::from_hours(1)),
                "a replaced token is the refreshed one"
            );
        }
        tally.count(end, replaced);
    }
    let reads = reader.finish();
    let temps = stray_temps(token_path.parent().unwrap(), &[&file_name(&token_path)]);
    eprintln!(
        "token refresh: {tally:?}, {temps} temp files left, {reads} reads, runs {:?}",
        clock.times
    );
    tally.assert_covers_the_write("token refresh");
    // Stray temp files are not tokens: the cache lists the one real file.
    let entries: Vec<_> = sb.tokens().entries().unwrap().map(|e| e.unwrap().path).collect();
    assert_eq!(entries, [token_path]);
}

#[test]
fn a_credential_fetch_killed_at_random_points_leaves_the_old_entry_or_a_whole_new_one() {
    let mut rng = Rng::seeded("credential_fetch_killed");
    let sb = Sandbox::new();
    sb.seed_token(SignedDuration::from_hours(8));
    let path = sb.credential_cache().path(&sb.dev_key());
    let expired = expired_credentials(&sb);
    let prepare = || {
        sb.seed_credentials(&expired);
        std::fs::read(&path).expect("seeded credentials")
    };
    prepare();
    let reader = Reader::start(vec![(
        path.clone(),
        Box::new(|bytes| cli_credentials(bytes.ok_or("missing")?).map(drop)),
    )]);
    let mut tally = Tally::default();
    let mut clock = RunClock::default();
    for (i, point) in kill_points(&mut rng, KILLS).into_iter().enumerate() {
        for _ in 0..RunClock::due(i) {
            prepare();
            clock.time(credential_process(&sb));
        }
        let delay = clock.delay(point);
        let old = prepare();
        let end = run_and_kill(credential_process(&sb), delay);
        let now = std::fs::read(&path).expect("the credential file is there");
        let replaced = now != old;
        if replaced {
            let creds = cli_credentials(&now).unwrap_or_else(|why| {
                panic!("after a kill at {delay:?} the credential file is torn: {why}")
            });
            assert!(sb.mock.credentials(creds.access_key_id()).is_some(), "fetched keys");
        }
        tally.count(end, replaced);
    }
    let reads = reader.finish();
    let temps = stray_temps(path.parent().unwrap(), &[&file_name(&path)]);
    eprintln!(
        "credentials: {tally:?}, {temps} temp files left, {reads} reads, runs {:?}",
        clock.times
    );
    tally.assert_covers_the_write("credentials");
    // The next run reads the real entry, never a temp file (which holds other keys).
    let fresh = RoleCredentials::new(
        "ASIAREALENTRY",
        expired.secret_access_key().clone(),
        expired.session_token().cloned(),
        Some(seconds_from_now(SignedDuration::from_hours(1))),
    )
    .unwrap()
    .with_account_id(expired.account_id().map(str::to_owned));
    sb.seed_credentials(&fresh);
    let before = sb.mock.count(Operation::GetRoleCredentials);
    let out = crate::support::success(&mut credential_process(&sb));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["AccessKeyId"], "ASIAREALENTRY");
    assert_eq!(sb.mock.count(Operation::GetRoleCredentials), before);
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------------------------
// Locks

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
fn add_role_profile(sb: &Sandbox) {
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
        stderr(&out).replace(&locks.display().to_string(), "LOCKS")
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

// ---------------------------------------------------------------------------------------------
// Network faults

/// Every call the product makes, with the command that makes it and the state it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `login` (device code): registration, device authorization, token polling.
    RegisterClient,
    StartDeviceAuthorization,
    LoginCreateToken,
    /// `credential-process` with an expired token that has a refresh token.
    RefreshExpiredToken,
    /// `credential-process` with a token 5 minutes from expiry: refresh failures fall back to
    /// the old token, as botocore does.
    RefreshValidToken,
    GetRoleCredentials,
    /// `populate`.
    ListAccounts,
    ListAccountRoles,
    /// `logout`: errors are ignored, as by the AWS CLI.
    Logout,
    /// `credential-process` of a role profile on the SSO profile `dev`.
    AssumeRole,
    /// `console --print`.
    GetSigninToken,
}

impl Call {
    fn operation(self) -> Operation {
        match self {
            Call::RegisterClient => Operation::RegisterClient,
            Call::StartDeviceAuthorization => Operation::StartDeviceAuthorization,
            Call::LoginCreateToken | Call::RefreshExpiredToken | Call::RefreshValidToken => {
                Operation::CreateToken
            }
            Call::GetRoleCredentials => Operation::GetRoleCredentials,
            Call::ListAccounts => Operation::ListAccounts,
            Call::ListAccountRoles => Operation::ListAccountRoles,
            Call::Logout => Operation::Logout,
            Call::AssumeRole => Operation::AssumeRole,
            Call::GetSigninToken => Operation::GetSigninToken,
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            Call::RegisterClient | Call::StartDeviceAuthorization | Call::LoginCreateToken => {
                &["login", "--sso-session", "corp", "--use-device-code", "--no-browser"]
            }
            Call::RefreshExpiredToken | Call::RefreshValidToken | Call::GetRoleCredentials => {
                &["credential-process", "--profile", "dev"]
            }
            Call::ListAccounts | Call::ListAccountRoles => &["populate", "--sso-session", "corp"],
            Call::Logout => &["logout", "--sso-session", "corp"],
            Call::AssumeRole => &["credential-process", "--profile", "role"],
            Call::GetSigninToken => &["console", "dev", "--federate", "--print"],
        }
    }

    /// A sandbox in the state the call needs. One account, so that each fault meets the
    /// same call (populate lists roles account by account).
    fn sandbox(self) -> Sandbox {
        let sb = Sandbox::with(MockConfig::default().accounts(1).auto_approve(true));
        match self {
            Call::RegisterClient | Call::StartDeviceAuthorization | Call::LoginCreateToken => {}
            Call::RefreshExpiredToken => drop(sb.seed_token(SignedDuration::from_mins(-5))),
            Call::RefreshValidToken => drop(sb.seed_token(SignedDuration::from_mins(5))),
            _ => drop(sb.seed_token(SignedDuration::from_hours(8))),
        }
        if self == Call::AssumeRole {
            add_role_profile(&sb);
        }
        sb
    }
}

/// What a case must end in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Success, after this many calls of the operation.
    Success { calls: u64 },
    /// One error line naming the call, its endpoint and this text (the AWS code, or what
    /// went wrong), then a hint; after this many calls.
    Failure { text: &'static str, calls: u64 },
    /// The session is over: the login line (`SSO session `corp` REASON`) and its hint,
    /// exactly.
    LoginRequired { reason: &'static str, calls: u64 },
}

/// The HTTP client's attempts per call (the default of `AWS_MAX_ATTEMPTS`).
const ATTEMPTS: u64 = 3;

fn retryable(fault: &Fault) -> bool {
    matches!(fault, Fault::Status(_) | Fault::Throttle | Fault::Slow(_) | Fault::DropConnection)
}

/// The outcome of `fault` injected `times` times into `call`.
fn expected(call: Call, fault: &Fault, times: u64) -> Outcome {
    let oidc = matches!(call.operation(), Operation::CreateToken)
        || matches!(call, Call::RegisterClient | Call::StartDeviceAuthorization);
    let persistent = times >= ATTEMPTS;
    let calls = if retryable(fault) { times.min(ATTEMPTS) + u64::from(!persistent) } else { 1 };
    let failure = |text| Outcome::Failure { text, calls };
    let refused = Outcome::LoginRequired {
        reason: "was refused by the SSO portal (the login expired or was revoked)",
        calls,
    };
    let expired = Outcome::LoginRequired { reason: "has expired", calls };
    match call {
        Call::Logout => return Outcome::Success { calls: 1 },
        Call::RefreshValidToken => return Outcome::Success { calls },
        _ => {}
    }
    if retryable(fault) && !persistent {
        return Outcome::Success { calls };
    }
    if call == Call::AssumeRole {
        return failure(match fault {
            Fault::Status(503) => "ServiceUnavailable",
            Fault::Status(_) => "InternalFailure",
            Fault::Throttle => "Throttling",
            Fault::Slow(_) => "timed out after 1 s (attempts: 3)",
            Fault::DropConnection => "(attempts: 3)",
            Fault::MalformedJson => "returned a malformed response (HTTP 200)",
            Fault::HugeBody(_) => "the body is larger than 1024 KiB",
            Fault::ExpiredToken => "ExpiredToken",
            Fault::RevokedToken => "InvalidClientTokenId",
            Fault::Error { .. } | Fault::Field { .. } => unreachable!("not in `network_cases`"),
        });
    }
    if call == Call::GetSigninToken {
        // The sign-in endpoint answers errors in plain text, without an AWS code.
        return failure(match fault {
            Fault::Status(500) => "failed: HTTP 500",
            Fault::Status(_) => "failed: HTTP 503",
            Fault::Throttle => "failed: HTTP 429",
            Fault::Slow(_) => "timed out after 1 s (attempts: 3)",
            Fault::DropConnection => "(attempts: 3)",
            Fault::MalformedJson => "returned a malformed response (HTTP 200)",
            Fault::HugeBody(_) => "the body is larger than 1024 KiB",
            Fault::ExpiredToken | Fault::RevokedToken => "failed: HTTP 400",
            Fault::Error { .. } | Fault::Field { .. } => unreachable!("not in `network_cases`"),
        });
    }
    match fault {
        // A refused refresh counts as a finished session, as in botocore.
        Fault::Status(_) | Fault::Throttle | Fault::ExpiredToken | Fault::RevokedToken
            if call == Call::RefreshExpiredToken =>
        {
            expired
        }
        Fault::Status(503) if !oidc => failure("ServiceUnavailableException"),
        Fault::Status(_) => failure("InternalServerException"),
        Fault::Throttle => failure("TooManyRequestsException"),
        Fault::Slow(_) => failure("timed out after 1 s (attempts: 3)"),
        Fault::DropConnection => failure("(attempts: 3)"),
        Fault::MalformedJson => failure("returned a malformed response (HTTP 200)"),
        Fault::HugeBody(_) => failure("the body is larger than 1024 KiB"),
        Fault::ExpiredToken if call == Call::LoginCreateToken => {
            failure("the pending authorization expired before it was approved")
        }
        Fault::ExpiredToken if oidc => failure("ExpiredTokenException"),
        Fault::RevokedToken if oidc => failure("InvalidGrantException"),
        Fault::ExpiredToken | Fault::RevokedToken => refused,
        Fault::Error { .. } | Fault::Field { .. } => unreachable!("not in `network_cases`"),
    }
}

/// The cases the other modules do not already cover: `export.rs` covers `GetRoleCredentials`
/// with transient 500/503, dropped connections and throttling, and persistent slowness,
/// 500s, malformed JSON and refused tokens; `populate.rs` covers throttled listing (which
/// populate retries beyond the HTTP client's attempts, so that no account is lost).
fn network_cases() -> Vec<(Call, Fault, u64)> {
    let faults = [
        Fault::Status(500),
        Fault::Status(503),
        Fault::Throttle,
        Fault::Slow(Duration::from_secs(3)),
        Fault::DropConnection,
        Fault::MalformedJson,
        Fault::HugeBody(4 << 20),
        Fault::ExpiredToken,
        Fault::RevokedToken,
    ];
    let mut cases = Vec::new();
    for call in [
        Call::RegisterClient,
        Call::StartDeviceAuthorization,
        Call::LoginCreateToken,
        Call::RefreshExpiredToken,
        Call::ListAccounts,
        Call::ListAccountRoles,
    ] {
        for fault in &faults {
            if matches!(call, Call::ListAccounts | Call::ListAccountRoles)
                && *fault == Fault::Throttle
            {
                continue;
            }
            let modes: &[u64] = if retryable(fault) { &[1, ATTEMPTS] } else { &[1] };
            cases.extend(modes.iter().map(|&n| (call, fault.clone(), n)));
        }
    }
    for fault in &faults {
        cases.push((Call::RefreshValidToken, fault.clone(), ATTEMPTS));
        cases.push((Call::Logout, fault.clone(), ATTEMPTS));
    }
    for call in [Call::AssumeRole, Call::GetSigninToken] {
        for fault in &faults {
            let modes: &[u64] = if retryable(fault) { &[1, ATTEMPTS] } else { &[1] };
            cases.extend(modes.iter().map(|&n| (call, fault.clone(), n)));
        }
    }
    cases.extend([
        (Call::GetRoleCredentials, Fault::Status(503), ATTEMPTS),
        (Call::GetRoleCredentials, Fault::Throttle, ATTEMPTS),
        (Call::GetRoleCredentials, Fault::DropConnection, ATTEMPTS),
        (Call::GetRoleCredentials, Fault::Slow(Duration::from_secs(3)), 1),
    ]);
    cases
}

/// The longest any case may take: 3 attempts of 1 s, backoff (1 s + 2 s at most) or
/// `Retry-After: 1` twice, the device-code poll, and room for a loaded CI machine.
const CASE_BOUND: Duration = Duration::from_secs(15);

/// Run one case; `Err` says what was wrong.
fn network_case(call: Call, fault: &Fault, times: u64) -> Result<(), String> {
    let sb = call.sandbox();
    let op = call.operation();
    let token_before = std::fs::read(sb.tokens().path(&TokenKey::Session("corp".into()))).ok();
    let mut secrets = sb.secrets();
    sb.mock.inject(op, std::iter::repeat_n(fault.clone(), usize::try_from(times).unwrap()));
    let started = Instant::now();
    let out = awsctx(&sb)
        .env("AWSCTX_HTTP_TIMEOUT", "1")
        .args(call.args())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let took = started.elapsed();
    let (out_text, err_text) = (stdout(&out), stderr(&out));
    let expected = expected(call, fault, times);
    let context = format!("exit {:?} after {took:?}\nstderr:\n{err_text}", out.status.code());
    let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(format!("{what}; {context}")) };

    check(took < CASE_BOUND, "took too long")?;
    check(!err_text.contains("panicked at"), "panicked")?;
    secrets.extend(sb.secrets());
    // Keys on stdout are what `credential-process` is for; nothing else may show a secret.
    let shown =
        if out.status.success() && ["credential-process", "console"].contains(&call.args()[0]) {
            err_text.clone()
        } else {
            format!("{out_text}{err_text}")
        };
    check(!secrets.iter().any(|s| shown.contains(s.as_str())), "a secret was shown")?;
    let calls = sb.mock.count(op);
    match expected {
        Outcome::Success { calls: want } => {
            check(out.status.success(), "expected success")?;
            check(calls == want, &format!("{calls} calls, expected {want}"))?;
            check(!err_text.contains("error"), "an error line on success")?;
            let token = sb.tokens().load(&TokenKey::Session("corp".into())).ok().flatten();
            match call {
                Call::Logout => check(token.is_none(), "the token survived the logout")?,
                Call::RefreshValidToken => {
                    let now = std::fs::read(sb.tokens().path(&TokenKey::Session("corp".into())));
                    check(now.ok() == token_before, "the old token was not kept")?;
                }
                Call::ListAccounts | Call::ListAccountRoles => {
                    let text = std::fs::read_to_string(sb.path(".aws/config")).unwrap();
                    check(text.contains("# BEGIN awsctx managed"), "no profiles written")?;
                }
                _ => {
                    let live = token.is_some_and(|t| !t.is_expired(jiff::Timestamp::now()));
                    check(live, "no live token after success")?;
                }
            }
            if call.args()[0] == "credential-process" {
                let json: serde_json::Value =
                    serde_json::from_str(&out_text).map_err(|e| e.to_string())?;
                let key = json["AccessKeyId"].as_str().unwrap_or_default();
                check(sb.mock.credentials(key).is_some(), "not keys the mock issued")?;
            }
        }
        Outcome::Failure { text, calls: want } => {
            check(out.status.code() == Some(1), "expected exit 1")?;
            check(out_text.is_empty(), "stdout on failure")?;
            let lines: Vec<&str> = err_text.lines().collect();
            check(lines.len() == 2, "not one error line and one hint")?;
            check(lines[0].starts_with("awsctx: error: "), "no error line")?;
            check(lines[1].starts_with("hint: "), "no hint")?;
            check(lines[0].contains(text), &format!("the error does not say `{text}`"))?;
            check(lines[0].matches(text).count() == 1, "the error says it twice")?;
            if !text.starts_with("the pending") {
                // The sign-in endpoint's operation is its `Action`, `getSigninToken`.
                let name = op.name().replace("GetSigninToken", "getSigninToken");
                let place = format!("{name} at `{}`", sb.mock.url());
                check(lines[0].contains(&place), "the error does not name the call's endpoint")?;
            }
            check(calls == want, &format!("{calls} calls, expected {want}"))?;
        }
        Outcome::LoginRequired { reason, calls: want } => {
            check(out.status.code() == Some(1), "expected exit 1")?;
            check(out_text.is_empty(), "stdout on failure")?;
            let login = format!(
                "awsctx: error: SSO session `corp` {reason}\nhint: run `awsctx login --sso-session corp`\n"
            );
            check(err_text == login, "not the login error")?;
            check(calls == want, &format!("{calls} calls, expected {want}"))?;
        }
    }
    sb.assert_caches_whole();
    Ok(())
}

#[test]
fn every_injected_fault_on_every_call_ends_in_a_retry_or_one_clear_error() {
    let cases = network_cases();
    let total = cases.len();
    let queue = Mutex::new(cases.into_iter());
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    // Most of a case is spent waiting (backoff, Retry-After, timeouts): run many at once.
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some((call, fault, times)) = next else { break };
                    if let Err(why) = network_case(call, &fault, times) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{call:?} × {times} {fault:?}: {why}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!("network faults: {total} cases in {:?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile input

/// Lines of a hostile config that still parses: values and names meant for a shell, marker
/// look-alikes, names that collide with generated ones. `CANARY` becomes the path of a file
/// that must never appear (nothing awsctx does may run what a config says).
const HOSTILE_LINES: &[&str] = &[
    "region = $(touch CANARY)",
    "credential_process = sh -c 'touch CANARY'",
    "[profile `touch CANARY`]",
    "[profile a'b\"c;d|e&&f]",
    "[profile payments-prod-AdministratorAccess]",
    "[profile é日本🙂]",
    "[default]",
    "[profile default]",
    "# BEGIN awsctx managed: sso-session other",
    "# END awsctx managed: sso-session other",
    "; a comment",
    "",
];

/// Lines that break the config or a managed block.
const BROKEN_LINES: &[&str] = &[
    "[profile broken",
    "no equals sign here",
    "# BEGIN awsctx managed: sso-session corp",
    "# END awsctx managed: sso-session corp",
    "[sso-session corp]",
    "sso_region = moon-1",
    "key\u{0}with nul = v",
];

/// A hostile config: maybe the session the mock serves first, then lines (hostile, or now
/// and then broken) with any line endings; sometimes bytes that are not UTF-8.
#[derive(Debug, Clone)]
struct HostileConfig {
    with_session: bool,
    lines: Vec<(&'static str, &'static str)>,
    not_utf8: bool,
}

impl HostileConfig {
    fn strategy() -> impl Strategy<Value = Self> {
        let line = prop_oneof![
            4 => prop::sample::select(HOSTILE_LINES),
            1 => prop::sample::select(BROKEN_LINES),
        ];
        let ending = prop::sample::select(&["\n", "\r\n", ""][..]);
        (
            prop::bool::weighted(0.8),
            prop::collection::vec((line, ending), 1..6),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(with_session, lines, not_utf8)| Self {
                with_session,
                lines,
                not_utf8,
            })
    }

    fn bytes(&self, sb: &Sandbox, canary: &Path) -> Vec<u8> {
        let mut text = String::new();
        if self.with_session {
            text.push_str(&sb.default_config());
        }
        for (line, ending) in &self.lines {
            text.push_str(&line.replace("CANARY", &canary.display().to_string()));
            // A line without an ending is one whose next line continues it.
            text.push_str(if ending.is_empty() { " " } else { ending });
        }
        let mut bytes = text.into_bytes();
        if self.not_utf8 {
            let at = bytes.len() / 2;
            bytes.splice(at..at, *b"\xff\xfe");
        }
        bytes
    }
}

/// The config without the corp block, for comparing what is outside it.
fn outside_corp_block(text: &str) -> Option<String> {
    let mut doc = ConfigDocument::parse(text);
    doc.remove_managed_block("sso-session corp").ok()?;
    Some(doc.text().trim_end_matches(['\r', '\n']).to_owned())
}

#[test]
fn a_failed_populate_or_configure_never_changes_a_byte_of_a_hostile_config() {
    let sb = Sandbox::with(MockConfig::default().accounts(2));
    sb.seed_token(SignedDuration::from_hours(8));
    let canary = sb.path("CANARY");
    let config = sb.path(".aws/config");
    let backup = sb.path(".aws/config.awsctx.bak");
    let (account, role) = (sb.account.clone(), sb.role.clone());
    let commands: [Vec<&str>; 2] = [
        vec!["populate", "--sso-session", "corp"],
        vec![
            "configure",
            "sso",
            "--sso-session",
            "corp",
            "--account-id",
            &account,
            "--role-name",
            &role,
            "--profile",
            "mine",
            "--non-interactive",
        ],
    ];
    let (failed, succeeded) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&HostileConfig::strategy(), |hostile| {
        let before = hostile.bytes(&sb, &canary);
        for args in &commands {
            std::fs::write(&config, &before).unwrap();
            let _ = std::fs::remove_file(&backup);
            let out = awsctx(&sb).args(args).stdin(Stdio::null()).output().unwrap();
            let err = stderr(&out);
            prop_assert!(!err.contains("panicked at"), "{}", err);
            prop_assert!(!canary.exists(), "a config value was run: {}", err);
            let after = std::fs::read(&config).unwrap();
            if out.status.success() {
                succeeded.set(succeeded.get() + 1);
                // Only the corp block (populate) or the named sections (configure) changed.
                let (before, after) =
                    (String::from_utf8(before.clone()).unwrap(), String::from_utf8(after).unwrap());
                Config::from_sources(&after, "").map_err(|e| TestCaseError::fail(e.to_string()))?;
                if args[0] == "populate" {
                    prop_assert_eq!(outside_corp_block(&after), outside_corp_block(&before));
                }
            } else {
                failed.set(failed.get() + 1);
                prop_assert!(matches!(out.status.code(), Some(1 | 2)), "{:?}", out.status);
                prop_assert!(err.contains("error"), "{}", err);
                prop_assert!(
                    after == before,
                    "{} changed the config: {}\n--- before\n{}\n--- after\n{}",
                    args[0],
                    err,
                    String::from_utf8_lossy(&before),
                    String::from_utf8_lossy(&after)
                );
                prop_assert!(!backup.exists(), "a backup was written");
                prop_assert_eq!(
                    stray_temps(&sb.path(".aws"), &["config", "sso", "cli", ".config.awsctx.lock"]),
                    0
                );
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (failed, succeeded) = (failed.get(), succeeded.get());
    eprintln!("hostile configs: {failed} failed runs, {succeeded} successful runs");
    assert!(failed > 0 && succeeded > 0, "the cases reach both outcomes");
}

/// How a cache file is corrupted: random bytes, or the real entry cut short.
#[derive(Debug, Clone)]
enum Corrupt {
    Bytes(Vec<u8>),
    Cut(usize),
}

impl Corrupt {
    fn strategy() -> impl Strategy<Value = Self> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64).prop_map(Corrupt::Bytes),
            (0..10_000_usize).prop_map(Corrupt::Cut),
        ]
    }

    fn apply(&self, good: &[u8]) -> Vec<u8> {
        match self {
            Corrupt::Bytes(bytes) => bytes.clone(),
            Corrupt::Cut(at) => good[..at % good.len()].to_vec(),
        }
    }
}

/// A corrupt role-credential entry counts as missing: the keys are fetched again and the
/// entry replaced whole. A corrupt token is no login: nothing is sent, nothing deleted.
#[test]
fn corrupt_cache_entries_count_as_missing_and_are_replaced_whole() {
    let sb = Sandbox::new();
    sb.seed_token(SignedDuration::from_hours(8));
    let creds_path = sb.credential_cache().path(&sb.dev_key());
    let token_path = sb.tokens().path(&TokenKey::Session("corp".into()));
    let good_token = std::fs::read(&token_path).unwrap();
    sb.seed_credentials(&expired_credentials(&sb));
    let good_creds = std::fs::read(&creds_path).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&(Corrupt::strategy(), Corrupt::strategy()), |(creds, token)| {
        // Role credentials: fetched again, written whole.
        std::fs::write(&token_path, &good_token).unwrap();
        std::fs::write(&creds_path, creds.apply(&good_creds)).unwrap();
        let calls = sb.mock.count(Operation::GetRoleCredentials);
        let out = credential_process(&sb).output().unwrap();
        prop_assert!(out.status.success(), "{}", stderr(&out));
        prop_assert_eq!(stderr(&out), "");
        prop_assert_eq!(sb.mock.count(Operation::GetRoleCredentials), calls + 1);
        let entry = cli_credentials(&std::fs::read(&creds_path).unwrap());
        prop_assert!(entry.is_ok(), "the entry was not replaced whole");
        // A corrupt token: the login is missing.
        let bytes = token.apply(&good_token);
        std::fs::write(&token_path, &bytes).unwrap();
        std::fs::remove_file(&creds_path).unwrap();
        let out = credential_process(&sb).output().unwrap();
        prop_assert_eq!(out.status.code(), Some(1));
        prop_assert_eq!(
            stderr(&out),
            "awsctx: error: SSO session `corp` is not logged in\nhint: run `awsctx login --sso-session corp`\n"
        );
        prop_assert_eq!(std::fs::read(&token_path).unwrap(), bytes, "the token file was touched");
        prop_assert_eq!(sb.mock.count(Operation::GetRoleCredentials), calls + 1);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A config of `n` static-key profiles: `list` prints far more than a pipe holds.
fn many_profiles(sb: &Sandbox, n: usize) {
    let mut config = sb.default_config();
    for i in 0..n {
        let _ = write!(
            config,
            "\n[profile team-{i:04}]\naws_access_key_id = AKIAEXAMPLE{i:04}\naws_secret_access_key = s/{i}\n"
        );
    }
    sb.write_config(&config);
}

/// The commands whose output is read by another program (`| head -1`, `$(…)`).
const PIPED: [&[&str]; 6] = [
    &["list"],
    &["list", "--json"],
    &["export", "keys"],
    &["status"],
    &["completions", "bash"],
    &["completions", "zsh"],
];

/// A reader that goes away (`awsctx list | head -1`) ends awsctx quietly with status 0, as
/// `head`'s user expects: no error, no panic, on the first line read or before any.
#[test]
fn a_reader_that_goes_away_ends_awsctx_quietly_with_status_0() {
    use std::io::{BufRead, BufReader};
    let sb = Sandbox::new();
    many_profiles(&sb, 2_000);
    // `head -1`: the first line read, then the pipe closed.
    for args in [&["list"][..], &["list", "--json"]] {
        let mut child =
            awsctx(&sb).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{args:?}");
        let out = child.wait_with_output().unwrap();
        assert_eq!((out.status.code(), stderr(&out)), (Some(0), String::new()), "{args:?}");
    }
    // A reader gone before the first byte.
    for args in PIPED {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = awsctx(&sb).args(args).stdout(writer).output().unwrap();
        assert_eq!((out.status.code(), stderr(&out)), (Some(0), String::new()), "{args:?}");
    }
}

/// Any other write failure (a full disk: `/dev/full` says ENOSPC) is an error, exit 1: the
/// output the user asked for is not there.
#[test]
fn a_failed_write_to_stdout_is_an_error() {
    let sb = Sandbox::new();
    many_profiles(&sb, 20);
    for args in PIPED {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = awsctx(&sb).args(args).stdout(full).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("awsctx: error: cannot write the output: No space left on device"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
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
