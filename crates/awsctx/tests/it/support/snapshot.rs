//! `awsctx_snapshot!`: a command's exit code, stdout and stderr as one insta snapshot, with
//! what changes from run to run (temp paths, ports, times, durations) filtered out alike for
//! every test.

use std::borrow::BorrowMut;
use std::path::Path;
use std::process::{Command, Output};

/// Run `cmd` (an `awsctx` of a sandbox, or anything run with a sandbox's environment) and
/// snapshot its exit code, stdout and stderr; gives back the output for further asserts.
/// `awsctx_snapshot!("name", cmd)` names the snapshot; else it is the test's name.
/// `awsctx_snapshot!(output = out, home = path)` snapshots the output of a process the test ran
/// itself (one it had to wait on while doing something else); `stderr = text` only what a
/// shell printed on stderr.
macro_rules! awsctx_snapshot {
    (output = $output:expr, home = $home:expr) => {{
        let text = $crate::support::render($output);
        $crate::support::snapshot_settings($home).bind(|| insta::assert_snapshot!(text));
    }};
    ($name:expr, stderr = $text:expr, home = $home:expr) => {{
        $crate::support::snapshot_settings($home).bind(|| insta::assert_snapshot!($name, $text));
    }};
    ($name:expr, output = $output:expr, home = $home:expr) => {{
        let text = $crate::support::render($output);
        $crate::support::snapshot_settings($home).bind(|| insta::assert_snapshot!($name, text));
    }};
    ($cmd:expr) => {{
        let (text, output, settings) = $crate::support::snapshot_text($cmd);
        settings.bind(|| insta::assert_snapshot!(text));
        output
    }};
    ($name:expr, $cmd:expr) => {{
        let (text, output, settings) = $crate::support::snapshot_text($cmd);
        settings.bind(|| insta::assert_snapshot!($name, text));
        output
    }};
}

/// Run `cmd`; its output as a snapshot reads, the output, and the insta settings with the
/// filters for `cmd`'s sandbox (found from its `HOME`).
pub(crate) fn snapshot_text(mut cmd: impl BorrowMut<Command>) -> (String, Output, insta::Settings) {
    let cmd = cmd.borrow_mut();
    let home = cmd
        .get_envs()
        .find(|(k, _)| *k == "HOME")
        .and_then(|(_, v)| v)
        .map(Path::new)
        .expect("a sandbox's command (HOME set)")
        .to_owned();
    let output = cmd.output().expect("run awsctx");
    (render(&output), output, settings(&home))
}

/// `output` as a snapshot reads: whether it succeeded, its exit code, stdout, stderr.
pub(crate) fn render(output: &Output) -> String {
    format!(
        "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        output.status.success(),
        output.status.code().map_or_else(|| "none".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    )
}

/// The insta settings with the filters every snapshot shares, for a sandbox whose home is
/// `home`.
pub(crate) fn settings(home: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    // One folder for the whole test binary, modules in subfolders included.
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/snapshots"));
    for (pattern, replacement) in filters(home) {
        settings.add_filter(&pattern, replacement);
    }
    settings
}

/// The filters every snapshot shares, for a sandbox whose home is `home` (its root, the temp
/// dir, is the parent): (regex, replacement), applied in order.
fn filters(home: &Path) -> Vec<(String, &'static str)> {
    let mut filters = vec![(regex_escape(&home.display().to_string()), "[HOME]")];
    if let Some(root) = home.parent() {
        filters.push((regex_escape(&root.display().to_string()), "[ROOT]"));
    }
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\(\d+ ms\)", "([N] ms)"),
        (r"127\.0\.0\.1%3A\d+", "127.0.0.1%3A[PORT]"),
        // What the browser flow makes up per login: client, state and PKCE challenge.
        (r"([?&](client_id|state|code_challenge))=[^&\s]+", "$1=[RANDOM]"),
        // The hook's state holds temp paths, so its size follows theirs.
        (r"needs \d+ bytes of shell state", "needs [N] bytes of shell state"),
        // The mock's device codes are random: `Rng` in `awsctx-tests`.
        (r"\b[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}\b", "[USER_CODE]"),
        (r"valid for (\d+h )?\d+[ms]", "valid for [TIME]"),
        // `Sandbox::seed_keys` numbers its keys across the tests of the run.
        (r"(ASIA\d{12}K)\d{4}", "${1}[N]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "[TIME]"),
    ] {
        filters.push((pattern.to_owned(), replacement));
    }
    filters
}

/// `text` as a regex that matches it literally.
fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}
