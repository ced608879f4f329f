//! A line-preserving editor for the shared files, in the manner of the AWS CLI's
//! `ConfigFileWriter`: a key is rewritten in place as `key = value` or inserted after the
//! last property of its section, a new section goes at the end of the file. Every line that
//! an edit does not concern keeps its exact bytes: comments, blank lines, order, odd spacing,
//! CRLF endings, a missing final newline.
//!
//! Lines are read by the same rules as `grammar`, so that what is edited is
//! what the SDKs see (an indented line belongs to the property above it, `[profile default]`
//! hides `[default]`, repeated sections merge). `populate` owns *managed blocks* (see
//! [`managed`]): the profile sections between `# BEGIN awsctx managed: ID` and
//! `# END awsctx managed: ID`, of which it owns the headers and the keys it writes, nothing
//! else. What can be refused is in `error`.

mod error;
mod managed;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::error::EditError;
pub use self::managed::ManagedProfile;
use super::ConfigError;
use super::grammar::{self, SectionPair, is_identifier, parse_header, parse_property_line};
use crate::file::{FileLock, resolve_symlinks, write_atomic_with_backup};

/// How long [`ConfigDocument::save`] waits for another writer.
const LOCK_DEADLINE: Duration = Duration::from_secs(10);

/// A section to edit, named as the user would name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionName {
    /// `[default]` (or `[profile default]` where the file has one; it takes priority).
    Default,
    /// `[profile NAME]` in the config file.
    Profile(String),
    /// `[sso-session NAME]`.
    SsoSession(String),
    /// `[services NAME]`.
    Services(String),
    /// `[NAME]` in the credentials file.
    Credentials(String),
}

impl SectionName {
    /// The header line as the AWS CLI writes it, e.g. `[profile prod]`; a name with a space
    /// or tab is quoted like Python's `shlex.quote`.
    pub fn header(&self) -> String {
        match self.prefix_and_name() {
            (Some(prefix), name) => format!("[{prefix} {}]", quote(name)),
            (None, name) => format!("[{}]", quote(name)),
        }
    }

    fn prefix_and_name(&self) -> (Option<&'static str>, &str) {
        match self {
            Self::Default => (None, "default"),
            Self::Profile(name) if name == "default" => (None, "default"),
            Self::Profile(name) => (Some("profile"), name),
            Self::SsoSession(name) => (Some("sso-session"), name),
            Self::Services(name) => (Some("services"), name),
            Self::Credentials(name) => (None, name),
        }
    }

    fn is_default(&self) -> bool {
        matches!(self, Self::Default) || matches!(self, Self::Profile(name) if name == "default")
    }

    /// Whether a header (split by the parser's rules) names this section. For the default
    /// profile, both `[default]` and `[profile default]` do.
    fn matches(&self, pair: &SectionPair<'_>) -> bool {
        if self.is_default() {
            return pair.name == "default" && matches!(pair.prefix, None | Some("profile"));
        }
        let (prefix, name) = self.prefix_and_name();
        pair.prefix == prefix && pair.name == quote(name)
    }

    fn check(&self) -> Result<(), EditError> {
        let (_, name) = self.prefix_and_name();
        if name.trim().is_empty() || name.contains(['\n', '\r', '[', ']', '#', ';']) {
            return Err(EditError::InvalidSectionName { name: name.to_owned() });
        }
        Ok(())
    }
}

impl fmt::Display for SectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header())
    }
}

fn quote(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains([' ', '\t']) {
        format!("'{}'", name.replace('\'', "'\"'\"'")).into()
    } else {
        name.into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    None,
    Lf,
    CrLf,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Lf => "\n",
            Self::CrLf => "\r\n",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    ending: Ending,
}

/// What a line is to the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LineKind<'a> {
    /// Blank, or a comment in column 0.
    Ignored,
    /// A header; `None` when it does not parse.
    Header(Option<SectionPair<'a>>),
    /// `key = value`, with the key lower-cased; `None` when the line has no key.
    Property(Option<String>),
    /// An indented line.
    Continuation,
}

/// Classify a line's text as the parser sees it: the parser drops one `\r` before each
/// `\n`, and one at the very end of the file (a last line without `\n`).
fn classify(text: &str, ending: Ending) -> LineKind<'_> {
    let text = if ending == Ending::None { text.strip_suffix('\r').unwrap_or(text) } else { text };
    if grammar::trim_ws(text).is_empty() || text.starts_with(['#', ';']) {
        LineKind::Ignored
    } else if text.starts_with('[') {
        LineKind::Header(parse_header(text).ok().map(SectionPair::parse))
    } else if text.starts_with([' ', '\t']) {
        LineKind::Continuation
    } else {
        LineKind::Property(parse_property_line(text).ok().map(|(k, _)| k.to_ascii_lowercase()))
    }
}

