//! Why an edit or a save of the shared files was refused.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::file::FileError;

/// Why an edit or a save was refused. Nothing is changed when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("`{key}` is not a valid key (use `A-Za-z0-9_-/.%@:+`)")]
    InvalidKey { key: String },
    #[error("the value of `{key}` contains a line break")]
    ValueHasLineBreak { key: String },
    #[error("the value of `{key}` starts or ends with whitespace, which the SDKs would trim")]
    ValueHasOuterWhitespace { key: String },
    #[error("the value of `{key}` contains ` #` or ` ;`, which the SDKs read as a comment")]
    ValueHasInlineComment { key: String },
    #[error("`{key}` is not a valid sub-property name")]
    InvalidSubKey { key: String },
    #[error("`{name}` cannot be a section name")]
    InvalidSectionName { name: String },
    #[error("section `{section}` already exists")]
    SectionExists { section: String },
    #[error("`{id}` cannot name a managed block (one line, no leading or trailing space)")]
    InvalidBlockId { id: String },
    #[error("line {line}: managed block `{id}` has no `# END awsctx managed: {id}` line")]
    ManagedBlockUnterminated { id: String, line: usize },
    #[error("line {line}: managed block `{id}` begins a second time")]
    ManagedBlockDuplicated { id: String, line: usize },
    #[error("line {line}: `# END awsctx managed: {id}` without its `BEGIN` line")]
    ManagedBlockEndWithoutBegin { id: String, line: usize },
    #[error("profile `{name}` is given twice for managed block `{id}`")]
    ManagedProfileTwice { id: String, name: String },
    #[error("line {line}: the lines to change run into a managed-block marker")]
    EditCrossesMarker { line: usize },
    /// Not read: `ConfigError::Read` or `ConfigError::TooLarge`, as when it is parsed.
    #[error(transparent)]
    Read(#[from] ConfigError),
    #[error("`{path}` is not UTF-8 text", path = path.display())]
    NotUtf8 { path: PathBuf },
    #[error("`{path}` changed on disk since it was read; read it again and redo the change", path = path.display())]
    ChangedOnDisk { path: PathBuf },
    #[error(transparent)]
    File(#[from] FileError),
}
