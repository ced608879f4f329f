//! Integration tests of awsctx-login (one binary, modules below).

mod console;
mod flow;
mod http;
mod oidc;
mod portal;
mod provider;
mod sts;
mod support;
