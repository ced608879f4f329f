//! The parsed config: profiles, `[sso-session]`, `[services]` and other sections, each
//! property with the file and line it came from.
//!
//! Cheap to build and to drop, whatever the size of the files: the text that was read is held
//! once, and names, keys and values are spans of it (or of one small buffer for the few that
//! change: keys written in upper case, values joined from continuation lines). The properties
//! of every section are one run of a single vector, and sections are found through one table
//! of indices per kind. Nothing here reads a file: `parse` builds a [`Config`].

use std::fmt;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::path::PathBuf;

use super::location::ConfigPaths;

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

/// A line in one of the two files (1-based). [`Config::file_line`] turns it into a path.
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

const CREDENTIAL_PROCESS: &str = "credential_process";

/// A command line for `Debug`: the program, without its arguments (they may hold secrets).
pub(crate) fn redact_command(command: &str) -> String {
    match command.trim().split_once([' ', '\t']) {
        Some((program, _)) => format!("{program} ** arguments redacted **"),
        None => command.trim().to_owned(),
    }
}

/// Keys whose values are secrets: never shown by `Debug`.
const SECRET_KEYS: [&str; 3] = ["aws_secret_access_key", "aws_session_token", "aws_security_token"];

// ---------------------------------------------------------------------------------------------
// Storage

/// A piece of a config's text: `start..start + len` of the text read, or of the owned
/// strings when the top bit of `start` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Span {
    /// The top bit of `start`: the span is in [`Text::owned`].
    pub(crate) const OWNED: u32 = 1 << 31;
    /// The most text either buffer may hold.
    pub(crate) const MAX: usize = (Self::OWNED - 1) as usize;
}

/// All the text of a [`Config`]: what was read, and the few strings that had to change.
#[derive(Debug, Default)]
pub(crate) struct Text {
    pub(crate) read: String,
    pub(crate) owned: String,
}

impl Text {
    pub(crate) fn get(&self, span: Span) -> &str {
        let (text, start) = if span.start & Span::OWNED == 0 {
            (&self.read, span.start)
        } else {
            (&self.owned, span.start & !Span::OWNED)
        };
        let start = start as usize;
        // Spans are made by the parser from this very text: a miss would be a bug, not input.
        text.get(start..start + span.len as usize).unwrap_or_default()
    }

    /// Whether `span` holds exactly `s` (the length first: most keys differ in length).
    pub(crate) fn is(&self, span: Span, s: &str) -> bool {
        span.len as usize == s.len() && self.get(span) == s
    }
}

/// `start..start + len` of one of the config's vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Run {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Run {
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// A property as stored: key, value and where it was (last) set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Property {
    pub(crate) key: Span,
    pub(crate) value: StoredValue,
    pub(crate) at: PackedLocation,
}

/// A value in 8 bytes (a property per line of a big config): a [`Span`] of text, or, with
/// the top bit of `len` set, a [`Run`] of [`Config::sub_properties`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredValue {
    start: u32,
    len: u32,
}

/// What a [`StoredValue`] holds.
pub(crate) enum Stored {
    Simple(Span),
    Nested(Run),
}

impl StoredValue {
    const NESTED: u32 = 1 << 31;

    /// `span.len` fits in 31 bits: the text is at most [`Span::MAX`] bytes.
    pub(crate) fn simple(span: Span) -> Self {
        Self { start: span.start, len: span.len & !Self::NESTED }
    }

    pub(crate) fn nested(run: Run) -> Self {
        Self { start: run.start, len: run.len | Self::NESTED }
    }

