//! File locations and profile selection: every case of `file-location-tests.json`.

use std::path::Path;

use awsctx_core::config::ConfigPaths;
use awsctx_core::env::Env;
use awsctx_core::facts::selected_profile;

use crate::config_testdata::testdata_json;

const CASES: &str = "smithy-rs/aws/rust-runtime/aws-runtime/test-data/file-location-tests.json";

#[test]
fn every_file_location_case_passes_on_both_platforms() {
    let Some(doc) = testdata_json(CASES) else { return };
    let cases = doc["tests"].as_array().expect("`tests` is an array");
    assert_eq!(cases.len(), 9, "the upstream file has 9 cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let pairs = case["environment"]
            .as_object()
            .expect("environment")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()));
        let env = Env::from_pairs(pairs).for_windows(case["platform"] == "windows");
        let paths = ConfigPaths::from_env(&env).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_config = case["configLocation"].as_str().expect("configLocation");
        let expected_credentials = case["credentialsLocation"].as_str().expect("credentials");
        assert_eq!(paths.config, Path::new(expected_config), "{name}");
        assert_eq!(paths.credentials, Path::new(expected_credentials), "{name}");
        if let Some(profile) = case["profile"].as_str() {
            assert_eq!(selected_profile(&env), profile, "{name}");
        }
    }
}

#[test]
fn empty_override_variables_count_as_unset() {
    let env = Env::from_pairs([("HOME", "/h"), ("AWS_CONFIG_FILE", "")]);
    assert_eq!(ConfigPaths::from_env(&env).unwrap().config, Path::new("/h/.aws/config"));
}
