//! The section headers of the shared files, found without reading every line: how
//! [`Config::load_profile`] reads only the sections one profile needs, and how
//! [`profile_names`] lists profiles for tab-completion.
//!
//! A file is walked in blocks of 64 KiB, so a big file costs no big allocation, and nothing
//! is kept per header but what the walk is for. In each block the headers are found by
//! `memchr` for `[` at the start of a line; a header of the usual shape (`[profile name]`,
//! `[name]`, with spaces or a trailing comment) is recognised byte by byte, any other is
//! parsed by the full rules. Every header and the lines before the first one are checked as a
//! full parse checks them; the other lines of a section only when it is read. Sections are
//! read back from the same open file, at the offsets the walk found.

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::Path;

use super::builder::{Builder, Segment};
use super::grammar::{Class, SyntaxError, classify, is_name_byte, parse_header, trim_ws};
use super::location::ConfigPaths;
use super::model::{Config, OpenFiles, Scope};
use super::parse::too_large;
use super::place::{FileKind, FileLine};
use super::store::{Span, to_u32};
use super::{ConfigError, MAX_FILE_BYTES};

/// The size of a block read at a time.
const BLOCK: usize = 64 * 1024;

/// How far apart the places are whose line number is kept: a section read later counts the
/// lines of at most this much text before it.
const CHECKPOINT: usize = 4096;

/// How many times [`Config::load_profile`] follows references (`source_profile`,
/// `sso_session`, `services`) before it reads the whole files instead: a chain this long is
/// not one anybody writes, and time must not grow with chain length × file size.
const MAX_ROUNDS: usize = 16;

impl Config {
    /// Read what profile `name` needs: its sections in both files (merged by the same rules
    /// as [`Config::load`]), the profiles of its `source_profile` chain, and the
    /// `[sso-session]` and `[services]` sections they name. Every header is read, so
    /// [`Config::has_profile`] still knows the other profiles (by walking the files again).
    /// The other lines of sections not read are not checked: a broken line elsewhere is found
    /// by [`Config::load`].
    pub fn load_profile(paths: &ConfigPaths, name: &str) -> Result<Self, ConfigError> {
        let mut files = [
            Walked::open(&paths.config, FileKind::Config)?,
            Walked::open(&paths.credentials, FileKind::Credentials)?,
        ];
        let mut wanted = Wanted { profiles: vec![name.to_owned()], ..Wanted::default() };
        let mut found = Vec::new();
        let mut walked_for = 0;
        for _ in 0..MAX_ROUNDS {
            if wanted.profiles.len() > walked_for {
                // The profiles found so far name others: walk again for all of them. The first
                // walk also keeps every `[sso-session]` and `[services]` header (a few, and
                // one of them is usually named next).
                found.clear();
                for (file, path) in files.iter_mut().zip([&paths.config, &paths.credentials]) {
                    file.find(path, &wanted, &mut found)?;
                }
                walked_for = wanted.profiles.len();
            }
            let mut read = String::new();
            let mut segments = Vec::new();
            for section in found.iter().filter(|f| wanted.wants(f.kind, &f.name)) {
                let file = &files[usize::from(section.file == FileKind::Credentials)];
                let path = paths.path(section.file);
                file.read_section(path, section, &mut read, &mut segments)?;
            }
            let parts = {
                let mut builder = Builder::new(&read, paths);
                for segment in segments {
                    builder.feed(segment)?;
                }
                builder.finish()
            };
            let config = parts.into_config(read, paths.clone(), Scope::Whole);
            if !wanted.add_references(&config) {
                let [config_file, credentials_file] = files;
                let files = OpenFiles([config_file.file, credentials_file.file]);
                return Ok(Config {
                    scope: Scope::Profiles { wanted: wanted.profiles, files },
                    ..config
                });
            }
        }
        Self::load(paths)
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
}

/// The names of the profiles the files define that start with `prefix`, in file order, each
/// once: from the section headers alone (only they are checked).
pub fn profile_names(paths: &ConfigPaths, prefix: &str) -> Result<Vec<String>, ConfigError> {
    let mut names = Vec::new();
    for (path, kind) in
        [(&paths.config, FileKind::Config), (&paths.credentials, FileKind::Credentials)]
    {
        Walked::open(path, kind)?.walk(path, |met| {
            if met.kind == HeaderKind::Profile && met.name.starts_with(prefix.as_bytes()) {
                names.push(met.name.to_vec());
            }
        })?;
    }
    Ok(distinct(names))
}

/// `names` each once, in order (names are checked identifiers, or came from a `&str`).
fn distinct(names: Vec<Vec<u8>>) -> Vec<String> {
    let mut seen = hashbrown::HashSet::with_hasher(foldhash::fast::FixedState::default());
    names
        .into_iter()
        .filter_map(|n| String::from_utf8(n).ok())
        .filter(|n| seen.insert(n.clone()))
        .collect()
}

impl OpenFiles {
    /// Whether profile `name` has a header in the files (walked again; a file that cannot be
    /// walked again now says no).
    pub(crate) fn has_profile(&self, paths: &ConfigPaths, name: &str) -> bool {
        let mut found = false;
        self.each_profile_header(paths, |met| found |= met == name.as_bytes());
        found
    }

