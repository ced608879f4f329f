//! Untrusted text on its way to a terminal: directory names, file contents, server answers.
//!
//! A terminal interprets control characters, so anything awsctx did not write itself is shown
//! through [`Untrusted`] (or [`escape`]): C0 and C1 controls, DEL and the Unicode bidi
//! overrides and isolates become visible `\u{…}` escapes (tab and newline too, since every
//! message is one line), and the result is cut to a bound so a hostile value cannot flood the
//! screen.
//!
//! The binary also passes every whole line it prints through [`escape_line`] (nothing cut:
//! the untrusted parts in it were cut already), so a value that missed its [`Untrusted`]
//! still cannot reach the terminal raw; and JSON it prints through [`escape_json`].

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// The most characters of one untrusted value a message shows; the rest becomes `…`.
pub const MAX_SHOWN: usize = 200;

/// Whether `c` must not reach a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c,
            '\u{200E}' | '\u{200F}'                 // LRM, RLM
            | '\u{202A}'..='\u{202E}'               // embeddings and overrides
            | '\u{2066}'..='\u{2069}'               // isolates
            | '\u{061C}'                            // Arabic letter mark
            | '\u{2028}' | '\u{2029}') // line and paragraph separators
}

/// `text` with every unsafe character escaped and at most [`MAX_SHOWN`] characters kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    let fits = text.len() <= MAX_SHOWN || text.chars().count() <= MAX_SHOWN;
    if fits && is_safe(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(Untrusted(text).to_string())
}

/// Whether `text` holds no unsafe character: a fast scan of its bytes first, by character
/// only when that finds a candidate.
fn is_safe(text: &str) -> bool {
    !may_be_unsafe(text.as_bytes(), true) || !text.chars().any(is_unsafe)
}

/// Eight `1` bytes and eight `0x80` bytes, for the byte-wise tests of [`may_be_unsafe`].
const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Nonzero when a byte of `word` is below `limit` (at most 0x80). A borrow can mark a byte
/// above a true one, never one alone: the answer to "any?" is exact.
fn any_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(LOW * u64::from(limit)) & !word & HIGH
}

/// Nonzero when a byte of `word` is `byte`.
fn any_equal(word: u64, byte: u8) -> u64 {
    any_below(word ^ (LOW * u64::from(byte)), 1)
}

/// Whether `bytes` may hold an unsafe character: a C0 byte (when `c0`), DEL, or the first
/// byte of a C1 character (0xC2), of U+061C (0xD8) or of one in U+2000–U+2FFF (0xE2). Eight
/// bytes at a time: `list` prints megabytes that almost never hold one (measured: 5× faster
/// than testing each character).
fn may_be_unsafe(bytes: &[u8], c0: bool) -> bool {
    let lead = |byte: u8| (c0 && byte < 0x20) || matches!(byte, 0x7f | 0xc2 | 0xd8 | 0xe2);
    let (words, rest) = bytes.as_chunks::<8>();
    words.iter().any(|word| {
        let word = u64::from_ne_bytes(*word);
        let controls = if c0 { any_below(word, 0x20) } else { 0 };
        controls
            | any_equal(word, 0x7f)
            | any_equal(word, 0xc2)
            | any_equal(word, 0xd8)
            | any_equal(word, 0xe2)
            != 0
    }) || rest.iter().copied().any(lead)
}

/// `line` with every unsafe character escaped as [`Untrusted`] does, but nothing cut: for a
/// whole line awsctx composed, the last guard before the terminal. Text without unsafe
/// characters (every line awsctx writes itself) is borrowed unchanged.
pub fn escape_line(line: &str) -> Cow<'_, str> {
    if is_safe(line) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// `serde_json`'s output with every unsafe character written as a JSON `\uXXXX` escape: the
/// same data for `jq` and every parser, but nothing a terminal acts on. `serde_json` escapes
/// C0 inside strings itself, and outside them writes only spaces and newlines; DEL, C1 and
/// the bidi controls it leaves raw can only be inside strings, and all of them are in the
/// Basic Multilingual Plane, so one `\uXXXX` each is exact. The newlines stay.
pub fn escape_json(json: String) -> String {
    if !may_be_unsafe(json.as_bytes(), false) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && is_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if is_unsafe(c) {
        let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
    } else {
        out.push(c);
    }
}

/// Displays a value from an untrusted source safely (see the module docs).
#[derive(Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shown, c) in self.0.chars().enumerate() {
            if shown == MAX_SHOWN {
                return f.write_str("…");
            }
            if is_unsafe(c) {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(escape("team-0012-Admin"), Cow::Borrowed("team-0012-Admin")));
    }

    #[test]
    fn controls_bidi_and_del_become_visible_escapes() {
        assert_eq!(escape("a\x1b]0;x\x07b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(escape("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(escape("\u{9b}31m\x7f"), "\\u{9b}31m\\u{7f}");
        assert_eq!(escape("two\nlines\ttab"), "two\\u{a}lines\\u{9}tab");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(10_000);
        let shown = escape(&long);
        assert_eq!(shown.chars().count(), MAX_SHOWN + 1);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn whole_lines_are_escaped_but_never_cut() {
        let line = format!("{}\x1b[2J{}", "a".repeat(300), "b".repeat(300));
        let shown = escape_line(&line);
        assert_eq!(shown, format!("{}\\u{{1b}}[2J{}", "a".repeat(300), "b".repeat(300)));
        assert!(matches!(escape_line("plain · text"), Cow::Borrowed("plain · text")));
        assert_eq!(escape_line(&escape(&line)), escape(&line), "escaping twice changes nothing");
    }

    #[test]
    fn json_keeps_its_data_and_loses_its_controls() {
        let value = serde_json::json!({"name": "a\u{1b}[31m\u{9b}b\u{7f}\u{202e}c\n", "n": 1});
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let shown = escape_json(pretty.clone());
        assert!(!shown.chars().any(|c| c != '\n' && is_unsafe(c)), "{shown}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&shown).unwrap(), value);
        let plain = serde_json::to_string_pretty(&serde_json::json!({"a": "é日本🙂"})).unwrap();
        assert_eq!(escape_json(plain.clone()), plain);
    }

    #[test]
    fn the_byte_scan_finds_every_unsafe_character_wherever_it_is() {
        let unsafe_chars = (0..=0x0010_FFFF).filter_map(char::from_u32).filter(|&c| is_unsafe(c));
        for c in unsafe_chars {
            for at in 0..17 {
                let text = format!("{}{c}{}", "a".repeat(at), "é".repeat(3));
                assert!(may_be_unsafe(text.as_bytes(), true), "{:x} at {at}", u32::from(c));
                assert!(!is_safe(&text));
            }
        }
        assert!(!may_be_unsafe("plain ascii text, a line of it".as_bytes(), true));
        assert!(!may_be_unsafe("[\n  {\n    \"a\": 1\n  }\n]\n".as_bytes(), false));
    }

    #[test]
    fn no_output_ever_holds_an_unsafe_character() {
        for c in (0..=0x0010_FFFF).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert!(!escape(&text).chars().any(is_unsafe), "{:x}", u32::from(c));
            assert!(!escape_line(&text).chars().any(is_unsafe), "{:x}", u32::from(c));
            let json = escape_json(serde_json::Value::from(text.as_str()).to_string());
            assert!(!json.chars().any(is_unsafe), "{:x}", u32::from(c));
        }
    }
}
