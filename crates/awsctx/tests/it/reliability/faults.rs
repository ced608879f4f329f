//! Network faults: every fault the mock injects, on every call the product makes, ends in a
//! retry or one clear error with a hint, within a bound, with no panic and no secret.

use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use awsctx_core::cache::TokenKey;
use awsctx_tests::{Fault, MockConfig, Operation};
use jiff::SignedDuration;

use super::awsctx;
use super::locks::add_role_profile;
use crate::support::{Sandbox, stderr, stdout};

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