    /// Every profile name in the files, in file order, each once.
    pub(crate) fn profile_names(&self, paths: &ConfigPaths) -> Vec<String> {
        let mut names = Vec::new();
        self.each_profile_header(paths, |met| names.push(met.to_vec()));
        distinct(names)
    }

    /// The name of every profile header in both files, walked again from the start.
    fn each_profile_header(&self, paths: &ConfigPaths, mut each: impl FnMut(&[u8])) {
        for (file, kind) in self.0.iter().zip([FileKind::Config, FileKind::Credentials]) {
            let walked = Walked {
                kind,
                file: file.as_ref().and_then(|f| f.try_clone().ok()),
                len: 0,
                checkpoints: Vec::new(),
            };
            let _ = walked.walk_only(paths.path(kind), |met| {
                if met.kind == HeaderKind::Profile {
                    each(met.name);
                }
            });
        }
    }
}

/// The sections one profile needs, as found so far.
#[derive(Debug, Default)]
struct Wanted {
    profiles: Vec<String>,
    sso_sessions: Vec<String>,
    services: Vec<String>,
}

impl Wanted {
    /// Add what the profiles of `config` refer to; whether anything was new.
    fn add_references(&mut self, config: &Config) -> bool {
        let mut added = false;
        let mut add = |list: &mut Vec<String>, name: Option<&str>| {
            if let Some(name) = name.filter(|n| !n.is_empty())
                && !list.iter().any(|w| w == name)
            {
                list.push(name.to_owned());
                added = true;
            }
        };
        for profile in config.profiles() {
            add(&mut self.profiles, profile.get("source_profile"));
            add(&mut self.sso_sessions, profile.get("sso_session"));
            add(&mut self.services, profile.get("services"));
        }
        added
    }

    fn wants(&self, kind: HeaderKind, name: &[u8]) -> bool {
        let list = match kind {
            HeaderKind::Profile => &self.profiles,
            HeaderKind::SsoSession => &self.sso_sessions,
            HeaderKind::Services => &self.services,
            HeaderKind::Other => return false,
        };
        list.iter().any(|w| w.as_bytes() == name)
    }
}

/// What a header names, as far as finding sections goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderKind {
    /// `[profile NAME]` or `[default]` in the config file, `[NAME]` in the credentials file.
    Profile,
    SsoSession,
    Services,
    /// Another prefix, or a section the SDKs ignore.
    Other,
}

/// A header as a walk meets it.
struct Met<'b> {
    offset: u32,
    kind: HeaderKind,
    name: &'b [u8],
}

/// A section to read: where its header is and where the next one starts.
#[derive(Debug)]
struct Found {
    file: FileKind,
    kind: HeaderKind,
    name: Vec<u8>,
    offset: u32,
    end: u32,
}

/// One of the files, open, and what its first walk learned.
#[derive(Debug)]
struct Walked {
    kind: FileKind,
    /// `None`: there is no such file (it counts as empty).
    file: Option<File>,
    len: u32,
    /// Offsets every [`CHECKPOINT`] bytes, with the line number there: where lines of a
    /// section read later are counted from.
    checkpoints: Vec<(u32, u32)>,
}

