//! Quoting values for bash, zsh and fish, and rendering environment changes as statements
//! the hook `eval`s. Every value is single-quoted, so no profile name, file content or server
//! response can expand or execute anything. The `AWS_*` variables are exported; the hook's own
//! state is set shell-local, so no child process sees it.

use std::fmt;
use std::str::FromStr;

/// A shell awsctx writes statements for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub const ALL: [Self; 3] = [Self::Bash, Self::Zsh, Self::Fish];

    pub fn name(self) -> &'static str {
        match self {
            Self::Bash => "bash",
            Self::Zsh => "zsh",
            Self::Fish => "fish",
        }
    }
}

impl fmt::Display for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shell {
    type Err = ShellError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|shell| shell.name() == name)
            .ok_or_else(|| ShellError::UnknownShell { name: name.to_owned() })
    }
}

/// Why a statement cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    #[error("unknown shell `{name}` (expected `bash`, `zsh` or `fish`)")]
    UnknownShell { name: String },
    #[error("`{name}` is not a valid environment variable name")]
    InvalidName { name: String },
    #[error("the value for `{name}` contains a NUL byte, which no shell can hold")]
    NulInValue { name: String },
}

/// One change to the shell's variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvChange {
    /// Set and exported: every child process of the shell sees it.
    Set {
        name: String,
        value: String,
    },
    /// Set in the shell only, not exported.
    SetLocal {
        name: String,
        value: String,
    },
    Unset {
        name: String,
    },
}

impl EnvChange {
    pub fn set(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Set { name: name.into(), value: value.into() }
    }

    pub fn set_local(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::SetLocal { name: name.into(), value: value.into() }
    }

    pub fn unset(name: impl Into<String>) -> Self {
        Self::Unset { name: name.into() }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Set { name, .. } | Self::SetLocal { name, .. } | Self::Unset { name } => name,
        }
    }
}

/// `value` as one single-quoted word of `shell`: POSIX quoting with `'\''` for a quote in
/// bash and zsh; in fish, `\\` and `\'` (its only escapes inside single quotes).
///
/// A NUL cannot be held by any shell; [`render`] rejects it, callers of `quote` must not pass
/// one.
pub fn quote(shell: Shell, value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match (shell, c) {
            (Shell::Bash | Shell::Zsh, '\'') => out.push_str(r"'\''"),
            (Shell::Fish, '\'') => out.push_str(r"\'"),
            (Shell::Fish, '\\') => out.push_str(r"\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The statements that apply `changes`, one per line, each ending in `\n`: `export NAME='v'`,
/// `NAME='v'` (shell-local) and `unset -v NAME` for bash and zsh; `set -gx NAME 'v'`,
/// `set -gu NAME 'v'` (global, not exported) and `set -e NAME` for fish.
///
/// The hooks evaluate these inside their functions: a plain assignment there sets the global
/// variable in bash (no `declare`, which would make it local, and no `declare -g`, which bash
/// 3.2 lacks) and in zsh.
pub fn render(shell: Shell, changes: &[EnvChange]) -> Result<String, ShellError> {
    let mut out = String::new();
    for change in changes {
        let name = change.name();
        if !is_valid_name(name) {
            return Err(ShellError::InvalidName { name: name.to_owned() });
        }
        let statement = match (shell, change) {
            (_, EnvChange::Set { value, .. } | EnvChange::SetLocal { value, .. })
                if value.contains('\0') =>
            {
                return Err(ShellError::NulInValue { name: name.to_owned() });
            }
            (Shell::Bash | Shell::Zsh, EnvChange::Set { value, .. }) => {
                format!("export {name}={}", quote(shell, value))
            }
            (Shell::Bash | Shell::Zsh, EnvChange::SetLocal { value, .. }) => {
                format!("{name}={}", quote(shell, value))
            }
            // `-v`: with no variable of that name, a plain `unset` removes a function.
            (Shell::Bash | Shell::Zsh, EnvChange::Unset { .. }) => format!("unset -v {name}"),
            (Shell::Fish, EnvChange::Set { value, .. }) => {
                format!("set -gx {name} {}", quote(shell, value))
            }
            // `-u`: `set -g` alone would keep the export of a variable exported before.
            (Shell::Fish, EnvChange::SetLocal { value, .. }) => {
                format!("set -gu {name} {}", quote(shell, value))
            }
            (Shell::Fish, EnvChange::Unset { .. }) => format!("set -e {name}"),
        };
        out.push_str(&statement);
        out.push('\n');
    }
    Ok(out)
}

/// `[A-Za-z_][A-Za-z0-9_]*`, the names every shell accepts for a variable.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
