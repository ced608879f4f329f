//! The section headers of the shared files, found without reading every line: how
//! [`Config::load_profile`] reads only the sections one profile needs, and how
//! [`profile_names`] lists profiles for tab-completion.
//!
//! A file is read in blocks of 64 KiB, so a big file costs no big allocation. In each block
//! the header lines are found by searching for `\n[`; a header of the usual shape
//! (`[profile name]`, `[name]`, with spaces or a trailing comment) is recognised byte by byte,
//! any other is parsed by the full rules. Every header and the lines before the first one are
//! checked as a full parse checks them; the other lines of a section only when it is read.
//! Sections are then read from the same open file, at the offsets the index gives.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::location::ConfigPaths;
use super::model::{Config, FileKind, FileLine, ProfileNames, Scope, Span};
use super::parse::{
    Builder, Class, Segment, SyntaxError, classify, is_name_byte, parse_header, too_large, trim_ws,
};
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
    /// `[sso-session]` and `[services]` sections they name. Of every other profile only the
    /// header is read, so [`Config::has_profile`] still knows it. The lines of sections
    /// not read are not checked: a broken line elsewhere is found by [`Config::load`].
    pub fn load_profile(paths: &ConfigPaths, name: &str) -> Result<Self, ConfigError> {
        let files = [
            FileIndex::scan(&paths.config, FileKind::Config)?,
            FileIndex::scan(&paths.credentials, FileKind::Credentials)?,
        ];
        let mut wanted = Wanted { profiles: vec![name.to_owned()], ..Wanted::default() };
        for _ in 0..MAX_ROUNDS {
            let mut read = String::new();
            let mut segments = Vec::new();
            for (file, path) in files.iter().zip([&paths.config, &paths.credentials]) {
                file.read_wanted(&wanted, path, &mut read, &mut segments)?;
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
                let mut names = config_file.profiles;
                for name in credentials_file.profiles.iter() {
                    names.push(name);
                }
                return Ok(Config {
                    scope: Scope::Profiles { wanted: wanted.profiles, names },
                    ..config
                });
            }
        }
        Self::load(paths)
    }
}

/// The names of the profiles the files define that start with `prefix`, in file order, each
/// once: from the section headers alone (only they are checked).
pub fn profile_names(paths: &ConfigPaths, prefix: &str) -> Result<Vec<String>, ConfigError> {
    let mut seen = hashbrown::HashSet::with_hasher(foldhash::fast::FixedState::default());
    let mut out = Vec::new();
    for (path, file) in
        [(&paths.config, FileKind::Config), (&paths.credentials, FileKind::Credentials)]
    {
        let index = FileIndex::scan(path, file)?;
        let matching = index.profiles.iter().filter(|n| n.starts_with(prefix.as_bytes()));
        // Names are checked identifiers (ASCII) or came from a `&str`: valid UTF-8.
        for name in matching.filter_map(|n| std::str::from_utf8(n).ok()) {
            if seen.insert(name.to_owned()) {
                out.push(name.to_owned());
            }
        }
    }
    Ok(out)
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

    /// Each wanted section as the index finds it: kind, hash of the name, name.
    fn keys(&self) -> Vec<(HeaderKind, u32, &str)> {
        let lists = [
            (HeaderKind::Profile, &self.profiles),
            (HeaderKind::SsoSession, &self.sso_sessions),
            (HeaderKind::Services, &self.services),
        ];
        lists
            .into_iter()
            .flat_map(|(kind, names)| {
                names.iter().map(move |n| (kind, name_hash(n.as_bytes()), n.as_str()))
            })
            .collect()
    }
}

