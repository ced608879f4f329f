//! `awsctx allow` / `awsctx deny` for `.aws-profile` files.
