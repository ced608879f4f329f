//! Integration tests of awsctx-login (one binary, modules below).

mod console;
mod flow;
mod http;
mod oidc;
mod portal;
mod sts;
mod support;
