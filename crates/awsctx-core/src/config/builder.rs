//! Reads the lines of the shared files, by the rules of [`grammar`](super::grammar), into
//! the sections and properties of a [`Config`]. [`Config::load`] feeds a [`Builder`] both
//! files whole; [`Config::load_profile`] feeds the same builder only the sections that one
//! profile needs. A section is read the same way in both: that is what keeps them equal.

use super::ConfigError;
use super::grammar::{
    Class, DEFAULT, PROFILE, PropertyLineError, SERVICES, SSO_SESSION, SyntaxError, Warning,
    WarningKind, classify, is_identifier, parse_header, parse_property_line, trim_ws,
    usual_property,
};
use super::location::ConfigPaths;
use super::model::{Config, Scope};
use super::place::{FileKind, FileLine, Location, ProfileSource};
use super::store::{
    PackedLocation, Property, Reading, Run, SectionData, Span, Stored, StoredValue, SubProperty,
    Table, Text, hash_name, resolve, to_u32,
};

/// One piece of text to read: a whole file, or (for one profile) one of its sections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub(crate) file: FileKind,
    /// Byte offsets in the builder's text.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// The line number of its first line in its file.
    pub(crate) first_line: usize,
}

/// The four kinds of section, and the index of their table in [`Builder::tables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Profile = 0,
    SsoSession = 1,
    Services = 2,
    Other = 3,
}

/// Where the properties of the current section go.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// `bare`: a `[default]` of the config file, whose properties count only when the file
    /// has no `[profile default]` (known at its end).
    Section { kind: Kind, index: u32, bare: bool },
    /// An ignored section: its lines are still checked for syntax, like the SDKs do.
    Ignored,
}

/// The property that continuation lines extend.
#[derive(Debug, Clone, Copy)]
struct Current {
    /// Its index in [`Builder::properties`]; `None` when the key or section was ignored.
    slot: Option<u32>,
    /// The value was empty: continuation lines are sub-properties.
    nested: bool,
}

/// The section being read: its header's properties start at `start`.
#[derive(Debug, Clone, Copy)]
struct Open {
    kind: Kind,
    index: u32,
    bare: bool,
    start: u32,
}

/// One header's run of properties, for a section read from more than one header.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    kind: Kind,
    index: u32,
    run: Run,
    bare: bool,
}

/// Above this many keys, a section's keys are found through a hash table, not a scan: time
/// stays linear in a section with thousands of them.
const SCAN_LIMIT: usize = 16;

/// Finds a key among the properties of the section (or nested value) being read.
#[derive(Debug, Default)]
struct KeyIndex(Option<hashbrown::HashTable<u32>>);

impl KeyIndex {
    /// The index in `start..end` whose key (by `key_at`) is `key`; `same(i)` says whether
    /// index `i` has it (cheaper than comparing what `key_at` gives).
    fn find<'k>(
        &mut self,
        start: usize,
        end: usize,
        key: &str,
        same: impl Fn(usize) -> bool,
        key_at: impl Fn(usize) -> &'k str,
    ) -> Option<usize> {
        if self.0.is_none() && end - start <= SCAN_LIMIT {
            return (start..end).find(|&i| same(i));
        }
        let table = self.0.get_or_insert_with(|| {
            let mut table = hashbrown::HashTable::with_capacity(end - start);
            for i in start..end {
                let hash = hash_name(key_at(i));
                if table.find(hash, |&j: &u32| key_at(j as usize) == key_at(i)).is_none() {
                    table.insert_unique(hash, to_u32(i), |&j| hash_name(key_at(j as usize)));
                }
            }
            table
        });
        table.find(hash_name(key), |&i| key_at(i as usize) == key).map(|&i| i as usize)
    }

    /// `index` now holds `key`.
    fn added<'k>(&mut self, index: usize, key: &str, key_at: impl Fn(usize) -> &'k str) {
        if let Some(table) = &mut self.0 {
            table.insert_unique(hash_name(key), to_u32(index), |&j| hash_name(key_at(j as usize)));
        }
    }

    fn clear(&mut self) {
        self.0 = None;
    }
}

