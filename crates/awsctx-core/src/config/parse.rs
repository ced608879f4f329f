//! The cross-SDK grammar of the shared files (Rust, Java and Go SDKs; not Python's
//! configparser), as pinned down by `profile-parser-tests.json`:
//!
//! - blank lines and lines starting with `#` or `;` in column 0 are ignored;
//! - a line starting with `[` is a section header; a trailing `#`/`;` comment is cut off;
//! - a line starting with a space or tab continues the property above it (joined with
//!   `\n`), or, when that property's value was empty, holds a sub-property `key = value`;
//! - any other line is `key = value`, split at the first `=`; ` #` / ` ;` (preceded by
//!   whitespace) starts an inline comment, `value#x` keeps its `#`;
//! - section names and keys must match `[A-Za-z0-9_\-/.%@:+]+`, otherwise they are ignored
//!   with a warning; keys are lower-cased;
//! - repeated sections merge (last key wins), and `[profile default]` hides `[default]`.

use std::path::Path;

use super::model::Map;

use super::ConfigError;
use super::model::{
    FileKind, FileLine, Location, Profile, PropertyTable, Section, Value, Warning, WarningKind,
};

/// A syntax error: the whole file is rejected, as the SDKs do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("expected a section header such as `[profile name]` before this line")]
    OutsideSection,
    #[error("section header must end with `]`")]
    HeaderNotClosed,
    #[error("expected an `=` sign defining a property")]
    PropertyWithoutEquals,
    #[error("property has no name before its `=`")]
    PropertyWithoutName,
    #[error("expected an `=` sign defining a sub-property")]
    SubPropertyWithoutEquals,
    #[error("sub-property has no name before its `=`")]
    SubPropertyWithoutName,
    #[error("indented line, but no property above it in its section to continue")]
    ContinuationWithoutProperty,
}

/// One file's sections, before the config and credentials files are merged.
#[derive(Debug, Default)]
pub(crate) struct ParsedFile {
    pub(crate) profiles: Map<Profile>,
    pub(crate) sso_sessions: Map<Section>,
    pub(crate) services: Map<Section>,
    pub(crate) other_sections: Map<Section>,
    pub(crate) warnings: Vec<Warning>,
}

/// Space and tab: the only whitespace the grammar trims.
pub(crate) fn trim_ws(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// Trim `line` and cut a trailing comment. In property lines a `#`/`;` only starts a
/// comment after whitespace; in headers it always does.
pub(crate) fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = trim_ws(line);
    let cut = line.bytes().enumerate().position(|(i, b)| {
        (b == b'#' || b == b';')
            && (!needs_whitespace || line[..i].chars().next_back().is_some_and(char::is_whitespace))
    });
    match cut {
        Some(i) => trim_ws(&line[..i]),
        None => line,
    }
}

/// Why a `key = value` line is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PropertyLineError {
    NoEquals,
    NoName,
}

/// Split a property line into its key (as written, trimmed) and value.
pub(crate) fn parse_property_line(line: &str) -> Result<(&str, &str), PropertyLineError> {
    let line = strip_comment(line, true);
    let (key, value) = line.split_once('=').ok_or(PropertyLineError::NoEquals)?;
    let key = trim_ws(key);
    if key.is_empty() {
        return Err(PropertyLineError::NoName);
    }
    Ok((key, trim_ws(value)))
}

/// The text between `[` and `]` of a header line, comment removed.
pub(crate) fn parse_header(line: &str) -> Result<&str, SyntaxError> {
    let line = strip_comment(line, false);
    line.strip_prefix('[').and_then(|l| l.strip_suffix(']')).ok_or(SyntaxError::HeaderNotClosed)
}

/// A header split into `prefix name` (`profile foo`) or a bare `name` (`default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SectionPair<'a> {
    pub(crate) prefix: Option<&'a str>,
    pub(crate) name: &'a str,
}

