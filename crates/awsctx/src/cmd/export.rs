//! `awsctx export`: the formats of `aws configure export-credentials`.
