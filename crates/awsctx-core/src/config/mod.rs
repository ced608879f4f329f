//! The AWS shared config and credentials files: where they are, what they say, and how to
//! change them without losing a byte of the user's.
//!
//! - [`location`]: which files to read (`AWS_CONFIG_FILE`, `~` expansion); which profile is
//!   selected is `crate::facts`' one rule.
//! - `grammar`: the cross-SDK grammar, line by line (the one `profile-parser-tests.json`
//!   pins down), and the [`Warning`]s for what it ignores; `builder` reads lines by it into
//!   sections; [`parse`] reads both files whole into a [`Config`] through it.
//! - `model`: what a [`Config`] says (profiles, `[sso-session]` and `[services]` sections,
//!   warnings), viewed through [`Profile`] and [`Section`]; `store` how it is held (spans of
//!   the text read, packed locations, tables by name); `place` which file and line.
//! - `index`: the section headers alone, read without looking at every line: how
//!   [`Config::load_profile`] reads only what one profile needs, and how tab-completion
//!   lists profile names ([`profile_names`]).
//! - [`profile`]: what a profile *is* ([`ProfileKind`]: SSO, role, process, static keys, ...)
//!   and the chain of profiles that produces its credentials.
//! - [`edit`]: a line-preserving editor ([`ConfigDocument`]) for `configure sso` and `populate`.

mod builder;
pub mod edit;
mod grammar;
mod index;
pub mod location;
mod model;
pub mod parse;
mod place;
pub mod profile;
mod store;

pub use edit::{ConfigDocument, EditError, ManagedProfile, SectionName};
pub use grammar::{SyntaxError, Warning, WarningKind};
pub use index::profile_names;
pub use location::ConfigPaths;
pub use model::{Config, Nested, Profile, Section, Value};
pub use place::{FileKind, FileLine, Location, ProfileSource};
pub use profile::{
    ChainLink, ProfileError, ProfileKind, RoleSource, SESSION_DEFAULT_REGION, SsoSession,
};

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest config or credentials file awsctx reads: 32 MiB, about 200 000 profiles (a
/// 10 000-profile config is 1.5 MB). Parsing costs about 7 bytes of memory per byte of file,
/// so a command stays under ~350 MB whatever `AWS_CONFIG_FILE` points at (`/dev/zero`
/// included).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Why the config could not be located or read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot locate the AWS {file} file: no home directory (`HOME` is unset) and `{variable}` is unset"
    )]
    NoHome { file: FileKind, variable: &'static str },
    #[error("cannot read `{path}`: {source}", path = path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "`{path}` is larger than {} MiB: awsctx does not read a config file that big",
        MAX_FILE_BYTES >> 20,
        path = path.display()
    )]
    TooLarge { path: PathBuf },
    #[error("{at}: the file is not UTF-8 text")]
    NotUtf8 { at: FileLine },
    #[error("{at}: {kind}")]
    Syntax { at: FileLine, kind: SyntaxError },
}

/// Why [`read_config_file`] gave no bytes.
#[derive(Debug)]
pub(crate) enum ReadError {
    Io(std::io::Error),
    TooLarge,
}

/// The bytes of `path` (through symlinks), at most [`MAX_FILE_BYTES`]; `None` when there is
/// no such file. A larger file is refused before it is read whole.
pub(crate) fn read_config_file(path: &Path) -> Result<Option<Vec<u8>>, ReadError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e)),
    };
    // The size is only a hint: devices and `/proc` files say 0, a file may grow meanwhile.
    let size = file.metadata().map_err(ReadError::Io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(Some(bytes))
}
