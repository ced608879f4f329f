//! Stdout: a reader that goes away ends awsctx quietly with 0 (`awsctx list | head -1`); any
//! other write failure is an error.

use std::fmt::Write as _;
use std::process::Stdio;

use super::awsctx;
use crate::support::{Sandbox, stderr};

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
        awsctx_snapshot!(format!("full_disk_{}", args.join("_")), output = &out, home = &sb.home);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}
