//! The mock IAM Identity Center: a real HTTP server on loopback that speaks the AWS wire format.
//!
//! - [`mock`]: the server ([`MockSso`]) with SSO OIDC, the SSO portal, STS and console sign-in
//!   on one port, its configuration, counters, request log and fault injection.
//! - [`browser`]: the fake browser that follows the mock's redirects on loopback.
//! - [`http`]: the small HTTP/1.1 codec and percent-encoding both use.
//!
//! How an end-to-end test drives `awsctx` against it:
//!
//! ```no_run
//! use std::path::Path;
//! use awsctx_tests::{Fault, MockConfig, MockSso, Operation, write_browser_script};
//!
//! let mock = MockSso::start(MockConfig::default().accounts(3).roles_per_account(2));
//! let home = tempfile::tempdir().unwrap();
//! // `sso_start_url = <mock.start_url()>` in the config: an awsapps.com URL, used as is.
//! // In this crate's tests the binary is `env!("CARGO_BIN_EXE_mock-sso")`.
//! let browser = write_browser_script(home.path(), Path::new("target/debug/mock-sso")).unwrap();
//! mock.inject(Operation::GetRoleCredentials, [Fault::Status(500)]);
//! let status = std::process::Command::new("awsctx")
//!     .envs(mock.env_vars())
//!     .env("HOME", home.path())
//!     .env("BROWSER", &browser)
//!     .args(["export", "prod", "--format", "env"])
//!     .status()
//!     .unwrap();
//! assert!(status.success());
//! assert_eq!(mock.count(Operation::GetRoleCredentials), 2);
//! ```
//!
//! The PKCE login then runs for real: awsctx opens `/authorize` through `BROWSER`, the fake
//! browser follows the `302` to awsctx's loopback callback, awsctx exchanges the code. The
//! device flow too: the browser opens `verificationUriComplete`, which approves. Without a
//! browser, [`MockConfig::auto_approve`] or [`MockSso::approve_pending`]; to skip the login,
//! [`MockSso::issue_token`] gives what a token cache file needs.

pub mod browser;
pub mod http;
pub mod mock;

pub use browser::{BrowseError, Page, browse, write_browser_script};
pub use mock::{
    Account, AssumableRole, ConsoleSession, Fault, IssuedCredentials, IssuedToken, MockConfig,
    MockError, MockSso, Operation, RecordedRequest,
};
