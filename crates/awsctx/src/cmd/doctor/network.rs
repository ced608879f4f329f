//! The proxy, the CA bundles, the endpoints and the clock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use awsctx_core::config::{Config, ProfileKind};
use awsctx_core::env::Env;
use awsctx_login::endpoint::EndpointSource;
use awsctx_login::http::HttpSettings;
use awsctx_login::probe::{Probe, ProbeError, probe};
use awsctx_login::provider::{DEFAULT_STS_REGION, LoginSession, endpoint_settings};
use awsctx_login::{Endpoint, Error, HttpClient, Service, run_blocking};
use jiff::SignedDuration;

use super::Report;
use crate::context::Context;

/// How long a probe may take: long enough for a slow VPN, short enough to wait for.
const PROBE_DEADLINE: Duration = Duration::from_secs(4);
/// More clock skew than this breaks `SigV4` (AWS refuses requests 5 minutes off).
const MAX_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// The proxy variables parse (the HTTP client reads them as reqwest does); `false` when not.
pub(super) fn check_proxy(env: &Env, report: &mut Report) -> bool {
    let set: Vec<String> = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ]
    .into_iter()
    .filter_map(|name| env.get(name).map(|v| format!("`{name}` = `{}`", redact_userinfo(v))))
    .collect();
    match HttpClient::new(&HttpSettings::default(), env) {
        Err(Error::Proxy { variable, reason }) => {
            report.fail(format!(
                "proxy: `{variable}` is not a usable proxy URL ({reason}); fix or unset it"
            ));
            false
        }
        Err(error) => {
            report.fail(format!("proxy: {error}"));
            false
        }
        Ok(_) if set.is_empty() => {
            report.ok("proxy: none set (direct connections)");
            true
        }
        Ok(_) => {
            report.ok(format!("proxy: {} (the endpoint checks go through it)", set.join(", ")));
            true
        }
    }
}

/// `AWS_CA_BUNDLE` and every profile's `ca_bundle`: each must exist and hold PEM
/// certificates. `Ok` carries `AWS_CA_BUNDLE` for the endpoint checks.
pub(super) fn check_ca_bundles(
    env: &Env,
    config: Option<&Config>,
    report: &mut Report,
) -> Result<Option<PathBuf>, ()> {
    let mut bundles: Vec<(PathBuf, String, &'static str)> = Vec::new();
    if let Some(path) = env.get("AWS_CA_BUNDLE") {
        bundles.push((PathBuf::from(path), "`AWS_CA_BUNDLE`".to_owned(), "unset `AWS_CA_BUNDLE`"));
    }
    for profile in config.into_iter().flat_map(Config::profiles) {
        if let Some(path) = profile.get("ca_bundle").filter(|p| !p.is_empty())
            && !bundles.iter().any(|(p, ..)| p == Path::new(path))
        {
            bundles.push((
                PathBuf::from(path),
                format!("`ca_bundle` of profile `{}`", profile.name()),
                "remove the key",
            ));
        }
    }
    if bundles.is_empty() {
        report.ok("CA bundle: none set (the system's roots)");
        return Ok(None);
    }
    let mut all_ok = true;
    for (path, from, unset) in &bundles {
        let shown = crate::ui::at_home(path);
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                all_ok = false;
                let why = if error.kind() == std::io::ErrorKind::NotFound {
                    "does not exist".to_owned()
                } else {
                    format!("cannot be read ({error})")
                };
                report.fail(format!(
                    "CA bundle: `{shown}` (from {from}) {why}; fix the path or {unset}"
                ));
                continue;
            }
        };
        let count = String::from_utf8_lossy(&text).matches("-----BEGIN CERTIFICATE-----").count();
        let settings = HttpSettings { ca_bundle: Some(path.clone()), ..HttpSettings::default() };
        match HttpClient::new(&settings, &Env::default()) {
            Ok(_) if count > 0 => {
                report.ok(format!("CA bundle: `{shown}` (from {from}) holds {count} certificates"));
            }
            Ok(_) => {
                all_ok = false;
                report.fail(format!(
                    "CA bundle: `{shown}` (from {from}) holds no PEM certificate; point it at a PEM file or {unset}"
                ));
            }
            Err(error) => {
                all_ok = false;
                report.fail(format!("CA bundle: {error}; point {from} at a PEM file or {unset}"));
            }
        }
    }
    if all_ok { Ok(env.get("AWS_CA_BUNDLE").map(PathBuf::from)) } else { Err(()) }
}

/// One endpoint to probe, and whether its `Date` is the clock to compare with.
struct Target {
    endpoint: Endpoint,
    clock: bool,
}

