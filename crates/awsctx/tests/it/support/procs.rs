//! The teardown check: every process a sandbox starts carries its marker, and none may
//! outlive it.

use std::process::Command;
use std::time::Duration;

use super::Sandbox;

/// The variable that marks every process a [`Sandbox`] starts (nothing in awsctx reads it).
pub(crate) const MARKER: &str = "AWSCTX_TEST_SANDBOX";

impl Drop for Sandbox {
    /// Whatever the sandbox's processes started (fish's refresh timer, a command's child) must
    /// be gone with them.
    fn drop(&mut self) {
        let left = wait_until_gone(&self.marker, Duration::from_secs(5));
        if left.is_empty() {
            return;
        }
        for (pid, _) in &left {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        assert!(std::thread::panicking(), "processes outlived the sandbox (killed now): {left:?}");
    }
}

/// The processes (pid, command line) that carry `marker`, wherever they were reparented.
/// Linux (`/proc`) only; elsewhere none are found.
pub(crate) fn processes_marked(marker: &str) -> Vec<(u32, String)> {
    let needle = format!("{MARKER}={marker}\0");
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // Another user's process, or one that ended meanwhile: not ours.
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
        if environ.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// Wait up to `grace` for every process marked `marker` to end; those still running.
pub(crate) fn wait_until_gone(marker: &str, grace: Duration) -> Vec<(u32, String)> {
    let started = std::time::Instant::now();
    loop {
        let left = processes_marked(marker);
        if left.is_empty() || started.elapsed() > grace {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
