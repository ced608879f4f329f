//! `awsctx credential-process --profile P`.
