//! The shared-file grammar: all of `profile-parser-tests.json` (read whole, and one profile
//! at a time), the rules it leaves out (line numbers, warnings, file merging, loading), and
//! no panic on any input.

use std::path::Path;

use awsctx_core::config::{
    Config, ConfigError, ConfigPaths, FileKind, Location, ProfileSource, SyntaxError, WarningKind,
};
use indexmap::IndexMap;
use proptest::prelude::*;

use crate::config_owned::{Files, Owned, Props, ordered, props, simple};
use crate::config_testdata::testdata_json;

const CASES: &str = "smithy-rs/aws/rust-runtime/aws-runtime/test-data/profile-parser-tests.json";

/// Upstream error messages and the error each one is.
fn expected_syntax_error(message: &str) -> SyntaxError {
    match message {
        "Profile definition must end with ']'" => SyntaxError::HeaderNotClosed,
        "Expected a profile definition" => SyntaxError::OutsideSection,
        "Property did not have a name" => SyntaxError::PropertyWithoutName,
        "Expected an '=' sign defining a property" => SyntaxError::PropertyWithoutEquals,
        "Expected a property definition" | "Expected a property definition, found continuation" => {
            SyntaxError::ContinuationWithoutProperty
        }
        "Expected an '=' sign defining a sub-property" => SyntaxError::SubPropertyWithoutEquals,
        "Sub-property did not have a name" => SyntaxError::SubPropertyWithoutName,
        other => panic!("no mapping for upstream error `{other}`: add one"),
    }
}

/// Upstream keeps sub-properties as raw text (`"\nname = value"`); this splits that text
/// the way the SDKs do when they read it, to compare with a nested value.
fn expected_value(raw: &str) -> Owned {
    if !raw.starts_with('\n') {
        return simple(raw);
    }
    let map = raw
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').expect("sub-property has `=`");
            (k.trim_matches([' ', '\t']).to_owned(), v.trim_matches([' ', '\t']).to_owned())
        })
        .collect();
    Owned::Nested(map)
}

fn expected_sections(json: &serde_json::Value) -> IndexMap<String, Props> {
    let Some(map) = json.as_object() else { return IndexMap::default() };
    map.iter()
        .map(|(name, props)| {
            let props = props
                .as_object()
                .expect("properties object")
                .iter()
                .map(|(k, v)| (k.clone(), expected_value(v.as_str().expect("string value"))))
                .collect();
            (name.clone(), props)
        })
        .collect()
}

/// The names in the section headers of `text`, roughly (the last word between the brackets).
fn header_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix('['))
        .filter_map(|l| l.split([']', '#', ';']).next()?.split_whitespace().last())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_profile_parser_case_passes_read_whole_and_one_profile_at_a_time() {
    let Some(doc) = testdata_json(CASES) else { return };
    let cases = doc["tests"].as_array().expect("`tests` is an array");
    assert_eq!(cases.len(), 65, "the upstream file has 65 cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let config = case["input"]["configFile"].as_str().unwrap_or("");
        let credentials = case["input"]["credentialsFile"].as_str().unwrap_or("");
        let files = Files::new(config, credentials);
        let result = files.load();
        if let Some(message) = case["output"]["errorContaining"].as_str() {
            let expected = expected_syntax_error(message);
            let at = match result {
                Err(ConfigError::Syntax { at, kind }) if kind == expected => at,
                other => panic!("{name}: expected error `{message}`, got {other:?}"),
            };
            // One profile at a time: the profile whose section holds the line reports it
            // (any profile, when the line is outside every section); none reports another.
            let mut names = header_names(config);
            names.extend(header_names(credentials));
            names.push("absent".to_owned());
            let mut reported = false;
            for profile in &names {
                match files.load_profile(profile) {
                    Err(ConfigError::Syntax { at: one_at, kind }) => {
                        assert_eq!((&one_at, kind), (&at, expected), "{name}: profile {profile}");
                        reported = true;
                    }
                    Err(other) => panic!("{name}: profile {profile}: {other}"),
                    Ok(_) => {}
                }
            }
            assert!(reported, "{name}: no profile read the broken line");
            continue;
        }
        let parsed = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = &case["output"]["config"];
        let profiles: IndexMap<String, Props> =
            parsed.profiles().map(|p| (p.name().to_owned(), props(&p))).collect();
        assert_eq!(profiles, expected_sections(&expected["profiles"]), "{name}: profiles");
        let sessions: IndexMap<String, Props> =
            parsed.sso_session_sections().map(|s| (s.name().to_owned(), props(&s))).collect();
        if !expected["sso_sessions"].is_null() {
            assert_eq!(sessions, expected_sections(&expected["sso_sessions"]), "{name}: sessions");
        }
        for whole in parsed.profiles() {
            let one = files.load_profile(whole.name()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let alone = one.profile(whole.name()).expect("the profile asked for");
            assert_eq!(ordered(&alone), ordered(&whole), "{name}: profile {}", whole.name());
            assert_eq!(alone.header(), whole.header(), "{name}: header of {}", whole.name());
            assert_eq!(alone.source(), whole.source(), "{name}: source of {}", whole.name());
            if let Some(session) = whole.get("sso_session") {
                let props = |c: &Config| c.sso_session_section(session).map(|s| ordered(&s));
                assert_eq!(props(&one), props(&parsed), "{name}: session {session}");
            }
        }
        let one = files.load_profile("absent").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(one.profile("absent").is_none(), "{name}");
    }
}

fn parse(config: &str) -> Config {
    Config::from_sources(config, "").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let err =
        Config::from_sources("[profile a]\nregion = x\n\n# c\nbroken line\n", "").unwrap_err();
    assert_eq!(err.to_string(), "~/.aws/config:5: expected an `=` sign defining a property");
    let err = Config::from_sources("", "[a]\r\nk = v\r\n[b\r\n").unwrap_err();
    assert_eq!(err.to_string(), "~/.aws/credentials:3: section header must end with `]`");
}

#[test]
fn profiles_keep_file_order_and_the_line_of_each_header_and_key() {
    let config = parse("# top\n[profile b]\nregion = x\n\n[default]\n[profile a]\nREGION = y\n");
    let names: Vec<&str> = config.profiles().map(|p| p.name()).collect();
    assert_eq!(names, ["b", "default", "a"]);
    let a = config.profile("a").unwrap();
    assert_eq!(a.header(), Location { file: FileKind::Config, line: 6 });
    assert_eq!(a.location_of("region"), Some(Location { file: FileKind::Config, line: 7 }));
    assert_eq!(config.file_line(a.header()).to_string(), "~/.aws/config:6");
}

#[test]
fn credentials_keys_win_and_the_profile_is_marked_as_in_both_files() {
    let config = Config::from_sources(
        "[profile p]\nregion = eu-west-1\naws_access_key_id = OLD\n",
        "[p]\naws_access_key_id = NEW\naws_secret_access_key = s\n[only]\nk = v\n",
    )
    .unwrap();
    let p = config.profile("p").unwrap();
    assert_eq!(p.source(), ProfileSource::Both);
    assert_eq!(p.get("aws_access_key_id"), Some("NEW"));
    assert_eq!(p.get("region"), Some("eu-west-1"));
    assert_eq!(p.location_of("aws_access_key_id").unwrap().file, FileKind::Credentials);
    assert_eq!(config.profile("only").unwrap().source(), ProfileSource::Credentials);
}

#[test]
fn ignored_sections_and_keys_are_warnings_with_their_line() {
    let config = Config::from_sources(
        "[foo]\na = 1\n[profile ok]\nbad key = 1\n[default]\nx = 1\n[profile default]\ny = 2\n",
        "[profile p]\n",
    )
    .unwrap();
    let warnings: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "~/.aws/config:1: section `[foo]` ignored: in the config file write `[profile foo]`",
            "~/.aws/config:4: key `bad key` in `[profile ok]` ignored: keys may only contain `A-Za-z0-9_-/.%@:+`",
            "~/.aws/config:5: section `[default]` ignored: `[profile default]` takes priority",
            "~/.aws/credentials:1: section `[profile p]` ignored: the credentials file takes bare profile names",
        ]
    );
    assert!(matches!(config.warnings()[0].kind, WarningKind::SectionWithoutPrefix { .. }));
    let default = config.profile("default").unwrap();
    assert_eq!(default.get("x"), None);
    assert_eq!(default.header().line, 7, "the header of the section that counts");
}

