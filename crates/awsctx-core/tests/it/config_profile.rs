//! Profile kinds and credential chains: every case of `assume-role-tests.json`, and the
//! SSO, role and static-key rules around it.

use std::fmt::Write as _;

use awsctx_core::config::{ChainLink, Config, ProfileError, ProfileKind, RoleSource, SsoSession};
use awsctx_core::secret::Secret;
use serde_json::{Map, Value as Json, json};

use crate::config_owned::Files;
use crate::config_testdata::testdata_json;

const CASES: &str = "smithy-rs/aws/rust-runtime/aws-config/test-data/assume-role-tests.json";

/// The test input as a config file: `[profile NAME]` and `[sso-session NAME]` sections.
fn config_text(input: &Json) -> String {
    let mut text = String::new();
    for (prefix, field) in [("profile", "profiles"), ("sso-session", "sso_sessions")] {
        for (name, props) in input[field].as_object().into_iter().flatten() {
            writeln!(text, "[{prefix} {name}]").unwrap();
            for (key, value) in props.as_object().expect("properties") {
                writeln!(text, "{key} = {}", value.as_str().expect("string")).unwrap();
            }
        }
    }
    text
}

/// A chain link in the upstream test's shape.
fn upstream_shape(link: &ChainLink) -> Json {
    let mut fields = Map::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value {
            fields.insert(key.to_owned(), json!(value));
        }
    };
    let name = match &link.kind {
        ProfileKind::Static { access_key_id, secret_access_key, session_token, account_id } => {
            put("access_key_id", Some(access_key_id));
            put("secret_access_key", Some(secret_access_key.expose()));
            put("session_token", session_token.as_ref().map(Secret::expose));
            put("account_id", account_id.as_deref());
            "AccessKey"
        }
        ProfileKind::AssumeRole { role_arn, role_session_name, external_id, .. } => {
            put("role_arn", Some(role_arn));
            put("external_id", external_id.as_deref());
            put("role_session_name", role_session_name.as_deref());
            "AssumeRole"
        }
        ProfileKind::CredentialSource { source } => return json!({ "NamedSource": source }),
        ProfileKind::CredentialProcess { command } => {
            return json!({ "CredentialProcess": command });
        }
        ProfileKind::WebIdentity { role_arn, token_file, role_session_name } => {
            put("role_arn", Some(role_arn));
            put("web_identity_token_file", Some(token_file));
            put("role_session_name", role_session_name.as_deref());
            "WebIdentityToken"
        }
        ProfileKind::Sso { session, account_id, role_name } => {
            put("sso_session", Some(&session.name));
            put("sso_region", Some(&session.region));
            put("sso_start_url", Some(&session.start_url));
            put("sso_account_id", Some(account_id));
            put("sso_role_name", Some(role_name));
            "Sso"
        }
        ProfileKind::SsoToken { session } => {
            put("sso_session", Some(&session.name));
            put("sso_region", Some(&session.region));
            put("sso_start_url", Some(&session.start_url));
            "Sso"
        }
        ProfileKind::LegacySso { start_url, region, account_id, role_name } => {
            put("sso_region", Some(region));
            put("sso_start_url", Some(start_url));
            put("sso_account_id", Some(account_id));
            put("sso_role_name", Some(role_name));
            "Sso"
        }
        ProfileKind::SettingsOnly => "SettingsOnly",
    };
    json!({ name: fields })
}

/// Whether `err` is the error an upstream message describes.
fn is_upstream_error(message: &str, err: &ProfileError) -> bool {
    use ProfileError as E;
    if let Some(rest) = message.strip_prefix("could not find source profile ") {
        let (source, referrer) = rest.split_once(" referenced from ").expect("message shape");
        return matches!(err, E::SourceProfileNotFound { profile, source_profile, .. }
            if profile == referrer && source_profile == source);
    }
    if let Some(rest) = message.strip_prefix("if `") {
        let (present_key, rest) = rest.split_once("` is set, then `").expect("message shape");
        let missing_key = rest.strip_suffix("` must also be set").expect("message shape");
        return matches!(err, E::SsoAccountRolePair { present, missing, .. }
            if *present == present_key && *missing == missing_key);
    }
    if let Some(rest) = message.strip_prefix("profile `") {
        let name = rest.strip_suffix("` did not contain credential information").expect("shape");
        return matches!(err, E::NoCredentials { profile, .. } if profile == name);
    }
    if let Some(rest) = message.strip_prefix("sso-session named `") {
        let (name, rest) = rest.split_once("` (referenced by profile `").expect("message shape");
        let referrer = rest.strip_suffix("`) was not found").expect("message shape");
        return matches!(err, E::SsoSessionNotFound { profile, session, .. }
            if profile == referrer && session == name);
    }
    match message {
        "profile must contain `source_profile`" => matches!(err, E::RoleWithoutSource { .. }),
        "profile contained both source_profile and credential_source" => {
            matches!(err, E::BothRoleSources { .. })
        }
        "profile missing aws_secret_access_key" => {
            matches!(err, E::StaticKeysIncomplete { missing: "aws_secret_access_key", .. })
        }
        "profile missing aws_access_key_id" => {
            matches!(err, E::StaticKeysIncomplete { missing: "aws_access_key_id", .. })
        }
        "No profiles were defined" => matches!(err, E::NotFound { .. }),
        "profile formed an infinite loop" => matches!(err, E::Cycle { .. }),
        "`role_arn` was missing" => matches!(err, E::WebIdentityWithoutRoleArn { .. }),
        "`sso_region` can only be specified in the [sso-session] config when a session name is given" =>
        {
            matches!(err, E::SsoKeyBesideSession { key: "sso_region", .. })
        }
        other => panic!("no mapping for upstream error `{other}`: add one"),
    }
}

