//! A profile's keys in the formats of `aws configure export-credentials`
//! (`docs/file-formats.md`), byte for byte, plus `json` (the `process` JSON with the account and region): what `export`
//! and `credential-process` print.

use awsctx_core::cache::pyjson::{self, Layout};
use awsctx_core::time::format_export;
use awsctx_login::provider::ProfileCredentials;
use serde_json::{Map, Value};

use crate::cli::ExportFormat;

/// The text of one format. Line formats: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN` (when there is one), `AWS_CREDENTIAL_EXPIRATION` (when the keys
/// expire), values as they are (the AWS CLI neither quotes nor escapes them).
pub(crate) fn render(credentials: &ProfileCredentials, format: ExportFormat) -> String {
    let template: fn(&str, &str) -> String = match format {
        ExportFormat::Process => return process_json(credentials, false),
        ExportFormat::Json => return process_json(credentials, true),
        ExportFormat::Env => |name, value| format!("export {name}={value}\n"),
        ExportFormat::EnvNoExport => |name, value| format!("{name}={value}\n"),
        ExportFormat::Fish => |name, value| format!("set -gx {name} \"{value}\"\n"),
        ExportFormat::Powershell => |name, value| format!("$Env:{name}=\"{value}\"\n"),
        ExportFormat::WindowsCmd => |name, value| format!("set {name}={value}\n"),
    };
    let keys = &credentials.credentials;
    let mut out = String::new();
    out.push_str(&template("AWS_ACCESS_KEY_ID", keys.access_key_id()));
    out.push_str(&template("AWS_SECRET_ACCESS_KEY", keys.secret_access_key().expose()));
    if let Some(token) = keys.session_token() {
        out.push_str(&template("AWS_SESSION_TOKEN", token.expose()));
    }
    if let Some(expiration) = keys.expiration() {
        out.push_str(&template("AWS_CREDENTIAL_EXPIRATION", &format_export(expiration)));
    }
    out
}

/// `json.dumps(output, indent=2, separators=(',', ': '))` + `\n`, as the AWS CLI prints the
/// `process` format; `with_context` adds `AccountId` and `Region` (the `json` format).
fn process_json(credentials: &ProfileCredentials, with_context: bool) -> String {
    let keys = &credentials.credentials;
    let mut map = Map::new();
    map.insert("Version".into(), Value::from(1));
    map.insert("AccessKeyId".into(), Value::from(keys.access_key_id()));
    map.insert("SecretAccessKey".into(), Value::from(keys.secret_access_key().expose()));
    if let Some(token) = keys.session_token() {
        map.insert("SessionToken".into(), Value::from(token.expose()));
    }
    if let Some(expiration) = keys.expiration() {
        map.insert("Expiration".into(), Value::from(format_export(expiration)));
    }
    if with_context {
        if let Some(account) = credentials.account_id.as_deref().or(keys.account_id()) {
            map.insert("AccountId".into(), Value::from(account));
        }
        if let Some(region) = &credentials.region {
            map.insert("Region".into(), Value::from(region.as_str()));
        }
    }
    let mut out = pyjson::dumps(&Value::Object(map), Layout::Indent(2), false);
    out.push('\n');
    out
}
