//! The record of a profile's key refresh that the hook left to the background: a prompt waits
//! on the network for a second at most, so a slower refresh goes on in a detached awsctx that
//! writes the shared cache, and says here whether it still runs, and when a failed one is to be
//! tried again (after 1, 2, 4 … minutes, at most [`MAX_BACKOFF_SECS`]).
//!
//! One small JSON file per profile under the state directory's `refresh/`, named by a hash of
//! the profile; removed when a refresh succeeds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::file::{FileError, read_private, write_private};

/// The longest wait between two tries of a failing refresh.
pub const MAX_BACKOFF_SECS: i64 = 32 * 60;

/// A background refresh older than this is not running any more, whatever its pid says now
/// (the refresh's own timeouts end it well before).
pub const RUNNING_AT_MOST_SECS: i64 = 5 * 60;

/// One profile's background refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// The background awsctx's pid and when it started, while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<(u32, i64)>,
    /// Failed tries in a row.
    #[serde(default)]
    pub failures: u32,
    /// Epoch seconds before which no new try starts (after a failure).
    #[serde(default)]
    pub next_try: i64,
    /// Why the last try failed, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RefreshRecord {
    /// Where `profile`'s record lives under the state directory `state`.
    pub fn path(state: &Path, profile: &str) -> PathBuf {
        let digest = Sha256::digest(profile.as_bytes());
        let mut name = String::with_capacity(21);
        for byte in &digest[..8] {
            let _ = write!(name, "{byte:02x}");
        }
        name.push_str(".json");
        state.join("refresh").join(name)
    }

    /// The record at `path`; a missing, damaged or untrusted one is no record.
    pub fn load(path: &Path) -> Option<Self> {
        let bytes = read_private(path, 64 * 1024).ok().flatten()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn store(&self, path: &Path) -> Result<(), FileError> {
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        bytes.push(b'\n');
        write_private(path, &bytes)
    }

    /// The refresh is over and worked: no record.
    pub fn remove(path: &Path) {
        let _ = std::fs::remove_file(path);
    }

    /// The pid of the background refresh when it may still run at `now`.
    pub fn running_pid(&self, now: i64) -> Option<u32> {
        self.running
            .filter(|(_, started)| now >= *started && now - started < RUNNING_AT_MOST_SECS)
            .map(|(pid, _)| pid)
    }

    /// The record after a failed try at `now`: the next one after 1, 2, 4 … minutes.
    #[must_use]
    pub fn failed(&self, now: i64, reason: &str) -> Self {
        let failures = self.failures.saturating_add(1);
        let backoff = 60_i64.saturating_mul(1 << (failures - 1).min(10)).min(MAX_BACKOFF_SECS);
        Self {
            running: None,
            failures,
            next_try: now + backoff,
            reason: Some(reason.replace('\n', " ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_one_two_four_minutes_up_to_a_cap() {
        let mut record = RefreshRecord::default();
        let mut waits = Vec::new();
        for _ in 0..8 {
            record = record.failed(1000, "timed out\nafter 3 s");
            waits.push(record.next_try - 1000);
        }
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 1920, 1920]);
        assert_eq!(record.reason.as_deref(), Some("timed out after 3 s"));
        assert_eq!(record.running, None);
    }

    #[test]
    fn a_record_round_trips_and_an_old_run_counts_as_ended() {
        let tmp = tempfile::tempdir().unwrap();
        let path = RefreshRecord::path(tmp.path(), "prod");
        assert!(path.starts_with(tmp.path().join("refresh")));
        assert_eq!(RefreshRecord::load(&path), None);
        let record = RefreshRecord { running: Some((42, 1000)), ..RefreshRecord::default() };
        record.store(&path).unwrap();
        let back = RefreshRecord::load(&path).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.running_pid(1010), Some(42));
        assert_eq!(back.running_pid(1000 + RUNNING_AT_MOST_SECS), None);
        RefreshRecord::remove(&path);
        assert_eq!(RefreshRecord::load(&path), None);
    }
}
