//! A minimal HTTP/1.1 codec shared by the mock server and the fake browser: reading one
//! request or response head, bodies by `Content-Length`, chunked or until close, and the
//! percent-encoding of query strings and form bodies.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read};

/// Largest head (request line or status line plus headers) either side accepts.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Largest body either side accepts.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("connection closed before a message started")]
    Closed,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("message too large: {0}")]
    TooLarge(&'static str),
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
}

/// The first line and the headers of a message, as sent (header names keep their case).
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) start_line: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// The first value of header `name`, compared case-insensitively.
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Read one line ending in `\n` (the `\r` is optional), bounded by `budget` bytes.
fn read_line<R: BufRead>(reader: &mut R, budget: &mut usize) -> Result<Option<String>, HttpError> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX) + 1;
    let n = reader.by_ref().take(limit).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(HttpError::TooLarge("head"));
    }
    *budget -= n;
    if line.last() != Some(&b'\n') {
        return Err(HttpError::Malformed("message ended inside the head".into()));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map(Some).map_err(|_| HttpError::Malformed("head is not UTF-8".into()))
}

/// Read the start line and headers of a message.
pub(crate) fn read_head<R: BufRead>(reader: &mut R) -> Result<Head, HttpError> {
    let mut budget = MAX_HEAD;
    let start_line = loop {
        match read_line(reader, &mut budget)? {
            None => return Err(HttpError::Closed),
            // RFC 9112 §2.2: ignore empty lines before the start line.
            Some(line) if line.is_empty() => {}
            Some(line) => break line,
        }
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?
            .ok_or_else(|| HttpError::Malformed("message ended inside the headers".into()))?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| HttpError::Malformed(format!("header line without `:`: {line:?}")))?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(HttpError::Malformed(format!("bad header name {name:?}")));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(Head { start_line, headers })
}

/// How the body after `head` is delimited.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BodyLength {
    Fixed(usize),
    Chunked,
    UntilClose,
}

pub(crate) fn body_length(head: &Head, is_request: bool) -> Result<BodyLength, HttpError> {
    if let Some(te) = head.header("transfer-encoding") {
        if te.split(',').any(|t| t.trim().eq_ignore_ascii_case("chunked")) {
            return Ok(BodyLength::Chunked);
        }
        return Err(HttpError::Malformed(format!("unsupported transfer-encoding {te:?}")));
    }
    match head.header("content-length") {
        Some(v) => {
            let n: usize =
                v.parse().map_err(|_| HttpError::Malformed(format!("bad content-length {v:?}")))?;
            if n > MAX_BODY {
                return Err(HttpError::TooLarge("body"));
            }
            Ok(BodyLength::Fixed(n))
        }
        None if is_request => Ok(BodyLength::Fixed(0)),
        None => Ok(BodyLength::UntilClose),
    }
}

/// Read the body delimited by `length`.
pub(crate) fn read_body<R: BufRead>(
    reader: &mut R,
    length: BodyLength,
) -> Result<Vec<u8>, HttpError> {
    match length {
        BodyLength::Fixed(n) => {
            let mut body = vec![0; n];
            reader.read_exact(&mut body).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    HttpError::Malformed("body shorter than content-length".into())
                } else {
                    HttpError::Io(e)
                }
            })?;
            Ok(body)
        }
        BodyLength::UntilClose => {
            let mut body = Vec::new();
            let limit = u64::try_from(MAX_BODY).unwrap_or(u64::MAX) + 1;
            reader.take(limit).read_to_end(&mut body)?;
            if body.len() > MAX_BODY {
                return Err(HttpError::TooLarge("body"));
            }
            Ok(body)
        }
        BodyLength::Chunked => read_chunked(reader),
    }
}

fn read_chunked<R: BufRead>(reader: &mut R) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    let mut budget = MAX_HEAD;
    loop {
        let line = read_line(reader, &mut budget)?
            .ok_or_else(|| HttpError::Malformed("message ended inside a chunk size".into()))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| HttpError::Malformed(format!("bad chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, then the final empty line.
            loop {
                match read_line(reader, &mut budget)? {
                    None => return Ok(body),
                    Some(l) if l.is_empty() => return Ok(body),
                    Some(_) => {}
                }
            }
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(HttpError::TooLarge("body"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let end = read_line(reader, &mut budget)?;
        if end.as_deref() != Some("") {
            return Err(HttpError::Malformed("chunk not followed by CRLF".into()));
        }
    }
}

/// Wrap a stream for reading messages.
pub(crate) fn reader<R: Read>(stream: R) -> BufReader<R> {
    BufReader::new(stream)
}

/// Decode `%XX` escapes and, as in forms, `+` as a space. Bad escapes stay as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                if let (Some(hi), Some(lo)) =
                    (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2)))
                {
                    out.push(hi * 16 + lo);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: Option<&u8>) -> Option<u8> {
    let b = *byte?;
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Encode everything but the RFC 3986 unreserved characters (`A-Za-z0-9-._~`), as botocore's
/// `percent_encode_sequence` does.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Split `a=1&b=2` into decoded pairs, in order; a key without `=` has an empty value.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(part), String::new()),
        })
        .collect()
}

/// Build `a=1&b=2` from pairs, encoding each side.
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The reason phrase for the statuses the mock sends.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
