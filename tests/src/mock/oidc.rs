//! SSO OIDC (rest-json): `RegisterClient`, `StartDeviceAuthorization`, `CreateToken` (device
//! code, PKCE authorization code, refresh token) and the browser-facing `/authorize` and
//! `/device` pages that stand in for the user.

use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::response::Response;
use super::server::Request;
use super::state::{
    Approval, AuthorizationCode, Client, DeviceAuthorization, State, epoch_secs, later,
};
use crate::http;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const KNOWN_GRANTS: [&str; 3] = ["authorization_code", DEVICE_GRANT, "refresh_token"];

/// A polling client may be this much early and still count as waiting `interval`.
const POLL_TOLERANCE: Duration = Duration::from_millis(100);

struct Oidc<'a> {
    request_id: &'a str,
}

impl Oidc<'_> {
    fn error(&self, status: u16, exception: &str, error: &str, description: &str) -> Response {
        Response::oidc_error(status, self.request_id, exception, error, description)
    }

    fn invalid_request(&self, description: &str) -> Response {
        self.error(400, "InvalidRequest", "invalid_request", description)
    }

    fn invalid_client(&self) -> Response {
        self.error(401, "InvalidClient", "invalid_client", "Invalid client provided")
    }

    fn invalid_grant(&self, description: &str) -> Response {
        self.error(400, "InvalidGrant", "invalid_grant", description)
    }

    fn ok(&self, body: &Value) -> Response {
        Response::oidc_json(200, self.request_id, body)
    }
}

/// The JSON object body, or the error to answer.
fn json_body(req: &Request, oidc: &Oidc<'_>) -> Result<serde_json::Map<String, Value>, Response> {
    let text = if req.body.is_empty() { b"{}".as_slice() } else { &req.body };
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(oidc.error(
            400,
            "InvalidRequest",
            "invalid_request",
            "Request body is not a JSON object",
        )),
    }
}

/// Member `name` as a non-empty string; `Ok(None)` when absent; an error when of another type.
fn string_member<'m>(
    body: &'m serde_json::Map<String, Value>,
    name: &str,
    oidc: &Oidc<'_>,
) -> Result<Option<&'m str>, Response> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(oidc.invalid_request(&format!("Member {name} must be a string"))),
    }
}

fn required<'m>(
    body: &'m serde_json::Map<String, Value>,
    name: &str,
    oidc: &Oidc<'_>,
) -> Result<&'m str, Response> {
    match string_member(body, name, oidc)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(oidc.invalid_request(&format!("Missing required member {name}"))),
    }
}

fn string_list(
    body: &serde_json::Map<String, Value>,
    name: &str,
    oidc: &Oidc<'_>,
) -> Result<Vec<String>, Response> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    oidc.invalid_request(&format!("Member {name} must list strings"))
                })
            })
            .collect(),
        Some(_) => Err(oidc.invalid_request(&format!("Member {name} must be a list"))),
    }
}

/// The registered client, if id and secret match and the registration is live.
fn authenticate<'s>(state: &'s State, client_id: &str, client_secret: &str) -> Option<&'s Client> {
    state
        .clients
        .get(client_id)
        .filter(|c| c.secret == client_secret && c.expires_at > SystemTime::now())
}

fn same_start_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// `http://127.0.0.1:PORT/path` → `http://127.0.0.1/path`: loopback redirect URIs match
/// whatever port (RFC 8252 §7.3), as the CLI registers them without one.
fn without_loopback_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]").then(|| format!("http://{host}{path}"))
}

fn redirect_allowed(client: &Client, redirect_uri: &str) -> bool {
    let Some(wanted) = without_loopback_port(redirect_uri) else {
        return client.redirect_uris.iter().any(|r| r == redirect_uri);
    };
    client.redirect_uris.iter().any(|r| without_loopback_port(r).as_deref() == Some(&wanted))
}

pub(crate) fn register_client(state: &mut State, req: &Request, request_id: &str) -> Response {
    let oidc = Oidc { request_id };
    match try_register_client(state, req, &oidc) {
        Ok(resp) | Err(resp) => resp,
    }
}

