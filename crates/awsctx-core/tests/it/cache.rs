//! The SSO token cache, the client-registration cache and the role-credential cache:
//! file names, exact bytes (as the AWS CLI v2 writes them), lenient reading, refresh rules.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use awsctx_core::cache::pyjson::{self, Layout};
use awsctx_core::cache::{
    AssumeRoleKeyArgs, CacheError, ClientRegistration, CredentialCache, CredentialKey,
    RegistrationKey, RoleCredentials, SsoToken, TokenCache, TokenKey,
};
use awsctx_core::secret::Secret;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn full_token() -> SsoToken {
    SsoToken {
        start_url: Some("https://d-abc123.awsapps.com/start".into()),
        region: Some("us-east-1".into()),
        access_token: Secret::new("access"),
        expires_at: ts("2024-01-01T08:00:00Z"),
        client_id: Some("client-id".into()),
        client_secret: Some(Secret::new("client-secret")),
        registration_expires_at: Some(ts("2024-03-31T00:00:00Z")),
        refresh_token: Some(Secret::new("refresh")),
    }
}

fn sso_creds() -> RoleCredentials {
    RoleCredentials::new(
        "ASIAEXAMPLE",
        Secret::new("secret/key+1"),
        Some(Secret::new("session-token")),
        Some(ts("2024-01-01T12:00:00Z")),
    )
    .unwrap()
    .with_account_id(Some("123456789012".into()))
}

// --- keys ---------------------------------------------------------------------------------

#[test]
fn token_file_names_match_the_smithy_rs_vectors() {
    let cases = [
        (TokenKey::Session("admin".into()), "d033e22ae348aeb5660fc2140aec35850c4da997"),
        (TokenKey::Session("dev-scopes".into()), "75e4d41276d8bd17f85986fc6cccef29fd725ce3"),
        (
            TokenKey::StartUrl("https://d-92671207e4.awsapps.com/start".into()),
            "13f9d35043871d073ab260e020f0ffde092cb14b",
        ),
        (TokenKey::Session("test".into()), "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
        // python3: hashlib.sha1("séssion😀".encode()).hexdigest()
        (
            TokenKey::Session("s\u{e9}ssion\u{1f600}".into()),
            "1ee8f213b831c373e6b61bd5775c4d0be0668f0f",
        ),
    ];
    let cache = TokenCache::from_home(Path::new("/home/u"));
    for (key, stem) in cases {
        assert_eq!(key.file_stem(), stem, "{key:?}");
        assert_eq!(cache.path(&key), PathBuf::from(format!("/home/u/.aws/sso/cache/{stem}.json")));
    }
}

#[test]
fn registration_file_names_hash_the_sorted_python_json() {
    let key = RegistrationKey {
        start_url: "https://d-abc.awsapps.com/start".into(),
        region: "us-east-1".into(),
        scopes: Some(vec!["sso:account:access".into()]),
        session_name: Some("my-sso".into()),
    };
    assert_eq!(key.file_stem(), "deb8cc906c2b78450415f3bc940056d81e790b51");
    // Legacy profile: `"scopes": null, "session_name": null` (vector from python3).
    let legacy = RegistrationKey { scopes: None, session_name: None, ..key };
    assert_eq!(legacy.file_stem(), "5ee65357ecc22e44bd835b85897af284355b4d13");
}

#[test]
fn credential_file_names_match_the_aws_cli() {
    assert_eq!(
        CredentialKey::sso("123456789012", "MyRole", "my-sso").file_stem(),
        "01f2d4447e5154729a4e6ed0fb1424412e4cccca"
    );
    // The vectors below are python3's `json.dumps` + sha1 of the same arguments.
    assert_eq!(
        CredentialKey::sso_legacy("123456789012", "MyRole", "https://d-abc.awsapps.com/start")
            .file_stem(),
        "1c6c54ddca74779e4af4ea3d13903283bd9cbbeb"
    );
    assert_eq!(
        CredentialKey::sso("123456789012", "R\u{f4}le", "s\u{e9}ssion\u{1f600}").file_stem(),
        "f00306c6e161d5c0c4552d9971c636465e065c56"
    );
    let admin = AssumeRoleKeyArgs {
        role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
        duration_seconds: Some(3600),
        ..AssumeRoleKeyArgs::default()
    };
    assert_eq!(
        CredentialKey::assume_role(&admin).file_stem(),
        "d01f726b6165762f6f71e742b03b1bc031b82dbf"
    );
    let all = AssumeRoleKeyArgs {
        role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
        role_session_name: Some("me".into()),
        external_id: Some("ext-1".into()),
        serial_number: Some("arn:aws:iam::123456789012:mfa/me".into()),
        duration_seconds: Some(900),
    };
    assert_eq!(
        CredentialKey::assume_role(&all).file_stem(),
        "c19b55b5832bc3bed0fbd6747e6a7b940e51e49e"
    );
}

// --- SSO tokens -----------------------------------------------------------------------------

#[test]
fn stored_token_is_the_exact_botocore_line_with_private_modes() {
    let home = tempfile::tempdir().unwrap();
    let cache = TokenCache::from_home(home.path());
    let key = TokenKey::Session("my-sso".into());
    cache.store(&key, &full_token()).unwrap();
    let path = cache.path(&key);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        r#"{"startUrl": "https://d-abc123.awsapps.com/start", "region": "us-east-1", "accessToken": "access", "expiresAt": "2024-01-01T08:00:00Z", "clientId": "client-id", "clientSecret": "client-secret", "registrationExpiresAt": "2024-03-31T00:00:00Z", "refreshToken": "refresh"}"#
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(cache.dir()), 0o700);
    assert_eq!(cache.load(&key).unwrap(), Some(full_token()));
}