/// Reads segments of text into sections and properties. Fed a whole file it is the parser of
/// the SDKs; fed some sections of a file it reads them exactly as it would within the file.
pub(crate) struct Builder<'t> {
    read: &'t str,
    paths: &'t ConfigPaths,
    owned: String,
    properties: Vec<Property>,
    sub_properties: Vec<SubProperty>,
    tables: [Table; 4],
    occurrences: Vec<Occurrence>,
    warnings: Vec<Warning>,
    file: FileKind,
    line: usize,
    target: Option<Target>,
    open: Option<Open>,
    current: Option<Current>,
    keys: KeyIndex,
    sub_keys: KeyIndex,
    prefixed_default: bool,
    bare_default_lines: Vec<usize>,
    config_done: bool,
}

/// What a [`Builder`] made, without the text it read.
pub(crate) struct Parts {
    owned: String,
    properties: Vec<Property>,
    sub_properties: Vec<SubProperty>,
    tables: [Table; 4],
    warnings: Vec<Warning>,
}

impl Parts {
    pub(crate) fn into_config(self, read: String, paths: ConfigPaths, scope: Scope) -> Config {
        let [profiles, sso_sessions, services, other_sections] = self.tables;
        Config {
            paths,
            text: Text { read, owned: self.owned },
            properties: self.properties,
            sub_properties: self.sub_properties,
            profiles,
            sso_sessions,
            services,
            other_sections,
            warnings: self.warnings,
            scope,
        }
    }
}

impl<'t> Builder<'t> {
    /// A builder over `read`, the text every segment is a part of (at most [`Span::MAX`] bytes).
    pub(crate) fn new(read: &'t str, paths: &'t ConfigPaths) -> Self {
        // Sized once from what a quick count says: at most a property per line, a section
        // per `[`. Growing them would copy megabytes of a big config.
        let lines = memchr::memchr_iter(b'\n', read.as_bytes()).count() + 1;
        let mut tables: [Table; 4] = Default::default();
        let profiles = &mut tables[Kind::Profile as usize];
        profiles.sections = Vec::with_capacity(memchr::memchr_iter(b'[', read.as_bytes()).count());
        profiles.index.reserve(profiles.sections.capacity(), |_| 0);
        Self {
            read,
            paths,
            owned: String::new(),
            properties: Vec::with_capacity(lines),
            sub_properties: Vec::new(),
            tables,
            occurrences: Vec::new(),
            warnings: Vec::new(),
            file: FileKind::Config,
            line: 0,
            target: None,
            open: None,
            current: None,
            keys: KeyIndex::default(),
            sub_keys: KeyIndex::default(),
            prefixed_default: false,
            bare_default_lines: Vec::new(),
            config_done: false,
        }
    }

    /// Read one segment. The config file's segments come first, each file's in file order.
    pub(crate) fn feed(&mut self, segment: Segment) -> Result<(), ConfigError> {
        if segment.file == FileKind::Credentials {
            self.end_config();
        }
        self.file = segment.file;
        self.target = None;
        self.current = None;
        let text = self.read.get(segment.start..segment.end).unwrap_or_default();
        let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
        let mut start = 0;
        for (index, end) in ends.enumerate() {
            // `\n` is ASCII: both ends are character boundaries.
            let line = text.get(start..end).unwrap_or_default();
            start = end + 1;
            self.line = segment.first_line + index;
            let line = line.strip_suffix('\r').unwrap_or(line);
            self.read_line(line).map_err(|kind| ConfigError::Syntax {
                at: FileLine::new(self.paths.path(self.file), self.line),
                kind,
            })?;
        }
        self.close();
        Ok(())
    }

    fn read_line(&mut self, line: &'t str) -> Result<(), SyntaxError> {
        match line.as_bytes().first() {
            None | Some(b'#' | b';') => Ok(()),
            Some(b'[') => {
                let inner = parse_header(line)?;
                self.section(inner);
                Ok(())
            }
            Some(b' ' | b'\t') if trim_ws(line).is_empty() => Ok(()),
            Some(b' ' | b'\t') => self.continuation(line),
            Some(_) => self.property(line),
        }
    }

    fn location(&self) -> Location {
        Location { file: self.file, line: self.line }
    }

    fn warn(&mut self, kind: WarningKind) {
        self.warnings
            .push(Warning { at: FileLine::new(self.paths.path(self.file), self.line), kind });
    }

    /// A span of `s`, a slice of the text read.
    fn span(&self, s: &str) -> Span {
        let start = (s.as_ptr() as usize).saturating_sub(self.read.as_ptr() as usize);
        Span { start: to_u32(start), len: to_u32(s.len()) }
    }

