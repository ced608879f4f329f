//! Where each service lives: the default endpoint per partition and region (the rule sets
//! of SSO OIDC, SSO and STS, with their FIPS and dual-stack variants) and the configured
//! overrides, first hit wins:
//!
//! 1. `AWS_ENDPOINT_URL_<SERVICE>` (`SSO_OIDC`, `SSO`, `STS`, `SIGNIN`);
//! 2. `AWS_ENDPOINT_URL`;
//! 3. the profile's `services` section, sub-property `endpoint_url` of the service;
//! 4. the profile's `endpoint_url`.
//!
//! All four are skipped when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or, when that
//! variable is unset, the profile's `ignore_configured_endpoint_urls`).
//!
//! The console sign-in endpoint is the bare partition host (`https://signin.aws.amazon.com`
//! and its `GovCloud` and China siblings), as aws-vault does: it serves every region, so the
//! sign-in never depends on which regional hosts exist.

use std::fmt;

use awsctx_core::env::Env;
use url::Url;

/// The services awsctx talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// SSO OIDC (`oidc.{region}.amazonaws.com`): client registration and tokens.
    SsoOidc,
    /// The SSO portal (`portal.sso.{region}.amazonaws.com`): role credentials, accounts.
    Sso,
    /// STS: `AssumeRole` for role chaining.
    Sts,
    /// The console federation endpoint (`signin.aws.amazon.com`).
    Signin,
}

impl Service {
    /// The name used in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Service::SsoOidc => "SSO OIDC",
            Service::Sso => "SSO portal",
            Service::Sts => "STS",
            Service::Signin => "console sign-in",
        }
    }

    /// The service-specific override variable, e.g. `AWS_ENDPOINT_URL_SSO_OIDC`.
    pub fn endpoint_env_var(self) -> &'static str {
        match self {
            Service::SsoOidc => "AWS_ENDPOINT_URL_SSO_OIDC",
            Service::Sso => "AWS_ENDPOINT_URL_SSO",
            Service::Sts => "AWS_ENDPOINT_URL_STS",
            Service::Signin => "AWS_ENDPOINT_URL_SIGNIN",
        }
    }

    /// The key of the service in a `[services]` section, e.g. `sso_oidc`.
    pub fn services_key(self) -> &'static str {
        match self {
            Service::SsoOidc => "sso_oidc",
            Service::Sso => "sso",
            Service::Sts => "sts",
            Service::Signin => "signin",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// An AWS partition (`partitions.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
    AwsIso,
    AwsIsoB,
    AwsIsoE,
    AwsIsoF,
    AwsEusc,
}

impl Partition {
    const ALL: [Partition; 8] = [
        Partition::Aws,
        Partition::AwsCn,
        Partition::AwsUsGov,
        Partition::AwsIso,
        Partition::AwsIsoB,
        Partition::AwsIsoE,
        Partition::AwsIsoF,
        Partition::AwsEusc,
    ];

    /// The partition of a region: an exact listed region first, then the region patterns,
    /// else `aws` (as the `aws.partition` rule function does).
    pub fn of_region(region: &str) -> Partition {
        let listed = match region {
            "aws-global" => Some(Partition::Aws),
            "aws-cn-global" => Some(Partition::AwsCn),
            "aws-us-gov-global" => Some(Partition::AwsUsGov),
            "aws-iso-global" => Some(Partition::AwsIso),
            "aws-iso-b-global" => Some(Partition::AwsIsoB),
            "aws-iso-f-global" => Some(Partition::AwsIsoF),
            _ => None,
        };
        listed
            .or_else(|| Self::ALL.into_iter().find(|p| p.matches(region)))
            .unwrap_or(Partition::Aws)
    }