/// A section of the document: its header line and the lines up to the next header.
#[derive(Debug)]
struct SectionSpan {
    header: usize,
    /// The last property (or continuation) line, or the header when there is none.
    last_content: usize,
    properties: Vec<PropertySpan>,
    /// `[profile default]` (as opposed to `[default]`).
    prefixed_default: bool,
}

/// A property: its key line and its continuation lines (`start..=end`).
#[derive(Debug)]
struct PropertySpan {
    key: Option<String>,
    start: usize,
    end: usize,
}

/// A shared file as lines, each kept with its exact ending, ready to be edited in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDocument {
    lines: Vec<Line>,
    /// The text this document was read from, to notice a concurrent change on save.
    original: String,
}

impl ConfigDocument {
    /// Split `text` into lines, keeping every byte.
    pub fn parse(text: &str) -> Self {
        let mut lines = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find('\n') {
            let line = &rest[..i];
            let (text, ending) = match line.strip_suffix('\r') {
                Some(text) => (text, Ending::CrLf),
                None => (line, Ending::Lf),
            };
            lines.push(Line { text: text.to_owned(), ending });
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() {
            lines.push(Line { text: rest.to_owned(), ending: Ending::None });
        }
        Self { lines, original: text.to_owned() }
    }

    /// Read `path` (a missing file is an empty document).
    pub fn load(path: &Path) -> Result<Self, EditError> {
        let bytes = read_bytes(path)?;
        let text =
            String::from_utf8(bytes).map_err(|_| EditError::NotUtf8 { path: path.to_owned() })?;
        Ok(Self::parse(&text))
    }

    /// The document's text, as it would be saved.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.original.len() + 64);
        for line in &self.lines {
            out.push_str(&line.text);
            out.push_str(line.ending.as_str());
        }
        out
    }

    /// Whether the document has a section named `section`.
    pub fn has_section(&self, section: &SectionName) -> bool {
        !self.sections_named(section, false).is_empty()
    }

    /// Set `key = value` in `section`: the (last) line that sets `key` is rewritten in place
    /// (its continuation lines dropped); otherwise a line is inserted after the section's last
    /// property; a missing section is appended at the end of the file.
    pub fn set(&mut self, section: &SectionName, key: &str, value: &str) -> Result<(), EditError> {
        section.check()?;
        check_key(key)?;
        check_value(key, value)?;
        let line = if value.is_empty() { format!("{key} =") } else { format!("{key} = {value}") };
        self.set_lines(section, key, vec![line])
    }

    /// Set `key` to sub-properties, written as `key =` followed by `    sub = value` lines.
    pub fn set_nested(
        &mut self,
        section: &SectionName,
        key: &str,
        sub_properties: &[(&str, &str)],
    ) -> Result<(), EditError> {
        section.check()?;
        check_key(key)?;
        let mut lines = vec![format!("{key} =")];
        for &(sub_key, sub_value) in sub_properties {
            if grammar::trim_ws(sub_key).is_empty()
                || sub_key != grammar::trim_ws(sub_key)
                || sub_key.contains(['=', '\n', '\r', '#', ';'])
            {
                return Err(EditError::InvalidSubKey { key: sub_key.to_owned() });
            }
            check_value(sub_key, sub_value)?;
            lines.push(format!("    {sub_key} = {sub_value}"));
        }
        self.set_lines(section, key, lines)
    }

    fn set_lines(
        &mut self,
        section: &SectionName,
        key: &str,
        lines: Vec<String>,
    ) -> Result<(), EditError> {
        let key = key.to_ascii_lowercase();
        let spans = self.sections_named(section, true);
        let Some(last_span) = spans.last() else {
            let mut new = vec![section.header()];
            new.extend(lines);
            self.append(new);
            return Ok(());
        };
        let existing = spans
            .iter()
            .flat_map(|s| &s.properties)
            .rfind(|p| p.key.as_deref() == Some(key.as_str()));
        if let Some(property) = existing {
            let (start, end) = (property.start, property.end);
            self.check_no_marker(start, end)?;
            let ending = self.lines[end].ending;
            let mut new = self.new_lines(lines);
            if let Some(last) = new.last_mut() {
                last.ending = ending;
            }
            self.lines.splice(start..=end, new);
        } else {
            let at = last_span.last_content;
            self.insert_after(at, lines);
        }
        Ok(())
    }

    /// Remove every line setting `key` in `section`, with its continuation lines. Returns
    /// whether anything was removed.
    pub fn remove(&mut self, section: &SectionName, key: &str) -> Result<bool, EditError> {
        let key = key.to_ascii_lowercase();
        let ranges: Vec<(usize, usize)> = self
            .sections_named(section, true)
            .iter()
            .flat_map(|s| &s.properties)
            .filter(|p| p.key.as_deref() == Some(key.as_str()))
            .map(|p| (p.start, p.end))
            .collect();
        self.remove_ranges(&ranges)
    }

