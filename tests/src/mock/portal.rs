//! The SSO portal (rest-json, bearer token in `x-amz-sso_bearer_token`):
//! `GetRoleCredentials`, `ListAccounts`, `ListAccountRoles`, `Logout`.

use base64::Engine as _;
use serde_json::json;

use super::operation::Operation;
use super::response::Response;
use super::server::Request;
use super::state::{Principal, State, epoch_secs};

pub(crate) const BEARER_HEADER: &str = "x-amz-sso_bearer_token";
const UNAUTHORIZED: &str = "Session token not found or invalid";

pub(crate) fn unauthorized(request_id: &str) -> Response {
    Response::portal_error(401, request_id, "Unauthorized", UNAUTHORIZED)
}

fn invalid_request(request_id: &str, message: &str) -> Response {
    Response::portal_error(400, request_id, "InvalidRequest", message)
}

fn forbidden(request_id: &str) -> Response {
    Response::portal_error(403, request_id, "Forbidden", "No access")
}

/// The `429` of the list APIs' rate limit.
pub(crate) fn too_many_requests(request_id: &str, retry_after_secs: u64) -> Response {
    Response::portal_error(429, request_id, "TooManyRequests", "Rate exceeded")
        .header("Retry-After", retry_after_secs.to_string())
}

pub(crate) fn handle(
    state: &mut State,
    req: &Request,
    op: Operation,
    request_id: &str,
) -> Response {
    match try_handle(state, req, op, request_id) {
        Ok(resp) | Err(resp) => resp,
    }
}

fn required<'r>(req: &'r Request, name: &str, request_id: &str) -> Result<&'r str, Response> {
    req.query_param(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid_request(request_id, &format!("Missing required parameter {name}")))
}

fn try_handle(
    state: &mut State,
    req: &Request,
    op: Operation,
    request_id: &str,
) -> Result<Response, Response> {
    // Parameters are validated before the token, as a modelled service does.
    let page = match op {
        Operation::ListAccounts | Operation::ListAccountRoles => {
            Some(page_params(state, req, request_id)?)
        }
        _ => None,
    };
    let token = req.header(BEARER_HEADER).unwrap_or_default().to_owned();
    if !state.token_is_valid(&token) {
        return Err(unauthorized(request_id));
    }
    if matches!(op, Operation::ListAccounts | Operation::ListAccountRoles)
        && let Some(bucket) = state.bucket.as_mut()
        && let Err(wait) = bucket.take()
    {
        let secs = u64::try_from(wait.as_millis().div_ceil(1000)).unwrap_or(1).max(1);
        return Err(too_many_requests(request_id, secs));
    }
    let endless = state.endless_pages.iter().find(|(o, _)| *o == op).map(|(_, bytes)| *bytes);
    if let (Some(bytes), Some((offset, _))) = (endless, page) {
        let account_id = req.query_param("account_id").unwrap_or_default();
        return Ok(endless_page(op, account_id, offset, bytes, request_id));
    }
    match op {
        Operation::GetRoleCredentials => {
            let role = required(req, "role_name", request_id)?;
            let account = required(req, "account_id", request_id)?;
            if !state.has_access(account, role) {
                return Err(forbidden(request_id));
            }
            let ttl = state.config.credential_ttl;
            let key = state.issue_key(
                account,
                Principal::SsoRole { role_name: role.to_owned() },
                Some(ttl),
            );
            let expiration_ms = key.expires_at.map_or(0, epoch_secs) * 1000;
            let body = json!({"roleCredentials": {
                "accessKeyId": key.access_key_id,
                "secretAccessKey": key.secret_access_key,
                "sessionToken": key.session_token,
                "expiration": expiration_ms,
            }});
            Ok(Response::portal_json(200, request_id, body.to_string()))
        }
        Operation::ListAccounts => {
            let (offset, size) = page.unwrap_or((0, 1));
            let accounts: Vec<_> = state
                .accounts
                .iter()
                .skip(offset)
                .take(size)
                .map(|a| json!({"accountId": a.id, "accountName": a.name, "emailAddress": a.email}))
                .collect();
            let next = (offset + size < state.accounts.len())
                .then(|| encode_token("accounts", "", offset + size));
            let mut body = json!({ "accountList": accounts });
            if let Some(next) = next {
                body["nextToken"] = json!(next);
            }
            Ok(Response::portal_json(200, request_id, body.to_string()))
        }
        Operation::ListAccountRoles => {
            let account_id = required(req, "account_id", request_id)?;
            let Some(account) = state.accounts.iter().find(|a| a.id == account_id) else {
                return Err(forbidden(request_id));
            };
            let (offset, size) = page.unwrap_or((0, 1));
            let roles: Vec<_> = account
                .roles
                .iter()
                .skip(offset)
                .take(size)
                .map(|r| json!({"roleName": r, "accountId": account.id}))
                .collect();
            let next = (offset + size < account.roles.len())
                .then(|| encode_token("roles", account_id, offset + size));
            let mut body = json!({ "roleList": roles });
            if let Some(next) = next {
                body["nextToken"] = json!(next);
            }
            Ok(Response::portal_json(200, request_id, body.to_string()))
        }
        _ => {
            // Logout: the token and the refresh token issued with it stop working.
            if let Some(access) = state.access_tokens.get_mut(&token) {
                access.revoked = true;
                if let Some(refresh) = access.refresh_token.clone() {
                    state.refresh_tokens.remove(&refresh);
                }
            }
            Ok(Response::portal_json(200, request_id, Vec::new()))
        }
    }
}