    /// The partition id, e.g. `aws-us-gov`.
    pub fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsIso => "aws-iso",
            Partition::AwsIsoB => "aws-iso-b",
            Partition::AwsIsoE => "aws-iso-e",
            Partition::AwsIsoF => "aws-iso-f",
            Partition::AwsEusc => "aws-eusc",
        }
    }

    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::AwsIso => "c2s.ic.gov",
            Partition::AwsIsoB => "sc2s.sgov.gov",
            Partition::AwsIsoE => "cloud.adc-e.uk",
            Partition::AwsIsoF => "csp.hci.ic.gov",
            Partition::AwsEusc => "amazonaws.eu",
        }
    }

    pub fn dual_stack_dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "api.aws",
            Partition::AwsCn => "api.amazonwebservices.com.cn",
            other => other.dns_suffix(),
        }
    }

    pub fn supports_fips(self) -> bool {
        true
    }

    pub fn supports_dual_stack(self) -> bool {
        matches!(self, Partition::Aws | Partition::AwsCn | Partition::AwsUsGov)
    }

    /// `regionRegex` of the partition, e.g. `^cn\-\w+\-\d+$`.
    fn matches(self, region: &str) -> bool {
        let (prefixes, rest): (&[&str], &str) = match self {
            Partition::Aws => (&["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"], region),
            Partition::AwsCn => (&["cn"], region),
            Partition::AwsUsGov => (&["us-gov"], region),
            Partition::AwsIso => (&["us-iso"], region),
            Partition::AwsIsoB => (&["us-isob"], region),
            Partition::AwsIsoE => (&["eu-isoe"], region),
            Partition::AwsIsoF => (&["us-isof"], region),
            Partition::AwsEusc => (&["eusc-de"], region),
        };
        prefixes.iter().any(|prefix| {
            rest.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(word_dash_digits)
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// `\w+\-\d+$`: a word, a dash, digits (the word may itself contain dashes? no: `\w` has
/// no dash, so exactly one dash separates the two parts).
fn word_dash_digits(s: &str) -> bool {
    let Some((word, digits)) = s.rsplit_once('-') else {
        return false;
    };
    !word.is_empty()
        && word.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
}

/// The endpoint settings of the selected profile, as the config model resolves them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileEndpointSettings {
    /// `endpoint_url` under this service's key in the profile's `[services]` section.
    pub services_endpoint_url: Option<String>,
    /// The profile's own `endpoint_url`.
    pub endpoint_url: Option<String>,
    /// `ignore_configured_endpoint_urls = true` in the profile.
    pub ignore_configured_endpoint_urls: bool,
    /// `use_fips_endpoint = true` in the profile.
    pub use_fips: bool,
    /// `use_dualstack_endpoint = true` in the profile.
    pub use_dualstack: bool,
}

/// Where an endpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointSource {
    /// The partition default for the region.
    Default,
    /// The service-specific variable, e.g. `AWS_ENDPOINT_URL_SSO`.
    ServiceEnv(&'static str),
    /// `AWS_ENDPOINT_URL`.
    GlobalEnv,
    /// The profile's `[services]` section.
    ProfileServices,
    /// The profile's `endpoint_url`.
    Profile,
    /// Given directly by the caller.
    Explicit,
}

impl fmt::Display for EndpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointSource::Default => f.write_str("the partition default"),
            EndpointSource::ServiceEnv(var) => write!(f, "`{var}`"),
            EndpointSource::GlobalEnv => f.write_str("`AWS_ENDPOINT_URL`"),
            EndpointSource::ProfileServices => f.write_str("the profile's `services` section"),
            EndpointSource::Profile => f.write_str("the profile's `endpoint_url`"),
            EndpointSource::Explicit => f.write_str("the caller"),
        }
    }
}

/// Why no endpoint could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("cannot choose the {service} endpoint: no region is configured")]
    MissingRegion { service: Service },

    #[error("cannot choose the {service} endpoint: `{region}` is not a valid region name")]
    InvalidRegion { service: Service, region: String },

    #[error(
        "invalid configuration: FIPS and the custom {service} endpoint `{url}` from {from} cannot be combined"
    )]
    FipsWithCustomEndpoint { service: Service, url: String, from: EndpointSource },

    #[error(
        "invalid configuration: dual-stack and the custom {service} endpoint `{url}` from {from} cannot be combined"
    )]
    DualStackWithCustomEndpoint { service: Service, url: String, from: EndpointSource },

    #[error(
        "partition `{partition}` does not support both FIPS and dual-stack {service} endpoints"
    )]
    FipsAndDualStackUnsupported { service: Service, partition: Partition },

    #[error("partition `{partition}` does not support FIPS {service} endpoints")]
    FipsUnsupported { service: Service, partition: Partition },

    #[error("partition `{partition}` does not support dual-stack {service} endpoints")]
    DualStackUnsupported { service: Service, partition: Partition },

    #[error("invalid {service} endpoint URL `{url}` from {from}: {reason}")]
    InvalidUrl { service: Service, url: String, from: EndpointSource, reason: String },

    #[error(
        "there is no known console sign-in endpoint for partition `{partition}`; set `AWS_ENDPOINT_URL_SIGNIN`"
    )]
    NoConsoleSignin { partition: Partition },
}

