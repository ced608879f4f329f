//! The mock IAM Identity Center: a real HTTP server on loopback that speaks the AWS wire format.