#[test]
fn stored_token_leaves_absent_fields_out_and_escapes_like_python() {
    let token = SsoToken {
        start_url: Some("https://\u{e9}.example/start".into()),
        region: Some("us-east-1".into()),
        access_token: Secret::new("a\"b\\c\u{1f600}"),
        expires_at: ts("2024-01-01T08:00:00.987Z"),
        client_id: None,
        client_secret: None,
        registration_expires_at: None,
        refresh_token: None,
    };
    assert_eq!(
        token.to_json(),
        r#"{"startUrl": "https://\u00e9.example/start", "region": "us-east-1", "accessToken": "a\"b\\c\ud83d\ude00", "expiresAt": "2024-01-01T08:00:00Z"}"#
    );
}

#[test]
fn overwriting_a_token_keeps_the_file_private_even_if_it_was_not() {
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path());
    let key = TokenKey::StartUrl("https://d-1.awsapps.com/start".into());
    std::fs::write(cache.path(&key), "{}").unwrap();
    std::fs::set_permissions(cache.path(&key), std::fs::Permissions::from_mode(0o644)).unwrap();
    cache.store(&key, &full_token()).unwrap();
    assert_eq!(mode(&cache.path(&key)), 0o600);
}

#[test]
fn token_keys_are_read_case_insensitively_and_unknown_keys_ignored() {
    let text = r#"{"ACCESSTOKEN": "tok", "ExpiresAt": "2024-01-01T08:00:00+00:00",
        "refreshtoken": "r", "Unknown": [1, 2], "region": "eu-west-1"}"#;
    let token = SsoToken::from_json(text.as_bytes()).unwrap();
    assert_eq!(token.access_token.expose(), "tok");
    assert_eq!(token.expires_at, ts("2024-01-01T08:00:00Z"));
    assert_eq!(token.refresh_token, Some(Secret::new("r")));
    assert_eq!(token.region.as_deref(), Some("eu-west-1"));
    assert_eq!(token.start_url, None);
}

#[test]
fn a_token_written_by_the_rust_sdk_is_read_and_rewritten_in_botocore_order() {
    // smithy-rs `sso/cache.rs` `save_cached_token` test vector (compact, its own key order).
    let rust_sdk = br#"{"accessToken":"access-token","expiresAt":"1971-08-02T16:53:20Z","refreshToken":"refresh-token","clientId":"client-id","clientSecret":"client-secret","registrationExpiresAt":"1973-03-03T09:46:40Z","region":"region","startUrl":"start-url"}"#;
    let token = SsoToken::from_json(rust_sdk).unwrap();
    assert_eq!(token.expires_at, Timestamp::from_second(50_000_000).unwrap());
    assert_eq!(token.registration_expires_at, Some(Timestamp::from_second(100_000_000).unwrap()));
    assert_eq!(
        token.to_json(),
        r#"{"startUrl": "start-url", "region": "region", "accessToken": "access-token", "expiresAt": "1971-08-02T16:53:20Z", "clientId": "client-id", "clientSecret": "client-secret", "registrationExpiresAt": "1973-03-03T09:46:40Z", "refreshToken": "refresh-token"}"#
    );
}

