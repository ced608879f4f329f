//! The parsed config: profiles, `[sso-session]`, `[services]` and other sections, each
//! property with the file and line it came from.
//!
//! Cheap to build and to drop, whatever the size of the files: the text that was read is held
//! once, and names, keys and values are spans of it (or of one small buffer for the few that
//! change: keys written in upper case, values joined from continuation lines). The properties
//! of every section are one run of a single vector, and sections are found through one table
//! of indices per kind. Nothing here reads a file: `parse` builds a [`Config`].

use std::fmt;
use std::ops::Deref;

use super::grammar::Warning;
use super::location::ConfigPaths;
use super::place::{FileLine, Location, ProfileSource};
use super::store::{Property, SectionData, Stored, SubProperty, Table, Text};

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