#[test]
fn every_assume_role_case_passes_read_whole_and_for_the_one_profile() {
    let Some(doc) = testdata_json(CASES) else { return };
    let cases = doc.as_array().expect("an array of cases");
    assert_eq!(cases.len(), 28, "the upstream file has 28 cases");
    for case in cases {
        let docs = case["docs"].as_str().expect("docs");
        let files = Files::new(&config_text(&case["input"]), "");
        let selected = case["input"]["selected_profile"].as_str().expect("selected_profile");
        let whole = files.load().unwrap_or_else(|e| panic!("{docs}: {e}"));
        let one = files.load_profile(selected).unwrap_or_else(|e| panic!("{docs}: {e}"));
        for (path, config) in [("whole", whole), ("one profile", one)] {
            let result = config.credential_chain(selected);
            if let Some(message) = case["output"]["Error"].as_str() {
                let err = result.expect_err(docs);
                assert!(
                    is_upstream_error(message, &err),
                    "{docs} ({path}): expected `{message}`, got `{err}`"
                );
            } else {
                let chain = result.unwrap_or_else(|e| panic!("{docs} ({path}): {e}"));
                let shape: Vec<Json> = chain.iter().map(upstream_shape).collect();
                assert_eq!(Json::Array(shape), case["output"]["ProfileChain"], "{docs} ({path})");
            }
        }
    }
}

const CORP: &str = "\
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access, codewhisperer:completions ,

