//! Credentials at the binary's edge: resolving a profile's keys through the provider, and
//! turning provider errors into one-line errors with the command that fixes them.

use awsctx_core::config::ProfileError;
use awsctx_login::provider::{ProfileCredentials, ProviderError};

use crate::context::Context;

/// The keys of `profile`, from the caches or the network.
pub(crate) fn resolve(ctx: &Context, profile: &str) -> anyhow::Result<ProfileCredentials> {
    ctx.provider(Some(profile), true)?.credentials(profile).map_err(user_error)
}

/// A provider error as the user sees it: the message, and a hint when a command fixes it.
pub(crate) fn user_error(error: ProviderError) -> anyhow::Error {
    if let Some(hint) = error.hint() {
        return crate::ui::error(error.to_string(), hint);
    }
    match &error {
        ProviderError::Profile(ProfileError::NotFound { .. }) => {
            crate::ui::error(error.to_string(), "`awsctx list` shows the profiles")
        }
        ProviderError::Profile(_) => crate::ui::error(
            error.to_string(),
            "fix the line named above; `awsctx doctor` checks the whole set-up",
        ),
        _ => anyhow::Error::new(error),
    }
}
