//! `credential_process` profiles (`docs/file-formats.md`): the command split shell-like and run
//! without a shell, its JSON read by the AWS CLI's rules, and the CLI's recursion guard
//! `_AWS_CLI_PROFILE_CHAIN` passed down to it.

use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use awsctx_core::cache::{InvalidCredentials, RoleCredentials};
use awsctx_core::env::Env;
use awsctx_core::secret::Secret;
use rustix::process::{Pid, Signal};
use serde_json::{Map, Value};

use super::{KeySource, ProviderError};

/// The variable the AWS CLI keeps the profiles of nested `credential_process` calls in.
pub(super) const CHAIN_VAR: &str = "_AWS_CLI_PROFILE_CHAIN";

/// Nested `credential_process` calls allowed, as in the AWS CLI.
const MAX_DEPTH: usize = 4;

/// Longest stderr excerpt kept in an error, in characters.
const MAX_STDERR_CHARS: usize = 300;

/// Most of a process's stdout read: its JSON is a few hundred bytes.
const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// Most of its stderr kept (for the excerpt in an error); the rest is read and dropped.
const MAX_STDERR_BYTES: usize = 64 << 10;

fn chain_of(env: &Env) -> Vec<String> {
    env.get(CHAIN_VAR)
        .map(|csv| {
            csv.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
        })
        .unwrap_or_default()
}

/// The AWS CLI's `export-credentials` guard: refuse `profile` when the processes above us
/// already resolved it, or when the nesting is too deep.
pub(super) fn check_recursion(env: &Env, profile: &str) -> Result<(), ProviderError> {
    let seen = chain_of(env);
    if seen.len() >= MAX_DEPTH {
        return Err(ProviderError::ProcessDepth { max: MAX_DEPTH });
    }
    if seen.iter().any(|p| p == profile) {
        let mut cycle = seen;
        cycle.push(profile.to_owned());
        return Err(ProviderError::ProcessLoop { cycle });
    }
    Ok(())
}

/// Run `command` for `profile` (whose chain started at `requested`) and read its keys.
///
/// With a `deadline` (the shell hook's), the process runs in a process group of its own and
/// is killed, with everything it started, when the deadline passes. Without one it runs as
/// the AWS CLI runs it: in our process group (Ctrl-C reaches it, it may ask on the terminal)
/// for as long as it takes.
pub(super) fn run(
    env: &Env,
    requested: &str,
    profile: &str,
    command: &str,
    fallback_account: Option<&str>,
    deadline: Option<Instant>,
) -> Result<RoleCredentials, ProviderError> {
    let argv = shlex::split(command).filter(|argv| !argv.is_empty()).ok_or_else(|| {
        ProviderError::ProcessCommand {
            profile: profile.to_owned(),
            reason: "unbalanced quotes or an empty command".to_owned(),
        }
    })?;
    let program = argv[0].clone();
    let mut chain = chain_of(env);
    chain.push(requested.to_owned());
    let mut cmd = Command::new(&program);
    cmd.args(&argv[1..])
        .env_clear()
        .envs(env.iter())
        .env(CHAIN_VAR, chain.join(","))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if deadline.is_some() {
        cmd.process_group(0);
    }
    let child = cmd.spawn().map_err(|source| ProviderError::ProcessSpawn {
        profile: profile.to_owned(),
        program: program.clone(),
        source,
    })?;
    let (status, stdout, stdout_cut, stderr) = match collect(child, deadline) {
        Ran::Finished { status, stdout, stdout_cut, stderr } => {
            (status, stdout, stdout_cut, stderr)
        }
        Ran::TimedOut { after } => {
            return Err(ProviderError::ProcessTimeout {
                profile: profile.to_owned(),
                program,
                after,
            });
        }
        Ran::Lost(source) => {
            return Err(ProviderError::ProcessSpawn {
                profile: profile.to_owned(),
                program,
                source,
            });
        }
    };
    if !status.success() {
        let status = status
            .code()
            .map_or_else(|| "killed by a signal".to_owned(), |code| format!("exit {code}"));
        return Err(ProviderError::ProcessFailed {
            profile: profile.to_owned(),
            program,
            status,
            stderr: one_line(&String::from_utf8_lossy(&stderr)),
        });
    }
    if stdout_cut {
        return Err(ProviderError::ProcessOutput {
            profile: profile.to_owned(),
            program,
            reason: format!("the output is larger than {} KiB", MAX_OUTPUT_BYTES >> 10),
        });
    }
    parse_output(&stdout, fallback_account).map_err(|error| match error {
        OutputError::Unreadable(reason) => {
            ProviderError::ProcessOutput { profile: profile.to_owned(), program, reason }
        }
        OutputError::Refused(reason) => ProviderError::InvalidCredentials {
            profile: profile.to_owned(),
            from: KeySource::Process { program },
            reason,
        },
    })
}

