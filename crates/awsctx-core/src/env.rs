//! A snapshot of the process environment. Every rule that reads a variable takes an [`Env`],
//! so tests feed it directly instead of mutating the real environment.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::settings::Setting;

/// Environment variables and the platform they are read for.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    windows: bool,
}

impl Env {
    /// The current process's environment. Variables that are not valid UTF-8 are skipped.
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v): (OsString, OsString)| {
                Some((k.into_string().ok()?, v.into_string().ok()?))
            })
            .collect();
        Self { vars, windows: cfg!(windows) }
    }

    /// An environment made of exactly these variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            windows: false,
        }
    }

    /// Read the variables as Windows would (home from `USERPROFILE`, `\` separators).
    #[must_use]
    pub fn for_windows(mut self, windows: bool) -> Self {
        self.windows = windows;
        self
    }

    pub fn is_windows(&self) -> bool {
        self.windows
    }

    /// The value of `name`, or `None` when unset. An empty value counts as unset, as in the SDKs.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The value of one of awsctx's own settings, or `None` when unset or empty.
    pub fn setting(&self, setting: &Setting) -> Option<&str> {
        self.get(setting.name)
    }

    /// Set or replace a variable (used when building a child's environment).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    pub fn remove(&mut self, name: &str) {
        self.vars.remove(name);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The user's home directory by the SDK rules: `HOME`, then on Windows `USERPROFILE`,
    /// then `HOMEDRIVE` + `HOMEPATH`.
    pub fn home(&self) -> Option<PathBuf> {
        if let Some(home) = self.get("HOME") {
            return Some(PathBuf::from(home));
        }
        if !self.windows {
            return None;
        }
        if let Some(profile) = self.get("USERPROFILE") {
            return Some(PathBuf::from(profile));
        }
        match (self.get("HOMEDRIVE"), self.get("HOMEPATH")) {
            (Some(drive), Some(path)) => Some(PathBuf::from(format!("{drive}{path}"))),
            _ => None,
        }
    }
}
