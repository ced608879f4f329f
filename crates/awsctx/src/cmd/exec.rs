//! `awsctx exec PROFILE -- CMD`.
