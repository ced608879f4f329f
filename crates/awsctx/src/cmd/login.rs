//! `awsctx login`: the PKCE and device-code flows, printed and opened as the AWS CLI does.
