//! `awsctx populate`: one profile per account and role, in a managed block.