fn try_register_client(
    state: &mut State,
    req: &Request,
    oidc: &Oidc<'_>,
) -> Result<Response, Response> {
    let body = json_body(req, oidc)?;
    required(&body, "clientName", oidc)?;
    let client_type = required(&body, "clientType", oidc)?;
    if client_type != "public" {
        return Err(oidc.error(
            400,
            "InvalidClientMetadata",
            "invalid_client_metadata",
            "Invalid client type",
        ));
    }
    let scopes = string_list(&body, "scopes", oidc)?;
    let grant_types = string_list(&body, "grantTypes", oidc)?;
    let redirect_uris = string_list(&body, "redirectUris", oidc)?;
    if let Some(bad) = grant_types.iter().find(|g| !KNOWN_GRANTS.contains(&g.as_str())) {
        return Err(oidc.error(
            400,
            "InvalidClientMetadata",
            "invalid_client_metadata",
            &format!("Unsupported grant type {bad}"),
        ));
    }
    if let Some(bad) = redirect_uris
        .iter()
        .find(|u| without_loopback_port(u).is_none() && !u.starts_with("https://"))
    {
        return Err(oidc.error(
            400,
            "InvalidRedirectUri",
            "invalid_redirect_uri",
            &format!("Invalid redirect URI {bad}"),
        ));
    }
    let issuer = string_member(&body, "issuerUrl", oidc)?;
    if grant_types.iter().any(|g| g == "authorization_code") {
        if redirect_uris.is_empty() {
            return Err(oidc.error(
                400,
                "InvalidRedirectUri",
                "invalid_redirect_uri",
                "The authorization_code grant needs redirectUris",
            ));
        }
        if issuer.is_none() {
            return Err(oidc.invalid_request("The authorization_code grant needs issuerUrl"));
        }
    }
    if let Some(issuer) = issuer
        && !same_start_url(issuer, &state.config.start_url)
    {
        return Err(oidc.invalid_request("Invalid issuerUrl"));
    }
    let client_id = state.random(22);
    let client_secret = format!("eyJraWQiOiJrZXktMTU2{}", state.random(300));
    let now = SystemTime::now();
    let expires_at = later(state.config.registration_ttl);
    state.clients.insert(
        client_id.clone(),
        Client { secret: client_secret.clone(), scopes, grant_types, redirect_uris, expires_at },
    );
    Ok(oidc.ok(&json!({
        "clientId": client_id,
        "clientSecret": client_secret,
        "clientIdIssuedAt": epoch_secs(now),
        "clientSecretExpiresAt": epoch_secs(expires_at),
    })))
}

pub(crate) fn start_device_authorization(
    state: &mut State,
    req: &Request,
    request_id: &str,
) -> Response {
    let oidc = Oidc { request_id };
    match try_start_device_authorization(state, req, &oidc) {
        Ok(resp) | Err(resp) => resp,
    }
}

fn try_start_device_authorization(
    state: &mut State,
    req: &Request,
    oidc: &Oidc<'_>,
) -> Result<Response, Response> {
    let body = json_body(req, oidc)?;
    let client_id = required(&body, "clientId", oidc)?;
    let client_secret = required(&body, "clientSecret", oidc)?;
    let start_url = required(&body, "startUrl", oidc)?;
    if authenticate(state, client_id, client_secret).is_none() {
        return Err(oidc.invalid_client());
    }
    if !same_start_url(start_url, &state.config.start_url) {
        return Err(oidc.invalid_request("Invalid start URL"));
    }
    let device_code = state.random(86);
    let user_code = state.user_code();
    let ttl = state.config.device_code_ttl;
    let approval = if state.config.auto_approve {
        if state.deny_authorization { Approval::Denied } else { Approval::Approved }
    } else {
        Approval::Pending
    };
    state.devices.insert(
        device_code.clone(),
        DeviceAuthorization {
            client_id: client_id.to_owned(),
            user_code: user_code.clone(),
            expires_at: later(ttl),
            approval,
            last_poll: None,
        },
    );
    let uri = format!("{}/device", state.base_url);
    Ok(oidc.ok(&json!({
        "deviceCode": device_code,
        "expiresIn": ttl.as_secs(),
        "interval": state.config.device_interval,
        "userCode": user_code,
        "verificationUri": uri,
        "verificationUriComplete": format!("{uri}?user_code={user_code}"),
    })))
}

