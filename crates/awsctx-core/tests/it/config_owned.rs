//! Owned copies of what the config model says, to compare two configs (or a config and what
//! a test expects) with `assert_eq!`; and real files for [`Config::load_profile`].

use awsctx_core::config::{Config, ConfigError, ConfigPaths, Section, Value};
use indexmap::IndexMap;

/// A property value, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owned {
    Simple(String),
    Nested(IndexMap<String, String>),
}

/// A section's properties, owned (equal as maps: order aside).
pub(crate) type Props = IndexMap<String, Owned>;

impl From<Value<'_>> for Owned {
    fn from(value: Value<'_>) -> Self {
        match value {
            Value::Simple(s) => Self::Simple(s.to_owned()),
            Value::Nested(n) => {
                Self::Nested(n.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
            }
        }
    }
}

pub(crate) fn simple(value: &str) -> Owned {
    Owned::Simple(value.to_owned())
}

pub(crate) fn props(section: &Section<'_>) -> Props {
    section.properties().map(|(k, v)| (k.to_owned(), v.into())).collect()
}

/// The properties in their order, for checks where the order matters (`list`).
pub(crate) fn ordered(section: &Section<'_>) -> Vec<(String, Owned)> {
    section.properties().map(|(k, v)| (k.to_owned(), v.into())).collect()
}

/// The two files written to a temporary folder.
pub(crate) struct Files {
    _dir: tempfile::TempDir,
    pub(crate) paths: ConfigPaths,
}

impl Files {
    pub(crate) fn new(config: &str, credentials: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = ConfigPaths {
            config: dir.path().join("config"),
            credentials: dir.path().join("credentials"),
        };
        std::fs::write(&paths.config, config).expect("write config");
        std::fs::write(&paths.credentials, credentials).expect("write credentials");
        Self { _dir: dir, paths }
    }

    pub(crate) fn load(&self) -> Result<Config, ConfigError> {
        Config::load(&self.paths)
    }

    pub(crate) fn load_profile(&self, name: &str) -> Result<Config, ConfigError> {
        Config::load_profile(&self.paths, name)
    }
}
