//! The model behind awsctx: everything that is true on disk, with no network and no async.
//!
//! - [`arn`]: ARNs, read one way everywhere.
//! - [`config`]: the AWS shared config and credentials files: parse, resolve, edit in place.
//! - [`cache`]: the SSO token cache and the role-credential cache, in the AWS CLI v2 formats.
//! - [`file`]: atomic writes and flock-style locks with a deadline.
//! - [`shell`]: quoting and rendering of environment changes for bash, zsh and fish.
//! - [`binding`]: per-directory profiles: pins, `.aws-profile` files and their trust records.
//! - [`facts`]: what the config says about one profile, resolved.
//! - [`lookup`]: profiles found by account id, ARN or account name.
//! - [`switch`]: a shell's switcher state (the hook's `_AWSCTX_*` variables) and its rules.
//! - [`refresh`]: the record of a key refresh the hook left to the background.
//! - [`time`]: the timestamp formats of the AWS files (`Z` in caches, `+00:00` in exports).
//! - [`env`]: a snapshot of the process environment, so every rule is testable.
//! - [`settings`]: every `AWSCTX_*` variable a user can set, defined once.
//! - [`secret`]: a string that never prints.
//! - [`text`]: untrusted text made safe for a terminal.

pub mod arn;
pub mod binding;
pub mod cache;
pub mod config;
pub mod env;
pub mod facts;
pub mod file;
pub mod lookup;
pub mod refresh;
pub mod secret;
pub mod settings;
pub mod shell;
pub mod switch;
pub mod text;
pub mod time;