/// Why the output of a `credential_process` gave no keys.
#[derive(Debug)]
pub(super) enum OutputError {
    /// Not the process JSON: what is wrong with it.
    Unreadable(String),
    /// Keys with characters AWS never issues.
    Refused(InvalidCredentials),
}

impl From<String> for OutputError {
    fn from(reason: String) -> Self {
        Self::Unreadable(reason)
    }
}

/// What a credential process left: its status and (capped) output.
#[derive(Default)]
struct Finished {
    status: Option<ExitStatus>,
    stdout: Option<Vec<u8>>,
    /// The process wrote more than [`MAX_OUTPUT_BYTES`] to stdout.
    stdout_cut: bool,
    stderr: Option<Vec<u8>>,
}

enum Ran {
    Finished {
        status: ExitStatus,
        stdout: Vec<u8>,
        stdout_cut: bool,
        stderr: Vec<u8>,
    },
    /// The deadline passed before the process exited; its process group was killed.
    TimedOut {
        after: Duration,
    },
    /// It could not be waited for.
    Lost(std::io::Error),
}

/// What the threads watching a child report.
enum Event {
    Exited(std::io::Result<ExitStatus>),
    Stdout(Vec<u8>, bool),
    Stderr(Vec<u8>),
}

/// How long to wait for a killed process group to let go of its pipes and be reaped.
const AFTER_KILL: Duration = Duration::from_secs(1);

/// Wait for `child` to exit and close its output, reading both pipes (capped, and drained
/// to the end so the child never blocks on a full pipe), until `deadline` at the latest.
/// When the child exited in time but something it started still holds a pipe at the
/// deadline, that is killed and the child's own result stands.
fn collect(mut child: Child, deadline: Option<Instant>) -> Ran {
    let started = Instant::now();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let (bytes, cut) = read_capped(stdout, MAX_OUTPUT_BYTES);
            let _ = tx.send(Event::Stdout(bytes, cut));
        });
    }
    if let Some(stderr) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let (bytes, _) = read_capped(stderr, MAX_STDERR_BYTES);
            let _ = tx.send(Event::Stderr(bytes));
        });
    }
    std::thread::spawn(move || {
        let _ = tx.send(Event::Exited(child.wait()));
    });
    let mut got = Finished::default();
    let mut killed_after = None;
    while got.status.is_none() || got.stdout.is_none() || got.stderr.is_none() {
        let event = match (deadline, killed_after) {
            (None, _) => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            (Some(deadline), None) => {
                rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            }
            (Some(_), Some(_)) => rx.recv_timeout(AFTER_KILL),
        };
        match event {
            Ok(Event::Exited(Ok(status))) if killed_after.is_none() => got.status = Some(status),
            Ok(Event::Exited(Err(error))) => return Ran::Lost(error),
            Ok(Event::Stdout(bytes, cut)) => (got.stdout, got.stdout_cut) = (Some(bytes), cut),
            Ok(Event::Stderr(bytes)) => got.stderr = Some(bytes),
            Err(RecvTimeoutError::Timeout) if killed_after.is_none() => {
                kill_group(pid);
                killed_after = Some(started.elapsed());
            }
            // Killed by us (whatever it printed is not an answer), or killed and still not
            // letting go: nothing more is coming.
            Ok(Event::Exited(Ok(_))) | Err(_) => break,
        }
    }
    match (got.status, killed_after) {
        (Some(status), _) => Ran::Finished {
            status,
            stdout: got.stdout.unwrap_or_default(),
            stdout_cut: got.stdout_cut,
            stderr: got.stderr.unwrap_or_default(),
        },
        (None, after) => Ran::TimedOut { after: after.unwrap_or_else(|| started.elapsed()) },
    }
}

/// SIGKILL to the process group led by `pid`: the process and everything it started.
fn kill_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, Signal::KILL);
    }
}

/// Up to `max` bytes of `pipe`, then the rest read and dropped; whether anything was dropped.
fn read_capped(pipe: impl Read, max: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut pipe = pipe;
    let limit = u64::try_from(max).unwrap_or(u64::MAX);
    let _ = (&mut pipe).take(limit).read_to_end(&mut kept);
    let dropped = std::io::copy(&mut pipe, &mut std::io::sink()).unwrap_or(0);
    (kept, dropped > 0)
}

