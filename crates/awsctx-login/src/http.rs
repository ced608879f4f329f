//! The one HTTP client of a run: connect and request timeouts, platform TLS roots plus an
//! optional PEM bundle (`AWS_CA_BUNDLE` / `ca_bundle`), proxies from `HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, and bounded retries with exponential backoff
//! and full jitter (AWS CLI v2 standard mode: 3 attempts).
//!
//! Proxies are read from the [`Env`] snapshot rather than by reqwest from the process, with
//! the same variables and precedence as reqwest (upper case first, `HTTP_PROXY` ignored
//! under CGI), so the rule is testable and follows the same environment as everything else.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use awsctx_core::env::Env;
use http::HeaderMap;

use crate::endpoint::Call;
use crate::error::{AwsError, Error};

/// Largest response body read, in bytes. AWS answers here are a few KiB at most.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How the client behaves; [`HttpSettings::default`] matches the AWS CLI where it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Limit for one attempt: connect, send, and read the whole answer.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Extra PEM roots, trusted beside the platform's (see [`ca_bundle_path`]).
    pub ca_bundle: Option<PathBuf>,
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// First backoff ceiling; it doubles per retry up to `max_backoff`.
    pub retry_base_delay: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` header longer than this is cut to it.
    pub max_retry_after: Duration,
    /// No attempt and no pause between attempts runs past this (the shell hook's budget).
    pub deadline: Option<Instant>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            ca_bundle: None,
            max_attempts: 3,
            retry_base_delay: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(20),
            deadline: None,
        }
    }
}

/// The CA bundle to trust: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`.
pub fn ca_bundle_path(env: &Env, profile_ca_bundle: Option<&str>) -> Option<PathBuf> {
    env.get("AWS_CA_BUNDLE").or(profile_ca_bundle.filter(|s| !s.is_empty())).map(PathBuf::from)
}

/// What one attempt ended with, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptFailure<'a> {
    /// The service answered with a non-2xx status.
    Status { status: u16, code: Option<&'a str>, retry_after: Option<Duration> },
    /// No complete answer within the request timeout.
    Timeout,
    /// The connection could not be made.
    Connect,
    /// The connection broke while the request or answer was in flight.
    ConnectionBroken,
    /// A TLS failure: retrying cannot help.
    Tls,
    /// The answer arrived but cannot be used: retrying cannot help.
    Malformed,
}

/// Error codes retried as throttling (botocore standard mode).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
];

/// Error codes retried as transient (botocore standard mode).
const TRANSIENT_CODES: &[&str] =
    &["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"];

/// Codes of the device-code polling loop: it handles them, the retryer never does.
const POLLING_CODES: &[&str] = &["AuthorizationPendingException", "SlowDownException"];

impl Error {
    /// Whether the service said "later" (throttled, or failing for now): the retryer's own
    /// rule, so what it retries and what the user is told to retry are the same.
    pub fn is_busy(&self) -> bool {
        self.aws().is_some_and(|aws| {
            RetryPolicy::is_retryable(&AttemptFailure::Status {
                status: aws.status,
                code: aws.code.as_deref(),
                retry_after: None,
            })
        })
    }
}

/// When to try again, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_backoff: Duration,
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    pub fn from_settings(settings: &HttpSettings) -> Self {
        Self {
            max_attempts: settings.max_attempts.max(1),
            base_delay: settings.retry_base_delay,
            max_backoff: settings.max_backoff,
            max_retry_after: settings.max_retry_after,
        }
    }

    /// Whether a failure is worth another attempt at all.
    pub fn is_retryable(failure: &AttemptFailure<'_>) -> bool {
        match *failure {
            AttemptFailure::Status { status, code, .. } => {
                if code.is_some_and(|c| POLLING_CODES.contains(&c)) {
                    return false;
                }
                matches!(status, 429 | 500 | 502 | 503 | 504)
                    || code.is_some_and(|c| {
                        THROTTLING_CODES.contains(&c) || TRANSIENT_CODES.contains(&c)
                    })
            }
            AttemptFailure::Timeout
            | AttemptFailure::Connect
            | AttemptFailure::ConnectionBroken => true,
            AttemptFailure::Tls | AttemptFailure::Malformed => false,
        }
    }

    /// The pause before the next attempt after attempt number `attempt` (1-based) failed,
    /// or `None` to give up. `jitter` is a random number in `[0, 1)`: full jitter scales
    /// the exponential ceiling by it. A `Retry-After` (capped) replaces the backoff.
    pub fn next_delay(
        &self,
        attempt: u32,
        failure: &AttemptFailure<'_>,
        jitter: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts || !Self::is_retryable(failure) {
            return None;
        }
        if let AttemptFailure::Status { retry_after: Some(after), .. } = *failure {
            return Some(after.min(self.max_retry_after));
        }
        let exponent = attempt.saturating_sub(1).min(30);
        let ceiling = self.base_delay.saturating_mul(1u32 << exponent).min(self.max_backoff);
        Some(ceiling.mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

/// A `Retry-After` header in seconds (the HTTP-date form is ignored).
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

/// A random number in `[0, 1)` from the OS generator (0.5 if it cannot be had).
fn jitter() -> f64 {
    #[allow(clippy::cast_precision_loss)]
    getrandom::u64().map_or(0.5, |x| (x >> 11) as f64 / (1u64 << 53) as f64)
}

/// Run one future to completion on a fresh current-thread runtime. Only network commands
/// call this, so the hook path never starts a runtime.
pub fn run_blocking<F: Future>(future: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    Ok(runtime.block_on(future))
}

/// How a service encodes its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorFormat {
    /// rest-json (SSO OIDC, SSO portal, sign-in).
    Json,
    /// query protocol XML (STS).
    Xml,
}

/// A successful answer, body read in full.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// The HTTP client shared by every call of a run. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
    request_timeout: Duration,
    deadline: Option<Instant>,
}