    pub(crate) fn get(self) -> Stored {
        let len = self.len & !Self::NESTED;
        if self.len & Self::NESTED == 0 {
            Stored::Simple(Span { start: self.start, len })
        } else {
            Stored::Nested(Run { start: self.start, len })
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct SubProperty {
    pub(crate) key: Span,
    pub(crate) value: Span,
}

/// A [`Location`] in 4 bytes (the file in the top bit): one per property of a big config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackedLocation(u32);

impl PackedLocation {
    const CREDENTIALS: u32 = 1 << 31;

    pub(crate) fn pack(location: Location) -> Self {
        let line = u32::try_from(location.line).unwrap_or(u32::MAX).min(Self::CREDENTIALS - 1);
        match location.file {
            FileKind::Config => Self(line),
            FileKind::Credentials => Self(line | Self::CREDENTIALS),
        }
    }

    pub(crate) fn unpack(self) -> Location {
        let file =
            if self.0 & Self::CREDENTIALS == 0 { FileKind::Config } else { FileKind::Credentials };
        Location { file, line: (self.0 & !Self::CREDENTIALS) as usize }
    }
}

/// One section (a profile, an `[sso-session]`, ...), merged from every header that names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SectionData {
    pub(crate) name: Span,
    /// The first header that defines it (for a profile, the config file's when it has one).
    pub(crate) header: PackedLocation,
    /// Its run of [`Config::properties`]: keys unique, in the order they first appear.
    pub(crate) properties: Run,
    pub(crate) source: ProfileSource,
    /// How its headers have gone while the files were read (the parser's business).
    pub(crate) reading: Reading,
}

/// How a section's headers have gone while the parser reads: kept in the section itself, so a
/// big config costs no second vector.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Reading {
    /// `properties` is the run of its only header so far.
    pub(crate) has_run: bool,
    /// More than one header (or a `[default]`): its runs are merged at the end.
    pub(crate) scattered: bool,
}

/// The sections of one kind, in file order, and an index of them by name.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) sections: Vec<SectionData>,
    /// Indices into `sections`, hashed by [`hash_name`] of their names.
    pub(crate) index: hashbrown::HashTable<u32>,
}

impl Table {
    pub(crate) fn find(&self, text: &Text, name: &str) -> Option<u32> {
        self.index
            .find(hash_name(name), |&i| {
                self.sections.get(i as usize).is_some_and(|s| text.is(s.name, name))
            })
            .copied()
    }

    fn get(&self, text: &Text, name: &str) -> Option<&SectionData> {
        self.sections.get(self.find(text, name)? as usize)
    }
}

/// The hash of a section name in a [`Table`]. Fixed, fast, not flooding-proof: the files are
/// the user's own.
pub(crate) fn hash_name(name: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(name)
}

/// The two files a config for one profile was read from, still open: how it knows the other
/// profiles without having read them (by walking their headers again).
#[derive(Debug)]
pub(crate) struct OpenFiles(pub(crate) [Option<std::fs::File>; 2]);

/// What a [`Config`] holds.
#[derive(Debug)]
pub(crate) enum Scope {
    /// Every section of both files.
    Whole,
    /// The profiles named here (found or not), every profile their credentials come from, and
    /// the `[sso-session]` and `[services]` sections those use; of the other profiles, only
    /// their headers, in the files.
    Profiles { wanted: Vec<String>, files: OpenFiles },
}

// ---------------------------------------------------------------------------------------------
// Reading it

/// Both shared files, parsed and merged, in file order: what [`Config::load`] and
/// [`Config::from_sources`] give, or (from [`Config::load_profile`]) the part of it that one
/// profile needs.
pub struct Config {
    /// The files this came from, for `file:line` in messages.
    pub paths: ConfigPaths,
    pub(crate) text: Text,
    pub(crate) properties: Vec<Property>,
    pub(crate) sub_properties: Vec<SubProperty>,
    pub(crate) profiles: Table,
    pub(crate) sso_sessions: Table,
    pub(crate) services: Table,
    /// Sections with any other prefix (`[plugins x]`, a typo'd `[sso-sesion x]`), named
    /// `prefix name`.
    pub(crate) other_sections: Table,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) scope: Scope,
}

