//! End-to-end tests: the built `awsctx` binary against the mock, in temp homes and real shells.

mod mock;
