//! What can go wrong on the wire. Every error names the call and its endpoint (scheme, host
//! and port only: never a path or query, which may carry secrets), and the AWS error code
//! when the service sent one. Error codes are extracted the way botocore does it.
//!
//! Server text (codes, messages, reasons) is untrusted: it is made one line and every
//! control character escaped ([`awsctx_core::text`]) when it is read, and again when an error
//! is formatted, so no error of this crate can carry a terminal escape.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use awsctx_core::text::{Untrusted, escape_line};
use http::HeaderMap;

use crate::browser::UrlRefused;
use crate::endpoint::{Call, EndpointError, Service};

/// An error answer from an AWS service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub service: Service,
    pub operation: &'static str,
    /// `scheme://host[:port]` of the endpoint.
    pub endpoint: String,
    pub status: u16,
    /// The AWS error code, e.g. `UnauthorizedException`.
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

impl AwsError {
    /// Build from a call and an HTTP error response of a JSON (rest-json) service.
    pub(crate) fn from_json_response(
        call: &Call,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let parsed = parse_json_error(headers, body);
        Self {
            service: call.service,
            operation: call.operation,
            endpoint: call.endpoint.clone(),
            status,
            code: parsed.code,
            message: parsed.message,
            request_id: parsed.request_id,
        }
    }

    /// Build from a call and an HTTP error response of a query (XML) service such as STS.
    pub(crate) fn from_xml_response(
        call: &Call,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let parsed = parse_xml_error(headers, body);
        Self {
            service: call.service,
            operation: call.operation,
            endpoint: call.endpoint.clone(),
            status,
            code: parsed.code,
            message: parsed.message,
            request_id: parsed.request_id,
        }
    }

    /// Whether the code is `code` (e.g. `AuthorizationPendingException`).
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    fn call(&self) -> Call {
        Call { service: self.service, operation: self.operation, endpoint: self.endpoint.clone() }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: ", self.call())?;
        let code = self.code.as_deref().map(Untrusted);
        let message = self.message.as_deref().map(escape_line);
        match (code, message) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (Some(code), None) => write!(f, "{code} (HTTP {})", self.status),
            (None, Some(message)) => write!(f, "HTTP {}: {message}", self.status),
            (None, None) => write!(f, "HTTP {}", self.status),
        }
    }
}

