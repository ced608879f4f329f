//! Reachability probes for `awsctx doctor`: one unsigned `GET` of an endpoint's base URL, no
//! retry, a short deadline. Any HTTP answer (a `404` included) means the endpoint is reachable
//! through the configured proxy and CA bundle; the answer's `Date` header gives the server's
//! clock, which `SigV4` and token expiry depend on.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use crate::endpoint::Endpoint;
use crate::http::HttpClient;

/// What an endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub status: u16,
    /// The `Date` header, when the answer had a valid one.
    pub server_date: Option<Timestamp>,
    /// Local time in the middle of the round trip.
    pub local_midpoint: Timestamp,
    pub round_trip: Duration,
}

impl Probe {
    /// Server clock minus local clock (positive: the local clock is behind). `Date` has
    /// whole seconds, so this is exact to about a second plus half the round trip.
    pub fn clock_skew(&self) -> Option<SignedDuration> {
        self.server_date.map(|date| date.duration_since(self.local_midpoint))
    }
}

/// Why an endpoint could not be reached; each names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("{service} endpoint `{endpoint}` did not answer within {}s", after.as_secs())]
    Timeout { service: crate::Service, endpoint: String, after: Duration },
    #[error("cannot reach the {service} endpoint `{endpoint}`: {reason}")]
    Unreachable { service: crate::Service, endpoint: String, reason: String },
}

/// `GET` the endpoint's base URL once, giving up after `deadline`.
pub async fn probe(
    http: &HttpClient,
    endpoint: &Endpoint,
    deadline: Duration,
) -> Result<Probe, ProbeError> {
    let name = endpoint.to_string();
    let service = endpoint.service();
    let sent_local = Timestamp::now();
    let started = Instant::now();
    let request = http.request(reqwest::Method::GET, endpoint.url().clone()).send();
    let response = match tokio::time::timeout(deadline, request).await {
        Err(_elapsed) => {
            return Err(ProbeError::Timeout { service, endpoint: name, after: deadline });
        }
        Ok(Err(error)) => {
            return Err(ProbeError::Unreachable {
                service,
                endpoint: name,
                reason: reason(&error),
            });
        }
        Ok(Ok(response)) => response,
    };
    let round_trip = started.elapsed();
    let half = SignedDuration::try_from(round_trip / 2).unwrap_or_default();
    let server_date = response
        .headers()
        .get(http::header::DATE)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_http_date);
    Ok(Probe {
        status: response.status().as_u16(),
        server_date,
        local_midpoint: sent_local.checked_add(half).unwrap_or(sent_local),
        round_trip,
    })
}

/// An HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate, an RFC 2822 date).
pub fn parse_http_date(text: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::parse(text.trim()).ok().map(|zoned| zoned.timestamp())
}

/// The causes of a reqwest error on one line, most specific last, without the URL reqwest
/// repeats.
fn reason(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        let text = cause.to_string();
        let text = text.split(" for url (").next().unwrap_or(&text).to_owned();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    if parts.len() > 1 {
        parts.retain(|p| p != "error sending request" && !p.starts_with("client error ("));
    }
    crate::error::one_line(&parts.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_read_in_gmt() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some("1994-11-06T08:49:37Z".parse().unwrap())
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn skew_is_server_minus_local() {
        let probe = Probe {
            status: 404,
            server_date: Some("2024-01-01T00:10:00Z".parse().unwrap()),
            local_midpoint: "2024-01-01T00:00:00Z".parse().unwrap(),
            round_trip: Duration::from_millis(3),
        };
        assert_eq!(probe.clock_skew(), Some(SignedDuration::from_mins(10)));
    }
}