pub(crate) fn create_token(state: &mut State, req: &Request, request_id: &str) -> Response {
    let oidc = Oidc { request_id };
    match try_create_token(state, req, &oidc) {
        Ok(resp) | Err(resp) => resp,
    }
}

fn try_create_token(
    state: &mut State,
    req: &Request,
    oidc: &Oidc<'_>,
) -> Result<Response, Response> {
    let body = json_body(req, oidc)?;
    let client_id = required(&body, "clientId", oidc)?;
    let client_secret = required(&body, "clientSecret", oidc)?;
    let grant_type = required(&body, "grantType", oidc)?;
    let Some(client) = authenticate(state, client_id, client_secret) else {
        return Err(oidc.invalid_client());
    };
    if !KNOWN_GRANTS.contains(&grant_type) {
        return Err(oidc.error(
            400,
            "UnsupportedGrantType",
            "unsupported_grant_type",
            &format!("Unsupported grant type {grant_type}"),
        ));
    }
    // A registration without grantTypes (the CLI's device flow) may use device code and refresh.
    let allowed = if client.grant_types.is_empty() {
        grant_type != "authorization_code"
    } else {
        client.grant_types.iter().any(|g| g == grant_type)
    };
    if !allowed {
        return Err(oidc.error(
            400,
            "UnauthorizedClient",
            "unauthorized_client",
            &format!("Client is not registered for grant type {grant_type}"),
        ));
    }
    match grant_type {
        DEVICE_GRANT => {
            let device_code = required(&body, "deviceCode", oidc)?;
            device_code_grant(state, client_id, device_code, oidc)
        }
        "authorization_code" => {
            let code = required(&body, "code", oidc)?;
            let redirect_uri = required(&body, "redirectUri", oidc)?;
            let verifier = required(&body, "codeVerifier", oidc)?;
            let Some(grant) = state.codes.remove(code) else {
                return Err(oidc.invalid_grant("Invalid authorization code provided"));
            };
            if grant.client_id != client_id {
                return Err(oidc.invalid_grant("Invalid authorization code provided"));
            }
            if grant.expires_at <= SystemTime::now() {
                return Err(oidc.error(400, "ExpiredToken", "expired_token", "Code is expired"));
            }
            if grant.redirect_uri != redirect_uri {
                return Err(oidc.invalid_grant("Invalid redirect URI provided"));
            }
            if pkce_challenge(verifier) != grant.challenge {
                return Err(oidc.invalid_grant("Invalid code verifier provided"));
            }
            Ok(token_response(state, client_id, oidc))
        }
        _ => {
            let refresh = required(&body, "refreshToken", oidc)?;
            let usable = state
                .refresh_tokens
                .get(refresh)
                .is_some_and(|r| !r.revoked && r.client_id == client_id);
            if !usable {
                return Err(oidc.invalid_grant("Invalid refresh token provided"));
            }
            // Refresh tokens rotate: the presented one is spent.
            state.refresh_tokens.remove(refresh);
            Ok(token_response(state, client_id, oidc))
        }
    }
}

fn device_code_grant(
    state: &mut State,
    client_id: &str,
    device_code: &str,
    oidc: &Oidc<'_>,
) -> Result<Response, Response> {
    let interval = Duration::from_secs(state.config.device_interval);
    let Some(device) = state.devices.get_mut(device_code) else {
        return Err(oidc.invalid_grant("Invalid device code provided"));
    };
    if device.client_id != client_id {
        return Err(oidc.invalid_grant("Invalid device code provided"));
    }
    if device.expires_at <= SystemTime::now() {
        state.devices.remove(device_code);
        return Err(oidc.error(400, "ExpiredToken", "expired_token", "Device code is expired"));
    }
    let now = Instant::now();
    let previous = device.last_poll.replace(now);
    match device.approval {
        Approval::Denied => {
            state.devices.remove(device_code);
            Err(oidc.error(400, "AccessDenied", "access_denied", "Access denied"))
        }
        Approval::Pending => {
            if previous.is_some_and(|p| now.duration_since(p) + POLL_TOLERANCE < interval) {
                return Err(oidc.error(400, "SlowDown", "slow_down", "Client is polling too fast"));
            }
            Err(oidc.error(
                400,
                "AuthorizationPending",
                "authorization_pending",
                "Authorization is still pending",
            ))
        }
        Approval::Approved => {
            state.devices.remove(device_code);
            Ok(token_response(state, client_id, oidc))
        }
    }
}