#[test]
fn sso_session_services_and_other_sections_are_kept_apart() {
    let config = parse(
        "[sso-session corp]\nsso_region = us-east-1\n[services dev]\ns3 =\n  endpoint_url = http://localhost:9000\n[plugins x]\ncli_legacy_plugin_path = /p\n",
    );
    assert_eq!(config.sso_session_section("corp").unwrap().get("sso_region"), Some("us-east-1"));
    let s3 = config.services_section("dev").unwrap().value("s3").unwrap().as_nested().unwrap();
    assert_eq!(s3.get("endpoint_url"), Some("http://localhost:9000"));
    assert_eq!(
        config.other_section("plugins x").unwrap().get("cli_legacy_plugin_path"),
        Some("/p")
    );
    assert_eq!(config.profiles().len(), 0);
}

#[test]
fn a_bare_carriage_return_at_the_end_of_the_file_is_a_line_ending() {
    let config = parse("[profile a]\r\nregion = x\r");
    assert_eq!(config.profile("a").unwrap().get("region"), Some("x"));
}

#[test]
fn debug_output_of_a_profile_hides_secret_keys() {
    let config = Config::from_sources("", "[p]\naws_secret_access_key = hunter2\n").unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("aws_secret_access_key"), "{debug}");
}

#[test]
fn load_treats_missing_files_as_empty_and_names_the_path_of_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let paths = ConfigPaths {
        config: dir.path().join("config"),
        credentials: dir.path().join("credentials"),
    };
    assert_eq!(Config::load(&paths).unwrap().profiles().len(), 0);
    std::fs::write(&paths.config, "[profile a]\nregion = x\n[profile b\n").unwrap();
    let err = Config::load(&paths).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}:3: section header must end with `]`", paths.config.display())
    );
    std::fs::write(&paths.config, b"[profile a]\nregion = \xff\n").unwrap();
    let err = Config::load(&paths).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}:2: the file is not UTF-8 text", paths.config.display())
    );
    std::fs::remove_file(&paths.config).unwrap();
    std::fs::create_dir(&paths.config).unwrap();
    let err = Config::load(&paths).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Read { path, .. } if path == Path::new(&paths.config)),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsing_any_text_never_panics(config in any::<String>(), credentials in any::<String>()) {
        let _ = Config::from_sources(&config, &credentials);
    }

    #[test]
    fn parsing_ini_like_text_never_panics(
        config in r"([\[\] \t=#;a-z\r\n\u{a0}é-]{0,12}\n){0,12}",
        credentials in r"([\[\] \t=#;a-z\r\n-]{0,12}\n){0,6}",
    ) {
        if let Ok(config) = Config::from_sources(&config, &credentials) {
            for profile in config.profiles() {
                let _ = config.kind(profile.name());
                let _ = config.credential_chain(profile.name());
            }
        }
    }
}