    /// Append `section` with `properties` at the end of the file. It must not exist yet.
    pub fn add_section(
        &mut self,
        section: &SectionName,
        properties: &[(&str, &str)],
    ) -> Result<(), EditError> {
        section.check()?;
        if self.has_section(section) {
            return Err(EditError::SectionExists { section: section.header() });
        }
        let mut lines = vec![section.header()];
        for &(key, value) in properties {
            check_key(key)?;
            check_value(key, value)?;
            lines.push(if value.is_empty() {
                format!("{key} =")
            } else {
                format!("{key} = {value}")
            });
        }
        self.append(lines);
        Ok(())
    }

    /// Remove `section` (every header that names it, for the default profile both forms):
    /// its header, properties and the comments between them. Comments and blank lines after
    /// its last property stay. Returns whether anything was removed.
    pub fn remove_section(&mut self, section: &SectionName) -> Result<bool, EditError> {
        let ranges: Vec<(usize, usize)> = self
            .sections_named(section, false)
            .iter()
            .map(|s| (s.header, s.last_content))
            .collect();
        self.remove_ranges(&ranges)
    }

    /// Remove managed block `id`: its markers and every line between them. Returns whether it
    /// existed.
    pub fn remove_managed_block(&mut self, id: &str) -> Result<bool, EditError> {
        let Some((begin, end)) = self.find_block(id)? else { return Ok(false) };
        self.lines.drain(begin..=end);
        Ok(true)
    }

    /// Write the document to `path`: under an exclusive lock on `.<name>.awsctx.lock` beside
    /// it, check that the file still holds what this document was read from (a concurrent
    /// change is an error, never overwritten), then replace it atomically, keeping the
    /// previous version as `<path>.awsctx.bak`. A symlinked file is written through the link;
    /// a file the user cannot write (read-only, another user's) is an error, left as it was.
    pub fn save(&self, path: &Path) -> Result<(), EditError> {
        let _lock = FileLock::acquire_beside(&lock_path(path), LOCK_DEADLINE, |_| {})?;
        let text = self.text();
        let current = read_bytes(path)?;
        if current == text.as_bytes() {
            return Ok(());
        }
        if current != self.original.as_bytes() {
            return Err(EditError::ChangedOnDisk { path: path.to_owned() });
        }
        write_atomic_with_backup(path, &Self::backup_path(path), text.as_bytes(), 0o600)?;
        Ok(())
    }

    /// Where [`ConfigDocument::save`] keeps the previous version of `path`.
    pub fn backup_path(path: &Path) -> PathBuf {
        let mut backup = path.as_os_str().to_owned();
        backup.push(".awsctx.bak");
        PathBuf::from(backup)
    }

    /// The line ending most lines use; LF when there is a tie or none.
    fn dominant_ending(&self) -> Ending {
        let crlf = self.lines.iter().filter(|l| l.ending == Ending::CrLf).count();
        let lf = self.lines.iter().filter(|l| l.ending == Ending::Lf).count();
        if crlf > lf { Ending::CrLf } else { Ending::Lf }
    }

    fn new_lines(&self, texts: Vec<String>) -> Vec<Line> {
        let ending = self.dominant_ending();
        texts.into_iter().map(|text| Line { text, ending }).collect()
    }

    /// Give the last line an ending if it has none, so that lines can follow it.
    fn end_last_line(&mut self) {
        let ending = self.dominant_ending();
        if let Some(last) = self.lines.last_mut()
            && last.ending == Ending::None
        {
            last.ending = ending;
        }
    }

    fn append(&mut self, texts: Vec<String>) {
        self.end_last_line();
        let new = self.new_lines(texts);
        self.lines.extend(new);
    }

    fn insert_after(&mut self, index: usize, texts: Vec<String>) {
        if self.lines[index].ending == Ending::None {
            self.lines[index].ending = self.dominant_ending();
        }
        let new = self.new_lines(texts);
        self.lines.splice(index + 1..=index, new);
    }

    /// Remove the line ranges `start..=end` (disjoint).
    fn remove_ranges(&mut self, ranges: &[(usize, usize)]) -> Result<bool, EditError> {
        for &(start, end) in ranges {
            self.check_no_marker(start, end)?;
        }
        let mut ranges = ranges.to_vec();
        ranges.sort_unstable();
        for &(start, end) in ranges.iter().rev() {
            self.lines.drain(start..=end);
        }
        Ok(!ranges.is_empty())
    }

    fn check_no_marker(&self, start: usize, end: usize) -> Result<(), EditError> {
        match (start..=end).find(|&i| is_marker(&self.lines[i].text)) {
            Some(i) => Err(EditError::EditCrossesMarker { line: i + 1 }),
            None => Ok(()),
        }
    }

