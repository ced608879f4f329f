//! `awsctx pin` / `awsctx unpin`.