#[test]
fn token_timestamps_in_other_tools_styles_are_read_and_rewritten_with_z() {
    let text = r#"{"accessToken": "t", "expiresAt": "2024-01-01T08:00:00UTC",
        "registrationExpiresAt": "2024-03-31T02:00:00.5+02:00"}"#;
    let token = SsoToken::from_json(text.as_bytes()).unwrap();
    assert_eq!(
        token.to_json(),
        r#"{"accessToken": "t", "expiresAt": "2024-01-01T08:00:00Z", "registrationExpiresAt": "2024-03-31T00:00:00Z"}"#
    );
}

#[test]
fn corrupt_truncated_or_incomplete_token_files_count_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path());
    let key = TokenKey::Session("s".into());
    assert_eq!(cache.load(&key).unwrap(), None, "no file");
    let full = full_token().to_json();
    let bad: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"not json".to_vec(),
        full.as_bytes()[..full.len() / 2].to_vec(),
        b"[1, 2]".to_vec(),
        b"null".to_vec(),
        br#"{"expiresAt": "2024-01-01T08:00:00Z"}"#.to_vec(),
        br#"{"accessToken": "t"}"#.to_vec(),
        br#"{"accessToken": 7, "expiresAt": "2024-01-01T08:00:00Z"}"#.to_vec(),
        br#"{"accessToken": "t", "expiresAt": "soon"}"#.to_vec(),
        br#"{"accessToken": "t", "expiresAt": 1704096000}"#.to_vec(),
        vec![0xff, 0xfe, b'{'],
    ];
    for bytes in bad {
        std::fs::write(cache.path(&key), &bytes).unwrap();
        assert_eq!(cache.load(&key).unwrap(), None, "{:?}", String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn optional_token_fields_of_the_wrong_type_count_as_absent() {
    let text = br#"{"accessToken": "t", "expiresAt": "2024-01-01T08:00:00Z", "clientId": 5,
        "clientSecret": null, "registrationExpiresAt": "never", "refreshToken": ["x"]}"#;
    let token = SsoToken::from_json(text).unwrap();
    assert_eq!((token.client_id, token.client_secret), (None, None));
    assert_eq!((token.registration_expires_at, token.refresh_token), (None, None));
}

#[test]
fn an_unreadable_token_file_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that is a link to itself cannot be opened, even by root.
    let looping = dir.path().join("cache");
    std::os::unix::fs::symlink(&looping, &looping).unwrap();
    let cache = TokenCache::new(&looping);
    let key = TokenKey::Session("s".into());
    let err = cache.load(&key).unwrap_err();
    assert!(matches!(&err, CacheError::Read { path, .. } if *path == cache.path(&key)), "{err}");
    assert!(err.to_string().starts_with("cannot read cache file `"), "{err}");
    assert!(err.to_string().contains(&key.file_stem()), "{err}");
}

#[test]
fn a_token_file_without_read_permission_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path());
    let key = TokenKey::Session("s".into());
    cache.store(&key, &full_token()).unwrap();
    std::fs::set_permissions(cache.path(&key), std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(cache.path(&key)).is_ok() {
        // Running as root: permissions do not stop reads; the looping folder above covers it.
        return;
    }
    assert!(matches!(cache.load(&key), Err(CacheError::Read { .. })));
}

#[test]
fn removing_a_token_says_whether_it_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path());
    let key = TokenKey::Session("s".into());
    assert!(!cache.remove(&key).unwrap());
    cache.store(&key, &full_token()).unwrap();
    assert!(cache.remove(&key).unwrap());
    assert!(!cache.path(&key).exists());
}

