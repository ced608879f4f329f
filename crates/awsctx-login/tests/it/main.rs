//! Integration tests of awsctx-login (one binary, modules below).

mod chain;
mod console;
mod flow;
mod http;
mod oidc;
mod portal;
mod provider;
mod sts;
mod support;