fn token_response(state: &mut State, client_id: &str, oidc: &Oidc<'_>) -> Response {
    let (access, refresh, expires_in) = state.issue_token(client_id);
    let mut body = json!({ "accessToken": access, "tokenType": "Bearer", "expiresIn": expires_in });
    if let (Some(refresh), Value::Object(map)) = (refresh, &mut body) {
        map.insert("refreshToken".to_owned(), Value::String(refresh));
    }
    oidc.ok(&body)
}

/// `base64url(sha256(verifier))` without padding (RFC 7636 S256).
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `redirect_uri` plus `pairs` in its query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", http::encode_query(pairs.iter().copied()))
}

/// `GET /authorize`: the user signs in and approves, and the browser is sent back to the
/// client's loopback redirect URI with a code (or `error=access_denied`).
pub(crate) fn authorize(state: &mut State, req: &Request) -> Response {
    let client_id = req.query_param("client_id").unwrap_or_default();
    let redirect_uri = req.query_param("redirect_uri").unwrap_or_default();
    let Some(client) = state.clients.get(client_id).cloned() else {
        return Response::html(400, "Invalid request", "Unknown client_id.");
    };
    if redirect_uri.is_empty() || !redirect_allowed(&client, redirect_uri) {
        return Response::html(400, "Invalid request", "The redirect_uri is not registered.");
    }
    let state_param = req.query_param("state").unwrap_or_default();
    let fail = |error: &str| {
        let mut pairs = vec![("error", error)];
        if !state_param.is_empty() {
            pairs.push(("state", state_param));
        }
        Response::redirect(&with_query(redirect_uri, &pairs))
    };
    if req.query_param("response_type") != Some("code") {
        return fail("unsupported_response_type");
    }
    let challenge = req.query_param("code_challenge").unwrap_or_default();
    if req.query_param("code_challenge_method") != Some("S256") || challenge.is_empty() {
        return fail("invalid_request");
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return fail("unauthorized_client");
    }
    let scopes = req.query_param("scopes").unwrap_or_default();
    if scopes.split(' ').filter(|s| !s.is_empty()).any(|s| !client.scopes.iter().any(|c| c == s)) {
        return fail("invalid_scope");
    }
    if state.deny_authorization {
        return fail("access_denied");
    }
    let code = state.random(64);
    state.codes.insert(
        code.clone(),
        AuthorizationCode {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            challenge: challenge.to_owned(),
            expires_at: later(state.config.device_code_ttl),
        },
    );
    let mut pairs = vec![("code", code.as_str())];
    if !state_param.is_empty() {
        pairs.push(("state", state_param));
    }
    Response::redirect(&with_query(redirect_uri, &pairs))
}

/// `GET /device[?user_code=..]`: the user approves (or, when configured, denies) a pending
/// device authorization.
pub(crate) fn verify_device(state: &mut State, req: &Request) -> Response {
    let Some(user_code) = req.query_param("user_code").filter(|c| !c.is_empty()) else {
        return Response::html(200, "Authorize request", "Enter the code shown by your device.");
    };
    let now = SystemTime::now();
    let deny = state.deny_authorization;
    let Some(device) = state
        .devices
        .values_mut()
        .find(|d| d.user_code.eq_ignore_ascii_case(user_code) && d.expires_at > now)
    else {
        return Response::html(400, "Invalid code", "The code is invalid or has expired.");
    };
    if deny {
        device.approval = Approval::Denied;
        Response::html(200, "Request denied", "You denied access.")
    } else {
        device.approval = Approval::Approved;
        Response::html(200, "Request approved", "You can close this window.")
    }
}

/// Approve every pending device authorization, as if the user had clicked approve; returns
/// how many were approved.
pub(crate) fn approve_pending(state: &mut State) -> usize {
    let mut approved = 0;
    for device in state.devices.values_mut() {
        if device.approval == Approval::Pending {
            device.approval = Approval::Approved;
            approved += 1;
        }
    }
    approved
}
