//! Where a thing in the shared files is: which file, which line, and for a profile, which
//! of the two files define it.

use std::fmt;
use std::path::PathBuf;

/// Which of the two shared files a thing comes from; they differ in their section rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `~/.aws/config`: `[default]`, `[profile NAME]`, `[sso-session NAME]`, `[services NAME]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]` only.
    Credentials,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Config => "config",
            Self::Credentials => "credentials",
        })
    }
}

/// A line in one of the two files (1-based). [`Config::file_line`](super::Config::file_line) turns it into a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: FileKind,
    pub line: usize,
}

/// A place in a file, displayed as `path:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    pub path: PathBuf,
    pub line: usize,
}

impl FileLine {
    pub fn new(path: impl Into<PathBuf>, line: usize) -> Self {
        Self { path: path.into(), line }
    }
}

impl fmt::Display for FileLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// Where a profile is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileSource {
    Config,
    Credentials,
    /// In both files; the credentials file wins key by key.
    Both,
}