impl<'a> SectionPair<'a> {
    pub(crate) fn parse(inner: &'a str) -> Self {
        let inner = trim_ws(inner);
        match inner.split_once([' ', '\t']) {
            Some((prefix, name)) => Self { prefix: Some(prefix.trim()), name: name.trim() },
            None => Self { prefix: None, name: inner.trim() },
        }
    }
}

/// Whether `name` is a valid profile name or key: `[A-Za-z0-9_\-/.%@:+]+`.
pub fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-/.%@:+".contains(&b))
}

const DEFAULT: &str = "default";
const PROFILE: &str = "profile";
const SSO_SESSION: &str = "sso-session";
const SERVICES: &str = "services";

/// Where the properties of the current section go.
#[derive(Debug, Clone, Copy)]
enum Target {
    Profile(usize),
    /// `[default]` in the config file: kept aside until we know whether `[profile default]` exists.
    BareDefault,
    SsoSession(usize),
    Services(usize),
    Other(usize),
    /// An ignored section: its lines are still checked for syntax, like the SDKs do.
    Ignored,
}

/// The property that continuation lines extend.
#[derive(Debug, Clone, Copy)]
struct Current {
    /// Index in the target section, `None` when the key itself was ignored.
    index: Option<usize>,
    /// The value was empty: continuation lines are sub-properties.
    nested: bool,
}

struct Parser<'a> {
    kind: FileKind,
    path: &'a Path,
    out: ParsedFile,
    bare_default: Option<Profile>,
    bare_default_lines: Vec<usize>,
    prefixed_default: bool,
    target: Option<Target>,
    current: Option<Current>,
    line: usize,
}

/// Parse one file's text. `path` only names the file in errors and warnings.
pub(crate) fn parse_file(
    text: &str,
    kind: FileKind,
    path: &Path,
) -> Result<ParsedFile, ConfigError> {
    let mut parser = Parser {
        kind,
        path,
        out: ParsedFile::default(),
        bare_default: None,
        bare_default_lines: Vec::new(),
        prefixed_default: false,
        target: None,
        current: None,
        line: 0,
    };
    for (index, line) in text.split('\n').enumerate() {
        parser.line = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        parser
            .read_line(line)
            .map_err(|kind| ConfigError::Syntax { at: FileLine::new(path, index + 1), kind })?;
    }
    Ok(parser.finish())
}

