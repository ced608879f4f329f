//! Memory, output and time bounded by the input (threat model rule 5): hostile sizes in the
//! config and in the portal's answers end in a one-line error or a bounded output, never in an
//! abort or a machine out of memory. Each command runs under an address-space limit, so a
//! regression fails the test rather than the machine.

use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Output, Stdio};

use awsctx_tests::{Fault, MockConfig, Operation};

use crate::support::{MARKER, Sandbox, assert_ok, shells, stderr, stdout, wait_until_gone};

/// Address space a command may use. Calibrated: every case below passes with 128 MiB (a
/// plain `populate` with tokio, reqwest, rustls and mimalloc's reservations needs less than
/// 96 MiB; the portal's 32 MiB of accounts are kept); before their fixes they needed gigabytes.
const ADDRESS_SPACE: u64 = 256 << 20;

/// Largest file a command may write (its stdout goes to a file): output that grew with input
/// × profiles fails here rather than filling the disk.
const FILE_SIZE: u64 = 64 << 20;

/// `cmd` under [`ADDRESS_SPACE`] and [`FILE_SIZE`], stdout in a temp file: its output.
fn run_limited(cmd: &mut Command) -> Output {
    #[allow(unsafe_code)] // `pre_exec` is unsafe; `setrlimit` is async-signal-safe
    // SAFETY: the closure only calls `setrlimit`, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            for (resource, limit) in
                [(libc::RLIMIT_AS, ADDRESS_SPACE), (libc::RLIMIT_FSIZE, FILE_SIZE)]
            {
                let limit = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                if libc::setrlimit(resource, &raw const limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let out = tempfile::tempfile().expect("temp file for stdout");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("run awsctx");
    let mut err = Vec::new();
    std::io::Read::read_to_end(child.stderr.as_mut().expect("stderr"), &mut err).expect("stderr");
    let status = child.wait().expect("wait");
    let mut out = out;
    std::io::Seek::rewind(&mut out).expect("rewind");
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(&mut out, &mut stdout).expect("read stdout");
    Output { status, stdout, stderr: err }
}

/// Exit 1 with `awsctx: error: …` containing each of `needles`, and one `hint:` line.
#[track_caller]
fn assert_one_line_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{:?}\n{err}", out.status);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "one error line and its hint:\n{err}");
    assert!(lines[0].starts_with("awsctx: error: "), "{err}");
    assert!(lines[1].starts_with("hint: "), "{err}");
    for needle in needles {
        assert!(lines[0].contains(needle), "`{needle}` missing in:\n{err}");
    }
}

#[test]
fn one_huge_region_among_a_thousand_profiles_keeps_list_output_linear() {
    let sandbox = Sandbox::empty(MockConfig::default());
    let huge = "r".repeat(1 << 20);
    let mut config = String::new();
    for i in 0..1000 {
        let region = if i == 0 { huge.as_str() } else { "eu-west-1" };
        let _ = write!(
            config,
            "[profile p{i}]\nregion = {region}\naws_access_key_id = AKIAEXAMPLE{i:05}\naws_secret_access_key = s\n\n"
        );
    }
    sandbox.write_config(&config);

    let out = run_limited(&mut sandbox.cmd(&["list"]));
    assert_ok(&out);
    let table = stdout(&out);
    assert_eq!(table.lines().count(), 1001, "{}", &table[..table.len().min(2000)]);
    // Every column is at most 64 characters wide, so is every line (6 columns, 2 spaces apart).
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 2 + 6 * (64 + 2), "a line of {widest} characters");
    let first = table.lines().nth(1).expect("row of p0");
    assert!(first.contains(&format!("{}…", "r".repeat(63))), "{first}");
    assert!(table.len() < config.len() / 4, "{} bytes of table", table.len());

    // `--json` carries the whole value, once.
    let out = run_limited(&mut sandbox.cmd(&["list", "--json"]));
    assert_ok(&out);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(rows[0]["region"].as_str(), Some(huge.as_str()));
    assert!(out.stdout.len() < 4 * config.len(), "{} bytes of JSON", out.stdout.len());
}

#[test]
fn a_config_past_the_size_cap_is_a_one_line_error_naming_the_file() {
    let sandbox = Sandbox::empty(MockConfig::default());
    // Sparse: 40 MiB that cost no disk, refused before a byte is read.
    let file = std::fs::File::create(sandbox.config_path()).expect("config");
    file.set_len(40 << 20).expect("grow config");
    let out = run_limited(&mut sandbox.cmd(&["list"]));
    assert_one_line_error(&out, &[&sandbox.shown(&sandbox.config_path()), "32 MiB"]);
    assert_eq!(out.stdout, b"");

    // A file whose size says nothing: read up to the cap, then refused.
    for args in [&["list"][..], &["export", "dev"]] {
        let out = run_limited(sandbox.cmd(args).env("AWS_CONFIG_FILE", "/dev/zero"));
        assert_one_line_error(&out, &["`/dev/zero` is larger than 32 MiB"]);
    }
    sandbox.write_config("");
    let out = run_limited(sandbox.cmd(&["list"]).env("AWS_SHARED_CREDENTIALS_FILE", "/dev/zero"));
    assert_one_line_error(&out, &["`/dev/zero` is larger than 32 MiB"]);
}

