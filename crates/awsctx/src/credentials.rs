//! Credentials at the binary's edge: resolving a profile's keys through the provider, and
//! turning provider errors into one-line errors with the command that fixes them.

use std::path::Path;

use awsctx_core::binding::BindingError;
use awsctx_core::cache::CacheError;
use awsctx_core::config::{EditError, ProfileError};
use awsctx_core::file::{Distrust, FileError, LockHolder};
use awsctx_core::shell::{Shell, quote};
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
                ProviderError::Lock(error) | ProviderError::Cache(CacheError::Write(error)) => {
                    file_hint(error)
                }
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
        file_error(cause).and_then(file_hint)
    })
}

/// The file error in `cause`, also where a library error wraps it transparently (and so
/// leaves it out of the chain). Provider errors are looked at above.
fn file_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a FileError> {
    if let Some(error) = cause.downcast_ref::<FileError>() {
        return Some(error);
    }
    if let Some(CacheError::Write(error)) = cause.downcast_ref::<CacheError>() {
        return Some(error);
    }
    if let Some(EditError::File(error)) = cause.downcast_ref::<EditError>() {
        return Some(error);
    }
    if let Some(BindingError::File(error)) = cause.downcast_ref::<BindingError>() {
        return Some(error);
    }
    None
}

/// What to do about a file awsctx would not use: the command that fixes it.
fn file_hint(error: &FileError) -> Option<String> {
    let word = |path: &Path| shell_word(&path.to_string_lossy());
    match error {
        FileError::WriteRefused { path, why } | FileError::LockRefused { path, why } => {
            Some(match why {
                Distrust::OpenFolder { dir, .. } => {
                    format!("run `chmod 700 {}` so that only you can write it", word(dir))
                }
                Distrust::ForeignFolder { dir, .. } => format!(
                    "move it out of the way (`mv {0} {0}.not-mine`); awsctx makes a new one",
                    word(dir)
                ),
                _ => format!("remove it (`rm {}`); awsctx makes a new one", word(path)),
            })
        }
        FileError::ReadOnly { path, .. } => {
            Some(format!("run `chmod u+w {}` to let awsctx write it", word(path)))
        }
        FileError::NotYours { .. } => Some(
            "run the command as the user who owns the file, or make the file yours first"
                .to_owned(),
        ),
        _ => lock_hint(error),
    }
}

/// `text` as one shell word in a hint: as it is when that is safe, else single-quoted (and
/// escaped for the terminal).
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b));
    if plain {
        text.to_owned()
    } else {
        awsctx_core::text::escape(&quote(Shell::Bash, text)).into_owned()
    }
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
        Error::ListingTooLarge { .. } => {
            "no organization needs that many: check `AWS_ENDPOINT_URL_SSO` and the proxy; `awsctx doctor` checks the endpoints"
        }
        Error::CaBundle { .. } => {
            "point `AWS_CA_BUNDLE` (or the profile's `ca_bundle`) at a PEM file; `awsctx doctor` checks it"
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
