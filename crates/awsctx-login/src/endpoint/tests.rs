use super::*;
use std::collections::BTreeMap;
use std::path::Path;

#[allow(clippy::print_stderr)] // the loud "skipped" line of the testdata rule
fn testdata() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared/testdata is missing at {}",
        dir.display()
    );
    eprintln!("SKIPPED: shared/testdata not found at {}", dir.display());
    None
}

#[test]
fn partitions_follow_the_region_patterns() {
    for (region, partition) in [
        ("us-east-1", Partition::Aws),
        ("mx-central-1", Partition::Aws),
        ("aws-global", Partition::Aws),
        ("cn-northwest-1", Partition::AwsCn),
        ("us-gov-west-1", Partition::AwsUsGov),
        ("us-iso-east-1", Partition::AwsIso),
        ("us-isob-east-1", Partition::AwsIsoB),
        ("eu-isoe-west-1", Partition::AwsIsoE),
        ("us-isof-south-1", Partition::AwsIsoF),
        ("eusc-de-east-1", Partition::AwsEusc),
        ("fake-region-10", Partition::Aws),
    ] {
        assert_eq!(Partition::of_region(region), partition, "{region}");
    }
}

#[test]
fn eusc_and_custom_endpoint_rules() {
    let url = |service, region, fips, dual| {
        Endpoint::default_for(service, Some(region), fips, dual).map(|e| e.to_string())
    };
    assert_eq!(
        url(Service::SsoOidc, "eusc-de-east-1", false, false).unwrap(),
        "https://oidc.eusc-de-east-1.amazonaws.eu"
    );
    assert_eq!(
        url(Service::Sso, "us-gov-west-1", true, false).unwrap(),
        "https://portal.sso.us-gov-west-1.amazonaws.com"
    );
    assert_eq!(
        url(Service::Sso, "us-east-1", true, true).unwrap(),
        "https://portal.sso-fips.us-east-1.api.aws"
    );
    assert!(matches!(
        url(Service::Sso, "us-iso-east-1", false, true),
        Err(EndpointError::DualStackUnsupported { .. })
    ));
    assert!(matches!(
        url(Service::Sso, "us-east-1/evil", false, false),
        Err(EndpointError::InvalidRegion { .. })
    ));
}

#[test]
fn signin_uses_the_bare_partition_host() {
    let host = |region| {
        Endpoint::default_for(Service::Signin, region, false, false).map(|e| e.to_string())
    };
    assert_eq!(host(None).unwrap(), "https://signin.aws.amazon.com");
    assert_eq!(host(Some("eu-west-1")).unwrap(), "https://signin.aws.amazon.com");
    assert_eq!(host(Some("us-gov-west-1")).unwrap(), "https://signin.amazonaws-us-gov.com");
    assert_eq!(host(Some("cn-north-1")).unwrap(), "https://signin.amazonaws.cn");
    assert!(matches!(host(Some("us-iso-east-1")), Err(EndpointError::NoConsoleSignin { .. })));
}

