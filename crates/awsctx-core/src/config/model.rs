//! The parsed config: profiles, `[sso-session]`, `[services]` and other sections, each
//! property with the file and line it came from.

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::location::ConfigPaths;
use super::{ConfigError, ReadError, parse};

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

/// The maps of the model: insertion-ordered, with a fast hasher (config files are the user's
/// own, so hash flooding is not a threat, and `list` looks up keys millions of times).
pub type Map<V> = IndexMap<String, V, foldhash::fast::RandomState>;

/// A property value: one line (continuation lines joined with `\n`), or sub-properties
/// (`s3 =` followed by indented `key = value` lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Simple(String),
    /// Boxed: a nested value is rare, and a small `Value` keeps big configs small in memory.
    Nested(Box<Map<String>>),
}

impl Value {
    pub fn as_simple(&self) -> Option<&str> {
        match self {
            Self::Simple(value) => Some(value),
            Self::Nested(_) => None,
        }
    }

    pub fn as_nested(&self) -> Option<&Map<String>> {
        match self {
            Self::Simple(_) => None,
            Self::Nested(map) => Some(map),
        }
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

const SECTION_CAPACITY: usize = 6;

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

/// A profile, merged from both files and from repeated sections, keys lower-cased.
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub properties: Map<Value>,
    pub source: ProfileSource,
    /// The first header that defines the profile (the config file's, when it has one).
    pub header: Location,
    /// Where each property was last set, by index in `properties`.
    key_locations: Vec<PackedLocation>,
}

impl Profile {
    /// The value of `key` (lower case) when it is a one-line value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_simple)
    }

    /// The value of `key`, one-line or nested.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.properties.get(key)
    }

    /// The file and line where `key` was (last) set.
    pub fn location_of(&self, key: &str) -> Option<Location> {
        let index = self.properties.get_index_of(key)?;
        self.key_locations.get(index).map(|&p| p.unpack())
    }

    /// `get`, treating an empty value as unset (the SDKs ignore `region =`).
    pub(crate) fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Merge a credentials-file profile into this one: its keys win.
    pub(super) fn merge_credentials(&mut self, other: Profile) {
        self.source = ProfileSource::Both;
        for ((key, value), location) in other.properties.into_iter().zip(other.key_locations) {
            let location = location.unpack();
            set_property(&mut self.properties, &mut self.key_locations, key, value, location);
        }
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted<'a>(&'a Map<Value>);
        impl fmt::Debug for Redacted<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (key, value) in self.0 {
                    if SECRET_KEYS.contains(&key.as_str()) {
                        map.entry(key, &"***");
                    } else if let (CREDENTIAL_PROCESS, Value::Simple(command)) =
                        (key.as_str(), value)
                    {
                        map.entry(key, &redact_command(command));
                    } else {
                        map.entry(key, value);
                    }
                }
                map.finish()
            }
        }
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("properties", &Redacted(&self.properties))
            .field("source", &self.source)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// Any other section: `[sso-session NAME]`, `[services NAME]`, `[plugins]`...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub properties: Map<Value>,
    /// The first header line of the section.
    pub header: Location,
    key_locations: Vec<PackedLocation>,
}

impl Section {
    /// The value of `key` (lower case) when it is a one-line value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_simple)
    }

    /// The file and line where `key` was (last) set.
    pub fn location_of(&self, key: &str) -> Option<Location> {
        let index = self.properties.get_index_of(key)?;
        self.key_locations.get(index).map(|&p| p.unpack())
    }

    pub(crate) fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }
}

/// What the parser fills: a profile or another section.
pub(crate) trait PropertyTable {
    fn new_table(name: String, header: Location) -> Self
    where
        Self: Sized;
    fn table_name(&self) -> &str;
    fn set_header(&mut self, header: Location);
    /// Set `key`, keeping its position if it was already there; returns its index.
    fn insert(&mut self, key: String, value: Value, location: Location) -> usize;
    fn value_mut(&mut self, index: usize) -> Option<&mut Value>;
    /// Replace all properties with `other`'s (`[default]`, when it is the one kept).
    fn take_properties_from(&mut self, other: Self)
    where
        Self: Sized;
}

macro_rules! property_table {
    ($type:ty, |$name:ident, $header:ident| $new:expr) => {
        impl PropertyTable for $type {
            fn new_table($name: String, $header: Location) -> Self {
                $new
            }
            fn table_name(&self) -> &str {
                &self.name
            }
            fn set_header(&mut self, header: Location) {
                self.header = header;
            }
            fn insert(&mut self, key: String, value: Value, location: Location) -> usize {
                set_property(&mut self.properties, &mut self.key_locations, key, value, location)
            }
            fn value_mut(&mut self, index: usize) -> Option<&mut Value> {
                self.properties.get_index_mut(index).map(|(_, v)| v)
            }
            fn take_properties_from(&mut self, other: Self) {
                self.properties = other.properties;
                self.key_locations = other.key_locations;
            }
        }
    };
}

