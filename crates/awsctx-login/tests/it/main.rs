//! Integration tests of awsctx-login (one binary, modules below).
