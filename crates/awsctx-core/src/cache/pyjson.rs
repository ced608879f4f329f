//! JSON written byte for byte as Python's `json.dumps` writes it, so awsctx's cache files and
//! cache keys equal the AWS CLI's: `", "` / `": "` separators by default, `ensure_ascii`
//! escaping (`\uXXXX`, surrogate pairs for astral characters, lower-case hex), optional
//! `sort_keys`, the compact `(',', ':')` variant and the `indent=2` layout of
//! `aws configure export-credentials --format process`.
//!
//! Floats are not supported byte for byte (Python's `repr` differs from `serde_json`'s): none of
//! the AWS files holds one.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter, Serializer};

/// How `json.dumps` lays the document out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `json.dumps(obj)`: one line, `", "` and `": "`.
    Default,
    /// `json.dumps(obj, separators=(',', ':'))`: one line, no spaces.
    Compact,
    /// `json.dumps(obj, indent=n, separators=(',', ': '))`: one member per line.
    Indent(usize),
}

/// `json.dumps(value, …, ensure_ascii=True[, sort_keys=True])` for a JSON value.
pub fn dumps(value: &Value, layout: Layout, sort_keys: bool) -> String {
    if sort_keys {
        let mut sorted = value.clone();
        sort_recursively(&mut sorted);
        return write_value(&sorted, layout);
    }
    write_value(value, layout)
}

/// Like [`dumps`], for anything serde can serialize (a struct's fields keep their order).
pub fn to_string<T: Serialize + ?Sized>(
    value: &T,
    layout: Layout,
    sort_keys: bool,
) -> Result<String, serde_json::Error> {
    if sort_keys {
        return Ok(dumps(&serde_json::to_value(value)?, layout, true));
    }
    let mut out = Vec::new();
    value.serialize(&mut Serializer::with_formatter(&mut out, PythonFormatter::new(layout)))?;
    // The formatter writes ASCII only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

fn write_value(value: &Value, layout: Layout) -> String {
    // Serializing a `Value` into memory cannot fail: its keys are strings and it holds no
    // non-finite float (serde_json's `Value` cannot).
    to_string(value, layout, false).unwrap_or_default()
}

fn sort_recursively(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // Python compares keys by code point; UTF-8 byte order is the same order.
            map.sort_keys();
            map.values_mut().for_each(sort_recursively);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_recursively),
        _ => {}
    }
}

/// A `serde_json` formatter that writes what `CPython`'s `json` module writes.
#[derive(Debug, Clone)]
struct PythonFormatter {
    layout: Layout,
    depth: usize,
    has_value: bool,
}

impl PythonFormatter {
    fn new(layout: Layout) -> Self {
        Self { layout, depth: 0, has_value: false }
    }

    fn newline_and_indent<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        if let Layout::Indent(width) = self.layout {
            writer.write_all(b"\n")?;
            for _ in 0..self.depth * width {
                writer.write_all(b" ")?;
            }
        }
        Ok(())
    }

    fn begin_container<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        open: &[u8],
    ) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(open)
    }

    fn end_container<W: ?Sized + Write>(&mut self, writer: &mut W, close: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        // Python writes an empty container as `[]` / `{}` in every layout.
        if self.has_value {
            self.newline_and_indent(writer)?;
        }
        writer.write_all(close)
    }

    fn begin_member<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(match self.layout {
                Layout::Default => b", ",
                Layout::Compact | Layout::Indent(_) => b",",
            })?;
        }
        self.newline_and_indent(writer)
    }
}

impl Formatter for PythonFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin_container(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end_container(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.begin_member(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin_container(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end_container(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.begin_member(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(match self.layout {
            Layout::Default | Layout::Indent(_) => b": ",
            Layout::Compact => b":",
        })
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json escapes quotes, backslashes and C0 controls itself (as Python does);
        // `ensure_ascii` also escapes DEL and everything outside ASCII.
        let mut rest = fragment;
        while let Some(at) = rest.find(|c: char| !c.is_ascii() || c == '\u{7f}') {
            writer.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let text: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => return write!(writer, "\\u{byte:04x}"),
        };
        writer.write_all(text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn default_layout_matches_python() {
        // python3 -c 'import json; print(json.dumps({"b": [1, {}, []], "a": {"x": None, "y": True}}))'
        let value = json!({"b": [1, {}, []], "a": {"x": null, "y": true}});
        assert_eq!(
            dumps(&value, Layout::Default, false),
            r#"{"b": [1, {}, []], "a": {"x": null, "y": true}}"#
        );
        assert_eq!(
            dumps(&value, Layout::Default, true),
            r#"{"a": {"x": null, "y": true}, "b": [1, {}, []]}"#
        );
        assert_eq!(
            dumps(&value, Layout::Compact, true),
            r#"{"a":{"x":null,"y":true},"b":[1,{},[]]}"#
        );
    }

    #[test]
    fn indent_layout_matches_python() {
        // json.dumps(v, indent=2, separators=(',', ': '))
        let value = json!({"Version": 1, "A": [1, 2], "E": {}, "L": []});
        assert_eq!(
            dumps(&value, Layout::Indent(2), false),
            "{\n  \"Version\": 1,\n  \"A\": [\n    1,\n    2\n  ],\n  \"E\": {},\n  \"L\": []\n}"
        );
    }

    #[test]
    fn ensure_ascii_escapes_like_python() {
        // json.dumps("q\"b\\/\x00\x1f\x7f\b\f\n\r\t é€😀")
        let value = json!("q\"b\\/\u{0}\u{1f}\u{7f}\u{8}\u{c}\n\r\t \u{e9}\u{20ac}\u{1f600}");
        assert_eq!(
            dumps(&value, Layout::Default, false),
            r#""q\"b\\/\u0000\u001f\u007f\b\f\n\r\t \u00e9\u20ac\ud83d\ude00""#
        );
    }

    #[test]
    fn sort_keys_orders_by_code_point_at_every_level() {
        let value = json!({"é": 1, "Z": {"b": 1, "B": 2}, "a": 3, "_": 4});
        assert_eq!(
            dumps(&value, Layout::Compact, true),
            r#"{"Z":{"B":2,"b":1},"_":4,"a":3,"\u00e9":1}"#
        );
    }
}
