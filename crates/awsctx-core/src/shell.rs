//! Quoting values for bash, zsh and fish, and rendering environment changes as statements
//! the hook `eval`s. Every value is single-quoted, so no profile name, file content or server
//! response can expand or execute anything. The `AWS_*` variables are exported; the hook's own
//! state is set shell-local, so no child process sees it. Nushell has no `eval`: its hook gets
//! the changes as JSON (data, never code) and applies them itself.

use std::fmt;
use std::str::FromStr;

/// A shell awsctx writes statements for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    /// Nushell.
    Nu,
}

impl Shell {
    pub const ALL: [Self; 4] = [Self::Bash, Self::Zsh, Self::Fish, Self::Nu];

    pub fn name(self) -> &'static str {
        match self {
            Self::Bash => "bash",
            Self::Zsh => "zsh",
            Self::Fish => "fish",
            Self::Nu => "nu",
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
    #[error("unknown shell `{name}` (expected `bash`, `zsh`, `fish` or `nu`)")]
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
/// bash and zsh; in fish, `\\` and `\'` (its only escapes inside single quotes); in Nushell
/// a raw string `r#'…'#` with more `#`s than any run in the value (no escapes at all).
///
/// A NUL cannot be held by any shell; [`render`] rejects it, callers of `quote` must not pass
/// one.
pub fn quote(shell: Shell, value: &str) -> String {
    if shell == Shell::Nu {
        let longest = value.split(|c| c != '#').map(str::len).max().unwrap_or(0);
        let hashes = "#".repeat(longest + 1);
        return format!("r{hashes}'{value}'{hashes}");
    }
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
/// `set -gu NAME 'v'` (global, not exported) and `set -e NAME` for fish. For Nushell, one JSON
/// object on one line, name → value (`null`: unset); its hook keeps the `_AWSCTX_*` ones in a
/// record no child process sees, so shell-local and exported are alike there.
///
/// The hooks evaluate these inside their functions: a plain assignment there sets the global
/// variable in bash (no `declare`, which would make it local, and no `declare -g`, which bash
/// 3.2 lacks) and in zsh.
pub fn render(shell: Shell, changes: &[EnvChange]) -> Result<String, ShellError> {
    if shell == Shell::Nu {
        return render_nu(changes);
    }
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
            (Shell::Nu, _) => unreachable!("rendered as JSON above"),
        };
        out.push_str(&statement);
        out.push('\n');
    }
    Ok(out)
}

/// The changes as one JSON object; empty when there are none (nothing to apply).
fn render_nu(changes: &[EnvChange]) -> Result<String, ShellError> {
    if changes.is_empty() {
        return Ok(String::new());
    }
    let mut object = serde_json::Map::new();
    for change in changes {
        let name = change.name();
        if !is_valid_name(name) {
            return Err(ShellError::InvalidName { name: name.to_owned() });
        }
        let value = match change {
            EnvChange::Set { value, .. } | EnvChange::SetLocal { value, .. }
                if value.contains('\0') =>
            {
                return Err(ShellError::NulInValue { name: name.to_owned() });
            }
            EnvChange::Set { value, .. } | EnvChange::SetLocal { value, .. } => {
                serde_json::Value::from(value.as_str())
            }
            EnvChange::Unset { .. } => serde_json::Value::Null,
        };
        object.insert(name.to_owned(), value);
    }
    let mut out = serde_json::Value::Object(object).to_string();
    out.push('\n');
    Ok(out)
}

/// `[A-Za-z_][A-Za-z0-9_]*`, the names every shell accepts for a variable.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