impl HttpClient {
    /// Build the client. `env` supplies the proxy variables.
    pub fn new(settings: &HttpSettings, env: &Env) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("awsctx/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.connect_timeout)
            // Never follow redirects: the bearer token header must not travel elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        for proxy in proxies(env)? {
            builder = builder.proxy(proxy);
        }
        if let Some(path) = &settings.ca_bundle {
            let bad = |reason: String| Error::CaBundle { path: path.clone(), reason };
            let pem = read_ca_bundle(path).map_err(bad)?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(error_chain(&e)))?;
            if certs.is_empty() {
                return Err(bad("no PEM certificate found".to_owned()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| Error::ClientSetup { reason: error_chain(&e) })?;
        Ok(Self {
            client,
            policy: RetryPolicy::from_settings(settings),
            request_timeout: settings.request_timeout,
            deadline: settings.deadline,
        })
    }

    /// A request builder for `url`; finish it with [`HttpClient::build`].
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        url: url::Url,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Finish a request; a value that cannot be sent (e.g. a header with a line break) is
    /// an error naming the call, never the value.
    pub(crate) fn build(
        call: &Call,
        builder: reqwest::RequestBuilder,
    ) -> Result<reqwest::Request, Error> {
        builder
            .build()
            .map_err(|e| Error::InvalidRequest { call: call.clone(), reason: error_chain(&e) })
    }

    /// Send a request built by `build` (called once per attempt, so signatures are fresh),
    /// retrying by the policy. Returns the 2xx answer; every other outcome is an error.
    pub(crate) async fn send<F>(
        &self,
        call: &Call,
        format: ErrorFormat,
        build: F,
    ) -> Result<Response, Error>
    where
        F: Fn() -> Result<reqwest::Request, Error>,
    {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let request = build()?;
            let timeout = self.attempt_timeout();
            let outcome = tokio::time::timeout(timeout, execute(&self.client, request)).await;
            let (error, retry_after) = match outcome {
                Err(_elapsed) => {
                    (Error::Timeout { call: call.clone(), after: timeout, attempts: attempt }, None)
                }
                Ok(Err(failure)) => (failure.into_error(call, attempt, self.request_timeout), None),
                Ok(Ok(response)) if (200..300).contains(&response.status) => return Ok(response),
                Ok(Ok(response)) => {
                    let parse = match format {
                        ErrorFormat::Json => AwsError::from_json_response,
                        ErrorFormat::Xml => AwsError::from_xml_response,
                    };
                    let aws = parse(call, response.status, &response.headers, &response.body);
                    (Error::from(aws), parse_retry_after(&response.headers))
                }
            };
            let failure = match &error {
                Error::Service(aws) => AttemptFailure::Status {
                    status: aws.status,
                    code: aws.code.as_deref(),
                    retry_after,
                },
                Error::Timeout { .. } => AttemptFailure::Timeout,
                Error::Connect { .. } => AttemptFailure::Connect,
                Error::Transport { .. } => AttemptFailure::ConnectionBroken,
                Error::Tls { .. } => AttemptFailure::Tls,
                _ => AttemptFailure::Malformed,
            };
            match self.policy.next_delay(attempt, &failure, jitter()) {
                Some(delay) if self.leaves_time_after(delay) => tokio::time::sleep(delay).await,
                _ => return Err(error),
            }
        }
    }

    /// The time one attempt may take: the request timeout, or less before the deadline.
    fn attempt_timeout(&self) -> Duration {
        match self.deadline {
            Some(end) => self.request_timeout.min(end.saturating_duration_since(Instant::now())),
            None => self.request_timeout,
        }
    }

    /// Whether an attempt can still start after a pause of `delay`.
    fn leaves_time_after(&self, delay: Duration) -> bool {
        self.deadline.is_none_or(|end| Instant::now() + delay < end)
    }
}