    /// A span of `s` copied into the owned text.
    fn own(&mut self, s: &str) -> Span {
        let start = self.owned.len();
        self.owned.push_str(s);
        Span { start: to_u32(start) | Span::OWNED, len: to_u32(s.len()) }
    }

    /// Start reading the section `[inner]`.
    fn section(&mut self, inner: &'t str) {
        self.close();
        self.current = None;
        let location = self.location();
        let target = match classify(self.file, inner) {
            Class::Ignored(kind) => {
                self.warn(kind);
                Target::Ignored
            }
            Class::Profile(name) => {
                let (index, created) = self.entry(Kind::Profile, name, false, location);
                if self.file == FileKind::Config && name == DEFAULT && !self.prefixed_default {
                    self.prefixed_default = true;
                    // The entry may have been opened by `[default]`: point at this header.
                    if !created
                        && let Some(section) =
                            self.tables[Kind::Profile as usize].sections.get_mut(index as usize)
                    {
                        section.header = PackedLocation::pack(location);
                    }
                }
                Target::Section { kind: Kind::Profile, index, bare: false }
            }
            Class::BareDefault(name) => {
                // Keep the profile's place in file order; whether its properties count is
                // known at the end of the file.
                let (index, _) = self.entry(Kind::Profile, name, false, location);
                self.bare_default_lines.push(self.line);
                Target::Section { kind: Kind::Profile, index, bare: true }
            }
            Class::SsoSession(name) => {
                let (index, _) = self.entry(Kind::SsoSession, name, false, location);
                Target::Section { kind: Kind::SsoSession, index, bare: false }
            }
            Class::Services(name) => {
                let (index, _) = self.entry(Kind::Services, name, false, location);
                Target::Section { kind: Kind::Services, index, bare: false }
            }
            Class::Other { prefix, name } => {
                let key = format!("{prefix} {name}");
                let (index, _) = self.entry(Kind::Other, &key, true, location);
                Target::Section { kind: Kind::Other, index, bare: false }
            }
        };
        self.target = Some(target);
        if let Target::Section { kind, index, bare } = target {
            let section = &mut self.tables[kind as usize].sections[index as usize];
            if section.source == ProfileSource::Config && self.file == FileKind::Credentials {
                section.source = ProfileSource::Both;
            }
            self.open = Some(Open { kind, index, bare, start: to_u32(self.properties.len()) });
        }
    }

    /// The index of section `name` of `kind`, created at `location` if new; and whether it
    /// was. `copy`: `name` is not a slice of the text read, so keep a copy of it.
    fn entry(&mut self, kind: Kind, name: &str, copy: bool, location: Location) -> (u32, bool) {
        let hash = hash_name(name);
        let table = &self.tables[kind as usize];
        let (read, text) = (self.read, self.owned.as_str());
        let found = table.index.find(hash, |&i| {
            table.sections.get(i as usize).is_some_and(|s| resolve(read, text, s.name) == name)
        });
        if let Some(&index) = found {
            return (index, false);
        }
        let span = if copy { self.own(name) } else { self.span(name) };
        let (read, text) = (self.read, self.owned.as_str());
        let Table { sections, index: lookup } = &mut self.tables[kind as usize];
        let index = to_u32(sections.len());
        sections.push(SectionData {
            name: span,
            header: PackedLocation::pack(location),
            properties: Run::default(),
            source: match self.file {
                FileKind::Config => ProfileSource::Config,
                FileKind::Credentials => ProfileSource::Credentials,
            },
            reading: Reading::default(),
        });
        lookup.insert_unique(hash, index, |&i| {
            hash_name(sections.get(i as usize).map_or("", |s| resolve(read, text, s.name)))
        });
        (index, true)
    }

    /// The header of the current section as the user would write it, for warnings.
    fn label(&self, target: Target) -> Option<String> {
        let Target::Section { kind, index, bare } = target else { return None };
        let section = self.tables[kind as usize].sections.get(index as usize)?;
        let name = resolve(self.read, &self.owned, section.name);
        Some(match (self.file, kind, bare) {
            (FileKind::Config, Kind::Profile, false) => format!("{PROFILE} {name}"),
            (FileKind::Config, Kind::SsoSession, _) => format!("{SSO_SESSION} {name}"),
            (FileKind::Config, Kind::Services, _) => format!("{SERVICES} {name}"),
            _ => name.to_owned(),
        })
    }