pub(super) fn check_network(
    ctx: &Context,
    config: &Config,
    sessions: &[(LoginSession, Option<String>)],
    ca_bundle: Option<PathBuf>,
    report: &mut Report,
) {
    let mut targets: Vec<Target> = Vec::new();
    let mut add = |service: Service, region: &str, profile: Option<&str>, report: &mut Report| {
        let settings = endpoint_settings(config, profile, service);
        match Endpoint::resolve(service, Some(region), &ctx.env, &settings) {
            Ok(endpoint) => {
                if !targets.iter().any(|t| t.endpoint == endpoint) {
                    targets.push(Target { endpoint, clock: service == Service::SsoOidc });
                }
            }
            Err(error) => report.fail(format!("endpoint: {error}")),
        }
    };
    for (session, profile) in sessions {
        add(Service::SsoOidc, session.region(), profile.as_deref(), report);
        add(Service::Sso, session.region(), profile.as_deref(), report);
    }
    for profile in config.profiles() {
        if let Ok(ProfileKind::AssumeRole { .. }) = config.kind(profile.name()) {
            let region =
                profile.get("region").filter(|r| !r.is_empty()).unwrap_or(DEFAULT_STS_REGION);
            add(Service::Sts, region, Some(profile.name()), report);
        }
    }
    if targets.is_empty() {
        return;
    }
    let Some(results) = probe_all(ctx, &targets, ca_bundle, report) else { return };
    for (target, result) in targets.iter().zip(&results) {
        let named = endpoint_name(&target.endpoint);
        match result {
            Ok(answer) => report
                .ok(format!("endpoint: {named} answers ({} ms)", answer.round_trip.as_millis())),
            Err(error) => {
                let fix = match target.endpoint.source() {
                    EndpointSource::Default | EndpointSource::Explicit => {
                        "check the network and the proxy".to_owned()
                    }
                    source => format!("check the network, the proxy, and {source}"),
                };
                report.fail(format!("endpoint: {error}; {fix}"));
            }
        }
    }
    for (target, result) in targets.iter().zip(&results) {
        if !target.clock {
            continue;
        }
        let named = endpoint_name(&target.endpoint);
        match result.as_ref().map(Probe::clock_skew) {
            Err(_) => report.fail(format!("clock: not checked; {named} did not answer")),
            Ok(None) => report.fail(format!(
                "clock: not checked; {named} sent no `Date` header (is a proxy rewriting answers?)"
            )),
            Ok(Some(skew)) if skew.abs() > MAX_SKEW => report.fail(format!(
                "clock: this machine's clock is {} {named}; AWS refuses requests more than 5 minutes off, so turn on network time (NTP)",
                skew_text(skew)
            )),
            Ok(Some(skew)) if skew.abs() >= SignedDuration::from_mins(1) => report.ok(format!(
                "clock: this machine's clock is {} {named} (within the 5-minute limit)",
                skew_text(skew)
            )),
            Ok(Some(_)) => report.ok(format!("clock: in step with {named}")),
        }
    }
}

/// Probe every target at once (each on its own thread and runtime), in the targets' order.
fn probe_all(
    ctx: &Context,
    targets: &[Target],
    ca_bundle: Option<PathBuf>,
    report: &mut Report,
) -> Option<Vec<Result<Probe, ProbeError>>> {
    let settings = HttpSettings {
        request_timeout: PROBE_DEADLINE,
        connect_timeout: PROBE_DEADLINE,
        max_attempts: 1,
        ca_bundle,
        ..HttpSettings::default()
    };
    let http = match HttpClient::new(&settings, &ctx.env) {
        Ok(http) => http,
        Err(error) => {
            report.fail(format!("endpoints: {error}"));
            return None;
        }
    };
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|target| {
                let http = &http;
                scope.spawn(move || {
                    run_blocking(probe(http, &target.endpoint, PROBE_DEADLINE)).unwrap_or_else(
                        |error| {
                            Err(ProbeError::Unreachable {
                                service: target.endpoint.service(),
                                endpoint: target.endpoint.to_string(),
                                reason: error.to_string(),
                            })
                        },
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ProbeError::Unreachable {
                        service: Service::Sts,
                        endpoint: String::new(),
                        reason: "the probe thread failed".to_owned(),
                    })
                })
            })
            .collect()
    });
    Some(results)
}

/// The service and URL of an endpoint (``SSO OIDC `https://oidc...` ``), with where an
/// override came from.
fn endpoint_name(endpoint: &Endpoint) -> String {
    let service = endpoint.service();
    match endpoint.source() {
        EndpointSource::Default | EndpointSource::Explicit => format!("{service} `{endpoint}`"),
        source => format!("{service} `{endpoint}` (from {source})"),
    }
}

/// `10 min behind` / `6 min ahead of`: the local clock against the server's, to the minute.
pub(super) fn skew_text(skew: SignedDuration) -> String {
    let minutes = (skew.abs().as_secs() + 30) / 60;
    // Positive skew: the server is ahead, so the local clock is behind.
    let side = if skew.is_positive() { "behind" } else { "ahead of" };
    format!("{minutes} min {side}")
}

/// `http://user:pass@proxy:3128` → `http://***@proxy:3128`: proxy passwords stay private.
pub(super) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let prefix = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
            format!("{prefix}***{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}