/// `endpoint-rules/{sso-oidc,sso,sts}/endpoint-tests-1.json`, read in place. Skipped:
/// the STS cases with `UseGlobalEndpoint` (the legacy global-endpoint mode, which CLI v2
/// never uses) and those with `operationInputs`.
#[test]
fn endpoint_rule_conformance() {
    let Some(dir) = testdata() else { return };
    let mut ran = 0;
    for (name, service) in
        [("sso-oidc", Service::SsoOidc), ("sso", Service::Sso), ("sts", Service::Sts)]
    {
        let path = dir
            .join(format!("botocore/tests/functional/endpoint-rules/{name}/endpoint-tests-1.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for case in doc["testCases"].as_array().unwrap() {
            let doc_name = case["documentation"].as_str().unwrap_or_default();
            let params = &case["params"];
            if params.get("UseGlobalEndpoint").is_some() || case.get("operationInputs").is_some() {
                continue;
            }
            let region = params["Region"].as_str();
            let fips = params["UseFIPS"].as_bool().unwrap_or(false);
            let dual = params["UseDualStack"].as_bool().unwrap_or(false);
            let result = match params["Endpoint"].as_str() {
                Some(custom) => {
                    let env = Env::from_pairs([(service.endpoint_env_var(), custom)]);
                    let profile = ProfileEndpointSettings {
                        use_fips: fips,
                        use_dualstack: dual,
                        ..ProfileEndpointSettings::default()
                    };
                    Endpoint::resolve(service, region, &env, &profile)
                }
                None => Endpoint::default_for(service, region, fips, dual),
            };
            let expect = &case["expect"];
            if let Some(url) = expect["endpoint"]["url"].as_str() {
                let endpoint = result.unwrap_or_else(|e| panic!("{name}: {doc_name}: {e}"));
                assert_eq!(endpoint.to_string(), url, "{name}: {doc_name}");
                let signing_region =
                    expect["endpoint"]["properties"]["authSchemes"][0]["signingRegion"].as_str();
                if let Some(signing) = signing_region {
                    assert_eq!(
                        endpoint.signing_region().or(region),
                        Some(signing),
                        "{name}: {doc_name}"
                    );
                }
            } else {
                let message = expect["error"].as_str().unwrap();
                let error = result.expect_err(doc_name);
                let matches = match message {
                    "Invalid Configuration: Missing Region" => {
                        matches!(error, EndpointError::MissingRegion { .. })
                    }
                    "Invalid Configuration: FIPS and custom endpoint are not supported" => {
                        matches!(error, EndpointError::FipsWithCustomEndpoint { .. })
                    }
                    "Invalid Configuration: Dualstack and custom endpoint are not supported" => {
                        matches!(error, EndpointError::DualStackWithCustomEndpoint { .. })
                    }
                    other => panic!("{name}: {doc_name}: unexpected error case {other}"),
                };
                assert!(matches, "{name}: {doc_name}: got {error}");
            }
            ran += 1;
        }
    }
    assert!(ran >= 110, "only {ran} endpoint cases ran");
}

/// `configured_endpoint_urls/profile-tests.json`, read in place. The cases name S3 and
/// `DynamoDB`; the precedence rules are the same for every service, so each case runs with
/// that service's variable name and `[services]` key. A case that expects the SDK default
/// (`https://s3.fake-region-10.amazonaws.com`) checks that no configured URL is chosen.
#[test]
fn configured_endpoint_url_conformance() {
    let Some(dir) = testdata() else { return };
    let path = dir.join("botocore/tests/functional/configured_endpoint_urls/profile-tests.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut ran = 0;
    for suite in doc["testSuites"].as_array().unwrap() {
        for case in suite["endpointUrlTests"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let service = case["service"].as_str().unwrap();
            let var: &'static str = match service {
                "s3" => "AWS_ENDPOINT_URL_S3",
                "dynamodb" => "AWS_ENDPOINT_URL_DYNAMODB",
                other => panic!("unexpected service {other}"),
            };
            let profile_doc = &suite["profiles"][case["profile"].as_str().unwrap()];
            let services_url = profile_doc["services"]
                .as_str()
                .and_then(|section| suite["services"][section][service]["endpoint_url"].as_str());
            let profile = ProfileEndpointSettings {
                services_endpoint_url: services_url.map(str::to_owned),
                endpoint_url: profile_doc["endpoint_url"].as_str().map(str::to_owned),
                ignore_configured_endpoint_urls: profile_doc["ignore_configured_endpoint_urls"]
                    .as_str()
                    == Some("true"),
                ..ProfileEndpointSettings::default()
            };
            let client = &suite["client_configs"][case["client_config"].as_str().unwrap()];
            let mut profile = profile;
            if client["ignore_configured_endpoint_urls"].as_bool() == Some(true) {
                profile.ignore_configured_endpoint_urls = true;
            }
            let environment: BTreeMap<String, String> = suite["environments"]
                [case["environment"].as_str().unwrap()]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
            let env = Env::from_pairs(environment);
            let explicit = client["endpoint_url"].as_str();
            let got = configured_endpoint_url(var, explicit, &env, &profile).map(|(u, _)| u);
            let expected = case["output"]["endpointUrl"].as_str().unwrap();
            if expected.ends_with(".fake-region-10.amazonaws.com") {
                assert_eq!(got, None, "{name}");
            } else {
                assert_eq!(got.as_deref(), Some(expected), "{name}");
            }
            ran += 1;
        }
    }
    assert!(ran >= 30, "only {ran} configured-endpoint cases ran");
}

#[test]
fn overrides_apply_in_order_and_can_be_ignored() {
    let profile = ProfileEndpointSettings {
        services_endpoint_url: Some("https://services.example".into()),
        endpoint_url: Some("https://profile.example".into()),
        ..ProfileEndpointSettings::default()
    };
    let resolve = |env: &Env, profile: &ProfileEndpointSettings| {
        Endpoint::resolve(Service::SsoOidc, Some("eu-west-1"), env, profile).unwrap()
    };
    let env = Env::from_pairs([
        ("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9/x/"),
        ("AWS_ENDPOINT_URL", "https://global.example"),
    ]);
    let endpoint = resolve(&env, &profile);
    assert_eq!(endpoint.origin(), "http://127.0.0.1:9");
    assert_eq!(endpoint.source(), EndpointSource::ServiceEnv("AWS_ENDPOINT_URL_SSO_OIDC"));
    assert_eq!(endpoint.join("/token").as_str(), "http://127.0.0.1:9/x/token");
    // Another service's variable does not apply.
    let env = Env::from_pairs([("AWS_ENDPOINT_URL_SSO", "https://portal.example")]);
    assert_eq!(resolve(&env, &profile).to_string(), "https://services.example");
    let env = Env::from_pairs([("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")]);
    assert_eq!(resolve(&env, &profile).to_string(), "https://oidc.eu-west-1.amazonaws.com");
    let ignoring =
        ProfileEndpointSettings { ignore_configured_endpoint_urls: true, ..profile.clone() };
    assert_eq!(resolve(&Env::default(), &ignoring).source(), EndpointSource::Default);
    // The variable wins over the profile, both ways.
    let env = Env::from_pairs([("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")]);
    assert_eq!(resolve(&env, &ignoring).source(), EndpointSource::ProfileServices);
}

#[test]
fn fips_from_env_with_custom_endpoint_is_an_error() {
    let env = Env::from_pairs([
        ("AWS_ENDPOINT_URL_SSO", "https://portal.example"),
        ("AWS_USE_FIPS_ENDPOINT", "true"),
    ]);
    let error = Endpoint::resolve(
        Service::Sso,
        Some("us-east-1"),
        &env,
        &ProfileEndpointSettings::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid configuration: FIPS and the custom SSO portal endpoint `https://portal.example` from `AWS_ENDPOINT_URL_SSO` cannot be combined"
    );
}

#[test]
fn bad_override_urls_are_errors_naming_their_source() {
    for bad in ["not a url", "ftp://x", "https://x/?q=1", "http://"] {
        let env = Env::from_pairs([("AWS_ENDPOINT_URL", bad)]);
        let error = Endpoint::resolve(
            Service::Sts,
            Some("us-east-1"),
            &env,
            &ProfileEndpointSettings::default(),
        )
        .unwrap_err();
        assert!(
            matches!(error, EndpointError::InvalidUrl { from: EndpointSource::GlobalEnv, .. }),
            "{bad}: {error}"
        );
    }
}
