//! End-to-end tests: the built `awsctx` binary against the mock IAM Identity Center, in temp
//! homes and real shells. One test binary; one module per area.

// Tests say loudly on stderr what they skipped.
#![allow(clippy::print_stderr)]

// First: the modules below use its `awsctx_snapshot!`.
#[macro_use]
mod support;

mod accounts;
mod bounds;
mod chain;
mod configure;
mod console;
mod dayshell;
mod doctor;
mod exec;
mod export;
mod files;
mod guard;
mod hooks;
mod hookstate;
mod interop;
mod list;
mod login;
mod nushell;
mod populate;
mod prompt;
mod pty;
mod quoting;
mod region;
mod reliability;
mod server;
mod switch;
mod untrusted;
