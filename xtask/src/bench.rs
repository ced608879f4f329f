//! `cargo xtask bench [ROW...]`: every budget in `docs/architecture.md`, measured side by side with
//! its peer in one run, printed as a table of medians and ratios with a pass/fail per budget.
//!
//! Each row is a function from the shared [`Bench`] set-up to a [`Measured`]. A peer that is
//! missing (direnv, boto3) is installed when it can be (`pip` into `target/bench-venv`) or the
//! row says why it was skipped: no row is ever silently dropped.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// What the rows share: the release binaries, a scratch directory, a Python with boto3.
pub(crate) struct Bench {
    pub(crate) bin: PathBuf,
    pub(crate) mock_bin: PathBuf,
    pub(crate) scratch: PathBuf,
    python: Option<PathBuf>,
}

/// The result of one row.
pub(crate) struct Measured {
    /// What was measured on our side, e.g. "awsctx list".
    pub(crate) ours: String,
    pub(crate) ours_median: Duration,
    /// The peer and its median, when the row has one.
    pub(crate) peer: Option<(String, Duration)>,
    /// The budget in words, e.g. "≤ 20 ms and ≥ 50× faster".
    pub(crate) budget: String,
    pub(crate) pass: bool,
    /// Extra facts (counts, floors).
    pub(crate) note: String,
    /// The ratio column, when it is not the peer's median over ours.
    pub(crate) ratio: Option<String>,
}

type RowFn = fn(&Bench) -> anyhow::Result<Measured>;

/// The mock's session (`mock-sso serve` accepts this start URL).
const SESSION_CORP: &str = "[sso-session corp]\nsso_start_url = https://d-90670ca0b1.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n";

/// A profile `dev` on the mock's first account and role.
const DEV_PROFILE: &str = "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = AdministratorAccess\nregion = eu-west-1\n";

/// The rows, in the order of `docs/architecture.md`'s budgets.
const ROWS: &[(&str, RowFn)] = &[
    ("prompt", row_prompt),
    ("prompt-nu", row_prompt_nu),
    ("command", row_command),
    ("enter", row_enter),
    ("enter-nu", row_enter_nu),
    ("export", row_export),
    ("server", row_server),
    ("list", row_list),
    ("list-json", row_list_json),
    ("export-10k", row_export_10k),
    ("enter-10k", row_enter_10k),
    ("complete-10k", row_complete_10k),
    ("populate", row_populate),
    ("single-flight", row_single_flight),
];