    /// The sections named `name`. With `effective`, only those the SDKs read: when the file
    /// has `[profile default]`, `[default]` is left out.
    fn sections_named(&self, name: &SectionName, effective: bool) -> Vec<SectionSpan> {
        let mut spans: Vec<SectionSpan> = Vec::new();
        let mut current: Option<SectionSpan> = None;
        for (i, line) in self.lines.iter().enumerate() {
            match classify(&line.text, line.ending) {
                LineKind::Ignored => {}
                LineKind::Header(pair) => {
                    spans.extend(current.take());
                    current = pair.filter(|p| name.matches(p)).map(|p| SectionSpan {
                        header: i,
                        last_content: i,
                        properties: Vec::new(),
                        prefixed_default: p.prefix.is_some() && name.is_default(),
                    });
                }
                LineKind::Property(key) => {
                    if let Some(span) = current.as_mut() {
                        span.properties.push(PropertySpan { key, start: i, end: i });
                        span.last_content = i;
                    }
                }
                LineKind::Continuation => {
                    if let Some(span) = current.as_mut() {
                        span.last_content = i;
                        if let Some(property) = span.properties.last_mut() {
                            property.end = i;
                        }
                    }
                }
            }
        }
        spans.extend(current);
        if effective && spans.iter().any(|s| s.prefixed_default) {
            spans.retain(|s| s.prefixed_default);
        }
        spans
    }

    /// The marker lines of block `id`, checked: one `BEGIN`, then one `END`.
    fn find_block(&self, id: &str) -> Result<Option<(usize, usize)>, EditError> {
        check_block_id(id)?;
        let (begin_marker, end_marker) = markers(id);
        let mut begin = None;
        let mut end = None;
        for (i, line) in self.lines.iter().enumerate() {
            let text = line.text.trim_end();
            if text == begin_marker {
                if begin.is_some() {
                    return Err(EditError::ManagedBlockDuplicated {
                        id: id.to_owned(),
                        line: i + 1,
                    });
                }
                begin = Some(i);
            } else if text == end_marker {
                if begin.is_none() || end.is_some() {
                    return Err(EditError::ManagedBlockEndWithoutBegin {
                        id: id.to_owned(),
                        line: i + 1,
                    });
                }
                end = Some(i);
            }
        }
        match (begin, end) {
            (Some(begin), Some(end)) => Ok(Some((begin, end))),
            (Some(begin), None) => {
                Err(EditError::ManagedBlockUnterminated { id: id.to_owned(), line: begin + 1 })
            }
            _ => Ok(None),
        }
    }
}

const BEGIN_MARKER: &str = "# BEGIN awsctx managed: ";
const END_MARKER: &str = "# END awsctx managed: ";

fn markers(id: &str) -> (String, String) {
    (format!("{BEGIN_MARKER}{id}"), format!("{END_MARKER}{id}"))
}

fn is_marker(text: &str) -> bool {
    text.starts_with(BEGIN_MARKER) || text.starts_with(END_MARKER)
}

fn check_block_id(id: &str) -> Result<(), EditError> {
    if id.is_empty() || id.trim() != id || id.contains(['\n', '\r']) {
        return Err(EditError::InvalidBlockId { id: id.to_owned() });
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), EditError> {
    if is_identifier(key) { Ok(()) } else { Err(EditError::InvalidKey { key: key.to_owned() }) }
}

/// A value must read back as written.
fn check_value(key: &str, value: &str) -> Result<(), EditError> {
    if value.contains(['\n', '\r']) {
        return Err(EditError::ValueHasLineBreak { key: key.to_owned() });
    }
    if grammar::trim_ws(value) != value {
        return Err(EditError::ValueHasOuterWhitespace { key: key.to_owned() });
    }
    // `key = #x` would read as `key =` plus a comment.
    if value.starts_with(['#', ';']) || grammar::strip_comment(value, true) != value {
        return Err(EditError::ValueHasInlineComment { key: key.to_owned() });
    }
    Ok(())
}

fn lock_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(|| "config".into(), |n| n.to_string_lossy());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    dir.join(format!(".{name}.awsctx.lock"))
}

/// The bytes at `path` (through symlinks); a missing file is empty.
fn read_bytes(path: &Path) -> Result<Vec<u8>, EditError> {
    match super::read_config_file(&resolve_symlinks(path)) {
        Ok(bytes) => Ok(bytes.unwrap_or_default()),
        Err(super::ReadError::TooLarge) => {
            Err(ConfigError::TooLarge { path: path.to_owned() }.into())
        }
        Err(super::ReadError::Io(source)) => {
            Err(ConfigError::Read { path: path.to_owned(), source }.into())
        }
    }
}