#[test]
fn populate_refuses_a_config_past_the_size_cap_and_leaves_it_alone() {
    let sandbox = Sandbox::corp(MockConfig::default());
    let mut text = sandbox.session_section("corp");
    text.push_str("# ");
    text.push_str(&"x".repeat(33 << 20));
    text.push('\n');
    sandbox.write_config(&text);
    let out = run_limited(&mut sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_one_line_error(&out, &["larger than 32 MiB"]);
    assert_eq!(sandbox.config_text().len(), text.len(), "nothing written");
}

#[test]
fn a_portal_that_never_stops_listing_accounts_ends_populate_with_one_line() {
    // Pages of a megabyte (the most one answer may be) of ~1 000 accounts each, forever.
    let sandbox =
        Sandbox::corp(MockConfig::default().endless_pages(Operation::ListAccounts, 1_000_000));
    let before = sandbox.config_text();
    let out = run_limited(&mut sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_one_line_error(&out, &["ListAccounts", "more than 32 MiB of answers"]);
    assert_eq!(sandbox.mock.count(Operation::ListAccounts), 34, "stopped at the cap");
    assert_eq!(sandbox.config_text(), before, "nothing written");
}

#[test]
fn a_portal_that_never_stops_listing_roles_ends_populate_with_one_line() {
    let sandbox = Sandbox::corp(
        MockConfig::default().accounts(3).endless_pages(Operation::ListAccountRoles, 1_000_000),
    );
    let before = sandbox.config_text();
    let out = run_limited(&mut sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_one_line_error(&out, &["ListAccountRoles", "more than 10000 roles"]);
    assert!(!stderr(&out).contains("in all accounts"), "{}", stderr(&out));
    assert_eq!(sandbox.config_text(), before, "nothing written");
}

#[test]
fn roles_of_all_accounts_together_are_capped_too() {
    // 12 accounts of ~9 000 roles each: every account is within its own cap, together they
    // are past the 100 000 profiles `populate` writes.
    let sandbox =
        Sandbox::corp(MockConfig::default().accounts(12).roles_per_account(9000).page_size(10_000));
    let out = run_limited(&mut sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_one_line_error(&out, &["ListAccountRoles", "more than 100000 roles in all accounts"]);
}

#[test]
fn a_huge_answer_is_a_one_line_error_not_an_abort() {
    let sandbox = Sandbox::corp(MockConfig::default());
    for op in [Operation::ListAccounts, Operation::ListAccountRoles] {
        sandbox.mock.inject(op, [Fault::HugeBody(64 << 20)]);
        let out = run_limited(&mut sandbox.cmd(&["populate", "--sso-session", "corp"]));
        assert_one_line_error(&out, &[op.name(), "larger than 1024 KiB"]);
    }
    let out = run_limited(&mut sandbox.cmd(&["populate", "--sso-session", "corp"]));
    assert_ok(&out);
}

#[test]
fn a_ca_bundle_without_end_is_read_to_a_cap() {
    let sandbox = Sandbox::corp(MockConfig::default());
    let out = run_limited(
        sandbox.cmd(&["populate", "--sso-session", "corp"]).env("AWS_CA_BUNDLE", "/dev/zero"),
    );
    assert_one_line_error(
        &out,
        &["cannot use the CA bundle `/dev/zero`: larger than 16 MiB: not a CA bundle"],
    );
}

#[test]
fn a_hanging_credential_process_is_killed_with_its_children_at_the_prompts_deadline() {
    let sb = Sandbox::switcher();
    // A child that hangs and a grandchild that would outlive it.
    sb.add_profile("[profile slow]\ncredential_process = sh -c 'sleep 30 & sleep 30'");
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "slow"]).output().unwrap().status.success());
    // The shells side by side: each waits out the deadline.
    std::thread::scope(|scope| {
        for shell in shells() {
            let (sb, repo) = (&sb, &repo);
            scope.spawn(move || hanging_credential_process_in(sb, repo, shell));
        }
    });
}

fn hanging_credential_process_in(sb: &Sandbox, repo: &std::path::Path, shell: &str) {
    // Everything the shell starts inherits a marker of its own: what is left can be found.
    let marker = format!("{}-{shell}", sb.marker);
    let script = format!(
        "setvar {MARKER} {marker}\ncd '{}'\nprompt\nshow AWS_PROFILE\nprompt\n",
        repo.display()
    );
    let started = std::time::Instant::now();
    let out = sb.shell(shell, &script);
    let took = started.elapsed();
    let err = stderr(&out);
    // A generous bound (the deadline is 5 s): the point is "not 30 s".
    assert!(took < std::time::Duration::from_secs(15), "{shell}: the prompt took {took:?}");
    assert_eq!(stdout(&out), "AWS_PROFILE=<slow>\n", "{shell}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{shell}: the switch and one error line:\n{err}");
    assert_eq!(lines[0], "awsctx: slow · no keys", "{shell}");
    assert!(
        lines[1].starts_with(
            "awsctx: no keys for `slow`: profile `slow`: `sh` did not finish within 5 s and was stopped"
        ) && lines[1].ends_with("`awsctx slow` waits for it"),
        "{shell}: {}",
        lines[1]
    );
    // Nothing it started survives (the kernel may take a moment to reap them).
    let left = wait_until_gone(&marker, std::time::Duration::from_secs(2));
    assert!(left.is_empty(), "{shell}: left behind: {left:?}");
}