// Most sections hold a handful of keys: sized once, not grown key by key.
property_table!(Profile, |name, header| Profile {
    name,
    properties: Map::with_capacity_and_hasher(
        SECTION_CAPACITY,
        foldhash::fast::RandomState::default()
    ),
    source: match header.file {
        FileKind::Config => ProfileSource::Config,
        FileKind::Credentials => ProfileSource::Credentials,
    },
    header,
    key_locations: Vec::with_capacity(SECTION_CAPACITY),
});
property_table!(Section, |name, header| Section {
    name,
    properties: Map::with_capacity_and_hasher(
        SECTION_CAPACITY,
        foldhash::fast::RandomState::default()
    ),
    header,
    key_locations: Vec::with_capacity(SECTION_CAPACITY),
});

fn set_property(
    properties: &mut Map<Value>,
    locations: &mut Vec<PackedLocation>,
    key: String,
    value: Value,
    location: Location,
) -> usize {
    let (index, _) = properties.insert_full(key, value);
    let location = PackedLocation::pack(location);
    if let Some(slot) = locations.get_mut(index) {
        *slot = location;
    } else {
        locations.push(location);
    }
    index
}

/// A [`Location`] in 4 bytes (the file in the top bit): one per property of a big config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedLocation(u32);

impl PackedLocation {
    const CREDENTIALS: u32 = 1 << 31;

    fn pack(location: Location) -> Self {
        let line = u32::try_from(location.line).unwrap_or(u32::MAX).min(Self::CREDENTIALS - 1);
        match location.file {
            FileKind::Config => Self(line),
            FileKind::Credentials => Self(line | Self::CREDENTIALS),
        }
    }

    fn unpack(self) -> Location {
        let file =
            if self.0 & Self::CREDENTIALS == 0 { FileKind::Config } else { FileKind::Credentials };
        Location { file, line: (self.0 & !Self::CREDENTIALS) as usize }
    }
}

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

/// Both shared files, parsed and merged, in file order.
#[derive(Debug, Clone)]
pub struct Config {
    pub profiles: Map<Profile>,
    pub sso_sessions: Map<Section>,
    pub services: Map<Section>,
    /// Sections with any other prefix (`[plugins x]`, a typo'd `[sso-sesion x]`), keyed by
    /// `prefix name`.
    pub other_sections: Map<Section>,
    pub warnings: Vec<Warning>,
    /// The files this came from, for `file:line` in messages.
    pub paths: ConfigPaths,
}

impl Config {
    /// Read and parse both files. A missing file counts as empty.
    pub fn load(paths: &ConfigPaths) -> Result<Self, ConfigError> {
        let config = read_optional(&paths.config)?;
        let credentials = read_optional(&paths.credentials)?;
        Self::parse(&config, &credentials, paths.clone())
    }

    /// Parse in-memory text (tests, or files read elsewhere); messages name the default
    /// paths `~/.aws/config` and `~/.aws/credentials`.
    pub fn from_sources(config: &str, credentials: &str) -> Result<Self, ConfigError> {
        Self::parse(config, credentials, ConfigPaths::display_defaults())
    }

    /// Parse `config` and `credentials` text read from `paths`.
    pub fn parse(config: &str, credentials: &str, paths: ConfigPaths) -> Result<Self, ConfigError> {
        let mut warnings = Vec::new();
        let from_config = parse::parse_file(config, FileKind::Config, &paths.config)?;
        let from_credentials =
            parse::parse_file(credentials, FileKind::Credentials, &paths.credentials)?;
        let mut profiles = from_config.profiles;
        for (name, profile) in from_credentials.profiles {
            match profiles.get_mut(&name) {
                Some(merged) => merged.merge_credentials(profile),
                None => {
                    profiles.insert(name, profile);
                }
            }
        }
        warnings.extend(from_config.warnings);
        warnings.extend(from_credentials.warnings);
        Ok(Self {
            profiles,
            sso_sessions: from_config.sso_sessions,
            services: from_config.services,
            other_sections: from_config.other_sections,
            warnings,
            paths,
        })
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The path and line of `location`.
    pub fn file_line(&self, location: Location) -> FileLine {
        FileLine { path: self.paths.path(location.file).to_owned(), line: location.line }
    }
}

/// The bytes of `path` as text; a missing file is empty.
pub(crate) fn read_optional(path: &Path) -> Result<String, ConfigError> {
    let bytes = match super::read_config_file(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(String::new()),
        Err(ReadError::TooLarge) => return Err(ConfigError::TooLarge { path: path.to_owned() }),
        Err(ReadError::Io(source)) => {
            return Err(ConfigError::Read { path: path.to_owned(), source });
        }
    };
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.split(|&b| b == b'\n').count();
        ConfigError::NotUtf8 { at: FileLine::new(path, line) }
    })
}
