use super::*;

fn policy() -> RetryPolicy {
    RetryPolicy::from_settings(&HttpSettings::default())
}

fn status(status: u16, code: Option<&str>) -> AttemptFailure<'_> {
    AttemptFailure::Status { status, code, retry_after: None }
}

#[test]
fn throttling_and_server_errors_are_retried() {
    for failure in [
        status(429, None),
        status(400, Some("TooManyRequestsException")),
        status(400, Some("ThrottlingException")),
        status(400, Some("RequestTimeoutException")),
        status(500, Some("InternalServerException")),
        status(502, None),
        status(503, None),
        status(504, None),
        AttemptFailure::Timeout,
        AttemptFailure::Connect,
        AttemptFailure::ConnectionBroken,
    ] {
        assert!(RetryPolicy::is_retryable(&failure), "{failure:?}");
    }
}

#[test]
fn polling_codes_and_client_errors_are_not_retried() {
    for failure in [
        status(400, Some("AuthorizationPendingException")),
        status(400, Some("SlowDownException")),
        status(500, Some("SlowDownException")),
        status(401, Some("UnauthorizedException")),
        status(400, Some("InvalidGrantException")),
        status(403, None),
        status(501, None),
        AttemptFailure::Tls,
        AttemptFailure::Malformed,
    ] {
        assert!(!RetryPolicy::is_retryable(&failure), "{failure:?}");
    }
}

#[test]
fn backoff_is_exponential_with_full_jitter_and_bounded_attempts() {
    let p = policy();
    let f = status(500, None);
    assert_eq!(p.next_delay(1, &f, 0.999_999), Some(Duration::from_secs(1).mul_f64(0.999_999)));
    assert_eq!(p.next_delay(1, &f, 0.5), Some(Duration::from_millis(500)));
    assert_eq!(p.next_delay(2, &f, 0.5), Some(Duration::from_secs(1)));
    assert_eq!(p.next_delay(2, &f, 0.0), Some(Duration::ZERO));
    assert_eq!(p.next_delay(3, &f, 0.5), None, "3 attempts in all");
    let many = RetryPolicy { max_attempts: 40, ..p };
    assert_eq!(many.next_delay(10, &f, 1.0), Some(Duration::from_secs(20)), "capped");
    assert_eq!(many.next_delay(39, &f, 1.0), Some(Duration::from_secs(20)), "no overflow");
}

#[test]
fn retry_after_replaces_backoff_and_is_capped() {
    let p = policy();
    let with = |secs| AttemptFailure::Status {
        status: 429,
        code: Some("TooManyRequestsException"),
        retry_after: Some(Duration::from_secs(secs)),
    };
    assert_eq!(p.next_delay(1, &with(2), 0.0), Some(Duration::from_secs(2)));
    assert_eq!(p.next_delay(1, &with(3600), 0.0), Some(Duration::from_secs(20)));
    assert_eq!(p.next_delay(3, &with(1), 0.0), None);
}

#[test]
fn retry_after_parses_seconds_only() {
    let mut headers = HeaderMap::new();
    headers.insert("Retry-After", " 7 ".parse().unwrap());
    assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(7)));
    headers.insert("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
    assert_eq!(parse_retry_after(&headers), None);
    headers.insert("Retry-After", "-1".parse().unwrap());
    assert_eq!(parse_retry_after(&headers), None);
}

#[test]
fn jitter_is_in_unit_interval() {
    for _ in 0..100 {
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }
}

#[test]
fn ca_bundle_env_wins_over_profile() {
    let env = Env::from_pairs([("AWS_CA_BUNDLE", "/env.pem")]);
    assert_eq!(ca_bundle_path(&env, Some("/p.pem")), Some(PathBuf::from("/env.pem")));
    assert_eq!(ca_bundle_path(&Env::default(), Some("/p.pem")), Some(PathBuf::from("/p.pem")));
    assert_eq!(ca_bundle_path(&Env::default(), None), None);
}

#[test]
fn bad_proxy_url_names_the_variable() {
    let env = Env::from_pairs([("HTTPS_PROXY", "http://[::1")]);
    let error = HttpClient::new(&HttpSettings::default(), &env).unwrap_err();
    assert!(error.to_string().starts_with("invalid proxy URL in `HTTPS_PROXY`"), "{error}");
}

/// What the user is told to retry is what the retryer retries: one rule.
#[test]
fn a_service_error_is_busy_exactly_when_it_is_retryable() {
    let call = Call {
        service: crate::endpoint::Service::Sso,
        operation: "GetRoleCredentials",
        endpoint: "https://x".into(),
    };
    for (code, answer) in [
        (429, None),
        (400, Some("ThrottlingException")),
        (400, Some("RequestLimitExceeded")),
        (503, None),
        (501, None),
        (400, Some("AccessDeniedException")),
        (400, Some("SlowDownException")),
        (401, Some("UnauthorizedException")),
    ] {
        let error = Error::from(AwsError {
            status: code,
            code: answer.map(str::to_owned),
            ..aws_error(&call)
        });
        assert_eq!(
            error.is_busy(),
            RetryPolicy::is_retryable(&status(code, answer)),
            "{code} {answer:?}"
        );
    }
    assert!(Error::from(AwsError { status: 429, ..aws_error(&call) }).is_busy());
    assert!(!Error::from(AwsError { status: 403, ..aws_error(&call) }).is_busy());
    assert!(!Error::StateMismatch.is_busy(), "only a service's answer can say busy");
}

fn aws_error(call: &Call) -> AwsError {
    AwsError {
        service: call.service,
        operation: call.operation,
        endpoint: call.endpoint.clone(),
        status: 400,
        code: None,
        message: None,
        request_id: None,
    }
}