    fn property(&mut self, line: &'t str) -> Result<(), SyntaxError> {
        let target = self.target.ok_or(SyntaxError::OutsideSection)?;
        // The usual shape gives a key already checked; any other is checked here.
        let (key, value, upper, checked) = if let Some((key, value, upper)) = usual_property(line) {
            (key, value, upper, true)
        } else {
            let (key, value) = parse_property_line(line).map_err(|e| match e {
                PropertyLineError::NoEquals => SyntaxError::PropertyWithoutEquals,
                PropertyLineError::NoName => SyntaxError::PropertyWithoutName,
            })?;
            (key, value, key.bytes().any(|b| b.is_ascii_uppercase()), false)
        };
        let nested = value.is_empty();
        self.sub_keys.clear();
        if !checked && !is_identifier(key) {
            if let Some(section) = self.label(target) {
                self.warn(WarningKind::InvalidKey { section, key: key.to_owned() });
            }
            self.current = Some(Current { slot: None, nested });
            return Ok(());
        }
        let Some(open) = self.open.filter(|_| matches!(target, Target::Section { .. })) else {
            self.current = Some(Current { slot: None, nested });
            return Ok(());
        };
        let key = if upper { self.own(&key.to_ascii_lowercase()) } else { self.span(key) };
        let property = Property {
            key,
            value: StoredValue::simple(self.span(value)),
            at: PackedLocation::pack(self.location()),
        };
        let slot = self.set(open.start as usize, property);
        self.current = Some(Current { slot: Some(to_u32(slot)), nested });
        Ok(())
    }

    /// Set a property of the open section: a key already there keeps its place.
    fn set(&mut self, start: usize, property: Property) -> usize {
        if start == self.properties.len() {
            // The section's first key: nothing to compare with.
            self.properties.push(property);
            return start;
        }
        let (read, owned) = (self.read, self.owned.as_str());
        let properties = &self.properties;
        let key_at = |i: usize| properties.get(i).map_or("", |p| resolve(read, owned, p.key));
        let key = resolve(read, owned, property.key);
        let len = property.key.len;
        let same =
            |i: usize| properties.get(i).is_some_and(|p| p.key.len == len) && key_at(i) == key;
        if let Some(slot) = self.keys.find(start, properties.len(), key, same, key_at) {
            if let Some(old) = self.properties.get_mut(slot) {
                old.value = property.value;
                old.at = property.at;
            }
            return slot;
        }
        self.properties.push(property);
        let properties = &self.properties;
        let key_at = |i: usize| properties.get(i).map_or("", |p| resolve(read, owned, p.key));
        self.keys.added(properties.len() - 1, key, key_at);
        properties.len() - 1
    }

    fn continuation(&mut self, line: &'t str) -> Result<(), SyntaxError> {
        self.target.ok_or(SyntaxError::OutsideSection)?;
        let current = self.current.ok_or(SyntaxError::ContinuationWithoutProperty)?;
        let line = trim_ws(line);
        if current.nested {
            parse_property_line(line).map_err(|e| match e {
                PropertyLineError::NoEquals => SyntaxError::SubPropertyWithoutEquals,
                PropertyLineError::NoName => SyntaxError::SubPropertyWithoutName,
            })?;
        }
        let Some(slot) = current.slot.map(|s| s as usize) else { return Ok(()) };
        let Some(value) = self.properties.get(slot).map(|p| p.value) else { return Ok(()) };
        if current.nested {
            // Like the SDKs, split the line as written: a `#` after the `=` stays in the value.
            if let Some((sub_key, sub_value)) = line.split_once('=') {
                let sub = SubProperty {
                    key: self.span(trim_ws(sub_key)),
                    value: self.span(trim_ws(sub_value)),
                };
                let run = self.add_sub_property(value, sub);
                if let Some(property) = self.properties.get_mut(slot) {
                    property.value = StoredValue::nested(run);
                }
            }
        } else if let Stored::Simple(span) = value.get() {
            let joined = self.join(span, line);
            if let Some(property) = self.properties.get_mut(slot) {
                property.value = StoredValue::simple(joined);
            }
        }
        Ok(())
    }

