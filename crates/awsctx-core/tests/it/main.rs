//! Integration tests of awsctx-core (one binary, modules below).