impl Config {
    pub fn profile(&self, name: &str) -> Option<Profile<'_>> {
        self.profiles.get(&self.text, name).map(|data| Profile(self.section(data)))
    }

    /// Every profile, in file order (config file first). A config from
    /// [`Config::load_profile`] has only the profiles that one needs.
    pub fn profiles(&self) -> impl ExactSizeIterator<Item = Profile<'_>> + '_ {
        self.profiles.sections.iter().map(|data| Profile(self.section(data)))
    }

    /// Whether the files define profile `name`. Also true for a config from
    /// [`Config::load_profile`] when `name` is another profile: its header is in the files.
    pub fn has_profile(&self, name: &str) -> bool {
        match &self.scope {
            Scope::Profiles { wanted, files } if !wanted.iter().any(|w| w == name) => {
                files.has_profile(&self.paths, name)
            }
            _ => self.profile(name).is_some(),
        }
    }

    /// The names of every profile in the files, in file order, each once (for a config from
    /// [`Config::load_profile`], as its section headers give them).
    pub fn profile_names(&self) -> Vec<String> {
        match &self.scope {
            Scope::Whole => self.profiles().map(|p| p.name().to_owned()).collect(),
            Scope::Profiles { files, .. } => files.profile_names(&self.paths),
        }
    }

    /// Whether this config answers for profile `name` exactly as the whole files would: always
    /// for [`Config::load`]; for [`Config::load_profile`], for the profile it was made for and
    /// every profile its credentials come from.
    pub fn covers(&self, name: &str) -> bool {
        match &self.scope {
            Scope::Whole => true,
            Scope::Profiles { wanted, .. } => wanted.iter().any(|w| w == name),
        }
    }

    /// `[sso-session NAME]`, as written (see [`Config::sso_session`] for the checked one).
    pub fn sso_session_section(&self, name: &str) -> Option<Section<'_>> {
        self.sso_sessions.get(&self.text, name).map(|data| self.section(data))
    }

    /// Every `[sso-session]` section, in file order.
    pub fn sso_session_sections(&self) -> impl ExactSizeIterator<Item = Section<'_>> + '_ {
        self.sso_sessions.sections.iter().map(|data| self.section(data))
    }

    /// `[services NAME]`.
    pub fn services_section(&self, name: &str) -> Option<Section<'_>> {
        self.services.get(&self.text, name).map(|data| self.section(data))
    }

    /// Every `[services]` section, in file order.
    pub fn services_sections(&self) -> impl ExactSizeIterator<Item = Section<'_>> + '_ {
        self.services.sections.iter().map(|data| self.section(data))
    }

    /// A section with another prefix, by `prefix name` (`plugins x`).
    pub fn other_section(&self, key: &str) -> Option<Section<'_>> {
        self.other_sections.get(&self.text, key).map(|data| self.section(data))
    }

    /// What the SDKs ignore in the files, with where it is (in file order, config file first).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The path and line of `location`.
    pub fn file_line(&self, location: Location) -> FileLine {
        FileLine { path: self.paths.path(location.file).to_owned(), line: location.line }
    }

    fn section<'a>(&'a self, data: &'a SectionData) -> Section<'a> {
        Section { config: self, data }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("paths", &self.paths)
            .field("profiles", &self.profiles().collect::<Vec<_>>())
            .field("sso_sessions", &self.sso_session_sections().collect::<Vec<_>>())
            .field("services", &self.services_sections().collect::<Vec<_>>())
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// A section of the config: its name, where it starts, its properties (keys lower case).
#[derive(Clone, Copy)]
pub struct Section<'a> {
    config: &'a Config,
    data: &'a SectionData,
}

impl<'a> Section<'a> {
    pub fn name(&self) -> &'a str {
        self.config.text.get(self.data.name)
    }

    /// The first header line of the section.
    pub fn header(&self) -> Location {
        self.data.header.unpack()
    }

    /// The value of `key` (lower case) when it is a one-line value.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        match self.stored(key)?.value.get() {
            Stored::Simple(span) => Some(self.config.text.get(span)),
            Stored::Nested(_) => None,
        }
    }

    /// `get`, treating an empty value as unset (the SDKs ignore `region =`).
    pub(crate) fn non_empty(&self, key: &str) -> Option<&'a str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// The value of `key`, one-line or nested.
    pub fn value(&self, key: &str) -> Option<Value<'a>> {
        self.stored(key).map(|p| self.view(p))
    }

    /// The file and line where `key` was (last) set.
    pub fn location_of(&self, key: &str) -> Option<Location> {
        self.stored(key).map(|p| p.at.unpack())
    }

    /// Every property, in the order the keys first appear.
    pub fn properties(&self) -> impl ExactSizeIterator<Item = (&'a str, Value<'a>)> + 'a {
        let this = *self;
        self.stored_all().iter().map(move |p| (this.config.text.get(p.key), this.view(p)))
    }

    pub fn is_empty(&self) -> bool {
        self.data.properties.len == 0
    }

    pub(crate) fn stored_all(&self) -> &'a [Property] {
        self.config.properties.get(self.data.properties.range()).unwrap_or_default()
    }

    fn stored(&self, key: &str) -> Option<&'a Property> {
        let text = &self.config.text;
        self.stored_all().iter().find(|p| text.is(p.key, key))
    }

    pub(crate) fn view(&self, property: &Property) -> Value<'a> {
        let config = self.config;
        match property.value.get() {
            Stored::Simple(span) => Value::Simple(config.text.get(span)),
            Stored::Nested(run) => Value::Nested(Nested {
                config,
                sub_properties: config.sub_properties.get(run.range()).unwrap_or_default(),
            }),
        }
    }

    pub(crate) fn text(&self) -> &'a Text {
        &self.config.text
    }
}

