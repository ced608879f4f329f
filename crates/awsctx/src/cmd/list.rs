//! `awsctx list`: the profiles table and `--json`.