    /// `value`'s sub-properties with `sub` set (a key already there keeps its place).
    fn add_sub_property(&mut self, value: StoredValue, sub: SubProperty) -> Run {
        let mut run = match value.get() {
            Stored::Nested(run) => run,
            Stored::Simple(_) => {
                self.sub_keys.clear();
                Run { start: to_u32(self.sub_properties.len()), len: 0 }
            }
        };
        // A nested value grows at the end of the vector, line after line.
        if run.range().end != self.sub_properties.len() {
            let start = self.sub_properties.len();
            self.sub_properties.extend_from_within(run.range());
            run.start = to_u32(start);
            self.sub_keys.clear();
        }
        let (read, owned) = (self.read, self.owned.as_str());
        let subs = &self.sub_properties;
        let key_at = |i: usize| subs.get(i).map_or("", |s| resolve(read, owned, s.key));
        let key = resolve(read, owned, sub.key);
        let range = run.range();
        let same = |i: usize| key_at(i) == key;
        if let Some(i) = self.sub_keys.find(range.start, range.end, key, same, key_at) {
            if let Some(old) = self.sub_properties.get_mut(i) {
                old.value = sub.value;
            }
            return run;
        }
        self.sub_properties.push(sub);
        let subs = &self.sub_properties;
        let key_at = |i: usize| subs.get(i).map_or("", |s| resolve(read, owned, s.key));
        self.sub_keys.added(subs.len() - 1, key, key_at);
        run.len += 1;
        run
    }

    /// `span` + `\n` + `line`, in the owned text.
    fn join(&mut self, span: Span, line: &str) -> Span {
        let at_end = span.start & Span::OWNED != 0
            && (span.start & !Span::OWNED) as usize + span.len as usize == self.owned.len();
        let span = if at_end {
            span
        } else {
            let value = resolve(self.read, &self.owned, span).to_owned();
            self.own(&value)
        };
        self.owned.push('\n');
        self.owned.push_str(line);
        Span { start: span.start, len: span.len + to_u32(line.len()) + 1 }
    }

    /// The current header's properties are complete.
    fn close(&mut self) {
        let Some(open) = self.open.take() else { return };
        self.keys.clear();
        let run = Run { start: open.start, len: to_u32(self.properties.len()) - open.start };
        let section = &mut self.tables[open.kind as usize].sections[open.index as usize];
        let reading = &mut section.reading;
        if !open.bare && !reading.scattered && !reading.has_run {
            section.properties = run;
            reading.has_run = true;
            return;
        }
        if !reading.scattered {
            reading.scattered = true;
            if reading.has_run {
                let first = section.properties;
                let first =
                    Occurrence { kind: open.kind, index: open.index, run: first, bare: false };
                self.occurrences.push(first);
            }
        }
        self.occurrences.push(Occurrence {
            kind: open.kind,
            index: open.index,
            run,
            bare: open.bare,
        });
    }

    /// The end of the config file: `[default]` is either shadowed or counts.
    fn end_config(&mut self) {
        if self.config_done {
            return;
        }
        self.config_done = true;
        self.close();
        if self.prefixed_default {
            for line in std::mem::take(&mut self.bare_default_lines) {
                let at = FileLine::new(&self.paths.config, line);
                self.warnings.push(Warning { at, kind: WarningKind::DefaultShadowed });
            }
        }
    }

    /// Merge sections read from more than one header (in order: later keys win, each key
    /// keeps its first place) and hand over the result.
    pub(crate) fn finish(mut self) -> Parts {
        self.end_config();
        self.close();
        let mut occurrences = std::mem::take(&mut self.occurrences);
        occurrences.sort_by_key(|o| (o.kind, o.index));
        for group in occurrences.chunk_by(|a, b| (a.kind, a.index) == (b.kind, b.index)) {
            let start = self.properties.len();
            self.keys.clear();
            for occurrence in group {
                if occurrence.bare && self.prefixed_default {
                    continue;
                }
                for i in occurrence.run.range() {
                    if let Some(&property) = self.properties.get(i) {
                        self.set(start, property);
                    }
                }
            }
            if let Some(first) = group.first() {
                let run = Run { start: to_u32(start), len: to_u32(self.properties.len() - start) };
                self.tables[first.kind as usize].sections[first.index as usize].properties = run;
            }
        }
        Parts {
            owned: self.owned,
            properties: self.properties,
            sub_properties: self.sub_properties,
            tables: self.tables,
            warnings: self.warnings,
        }
    }
}