impl fmt::Debug for Section<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("name", &self.name())
            .field("properties", &Redacted(*self))
            .field("header", &self.header())
            .finish()
    }
}

/// A profile, merged from both files and from repeated sections.
#[derive(Clone, Copy)]
pub struct Profile<'a>(Section<'a>);

impl<'a> Profile<'a> {
    pub fn source(&self) -> ProfileSource {
        self.0.data.source
    }

    pub fn as_section(&self) -> Section<'a> {
        self.0
    }
}

impl<'a> Deref for Profile<'a> {
    type Target = Section<'a>;

    fn deref(&self) -> &Section<'a> {
        &self.0
    }
}

impl fmt::Debug for Profile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name())
            .field("properties", &Redacted(self.0))
            .field("source", &self.source())
            .field("header", &self.header())
            .finish()
    }
}

/// A section's properties for `Debug`: secrets and `credential_process` arguments hidden.
struct Redacted<'a>(Section<'a>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in self.0.properties() {
            if SECRET_KEYS.contains(&key) {
                map.entry(&key, &"***");
            } else if let (CREDENTIAL_PROCESS, Value::Simple(command)) = (key, value) {
                map.entry(&key, &redact_command(command));
            } else {
                map.entry(&key, &value);
            }
        }
        map.finish()
    }
}

/// A property value: one line (continuation lines joined with `\n`), or sub-properties
/// (`s3 =` followed by indented `key = value` lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Simple(&'a str),
    Nested(Nested<'a>),
}

impl<'a> Value<'a> {
    pub fn as_simple(&self) -> Option<&'a str> {
        match self {
            Self::Simple(value) => Some(value),
            Self::Nested(_) => None,
        }
    }

    pub fn as_nested(&self) -> Option<Nested<'a>> {
        match self {
            Self::Simple(_) => None,
            Self::Nested(nested) => Some(*nested),
        }
    }
}

/// The sub-properties of a nested value, keys as written, each once, in the order they
/// first appear.
#[derive(Clone, Copy)]
pub struct Nested<'a> {
    config: &'a Config,
    sub_properties: &'a [SubProperty],
}

impl<'a> Nested<'a> {
    pub fn get(&self, key: &str) -> Option<&'a str> {
        let text = &self.config.text;
        self.sub_properties.iter().find(|s| text.is(s.key, key)).map(|s| text.get(s.value))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
        let text = &self.config.text;
        self.sub_properties.iter().map(|s| (text.get(s.key), text.get(s.value)))
    }

    pub fn len(&self) -> usize {
        self.sub_properties.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sub_properties.is_empty()
    }
}

impl PartialEq for Nested<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Nested<'_> {}

impl fmt::Debug for Nested<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Warnings

/// Something in the files that the SDKs ignore, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub at: FileLine,
    pub kind: WarningKind,
}

/// What was ignored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// `[foo]` in the config file: only `[default]` may go without a prefix.
    SectionWithoutPrefix { name: String },
    /// `[profile foo]` (or any prefix) in the credentials file.
    PrefixInCredentials { header: String },
    /// The section name is not made of `A-Za-z0-9_-/.%@:+`.
    InvalidSectionName { header: String },
    /// `[default]` next to `[profile default]`, which takes priority.
    DefaultShadowed,
    /// A property key that is not made of `A-Za-z0-9_-/.%@:+`.
    InvalidKey { section: String, key: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.at)?;
        match &self.kind {
            WarningKind::SectionWithoutPrefix { name } => {
                write!(f, "section `[{name}]` ignored: in the config file write `[profile {name}]`")
            }
            WarningKind::PrefixInCredentials { header } => write!(
                f,
                "section `[{header}]` ignored: the credentials file takes bare profile names"
            ),
            WarningKind::InvalidSectionName { header } => write!(
                f,
                "section `[{header}]` ignored: names may only contain `A-Za-z0-9_-/.%@:+`"
            ),
            WarningKind::DefaultShadowed => {
                f.write_str("section `[default]` ignored: `[profile default]` takes priority")
            }
            WarningKind::InvalidKey { section, key } => write!(
                f,
                "key `{key}` in `[{section}]` ignored: keys may only contain `A-Za-z0-9_-/.%@:+`"
            ),
        }
    }
}
