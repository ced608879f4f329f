//! Console federation sign-in: `GET /federation?Action=getSigninToken` turns temporary keys
//! into a sign-in token; `GET /federation?Action=login` spends it (a page, not a redirect, so
//! a fake browser never leaves loopback).

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::ConsoleSession;
use super::response::Response;
use super::server::Request;
use super::state::{SigninToken, State};

/// A sign-in token must be used within 15 minutes.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

fn bad(text: &str) -> Response {
    Response::text(400, text)
}

pub(crate) fn get_signin_token(state: &mut State, req: &Request) -> Response {
    let Some(session) = req.query_param("Session") else {
        return bad("Missing Session parameter");
    };
    let Ok(Value::Object(session)) = serde_json::from_str::<Value>(session) else {
        return bad("Session is not a JSON object");
    };
    let field = |name: &str| session.get(name).and_then(Value::as_str).unwrap_or_default();
    let (akid, secret, token) = (field("sessionId"), field("sessionKey"), field("sessionToken"));
    let valid = state.keys.get(akid).is_some_and(|k| {
        k.secret_access_key == secret
            && k.session_token.as_deref() == Some(token)
            && !k.is_expired(SystemTime::now())
    });
    if !valid {
        return bad("Invalid session credentials");
    }
    if let Some(duration) = req.query_param("SessionDuration")
        && !duration.parse::<u64>().is_ok_and(|d| (900..=43200).contains(&d))
    {
        return bad("SessionDuration must be between 900 and 43200");
    }
    let signin_token = state.random(300);
    state.signin_tokens.insert(
        signin_token.clone(),
        SigninToken { access_key_id: akid.to_owned(), issued: SystemTime::now() },
    );
    Response::new(200)
        .header("Content-Type", "application/json")
        .body(json!({ "SigninToken": signin_token }).to_string())
}

pub(crate) fn console_login(state: &mut State, req: &Request) -> Response {
    let Some(token) = req.query_param("SigninToken") else {
        return bad("Missing SigninToken parameter");
    };
    let Some(destination) = req.query_param("Destination").filter(|d| d.starts_with("https://"))
    else {
        return bad("Missing or invalid Destination parameter");
    };
    let Some(signin) = state.signin_tokens.remove(token) else {
        return bad("Invalid SigninToken");
    };
    if signin.issued + TOKEN_LIFETIME <= SystemTime::now() {
        return bad("Expired SigninToken");
    }
    let Some(key) = state.keys.get(&signin.access_key_id) else {
        return bad("Invalid SigninToken");
    };
    let session = ConsoleSession {
        account_id: key.account_id.clone(),
        arn: key.arn(&state.config.user_name),
        destination: destination.to_owned(),
        issuer: req.query_param("Issuer").unwrap_or_default().to_owned(),
    };
    let text = format!("Signed in as {} to {}", session.arn, session.destination);
    state.console_sessions.push(session);
    Response::html(200, "AWS Management Console", &text)
}
