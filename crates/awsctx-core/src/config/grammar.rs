//! The cross-SDK grammar of the shared files (Rust, Java and Go SDKs; not Python's
//! configparser), line by line, as pinned down by `profile-parser-tests.json`:
//!
//! - blank lines and lines starting with `#` or `;` in column 0 are ignored;
//! - a line starting with `[` is a section header; a trailing `#`/`;` comment is cut off;
//! - a line starting with a space or tab continues the property above it (joined with
//!   `\n`), or, when that property's value was empty, holds a sub-property `key = value`;
//! - any other line is `key = value`, split at the first `=`; ` #` / ` ;` (preceded by
//!   whitespace) starts an inline comment, `value#x` keeps its `#`;
//! - section names and keys must match `[A-Za-z0-9_\-/.%@:+]+`, otherwise they are ignored
//!   with a [`Warning`]; keys are lower-cased;
//! - repeated sections merge (last key wins), and `[profile default]` hides `[default]`
//!   (the builder's business: this module reads one line at a time).

use std::fmt;

use super::place::{FileKind, FileLine};

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

/// Space and tab: the only whitespace the grammar trims. (By bytes: this runs on every line
/// of a 10 000-profile file.)
pub(crate) fn trim_ws(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |i| i + 1);
    // Both ends are next to ASCII bytes: character boundaries.
    s.get(start..end).unwrap_or_default()
}

/// Trim `line` and cut a trailing comment. In property lines a `#`/`;` only starts a
/// comment after whitespace; in headers it always does.
pub(crate) fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = trim_ws(line);
    // Headers (a line per profile): the first `#` or `;` cuts, nothing to look back at.
    if !needs_whitespace {
        return match memchr::memchr2(b'#', b';', line.as_bytes()) {
            Some(i) => trim_ws(line.get(..i).unwrap_or_default()),
            None => line,
        };
    }
    let cut = line.bytes().enumerate().position(|(i, b)| {
        (b == b'#' || b == b';')
            && (!needs_whitespace
                || line
                    .get(..i)
                    .and_then(|l| l.chars().next_back())
                    .is_some_and(char::is_whitespace))
    });
    match cut {
        Some(i) => trim_ws(line.get(..i).unwrap_or_default()),
        None => line,
    }
}

/// Why a `key = value` line is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PropertyLineError {
    NoEquals,
    NoName,
}

/// Split a property line into its key (as written, trimmed) and value: the first `=` before
/// an inline comment (what [`strip_comment`] cuts), found in one pass over the line.
pub(crate) fn parse_property_line(line: &str) -> Result<(&str, &str), PropertyLineError> {
    let line = trim_ws(line);
    let bytes = line.as_bytes();
    let mut equals = None;
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'=' if equals.is_none() => equals = Some(i),
            b'#' | b';' if i > 0 && follows_whitespace(line, i) => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let equals = equals.ok_or(PropertyLineError::NoEquals)?;
    let key = trim_ws(line.get(..equals).unwrap_or_default());
    if key.is_empty() {
        return Err(PropertyLineError::NoName);
    }
    Ok((key, trim_ws(line.get(equals + 1..end).unwrap_or_default())))
}

/// A property line of the usual shape, `key = value` with a key of name bytes, read in one
/// pass: its key, value, and whether the key has upper-case letters. `None` for any other
/// shape: [`parse_property_line`] reads those. Gives what it would give wherever it answers.
pub(crate) fn usual_property(line: &str) -> Option<(&str, &str, bool)> {
    let bytes = line.as_bytes();
    let mut upper = false;
    let key_end = bytes.iter().position(|&b| {
        upper |= b.is_ascii_uppercase();
        !is_name_byte(b)
    })?;
    let equals = key_end + bytes.get(key_end..)?.iter().position(|&b| b != b' ' && b != b'\t')?;
    if key_end == 0 || bytes.get(equals) != Some(&b'=') {
        return None;
    }
    // An inline comment: `#` or `;` after whitespace.
    let mut from = equals + 1;
    let end = loop {
        // A plain loop: values are short, too short for `memchr` to pay off.
        let rest = bytes.get(from..).unwrap_or_default();
        match rest.iter().position(|&b| b == b'#' || b == b';') {
            Some(i) if follows_whitespace(line, from + i) => break from + i,
            Some(i) => from += i + 1,
            None => break bytes.len(),
        }
    };
    let key = line.get(..key_end)?;
    Some((key, trim_ws(line.get(equals + 1..end)?), upper))
}