/// A page of about `bytes` of made-up accounts (~1 KB each) or roles of `account_id` (~60
/// bytes each) from `offset` on, always with a `nextToken`.
fn endless_page(
    op: Operation,
    account_id: &str,
    offset: usize,
    bytes: usize,
    request_id: &str,
) -> Response {
    let (member, kind) = if op == Operation::ListAccounts {
        ("accountList", "accounts")
    } else {
        ("roleList", "roles")
    };
    let mut items = String::new();
    let mut n = offset;
    while items.len() < bytes {
        if !items.is_empty() {
            items.push(',');
        }
        let item = if op == Operation::ListAccounts {
            // Long names: a page holds ~1 000 accounts, so the byte count grows fastest.
            json!({"accountId": format!("{:012}", n % 1_000_000_000_000),
                   "accountName": format!("endless-{n:0>990}"),
                   "emailAddress": format!("aws+endless-{n}@example.com")})
        } else {
            json!({"roleName": format!("EndlessRole{n}"), "accountId": account_id})
        };
        items.push_str(&item.to_string());
        n += 1;
    }
    let next = encode_token(kind, if kind == "roles" { account_id } else { "" }, n);
    let body = format!("{{\"{member}\":[{items}],\"nextToken\":{}}}", json!(next));
    Response::portal_json(200, request_id, body)
}

/// `(offset, page size)` from `next_token` and `max_result`.
fn page_params(state: &State, req: &Request, request_id: &str) -> Result<(usize, usize), Response> {
    let size = match req.query_param("max_result") {
        None => state.config.page_size,
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => {
                return Err(invalid_request(
                    request_id,
                    "max_result must be a number between 1 and 100",
                ));
            }
        },
    };
    let offset = match req.query_param("next_token") {
        None => 0,
        Some(token) => {
            let (kind, scope) = if req.path == "/assignment/roles" {
                ("roles", req.query_param("account_id").unwrap_or_default())
            } else {
                ("accounts", "")
            };
            decode_token(token, kind, scope)
                .ok_or_else(|| invalid_request(request_id, "Invalid next token provided"))?
        }
    };
    Ok((offset, size))
}

fn encode_token(kind: &str, scope: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{scope}:{offset}"))
}

fn decode_token(token: &str, kind: &str, scope: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(3, ':');
    if parts.next()? != kind || parts.next()? != scope {
        return None;
    }
    parts.next()?.parse().ok()
}
