//! Hostile input, beyond "no panic" (`config_parser.rs`, `cache.rs` and `shell.rs` check
//! that): a parse error names the file and the very line that is wrong; a torn or corrupt
//! cache file reads as missing, never as an error or as other keys; a `.aws-profile` of any
//! bytes names a clean profile or says why.

use std::path::Path;

use awsctx_core::binding::{
    BindingError, PROFILE_FILE, Pins, TrustStore, find_binding, parse_profile_file,
};
use awsctx_core::cache::{
    ClientRegistration, CredentialCache, CredentialKey, RegistrationKey, RoleCredentials, SsoToken,
    TokenCache, TokenKey,
};
use awsctx_core::config::{Config, ConfigError, ConfigPaths};
use awsctx_core::secret::Secret;
use proptest::prelude::*;

/// Text that looks like an AWS config: headers (whole, broken, nested), properties,
/// continuation lines, sub-properties, comments, odd whitespace and line endings.
fn config_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[profile p]".to_owned()),
        Just("[default]".to_owned()),
        Just("[sso-session s]".to_owned()),
        Just("[services x]".to_owned()),
        "\\[[a-z \\t-]{0,8}\\]?[ \\t#;a-z]{0,4}",
        "[a-z_]{1,8} ?= ?[a-z0-9 #;=]{0,8}",
        "[ \\t]{1,3}[a-z_]{0,6} ?=? ?[a-z]{0,4}",
        "[#;][^\\n\\r]{0,10}",
        "[^\\n]{0,12}",
        Just(String::new()),
    ];
    let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    prop::collection::vec((line, ending), 0..14)
        .prop_map(|lines| lines.into_iter().flat_map(|(l, e)| [l, e.to_owned()]).collect())
}

/// The first `n` lines of `text` as the parser counts them (split at `\n`).
fn first_lines(text: &str, n: usize) -> String {
    text.split_inclusive('\n').take(n).collect()
}

/// A syntax error names its file and a line that exists, and that line is the first bad
/// one: the lines before it parse, and the file cut after it fails at the same place.
fn check_syntax_error(text: &str, credentials: bool) -> Result<(), TestCaseError> {
    let parse = |t: &str| {
        if credentials { Config::from_sources("", t) } else { Config::from_sources(t, "") }
    };
    let Err(err) = parse(text) else { return Ok(()) };
    let ConfigError::Syntax { at, .. } = &err else {
        return Err(TestCaseError::fail(format!("not a syntax error: {err}")));
    };
    let file = if credentials { "~/.aws/credentials" } else { "~/.aws/config" };
    prop_assert_eq!(at.path.to_str(), Some(file));
    let lines = text.split('\n').count();
    prop_assert!((1..=lines).contains(&at.line), "line {} of {}: {}", at.line, lines, err);
    let message = err.to_string();
    prop_assert!(message.starts_with(&format!("{file}:{}: ", at.line)), "{}", message);
    prop_assert!(!message.contains('\n'), "one line: {:?}", message);
    prop_assert!(parse(&first_lines(text, at.line - 1)).is_ok(), "the lines before fail");
    let cut = parse(&first_lines(text, at.line));
    prop_assert_eq!(cut.err().map(|e| e.to_string()), Some(message));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_syntax_error_names_the_file_and_the_first_bad_line(
        text in config_like(),
        credentials in any::<bool>(),
    ) {
        check_syntax_error(&text, credentials)?;
    }

    #[test]
    fn a_syntax_error_in_any_text_names_a_line_that_exists(text in any::<String>()) {
        check_syntax_error(&text, false)?;
        check_syntax_error(&text, true)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// A config file that is not UTF-8 is an error naming the real path and the line of the
    /// first bad byte.
    #[test]
    fn a_config_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte(
        head in "([a-z =\\[\\]]{0,8}\n){0,6}[a-z ]{0,6}",
        bad in prop::sample::select(vec![&b"\xff"[..], b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]),
        tail in "[ -~\n]{0,16}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let paths = ConfigPaths {
            config: dir.path().join("config"),
            credentials: dir.path().join("credentials"),
        };
        let mut bytes = head.clone().into_bytes();
        bytes.extend_from_slice(bad);
        bytes.extend_from_slice(tail.as_bytes());
        std::fs::write(&paths.config, &bytes).unwrap();
        let err = Config::load(&paths).unwrap_err();
        let line = head.matches('\n').count() + 1;
        prop_assert_eq!(
            err.to_string(),
            format!("{}:{line}: the file is not UTF-8 text", paths.config.display())
        );
    }
}

