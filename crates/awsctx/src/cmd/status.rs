//! `awsctx status`: what this shell has and where it came from.
