//! STS (query protocol, XML answers): `AssumeRole` and `GetCallerIdentity`, authenticated by
//! the access key id in the `SigV4` `Authorization` header (the signature itself is not checked).

use std::time::Duration;

use super::config::AssumableRole;
use super::response::{Response, STS_XMLNS, iso8601, xml_escape};
use super::server::Request;
use super::state::{IssuedKey, Principal, State, role_id};

const VERSION: &str = "2011-06-15";
/// Service limit on sessions made from role sessions (role chaining).
const CHAINED_MAX: Duration = Duration::from_secs(3600);

/// The STS operation a request names, from its `Action` parameter.
pub(crate) fn action(req: &Request) -> Option<String> {
    params(req).into_iter().find(|(k, _)| k == "Action").map(|(_, v)| v)
}

/// Form body and query string together (STS accepts either).
fn params(req: &Request) -> Vec<(String, String)> {
    let mut all = req.query.clone();
    let form = req
        .header("content-type")
        .is_none_or(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if form {
        all.extend(crate::http::parse_query(&String::from_utf8_lossy(&req.body)));
    }
    all
}

fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn validation(request_id: &str, message: &str) -> Response {
    Response::sts_error(400, request_id, "ValidationError", message)
}

/// The access key id of `Authorization: AWS4-HMAC-SHA256 Credential=<akid>/<date>/<region>/sts/aws4_request, ...`.
fn credential_key_id(req: &Request, request_id: &str) -> Result<String, Response> {
    let Some(auth) = req.header("authorization") else {
        return Err(Response::sts_error(
            403,
            request_id,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ));
    };
    let incomplete =
        |detail: &str| Response::sts_error(403, request_id, "IncompleteSignature", detail);
    let Some(params) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(incomplete("Authorization header must use AWS4-HMAC-SHA256"));
    };
    let credential = params
        .split(',')
        .find_map(|p| p.trim().strip_prefix("Credential="))
        .ok_or_else(|| incomplete("Authorization header requires 'Credential' parameter."))?;
    if !params.contains("Signature=") || !params.contains("SignedHeaders=") {
        return Err(incomplete("Authorization header requires 'Signature' and 'SignedHeaders'."));
    }
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" || scope[0].is_empty() {
        return Err(incomplete("Credential must have exactly 5 slash-delimited elements."));
    }
    if scope[3] != "sts" {
        return Err(Response::sts_error(
            403,
            request_id,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'sts'. ",
        ));
    }
    Ok(scope[0].to_owned())
}

/// The caller's keys, checked: issued by this mock, live, with the matching session token.
fn caller(state: &State, req: &Request, request_id: &str) -> Result<IssuedKey, Response> {
    let akid = credential_key_id(req, request_id)?;
    let invalid = || {
        Response::sts_error(
            403,
            request_id,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    };
    let key = state.keys.get(&akid).ok_or_else(invalid)?;
    if key.session_token.as_deref() != req.header("x-amz-security-token") {
        return Err(invalid());
    }
    if key.is_expired(std::time::SystemTime::now()) {
        return Err(Response::sts_error(
            403,
            request_id,
            "ExpiredToken",
            "The security token included in the request is expired",
        ));
    }
    Ok(key.clone())
}

pub(crate) fn handle(state: &mut State, req: &Request, request_id: &str) -> Response {
    match try_handle(state, req, request_id) {
        Ok(resp) | Err(resp) => resp,
    }
}

fn try_handle(state: &mut State, req: &Request, request_id: &str) -> Result<Response, Response> {
    let params = params(req);
    let action = param(&params, "Action").unwrap_or_default();
    match param(&params, "Version") {
        None => {
            return Err(Response::sts_error(
                400,
                request_id,
                "MissingParameter",
                "The request must contain the parameter Version",
            ));
        }
        Some(VERSION) => {}
        Some(other) => {
            return Err(Response::sts_error(
                400,
                request_id,
                "InvalidAction",
                &format!("Could not find operation {action} for version {other}"),
            ));
        }
    }
    let caller = caller(state, req, request_id)?;
    match action {
        "AssumeRole" => assume_role(state, &params, &caller, request_id),
        "GetCallerIdentity" => {
            let user = &state.config.user_name;
            let xml = format!(
                "<GetCallerIdentityResponse xmlns=\"{STS_XMLNS}\">\n  <GetCallerIdentityResult>\n    \
                 <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  \
                 </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
                 </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
                xml_escape(&caller.arn(user)),
                xml_escape(&caller.user_id(user)),
                caller.account_id,
            );
            Ok(Response::sts_xml(200, request_id, xml))
        }
        _ => Err(Response::sts_error(
            400,
            request_id,
            "InvalidAction",
            &format!("Could not find operation {action} for version {VERSION}"),
        )),
    }
}

/// `arn:<partition>:iam::<12 digits>:role/[path/]<name>` → (partition, account, name).
fn parse_role_arn(arn: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return None;
    };
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    let ok = *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty();
    ok.then(|| ((*partition).to_owned(), (*account).to_owned(), name.to_owned()))
}

fn matches_charset(value: &str, extra: &str) -> bool {
    value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
}

