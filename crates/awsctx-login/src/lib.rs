//! The network side of awsctx. Knows nothing of shells and prints nothing: progress is
//! reported through callbacks, failures through typed errors.
//!
//! - [`browser`]: the only URLs handed to a browser (`https://`, or `http://` to loopback).
//! - [`http`]: the one HTTP client of a run (timeouts, CA bundle, proxies, retries).
//! - [`error`]: what can go wrong on the wire, each error naming its endpoint.
//! - [`endpoint`]: default endpoints per partition and the configured endpoint overrides.
//! - [`oidc`]: SSO OIDC (`RegisterClient`, `StartDeviceAuthorization`, `CreateToken`).
//! - [`pkce`]: PKCE values, the authorize URL and the loopback callback listener.
//! - [`flow`]: the device-code and authorization-code logins built on the two above.
//! - [`portal`]: the SSO portal (`GetRoleCredentials`, `ListAccounts`, `ListAccountRoles`, Logout).
//! - [`sts`]: STS `AssumeRole` and `GetCallerIdentity`, signed with `SigV4`.
//! - [`console`]: the federated console sign-in URL and IAM Identity Center shortcut links.
//! - [`container`]: the AWS container credential protocol on a local port.
//! - [`probe`]: one-shot reachability and clock probes of an endpoint (`awsctx doctor`).
//! - [`provider`]: the single-flight credential provider (cache → refresh → fetch), login
//!   and logout.

pub mod browser;
pub mod console;
pub mod container;
pub mod endpoint;
pub mod error;
pub mod flow;
pub mod http;
pub mod oidc;
pub mod pkce;
pub mod portal;
pub mod probe;
pub mod provider;
pub mod sts;

mod wire;

pub use endpoint::Call;
pub use endpoint::{Endpoint, EndpointError, Partition, ProfileEndpointSettings, Service};
pub use error::{AwsError, Error};
pub use http::{HttpClient, HttpSettings, RetryPolicy, run_blocking};