/// A short hash of a section name, to compare thousands of headers with a few names fast.
fn name_hash(name: &[u8]) -> u32 {
    use std::hash::BuildHasher;
    // Half of it: a match is confirmed by comparing the names.
    let hash = foldhash::fast::FixedState::with_seed(0x5eed).hash_one(name);
    u32::try_from(hash >> 32).unwrap_or_default()
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

/// A header line: where it starts and what it names.
#[derive(Debug, Clone, Copy)]
struct Header {
    offset: u32,
    kind: HeaderKind,
    /// [`name_hash`] of the name.
    hash: u32,
    /// `start..end` of the name in [`FileIndex::profiles`] (profiles) or
    /// [`FileIndex::other_names`] (the others).
    name: (u32, u32),
}

/// Every header of one file, and the file, still open, to read sections from.
#[derive(Debug)]
struct FileIndex {
    kind: FileKind,
    file: Option<File>,
    len: u32,
    headers: Vec<Header>,
    profiles: ProfileNames,
    /// The names of the `[sso-session]` and `[services]` headers, one after the other.
    other_names: Vec<u8>,
    /// Offsets every [`CHECKPOINT`] bytes, with the line number there: where lines of a
    /// section read later are counted from.
    checkpoints: Vec<(u32, u32)>,
}

impl FileIndex {
    /// Read `path` block by block: its headers, checked, with what they name. A missing file
    /// is empty.
    fn scan(path: &Path, kind: FileKind) -> Result<Self, ConfigError> {
        let read_error = |source| ConfigError::Read { path: path.to_owned(), source };
        let mut index = Self {
            kind,
            file: None,
            len: 0,
            headers: Vec::new(),
            profiles: ProfileNames::default(),
            other_names: Vec::new(),
            checkpoints: Vec::new(),
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(index),
            Err(source) => return Err(read_error(source)),
        };
        // The size is only a hint (a device says 0): the cap is checked as blocks come too.
        let size = file.metadata().map_err(read_error)?.len();
        if size > MAX_FILE_BYTES {
            return Err(too_large(path));
        }
        {
            // Sized once for a file of the usual shape (a section per 100 bytes or more).
            let len = usize::try_from(size).unwrap_or(0);
            index.headers.reserve(len / 100);
            index.profiles.text.reserve(len / 8);
            index.profiles.ends.reserve(len / 100);
        }
        let mut buffer = vec![0; BLOCK];
        let (mut filled, mut offset, mut line) = (0, 0_usize, 1_usize);
        let mut in_preamble = true;
        loop {
            if filled == buffer.len() {
                // A line longer than the buffer.
                buffer.resize(buffer.len() * 2, 0);
            }
            let n = match file.read(&mut buffer[filled..]) {
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
            if (offset + end) as u64 > MAX_FILE_BYTES {
                return Err(too_large(path));
            }
            let block = &buffer[..end];
            index.read_block(block, offset, line, &mut in_preamble, path)?;
            for (i, piece) in block.chunks(CHECKPOINT).enumerate() {
                index.checkpoints.push((to_u32(offset + i * CHECKPOINT), to_u32(line)));
                line += memchr::memchr_iter(b'\n', piece).count();
            }
            offset += end;
            buffer.copy_within(end..filled, 0);
            filled -= end;
            if n == 0 {
                break;
            }
        }
        index.len = to_u32(offset);
        index.file = Some(file);
        Ok(index)
    }

    /// The headers of `block` (whole lines at `offset`, the first numbered `line`), and the
    /// lines before the file's first header.
    fn read_block(
        &mut self,
        block: &[u8],
        offset: usize,
        line: usize,
        in_preamble: &mut bool,
        path: &Path,
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
            let range = if kind == HeaderKind::Profile {
                let start = self.profiles.text.len();
                self.profiles.push(name);
                (to_u32(start), to_u32(self.profiles.text.len()))
            } else {
                let start = self.other_names.len();
                self.other_names.extend_from_slice(name);
                (to_u32(start), to_u32(self.other_names.len()))
            };
            let header =
                Header { offset: to_u32(offset + start), kind, hash: name_hash(name), name: range };
            self.headers.push(header);
        }
        Ok(())
    }

    fn name(&self, header: &Header) -> &[u8] {
        let text = match header.kind {
            HeaderKind::Profile => &self.profiles.text,
            _ => &self.other_names,
        };
        text.get(header.name.0 as usize..header.name.1 as usize).unwrap_or_default()
    }

    /// Append the sections `wanted` names to `read`, each as a segment, in file order.
    fn read_wanted(
        &self,
        wanted: &Wanted,
        path: &Path,
        read: &mut String,
        segments: &mut Vec<Segment>,
    ) -> Result<(), ConfigError> {
        let Some(file) = &self.file else { return Ok(()) };
        let mut file = file;
        let read_error = |source| ConfigError::Read { path: path.to_owned(), source };
        let keys = wanted.keys();
        for (i, header) in self.headers.iter().enumerate() {
            let wants = |&(kind, hash, name): &(HeaderKind, u32, &str)| {
                kind == header.kind && hash == header.hash && name.as_bytes() == self.name(header)
            };
            if !keys.iter().any(wants) {
                continue;
            }
            let end = self.headers.get(i + 1).map_or(self.len, |next| next.offset);
            // Lines are counted from the checkpoint before the header: read from there.
            let at = self.checkpoints.partition_point(|&(start, _)| start <= header.offset);
            let (from, from_line) =
                self.checkpoints.get(at.saturating_sub(1)).copied().unwrap_or((0, 1));
            let mut bytes = vec![0; (end - from) as usize];
            file.seek(SeekFrom::Start(u64::from(from))).map_err(read_error)?;
            file.read_exact(&mut bytes).map_err(read_error)?;
            let before = (header.offset - from) as usize;
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
        }
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

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