/// The validated parameters of an `AssumeRole` call.
struct AssumeRoleParams<'p> {
    arn: &'p str,
    partition: String,
    account: String,
    role_name: String,
    session: &'p str,
    duration: Duration,
    external_id: Option<&'p str>,
    serial: Option<&'p str>,
    code: Option<&'p str>,
}

fn assume_role_params<'p>(
    params: &'p [(String, String)],
    request_id: &str,
) -> Result<AssumeRoleParams<'p>, Response> {
    let null = |member: &str| {
        validation(
            request_id,
            &format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy \
                 constraint: Member must not be null"
            ),
        )
    };
    let arn = param(params, "RoleArn").ok_or_else(|| null("roleArn"))?;
    let session = param(params, "RoleSessionName").ok_or_else(|| null("roleSessionName"))?;
    let Some((partition, account, role_name)) = parse_role_arn(arn) else {
        return Err(validation(request_id, &format!("{arn} is invalid")));
    };
    if !(2..=64).contains(&session.len()) || !matches_charset(session, "+=,.@-") {
        return Err(validation(
            request_id,
            &format!(
                "1 validation error detected: Value '{session}' at 'roleSessionName' failed to \
                 satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            ),
        ));
    }
    let duration = match param(params, "DurationSeconds") {
        None => Duration::from_secs(3600),
        Some(v) => match v.parse::<u64>() {
            Ok(n @ 900..=43200) => Duration::from_secs(n),
            _ => {
                return Err(validation(
                    request_id,
                    &format!(
                        "1 validation error detected: Value '{v}' at 'durationSeconds' failed to \
                         satisfy constraint: Member must have value between 900 and 43200"
                    ),
                ));
            }
        },
    };
    let external_id = param(params, "ExternalId");
    if let Some(id) = external_id
        && (!(2..=1224).contains(&id.len()) || !matches_charset(id, "+=,.@:/-"))
    {
        return Err(validation(request_id, "Invalid ExternalId"));
    }
    let serial = param(params, "SerialNumber");
    if serial.is_some_and(|s| !(9..=256).contains(&s.len())) {
        return Err(validation(request_id, "Invalid SerialNumber"));
    }
    let code = param(params, "TokenCode");
    if code.is_some_and(|c| c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit())) {
        return Err(validation(
            request_id,
            "1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: \
             Member must have length 6",
        ));
    }
    Ok(AssumeRoleParams {
        arn,
        partition,
        account,
        role_name,
        session,
        duration,
        external_id,
        serial,
        code,
    })
}

fn assume_role(
    state: &mut State,
    params: &[(String, String)],
    caller: &IssuedKey,
    request_id: &str,
) -> Result<Response, Response> {
    let AssumeRoleParams {
        arn,
        partition,
        account,
        role_name,
        session,
        duration,
        external_id,
        serial,
        code,
    } = assume_role_params(params, request_id)?;
    let user = state.config.user_name.clone();
    let denied = || {
        Response::sts_error(
            403,
            request_id,
            "AccessDenied",
            &format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                caller.arn(&user)
            ),
        )
    };
    let role = match state.assumable_roles.iter().find(|r| r.arn == arn) {
        Some(role) => role.clone(),
        None if state.config.deny_unknown_roles => return Err(denied()),
        None => AssumableRole::new(arn),
    };
    if role.external_id.is_some() && role.external_id.as_deref() != external_id {
        return Err(denied());
    }
    if let Some((want_serial, want_code)) = &role.mfa {
        if serial != Some(want_serial.as_str()) || code.is_none() {
            return Err(denied());
        }
        if code != Some(want_code.as_str()) {
            return Err(Response::sts_error(
                403,
                request_id,
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            ));
        }
    }
    let chained = !matches!(caller.principal, Principal::User { .. });
    if chained && duration > CHAINED_MAX {
        return Err(validation(
            request_id,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by \
             role chaining.",
        ));
    }
    if duration > role.max_session {
        return Err(validation(
            request_id,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let principal = Principal::AssumedRole {
        partition,
        role_name: role_name.clone(),
        session_name: session.to_owned(),
    };
    let key = state.issue_key(&account, principal, Some(duration));
    let xml = format!(
        "<AssumeRoleResponse xmlns=\"{STS_XMLNS}\">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      \
         <AssumedRoleId>{role_id}:{session}</AssumedRoleId>\n      <Arn>{arn}</Arn>\n    </AssumedRoleUser>\n    \
         <Credentials>\n      <AccessKeyId>{akid}</AccessKeyId>\n      <SecretAccessKey>{secret}</SecretAccessKey>\n      \
         <SessionToken>{token}</SessionToken>\n      <Expiration>{expiration}</Expiration>\n    </Credentials>\n  \
         </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n\
         </AssumeRoleResponse>\n",
        role_id = role_id(&account, &role_name),
        session = xml_escape(session),
        arn = xml_escape(&key.arn(&user)),
        akid = key.access_key_id,
        secret = key.secret_access_key,
        token = key.session_token.as_deref().unwrap_or_default(),
        expiration = key.expires_at.map(iso8601).unwrap_or_default(),
    );
    Ok(Response::sts_xml(200, request_id, xml))
}