/// Whether the character before byte `i` of `line` is whitespace (Unicode's, as the SDKs).
fn follows_whitespace(line: &str, i: usize) -> bool {
    match line.as_bytes().get(i.wrapping_sub(1)) {
        Some(&b) if b.is_ascii() => char::from(b).is_whitespace(),
        _ => line.get(..i).and_then(|l| l.chars().next_back()).is_some_and(char::is_whitespace),
    }
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
        // By bytes (a header per profile): both separators are ASCII, so both sides are
        // character boundaries.
        let blank = memchr::memchr2(b' ', b'\t', inner.as_bytes());
        match blank.and_then(|i| Some((inner.get(..i)?, inner.get(i + 1..)?))) {
            Some((prefix, name)) => Self { prefix: Some(prefix.trim()), name: name.trim() },
            None => Self { prefix: None, name: inner.trim() },
        }
    }
}

/// Whether `name` is a valid profile name or key: `[A-Za-z0-9_\-/.%@:+]+`.
pub fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_name_byte)
}

/// Whether `b` may be part of a name or key: `[A-Za-z0-9_\-/.%@:+]`.
pub(crate) fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

static NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b: u8 = 0;
    loop {
        table[b as usize] = matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'/' | b'.' | b'%' | b'@' | b':' | b'+');
        if b == u8::MAX {
            break table;
        }
        b += 1;
    }
};

pub(crate) const DEFAULT: &str = "default";
pub(crate) const PROFILE: &str = "profile";
pub(crate) const SSO_SESSION: &str = "sso-session";
pub(crate) const SERVICES: &str = "services";

/// What a section header names, by the section rules of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Class<'a> {
    Profile(&'a str),
    /// `[default]` in the config file: it counts only when there is no `[profile default]`.
    BareDefault(&'a str),
    SsoSession(&'a str),
    Services(&'a str),
    /// Any other prefix: `[plugins x]`, a mistyped `[sso-sesion x]`.
    Other {
        prefix: &'a str,
        name: &'a str,
    },
    /// Not a section the SDKs read, and why.
    Ignored(WarningKind),
}

/// What the header `[inner]` names in `file`.
pub(crate) fn classify(file: FileKind, inner: &str) -> Class<'_> {
    let pair = SectionPair::parse(inner);
    let header = || trim_ws(inner).to_owned();
    match (file, pair.prefix) {
        (FileKind::Config, Some(_)) if !is_identifier(pair.name) => {
            Class::Ignored(WarningKind::InvalidSectionName { header: header() })
        }
        (FileKind::Config, Some(PROFILE)) => Class::Profile(pair.name),
        (FileKind::Config, Some(SSO_SESSION)) => Class::SsoSession(pair.name),
        (FileKind::Config, Some(SERVICES)) => Class::Services(pair.name),
        (FileKind::Config, Some(prefix)) => Class::Other { prefix, name: pair.name },
        (FileKind::Config, None) if pair.name == DEFAULT => Class::BareDefault(pair.name),
        (FileKind::Config, None) => {
            Class::Ignored(WarningKind::SectionWithoutPrefix { name: pair.name.to_owned() })
        }
        (FileKind::Credentials, Some(_)) => {
            Class::Ignored(WarningKind::PrefixInCredentials { header: header() })
        }
        (FileKind::Credentials, None) if is_identifier(pair.name) => Class::Profile(pair.name),
        (FileKind::Credentials, None) => {
            Class::Ignored(WarningKind::InvalidSectionName { header: header() })
        }
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

    proptest::proptest! {
        #[test]
        fn usual_property_lines_read_as_any_other(line in "[aA= #;\t\u{a0}é-]{0,16}") {
            if let Some((key, value, upper)) = usual_property(&line) {
                proptest::prop_assert_eq!(Ok((key, value)), parse_property_line(&line));
                proptest::prop_assert_eq!(upper, key.bytes().any(|b| b.is_ascii_uppercase()));
                proptest::prop_assert!(is_identifier(key));
            }
        }

        #[test]
        fn property_lines_split_like_cutting_the_comment_then_splitting(
            line in "[ a=#;\t\u{a0}\u{2003}é-]{0,16}"
        ) {
            // The definition: cut the comment, then split at the first `=`.
            let cut = strip_comment(&line, true);
            let expected = match cut.split_once('=') {
                None => Err(PropertyLineError::NoEquals),
                Some((key, _)) if trim_ws(key).is_empty() => Err(PropertyLineError::NoName),
                Some((key, value)) => Ok((trim_ws(key), trim_ws(value))),
            };
            proptest::prop_assert_eq!(parse_property_line(&line), expected);
        }
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
