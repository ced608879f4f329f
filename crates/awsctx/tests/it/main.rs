//! End-to-end tests: the built `awsctx` binary against the mock IAM Identity Center, in temp
//! homes and real shells. One test binary; one module per area.
