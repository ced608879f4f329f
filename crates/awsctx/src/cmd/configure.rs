//! `awsctx configure sso`: the wizard.