fn token() -> SsoToken {
    SsoToken {
        start_url: Some("https://d-1234567890.awsapps.com/start".into()),
        region: Some("us-east-1".into()),
        access_token: Secret::new("aoa-access-token"),
        expires_at: "2099-01-01T08:00:00Z".parse().unwrap(),
        client_id: Some("client-id".into()),
        client_secret: Some(Secret::new("client-secret")),
        registration_expires_at: Some("2099-03-01T08:00:00Z".parse().unwrap()),
        refresh_token: Some(Secret::new("aor-refresh-token")),
    }
}

fn credentials() -> RoleCredentials {
    RoleCredentials::new(
        "ASIAEXAMPLE",
        Secret::new("secret/key+="),
        Some(Secret::new("session-token")),
        Some("2099-01-01T12:00:00Z".parse().unwrap()),
    )
    .unwrap()
    .with_account_id(Some("111122223333".into()))
}

fn registration_key() -> RegistrationKey {
    RegistrationKey {
        start_url: "https://d-1234567890.awsapps.com/start".into(),
        region: "us-east-1".into(),
        scopes: Some(vec!["sso:account:access".into()]),
        session_name: Some("corp".into()),
    }
}

/// What a writer killed mid-write (without the atomic rename) would leave: every prefix of
/// every kind of cache file reads as missing, so the caller fetches anew, never as an error
/// and never as a shorter, different entry.
#[test]
fn every_truncation_of_a_cache_file_reads_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenCache::new(dir.path().join("sso"));
    let creds = CredentialCache::new(dir.path().join("cli"));
    let token_key = TokenKey::Session("corp".into());
    let creds_key = CredentialKey::sso("111122223333", "Admin", "corp");
    let reg_key = registration_key();
    tokens.store(&token_key, &token()).unwrap();
    creds.store_sso(&creds_key, &credentials()).unwrap();
    let assumed = CredentialKey::sso("111122223333", "Assumed", "corp");
    creds
        .store_assume_role(
            &assumed,
            &credentials(),
            "arn:aws:sts::111122223333:assumed-role/R/s",
            "AROAEXAMPLE:s",
            "request-id",
        )
        .unwrap();
    let registration = ClientRegistration {
        client_id: "client-id".into(),
        client_secret: Secret::new("client-secret"),
        expires_at: "2099-03-01T08:00:00Z".parse().unwrap(),
        scopes: Some(vec!["sso:account:access".into()]),
        grant_types: None,
    };
    tokens.store_registration(&reg_key, &registration).unwrap();

    let mut checked = 0;
    let mut truncations = |path: &Path, load: &dyn Fn() -> bool| {
        let whole = std::fs::read(path).unwrap();
        assert!(load(), "the whole file reads");
        for len in 0..whole.len() {
            std::fs::write(path, &whole[..len]).unwrap();
            assert!(!load(), "{} cut at {len} bytes reads as an entry", path.display());
            checked += 1;
        }
        std::fs::write(path, &whole).unwrap();
    };
    truncations(&tokens.path(&token_key), &|| tokens.load(&token_key).unwrap().is_some());
    truncations(&creds.path(&creds_key), &|| creds.load(&creds_key).unwrap().is_some());
    truncations(&creds.path(&assumed), &|| creds.load(&assumed).unwrap().is_some());
    truncations(&tokens.registration_path(&reg_key), &|| {
        tokens.load_registration(&reg_key).unwrap().is_some()
    });
    assert!(checked > 1_000, "{checked} truncations");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any bytes in a cache file load without an error: what does not parse is missing, and
    /// what does parse is exactly what the parser of the bytes says.
    #[test]
    fn any_bytes_in_a_cache_file_load_as_missing_or_as_what_they_say(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            // A valid entry with bytes flipped or cut.
            (any::<prop::sample::Index>(), any::<u8>(), any::<bool>()).prop_map(|(at, byte, cut)| {
                let mut bytes = credentials().to_sso_cache_json().into_bytes();
                let i = at.index(bytes.len());
                if cut { bytes.truncate(i) } else { bytes[i] = byte }
                bytes
            }),
            (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(at, byte)| {
                let mut bytes = token().to_json().into_bytes();
                let i = at.index(bytes.len());
                bytes[i] = byte;
                bytes
            }),
        ],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tokens = TokenCache::new(dir.path());
        let creds = CredentialCache::new(dir.path());
        let token_key = TokenKey::Session("corp".into());
        let creds_key = CredentialKey::sso("1", "R", "corp");
        std::fs::write(tokens.path(&token_key), &bytes).unwrap();
        std::fs::write(creds.path(&creds_key), &bytes).unwrap();
        std::fs::write(tokens.registration_path(&registration_key()), &bytes).unwrap();
        prop_assert_eq!(tokens.load(&token_key).unwrap(), SsoToken::from_json(&bytes));
        prop_assert_eq!(creds.load(&creds_key).unwrap(), RoleCredentials::from_cache_json(&bytes));
        prop_assert_eq!(
            tokens.load_registration(&registration_key()).unwrap(),
            ClientRegistration::from_json(&bytes)
        );
    }
}

