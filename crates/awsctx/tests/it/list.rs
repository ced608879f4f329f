//! `awsctx list`: the table, `--json`, and parity with botocore on the common subset of the
//! config grammar.

use std::process::Command;

use awsctx_tests::MockConfig;
use serde_json::Value;

use crate::support::{Sandbox, stdout};

/// A messy but common-subset config: comments, blank lines, sub-properties, a credentials
/// file that overrides one key, odd spacing. No inline comments, no duplicate sections (where
/// botocore and the SDKs disagree).
const CONFIG: &str = "\
# my AWS config
[default]
region = us-east-1
output=json

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region   =   eu-west-1
s3 =
  max_concurrent_requests = 10
  addressing_style = path

; a role on top
[profile deploy]
role_arn = arn:aws:iam::444455556666:role/Deploy
source_profile = dev
duration_seconds = 3600

[profile tool]
credential_process = /usr/bin/tool --profile x
";

const CREDENTIALS: &str = "\
[static]
aws_access_key_id = AKIAEXAMPLE
aws_secret_access_key = wJalrSECRETEXAMPLE

[deploy]
region = ap-southeast-2
";

/// A sandbox with `config` and `credentials` as its files.
fn sandbox(config: &str, credentials: &str) -> Sandbox {
    Sandbox::empty(MockConfig::default()).config(config).credentials(credentials)
}

fn list_json(sb: &Sandbox) -> Vec<Value> {
    let out = sb.run(&["list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("one JSON array")
        .as_array()
        .expect("array")
        .clone()
}

#[test]
fn list_json_gives_kind_account_role_and_merged_properties_in_file_order() {
    let sb = sandbox(CONFIG, CREDENTIALS);
    let profiles = list_json(&sb);
    let names: Vec<&str> = profiles.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "dev", "deploy", "tool", "static"]);

    let dev = &profiles[1];
    assert_eq!(dev["kind"], "sso");
    assert_eq!(dev["sso_session"], "corp");
    assert_eq!(dev["account_id"], "111122223333");
    assert_eq!(dev["role_name"], "Developer");
    assert_eq!(dev["region"], "eu-west-1");
    assert_eq!(dev["login"], "logged-out");
    assert_eq!(dev["properties"]["s3"]["addressing_style"], "path");

    let deploy = &profiles[2];
    assert_eq!((deploy["kind"].as_str(), deploy["source"].as_str()), (Some("role"), Some("both")));
    assert_eq!(deploy["account_id"], "444455556666");
    assert_eq!(deploy["region"], "ap-southeast-2", "the credentials file wins per key");

    assert_eq!(profiles[3]["kind"], "process");
    assert_eq!(profiles[4]["kind"], "static");
    assert_eq!(profiles[4]["source"], "credentials");
    assert_eq!(profiles[0]["sso_session"], Value::Null);
}

#[test]
fn list_never_prints_secret_keys() {
    let sb = sandbox(CONFIG, CREDENTIALS);
    for args in [&["list"][..], &["list", "--json"]] {
        let out = sb.run(args);
        let all = [out.stdout, out.stderr].concat();
        assert!(
            !String::from_utf8_lossy(&all).contains("wJalrSECRETEXAMPLE"),
            "{args:?} leaked a secret"
        );
    }
    let profiles = list_json(&sb);
    assert_eq!(profiles[4]["properties"]["aws_secret_access_key"], "***");
}

#[test]
fn list_table_aligns_columns_and_marks_the_current_profile() {
    let sb = sandbox(CONFIG, CREDENTIALS);
    let out = awsctx_snapshot!(sb.cmd(&["list"]).env("AWS_PROFILE", "dev"));
    assert!(out.status.success());
    assert!(!stdout(&out).contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn a_syntax_error_is_one_line_with_file_and_line_and_exit_1() {
    let sb = sandbox("[profile a]\nregion = x\nthis line has no equals\n", "");
    let out = awsctx_snapshot!(sb.cmd(&["list"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_config_lists_nothing_and_an_unreadable_one_is_an_error() {
    let sb = Sandbox::empty(MockConfig::default());
    let out = sb.run(&["list", "--json"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "[]");

    std::fs::create_dir_all(sb.config_path()).unwrap();
    let out = awsctx_snapshot!(sb.cmd(&["list"]));
    assert_eq!(out.status.code(), Some(1));
}

/// For configs in the common subset, every profile's properties equal what botocore sees.
#[test]
fn list_json_properties_match_botocore() {
    let Some(python) = crate::support::python_with("botocore") else { return };
    let sb = sandbox(CONFIG, CREDENTIALS);
    let ours: serde_json::Map<String, Value> = list_json(&sb)
        .into_iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["properties"].clone()))
        .collect();
    let script = "import json, botocore.session\n\
        profiles = botocore.session.Session().full_config['profiles']\n\
        print(json.dumps(profiles))";
    let out = Command::new(python)
        .args(["-c", script])
        .env_clear()
        .env("HOME", &sb.home)
        .output()
        .expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut theirs: serde_json::Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    // list redacts secrets; compare the rest exactly.
    for properties in theirs.values_mut() {
        if let Some(secret) = properties.get_mut("aws_secret_access_key") {
            *secret = Value::from("***");
        }
    }
    assert_eq!(Value::Object(ours), Value::Object(theirs));
}

/// `list --json` is written by hand: it must be what `serde_json` prints for the same values
/// (pretty, keys in order), with the unsafe characters escaped as `escape_json` escapes them.
#[test]
fn list_json_is_serde_json_pretty_output_byte_for_byte() {
    let hostile = "[profile odd]\nregion = eu\u{85}west\u{202e}1\nnote = say \"hi\" \\ back\tslash\u{7f}\nmore =\n  k\u{9b} = v\u{200f}\nchained = a\n  b\n\n[profile broken]\nrole_arn = arn:aws:iam::1:role/R\n\n[profile empty]\n";
    for (config, credentials) in [(CONFIG, CREDENTIALS), (hostile, "[empty]\n"), ("", "")] {
        let sb = sandbox(config, credentials);
        let out = sb.run(&["list", "--json"]);
        let ours = String::from_utf8(out.stdout).expect("UTF-8");
        let value: Value = serde_json::from_str(&ours).expect("one JSON document");
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(ours, awsctx_core::text::escape_json(pretty) + "\n");
        assert!(!ours.contains(['\u{85}', '\u{202e}', '\u{7f}', '\u{9b}', '\u{200f}']));
    }
}
