//! Integration tests of awsctx-core (one binary, modules below).

mod cache;
mod shell;
