//! Small encoding helpers shared by the clients: RFC 3986 percent-encoding, reading JSON
//! response members without trusting their types, and flattening an XML answer.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use quick_xml::events::Event;

/// Everything but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded,
/// as botocore's `percent_encode_sequence` does.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encode one query or form value.
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, RFC3986).to_string()
}

/// `k=v&k=v` with both sides percent-encoded, in the given order.
pub(crate) fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON object from a response body, or why not.
pub(crate) fn json_object(
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    if body.is_empty() {
        return Err("empty body where JSON was expected".to_owned());
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err("the body is JSON but not an object".to_owned()),
        Err(e) => Err(format!("the body is not JSON ({e})")),
    }
}

/// Typed access to the members of a JSON response object.
pub(crate) struct Members<'a> {
    map: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> Members<'a> {
    pub(crate) fn new(map: &'a serde_json::Map<String, serde_json::Value>) -> Self {
        Self { map }
    }

    /// A required string member.
    pub(crate) fn string(&self, name: &str) -> Result<String, String> {
        self.opt_string(name)?.ok_or_else(|| format!("member `{name}` is missing"))
    }

    /// An optional string member (absent or `null` → `None`).
    pub(crate) fn opt_string(&self, name: &str) -> Result<Option<String>, String> {
        match self.map.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("member `{name}` is not a string")),
        }
    }

    /// A required integer member.
    pub(crate) fn int(&self, name: &str) -> Result<i64, String> {
        self.opt_int(name)?.ok_or_else(|| format!("member `{name}` is missing"))
    }

    /// An optional integer member (absent or `null` → `None`).
    pub(crate) fn opt_int(&self, name: &str) -> Result<Option<i64>, String> {
        match self.map.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| format!("member `{name}` is not an integer"))
            }
            Some(_) => Err(format!("member `{name}` is not a number")),
        }
    }

    /// An optional array of objects (absent or `null` → empty).
    pub(crate) fn objects(
        &self,
        name: &str,
    ) -> Result<Vec<&'a serde_json::Map<String, serde_json::Value>>, String> {
        match self.map.get(name) {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_object().ok_or_else(|| format!("an item of `{name}` is not an object"))
                })
                .collect(),
            Some(_) => Err(format!("member `{name}` is not an array")),
        }
    }

    /// A required object member.
    pub(crate) fn object(&self, name: &str) -> Result<Members<'a>, String> {
        match self.map.get(name) {
            Some(serde_json::Value::Object(map)) => Ok(Members { map }),
            None | Some(serde_json::Value::Null) => Err(format!("member `{name}` is missing")),
            Some(_) => Err(format!("member `{name}` is not an object")),
        }
    }
}

/// Deepest element nesting accepted in an XML answer.
const MAX_XML_DEPTH: usize = 32;

/// Every text leaf of an XML document as (`Root/Child/Leaf`, text), local names only
/// (namespaces dropped), entities unescaped, in document order.
pub(crate) fn xml_leaves(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut path: Vec<String> = Vec::new();
    let mut leaves = Vec::new();
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("the body is not well-formed XML ({e})"))?;
        match event {
            Event::Start(start) => {
                if path.len() >= MAX_XML_DEPTH {
                    return Err("the XML is nested too deeply".to_owned());
                }
                path.push(String::from_utf8_lossy(start.local_name().as_ref()).into_owned());
                text.clear();
            }
            Event::Text(t) => {
                // Entities arrive as separate `GeneralRef` events, so text needs no unescaping.
                let decoded = t.decode().map_err(|e| format!("the XML text is not UTF-8 ({e})"))?;
                text.push_str(&decoded);
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                let resolved = match name.as_str() {
                    "amp" => Some("&".to_owned()),
                    "lt" => Some("<".to_owned()),
                    "gt" => Some(">".to_owned()),
                    "quot" => Some("\"".to_owned()),
                    "apos" => Some("'".to_owned()),
                    _ => r.resolve_char_ref().ok().flatten().map(|c| c.to_string()),
                };
                text.push_str(
                    &resolved.ok_or_else(|| format!("the XML has an unknown entity `&{name};`"))?,
                );
            }
            Event::End(_) => {
                if !text.is_empty() {
                    leaves.push((path.join("/"), std::mem::take(&mut text)));
                }
                if path.pop().is_none() {
                    return Err("the XML closes an element it never opened".to_owned());
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() {
        return Err("the XML ends inside an element".to_owned());
    }
    Ok(leaves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(
            encode("arn:aws:iam::123456789012:role/X y~._-"),
            "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FX%20y~._-"
        );
        assert_eq!(encode("é+="), "%C3%A9%2B%3D");
    }

    #[test]
    fn xml_leaves_flatten_with_local_names() {
        let leaves = xml_leaves(
            br#"<?xml version="1.0"?><a:Root xmlns:a="x"><B>1</B><C><D>t &amp; &#65;</D></C><E/></a:Root>"#,
        )
        .unwrap();
        assert_eq!(
            leaves,
            vec![
                ("Root/B".to_owned(), "1".to_owned()),
                ("Root/C/D".to_owned(), "t & A".to_owned()),
            ]
        );
    }

    #[test]
    fn bad_xml_is_an_error_not_a_panic() {
        for body in [&b"<a><b></a>"[..], b"<a>", b"</a>", b"<a>&bogus;</a>", b"\xff\xfe<"] {
            assert!(xml_leaves(body).is_err(), "{body:?}");
        }
        let deep = "<a>".repeat(100);
        assert!(xml_leaves(deep.as_bytes()).is_err());
    }
}