#[test]
fn entries_lists_token_files_and_skips_registrations_and_junk() {
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path().join("cache"));
    let minimal = br#"{"accessToken": "old", "region": "eu-west-1"}"#;
    assert_eq!(cache.entries().unwrap().count(), 0, "a missing directory has no entries");
    cache.store(&TokenKey::Session("a".into()), &full_token()).unwrap();
    let registration = ClientRegistration {
        client_id: "id".into(),
        client_secret: Secret::new("s"),
        expires_at: ts("2024-03-31T00:00:00Z"),
        scopes: None,
        grant_types: None,
    };
    let reg_key = RegistrationKey {
        start_url: "https://x".into(),
        region: "us-east-1".into(),
        scopes: None,
        session_name: Some("a".into()),
    };
    cache.store_registration(&reg_key, &registration).unwrap();
    std::fs::write(cache.dir().join("minimal.json"), minimal).unwrap();
    std::fs::write(cache.dir().join("corrupt.json"), "{").unwrap();
    std::fs::write(cache.dir().join("notes.txt"), minimal).unwrap();
    std::fs::write(cache.dir().join(".x.json.awsctx-1-0.tmp"), minimal).unwrap();
    std::fs::create_dir(cache.dir().join("dir.json")).unwrap();

    let entries: Vec<_> = cache.entries().unwrap().map(Result::unwrap).collect();
    let tokens: Vec<_> = entries.iter().map(|e| e.access_token.expose()).collect();
    assert_eq!(tokens.len(), 2, "{entries:?}");
    assert!(tokens.contains(&"access") && tokens.contains(&"old"), "{tokens:?}");
    let old = entries.iter().find(|e| e.access_token.expose() == "old").unwrap();
    assert_eq!((old.region.as_deref(), old.expires_at), (Some("eu-west-1"), None));

    for entry in &entries {
        assert!(cache.remove_entry(entry).unwrap());
    }
    assert_eq!(cache.entries().unwrap().count(), 0);
    assert!(cache.load_registration(&reg_key).unwrap().is_some(), "registrations stay");
}

// --- refresh rules --------------------------------------------------------------------------

#[test]
fn refresh_rules_use_the_15_minute_window_and_the_registration_expiry() {
    let token = full_token();
    let expiry = token.expires_at;
    let at = |d: i64| expiry.checked_sub(SignedDuration::from_secs(d)).unwrap();
    assert!(!token.needs_refresh(at(15 * 60)), "exactly 15 min left: reused");
    assert!(token.needs_refresh(at(15 * 60 - 1)));
    assert!(!token.is_expired(at(1)));
    assert!(token.is_expired(expiry), "expiresAt == now is expired");
    assert!(token.can_refresh(expiry));
    let registration_end = token.registration_expires_at.unwrap();
    assert!(!token.can_refresh(registration_end), "registration ending now is over");
    for strip in 0..3 {
        let mut partial = full_token();
        match strip {
            0 => partial.refresh_token = None,
            1 => partial.client_id = None,
            _ => partial.client_secret = None,
        }
        assert!(!partial.can_refresh(expiry), "case {strip}");
    }
    let no_registration = SsoToken { registration_expires_at: None, ..full_token() };
    assert!(!no_registration.can_refresh(expiry));
}