/// The lines of `text` (as `str::lines` splits them), trimmed.
fn trimmed_lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).collect()
}

/// Bytes a `.aws-profile` might hold: names, comments, blank lines, shell syntax, control
/// characters, invalid UTF-8.
fn profile_file_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        "[a-z0-9_.@%+:/-]{1,10}".prop_map(String::into_bytes),
        Just(b"# comment".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"  \t".to_vec()),
        Just(b"$(touch pwned)".to_vec()),
        Just(b"'\"`;|&".to_vec()),
        Just(b"\x1b[31m".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\x7f".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just("\u{85}\u{2028}\u{feff}é".as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..6),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// A `.aws-profile` of any bytes names a profile that is its first line that is neither
    /// blank nor a comment, trimmed and without control characters (it ends up in the shell's
    /// environment), or is an error naming the file.
    #[test]
    fn a_profile_file_of_any_bytes_names_a_clean_profile_or_says_why(bytes in profile_file_bytes()) {
        let path = Path::new("/repo/.aws-profile");
        let text = String::from_utf8_lossy(&bytes);
        let first = trimmed_lines(&text).into_iter().find(|l| !l.is_empty() && !l.starts_with('#'));
        match parse_profile_file(path, &bytes) {
            Ok(bound) => {
                let name = bound.profile;
                prop_assert_eq!(Some(name.as_str()), first);
                prop_assert!(!name.is_empty() && name.trim() == name);
                prop_assert!(!name.chars().any(awsctx_core::text::is_unsafe), "{:?}", name);
            }
            Err(err) => {
                prop_assert!(err.to_string().contains("`/repo/.aws-profile`"), "{}", err);
                match &err {
                    BindingError::EmptyProfileFile { .. } => prop_assert_eq!(first, None),
                    BindingError::InvalidProfileName { .. } => {
                        prop_assert!(first.is_some_and(|l| l.chars().any(awsctx_core::text::is_unsafe)));
                        // The content is never echoed: only the path and the reason.
                        prop_assert!(!err.to_string().contains(first.unwrap_or_default()), "{}", err);
                    }
                    // A later `KEY = VALUE` line with an unknown key or a bad value.
                    BindingError::InvalidSetting { line, .. } => {
                        let shown = text.lines().nth(line - 1).unwrap_or_default();
                        prop_assert!(shown.contains('='), "{}", shown);
                        prop_assert!(!err.to_string().contains(shown.trim()), "{}", err);
                    }
                    other => prop_assert!(false, "unexpected error {}", other),
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Found from a directory below it (as the hook finds it), a file of any bytes gives the
    /// same profile or the same error as read directly.
    #[test]
    fn a_profile_file_found_from_below_gives_the_same_verdict(bytes in profile_file_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let below = repo.join("a/b");
        std::fs::create_dir_all(&below).unwrap();
        std::fs::write(repo.join(PROFILE_FILE), &bytes).unwrap();
        let mut trust = TrustStore::default();
        trust.allow(&repo.join(PROFILE_FILE), &bytes);
        let found = find_binding(&below, &Pins::default(), &trust);
        let direct = parse_profile_file(&repo.join(PROFILE_FILE), &bytes);
        match (found, direct) {
            (Ok(Some(binding)), Ok(name)) => {
                prop_assert_eq!(binding.profile, name.profile);
                prop_assert_eq!(binding.root, repo);
            }
            (Err(found), Err(direct)) => prop_assert_eq!(found.to_string(), direct.to_string()),
            (found, direct) => prop_assert!(false, "{:?} vs {:?}", found, direct),
        }
    }
}