impl std::error::Error for AwsError {}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error.
    #[error("{0}")]
    Service(Box<AwsError>),

    #[error("{call} timed out after {} (attempts: {attempts})", human(*after))]
    Timeout { call: Call, after: Duration, attempts: u32 },

    #[error("{call} failed: cannot connect: {} (attempts: {attempts})", escape_line(.reason))]
    Connect { call: Call, reason: String, attempts: u32 },

    #[error("{call} failed: TLS error: {}", escape_line(.reason))]
    Tls { call: Call, reason: String },

    /// The connection broke while sending or receiving.
    #[error("{call} failed: {} (attempts: {attempts})", escape_line(.reason))]
    Transport { call: Call, reason: String, attempts: u32 },

    /// The answer is not what the operation returns; `reason` may quote the server.
    #[error("{call} returned a malformed response (HTTP {status}): {}", escape_line(.reason))]
    MalformedResponse { call: Call, status: u16, reason: String },

    /// A listing went past one of awsctx's caps (`portal::ListingCaps`).
    #[error("{call} failed: more than {limit} (awsctx's limit)")]
    ListingTooLarge { call: Call, limit: String },

    /// A request could not be built (e.g. a token with a line break cannot be a header).
    #[error("{call} failed: cannot build the request: {reason}")]
    InvalidRequest { call: Call, reason: String },

    #[error("{call} failed: cannot sign the request: {reason}")]
    Signing { call: Call, reason: String },

    #[error("cannot use the CA bundle `{}`: {reason}", path.display())]
    CaBundle { path: PathBuf, reason: String },

    #[error("invalid proxy URL in `{variable}`: {reason}")]
    Proxy { variable: &'static str, reason: String },

    #[error("cannot set up the HTTP client: {reason}")]
    ClientSetup { reason: String },

    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),

    #[error(transparent)]
    Endpoint(#[from] EndpointError),

    /// The device code or the browser authorization expired before it was approved.
    #[error("the pending authorization expired before it was approved; start the login again")]
    PendingAuthorizationExpired,

    /// The browser came back to the callback with `?error=`.
    #[error("the browser authorization failed with `{}`", Untrusted(.error))]
    AuthorizationDenied { error: String },

    #[error("the authorization callback's `state` does not match this login")]
    StateMismatch,

    /// The loopback listener could not be bound: the caller may fall back to the device code.
    #[error("cannot listen for the authorization callback on `127.0.0.1`: {reason}")]
    CallbackBind { reason: String },

    #[error("the authorization callback listener failed: {}", escape_line(.reason))]
    Callback { reason: String },

    /// A URL awsctx built to open in a browser is not one it opens (the endpoint it is made
    /// from is configured as plain `http://` to another host, say).
    #[error("refusing to open {what} in a browser: it {refused}")]
    BrowserUrl { what: &'static str, refused: UrlRefused },

    #[error("the console sign-in needs temporary credentials (with a session token)")]
    TemporaryCredentialsRequired,

    #[error("cannot draw random bytes: {reason}")]
    Random { reason: String },
}

impl Error {
    /// The AWS error answer, if this is one.
    pub fn aws(&self) -> Option<&AwsError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The AWS error code, if the service sent one.
    pub fn code(&self) -> Option<&str> {
        self.aws().and_then(|e| e.code.as_deref())
    }
}

impl From<AwsError> for Error {
    fn from(value: AwsError) -> Self {
        Error::Service(Box::new(value))
    }
}

fn human(d: Duration) -> String {
    if d.as_secs() > 0 && d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Code, message and request id as parsed from an error response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedError {
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

/// Longest message kept from a server answer, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Parse the error of a rest-json service (SSO OIDC, SSO portal, sign-in) as botocore does:
/// header `x-amzn-ErrorType`, else body `code`/`Code`, else body `__type`; each with a
/// `:suffix` and a `namespace#` prefix stripped. OIDC errors that only carry the OAuth
/// `error` member get the exception name of the model (`authorization_pending` →
/// `AuthorizationPendingException`). The message is `message`, `Message` or
/// `error_description`.
pub fn parse_json_error(headers: &HeaderMap, body: &[u8]) -> ParsedError {
    let json: Option<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(body).ok();
    let field = |name: &str| -> Option<&str> {
        json.as_ref()
            .and_then(|m| m.get(name))
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let header_code =
        headers.get("x-amzn-errortype").and_then(|v| v.to_str().ok()).filter(|s| !s.is_empty());
    let code = header_code
        .or_else(|| field("code"))
        .or_else(|| field("Code"))
        .or_else(|| field("__type"))
        .map(strip_error_code)
        .filter(|s| !s.is_empty())
        .or_else(|| field("error").map(oauth_error_to_exception));
    let message = field("message")
        .or_else(|| field("Message"))
        .or_else(|| field("error_description"))
        .map(one_line);
    ParsedError { code: code.map(|c| one_line(&c)), message, request_id: request_id(headers) }
}

/// `Foo:http://internal...` → `Foo`; `com.amazonaws.x#Foo` → `Foo`.
pub fn strip_error_code(code: &str) -> String {
    let before_colon = code.split(':').next().unwrap_or(code);
    before_colon.rsplit('#').next().unwrap_or(before_colon).trim().to_owned()
}

/// The exception name for an OAuth `error` value of SSO OIDC.
pub fn oauth_error_to_exception(error: &str) -> String {
    let known = match error {
        "authorization_pending" => "AuthorizationPendingException",
        "slow_down" => "SlowDownException",
        "expired_token" => "ExpiredTokenException",
        "access_denied" => "AccessDeniedException",
        "invalid_grant" => "InvalidGrantException",
        "invalid_client" => "InvalidClientException",
        "invalid_client_metadata" => "InvalidClientMetadataException",
        "invalid_redirect_uri" => "InvalidRedirectUriException",
        "invalid_request" => "InvalidRequestException",
        "invalid_scope" => "InvalidScopeException",
        "unauthorized_client" => "UnauthorizedClientException",
        "unsupported_grant_type" => "UnsupportedGrantTypeException",
        "server_error" => "InternalServerException",
        other => {
            // Unknown values keep the model's naming scheme: `foo_bar` → `FooBarException`.
            let mut name: String = other
                .split('_')
                .filter(|part| !part.is_empty())
                .map(|part| {
                    let mut chars = part.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_uppercase().chain(chars).collect::<String>()
                    })
                })
                .collect();
            name.push_str("Exception");
            return name;
        }
    };
    known.to_owned()
}

/// Parse an STS (query protocol) error: `<ErrorResponse><Error><Code>` and `<Message>`,
/// `<RequestId>` (or the request-id header).
pub fn parse_xml_error(headers: &HeaderMap, body: &[u8]) -> ParsedError {
    let fields = crate::wire::xml_leaves(body).unwrap_or_default();
    let pick = |path: &str| {
        fields
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let code =
        pick("ErrorResponse/Error/Code").or_else(|| pick("Error/Code")).map(|c| one_line(&c));
    let message =
        pick("ErrorResponse/Error/Message").or_else(|| pick("Error/Message")).map(|m| one_line(&m));
    let request_id = pick("ErrorResponse/RequestId")
        .or_else(|| pick("Error/RequestId"))
        .map(|r| one_line(&r))
        .or_else(|| request_id(headers));
    ParsedError { code, message, request_id }
}

/// The request id a service put in its headers.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id", "requestid"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .filter(|s| !s.is_empty())
        .map(one_line)
}

/// Server text made safe for a one-line message: line breaks and tabs become spaces, every
/// other unsafe character (C0, C1, DEL, bidi controls) a visible `\u{…}` escape, and the
/// length is capped.
pub(crate) fn one_line(text: &str) -> String {
    let text = text.trim();
    let flat: String = text
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .map(|c| if matches!(c, '\n' | '\r' | '\t') { ' ' } else { c })
        .collect();
    let mut out = escape_line(&flat).into_owned();
    if text.chars().nth(MAX_MESSAGE_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn header_error_type_wins_and_is_stripped() {
        let parsed = parse_json_error(
            &headers(&[
                (
                    "x-amzn-ErrorType",
                    "AuthorizationPendingException:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/",
                ),
                ("x-amzn-RequestId", "4699f496"),
            ]),
            br#"{"error":"authorization_pending","error_description":"Authorization is still pending"}"#,
        );
        assert_eq!(
            parsed,
            ParsedError {
                code: Some("AuthorizationPendingException".into()),
                message: Some("Authorization is still pending".into()),
                request_id: Some("4699f496".into()),
            }
        );
    }

    #[test]
    fn type_member_is_stripped_of_namespace() {
        let parsed = parse_json_error(
            &HeaderMap::new(),
            br#"{"message":"Session token not found or invalid","__type":"com.amazonaws.switchboard.portal#UnauthorizedException"}"#,
        );
        assert_eq!(parsed.code.as_deref(), Some("UnauthorizedException"));
        assert_eq!(parsed.message.as_deref(), Some("Session token not found or invalid"));
    }

    #[test]
    fn code_member_wins_over_type() {
        let parsed =
            parse_json_error(&HeaderMap::new(), br#"{"code":"A","__type":"ns#B","Message":"m"}"#);
        assert_eq!(parsed.code.as_deref(), Some("A"));
        assert_eq!(parsed.message.as_deref(), Some("m"));
    }

    #[test]
    fn oauth_error_maps_to_exception_name() {
        for (error, code) in [
            ("authorization_pending", "AuthorizationPendingException"),
            ("slow_down", "SlowDownException"),
            ("expired_token", "ExpiredTokenException"),
            ("invalid_client", "InvalidClientException"),
            ("server_error", "InternalServerException"),
            ("brand_new_thing", "BrandNewThingException"),
        ] {
            let body = format!(r#"{{"error":"{error}"}}"#);
            let parsed = parse_json_error(&HeaderMap::new(), body.as_bytes());
            assert_eq!(parsed.code.as_deref(), Some(code));
        }
    }

    #[test]
    fn garbage_bodies_give_no_code_and_no_panic() {
        for body in [
            &b""[..],
            b"not json",
            b"[1,2]",
            b"{\"__type\": 5, \"message\": {}}",
            b"\xff\xfe",
            b"{\"__type\":\"\"}",
        ] {
            let parsed = parse_json_error(&HeaderMap::new(), body);
            assert_eq!(parsed.code, None, "{body:?}");
            assert_eq!(parsed.message, None);
        }
    }

    #[test]
    fn xml_error_is_parsed() {
        let body = br#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::1:x is not authorized &amp; so on</Message></Error>
  <RequestId>abc-123</RequestId></ErrorResponse>"#;
        let parsed = parse_xml_error(&HeaderMap::new(), body);
        assert_eq!(
            parsed,
            ParsedError {
                code: Some("AccessDenied".into()),
                message: Some("User: arn:aws:sts::1:x is not authorized & so on".into()),
                request_id: Some("abc-123".into()),
            }
        );
    }

    #[test]
    fn messages_are_one_line_and_capped() {
        let long = "x".repeat(1000);
        assert_eq!(one_line("a\nb\r\tc"), "a b  c");
        assert_eq!(one_line(&long).chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn server_text_never_carries_a_terminal_escape() {
        let hostile =
            "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \u{9b}2J \u{202e}gpj.exe\x7f";
        let parsed = parse_json_error(
            &headers(&[("x-amzn-RequestId", "r\u{202e}1")]),
            serde_json::json!({"__type": format!("ns#Bad{hostile}"), "message": hostile})
                .to_string()
                .as_bytes(),
        );
        let error = AwsError {
            service: Service::Sso,
            operation: "GetRoleCredentials",
            endpoint: "https://portal.sso.us-east-1.amazonaws.com".into(),
            status: 400,
            code: parsed.code.clone(),
            message: parsed.message.clone(),
            request_id: parsed.request_id.clone(),
        };
        let raw =
            AwsError { code: Some(hostile.into()), message: Some(hostile.into()), ..error.clone() };
        let xml = format!(
            "<ErrorResponse><Error><Code>{hostile}</Code><Message>{hostile}</Message></Error></ErrorResponse>"
        );
        let from_xml = parse_xml_error(&HeaderMap::new(), xml.as_bytes());
        let call = Call { service: Service::Sso, operation: "X", endpoint: "https://x".into() };
        let errors = [
            error.to_string(),
            raw.to_string(),
            from_xml.code.unwrap_or_default(),
            from_xml.message.unwrap_or_default(),
            Error::MalformedResponse { call: call.clone(), status: 200, reason: hostile.into() }
                .to_string(),
            Error::AuthorizationDenied { error: hostile.into() }.to_string(),
            Error::Transport { call, reason: hostile.into(), attempts: 1 }.to_string(),
        ];
        for text in errors {
            assert!(!text.chars().any(awsctx_core::text::is_unsafe), "{text:?}");
        }
        assert!(parsed.message.unwrap().contains("\\u{1b}]8;;https://evil.example"));
    }

    #[test]
    fn display_is_one_line_with_endpoint_and_code() {
        let error = AwsError {
            service: Service::Sso,
            operation: "GetRoleCredentials",
            endpoint: "https://portal.sso.us-east-1.amazonaws.com".into(),
            status: 401,
            code: Some("UnauthorizedException".into()),
            message: Some("Session token not found or invalid".into()),
            request_id: None,
        };
        assert_eq!(
            error.to_string(),
            "SSO portal GetRoleCredentials at `https://portal.sso.us-east-1.amazonaws.com` failed: UnauthorizedException: Session token not found or invalid"
        );
    }
}
