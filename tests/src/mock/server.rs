//! The listener: one thread per connection, one request per connection (`Connection: close`),
//! routing to the services, recording, and the injected faults.

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::RecordedRequest;
use super::operation::{Fault, Operation, Service};
use super::response::Response;
use super::state::State;
use super::{oidc, portal, signin, sts};
use crate::http::{self, HttpError};

/// A connection that sends nothing for this long is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// One parsed request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, name)
    }

    /// The first value of query parameter `name`, decoded.
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What the server threads share with the [`super::MockSso`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) stopping: AtomicBool,
}

impl Shared {
    /// The state, even if a thread panicked while holding it (the data stays usable).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of descriptors, say: do not spin while the condition lasts.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let shared = Arc::clone(shared);
        // A refused thread (resource exhaustion) drops the connection: the client sees a reset.
        let _ = std::thread::Builder::new()
            .name("mock-sso-conn".into())
            .spawn(move || handle_connection(&stream, &shared));
    }
}

fn read_request(stream: &TcpStream) -> Result<Request, HttpError> {
    let mut reader = http::reader(stream);
    let head = http::read_head(&mut reader)?;
    let mut parts = head.start_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::Malformed(format!("bad request line {:?}", head.start_line)));
    };
    // Absolute form (`GET http://host/path`), as sent to a proxy: keep the path.
    let target = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(HttpError::Malformed(format!("bad request line {:?}", head.start_line)));
    }
    if head.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        let mut out = stream;
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let length = http::body_length(&head, true)?;
    let body = http::read_body(&mut reader, length)?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, http::parse_query(q)),
        None => (target, Vec::new()),
    };
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        path: http::percent_decode(path),
        query,
        headers: head.headers,
        body,
    })
}

fn handle_connection(stream: &TcpStream, shared: &Shared) {
    let mut out = stream;
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
    let req = match read_request(stream) {
        Ok(req) => req,
        Err(HttpError::Closed | HttpError::Io(_)) => return,
        Err(e @ HttpError::TooLarge(_)) => {
            let _ = Response::text(413, &e.to_string()).write_to(&mut out);
            return;
        }
        Err(e @ HttpError::Malformed(_)) => {
            let _ = Response::text(400, &e.to_string()).write_to(&mut out);
            return;
        }
    };
    if req.method == "GET" && req.path == "/_mock/stats" {
        let resp = stats(&shared.lock());
        let _ = resp.write_to(&mut out);
        return;
    }
    let op = route(&req);
    let (index, fault) = {
        let mut state = shared.lock();
        state.counts[op.index()] += 1;
        let fault = state.faults.get_mut(&op).and_then(std::collections::VecDeque::pop_front);
        state.log.push(RecordedRequest {
            method: req.method.clone(),
            target: req.target.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            operation: op,
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            status: None,
        });
        (state.log.len() - 1, fault)
    };
    let resp = match fault {
        Some(Fault::DropConnection) => {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        Some(Fault::Slow(delay)) => {
            std::thread::sleep(delay);
            dispatch(shared, &req, op)
        }
        Some(Fault::MalformedJson) => {
            let mut resp = dispatch(shared, &req, op);
            resp.status = 200;
            if resp.body.is_empty() {
                resp.body = b"{\"".to_vec();
            } else {
                resp.body.truncate(resp.body.len() / 2);
            }
            resp
        }
        Some(Fault::Field { name, value }) => {
            let mut resp = dispatch(shared, &req, op);
            resp.body = replace_field(&resp.body, &name, &value);
            resp
        }
        Some(Fault::HugeBody(size)) => {
            let mut resp = dispatch(shared, &req, op);
            resp.status = 200;
            resp.body = huge_json(&resp.body, size);
            resp
        }
        Some(fault) => fault_response(shared, op, &fault),
        None => dispatch(shared, &req, op),
    };
    if let Some(entry) = shared.lock().log.get_mut(index) {
        entry.status = Some(resp.status);
    }
    let _ = resp.write_to(&mut out);
    let _ = stream.shutdown(Shutdown::Write);
}

/// Which operation a request is, from method, path and (STS, sign-in) the `Action`.
pub(crate) fn route(req: &Request) -> Operation {
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/client/register") => Operation::RegisterClient,
        ("POST", "/device_authorization") => Operation::StartDeviceAuthorization,
        ("POST", "/token") => Operation::CreateToken,
        ("GET", "/authorize") => Operation::Authorize,
        ("GET", "/device") => Operation::VerifyDevice,
        ("GET", "/federation/credentials") => Operation::GetRoleCredentials,
        ("GET", "/assignment/accounts") => Operation::ListAccounts,
        ("GET", "/assignment/roles") => Operation::ListAccountRoles,
        ("POST", "/logout") => Operation::Logout,
        ("POST" | "GET", "/") => match sts::action(req).as_deref() {
            Some("AssumeRole") => Operation::AssumeRole,
            Some("GetCallerIdentity") => Operation::GetCallerIdentity,
            _ => Operation::Unknown,
        },
        ("GET", "/federation") => match req.query_param("Action") {
            Some("getSigninToken") => Operation::GetSigninToken,
            Some("login") => Operation::ConsoleLogin,
            _ => Operation::Unknown,
        },
        _ => Operation::Unknown,
    }
}