/// Read the process JSON: `Version` 1, `AccessKeyId`, `SecretAccessKey`, optional
/// `SessionToken`, `Expiration` and `AccountId` (else the profile's `aws_account_id`).
pub(super) fn parse_output(
    stdout: &[u8],
    fallback_account: Option<&str>,
) -> Result<RoleCredentials, OutputError> {
    let map: Map<String, Value> = match serde_json::from_slice(stdout) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err("the output is not a JSON object".to_owned().into()),
        Err(e) => return Err(format!("the output is not JSON ({e})").into()),
    };
    match map.get("Version").and_then(Value::as_i64) {
        Some(1) => {}
        Some(other) => return Err(format!("unsupported `Version` {other} (expected 1)").into()),
        None => return Err("`Version` is missing (expected 1)".to_owned().into()),
    }
    let text = |name: &str| map.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let required = |name: &str| text(name).ok_or_else(|| format!("`{name}` is missing"));
    let expiration = match text("Expiration") {
        None => None,
        Some(raw) => Some(
            awsctx_core::time::parse_lenient(raw)
                .ok_or_else(|| "`Expiration` is not an ISO 8601 time".to_owned())?,
        ),
    };
    let keys = RoleCredentials::new(
        required("AccessKeyId")?,
        Secret::new(required("SecretAccessKey")?),
        text("SessionToken").map(Secret::new),
        expiration,
    )
    .map_err(OutputError::Refused)?;
    Ok(keys.with_account_id(text("AccountId").or(fallback_account).map(str::to_owned)))
}

fn one_line(text: &str) -> String {
    // Its stderr may echo anything (a server's answer): nothing of it reaches a terminal raw.
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if awsctx_core::text::is_unsafe(c) { ' ' } else { c })
        .collect();
    if flat.chars().count() > MAX_STDERR_CHARS {
        let cut: String = flat.chars().take(MAX_STDERR_CHARS).collect();
        format!("{cut}…")
    } else if flat.is_empty() {
        "no error output".to_owned()
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_json_is_read_by_the_cli_rules() {
        let creds = parse_output(
            br#"{"Version": 1, "AccessKeyId": "AKIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2030-01-01T00:00:00+00:00", "AccountId": "123456789012"}"#,
            None,
        )
        .unwrap();
        assert_eq!(creds.access_key_id(), "AKIA1");
        assert_eq!(creds.session_token().unwrap().expose(), "t");
        assert_eq!(creds.expiration().unwrap().to_string(), "2030-01-01T00:00:00Z");
        assert_eq!(creds.account_id(), Some("123456789012"));
        let creds =
            parse_output(br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s"}"#, Some("9"))
                .unwrap();
        assert_eq!((creds.expiration(), creds.account_id()), (None, Some("9")));
    }

    #[test]
    fn bad_process_json_says_what_is_wrong() {
        for (out, expected) in [
            (&b"nope"[..], "not JSON"),
            (b"[]", "not a JSON object"),
            (br#"{"AccessKeyId":"A","SecretAccessKey":"s"}"#, "`Version` is missing"),
            (br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"}"#, "`Version` 2"),
            (br#"{"Version":1,"SecretAccessKey":"s"}"#, "`AccessKeyId` is missing"),
            (br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"x"}"#, "ISO"),
        ] {
            let Err(OutputError::Unreadable(err)) = parse_output(out, None) else {
                panic!("{expected}: not refused as unreadable");
            };
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn keys_with_shell_syntax_are_refused() {
        for (out, refused) in [
            (
                &br#"{"Version":1,"AccessKeyId":"A;id","SecretAccessKey":"s"}"#[..],
                InvalidCredentials::AccessKeyId,
            ),
            (
                br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"x;touch /tmp/pwned"}"#,
                InvalidCredentials::SecretAccessKey,
            ),
            (
                br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"$(id)"}"#,
                InvalidCredentials::SessionToken,
            ),
        ] {
            let Err(OutputError::Refused(reason)) = parse_output(out, None) else {
                panic!("{refused:?}: not refused");
            };
            assert_eq!(reason, refused);
        }
    }

    #[test]
    fn recursion_guard_matches_the_cli() {
        let env = Env::from_pairs([(CHAIN_VAR, "a,b")]);
        assert!(check_recursion(&env, "c").is_ok());
        let err = check_recursion(&env, "a").unwrap_err();
        assert_eq!(
            err.to_string(),
            "credential process resolution detected an infinite loop, profile cycle: `a -> b -> a`"
        );
        let deep = Env::from_pairs([(CHAIN_VAR, "a,b,c,d")]);
        assert!(matches!(check_recursion(&deep, "e"), Err(ProviderError::ProcessDepth { max: 4 })));
    }
}
