//! `awsctx exec PROFILE -- CMD ARGS...`: run CMD with the profile's keys in its environment.
//!
//! awsctx replaces itself with CMD (`execvp`, no shell in between): CMD keeps awsctx's pid, so
//! its exit status and the signals sent to it (`kill`, Ctrl-C, job control) are CMD's own
//! with nothing in the middle to forward them or to outlive it. The price is that awsctx
//! cannot act after CMD ends, and it has nothing to do then: the keys are in the cache for
//! the next run.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use awsctx_core::time::format_export;
use awsctx_login::provider::ProfileCredentials;

use crate::cli::ExecArgs;
use crate::context::Context;

/// Exit status when CMD is not found, as in shells.
const NOT_FOUND: u8 = 127;
/// Exit status when CMD is found but cannot be run, as in shells.
const CANNOT_RUN: u8 = 126;

/// Variables that would contradict the profile's keys in the child: other keys, the older
/// token name, another profile, web-identity settings, and the account of other keys.
const CONFLICTING: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCOUNT_ID",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
];

/// The hook's state variables. A shell started by `exec` gets none of them, so its own hook
/// starts afresh instead of refreshing the parent shell's profile over these keys.
const HOOK_STATE_PREFIX: &str = "_AWSCTX_";

pub(crate) fn run(args: ExecArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ExecArgs { profile, command: words } = args;
    let found = crate::credentials::resolve(ctx, &profile)?;
    let Some((program, rest)) = words.split_first() else {
        anyhow::bail!("no command given after `--`");
    };
    let mut command = Command::new(program);
    command.args(rest);
    for name in removed_variables(std::env::vars_os().map(|(name, _)| name)) {
        command.env_remove(name);
    }
    for (name, value) in child_variables(&found) {
        command.env(name, value);
    }
    // `exec` returns only when CMD could not be started.
    let error = command.exec();
    let shown = program.to_string_lossy();
    let (message, code) = match error.kind() {
        ErrorKind::NotFound => (format!("command `{shown}` not found"), NOT_FOUND),
        _ => (format!("cannot run `{shown}`: {error}"), CANNOT_RUN),
    };
    crate::ui::report(&anyhow::anyhow!(message));
    Ok(ExitCode::from(code))
}

/// The variables of the child that awsctx sets: the keys, their expiry, the profile and its
/// region (when it has one; otherwise the caller's region variables stay).
pub(crate) fn child_variables(found: &ProfileCredentials) -> Vec<(&'static str, String)> {
    let keys = &found.credentials;
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", keys.access_key_id().to_owned()),
        ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key().expose().to_owned()),
    ];
    if let Some(token) = keys.session_token() {
        vars.push(("AWS_SESSION_TOKEN", token.expose().to_owned()));
    }
    if let Some(expiration) = keys.expiration() {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", format_export(expiration)));
    }
    vars.push(("AWS_PROFILE", found.profile.clone()));
    if let Some(region) = &found.region {
        vars.push(("AWS_REGION", region.clone()));
        vars.push(("AWS_DEFAULT_REGION", region.clone()));
    }
    vars
}

/// The caller's variables the child must not see.
fn removed_variables(names: impl Iterator<Item = OsString>) -> Vec<OsString> {
    names
        .filter(|name| {
            name.to_str().is_some_and(|name| {
                CONFLICTING.contains(&name) || name.starts_with(HOOK_STATE_PREFIX)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use awsctx_core::cache::RoleCredentials;
    use awsctx_core::secret::Secret;
    use awsctx_login::provider::CredentialOrigin;

    use super::*;

    #[test]
    fn keys_without_token_or_region_leave_those_out() {
        let found = ProfileCredentials {
            credentials: RoleCredentials::new("AKIA1", Secret::new("s"), None, None).unwrap(),
            profile: "keys".into(),
            account_id: None,
            role_name: None,
            region: None,
            origin: CredentialOrigin::Static,
        };
        let names: Vec<&str> = child_variables(&found).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"]);
    }

    #[test]
    fn conflicting_and_hook_state_variables_are_removed() {
        let names = ["AWS_SECURITY_TOKEN", "AWS_REGION", "_AWSCTX_PROFILE", "HOME", "AWS_PROFILE"]
            .map(OsString::from);
        let removed = removed_variables(names.into_iter());
        assert_eq!(removed, ["AWS_SECURITY_TOKEN", "_AWSCTX_PROFILE", "AWS_PROFILE"]);
    }
}
