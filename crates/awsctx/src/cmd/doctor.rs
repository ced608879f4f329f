//! `awsctx doctor`.
