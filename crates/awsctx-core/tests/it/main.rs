//! Integration tests of awsctx-core (one binary, modules below).

mod cache;
mod config_edit;
mod config_location;
mod config_managed;
mod config_one_profile;
mod config_owned;
mod config_parser;
mod config_profile;
mod config_testdata;
mod hook_state;
mod locations;
mod parser_rules;
mod reliability;
mod shell;