impl Walked {
    fn open(path: &Path, kind: FileKind) -> Result<Self, ConfigError> {
        let read_error = |source| ConfigError::Read { path: path.to_owned(), source };
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self { kind, file: None, len: 0, checkpoints: Vec::new() });
            }
            Err(source) => return Err(read_error(source)),
        };
        // The size is only a hint (a device says 0): the cap is checked as blocks come too.
        if file.metadata().map_err(read_error)?.len() > MAX_FILE_BYTES {
            return Err(too_large(path));
        }
        Ok(Self { kind, file: Some(file), len: 0, checkpoints: Vec::new() })
    }

    /// Walk the file and add to `found` the sections `wanted` names, and every
    /// `[sso-session]` and `[services]`.
    fn find(
        &mut self,
        path: &Path,
        wanted: &Wanted,
        found: &mut Vec<Found>,
    ) -> Result<(), ConfigError> {
        let kind = self.kind;
        let mut open: Option<usize> = None;
        let len = self.walk(path, |met| {
            if let Some(i) = open.take()
                && let Some(section) = found.get_mut(i)
            {
                section.end = met.offset;
            }
            let keep = match met.kind {
                HeaderKind::Profile => wanted.wants(HeaderKind::Profile, met.name),
                HeaderKind::SsoSession | HeaderKind::Services => true,
                HeaderKind::Other => false,
            };
            if keep {
                open = Some(found.len());
                found.push(Found {
                    file: kind,
                    kind: met.kind,
                    name: met.name.to_vec(),
                    offset: met.offset,
                    end: met.offset,
                });
            }
        })?;
        if let Some(section) = open.and_then(|i| found.get_mut(i)) {
            section.end = len;
        }
        Ok(())
    }

    /// Walk the file from its start, checking every header and the lines before the first,
    /// and show `meet` each header. The first walk keeps the file's length and checkpoints.
    /// Returns the length.
    fn walk(&mut self, path: &Path, meet: impl FnMut(Met<'_>)) -> Result<u32, ConfigError> {
        let first = self.checkpoints.is_empty();
        let mut checkpoints = Vec::new();
        let len = self.walk_with(path, meet, first.then_some(&mut checkpoints))?;
        if first {
            self.checkpoints = checkpoints;
            self.len = len;
        }
        Ok(len)
    }

    /// [`Walked::walk`] without keeping anything.
    fn walk_only(&self, path: &Path, meet: impl FnMut(Met<'_>)) -> Result<u32, ConfigError> {
        self.walk_with(path, meet, None)
    }

    fn walk_with(
        &self,
        path: &Path,
        mut meet: impl FnMut(Met<'_>),
        mut checkpoints: Option<&mut Vec<(u32, u32)>>,
    ) -> Result<u32, ConfigError> {
        let Some(file) = &self.file else { return Ok(0) };
        let read_error = |source| ConfigError::Read { path: path.to_owned(), source };
        let mut buffer = vec![0; BLOCK];
        let (mut filled, mut offset, mut line) = (0, 0_usize, 1_usize);
        let mut in_preamble = true;
        loop {
            if filled == buffer.len() {
                // A line longer than the buffer.
                buffer.resize(buffer.len() * 2, 0);
            }
            let n = match file.read_at(&mut buffer[filled..], (offset + filled) as u64) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(read_error(source)),
            };
            filled += n;
            // Also for a file with no line end at all (`/dev/zero`): the buffer never outgrows it.
            if (offset + filled) as u64 > MAX_FILE_BYTES {
                return Err(too_large(path));
            }
            let end = if n == 0 {
                filled
            } else {
                // Whole lines only; the rest waits for the next block.
                match memchr::memrchr(b'\n', &buffer[..filled]) {
                    Some(i) => i + 1,
                    None => continue,
                }
            };
            let block = &buffer[..end];
            self.read_block(block, offset, line, &mut in_preamble, path, &mut meet)?;
            for (i, piece) in block.chunks(CHECKPOINT).enumerate() {
                if let Some(checkpoints) = checkpoints.as_deref_mut() {
                    checkpoints.push((to_u32(offset + i * CHECKPOINT), to_u32(line)));
                }
                line += memchr::memchr_iter(b'\n', piece).count();
            }
            offset += end;
            buffer.copy_within(end..filled, 0);
            filled -= end;
            if n == 0 {
                return Ok(to_u32(offset));
            }
        }
    }

    /// The headers of `block` (whole lines at `offset`, the first numbered `line`), and the
    /// lines before the file's first header.
    fn read_block(
        &self,
        block: &[u8],
        offset: usize,
        line: usize,
        in_preamble: &mut bool,
        path: &Path,
        meet: &mut impl FnMut(Met<'_>),
    ) -> Result<(), ConfigError> {
        // A header is a `[` at the start of a line; `[` is rare elsewhere.
        let mut starts = memchr::memchr_iter(b'[', block)
            .filter(|&i| i == 0 || block.get(i - 1) == Some(&b'\n'));
        let line_at = |at: usize| {
            line + memchr::memchr_iter(b'\n', block.get(..at).unwrap_or_default()).count()
        };
        let error =
            |at: usize, kind| ConfigError::Syntax { at: FileLine::new(path, line_at(at)), kind };
        let first = starts.next();
        if *in_preamble {
            let preamble = block.get(..first.unwrap_or(block.len())).unwrap_or_default();
            check_preamble(preamble).map_err(|(at, problem)| match problem {
                Some(kind) => error(at, kind),
                None => ConfigError::NotUtf8 { at: FileLine::new(path, line_at(at)) },
            })?;
            *in_preamble = first.is_none();
        }
        for start in first.into_iter().chain(starts) {
            let rest = block.get(start..).unwrap_or_default();
            let (kind, name) = if let Some(found) = usual_header(rest, self.kind) {
                found
            } else {
                let text = rest.get(..memchr::memchr(b'\n', rest).unwrap_or(rest.len()));
                let text = text.unwrap_or_default();
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                let text = std::str::from_utf8(text).map_err(|_| ConfigError::NotUtf8 {
                    at: FileLine::new(path, line_at(start)),
                })?;
                let inner = parse_header(text).map_err(|kind| error(start, kind))?;
                match classify(self.kind, inner) {
                    Class::Profile(name) | Class::BareDefault(name) => {
                        (HeaderKind::Profile, name.as_bytes())
                    }
                    Class::SsoSession(name) => (HeaderKind::SsoSession, name.as_bytes()),
                    Class::Services(name) => (HeaderKind::Services, name.as_bytes()),
                    Class::Other { .. } | Class::Ignored(_) => (HeaderKind::Other, &[][..]),
                }
            };
            meet(Met { offset: to_u32(offset + start), kind, name });
        }
        Ok(())
    }

    /// Append section `found` of this file to `read`, as a segment with its first line's number.
    fn read_section(
        &self,
        path: &Path,
        found: &Found,
        read: &mut String,
        segments: &mut Vec<Segment>,
    ) -> Result<(), ConfigError> {
        let Some(file) = &self.file else { return Ok(()) };
        let read_error = |source| ConfigError::Read { path: path.to_owned(), source };
        // Lines are counted from the checkpoint before the header: read from there.
        let at = self.checkpoints.partition_point(|&(start, _)| start <= found.offset);
        let (from, from_line) =
            self.checkpoints.get(at.saturating_sub(1)).copied().unwrap_or((0, 1));
        let mut bytes = vec![0; (found.end - from) as usize];
        file.read_exact_at(&mut bytes, u64::from(from)).map_err(read_error)?;
        let before = (found.offset - from) as usize;
        let counted = bytes.get(..before).unwrap_or_default();
        let first_line = from_line as usize + memchr::memchr_iter(b'\n', counted).count();
        let section = bytes.get(before..).unwrap_or_default();
        let text = std::str::from_utf8(section).map_err(|e| {
            let valid = section.get(..e.valid_up_to()).unwrap_or_default();
            let line = first_line + memchr::memchr_iter(b'\n', valid).count();
            ConfigError::NotUtf8 { at: FileLine::new(path, line) }
        })?;
        if read.len() + text.len() > Span::MAX {
            return Err(too_large(path));
        }
        let start = read.len();
        read.push_str(text);
        segments.push(Segment { file: self.kind, start, end: read.len(), first_line });
        Ok(())
    }
}

/// The lines before a file's first header may only be blank or comments: the error and the
/// offset of the first that is not (`None`: not UTF-8).
fn check_preamble(text: &[u8]) -> Result<(), (usize, Option<SyntaxError>)> {
    let mut at = 0;
    for raw in text.split(|&b| b == b'\n') {
        let Ok(line) = std::str::from_utf8(raw) else { return Err((at, None)) };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if !(trim_ws(line).is_empty() || line.starts_with(['#', ';'])) {
            return Err((at, Some(SyntaxError::OutsideSection)));
        }
        at += raw.len() + 1;
    }
    Ok(())
}

/// What a header of the usual shape names: `[` name-or-prefix (spaces name) `]`, spaces and
/// tabs anywhere between, then the end of the line or a comment. `rest` runs from the `[` to
/// the end of the block; only the header's own bytes are looked at. `None` for any other
/// shape: those go through the full rules. Must agree with [`classify`] wherever it answers.
fn usual_header(rest: &[u8], file: FileKind) -> Option<(HeaderKind, &[u8])> {
    let spaces = |s: &[u8]| s.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(s.len());
    let word = |s: &[u8]| s.iter().position(|&b| !is_name_byte(b)).unwrap_or(s.len());
    let line_ends = |s: &[u8]| matches!(s, [] | [b'\n', ..] | [b'\r'] | [b'\r', b'\n', ..]);
    // Most headers are written by tools, exactly `[profile NAME]`: the short way first.
    if file == FileKind::Config
        && let Some(after) = rest.strip_prefix(b"[profile ")
    {
        let (name, s) = after.split_at(word(after));
        if let [b']', s @ ..] = s
            && !name.is_empty()
            && line_ends(s)
        {
            return Some((HeaderKind::Profile, name));
        }
    }
    let s = rest.get(1..)?;
    let s = s.get(spaces(s)..)?;
    let (first, s) = s.split_at(word(s));
    let gap = spaces(s);
    let (prefix, name, s) = match s.get(gap..)? {
        _ if first.is_empty() => return None,
        [b']', after @ ..] => (None, first, after),
        after if gap > 0 => {
            let (second, s) = after.split_at(word(after));
            match s.get(spaces(s)..)? {
                [b']', after @ ..] if !second.is_empty() => (Some(first), second, after),
                _ => return None,
            }
        }
        _ => return None,
    };
    // After the `]`: the end of the line (a `\r` before it is cut, as from every line), or
    // a comment.
    match s.get(spaces(s)..)? {
        [b'#' | b';', ..] => {}
        s if line_ends(s) => {}
        _ => return None,
    }
    let kind = match (file, prefix) {
        (FileKind::Config, Some(b"sso-session")) => HeaderKind::SsoSession,
        (FileKind::Config, Some(b"services")) => HeaderKind::Services,
        (FileKind::Config, Some(b"profile")) | (FileKind::Credentials, None) => HeaderKind::Profile,
        (FileKind::Config, None) if name == b"default" => HeaderKind::Profile,
        _ => HeaderKind::Other,
    };
    Some((kind, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(line: &str, file: FileKind) -> Option<(HeaderKind, String)> {
        let inner = parse_header(line).ok()?;
        Some(match classify(file, inner) {
            Class::Profile(n) | Class::BareDefault(n) => (HeaderKind::Profile, n.to_owned()),
            Class::SsoSession(n) => (HeaderKind::SsoSession, n.to_owned()),
            Class::Services(n) => (HeaderKind::Services, n.to_owned()),
            Class::Other { .. } | Class::Ignored(_) => (HeaderKind::Other, String::new()),
        })
    }

    #[test]
    fn usual_headers_are_read_as_the_full_rules_read_them() {
        let lines = [
            "[profile a]",
            "[ profile\ta ] # c",
            "[profile  a];c",
            "[default]",
            "[ default ]",
            "[sso-session corp]",
            "[services s3]",
            "[plugins x]",
            "[foo]",
            "[profile a b]",
            "[profile a]x",
            "[profile a]]",
            "[profile]",
            "[]",
            "[ ]",
            "[profile a # b]",
            "[profile \u{a0}a]",
            "[profile a\u{b}]",
            "[a]",
            "[profile default]",
            "[profile a;b]",
        ];
        for line in lines {
            for file in [FileKind::Config, FileKind::Credentials] {
                let rest = format!("{line}\nnext line");
                if let Some((kind, name)) = usual_header(rest.as_bytes(), file) {
                    let name = std::str::from_utf8(name).unwrap().to_owned();
                    let name = if kind == HeaderKind::Other { String::new() } else { name };
                    assert_eq!(Some((kind, name)), full(line, file), "{line:?} in {file}");
                }
            }
        }
        assert!(usual_header(b"[profile a]x", FileKind::Config).is_none());
        assert!(usual_header(b"[profile \xc2\xa0a]", FileKind::Config).is_none());
        assert!(usual_header(b"[profile a]\r \n", FileKind::Config).is_none());
        assert!(usual_header(b"[profile a]\r", FileKind::Config).is_some());
        assert!(usual_header(b"[profile a] \r\n[b]", FileKind::Config).is_some());
    }
}