fn dispatch(shared: &Shared, req: &Request, op: Operation) -> Response {
    let mut state = shared.lock();
    let request_id = state.request_id();
    let state = &mut *state;
    match op {
        Operation::RegisterClient => oidc::register_client(state, req, &request_id),
        Operation::StartDeviceAuthorization => {
            oidc::start_device_authorization(state, req, &request_id)
        }
        Operation::CreateToken => oidc::create_token(state, req, &request_id),
        Operation::Authorize => oidc::authorize(state, req),
        Operation::VerifyDevice => oidc::verify_device(state, req),
        Operation::GetRoleCredentials
        | Operation::ListAccounts
        | Operation::ListAccountRoles
        | Operation::Logout => portal::handle(state, req, op, &request_id),
        Operation::AssumeRole | Operation::GetCallerIdentity => {
            sts::handle(state, req, &request_id)
        }
        Operation::GetSigninToken => signin::get_signin_token(state, req),
        Operation::ConsoleLogin => signin::console_login(state, req),
        Operation::Unknown if req.path == "/" => sts::handle(state, req, &request_id),
        Operation::Unknown => Response::new(404)
            .header("Content-Type", "application/json")
            .header("x-amzn-RequestId", request_id.as_str())
            .header("x-amzn-ErrorType", "UnknownOperationException")
            .body(r#"{"message":"Unknown operation"}"#),
    }
}

/// `body` with every JSON string member (or XML element) `name` set to `value`.
fn replace_field(body: &[u8], name: &str, value: &str) -> Vec<u8> {
    fn walk(json: &mut serde_json::Value, name: &str, value: &str) {
        match json {
            serde_json::Value::Object(map) => {
                for (key, member) in map.iter_mut() {
                    if key == name && member.is_string() {
                        *member = serde_json::Value::from(value);
                    } else {
                        walk(member, name, value);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, name, value);
                }
            }
            _ => {}
        }
    }
    if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) {
        walk(&mut json, name, value);
        return json.to_string().into_bytes();
    }
    let text = String::from_utf8_lossy(body);
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = String::with_capacity(text.len());
    let mut rest = &*text;
    while let Some(start) = rest.find(&open) {
        let after = start + open.len();
        let Some(end) = rest[after..].find(&close) else { break };
        out.push_str(&rest[..after]);
        out.push_str(&super::response::xml_escape(value));
        rest = &rest[after + end..];
    }
    out.push_str(rest);
    out.into_bytes()
}

