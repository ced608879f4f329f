//! Credentials at the binary's edge: resolving a profile's keys through the provider, and
//! turning provider errors into one-line errors with the command that fixes them.

use awsctx_core::config::ProfileError;
use awsctx_core::file::{FileError, LockHolder};
use awsctx_login::provider::{ProfileCredentials, ProviderError};

use crate::context::Context;

/// The keys of `profile`, from the caches or the network.
pub(crate) fn resolve(ctx: &Context, profile: &str) -> anyhow::Result<ProfileCredentials> {
    ctx.provider_for(profile, true)?.credentials(profile).map_err(user_error)
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

/// The hint for an error that brought none: what to do after a failed network call or when
/// another process keeps a lock. `None` when there is nothing useful to say.
pub(crate) fn fallback_hint(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<ProviderError>() {
            return match error {
                ProviderError::Network(error) => network_hint(error),
                ProviderError::Lock(error) => lock_hint(error),
                ProviderError::AssumeRole { source, .. } if busy(source) => network_hint(source),
                ProviderError::AssumeRole { .. } => Some(
                    "check the profile's `role_arn`, `external_id` and `source_profile` against the role's trust policy; `awsctx doctor` checks the set-up"
                        .to_owned(),
                ),
                _ => None,
            };
        }
        if let Some(error) = cause.downcast_ref::<awsctx_login::Error>() {
            return network_hint(error);
        }
        cause.downcast_ref::<FileError>().and_then(lock_hint)
    })
}

/// A service error that says "later": a server failure or throttling.
fn busy(error: &awsctx_login::Error) -> bool {
    error.aws().is_some_and(|aws| {
        aws.status == 429
            || aws.status >= 500
            || aws.is("ThrottlingException")
            || aws.is("Throttling")
    })
}

fn network_hint(error: &awsctx_login::Error) -> Option<String> {
    use awsctx_login::Error;
    let hint = match error {
        Error::Service(_) if busy(error) => {
            "the service is failing or busy: run the command again in a minute"
        }
        Error::Service(_) => {
            "`awsctx doctor` checks the set-up; `awsctx login` starts a new session"
        }
        Error::Timeout { .. } | Error::Connect { .. } | Error::Transport { .. } => {
            "check the network (and `HTTPS_PROXY`), then run the command again; `awsctx doctor` checks the endpoints"
        }
        Error::MalformedResponse { .. } => {
            "the endpoint does not answer like AWS: check `AWS_ENDPOINT_URL*` and the proxy; `awsctx doctor` checks the endpoints"
        }
        Error::PendingAuthorizationExpired => "run `awsctx login` again",
        _ => return None,
    };
    Some(hint.to_owned())
}

fn lock_hint(error: &FileError) -> Option<String> {
    match error {
        FileError::LockTimeout { holder: LockHolder::Pid(pid), .. } => Some(format!(
            "pid {pid} is still at it: run the command again later, or stop it (`kill {pid}`)"
        )),
        FileError::LockTimeout { holder: LockHolder::Unknown, .. } => {
            Some("another process is still at it: run the command again later".to_owned())
        }
        _ => None,
    }
}
