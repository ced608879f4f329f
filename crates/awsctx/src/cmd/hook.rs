//! `awsctx hook SHELL` and the hidden `hook-env` the hook runs.
