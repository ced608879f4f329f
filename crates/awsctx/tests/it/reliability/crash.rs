//! Crash safety: writers killed with SIGKILL at random points never leave (or show a reader)
//! a torn config, backup, SSO token or role-credential file.

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
use awsctx_tests::{Account, MockConfig, Operation};
use jiff::SignedDuration;

use super::{KILLS, awsctx};
use crate::support::{Sandbox, seconds_from_now, stderr};

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
pub(super) fn stray_temps(dir: &Path, keep: &[&str]) -> usize {
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
pub(super) fn cli_credentials(bytes: &[u8]) -> Result<RoleCredentials, String> {
    let creds = RoleCredentials::from_cache_json(bytes).ok_or("not role credentials")?;
    if creds.to_sso_cache_json().as_bytes() == bytes {
        Ok(creds)
    } else {
        Err("not in the AWS CLI's shape".into())
    }
}

pub(super) fn expired_credentials(sb: &Sandbox) -> RoleCredentials {
    RoleCredentials::new(
        "ASIAEXPIREDKEY",
        Secret::new("expired/secret"),
        Some(Secret::new("expired-session-token")),
        Some(seconds_from_now(SignedDuration::from_mins(-5))),
    )
    .unwrap()
    .with_account_id(Some(sb.account.clone()))
}

pub(super) fn credential_process(sb: &Sandbox) -> Command {
    let mut cmd = awsctx(sb);
    cmd.args(["credential-process", "--profile", "dev"]);
    cmd
}

/// `awsctx credential-process` killed at [`KILLS`] random points, each run from the state
/// `prepare` sets up (it returns the bytes of `path` then); `replaced(bytes, delay)` checks
/// `path` after each kill that changed it. What the kills did, and the runs' clock.
fn kill_credential_process(
    sb: &Sandbox,
    rng: &mut Rng,
    path: &Path,
    prepare: impl Fn() -> Vec<u8>,
    replaced: impl Fn(&[u8], Duration),
) -> (Tally, RunClock) {
    let mut tally = Tally::default();
    let mut clock = RunClock::default();
    for (i, point) in kill_points(rng, KILLS).into_iter().enumerate() {
        for _ in 0..RunClock::due(i) {
            prepare();
            clock.time(credential_process(sb));
        }
        let delay = clock.delay(point);
        let old = prepare();
        let end = run_and_kill(credential_process(sb), delay);
        let now = std::fs::read(path).expect("the file is there");
        let changed = now != old;
        if changed {
            replaced(&now, delay);
        }
        tally.count(end, changed);
    }
    (tally, clock)
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
    let (tally, clock) =
        kill_credential_process(&sb, &mut rng, &token_path, prepare, |now, delay| {
            let token = botocore_token(now).unwrap_or_else(|why| {
                panic!("after a kill at {delay:?} the token file is torn: {why}")
            });
            assert!(
                token.expires_at > seconds_from_now(SignedDuration::from_hours(1)),
                "a replaced token is the refreshed one"
            );
        });
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
    let (tally, clock) = kill_credential_process(&sb, &mut rng, &path, prepare, |now, delay| {
        let creds = cli_credentials(now).unwrap_or_else(|why| {
            panic!("after a kill at {delay:?} the credential file is torn: {why}")
        });
        assert!(sb.mock.credentials(creds.access_key_id()).is_some(), "fetched keys");
    });
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