#[test]
fn refreshed_token_drops_the_old_refresh_token_when_none_is_returned() {
    let now = ts("2024-01-01T07:50:00.25Z");
    let new = full_token().refreshed(Secret::new("new"), SignedDuration::from_hours(8), None, now);
    assert_eq!(new.access_token.expose(), "new");
    assert_eq!(new.refresh_token, None);
    assert_eq!(new.client_secret, full_token().client_secret);
    assert!(new.to_json().contains(r#""expiresAt": "2024-01-01T15:50:00Z""#), "{}", new.to_json());
    let far = full_token().refreshed(Secret::new("n"), SignedDuration::MAX, None, now);
    assert_eq!(far.expires_at, Timestamp::MAX);
}

fn botocore_cases() -> Option<Value> {
    crate::config_testdata::testdata_json("botocore/sso-token-provider-cases.extracted.json")
}

/// botocore's `SSOTokenProvider._refresher` + `DeferredRefreshableToken`, decided by the pure
/// rules; the network call is replaced by the case's `refreshResponse`.
#[test]
fn botocore_refresh_cases_decide_the_same() {
    let Some(cases) = botocore_cases() else { return };
    let cases = cases["sso_provider_refresh_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8, "the upstream case list changed: review this test");
    for case in cases {
        let doc = case["documentation"].as_str().unwrap();
        let now = ts(case["currentTime"].as_str().unwrap());
        let cached = serde_json::to_vec(&case["cachedToken"]).unwrap();
        let exception = case["expectedException"].as_str();
        let Some(token) = SsoToken::from_json(&cached) else {
            assert_eq!(exception, Some("SSOTokenLoadError"), "{doc}");
            continue;
        };
        let mut current = token.clone();
        if token.needs_refresh(now) && token.can_refresh(now) {
            let response = &case["refreshResponse"];
            current = token.refreshed(
                Secret::new(response["accessToken"].as_str().unwrap()),
                SignedDuration::from_secs(response["expiresIn"].as_i64().unwrap()),
                response["refreshToken"].as_str().map(Secret::new),
                now,
            );
            // The written-back file is byte for byte what botocore writes.
            let want = pyjson::dumps(&case["expectedTokenWriteback"], Layout::Default, false);
            assert_eq!(current.to_json(), want, "{doc}");
        } else {
            assert!(case.get("expectedTokenWriteback").is_none(), "{doc}: expected a refresh");
        }
        if current.is_expired(now) {
            assert_eq!(exception, Some("TokenRetrievalError"), "{doc}");
            continue;
        }
        assert_eq!(exception, None, "{doc}");
        let expected = &case["expectedToken"];
        assert_eq!(current.access_token.expose(), expected["token"].as_str().unwrap(), "{doc}");
        assert_eq!(current.expires_at, ts(expected["expiration"].as_str().unwrap()), "{doc}");
    }
}

// --- client registrations ------------------------------------------------------------------

fn reg_key() -> RegistrationKey {
    RegistrationKey {
        start_url: "https://d-abc.awsapps.com/start".into(),
        region: "us-east-1".into(),
        scopes: Some(vec!["sso:account:access".into()]),
        session_name: Some("my-sso".into()),
    }
}

#[test]
fn registrations_are_stored_in_the_device_and_pkce_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path());
    let device = ClientRegistration {
        client_id: "cid".into(),
        client_secret: Secret::new("csecret"),
        expires_at: ts("2024-03-31T00:00:00Z"),
        scopes: Some(vec!["sso:account:access".into()]),
        grant_types: None,
    };
    cache.store_registration(&reg_key(), &device).unwrap();
    let path = dir.path().join("deb8cc906c2b78450415f3bc940056d81e790b51.json");
    assert_eq!(cache.registration_path(&reg_key()), path);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        r#"{"clientId": "cid", "clientSecret": "csecret", "expiresAt": "2024-03-31T00:00:00Z", "scopes": ["sso:account:access"]}"#
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(cache.load_registration(&reg_key()).unwrap(), Some(device.clone()));

    let legacy_device = ClientRegistration { scopes: None, ..device.clone() };
    assert_eq!(
        legacy_device.to_json(),
        r#"{"clientId": "cid", "clientSecret": "csecret", "expiresAt": "2024-03-31T00:00:00Z"}"#
    );

    let pkce = ClientRegistration {
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        ..device
    };
    cache.store_registration(&reg_key(), &pkce).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        r#"{"clientId": "cid", "clientSecret": "csecret", "expiresAt": "2024-03-31T00:00:00Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#
    );
    assert_eq!(cache.load_registration(&reg_key()).unwrap(), Some(pkce));
    assert!(cache.remove_registration(&reg_key()).unwrap());
    assert_eq!(cache.load_registration(&reg_key()).unwrap(), None);
}

#[test]
fn a_registration_is_reused_only_for_its_own_flow_with_15_minutes_left() {
    let expires_at = ts("2024-03-31T00:00:00Z");
    let device = ClientRegistration {
        client_id: "cid".into(),
        client_secret: Secret::new("s"),
        expires_at,
        scopes: None,
        grant_types: None,
    };
    let pkce = ClientRegistration {
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        ..device.clone()
    };
    let refresh_only =
        ClientRegistration { grant_types: Some(vec!["refresh_token".into()]), ..device.clone() };
    let early = ts("2024-03-30T23:45:00Z");
    let late = ts("2024-03-30T23:45:01Z");
    assert!(device.is_usable(early, false) && !device.is_usable(early, true));
    assert!(pkce.is_usable(early, true) && !pkce.is_usable(early, false));
    assert!(refresh_only.is_usable(early, false), "no authorization_code grant: device flow");
    assert!(!device.is_usable(late, false) && !pkce.is_usable(late, true));
}

