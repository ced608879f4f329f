//! How a [`Config`](super::Config) is stored: spans of the text read (or of one small buffer
//! for the few strings that change), the properties of every section as one run of a single
//! vector, locations packed in 4 bytes, and one table of sections per kind, indexed by name.

use std::hash::BuildHasher;

use super::place::{FileKind, Location, ProfileSource};

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

/// All the text of a `Config`: what was read, and the few strings that had to change.
#[derive(Debug, Default)]
pub(crate) struct Text {
    pub(crate) read: String,
    pub(crate) owned: String,
}

impl Text {
    pub(crate) fn get(&self, span: Span) -> &str {
        resolve(&self.read, &self.owned, span)
    }

    /// Whether `span` holds exactly `s` (the length first: most keys differ in length).
    pub(crate) fn is(&self, span: Span, s: &str) -> bool {
        span.len as usize == s.len() && self.get(span) == s
    }
}

/// What `span` points at in `read` or `owned` (the builder's text before it is a [`Text`]).
pub(crate) fn resolve<'s>(read: &'s str, owned: &'s str, span: Span) -> &'s str {
    let (text, start) = if span.start & Span::OWNED == 0 {
        (read, span.start)
    } else {
        (owned, span.start & !Span::OWNED)
    };
    let start = start as usize;
    // Spans are made by the parser from this very text: a miss would be a bug, not input.
    text.get(start..start + span.len as usize).unwrap_or_default()
}

/// Indices and offsets fit in `u32`: the text is at most [`Span::MAX`] bytes.
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
/// the top bit of `len` set, a [`Run`] of `Config::sub_properties`.
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
    /// Its run of `Config::properties`: keys unique, in the order they first appear.
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

    pub(crate) fn get(&self, text: &Text, name: &str) -> Option<&SectionData> {
        self.sections.get(self.find(text, name)? as usize)
    }
}

/// The hash of a section name in a [`Table`]. Fixed, fast, not flooding-proof: the files are
/// the user's own.
pub(crate) fn hash_name(name: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(name)
}
