//! The federated console sign-in (`docs/aws-protocol.md`): trade temporary credentials for a
//! sign-in token at `/federation?Action=getSigninToken`, then build the login URL. The token and
//! the URL are secrets (whoever holds them is signed in), so they come back as [`Secret`].
//!
//! For SSO profiles, [`shortcut_url`] is IAM Identity Center's own shortcut link instead: the
//! portal signs the browser in with its own session, so no keys and no call are involved, and
//! the console's multi-session support keeps several of them open side by side.

use awsctx_core::secret::Secret;

use crate::endpoint::{Endpoint, Partition};
use crate::error::Error;
use crate::http::{ErrorFormat, HttpClient};
use crate::oidc::parse;
use crate::sts::Credentials;
use crate::wire::{encode, encode_pairs};

/// A console sign-in client for one sign-in endpoint.
#[derive(Debug, Clone)]
pub struct ConsoleSignin {
    http: HttpClient,
    endpoint: Endpoint,
}

/// The `Session` parameter: the member names are the federation endpoint's.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)]
struct Session<'a> {
    session_id: &'a str,
    session_key: &'a str,
    session_token: &'a str,
}

impl ConsoleSignin {
    pub fn new(http: &HttpClient, endpoint: Endpoint) -> Self {
        Self { http: http.clone(), endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `GET /federation?Action=getSigninToken&Session=..[&SessionDuration=..]`. The
    /// credentials must be temporary; `session_duration` (900–43200 s) is the console
    /// session's length, left to the credentials' lifetime when `None`.
    pub async fn signin_token(
        &self,
        credentials: &Credentials,
        session_duration: Option<u32>,
    ) -> Result<Secret, Error> {
        let call = self.endpoint.call("getSigninToken");
        let token =
            credentials.session_token.as_ref().ok_or(Error::TemporaryCredentialsRequired)?;
        let session = serde_json::to_string(&Session {
            session_id: &credentials.access_key_id,
            session_key: credentials.secret_access_key.expose(),
            session_token: token.expose(),
        })
        .map_err(|e| Error::InvalidRequest { call: call.clone(), reason: e.to_string() })?;
        let duration = session_duration.map(|d| d.to_string());
        let mut pairs = vec![("Action", "getSigninToken"), ("Session", session.as_str())];
        if let Some(duration) = &duration {
            pairs.push(("SessionDuration", duration));
        }
        let mut url = self.endpoint.join("/federation");
        url.set_query(Some(&encode_pairs(pairs)));
        let response = self
            .http
            .send(&call, ErrorFormat::Json, || {
                HttpClient::build(&call, self.http.request(reqwest::Method::GET, url.clone()))
            })
            .await?;
        parse(&call, &response, |m| m.string("SigninToken").map(Secret::new))
    }

    /// The login URL for a sign-in token; see [`login_url`].
    pub fn login_url(&self, token: &Secret, destination: &str, issuer: &str) -> Secret {
        login_url(&self.endpoint, token, destination, issuer)
    }
}

/// `{signin}/federation?Action=login&Issuer=..&Destination=..&SigninToken=..`.
pub fn login_url(signin: &Endpoint, token: &Secret, destination: &str, issuer: &str) -> Secret {
    let mut url = signin.join("/federation");
    url.set_query(Some(&encode_pairs([
        ("Action", "login"),
        ("Issuer", issuer),
        ("Destination", destination),
        ("SigninToken", token.expose()),
    ])));
    Secret::new(String::from(url))
}

/// IAM Identity Center's shortcut link to the console as `role_name` in `account_id`:
/// `<start URL>/#/console?account_id=…&role_name=…[&destination=…]`, each value
/// percent-encoded (the destination is a whole URL). The start URL's own trailing `/` or
/// `#…` is dropped first. No destination: the portal opens the console's home page.
pub fn shortcut_url(
    start_url: &str,
    account_id: &str,
    role_name: &str,
    destination: Option<&str>,
) -> String {
    let base = start_url.split('#').next().unwrap_or_default().trim_end_matches('/');
    let mut pairs = vec![("account_id", account_id), ("role_name", role_name)];
    if let Some(destination) = destination {
        pairs.push(("destination", destination));
    }
    format!("{base}/#/console?{}", encode_pairs(pairs))
}

/// The console page to land on: `service` (default `console`) in `region`, e.g.
/// `https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1`. `None` for the
/// partitions without a public console.
pub fn console_destination(
    partition: Partition,
    region: Option<&str>,
    service: Option<&str>,
) -> Option<String> {
    let service = encode(service.filter(|s| !s.is_empty()).unwrap_or("console"));
    let region = region.filter(|r| !r.is_empty()).map(encode);
    let host = match partition {
        Partition::Aws => match &region {
            Some(region) => format!("{region}.console.aws.amazon.com"),
            None => "console.aws.amazon.com".to_owned(),
        },
        Partition::AwsUsGov => "console.amazonaws-us-gov.com".to_owned(),
        Partition::AwsCn => "console.amazonaws.cn".to_owned(),
        _ => return None,
    };
    Some(match region {
        Some(region) => format!("https://{host}/{service}/home?region={region}"),
        None => format!("https://{host}/{service}/home"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Service;

    #[test]
    fn destinations_per_partition() {
        assert_eq!(
            console_destination(Partition::Aws, Some("eu-west-1"), Some("s3")).as_deref(),
            Some("https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1")
        );
        assert_eq!(
            console_destination(Partition::Aws, None, None).as_deref(),
            Some("https://console.aws.amazon.com/console/home")
        );
        assert_eq!(
            console_destination(Partition::AwsUsGov, Some("us-gov-west-1"), None).as_deref(),
            Some("https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1")
        );
        assert_eq!(
            console_destination(Partition::AwsCn, Some("cn-north-1"), Some("ec2")).as_deref(),
            Some("https://console.amazonaws.cn/ec2/home?region=cn-north-1")
        );
        assert_eq!(console_destination(Partition::AwsIso, Some("us-iso-east-1"), None), None);
    }

    #[test]
    fn shortcut_links_carry_account_role_and_encoded_destination() {
        assert_eq!(
            shortcut_url("https://d-1.awsapps.com/start", "111111111111", "Admin", None),
            "https://d-1.awsapps.com/start/#/console?account_id=111111111111&role_name=Admin"
        );
        assert_eq!(
            shortcut_url(
                "https://d-1.awsapps.com/start/#/",
                "111111111111",
                "Ops+Audit@x",
                Some("https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"),
            ),
            "https://d-1.awsapps.com/start/#/console?account_id=111111111111&role_name=Ops%2BAudit%40x&destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Deu-west-1"
        );
    }

    #[test]
    fn login_url_encodes_every_parameter() {
        let signin = Endpoint::default_for(Service::Signin, None, false, false).unwrap();
        let url = login_url(
            &signin,
            &Secret::new("tok+en/="),
            "https://console.aws.amazon.com/console/home?region=us-east-1",
            "",
        );
        assert_eq!(
            url.expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1&SigninToken=tok%2Ben%2F%3D"
        );
    }
}
