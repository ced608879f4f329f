//! `awsctx console`: the federated sign-in URL.