impl Parser<'_> {
    fn read_line(&mut self, line: &str) -> Result<(), SyntaxError> {
        if trim_ws(line).is_empty() || line.starts_with(['#', ';']) {
            return Ok(());
        }
        if line.starts_with('[') {
            let inner = parse_header(line)?;
            self.target = Some(self.section(inner));
            self.current = None;
            Ok(())
        } else if line.starts_with([' ', '\t']) {
            self.continuation(line)
        } else {
            self.property(line)
        }
    }

    fn location(&self) -> Location {
        Location { file: self.kind, line: self.line }
    }

    fn warn(&mut self, kind: WarningKind) {
        self.out.warnings.push(Warning { at: FileLine::new(self.path, self.line), kind });
    }

    /// Find or create the section a header names.
    fn section(&mut self, inner: &str) -> Target {
        let pair = SectionPair::parse(inner);
        let location = self.location();
        match (self.kind, pair.prefix) {
            (FileKind::Config, Some(prefix)) => {
                if !is_identifier(pair.name) {
                    let header = trim_ws(inner).to_owned();
                    self.warn(WarningKind::InvalidSectionName { header });
                    return Target::Ignored;
                }
                match prefix {
                    PROFILE => {
                        let (index, created) = entry(&mut self.out.profiles, pair.name, location);
                        if pair.name == DEFAULT && !self.prefixed_default {
                            self.prefixed_default = true;
                            // The entry may have been opened by `[default]`: point at this header.
                            if !created
                                && let Some((_, profile)) = self.out.profiles.get_index_mut(index)
                            {
                                profile.set_header(location);
                            }
                        }
                        Target::Profile(index)
                    }
                    SSO_SESSION => {
                        Target::SsoSession(entry(&mut self.out.sso_sessions, pair.name, location).0)
                    }
                    SERVICES => {
                        Target::Services(entry(&mut self.out.services, pair.name, location).0)
                    }
                    _ => {
                        let key = format!("{prefix} {}", pair.name);
                        Target::Other(entry(&mut self.out.other_sections, &key, location).0)
                    }
                }
            }
            (FileKind::Config, None) if pair.name == DEFAULT => {
                // Keep the profile's place in file order; its properties wait aside.
                entry(&mut self.out.profiles, DEFAULT, location);
                self.bare_default_lines.push(self.line);
                self.bare_default
                    .get_or_insert_with(|| Profile::new_table(DEFAULT.to_owned(), location));
                Target::BareDefault
            }
            (FileKind::Config, None) => {
                self.warn(WarningKind::SectionWithoutPrefix { name: pair.name.to_owned() });
                Target::Ignored
            }
            (FileKind::Credentials, Some(_)) => {
                let header = trim_ws(inner).to_owned();
                self.warn(WarningKind::PrefixInCredentials { header });
                Target::Ignored
            }
            (FileKind::Credentials, None) => {
                if is_identifier(pair.name) {
                    Target::Profile(entry(&mut self.out.profiles, pair.name, location).0)
                } else {
                    let header = trim_ws(inner).to_owned();
                    self.warn(WarningKind::InvalidSectionName { header });
                    Target::Ignored
                }
            }
        }
    }

    fn target_section(&mut self, target: Target) -> Option<&mut dyn PropertyTable> {
        fn at<T: PropertyTable>(map: &mut Map<T>, index: usize) -> Option<&mut dyn PropertyTable> {
            map.get_index_mut(index).map(|(_, s)| s as &mut dyn PropertyTable)
        }
        match target {
            Target::Profile(i) => at(&mut self.out.profiles, i),
            Target::SsoSession(i) => at(&mut self.out.sso_sessions, i),
            Target::Services(i) => at(&mut self.out.services, i),
            Target::Other(i) => at(&mut self.out.other_sections, i),
            Target::BareDefault => self.bare_default.as_mut().map(|p| p as &mut dyn PropertyTable),
            Target::Ignored => None,
        }
    }

    /// The header of the current section as the user would write it, for warnings.
    fn label(&mut self, target: Target) -> Option<String> {
        let kind = self.kind;
        let name = self.target_section(target)?.table_name().to_owned();
        Some(match (kind, target) {
            (FileKind::Config, Target::Profile(_)) => format!("{PROFILE} {name}"),
            (FileKind::Config, Target::SsoSession(_)) => format!("{SSO_SESSION} {name}"),
            (FileKind::Config, Target::Services(_)) => format!("{SERVICES} {name}"),
            _ => name,
        })
    }

    fn property(&mut self, line: &str) -> Result<(), SyntaxError> {
        let target = self.target.ok_or(SyntaxError::OutsideSection)?;
        let (key, value) = parse_property_line(line).map_err(|e| match e {
            PropertyLineError::NoEquals => SyntaxError::PropertyWithoutEquals,
            PropertyLineError::NoName => SyntaxError::PropertyWithoutName,
        })?;
        let nested = value.is_empty();
        if !is_identifier(key) {
            if let Some(section) = self.label(target) {
                self.warn(WarningKind::InvalidKey { section, key: key.to_owned() });
            }
            self.current = Some(Current { index: None, nested });
            return Ok(());
        }
        let location = self.location();
        let index = self.target_section(target).map(|section| {
            section.insert(key.to_ascii_lowercase(), Value::Simple(value.to_owned()), location)
        });
        self.current = Some(Current { index, nested });
        Ok(())
    }

    fn continuation(&mut self, line: &str) -> Result<(), SyntaxError> {
        let target = self.target.ok_or(SyntaxError::OutsideSection)?;
        let current = self.current.ok_or(SyntaxError::ContinuationWithoutProperty)?;
        let line = trim_ws(line);
        if current.nested {
            parse_property_line(line).map_err(|e| match e {
                PropertyLineError::NoEquals => SyntaxError::SubPropertyWithoutEquals,
                PropertyLineError::NoName => SyntaxError::SubPropertyWithoutName,
            })?;
        }
        let Some(index) = current.index else { return Ok(()) };
        let Some(value) = self.target_section(target).and_then(|s| s.value_mut(index)) else {
            return Ok(());
        };
        if current.nested {
            // Like the SDKs, split the line as written: a `#` after the `=` stays in the value.
            if let Some((sub_key, sub_value)) = line.split_once('=') {
                if !matches!(value, Value::Nested(_)) {
                    *value = Value::Nested(Box::default());
                }
                if let Value::Nested(map) = value {
                    map.insert(trim_ws(sub_key).to_owned(), trim_ws(sub_value).to_owned());
                }
            }
        } else if let Value::Simple(text) = value {
            text.push('\n');
            text.push_str(line);
        }
        Ok(())
    }

    fn finish(mut self) -> ParsedFile {
        if let Some(bare) = self.bare_default.take() {
            if self.prefixed_default {
                for line in std::mem::take(&mut self.bare_default_lines) {
                    self.out.warnings.push(Warning {
                        at: FileLine::new(self.path, line),
                        kind: WarningKind::DefaultShadowed,
                    });
                }
            } else if let Some(section) = self.out.profiles.get_mut(DEFAULT) {
                section.take_properties_from(bare);
            }
        }
        self.out
    }
}