#[test]
fn corrupt_registrations_count_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::new(dir.path());
    for text in [
        "",
        "{",
        r#"{"clientId": "c", "clientSecret": "s"}"#,
        r#"{"clientId": "c", "expiresAt": "2024-03-31T00:00:00Z"}"#,
        r#"{"clientSecret": "s", "expiresAt": "2024-03-31T00:00:00Z"}"#,
        r#"{"clientId": 1, "clientSecret": "s", "expiresAt": "2024-03-31T00:00:00Z"}"#,
    ] {
        std::fs::write(cache.registration_path(&reg_key()), text).unwrap();
        assert_eq!(cache.load_registration(&reg_key()).unwrap(), None, "{text}");
    }
    let odd = br#"{"clientId": "c", "clientSecret": "s", "expiresAt": "2024-03-31T00:00:00UTC",
        "scopes": "sso:account:access", "grantTypes": [1]}"#;
    let registration = ClientRegistration::from_json(odd).unwrap();
    assert_eq!((registration.scopes, registration.grant_types), (None, None));
}

// --- role credentials ----------------------------------------------------------------------

#[test]
fn sso_role_credentials_are_stored_in_the_cli_shape() {
    let home = tempfile::tempdir().unwrap();
    let cache = CredentialCache::from_home(home.path());
    let key = CredentialKey::sso("123456789012", "MyRole", "my-sso");
    cache.store_sso(&key, &sso_creds()).unwrap();
    let path = home.path().join(".aws/cli/cache/01f2d4447e5154729a4e6ed0fb1424412e4cccca.json");
    assert_eq!(cache.path(&key), path);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        r#"{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret/key+1", "SessionToken": "session-token", "Expiration": "2024-01-01T12:00:00Z", "AccountId": "123456789012"}}"#
    );
    assert_eq!((mode(&path), mode(cache.dir())), (0o600, 0o700));
    assert_eq!(cache.load(&key).unwrap(), Some(sso_creds()));
}

