//! The AWS shared config and credentials files: where they are, what they say, and how to
//! change them without losing a byte of the user's.
//!
//! - [`location`]: which files to read (`AWS_CONFIG_FILE`, `~` expansion) and which profile
//!   is selected (`AWS_PROFILE`).
//! - [`parse`]: the cross-SDK grammar (the one `profile-parser-tests.json` pins down), read
//!   into a [`Config`] (`model`): profiles, `[sso-session]` and `[services]` sections,
//!   warnings, all borrowed from the text read.
//! - `index`: the section headers alone, read without looking at every line: how
//!   [`Config::load_profile`] reads only what one profile needs, and how tab-completion
//!   lists profile names ([`profile_names`]).
//! - [`profile`]: what a profile *is* ([`ProfileKind`]: SSO, role, process, static keys, ...)
//!   and the chain of profiles that produces its credentials.
//! - [`edit`]: a line-preserving editor ([`ConfigDocument`]) for `configure sso` and `populate`.

pub mod edit;
mod index;
pub mod location;
mod model;
pub mod parse;
pub mod profile;

pub use edit::{ConfigDocument, EditError, SectionName};
pub use index::profile_names;
pub use location::{ConfigPaths, selected_profile};
pub use model::{
    Config, FileKind, FileLine, Location, Nested, Profile, ProfileSource, Section, Value, Warning,
    WarningKind,
};
pub use parse::SyntaxError;
pub use profile::{ChainLink, ProfileError, ProfileKind, RoleSource, SsoSession};

use std::path::PathBuf;

/// Why the config could not be located or read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot locate the AWS {file} file: no home directory (`HOME` is unset) and `{variable}` is unset"
    )]
    NoHome { file: FileKind, variable: &'static str },
    #[error("cannot read `{path}`: {source}", path = path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{at}: the file is not UTF-8 text")]
    NotUtf8 { at: FileLine },
    #[error("{at}: {kind}")]
    Syntax { at: FileLine, kind: SyntaxError },
}
