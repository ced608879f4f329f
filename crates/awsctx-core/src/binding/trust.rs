//! The trust records of `.aws-profile` files: the sha256 of a file's path and content, as
//! direnv does, so an edited file needs a new `awsctx allow` and a copy of an allowed file
//! elsewhere is not allowed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Which `.aws-profile` files the user allowed (by path and content) or refused (by path).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TrustStore {
    /// sha256(path, content) → the path, for the user's eyes.
    #[serde(default)]
    allowed: BTreeMap<String, PathBuf>,
    /// sha256(path) → the path.
    #[serde(default)]
    denied: BTreeMap<String, PathBuf>,
}

/// The verdict on one `.aws-profile` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    Allowed,
    Denied,
    /// Allowed once, and edited since.
    Changed,
    /// Never allowed.
    Unknown,
}

impl TrustStore {
    pub fn check(&self, path: &Path, content: &[u8]) -> Trust {
        if self.denied.contains_key(&path_digest(path)) {
            Trust::Denied
        } else if self.allowed.contains_key(&content_digest(path, content)) {
            Trust::Allowed
        } else if self.allowed.values().any(|p| p == path) {
            Trust::Changed
        } else {
            Trust::Unknown
        }
    }

    /// Allow this exact content at this path; forget an earlier denial and earlier contents.
    pub fn allow(&mut self, path: &Path, content: &[u8]) {
        self.denied.remove(&path_digest(path));
        self.allowed.retain(|_, p| p != path);
        self.allowed.insert(content_digest(path, content), path.to_owned());
    }

    /// Refuse the file at this path, whatever its content.
    pub fn deny(&mut self, path: &Path) {
        self.allowed.retain(|_, p| p != path);
        self.denied.insert(path_digest(path), path.to_owned());
    }
}

fn path_digest(path: &Path) -> String {
    hex(&Sha256::digest(path.as_os_str().as_encoded_bytes()))
}

fn content_digest(path: &Path, content: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_os_str().as_encoded_bytes());
    // A separator that cannot occur in a path keeps (path, content) pairs distinct.
    hasher.update([0]);
    hasher.update(content);
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_file_needs_a_new_allow_and_deny_wins() {
        let path = Path::new("/repo/.aws-profile");
        let mut trust = TrustStore::default();
        assert_eq!(trust.check(path, b"dev\n"), Trust::Unknown);
        trust.allow(path, b"dev\n");
        assert_eq!(trust.check(path, b"dev\n"), Trust::Allowed);
        assert_eq!(trust.check(path, b"prod\n"), Trust::Changed, "edited content");
        assert_eq!(
            trust.check(Path::new("/other/.aws-profile"), b"dev\n"),
            Trust::Unknown,
            "copied file"
        );
        trust.deny(path);
        assert_eq!(trust.check(path, b"dev\n"), Trust::Denied);
        trust.allow(path, b"prod\n");
        assert_eq!(trust.check(path, b"prod\n"), Trust::Allowed);
        assert_eq!(
            trust.check(path, b"dev\n"),
            Trust::Changed,
            "only the latest content stays allowed"
        );
    }
}
