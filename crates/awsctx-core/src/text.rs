//! Untrusted text on its way to a terminal: directory names, file contents, server answers.
//!
//! A terminal interprets control characters, so anything awsctx did not write itself is shown
//! through [`Untrusted`] (or [`escape`]): C0 and C1 controls, DEL and the Unicode bidi
//! overrides and isolates become visible `\u{…}` escapes (tab and newline too, since every
//! message is one line), and the result is cut to a bound so a hostile value cannot flood the
//! screen.

use std::borrow::Cow;
use std::fmt;

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
    if text.chars().count() <= MAX_SHOWN && !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(Untrusted(text).to_string())
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
    fn no_output_ever_holds_an_unsafe_character() {
        for c in (0..=0x0010_FFFF).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert!(!escape(&text).chars().any(is_unsafe), "{:x}", u32::from(c));
        }
    }
}
