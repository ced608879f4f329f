//! Every `hint:` that is not a command's own: what to do about an error of the libraries, as
//! one line naming the command that fixes it. The libraries give typed errors with the facts
//! (which session, which profile, which file, which HTTP status and AWS code); the words are
//! said here, and the commands quoted here, as the user would type them.

use std::path::Path;

use awsctx_core::binding::BindingError;
use awsctx_core::cache::CacheError;
use awsctx_core::config::{ConfigError, EditError, ProfileError};
use awsctx_core::file::{Distrust, FileError, LockHolder};
use awsctx_core::shell::{Shell, quote};
use awsctx_login::provider::{KeySource, LoginTarget, MfaError, ProviderError};

/// A provider error as the user sees it: the message, and a hint when a command fixes it.
pub(crate) fn user_error(error: ProviderError) -> anyhow::Error {
    match provider_hint(&error) {
        Some(hint) => crate::ui::error(error.to_string(), hint),
        None => anyhow::Error::new(error),
    }
}

/// The command that logs in to `target` again: `awsctx login --sso-session corp`.
pub(crate) fn login_command(target: &LoginTarget) -> String {
    match target {
        LoginTarget::Session(name) => format!("awsctx login --sso-session {}", shell_word(name)),
        LoginTarget::Profile(name) => format!("awsctx login --profile {}", shell_word(name)),
    }
}

/// A config file that cannot be read as one: what to fix.
pub(crate) fn config_error(err: &ConfigError) -> anyhow::Error {
    let hint = match err {
        ConfigError::TooLarge { .. } => {
            "point `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` at your AWS files; `awsctx doctor` checks the whole set-up"
        }
        _ => "fix the line named above; `awsctx doctor` checks the whole set-up",
    };
    crate::ui::error(err.to_string(), hint)
}

/// What to do about a provider error that a command fixes, said with the error.
fn provider_hint(error: &ProviderError) -> Option<String> {
    Some(match error {
        ProviderError::LoginRequired { target, .. } => format!("run `{}`", login_command(target)),
        ProviderError::MfaUnavailable { reason: MfaError::NoTerminal | MfaError::NotAsked, .. } => {
            "run the command once in a terminal to enter the code; the role's keys are then cached and reused while 15 minutes remain"
                .to_owned()
        }
        ProviderError::NoEnvironmentCredentials { .. } => {
            "export the source keys first, or give the role a `source_profile` instead".to_owned()
        }
        ProviderError::InvalidCredentials { profile, from, .. } => match from {
            KeySource::Service(_) => "nothing was printed or cached; check `AWS_ENDPOINT_URL*` and the proxy: `awsctx doctor` checks the endpoints".to_owned(),
            KeySource::Process { .. } => format!("fix the `credential_process` of profile `{profile}`: it must print the keys AWS issued"),
            KeySource::Config => format!("fix the keys of profile `{profile}` in `~/.aws/credentials` (`aws configure --profile {profile}` rewrites them)"),
            KeySource::Environment => "export the keys AWS issued in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`".to_owned(),
        },
        ProviderError::Profile(ProfileError::NotFound { .. }) => {
            "`awsctx list` shows the profiles".to_owned()
        }
        ProviderError::Profile(_) => {
            "fix the line named above; `awsctx doctor` checks the whole set-up".to_owned()
        }
        _ => return None,
    })
}

/// The hint for an error that brought none: what to do after a failed network call or when
/// another process keeps a lock. `None` when there is nothing useful to say.
pub(crate) fn fallback(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<ProviderError>() {
            return match error {
                ProviderError::Network(error) => network_hint(error),
                ProviderError::Lock(error) | ProviderError::Cache(CacheError::Write(error)) => {
                    file_hint(error)
                }
                ProviderError::AssumeRole { source, .. } if source.is_busy() => {
                    network_hint(source)
                }
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

fn network_hint(error: &awsctx_login::Error) -> Option<String> {
    use awsctx_login::Error;
    let hint = match error {
        Error::Service(_) if error.is_busy() => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_command_quotes_a_name_only_when_it_must() {
        let session = |name: &str| login_command(&LoginTarget::Session(name.to_owned()));
        assert_eq!(session("corp"), "awsctx login --sso-session corp");
        assert_eq!(session("my corp"), "awsctx login --sso-session 'my corp'");
        assert_eq!(session("it's"), r"awsctx login --sso-session 'it'\''s'");
        assert_eq!(
            login_command(&LoginTarget::Profile("legacy".into())),
            "awsctx login --profile legacy"
        );
    }
}
