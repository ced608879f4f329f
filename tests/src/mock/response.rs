//! Responses and the error shapes of each service: OIDC (`x-amzn-ErrorType` + `error`),
//! portal (`message` + `__type`), STS (`<ErrorResponse>` XML).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::SystemTime;

use crate::http;

/// The namespace AWS puts after the exception name in OIDC's `x-amzn-ErrorType`.
const OIDC_ERROR_NAMESPACE: &str = "http://internal.amazon.com/coral/com.amazonaws.sso.oidc/";
/// The prefix of the portal's `__type`.
const PORTAL_ERROR_PREFIX: &str = "com.amazonaws.switchboard.portal#";
/// The XML namespace of every STS document.
pub(crate) const STS_XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: Vec::new() }
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// A JSON answer from OIDC.
    pub(crate) fn oidc_json(status: u16, request_id: &str, value: &serde_json::Value) -> Self {
        Self::new(status)
            .header("Content-Type", "application/json")
            .header("x-amzn-RequestId", request_id)
            .body(value.to_string())
    }

    /// An OIDC error, e.g. `("AuthorizationPending", "authorization_pending", ..)`.
    pub(crate) fn oidc_error(
        status: u16,
        request_id: &str,
        exception: &str,
        error: &str,
        description: &str,
    ) -> Self {
        let body = serde_json::json!({ "error": error, "error_description": description });
        Self::oidc_json(status, request_id, &body)
            .header("x-amzn-ErrorType", format!("{exception}Exception:{OIDC_ERROR_NAMESPACE}"))
    }

    /// A JSON answer from the portal, with the headers of recorded portal traffic.
    pub(crate) fn portal_json(status: u16, request_id: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(status)
            .header("Content-Type", "application/json")
            .header("Access-Control-Expose-Headers", "RequestId")
            .header("Cache-Control", "no-cache")
            .header("RequestId", request_id)
            .header("Server", "AWS SSO")
            .body(body)
    }

    /// A portal error, e.g. `(401, "Unauthorized", "Session token not found or invalid")`.
    pub(crate) fn portal_error(
        status: u16,
        request_id: &str,
        exception: &str,
        message: &str,
    ) -> Self {
        let body = serde_json::json!({
            "message": message,
            "__type": format!("{PORTAL_ERROR_PREFIX}{exception}Exception"),
        });
        Self::portal_json(status, request_id, body.to_string())
    }

    /// An STS document (`text/xml`).
    pub(crate) fn sts_xml(status: u16, request_id: &str, xml: String) -> Self {
        Self::new(status)
            .header("Content-Type", "text/xml")
            .header("x-amzn-RequestId", request_id)
            .body(xml)
    }

    /// An STS `<ErrorResponse>`; `Sender` for 4xx, `Receiver` for 5xx.
    pub(crate) fn sts_error(status: u16, request_id: &str, code: &str, message: &str) -> Self {
        let kind = if status >= 500 { "Receiver" } else { "Sender" };
        let xml = format!(
            "<ErrorResponse xmlns=\"{STS_XMLNS}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
             <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n\
             </ErrorResponse>\n",
            xml_escape(code),
            xml_escape(message),
        );
        Self::sts_xml(status, request_id, xml)
    }

    /// A small HTML page (the browser-facing routes).
    pub(crate) fn html(status: u16, title: &str, text: &str) -> Self {
        let body = format!(
            "<!DOCTYPE html>\n<html><head><title>{t}</title></head>\
             <body><h1>{t}</h1><p>{x}</p></body></html>\n",
            t = xml_escape(title),
            x = xml_escape(text),
        );
        Self::new(status).header("Content-Type", "text/html; charset=utf-8").body(body)
    }

    /// A `302` to `location`.
    pub(crate) fn redirect(location: &str) -> Self {
        Self::new(302).header("Location", location)
    }

    /// Plain text, for the sign-in endpoint's failures and the mock's own routes.
    pub(crate) fn text(status: u16, text: &str) -> Self {
        Self::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(format!("{text}\n"))
    }

    /// Write status line, headers (plus `Date`, `Content-Length`, `Connection: close`) and body.
    pub(crate) fn write_to<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, http::reason(self.status));
        let _ = write!(head, "Date: {}\r\n", http_date(SystemTime::now()));
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(head, "Content-Length: {}\r\nConnection: close\r\n\r\n", self.body.len());
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

/// Escape text for XML element content and attribute values.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(at: SystemTime) -> String {
    jiff::Timestamp::try_from(at)
        .map(|t| t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// `2021-08-05T19:58:02Z`, the STS `Expiration` format.
pub(crate) fn iso8601(at: SystemTime) -> String {
    jiff::Timestamp::try_from(at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