/// One operation against one endpoint: what every network error names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: Service,
    pub operation: &'static str,
    /// `scheme://host[:port]` of the endpoint.
    pub endpoint: String,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} at `{}`", self.service.display_name(), self.operation, self.endpoint)
    }
}

/// A resolved endpoint: the base URL requests are sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    service: Service,
    url: Url,
    source: EndpointSource,
    signing_region: Option<String>,
}

impl Endpoint {
    /// The endpoint of `service` for `region`, honouring the configured overrides, FIPS and
    /// dual-stack (`AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`, else the profile).
    pub fn resolve(
        service: Service,
        region: Option<&str>,
        env: &Env,
        profile: &ProfileEndpointSettings,
    ) -> Result<Self, EndpointError> {
        let use_fips = env_flag(env, "AWS_USE_FIPS_ENDPOINT").unwrap_or(profile.use_fips);
        let use_dualstack =
            env_flag(env, "AWS_USE_DUALSTACK_ENDPOINT").unwrap_or(profile.use_dualstack);
        let configured = configured_endpoint_url(service.endpoint_env_var(), None, env, profile);
        match configured {
            Some((url, source)) => {
                if use_fips {
                    return Err(EndpointError::FipsWithCustomEndpoint {
                        service,
                        url,
                        from: source,
                    });
                }
                if use_dualstack {
                    return Err(EndpointError::DualStackWithCustomEndpoint {
                        service,
                        url,
                        from: source,
                    });
                }
                Self::parse(service, &url, source)
            }
            None => Self::default_for(service, region, use_fips, use_dualstack),
        }
    }

    /// The partition default of `service` for `region` (the service's endpoint rule set).
    pub fn default_for(
        service: Service,
        region: Option<&str>,
        use_fips: bool,
        use_dualstack: bool,
    ) -> Result<Self, EndpointError> {
        if service == Service::Signin {
            return Self::default_signin(region);
        }
        let region =
            region.filter(|r| !r.is_empty()).ok_or(EndpointError::MissingRegion { service })?;
        if !is_host_label(region) {
            return Err(EndpointError::InvalidRegion { service, region: region.to_owned() });
        }
        let partition = Partition::of_region(region);
        let (plain, fips) = match service {
            Service::SsoOidc => ("oidc", "oidc-fips"),
            Service::Sso => ("portal.sso", "portal.sso-fips"),
            Service::Sts | Service::Signin => ("sts", "sts-fips"),
        };
        let mut signing_region = None;
        let host = match (use_fips, use_dualstack) {
            (true, true) => {
                if !(partition.supports_fips() && partition.supports_dual_stack()) {
                    return Err(EndpointError::FipsAndDualStackUnsupported { service, partition });
                }
                format!("{fips}.{region}.{}", partition.dual_stack_dns_suffix())
            }
            (true, false) => {
                if !partition.supports_fips() {
                    return Err(EndpointError::FipsUnsupported { service, partition });
                }
                if partition == Partition::AwsUsGov {
                    // GovCloud endpoints are FIPS endpoints already.
                    format!("{plain}.{region}.amazonaws.com")
                } else {
                    format!("{fips}.{region}.{}", partition.dns_suffix())
                }
            }
            (false, true) => {
                if !partition.supports_dual_stack() {
                    return Err(EndpointError::DualStackUnsupported { service, partition });
                }
                format!("{plain}.{region}.{}", partition.dual_stack_dns_suffix())
            }
            (false, false) => {
                if service == Service::Sts && region == "aws-global" {
                    signing_region = Some("us-east-1".to_owned());
                    "sts.amazonaws.com".to_owned()
                } else {
                    format!("{plain}.{region}.{}", partition.dns_suffix())
                }
            }
        };
        let mut endpoint =
            Self::parse(service, &format!("https://{host}"), EndpointSource::Default)?;
        endpoint.signing_region = signing_region;
        Ok(endpoint)
    }

