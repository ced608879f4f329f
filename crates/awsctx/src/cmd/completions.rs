//! `awsctx completions SHELL`: static scripts for packagers.