/// The answer an injected fault makes, in the shape of the operation's service.
fn fault_response(shared: &Shared, op: Operation, fault: &Fault) -> Response {
    let request_id = shared.lock().request_id();
    let id = request_id.as_str();
    match (op.service(), fault) {
        (Service::Oidc, Fault::Error { status, code, message }) => Response::oidc_json(
            *status,
            id,
            &serde_json::json!({ "error": code, "error_description": message }),
        ),
        (Service::Portal, Fault::Error { status, code, message }) => Response::portal_json(
            *status,
            id,
            serde_json::json!({ "message": message, "__type": format!("portal#{code}") })
                .to_string(),
        ),
        (Service::Sts, Fault::Error { status, code, message }) => {
            Response::sts_error(*status, id, code, message)
        }
        (_, Fault::Error { status, message, .. }) => Response::text(*status, message),
        (Service::Oidc, Fault::Status(status)) => {
            let (exception, error) = if *status >= 500 {
                ("InternalServer", "server_error")
            } else {
                ("InvalidRequest", "invalid_request")
            };
            Response::oidc_error(*status, id, exception, error, "Injected failure")
        }
        (Service::Oidc, Fault::Throttle) => Response::new(429)
            .header("Content-Type", "application/json")
            .header("x-amzn-RequestId", id)
            .header("x-amzn-ErrorType", "TooManyRequestsException")
            .header("Retry-After", "1")
            .body(r#"{"message":"Rate exceeded"}"#),
        (Service::Oidc, Fault::ExpiredToken) => {
            Response::oidc_error(400, id, "ExpiredToken", "expired_token", "Token is expired")
        }
        (Service::Oidc, _) => Response::oidc_error(
            400,
            id,
            "InvalidGrant",
            "invalid_grant",
            "Invalid refresh token provided",
        ),
        (Service::Portal, Fault::Status(status)) => {
            let exception = match status {
                503 => "ServiceUnavailable",
                s if *s >= 500 => "InternalServer",
                _ => "InvalidRequest",
            };
            Response::portal_error(*status, id, exception, "Injected failure")
        }
        (Service::Portal, Fault::Throttle) => portal::too_many_requests(id, 1),
        (Service::Portal, _) => portal::unauthorized(id),
        (Service::Sts, Fault::Status(status)) => {
            let code = match status {
                503 => "ServiceUnavailable",
                s if *s >= 500 => "InternalFailure",
                _ => "InvalidParameterValue",
            };
            Response::sts_error(*status, id, code, "Injected failure")
        }
        (Service::Sts, Fault::Throttle) => {
            Response::sts_error(400, id, "Throttling", "Rate exceeded")
        }
        (Service::Sts, Fault::ExpiredToken) => Response::sts_error(
            403,
            id,
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
        (Service::Sts, _) => Response::sts_error(
            403,
            id,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
        (_, Fault::Status(status)) => Response::text(*status, "Injected failure"),
        (_, Fault::Throttle) => Response::text(429, "Rate exceeded").header("Retry-After", "1"),
        (Service::Browser, _) => Response::html(400, "Expired", "The request has expired."),
        (_, _) => Response::text(400, "Invalid or expired session"),
    }
}

/// `body` (a JSON object, or `{}`) grown to `size` bytes by a `padding` member.
fn huge_json(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = match body.iter().rposition(|&b| b == b'}') {
        Some(end) if body.first() == Some(&b'{') && end > 1 => {
            let mut head = body[..end].to_vec();
            head.push(b',');
            head
        }
        _ => b"{".to_vec(),
    };
    out.extend_from_slice(b"\"padding\":\"");
    let fill = size.saturating_sub(out.len() + 2);
    out.resize(out.len() + fill, b'x');
    out.extend_from_slice(b"\"}");
    out
}

/// `GET /_mock/stats`: `{"RegisterClient":0,...}` in [`Operation::ALL`] order.
fn stats(state: &State) -> Response {
    let mut map = serde_json::Map::new();
    for op in Operation::ALL {
        map.insert(op.name().to_owned(), serde_json::json!(state.counts[op.index()]));
    }
    Response::new(200)
        .header("Content-Type", "application/json")
        .body(serde_json::Value::Object(map).to_string())
}

/// Flush the listener out of `accept` so the accept thread sees the stop flag.
pub(crate) fn wake(addr: std::net::SocketAddr) {
    let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
}