pub(crate) fn run(selected: &[String]) -> anyhow::Result<()> {
    let dir = crate::build(true)?;
    let scratch = crate::root().join("target/bench");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let bench = Bench {
        bin: dir.join("awsctx"),
        mock_bin: dir.join("mock-sso"),
        scratch,
        python: python_with_boto3(),
    };
    println!("machine: {}", machine());
    let mut failed = Vec::new();
    let mut table = Vec::new();
    for (name, row) in ROWS {
        if !selected.is_empty() && !selected.iter().any(|s| s == name) {
            continue;
        }
        eprintln!("bench: {name} ...");
        match row(&bench) {
            Ok(m) => {
                if !m.pass {
                    failed.push((*name).to_owned());
                }
                table.push(format_row(name, &m));
            }
            Err(err) => {
                failed.push((*name).to_owned());
                table.push(format!("| {name} | skipped: {err:#} | | | | FAIL |"));
            }
        }
    }
    println!();
    println!("| row | ours (median) | peer (median) | ratio | budget | result |");
    println!("|---|---|---|---|---|---|");
    for line in &table {
        println!("{line}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("budgets missed or skipped: {}", failed.join(", "))
    }
}

fn format_row(name: &str, m: &Measured) -> String {
    let (peer, mut ratio) = match &m.peer {
        Some((peer, median)) => (
            format!("{peer}: {}", fmt_duration(*median)),
            format!("{:.1}×", median.as_secs_f64() / m.ours_median.as_secs_f64().max(1e-9)),
        ),
        None => ("—".to_owned(), "—".to_owned()),
    };
    if let Some(text) = &m.ratio {
        ratio.clone_from(text);
    }
    let note = if m.note.is_empty() { String::new() } else { format!(" ({})", m.note) };
    format!(
        "| {name} | {}: {}{note} | {peer} | {ratio} | {} | {} |",
        m.ours,
        fmt_duration(m.ours_median),
        m.budget,
        if m.pass { "pass" } else { "FAIL" }
    )
}

pub(crate) fn fmt_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1e6 {
        format!("{:.2} ms", micros / 1000.0)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// The wall time of one run of `cmd`, which must succeed (stdout dropped, stderr kept for
/// the error).
fn timed(cmd: &mut Command) -> anyhow::Result<Duration> {
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(elapsed)
}

/// The median wall time of `runs` runs of `make()`, after one warm-up run; every run must succeed.
pub(crate) fn median_of(
    runs: usize,
    mut make: impl FnMut() -> Command,
) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..=runs {
        let elapsed = timed(&mut make())?;
        if i > 0 {
            times.push(elapsed);
        }
    }
    times.sort();
    Ok(times[times.len() / 2])
}

impl Bench {
    /// A Python with boto3, or an error saying why there is none.
    pub(crate) fn python(&self) -> anyhow::Result<&Path> {
        self.python
            .as_deref()
            .context("no Python with boto3 (pip install into target/bench-venv failed)")
    }

    /// A fresh sandbox home under the scratch directory.
    pub(crate) fn home(&self, name: &str) -> anyhow::Result<PathBuf> {
        let home = self.scratch.join(name);
        std::fs::create_dir_all(home.join(".aws"))?;
        Ok(home)
    }

    /// A sandbox home whose config has the mock's session `corp` and then `profiles`, logged in
    /// with the device code (`mock-sso serve --auto-approve`).
    pub(crate) fn logged_in_home(
        &self,
        name: &str,
        mock: &MockProcess,
        profiles: &str,
    ) -> anyhow::Result<PathBuf> {
        let home = self.home(name)?;
        std::fs::write(home.join(".aws/config"), format!("{SESSION_CORP}\n{profiles}"))?;
        let login = self
            .awsctx(&home)
            .envs(mock.endpoint_env())
            .args(["login", "--sso-session", "corp", "--use-device-code", "--no-browser"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .context("running awsctx login")?;
        if !login.status.success() {
            bail!("awsctx login failed: {}", String::from_utf8_lossy(&login.stderr).trim());
        }
        Ok(home)
    }

    /// An `awsctx` command with a clean environment pointing at `home`.
    pub(crate) fn awsctx(&self, home: &Path) -> Command {
        let mut cmd = Command::new(&self.bin);
        sandbox_env(&mut cmd, home);
        cmd
    }

    /// Start `mock-sso serve ARGS`; it stops when the returned guard drops.
    pub(crate) fn mock(&self, args: &[&str]) -> anyhow::Result<MockProcess> {
        let mut child = Command::new(&self.mock_bin)
            .arg("serve")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting mock-sso")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("mock stdout")?).read_line(&mut line)?;
        let url = line.trim().to_owned();
        if !url.starts_with("http://") {
            let _ = child.kill();
            bail!("mock-sso printed {line:?} instead of its URL");
        }
        Ok(MockProcess { child, url })
    }
}

/// A clean environment for a sandbox home: nothing of the developer's own AWS set-up leaks in.
pub(crate) fn sandbox_env(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("AWS_CONFIG_FILE", home.join(".aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join(".aws/credentials"))
        .env("NO_COLOR", "1");
}

/// A running `mock-sso serve`.
pub(crate) struct MockProcess {
    child: Child,
    pub(crate) url: String,
}

impl MockProcess {
    /// The endpoint variables that point awsctx and botocore at this mock.
    pub(crate) fn endpoint_env(&self) -> [(&'static str, &str); 4] {
        [
            ("AWS_ENDPOINT_URL_SSO_OIDC", self.url.as_str()),
            ("AWS_ENDPOINT_URL_SSO", self.url.as_str()),
            ("AWS_ENDPOINT_URL_STS", self.url.as_str()),
            ("AWS_ENDPOINT_URL_SIGNIN", self.url.as_str()),
        ]
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$AWSCTX_PYTHON` or `target/bench-venv`, made with boto3 if needed.
fn python_with_boto3() -> Option<PathBuf> {
    let has_boto3 = |py: &Path| {
        Command::new(py)
            .args(["-c", "import boto3"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if let Some(py) = std::env::var_os("AWSCTX_PYTHON").map(PathBuf::from)
        && has_boto3(&py)
    {
        return Some(py);
    }
    let venv = crate::root().join("target/bench-venv");
    let py = venv.join("bin/python");
    if has_boto3(&py) {
        return Some(py);
    }
    eprintln!("bench: installing boto3 into target/bench-venv");
    let made = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "boto3"])
            .status()
            .is_ok_and(|s| s.success());
    (made && has_boto3(&py)).then_some(py)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown cpu".into());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!("{cores} cores, {cpu}")
}

/// The medians of several commands run in turn (a, b, a, b, ...), after one warm-up run of
/// each: a burst of load on the machine falls on all of them alike, so their ratios hold even
/// when the absolute times do not. Every run must succeed.
pub(crate) fn medians_interleaved(
    runs: usize,
    makes: &[&dyn Fn() -> Command],
) -> anyhow::Result<Vec<Duration>> {
    let mut times = vec![Vec::with_capacity(runs); makes.len()];
    for i in 0..=runs {
        for (make, times) in makes.iter().zip(&mut times) {
            let elapsed = timed(&mut make())?;
            if i > 0 {
                times.push(elapsed);
            }
        }
    }
    Ok(times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect())
}

impl Bench {
    /// The peak resident memory of one run of `cmd` (made with [`sandbox_env`]), in bytes:
    /// GNU time's `%M`.
    fn peak_rss(&self, cmd: &Command) -> anyhow::Result<u64> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            bail!("/usr/bin/time is missing (apt-get install time)");
        }
        let report = self.scratch.join("peak-rss");
        let mut timed = Command::new(time);
        timed.env_clear().envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
        if let Some(dir) = cmd.get_current_dir() {
            timed.current_dir(dir);
        }
        timed.arg("-f").arg("%M").arg("-o").arg(&report).arg(cmd.get_program());
        timed.args(cmd.get_args()).stdout(Stdio::null()).stderr(Stdio::null());
        if !timed.status().context("running /usr/bin/time")?.success() {
            bail!("{cmd:?} failed under /usr/bin/time");
        }
        let text = std::fs::read_to_string(&report)?;
        let kib: u64 = text.lines().last().unwrap_or_default().trim().parse()?;
        Ok(kib * 1024)
    }
}

fn fmt_mb(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1e6;
    format!("{mb:.1} MB")
}

/// `count` generated SSO profiles of session `corp` (`acctN-Admin`), with `middle` halfway.
fn many_profiles(count: usize, middle: &str) -> String {
    let mut text = String::new();
    for i in 0..count {
        if i == count / 2 {
            text.push_str(middle);
            text.push('\n');
        }
        let account = 100_000_000_000 + i;
        let _ = write!(
            text,
            "[profile acct{i}-Admin]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = Admin\nregion = eu-west-1\noutput = json\n\n"
        );
    }
    text
}

const SCALE: usize = 10_000;

/// Two sandbox homes that differ only in size: `big` holds [`SCALE`] profiles, `one` a single
/// one. Neither is logged in.
fn list_homes(bench: &Bench) -> anyhow::Result<(PathBuf, PathBuf)> {
    let head = "[default]\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n";
    let big = bench.home("list")?;
    std::fs::write(big.join(".aws/config"), format!("{head}{}", many_profiles(SCALE, "")))?;
    let one = bench.home("list-1")?;
    std::fs::write(one.join(".aws/config"), format!("{head}{}", many_profiles(1, "")))?;
    Ok((big, one))
}

/// botocore loading every profile of the config in `home` (its `full_config`).
fn botocore_full_config(bench: &Bench, home: &Path) -> anyhow::Result<Duration> {
    let python = bench.python()?;
    median_of(5, || {
        let mut cmd = Command::new(python);
        sandbox_env(&mut cmd, home);
        cmd.args(["-c", &format!("import botocore.session as s; c = s.Session().full_config; assert len(c['profiles']) > {SCALE}")]);
        cmd
    })
}

/// `awsctx list` on a generated 10 000-profile config vs botocore loading the same file; the
/// same list of one profile alongside, and the peak memory.
fn row_list(bench: &Bench) -> anyhow::Result<Measured> {
    list_row(bench, &["list"], Duration::from_millis(6), "≤ 6 ms, ≤ 12 MB and ≥ 90×")
}

/// `awsctx list --json` (streamed) on the same config, and what botocore takes to load it.
fn row_list_json(bench: &Bench) -> anyhow::Result<Measured> {
    list_row(bench, &["list", "--json"], Duration::from_millis(10), "≤ 10 ms and ≤ 12 MB")
}

fn list_row(
    bench: &Bench,
    args: &[&str],
    budget: Duration,
    words: &str,
) -> anyhow::Result<Measured> {
    const MAX_RSS: u64 = 12_000_000;
    let (big, one) = list_homes(bench)?;
    let list = |home: &Path| {
        let mut cmd = bench.awsctx(home);
        cmd.args(args);
        cmd
    };
    let medians = medians_interleaved(21, &[&|| list(&big), &|| list(&one)])?;
    let (ours, alone) = (medians[0], medians[1]);
    let rss = bench.peak_rss(&list(&big))?;
    let peer = botocore_full_config(bench, &big)?;
    let ratio = peer.as_secs_f64() / ours.as_secs_f64();
    // `list` is judged against botocore too; `--json` only on its own time and memory.
    let fast_enough = args.len() > 1 || ratio >= 90.0;
    Ok(Measured {
        ours: format!("awsctx {}", args.join(" ")),
        ours_median: ours,
        peer: Some(("botocore full_config".into(), peer)),
        budget: words.into(),
        pass: ours <= budget && rss <= MAX_RSS && fast_enough,
        note: format!(
            "10 000 profiles; peak RSS {}; 1 profile: {}",
            fmt_mb(rss),
            fmt_duration(alone)
        ),
        ratio: None,
    })
}

/// Two homes logged in to the mock with `dev`'s keys cached: one with only `dev`, one with
/// `dev` among [`SCALE`] profiles.
fn one_profile_homes(bench: &Bench, mock: &MockProcess, row: &str) -> anyhow::Result<[PathBuf; 2]> {
    let one = bench.logged_in_home(&format!("{row}-1"), mock, DEV_PROFILE)?;
    let big = bench.logged_in_home(row, mock, &many_profiles(SCALE, DEV_PROFILE))?;
    for home in [&one, &big] {
        let mut export = bench.awsctx(home);
        export.envs(mock.endpoint_env()).args(["export", "dev", "--format", "env"]);
        crate::output(&mut export)?;
    }
    Ok([big, one])
}

/// A one-profile command on the big config against the same command on the one-profile
/// config: at most 1.3× (and the absolute `limit`, if any).
fn one_profile_row(
    what: String,
    [big, one]: [Duration; 2],
    rss: u64,
    peer: Option<(String, Duration)>,
    limit: Option<Duration>,
) -> Measured {
    let share = big.as_secs_f64() / one.as_secs_f64();
    let budget = match limit {
        Some(limit) => format!("≤ {} and ≤ 1.3× the 1-profile run", fmt_duration(limit)),
        None => "≤ 1.3× the 1-profile run".to_owned(),
    };
    Measured {
        ours: what,
        ours_median: big,
        peer,
        budget,
        pass: share <= 1.3 && limit.is_none_or(|limit| big <= limit),
        note: format!(
            "10 000 profiles; peak RSS {}; 1 profile: {}",
            fmt_mb(rss),
            fmt_duration(one)
        ),
        ratio: Some(format!("{share:.2}× the 1-profile run")),
    }
}

/// `awsctx export dev --format env` with the keys cached, `dev` among 10 000 profiles vs alone;
/// boto3 resolving the same profile from the big config alongside.
fn row_export_10k(bench: &Bench) -> anyhow::Result<Measured> {
    let mock = bench.mock(&["--auto-approve"])?;
    let homes = one_profile_homes(bench, &mock, "export-10k")?;
    let export = |home: &Path| {
        let mut cmd = bench.awsctx(home);
        cmd.envs(mock.endpoint_env()).args(["export", "dev", "--format", "env"]);
        cmd
    };
    let medians = medians_interleaved(51, &[&|| export(&homes[0]), &|| export(&homes[1])])?;
    let rss = bench.peak_rss(&export(&homes[0]))?;
    let python = bench.python()?;
    let peer = median_of(5, || {
        let mut cmd = Command::new(python);
        sandbox_env(&mut cmd, &homes[0]);
        cmd.envs(mock.endpoint_env()).env("AWS_EC2_METADATA_DISABLED", "true").args([
            "-c",
            "import boto3; c = boto3.Session(profile_name='dev').get_credentials().get_frozen_credentials(); assert c.access_key",
        ]);
        cmd
    })?;
    Ok(one_profile_row(
        "awsctx export dev --format env (keys cached)".into(),
        [medians[0], medians[1]],
        rss,
        Some(("boto3 get_frozen_credentials, same config".into(), peer)),
        None,
    ))
}

/// `awsctx hook-env bash` on a `cd` into a directory pinned to `dev`, keys cached: among
/// 10 000 profiles vs alone. (No botocore peer: it has no such command; `enter` has direnv.)
fn row_enter_10k(bench: &Bench) -> anyhow::Result<Measured> {
    let mock = bench.mock(&["--auto-approve"])?;
    let homes = one_profile_homes(bench, &mock, "enter-10k")?;
    let mut repos = Vec::new();
    for home in &homes {
        let repo = home.join("repo");
        std::fs::create_dir_all(&repo)?;
        let mut pin = bench.awsctx(home);
        pin.envs(mock.endpoint_env()).env("PWD", &repo).current_dir(&repo).args(["pin", "dev"]);
        crate::output(&mut pin)?;
        repos.push(repo);
    }
    let hook_env = |i: usize| {
        let (home, repo) = (&homes[i], &repos[i]);
        let mut cmd = bench.awsctx(home);
        cmd.envs(mock.endpoint_env())
            .env("PWD", repo)
            .current_dir(repo)
            .env("_AWSCTX_PWD", home)
            .env("_AWSCTX_PINS", repo)
            .args(["hook-env", "bash"]);
        cmd
    };
    let medians = medians_interleaved(51, &[&|| hook_env(0), &|| hook_env(1)])?;
    let rss = bench.peak_rss(&hook_env(0))?;
    Ok(one_profile_row(
        "awsctx hook-env bash (cd into a pinned dir, keys cached)".into(),
        [medians[0], medians[1]],
        rss,
        None,
        None,
    ))
}

/// TAB after `awsctx acct12` (111 of the 10 000 names match), as the bash registration asks
/// for it, vs the same on a one-profile config.
fn row_complete_10k(bench: &Bench) -> anyhow::Result<Measured> {
    let (big, one) = list_homes(bench)?;
    let complete = |home: &Path| {
        let mut cmd = bench.awsctx(home);
        cmd.env("COMPLETE", "bash")
            .env("_CLAP_COMPLETE_INDEX", "1")
            .env("_CLAP_COMPLETE_COMP_TYPE", "9")
            .env("_CLAP_COMPLETE_SPACE", "true")
            .args(["--", "awsctx", "acct12"]);
        cmd
    };
    let candidates = crate::output(&mut complete(&big))?;
    let count = candidates.lines().filter(|l| l.starts_with("acct12")).count();
    if count != 111 {
        bail!("completion of `awsctx acct12` gave {count} names, not 111: {candidates:?}");
    }
    let medians = medians_interleaved(51, &[&|| complete(&big), &|| complete(&one)])?;
    let rss = bench.peak_rss(&complete(&big))?;
    Ok(one_profile_row(
        "completion of `awsctx acct12` (111 names)".into(),
        [medians[0], medians[1]],
        rss,
        None,
        Some(Duration::from_millis(3)),
    ))
}

/// The hook on a prompt where nothing changed, vs direnv's hook on the same prompts: both
/// timed in one bash process (`$EPOCHREALTIME`) over many calls of the prompt function, minus
/// an empty loop; the awsctx calls also counted (it must start no process).
fn row_prompt(bench: &Bench) -> anyhow::Result<Measured> {
    const OURS: u32 = 20_000;
    const THEIRS: u32 = 300;
    const REPEATS: usize = 5;
    let direnv = which("direnv").context("direnv is not installed (apt-get install direnv)")?;
    let Counted { home, dir, count, wrapper } = counted_home(bench, "prompt")?;
    // Microseconds per call: (loop of calls - empty loop) / calls.
    let script = format!(
        r#"eval "$('{bin}' hook bash)"
eval "$('{direnv}' hook bash)"
cd '{dir}'
_awsctx_hook
_AWSCTX_BIN='{wrapper}'
us() {{ local t=${{EPOCHREALTIME/./}}; echo "${{t#0}}"; }}
per() {{ local n=$1 f=$2 a b c d i; a=$(us); for ((i = 0; i < n; i++)); do :; done; b=$(us)
  c=$(us); for ((i = 0; i < n; i++)); do $f; done; d=$(us)
  echo $(( ((d - c) - (b - a)) * 1000 / n )); }}
echo "ours $(per {OURS} _awsctx_hook)"
echo "theirs $(per {THEIRS} _direnv_hook)"
"#,
        bin = bench.bin.display(),
        direnv = direnv.display(),
        dir = dir.display(),
        wrapper = wrapper.display(),
    );
    let prompts = || bash_script(&home, &dir, &script);
    let [ours, theirs] = medians_per_call(REPEATS, prompts, ["ours ", "theirs "])?;
    let spawns = std::fs::read_to_string(&count).map_or(0, |c| c.lines().count());
    Ok(idle_prompt(
        "_awsctx_hook (bash prompt, nothing changed)",
        ours,
        "_direnv_hook",
        theirs,
        spawns,
        OURS as usize * REPEATS,
    ))
}

/// The pre-command check (bash's `DEBUG` trap) before a command line where nothing is due:
/// ten thousand one-command lines evaluated with the trap and without it, in one bash
/// process, beside the prompt hook's own time per call; the awsctx calls counted (none).
fn row_command(bench: &Bench) -> anyhow::Result<Measured> {
    const LINES: u32 = 10_000;
    const REPEATS: usize = 5;
    let Counted { home, dir, count, wrapper } = counted_home(bench, "command")?;
    // Nanoseconds per command line: (lines with the trap - lines without) / lines.
    let script = format!(
        r#"eval "$('{bin}' hook bash)"
cd '{dir}'
# The first prompt: the hook looks at the directory and installs the trap.
eval "$PROMPT_COMMAND"
_AWSCTX_BIN='{wrapper}'
us() {{ local t=${{EPOCHREALTIME/./}}; echo "${{t#0}}"; }}
lines=$(printf ':\n%.0s' $(seq {LINES}))
with=$(trap -p DEBUG)
trap - DEBUG
a=$(us); eval "$lines"; b=$(us)
eval "$with"
c=$(us); eval "$lines"; d=$(us)
trap - DEBUG
e=$(us); for ((i = 0; i < {LINES}; i++)); do _awsctx_hook; done; f=$(us)
g=$(us); for ((i = 0; i < {LINES}; i++)); do :; done; h=$(us)
[[ "$with" == *_awsctx_hook* ]] || {{ echo "the hook installed no DEBUG trap: $with" >&2; exit 1; }}
echo "ours $(( ((d - c) - (b - a)) * 1000 / {LINES} ))"
echo "prompt $(( ((f - e) - (h - g)) * 1000 / {LINES} ))"
"#,
        bin = bench.bin.display(),
        dir = dir.display(),
        wrapper = wrapper.display(),
    );
    let prompts = || bash_script(&home, &dir, &script);
    let [ours, prompt] = medians_per_call(REPEATS, prompts, ["ours ", "prompt "])?;
    let spawns = std::fs::read_to_string(&count).map_or(0, |c| c.lines().count());
    Ok(Measured {
        ours: "DEBUG trap before a command line (bash, nothing due)".into(),
        ours_median: ours,
        peer: Some(("_awsctx_hook (prompt)".into(), prompt)),
        budget: "0 spawns; ≤ 5 µs per command line".into(),
        pass: spawns == 0 && ours <= Duration::from_micros(5),
        note: format!("{spawns} awsctx spawns in {} command lines", LINES as usize * REPEATS),
        ratio: None,
    })
}

/// Entering a pinned directory with the keys cached (`awsctx hook-env bash`, as the hook runs
/// it on that `cd`) vs `direnv export bash` entering a directory with an allowed `.envrc`.
fn row_enter(bench: &Bench) -> anyhow::Result<Measured> {
    let direnv = which("direnv").context("direnv is not installed (apt-get install direnv)")?;
    let mock = bench.mock(&["--auto-approve"])?;
    let home = bench.logged_in_home("enter", &mock, DEV_PROFILE)?;
    let awsctx = |dir: &Path, args: &[&str]| {
        let mut cmd = bench.awsctx(&home);
        cmd.envs(mock.endpoint_env()).env("PWD", dir).current_dir(dir).args(args);
        cmd
    };
    let repo = home.join("repo");
    let envrc_dir = home.join("envrc");
    std::fs::create_dir_all(&repo)?;
    std::fs::create_dir_all(&envrc_dir)?;
    for args in [&["export", "dev", "--format", "env"][..], &["pin", "dev"]] {
        let out = awsctx(&repo, args).stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
        if !out.status.success() {
            bail!(
                "awsctx {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    // The shell's state just before the `cd`: the hook has run in the parent directory.
    let pins = repo.display().to_string();
    let ours = median_of(51, || {
        let mut cmd = awsctx(&repo, &["hook-env", "bash"]);
        cmd.env("_AWSCTX_PWD", &home).env("_AWSCTX_PINS", &pins);
        cmd
    })?;
    std::fs::write(
        envrc_dir.join(".envrc"),
        "export AWS_PROFILE=dev\nexport AWS_REGION=eu-west-1\n",
    )?;
    let theirs = direnv_export_median(&direnv, &home, &envrc_dir, 51)?;
    let share = ours.as_secs_f64() / theirs.as_secs_f64();
    Ok(Measured {
        ours: "awsctx hook-env bash (cd into a pinned dir, keys cached)".into(),
        ours_median: ours,
        peer: Some(("direnv export bash (cd into an .envrc dir)".into(), theirs)),
        budget: "≤ 2.5 ms and ≤ 0.2× direnv".into(),
        pass: ours <= Duration::from_micros(2500) && share <= 0.2,
        note: format!("{share:.2}× direnv; spawn floor (`true`) {}", fmt_duration(spawn_floor()?)),
        ratio: None,
    })
}

/// `direnv export bash` on entering `envrc_dir` (its `.envrc` allowed first): the peer of
/// both `cd` rows.
fn direnv_export_median(
    direnv: &Path,
    home: &Path,
    envrc_dir: &Path,
    runs: usize,
) -> anyhow::Result<Duration> {
    let mut allow = Command::new(direnv);
    sandbox_env(&mut allow, home);
    allow.arg("allow").current_dir(envrc_dir);
    crate::output(&mut allow)?;
    median_of(runs, || {
        let mut cmd = Command::new(direnv);
        sandbox_env(&mut cmd, home);
        cmd.args(["export", "bash"]).env("PWD", envrc_dir).current_dir(envrc_dir);
        cmd
    })
}

/// The Nushell hook on a prompt where nothing changed: the `pre_prompt` hook as registered,
/// timed in one `nu` process (`timeit`) over many calls, minus an empty hook's, with a `changes`
/// file to read (as on any machine where something was ever pinned), its awsctx processes
/// counted. The peer is direnv's bash hook on the same prompts, as in the bash row: direnv has no Nushell
/// hook of its own.
fn row_prompt_nu(bench: &Bench) -> anyhow::Result<Measured> {
    use std::os::unix::fs::PermissionsExt;
    const OURS: u32 = 5_000;
    const THEIRS: u32 = 300;
    const REPEATS: usize = 5;
    let direnv = which("direnv").context("direnv is not installed (apt-get install direnv)")?;
    let nu = nu_or_skip()?;
    let Counted { home, dir, count, wrapper } = counted_home(bench, "prompt-nu")?;
    // A change made once.
    let state = home.join(".local/state/awsctx");
    std::fs::create_dir_all(&state)?;
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700))?;
    std::fs::write(state.join("changes"), "1765000000000000000-4242\n")?;
    std::fs::set_permissions(state.join("changes"), std::fs::Permissions::from_mode(0o600))?;
    // With its marker, as awsctx writes it: each prompt checks the marker still exists.
    std::fs::create_dir_all(state.join("changes.d"))?;
    std::fs::set_permissions(state.join("changes.d"), std::fs::Permissions::from_mode(0o700))?;
    std::fs::write(state.join("changes.d/1765000000000000000-4242"), "")?;
    let hook = counted_nu_hook(bench, &home, &wrapper)?;
    // The first prompt learns the pins (one process); the count starts after it.
    let script = format!(
        r"source '{hook}'
cd '{dir}'
_awsctx_on_prompt
'mark' | save --append '{count}'
char nl | save --append '{count}'
let hook = ($env.config.hooks.pre_prompt | first | get code)
let empty = (timeit {{ for i in 1..{OURS} {{ do --env {{|| }} }} }})
let ours = (timeit {{ for i in 1..{OURS} {{ do --env $hook }} }})
print $'ours (($ours - $empty) / {OURS} | into int)'",
        hook = hook.display(),
        dir = dir.display(),
        count = count.display(),
    );
    let prompts = || {
        let mut cmd = Command::new(&nu);
        sandbox_env(&mut cmd, &home);
        cmd.args(["--no-config-file", "-c", &script]).current_dir(&dir);
        cmd
    };
    let [ours] = medians_per_call(REPEATS, prompts, ["ours "])?;
    let theirs = direnv_hook_bash(&direnv, &home, &dir, THEIRS)?;
    // Each run's first prompt (one process, then a `mark`) is not an idle prompt.
    let counted = std::fs::read_to_string(&count).unwrap_or_default();
    let marks = counted.lines().filter(|l| *l == "mark").count();
    let spawns = (counted.lines().count() - marks).saturating_sub(marks);
    Ok(idle_prompt(
        "Nushell pre_prompt hook (nothing changed)",
        ours,
        "_direnv_hook (bash)",
        theirs,
        spawns,
        OURS as usize * REPEATS,
    ))
}

/// A home for the idle-hook rows: a `work` folder, a one-profile config, and a wrapper of the
/// binary that logs each run to `count` (the hooks must start no process).
struct Counted {
    home: PathBuf,
    dir: PathBuf,
    count: PathBuf,
    wrapper: PathBuf,
}

fn counted_home(bench: &Bench, name: &str) -> anyhow::Result<Counted> {
    let home = bench.home(name)?;
    let dir = home.join("work");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(home.join(".aws/config"), "[profile dev]\nregion = eu-west-1\n")?;
    let count = home.join("spawns");
    let wrapper = home.join("awsctx-counting");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho x >> '{}'\nexec '{}' \"$@\"\n",
            count.display(),
            bench.bin.display()
        ),
    )?;
    set_executable(&wrapper)?;
    Ok(Counted { home, dir, count, wrapper })
}

/// The medians over `repeats` runs of `make()`, each of which times its calls itself and
/// prints one line per label, `LABEL NANOSECONDS` (per call, negative read as 0).
fn medians_per_call<const N: usize>(
    repeats: usize,
    make: impl Fn() -> Command,
    labels: [&str; N],
) -> anyhow::Result<[Duration; N]> {
    let mut times: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::with_capacity(repeats));
    for _ in 0..repeats {
        let out = crate::output(&mut make())?;
        for (label, times) in labels.iter().zip(&mut times) {
            let ns = out
                .lines()
                .find_map(|l| l.strip_prefix(label)?.trim().parse::<i64>().ok())
                .with_context(|| format!("no `{label}` line in {out:?}"))?;
            times.push(Duration::from_nanos(u64::try_from(ns.max(0)).unwrap_or(0)));
        }
    }
    Ok(times.map(|mut t| {
        t.sort();
        t[t.len() / 2]
    }))
}

/// An idle-prompt row: no spawn, and at most 2% of direnv's hook on the same prompts.
fn idle_prompt(
    ours_name: &str,
    ours: Duration,
    peer_name: &str,
    theirs: Duration,
    spawns: usize,
    prompts: usize,
) -> Measured {
    let share = ours.as_secs_f64() / theirs.as_secs_f64().max(1e-12);
    Measured {
        ours: ours_name.into(),
        ours_median: ours,
        peer: Some((peer_name.into(), theirs)),
        budget: "0 spawns; ≤ 2% of direnv's".into(),
        pass: spawns == 0 && share <= 0.02,
        note: format!(
            "{:.3}% of direnv's; {spawns} awsctx spawns in {prompts} prompts",
            share * 100.0
        ),
        ratio: None,
    }
}

/// `cd` into a pinned directory with the keys cached, as Nushell's `env_change.PWD` hook does
/// it (`awsctx hook-env nu` and applying its JSON), timed in `nu`, beside bash's `hook-env
/// bash` and `direnv export bash` entering an `.envrc` directory. Nushell starts a process
/// slower than a bare `fork`+`exec` does (its own `^true` is timed in the same run): the 2.5 ms
/// budget is for awsctx's share, so it is taken over what Nushell adds to any process start.
fn row_enter_nu(bench: &Bench) -> anyhow::Result<Measured> {
    const RUNS: usize = 51;
    let direnv = which("direnv").context("direnv is not installed (apt-get install direnv)")?;
    let nu = nu_or_skip()?;
    let mock = bench.mock(&["--auto-approve"])?;
    let home = bench.logged_in_home("enter-nu", &mock, DEV_PROFILE)?;
    let repo = home.join("repo");
    std::fs::create_dir_all(&repo)?;
    for args in [&["export", "dev", "--format", "env"][..], &["pin", "dev"]] {
        let mut cmd = bench.awsctx(&home);
        cmd.envs(mock.endpoint_env()).env("PWD", &repo).current_dir(&repo).args(args);
        let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
        if !out.status.success() {
            bail!("awsctx {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        }
    }
    let hook = home.join("hook.nu");
    let mut render = bench.awsctx(&home);
    render.args(["hook", "nu"]);
    std::fs::write(&hook, crate::output(&mut render)?)?;
    // Each run starts from the state the home directory's prompt left, then enters the repo.
    let script = format!(
        r"source '{hook}'
cd '{home}'
_awsctx_on_prompt
let before = $env._AWSCTX
let times = (1..{RUNS} | each {{|| timeit {{ $env._AWSCTX = $before; cd repo; _awsctx_on_pwd }} }} | sort)
print $'ours ($times | get ({RUNS} // 2) | into int)'
let floor = (1..{RUNS} | each {{|| timeit {{ ^'{true}' }} }} | sort)
print $'floor ($floor | get ({RUNS} // 2) | into int)'
cd repo
_awsctx_on_pwd
print $'profile ($env.AWS_PROFILE)'",
        hook = hook.display(),
        home = home.display(),
        true = which("true").context("no `true` on PATH")?.display(),
    );
    let mut cmd = Command::new(&nu);
    sandbox_env(&mut cmd, &home);
    cmd.envs(mock.endpoint_env()).args(["--no-config-file", "-c", &script]).current_dir(&home);
    let out = crate::output(&mut cmd)?;
    if !out.contains("profile dev") {
        bail!("the Nushell hook did not switch to dev: {out:?}");
    }
    let value = |label: &str| -> anyhow::Result<Duration> {
        out.lines()
            .find_map(|l| l.strip_prefix(label)?.trim().parse::<u64>().ok())
            .map(Duration::from_nanos)
            .with_context(|| format!("no `{label}` line in {out:?}"))
    };
    let (ours, nu_floor) = (value("ours ")?, value("floor ")?);
    let floor = spawn_floor()?;
    let nu_extra = nu_floor.saturating_sub(floor);
    let envrc_dir = home.join("envrc");
    std::fs::create_dir_all(&envrc_dir)?;
    std::fs::write(envrc_dir.join(".envrc"), "export AWS_PROFILE=dev\n")?;
    let theirs = direnv_export_median(&direnv, &home, &envrc_dir, RUNS)?;
    let share = ours.as_secs_f64() / theirs.as_secs_f64();
    Ok(Measured {
        ours: "Nushell `cd` into a pinned dir (hook-env nu + applying it), keys cached".into(),
        ours_median: ours,
        peer: Some(("direnv export bash (cd into an .envrc dir)".into(), theirs)),
        budget: "≤ 2.5 ms over Nushell's own start-up share, and ≤ 0.2× direnv".into(),
        pass: ours.saturating_sub(nu_extra) <= Duration::from_micros(2500) && share <= 0.2,
        note: format!(
            "{share:.2}× direnv; `^true` from nu {}, spawn floor (`true`) {}: {} less Nushell's share",
            fmt_duration(nu_floor),
            fmt_duration(floor),
            fmt_duration(ours.saturating_sub(nu_extra))
        ),
        ratio: None,
    })
}

/// Nushell for the `-nu` rows, or why the row is skipped.
fn nu_or_skip() -> anyhow::Result<PathBuf> {
    let nu = crate::lint::nu_program();
    let ok = Command::new(&nu).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        bail!("Nushell is not installed (`.ci/run` installs it into target/nushell with npm)");
    }
    Ok(nu)
}

/// The Nushell hook with the binary replaced by `wrapper` (see [`counted_home`]).
fn counted_nu_hook(bench: &Bench, home: &Path, wrapper: &Path) -> anyhow::Result<PathBuf> {
    let mut render = Command::new(&bench.bin);
    render.args(["hook", "nu"]);
    let hook = crate::output(&mut render)?
        .replace(&bench.bin.display().to_string(), &wrapper.display().to_string());
    let path = home.join("hook.nu");
    std::fs::write(&path, hook)?;
    Ok(path)
}

/// direnv's bash hook per prompt in a directory without `.envrc`, as the bash row times it.
fn direnv_hook_bash(
    direnv: &Path,
    home: &Path,
    dir: &Path,
    calls: u32,
) -> anyhow::Result<Duration> {
    let script = format!(
        r#"eval "$('{direnv}' hook bash)"
cd '{dir}'
us() {{ local t=${{EPOCHREALTIME/./}}; echo "${{t#0}}"; }}
a=$(us); for ((i = 0; i < {calls}; i++)); do :; done; b=$(us)
c=$(us); for ((i = 0; i < {calls}; i++)); do _direnv_hook; done; d=$(us)
echo "theirs $(( ((d - c) - (b - a)) * 1000 / {calls} ))"
"#,
        direnv = direnv.display(),
        dir = dir.display(),
    );
    let out = crate::output(&mut bash_script(home, dir, &script))?;
    let ns = out
        .lines()
        .find_map(|l| l.strip_prefix("theirs ")?.trim().parse::<u64>().ok())
        .with_context(|| format!("no `theirs` line in {out:?}"))?;
    Ok(Duration::from_nanos(ns))
}

/// `bash -c script` in `dir` of sandbox `home`, without rc files.
fn bash_script(home: &Path, dir: &Path, script: &str) -> Command {
    let mut cmd = Command::new("bash");
    sandbox_env(&mut cmd, home);
    cmd.args(["--norc", "--noprofile", "-c", script]).current_dir(dir);
    cmd
}

/// The path of `program` on `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

fn set_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("chmod {}", path.display()))
}

/// `awsctx export P --format env` with the keys cached vs boto3 resolving the same profile's
/// keys from the same SSO token cache (botocore keeps SSO role credentials in memory only, so
/// each of its runs asks the mock's portal: that is what botocore costs).
fn row_export(bench: &Bench) -> anyhow::Result<Measured> {
    let mock = bench.mock(&["--auto-approve"])?;
    let home = bench.logged_in_home("export", &mock, DEV_PROFILE)?;
    let awsctx = |args: &[&str]| {
        let mut cmd = bench.awsctx(&home);
        cmd.envs(mock.endpoint_env()).args(args);
        cmd
    };
    // The first export fetches and caches the keys; the measured ones read the cache.
    let ours = median_of(51, || awsctx(&["export", "dev", "--format", "env"]))?;
    let python = bench.python()?;
    let peer = median_of(11, || {
        let mut cmd = Command::new(python);
        sandbox_env(&mut cmd, &home);
        cmd.envs(mock.endpoint_env()).env("AWS_EC2_METADATA_DISABLED", "true").args([
            "-c",
            "import boto3; c = boto3.Session(profile_name='dev').get_credentials().get_frozen_credentials(); assert c.access_key",
        ]);
        cmd
    })?;
    let ratio = peer.as_secs_f64() / ours.as_secs_f64();
    Ok(Measured {
        ours: "awsctx export dev --format env".into(),
        ours_median: ours,
        peer: Some(("boto3 get_frozen_credentials".into(), peer)),
        budget: "≥ 100×".into(),
        pass: ratio >= 100.0,
        note: format!(
            "keys cached; same SSO token cache; spawn floor (`true`) {}",
            fmt_duration(spawn_floor()?)
        ),
        ratio: None,
    })
}

/// A credential request to `awsctx serve` (the server of `exec --server`) with the keys
/// cached, as an SDK's container provider makes it (connect, `GET` with the token, read the
/// JSON), vs `awsctx export P --format env` from the same cache: a request, not a process.
fn row_server(bench: &Bench) -> anyhow::Result<Measured> {
    let mock = bench.mock(&["--auto-approve"])?;
    let home = bench.logged_in_home("server", &mock, DEV_PROFILE)?;
    let awsctx = |args: &[&str]| {
        let mut cmd = bench.awsctx(&home);
        cmd.envs(mock.endpoint_env()).args(args);
        cmd
    };
    let export = median_of(51, || awsctx(&["export", "dev", "--format", "env"]))?;

    let mut server = awsctx(&["serve", "dev"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting awsctx serve")?;
    let measured = (|| {
        let mut lines = BufReader::new(server.stdout.take().context("serve's stdout")?).lines();
        let mut value = |name: &str| -> anyhow::Result<String> {
            let line = lines.next().context("serve printed too little")??;
            line.strip_prefix(name)
                .and_then(|l| l.strip_prefix('='))
                .map(str::to_owned)
                .with_context(|| format!("serve printed {line:?} instead of {name}"))
        };
        let url = value("AWS_CONTAINER_CREDENTIALS_FULL_URI")?;
        let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN")?;
        let addr = url
            .strip_prefix("http://")
            .and_then(|u| u.strip_suffix('/'))
            .context("the server's URL is not http://HOST:PORT/")?
            .to_owned();
        // The first request after the export's cached the keys; the measured ones read it too.
        let mut times = Vec::with_capacity(501);
        for i in 0..=501 {
            let start = Instant::now();
            let answer = credential_request(&addr, &token)?;
            let elapsed = start.elapsed();
            if !answer.starts_with("HTTP/1.1 200") || !answer.contains("\"AccessKeyId\"") {
                bail!("the server answered {}", answer.lines().next().unwrap_or_default());
            }
            if i > 0 {
                times.push(elapsed);
            }
        }
        times.sort();
        Ok(times[times.len() / 2])
    })();
    let _ = Command::new("kill").args(["-INT", &server.id().to_string()]).status();
    let _ = server.wait();
    let ours = measured?;
    Ok(Measured {
        ours: "GET on `awsctx serve dev`".into(),
        ours_median: ours,
        peer: Some(("awsctx export dev --format env".into(), export)),
        budget: "≤ 2× export's time".into(),
        pass: ours <= export * 2,
        note: "keys cached; connect, request, whole answer".into(),
        ratio: None,
    })
}

/// One credential request as botocore's `ContainerMetadataFetcher` sends it; the whole answer.
fn credential_request(addr: &str, token: &str) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nAuthorization: {token}\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// `awsctx populate` over 1 000 accounts with the portal's list calls limited to
/// `POPULATE_RATE` per second (429 beyond): every profile written, within 1.3× the floor the
/// rate allows (the list calls needed divided by the rate).
fn row_populate(bench: &Bench) -> anyhow::Result<Measured> {
    const ACCOUNTS: usize = 1000;
    const POPULATE_RATE: usize = 100;
    // The mock's defaults: 20 per page, accounts alternate 2 and 1 roles (one page each).
    const PAGE_SIZE: usize = 20;

    let mock = bench.mock(&[
        "--accounts",
        &ACCOUNTS.to_string(),
        "--rate-limit",
        &POPULATE_RATE.to_string(),
        "--auto-approve",
    ])?;
    let home = bench.logged_in_home("populate", &mock, "")?;

    let mut cmd = bench.awsctx(&home);
    cmd.envs(mock.endpoint_env()).args(["populate", "--sso-session", "corp"]);
    let start = Instant::now();
    let out = cmd.output().context("running awsctx populate")?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        bail!("awsctx populate failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }

    let expected_profiles: usize = (0..ACCOUNTS).map(|i| 2 - i % 2).sum();
    let written = std::fs::read_to_string(home.join(".aws/config"))?.matches("[profile ").count();
    let requests = ACCOUNTS.div_ceil(PAGE_SIZE) + ACCOUNTS;
    #[allow(clippy::cast_precision_loss)]
    let floor = Duration::from_secs_f64(requests as f64 / POPULATE_RATE as f64);
    let stats = mock_stats(&mock.url)?;
    let sent = json_number(&stats, "ListAccounts")? + json_number(&stats, "ListAccountRoles")?;
    let ratio = elapsed.as_secs_f64() / floor.as_secs_f64();
    // The mock's bucket starts full: the first `POPULATE_RATE` calls cost no wait.
    #[allow(clippy::cast_precision_loss)]
    let after_burst = (requests - POPULATE_RATE) as f64 / POPULATE_RATE as f64;
    Ok(Measured {
        ours: "awsctx populate".into(),
        ours_median: elapsed,
        peer: None,
        budget: "all profiles, ≤ 1.3× the rate's floor".into(),
        pass: written == expected_profiles && ratio <= 1.3,
        note: format!(
            "1 run; {written}/{expected_profiles} profiles; {requests} list calls at {POPULATE_RATE}/s: floor {}, {ratio:.2}× it ({:.2}× the {after_burst:.2} s left after the bucket's first burst); {} throttled",
            fmt_duration(floor),
            elapsed.as_secs_f64() / after_burst,
            sent.saturating_sub(requests as u64),
        ),
        ratio: None,
    })
}

/// The mock's `GET /_mock/stats`: request counts per operation, as flat JSON.
fn mock_stats(base: &str) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://").context("the mock's URL is not http://")?;
    let mut stream =
        std::net::TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    write!(stream, "GET /_mock/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").context("no end of headers")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("/_mock/stats: {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_owned())
}

/// The number member `key` of a flat JSON object.
fn json_number(json: &str, key: &str) -> anyhow::Result<u64> {
    let needle = format!("\"{key}\":");
    let rest = json
        [json.find(&needle).with_context(|| format!("no `{key}` in {json}"))? + needle.len()..]
        .trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Ok(digits.parse()?)
}

/// 50 concurrent `awsctx credential-process` calls with the cached keys expired: exactly one
/// `GetRoleCredentials` reaches the portal (the others wait on the lock and re-read the cache).
fn row_single_flight(bench: &Bench) -> anyhow::Result<Measured> {
    const CALLERS: usize = 50;
    let mock = bench.mock(&["--auto-approve"])?;
    let home = bench.logged_in_home("single-flight", &mock, DEV_PROFILE)?;
    let awsctx = |args: &[&str]| {
        let mut cmd = bench.awsctx(&home);
        cmd.envs(mock.endpoint_env()).args(args).stdout(Stdio::null()).stderr(Stdio::piped());
        cmd
    };
    // No cached role credentials: every caller needs the portal, as when keys have expired.
    let _ = std::fs::remove_dir_all(home.join(".aws/cli/cache"));
    let before = mock_count(&mock, "GetRoleCredentials")?;
    let start = Instant::now();
    let children: Vec<Child> = (0..CALLERS)
        .map(|_| awsctx(&["credential-process", "--profile", "dev"]).spawn())
        .collect::<Result<_, _>>()?;
    for child in children {
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("credential-process failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
    }
    let elapsed = start.elapsed();
    let calls = mock_count(&mock, "GetRoleCredentials")? - before;
    Ok(Measured {
        ours: format!("{CALLERS} × awsctx credential-process, all at once"),
        ours_median: elapsed,
        peer: None,
        budget: "exactly 1 GetRoleCredentials".into(),
        pass: calls == 1,
        note: format!("{calls} GetRoleCredentials on the wire; wall time for all {CALLERS}"),
        ratio: None,
    })
}

/// A counter of the mock's `GET /_mock/stats`.
fn mock_count(mock: &MockProcess, operation: &str) -> anyhow::Result<u64> {
    use std::io::{Read, Write};
    let addr = mock.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(stream, "GET /_mock/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let key = format!("\"{operation}\":");
    body.split_once(&key)
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()))
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no `{operation}` counter in the mock's stats: {body}"))
}

/// What starting any process costs here: the floor under every one-process path.
fn spawn_floor() -> anyhow::Result<Duration> {
    median_of(51, || Command::new("true"))
}
