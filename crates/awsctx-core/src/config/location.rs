//! Where the shared files are, by the rules of the AWS CLI v2 (paths and home directory as in
//! `file-location-tests.json`). Which profile is selected: [`crate::facts::current_profile`].

use std::path::{Path, PathBuf};

use super::ConfigError;
use super::place::FileKind;
use crate::env::Env;

/// The two shared files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPaths {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl ConfigPaths {
    /// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` /
    /// `~/.aws/credentials`. A leading `~` is the home directory of [`Env::home`]; on Windows
    /// the separators of the expanded part are `\`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            config: resolve(env, FileKind::Config)?,
            credentials: resolve(env, FileKind::Credentials)?,
        })
    }

    /// The path of one of the two files.
    pub fn path(&self, file: FileKind) -> &Path {
        match file {
            FileKind::Config => &self.config,
            FileKind::Credentials => &self.credentials,
        }
    }

    /// `~/.aws/config` and `~/.aws/credentials`, unexpanded: names for text parsed from memory.
    pub(crate) fn display_defaults() -> Self {
        Self { config: "~/.aws/config".into(), credentials: "~/.aws/credentials".into() }
    }
}

fn resolve(env: &Env, file: FileKind) -> Result<PathBuf, ConfigError> {
    let (variable, default) = match file {
        FileKind::Config => ("AWS_CONFIG_FILE", "~/.aws/config"),
        FileKind::Credentials => ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    };
    let path = env.get(variable).unwrap_or(default);
    let windows = env.is_windows();
    let rest = if path == "~" {
        ""
    } else if let Some(rest) =
        path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\").filter(|_| windows))
    {
        rest
    } else {
        // Not home-relative: the variable is already in the platform's own form.
        return Ok(PathBuf::from(path));
    };
    let home = env.home().ok_or(ConfigError::NoHome { file, variable })?;
    let separator = if windows { '\\' } else { '/' };
    let mut joined = home.to_string_lossy().into_owned();
    for component in rest.split(['/', '\\'].as_slice()).filter(|c| !c.is_empty()) {
        if !joined.ends_with(separator) {
            joined.push(separator);
        }
        joined.push_str(component);
    }
    Ok(PathBuf::from(joined))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(pairs: &[(&str, &str)]) -> Result<ConfigPaths, ConfigError> {
        ConfigPaths::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn tilde_in_an_override_is_the_home_directory() {
        let p = paths(&[("HOME", "/home/u"), ("AWS_CONFIG_FILE", "~/dot/aws-config")]).unwrap();
        assert_eq!(p.config, Path::new("/home/u/dot/aws-config"));
        assert_eq!(p.credentials, Path::new("/home/u/.aws/credentials"));
    }

    #[test]
    fn tilde_is_only_expanded_as_a_whole_first_component() {
        let p = paths(&[("HOME", "/home/u"), ("AWS_CONFIG_FILE", "~aws/config")]).unwrap();
        assert_eq!(p.config, Path::new("~aws/config"));
    }

    #[test]
    fn a_home_with_a_trailing_slash_gives_no_double_slash() {
        let p = paths(&[("HOME", "/")]).unwrap();
        assert_eq!(p.config, Path::new("/.aws/config"));
    }

    #[test]
    fn windows_expansion_uses_backslashes() {
        let env = Env::from_pairs([("USERPROFILE", "C:\\Users\\me"), ("AWS_CONFIG_FILE", "~/x/c")])
            .for_windows(true);
        let p = ConfigPaths::from_env(&env).unwrap();
        assert_eq!(p.config, Path::new("C:\\Users\\me\\x\\c"));
    }

    #[test]
    fn no_home_is_an_error_only_when_a_path_needs_it() {
        let err = paths(&[]).unwrap_err();
        assert!(err.to_string().contains("`AWS_CONFIG_FILE`"), "{err}");
        let p = paths(&[("AWS_CONFIG_FILE", "/c"), ("AWS_SHARED_CREDENTIALS_FILE", "/k")]).unwrap();
        assert_eq!(
            (p.config.as_path(), p.credentials.as_path()),
            (Path::new("/c"), Path::new("/k"))
        );
    }
}