[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-west-1

[profile admin]
role_arn = arn:aws:iam::444455556666:role/Admin
source_profile = dev
mfa_serial = arn:aws:iam::111122223333:mfa/me
duration_seconds = 3600

[profile break-glass]
role_arn = arn:aws:iam::777788889999:role/BreakGlass
source_profile = admin
role_session_name = me
duration_seconds = soon

[profile token-only]
sso_session = corp

[profile legacy]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ReadOnly

[profile tool]
credential_process = /usr/bin/tool --profile x

[profile settings]
region = us-east-2
output = json
role_arn =
";

fn corp() -> Config {
    Config::from_sources(CORP, "").unwrap()
}

fn corp_session() -> SsoSession {
    SsoSession {
        name: "corp".into(),
        start_url: "https://corp.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        registration_scopes: vec!["sso:account:access".into(), "codewhisperer:completions".into()],
    }
}

#[test]
fn sso_profiles_resolve_their_session() {
    let config = corp();
    assert_eq!(
        config.kind("dev").unwrap(),
        ProfileKind::Sso {
            session: corp_session(),
            account_id: "111122223333".into(),
            role_name: "Developer".into()
        }
    );
    assert_eq!(
        config.kind("token-only").unwrap(),
        ProfileKind::SsoToken { session: corp_session() }
    );
    assert_eq!(config.sso_session("corp").unwrap(), corp_session());
    let users: Vec<&str> = config.profiles_using_sso_session("corp").map(|p| p.name()).collect();
    assert_eq!(users, ["dev", "token-only"]);
    assert_eq!(
        config.kind("legacy").unwrap(),
        ProfileKind::LegacySso {
            start_url: "https://old.awsapps.com/start".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            role_name: "ReadOnly".into()
        }
    );
}

#[test]
fn role_profiles_carry_their_assume_role_parameters() {
    let config = corp();
    assert_eq!(
        config.kind("admin").unwrap(),
        ProfileKind::AssumeRole {
            role_arn: "arn:aws:iam::444455556666:role/Admin".into(),
            source: RoleSource::Profile("dev".into()),
            role_session_name: None,
            external_id: None,
            mfa_serial: Some("arn:aws:iam::111122223333:mfa/me".into()),
            duration_seconds: Some(3600),
        }
    );
    let ProfileKind::AssumeRole { duration_seconds, role_session_name, .. } =
        config.kind("break-glass").unwrap()
    else {
        panic!("break-glass is a role");
    };
    assert_eq!((duration_seconds, role_session_name.as_deref()), (None, Some("me")));
}

#[test]
fn other_kinds_and_empty_values() {
    let config = corp();
    assert_eq!(
        config.kind("tool").unwrap(),
        ProfileKind::CredentialProcess { command: "/usr/bin/tool --profile x".into() }
    );
    // `role_arn =` with no value is no role.
    assert_eq!(config.kind("settings").unwrap(), ProfileKind::SettingsOnly);
    assert_eq!(config.kind("settings").unwrap().label(), "settings");
    let err = config.credential_chain("settings").unwrap_err();
    assert_eq!(
        err.to_string(),
        "~/.aws/config:36: profile `settings` has no credentials (no SSO, role, `credential_process` or keys)"
    );
}

#[test]
fn a_chain_runs_from_the_sso_base_to_the_selected_role() {
    let chain = corp().credential_chain("break-glass").unwrap();
    let steps: Vec<(&str, &str)> =
        chain.iter().map(|l| (l.profile.as_str(), l.kind.label())).collect();
    assert_eq!(steps, [("dev", "sso"), ("admin", "role"), ("break-glass", "role")]);
}

#[test]
fn a_cycle_is_reported_with_the_whole_loop() {
    let config = Config::from_sources(
        "[profile a]\nrole_arn = arn:a\nsource_profile = b\n[profile b]\nrole_arn = arn:b\nsource_profile = c\n[profile c]\nrole_arn = arn:c\nsource_profile = a\n",
        "",
    )
    .unwrap();
    let err = config.credential_chain("b").unwrap_err();
    assert_eq!(err.to_string(), "role chain loops: `b -> c -> a -> b`");
    // The profile itself is fine: only following the chain loops.
    assert!(matches!(config.kind("b"), Ok(ProfileKind::AssumeRole { .. })));
}

#[test]
fn invalid_combinations_name_the_profile_and_line() {
    let config = Config::from_sources(
        "\
[sso-session s]
sso_region = us-east-1

[profile both-urls]
sso_session = s
sso_start_url = https://x.awsapps.com/start
[profile no-role]
sso_session = s
sso_account_id = 1
[profile two-sources]
role_arn = arn:r
source_profile = x
credential_source = Environment
[profile no-source]
role_arn = arn:r
[profile incomplete-session]
sso_session = s
[profile missing-session]
sso_session = nope
[profile half-keys]
aws_access_key_id = AKIA
[profile legacy-no-region]
sso_start_url = https://x
sso_account_id = 1
sso_role_name = r
",
        "",
    )
    .unwrap();
    let messages: Vec<String> = [
        "both-urls",
        "no-role",
        "two-sources",
        "no-source",
        "incomplete-session",
        "missing-session",
        "half-keys",
        "legacy-no-region",
        "absent",
    ]
    .iter()
    .map(|name| config.kind(name).unwrap_err().to_string())
    .collect();
    assert_eq!(
        messages,
        [
            "~/.aws/config:6: profile `both-urls` sets `sso_start_url` next to `sso_session`; `sso_start_url` belongs in the `[sso-session]` section",
            "~/.aws/config:9: profile `no-role` sets `sso_account_id` but not `sso_role_name`; SSO needs both",
            "~/.aws/config:13: profile `two-sources` sets both `source_profile` and `credential_source`; keep one",
            "~/.aws/config:15: profile `no-source` has `role_arn` but neither `source_profile` nor `credential_source`",
            "~/.aws/config:1: `[sso-session s]` is missing `sso_start_url`",
            "~/.aws/config:19: profile `missing-session` uses `sso_session = nope`, but there is no `[sso-session nope]` section",
            "~/.aws/config:21: profile `half-keys` sets `aws_access_key_id` but not `aws_secret_access_key`",
            "~/.aws/config:22: profile `legacy-no-region` is an SSO profile without `sso_region` (or set `sso_session`)",
            "profile `absent` not found in the AWS config or credentials file",
        ]
    );
    assert!(matches!(config.sso_session("nope"), Err(ProfileError::UnknownSsoSession { .. })));
}

#[test]
fn static_keys_from_the_credentials_file_never_print() {
    let config = Config::from_sources(
        "[profile p]\nregion = x\n",
        "[p]\naws_access_key_id = AKIA\naws_secret_access_key = hunter2\naws_session_token = tok\n",
    )
    .unwrap();
    let kind = config.kind("p").unwrap();
    let debug = format!("{kind:?}");
    assert!(!debug.contains("hunter2") && !debug.contains("tok\""), "{debug}");
    let ProfileKind::Static { secret_access_key, session_token, .. } = kind else {
        panic!("static keys");
    };
    assert_eq!(secret_access_key.expose(), "hunter2");
    assert_eq!(session_token.unwrap().expose(), "tok");
}

#[test]
fn debug_output_hides_the_arguments_of_credential_process() {
    let config = Config::from_sources(
        "[profile p]\ncredential_process = /bin/vault read --token s3cr3t\n",
        "",
    )
    .unwrap();
    let kind = config.kind("p").unwrap();
    let debug = format!("{kind:?} {config:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(debug.contains("/bin/vault ** arguments redacted **"), "{debug}");
    let ProfileKind::CredentialProcess { command } = kind else { panic!("a process profile") };
    assert_eq!(command, "/bin/vault read --token s3cr3t");
}
