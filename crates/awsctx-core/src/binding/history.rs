//! The profiles this user switched to, most recent first (`history.json` in the state
//! folder): the pickers put them first.

use std::path::PathBuf;

use super::StateDir;
use crate::file::{read_private, write_private};

/// A hundred profile names; anything much larger is not ours.
const MAX_BYTES: u64 = 1 << 20;

/// How many profiles the history keeps.
const KEEP: usize = 100;

impl StateDir {
    pub fn history_path(&self) -> PathBuf {
        self.path().join("history.json")
    }

    /// Recently used profiles, most recent first. A missing, damaged or untrusted file is an
    /// empty history.
    pub fn load_history(&self) -> Vec<String> {
        read_private(&self.history_path(), MAX_BYTES)
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Put `profile` first in the history. Best effort: a switch never fails for its history.
    pub fn record_history(&self, profile: &str) {
        let mut history = self.load_history();
        history.retain(|p| p != profile);
        history.insert(0, profile.to_owned());
        history.truncate(KEEP);
        if let Ok(mut bytes) = serde_json::to_vec(&history) {
            bytes.push(b'\n');
            let _ = write_private(&self.history_path(), &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_switch_comes_first_once_and_damage_is_an_empty_history() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path().join("state"));
        assert!(state.load_history().is_empty());
        std::fs::create_dir_all(state.path()).unwrap();
        for profile in ["a", "b", "a", "c"] {
            state.record_history(profile);
        }
        assert_eq!(state.load_history(), ["c", "a", "b"]);
        std::fs::write(state.history_path(), "not json").unwrap();
        assert!(state.load_history().is_empty());
    }
}