    fn default_signin(region: Option<&str>) -> Result<Self, EndpointError> {
        let partition = region.map_or(Partition::Aws, Partition::of_region);
        let host = match partition {
            Partition::Aws => "signin.aws.amazon.com",
            Partition::AwsUsGov => "signin.amazonaws-us-gov.com",
            Partition::AwsCn => "signin.amazonaws.cn",
            other => return Err(EndpointError::NoConsoleSignin { partition: other }),
        };
        Self::parse(Service::Signin, &format!("https://{host}"), EndpointSource::Default)
    }

    /// An endpoint given directly (e.g. by a test or a `--endpoint-url` of the caller).
    pub fn custom(service: Service, url: &str) -> Result<Self, EndpointError> {
        Self::parse(service, url, EndpointSource::Explicit)
    }

    fn parse(service: Service, url: &str, source: EndpointSource) -> Result<Self, EndpointError> {
        let invalid = |reason: String| EndpointError::InvalidUrl {
            service,
            url: url.to_owned(),
            from: source,
            reason,
        };
        let parsed = Url::parse(url.trim()).map_err(|e| invalid(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be `http` or `https`".to_owned()));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the URL has no host".to_owned()));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("the URL must not have a query or fragment".to_owned()));
        }
        Ok(Self { service, url: parsed, source, signing_region: None })
    }

    /// The service this endpoint was resolved for.
    pub fn service(&self) -> Service {
        self.service
    }

    /// One operation against this endpoint, for errors.
    pub(crate) fn call(&self, operation: &'static str) -> Call {
        Call { service: self.service, operation, endpoint: self.origin() }
    }

    /// The base URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `scheme://host[:port]`: what errors show.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    pub fn source(&self) -> EndpointSource {
        self.source
    }

    /// The region to sign for when it differs from the client's (STS `aws-global`).
    pub fn signing_region(&self) -> Option<&str> {
        self.signing_region.as_deref()
    }

    /// The URL of an operation path (e.g. `/token`) below this endpoint; a path prefix of
    /// a custom endpoint is kept.
    pub(crate) fn join(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url.set_query(None);
        url
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str().trim_end_matches('/'))
    }
}

/// A boolean variable: `Some(true)` for `true` (any case), `Some(false)` for any other
/// value, `None` when unset.
fn env_flag(env: &Env, name: &str) -> Option<bool> {
    env.get(name).map(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The configured endpoint URL of a service, first hit wins (see the module docs).
/// `service_env_var` is the service-specific variable; `explicit` is a URL given to the
/// client directly, which wins over everything and is never ignored.
pub(crate) fn configured_endpoint_url(
    service_env_var: &'static str,
    explicit: Option<&str>,
    env: &Env,
    profile: &ProfileEndpointSettings,
) -> Option<(String, EndpointSource)> {
    if let Some(url) = explicit {
        return Some((url.to_owned(), EndpointSource::Explicit));
    }
    let ignore = env_flag(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .unwrap_or(profile.ignore_configured_endpoint_urls);
    if ignore {
        return None;
    }
    let non_empty =
        |v: &Option<String>| v.as_deref().filter(|s| !s.trim().is_empty()).map(str::to_owned);
    env.get(service_env_var)
        .map(|v| (v.to_owned(), EndpointSource::ServiceEnv(service_env_var)))
        .or_else(|| env.get("AWS_ENDPOINT_URL").map(|v| (v.to_owned(), EndpointSource::GlobalEnv)))
        .or_else(|| {
            non_empty(&profile.services_endpoint_url).map(|v| (v, EndpointSource::ProfileServices))
        })
        .or_else(|| non_empty(&profile.endpoint_url).map(|v| (v, EndpointSource::Profile)))
}

/// A DNS label made of ASCII letters, digits and dashes (no dots, no slashes): what a region
/// must be before it goes into a host name.
fn is_host_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests;
