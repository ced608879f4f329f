//! The mock IAM Identity Center: a real HTTP server on loopback that speaks the AWS wire format.
//!
//! - [`mock`]: the server ([`MockSso`]) with SSO OIDC, the SSO portal, STS and console sign-in
//!   on one port, its configuration, counters, request log and fault injection.
//! - [`browser`]: the fake browser that follows the mock's redirects on loopback.
//! - [`http`]: the small HTTP/1.1 codec and percent-encoding both use.

pub mod browser;
pub mod http;
pub mod mock;

pub use browser::{BrowseError, Page, browse, write_browser_script};
pub use mock::{
    Account, AssumableRole, ConsoleSession, Fault, IssuedCredentials, IssuedToken, MockConfig,
    MockError, MockSso, Operation, RecordedRequest,
};
