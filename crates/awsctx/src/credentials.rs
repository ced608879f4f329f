//! Credentials at the binary's edge: a profile's keys through the provider, its errors with
//! their hints ([`crate::hints`]).

use awsctx_login::provider::ProfileCredentials;

use crate::context::Context;

/// The keys of `profile`, from the caches or the network.
pub(crate) fn resolve(ctx: &Context, profile: &str) -> anyhow::Result<ProfileCredentials> {
    ctx.provider_for(profile, true)?.credentials(profile).map_err(crate::hints::user_error)
}