/// Why an attempt produced no answer.
enum SendFailure {
    Timeout,
    Connect(String),
    Tls(String),
    Broken(String),
    Builder(String),
    TooLarge { status: u16 },
}

impl SendFailure {
    fn from_reqwest(error: &reqwest::Error) -> Self {
        let reason = error_chain(error);
        if is_tls(error) {
            SendFailure::Tls(reason)
        } else if error.is_timeout() {
            SendFailure::Timeout
        } else if error.is_builder() {
            SendFailure::Builder(reason)
        } else if error.is_connect() {
            SendFailure::Connect(reason)
        } else {
            SendFailure::Broken(reason)
        }
    }

    fn into_error(self, call: &Call, attempts: u32, after: Duration) -> Error {
        let call = call.clone();
        match self {
            SendFailure::Timeout => Error::Timeout { call, after, attempts },
            SendFailure::Connect(reason) => Error::Connect { call, reason, attempts },
            SendFailure::Tls(reason) => Error::Tls { call, reason },
            SendFailure::Broken(reason) => Error::Transport { call, reason, attempts },
            SendFailure::Builder(reason) => Error::InvalidRequest { call, reason },
            SendFailure::TooLarge { status } => Error::MalformedResponse {
                call,
                status,
                reason: format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
            },
        }
    }
}

async fn execute(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<Response, SendFailure> {
    let mut response = client.execute(request).await.map_err(|e| SendFailure::from_reqwest(&e))?;
    let status = response.status().as_u16();
    // A length announced past the cap is refused before a byte of it is read.
    if response.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(SendFailure::TooLarge { status });
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| SendFailure::from_reqwest(&e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(SendFailure::TooLarge { status });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response { status, headers, body })
}

/// Largest CA bundle read: the whole Mozilla bundle is about 250 KiB.
const MAX_CA_BUNDLE_BYTES: u64 = 16 << 20;

/// The bytes of a PEM bundle, refused past [`MAX_CA_BUNDLE_BYTES`] (`/dev/zero` included).
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut pem = Vec::new();
    file.take(MAX_CA_BUNDLE_BYTES + 1).read_to_end(&mut pem).map_err(|e| e.to_string())?;
    if pem.len() as u64 > MAX_CA_BUNDLE_BYTES {
        return Err(format!("larger than {} MiB: not a CA bundle", MAX_CA_BUNDLE_BYTES >> 20));
    }
    Ok(pem)
}

/// The causes of an error, innermost last, without reqwest's own line (which names the
/// full URL, and URLs may carry secrets in their query).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = error.source();
    while let Some(cause) = current {
        let text = cause.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    // hyper-util's own layer ("client error (Connect)") says nothing the rest does not.
    if parts.len() > 1 {
        parts.retain(|p| !p.starts_with("client error ("));
    }
    if parts.is_empty() {
        // reqwest's own text, with its `for url (...)` part cut off.
        let text = error.to_string();
        let text = text.split(" for url (").next().unwrap_or(&text).to_owned();
        parts.push(text);
    }
    crate::error::one_line(&parts.join(": "))
}

/// Whether a rustls error sits anywhere in the chain. An `io::Error`'s `source()` skips
/// the error it wraps (and io errors come nested), so those are opened by hand.
fn is_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    let wrapped = error.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref);
    if wrapped.is_some_and(|inner| is_tls(inner)) {
        return true;
    }
    error.source().is_some_and(is_tls)
}

type MakeProxy = fn(&str) -> reqwest::Result<reqwest::Proxy>;

/// The proxies of the environment, in reqwest's order of precedence.
fn proxies(env: &Env) -> Result<Vec<reqwest::Proxy>, Error> {
    let first = |names: [&'static str; 2]| {
        names.into_iter().find_map(|name| env.get(name).map(|value| (name, value.to_owned())))
    };
    let no_proxy =
        first(["NO_PROXY", "no_proxy"]).and_then(|(_, list)| reqwest::NoProxy::from_string(&list));
    let mut out = Vec::new();
    let is_cgi = env.get("REQUEST_METHOD").is_some();
    let wanted: [(MakeProxy, [&'static str; 2], bool); 3] = [
        (|u| reqwest::Proxy::http(u), ["HTTP_PROXY", "http_proxy"], !is_cgi),
        (|u| reqwest::Proxy::https(u), ["HTTPS_PROXY", "https_proxy"], true),
        (|u| reqwest::Proxy::all(u), ["ALL_PROXY", "all_proxy"], true),
    ];
    for (make, names, enabled) in wanted {
        if !enabled {
            continue;
        }
        if let Some((variable, url)) = first(names) {
            let proxy =
                make(&url).map_err(|e| Error::Proxy { variable, reason: error_chain(&e) })?;
            out.push(proxy.no_proxy(no_proxy.clone()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
