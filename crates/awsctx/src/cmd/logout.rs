//! `awsctx logout`.