#[test]
fn assume_role_credentials_are_stored_in_the_cli_v2_shape() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CredentialCache::new(dir.path());
    let key = CredentialKey::assume_role(&AssumeRoleKeyArgs {
        role_arn: "arn:aws:iam::210987654321:role/Admin".into(),
        ..AssumeRoleKeyArgs::default()
    });
    let creds = sso_creds().with_account_id(None);
    let arn = "arn:aws:sts::210987654321:assumed-role/Admin/botocore-session-1";
    cache.store_assume_role(&key, &creds, arn, "AROAEXAMPLE:botocore-session-1", "req-1").unwrap();
    assert_eq!(
        std::fs::read_to_string(cache.path(&key)).unwrap(),
        r#"{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret/key+1", "SessionToken": "session-token", "Expiration": "2024-01-01T12:00:00+00:00", "AccountId": "210987654321"}, "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:botocore-session-1", "Arn": "arn:aws:sts::210987654321:assumed-role/Admin/botocore-session-1"}, "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}"#
    );
    let loaded = cache.load(&key).unwrap().unwrap();
    assert_eq!(loaded, creds.clone().with_account_id(Some("210987654321".into())));
    // An ARN without an account falls back to the credentials' own account.
    let json = sso_creds().to_assume_role_cache_json("not-an-arn", "id", "r");
    assert!(json.contains(r#""AccountId": "123456789012""#), "{json}");
    let json = creds.to_assume_role_cache_json("arn:aws:sts:::x", "id", "r");
    assert!(!json.contains("AccountId"), "{json}");
}

#[test]
fn credentials_written_by_other_tools_are_read_in_any_timestamp_style() {
    for expiration in [
        "2024-01-01T12:00:00Z",
        "2024-01-01T12:00:00+00:00",
        "2024-01-01T12:00:00UTC",
        "2024-01-01T14:00:00.000+02:00",
    ] {
        let text = json!({
            "Credentials": {
                "AccessKeyId": "AKIA", "SecretAccessKey": "s", "SessionToken": "t",
                "Expiration": expiration,
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::111122223333:assumed-role/R/s"},
        });
        let creds = RoleCredentials::from_cache_json(text.to_string().as_bytes()).unwrap();
        assert_eq!(creds.expiration(), Some(ts("2024-01-01T12:00:00Z")), "{expiration}");
        assert_eq!(creds.account_id(), Some("111122223333"));
    }
}

#[test]
fn corrupt_or_incomplete_credentials_count_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CredentialCache::new(dir.path());
    let key = CredentialKey::sso("1", "R", "s");
    assert_eq!(cache.load(&key).unwrap(), None);
    for text in [
        "",
        "{\"Credentials\": {",
        "[]",
        r#"{"ProviderType": "sso"}"#,
        r#"{"Credentials": "x"}"#,
        r#"{"Credentials": {"SecretAccessKey": "s", "Expiration": "2024-01-01T12:00:00Z"}}"#,
        r#"{"Credentials": {"AccessKeyId": "a", "Expiration": "2024-01-01T12:00:00Z"}}"#,
        r#"{"Credentials": {"AccessKeyId": "a", "SecretAccessKey": "s"}}"#,
        r#"{"Credentials": {"AccessKeyId": "a", "SecretAccessKey": "s", "Expiration": "later"}}"#,
    ] {
        std::fs::write(cache.path(&key), text).unwrap();
        assert_eq!(cache.load(&key).unwrap(), None, "{text}");
    }
    // Not a regular file: passed over like a missing one.
    std::fs::remove_file(cache.path(&key)).unwrap();
    std::fs::create_dir(cache.path(&key)).unwrap();
    assert_eq!(cache.load(&key).unwrap(), None);
}

#[test]
fn credentials_are_fresh_while_15_minutes_remain() {
    let creds = sso_creds();
    assert!(creds.is_fresh(ts("2024-01-01T11:45:00Z")));
    assert!(!creds.is_fresh(ts("2024-01-01T11:45:00.001Z")));
    assert!(!creds.is_fresh(ts("2024-01-01T13:00:00Z")));
    let static_keys =
        RoleCredentials::new(creds.access_key_id(), creds.secret_access_key().clone(), None, None)
            .unwrap()
            .with_account_id(creds.account_id().map(str::to_owned));
    assert!(static_keys.is_fresh(Timestamp::MAX));
}

#[test]
fn sso_logout_sweep_removes_only_sso_entries() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CredentialCache::new(dir.path().join("cache"));
    assert_eq!(cache.remove_sso_entries().unwrap(), 0, "a missing directory is empty");
    let one = CredentialKey::sso("1", "R", "s");
    let two = CredentialKey::sso_legacy("2", "R", "https://x");
    let role = CredentialKey::assume_role(&AssumeRoleKeyArgs {
        role_arn: "arn:aws:iam::1:role/R".into(),
        ..AssumeRoleKeyArgs::default()
    });
    cache.store_sso(&one, &sso_creds()).unwrap();
    cache.store_sso(&two, &sso_creds()).unwrap();
    cache
        .store_assume_role(&role, &sso_creds(), "arn:aws:sts::1:assumed-role/R/s", "i", "r")
        .unwrap();
    std::fs::write(cache.dir().join("corrupt.json"), "{\"ProviderType\": \"sso\"").unwrap();
    std::fs::write(cache.dir().join("other.txt"), r#"{"ProviderType": "sso"}"#).unwrap();

    assert_eq!(cache.remove_sso_entries().unwrap(), 2);
    assert_eq!(cache.load(&one).unwrap(), None);
    assert_eq!(cache.load(&two).unwrap(), None);
    assert!(cache.load(&role).unwrap().is_some());
    assert!(cache.dir().join("corrupt.json").exists() && cache.dir().join("other.txt").exists());
    assert!(cache.remove(&role).unwrap());
    assert!(!cache.remove(&role).unwrap());
}

#[test]
fn secrets_never_show_in_debug_output() {
    let text = format!("{:?} {:?}", full_token(), sso_creds());
    for secret in ["access", "client-secret", "refresh", "secret/key+1", "session-token"] {
        assert!(!text.contains(&format!("\"{secret}\"")), "{secret} leaked: {text}");
    }
}

// --- Python-compatible JSON -----------------------------------------------------------------

#[test]
fn python_json_vectors() {
    #[derive(serde::Serialize)]
    struct Process<'a> {
        #[serde(rename = "Version")]
        version: u8,
        #[serde(rename = "AccessKeyId")]
        access_key_id: &'a str,
    }
    // python3: json.dumps({"k\u00e9y": s, "n": [1, -2, 0], "t": True, "f": False, "z": None})
    let s = "q\"'\\/\u{0}\u{1f}\u{7f}\u{80}\u{ff}\u{100}\u{7ff}\u{800}\u{d7ff}\u{e000}\u{ffff}\u{10000}\u{10ffff}\u{2028} end";
    let value = json!({"k\u{e9}y": s, "n": [1, -2, 0], "t": true, "f": false, "z": null});
    assert_eq!(
        pyjson::dumps(&value, Layout::Default, false),
        r#"{"k\u00e9y": "q\"'\\/\u0000\u001f\u007f\u0080\u00ff\u0100\u07ff\u0800\ud7ff\ue000\uffff\ud800\udc00\udbff\udfff\u2028 end", "n": [1, -2, 0], "t": true, "f": false, "z": null}"#
    );
    // python3: json.dumps(v, indent=2, separators=(',', ': '))
    let value =
        json!({"Version": 1, "AccessKeyId": "AKIA", "Nested": {"a": [1, {"b": []}]}, "E": {}});
    assert_eq!(
        pyjson::dumps(&value, Layout::Indent(2), false),
        "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"AKIA\",\n  \"Nested\": {\n    \"a\": [\n      1,\n      {\n        \"b\": []\n      }\n    ]\n  },\n  \"E\": {}\n}"
    );
    let text = pyjson::to_string(
        &Process { version: 1, access_key_id: "\u{e9}" },
        Layout::Indent(2),
        false,
    );
    assert_eq!(text.unwrap(), "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"\\u00e9\"\n}");
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A JSON object with the keys the readers look for (in any case) and values of any type.
fn cache_like_object() -> impl Strategy<Value = Vec<u8>> {
    let keys = prop::sample::select(vec![
        "accessToken",
        "ACCESSTOKEN",
        "expiresAt",
        "startUrl",
        "region",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
        "scopes",
        "grantTypes",
        "Credentials",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
        "AccountId",
        "AssumedRoleUser",
        "Arn",
        "ProviderType",
    ]);
    let value = prop_oneof![
        json_value(),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]{0,12}(Z|UTC|[+-][0-9:]{0,5})?".prop_map(Value::from),
        "arn(:[a-z0-9]{0,12}){0,7}".prop_map(Value::from),
    ];
    let member = (keys, value).prop_map(|(k, v)| (k.to_owned(), v));
    let object = prop::collection::vec(member, 0..10)
        .prop_map(|members| Value::Object(members.into_iter().collect()));
    (object.clone(), prop::collection::vec(object, 0..3)).prop_map(|(mut top, nested)| {
        for (i, inner) in nested.into_iter().enumerate() {
            let name = ["Credentials", "AssumedRoleUser", "credentials"][i];
            top[name] = inner;
        }
        serde_json::to_vec(&top).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn readers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = SsoToken::from_json(&bytes);
        let _ = ClientRegistration::from_json(&bytes);
        let _ = RoleCredentials::from_cache_json(&bytes);
    }

    #[test]
    fn readers_never_panic_on_cache_shaped_json(bytes in cache_like_object()) {
        if let Some(token) = SsoToken::from_json(&bytes) {
            // Whatever was read can be written and read back unchanged (up to whole seconds).
            let again = SsoToken::from_json(token.to_json().as_bytes()).unwrap();
            prop_assert_eq!(again.access_token, token.access_token);
        }
        let _ = ClientRegistration::from_json(&bytes);
        if let Some(creds) = RoleCredentials::from_cache_json(&bytes) {
            let again = RoleCredentials::from_cache_json(creds.to_sso_cache_json().as_bytes());
            prop_assert_eq!(
                again.as_ref().map(RoleCredentials::access_key_id),
                Some(creds.access_key_id())
            );
        }
    }

    #[test]
    fn python_json_is_ascii_and_parses_back_to_the_same_value(value in json_value()) {
        for layout in [Layout::Default, Layout::Compact, Layout::Indent(2)] {
            let text = pyjson::dumps(&value, layout, false);
            prop_assert!(text.is_ascii(), "{}", text);
            prop_assert_eq!(&serde_json::from_str::<Value>(&text).unwrap(), &value);
            let sorted = pyjson::dumps(&value, layout, true);
            prop_assert_eq!(&serde_json::from_str::<Value>(&sorted).unwrap(), &value);
        }
    }

    #[test]
    fn stored_tokens_read_back_equal_to_the_second(
        access in any::<String>(),
        start_url in proptest::option::of(any::<String>()),
        secs in 0i64..253_402_300_799,
        nanos in 0i32..1_000_000_000,
    ) {
        let token = SsoToken {
            start_url,
            access_token: Secret::new(access),
            expires_at: Timestamp::new(secs, nanos).unwrap(),
            ..full_token()
        };
        let back = SsoToken::from_json(token.to_json().as_bytes()).unwrap();
        prop_assert_eq!(back.expires_at, Timestamp::from_second(secs).unwrap());
        prop_assert_eq!(back, SsoToken { expires_at: Timestamp::from_second(secs).unwrap(), ..token });
    }
}