/// The index of section `name` in `map`, created at `location` if new; and whether it was.
fn entry<T: PropertyTable>(map: &mut Map<T>, name: &str, location: Location) -> (usize, bool) {
    match map.entry(name.to_owned()) {
        indexmap::map::Entry::Occupied(entry) => (entry.index(), false),
        indexmap::map::Entry::Vacant(entry) => {
            let index = entry.index();
            entry.insert(T::new_table(name.to_owned(), location));
            (index, true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comments_need_whitespace_before_them_in_values_but_not_in_headers() {
        assert_eq!(strip_comment("name = value # c # d", true), "name = value");
        assert_eq!(strip_comment("name = value#c ;d", true), "name = value#c");
        assert_eq!(strip_comment("name = value;c", true), "name = value;c");
        assert_eq!(strip_comment("[profile foo];c", false), "[profile foo]");
        assert_eq!(strip_comment("name = a\u{a0}#c", true), "name = a\u{a0}");
    }

    #[test]
    fn property_lines_split_at_the_first_equals_sign() {
        assert_eq!(parse_property_line("a = b=c"), Ok(("a", "b=c")));
        assert_eq!(parse_property_line("a="), Ok(("a", "")));
        assert_eq!(parse_property_line("a b"), Err(PropertyLineError::NoEquals));
        assert_eq!(parse_property_line(" \t= b"), Err(PropertyLineError::NoName));
        // The `=` hidden in a comment does not count.
        assert_eq!(parse_property_line("a ; b = c"), Err(PropertyLineError::NoEquals));
    }

    #[test]
    fn section_pairs_split_at_the_first_space_or_tab() {
        let pair = SectionPair::parse("  profile \t foo  ");
        assert_eq!(pair, SectionPair { prefix: Some("profile"), name: "foo" });
        assert_eq!(SectionPair::parse("default"), SectionPair { prefix: None, name: "default" });
        let pair = SectionPair::parse("profile in valid");
        assert_eq!(pair, SectionPair { prefix: Some("profile"), name: "in valid" });
    }

    #[test]
    fn identifiers_are_the_sdk_character_set_and_not_empty() {
        assert!(is_identifier("some-thing:long/the_one%only.foo@bar+"));
        assert!(!is_identifier("foo!bar"));
        assert!(!is_identifier("in valid"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("caf\u{e9}"));
    }
}
