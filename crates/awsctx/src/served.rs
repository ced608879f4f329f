//! The keys a credential server hands out (`awsctx serve`, `awsctx exec --server`): resolved
//! once in the foreground, then renewed by the credential provider for every request, never
//! with a browser or an MFA prompt.

use awsctx_core::cache::RoleCredentials;
use awsctx_core::text::escape;
use awsctx_login::container::Answer;
use awsctx_login::provider::{CredentialProvider, MfaError, ProfileCredentials};

use crate::context::Context;

/// The keys a credential server hands out, for one profile.
pub(crate) struct ServedKeys<'a> {
    provider: CredentialProvider<'a>,
    profile: String,
    /// The last failure said on stderr: the same one is not said again until keys come back.
    said: Option<String>,
}

impl<'a> ServedKeys<'a> {
    /// Resolve the profile's keys once, in the foreground: a login that is needed, long-term
    /// keys, or an MFA code to type are dealt with before anything is served.
    pub(crate) fn start(
        ctx: &'a Context,
        profile: &str,
    ) -> anyhow::Result<(Self, ProfileCredentials)> {
        let found = crate::credentials::resolve(ctx, profile)?;
        if !temporary(&found.credentials) {
            return Err(crate::ui::error(
                format!(
                    "profile `{profile}` has long-term keys; a credential server hands out temporary credentials only"
                ),
                format!(
                    "`awsctx exec {profile} -- CMD` gives these keys to a command directly; or use a role on them (`role_arn = ...` with `source_profile = {profile}`)"
                ),
            ));
        }
        // Later requests come while CMD owns the terminal: nobody is there to type a code.
        let provider =
            ctx.provider_for(profile, true)?.with_mfa_prompt(|_| Err(MfaError::NotAsked));
        Ok((Self { provider, profile: profile.to_owned(), said: None }, found))
    }

    /// The keys for one request, or the one-line reason there are none (also said on stderr,
    /// once per reason).
    pub(crate) fn answer(&mut self) -> Answer {
        let error = match self.provider.credentials(&self.profile) {
            Ok(found) if temporary(&found.credentials) => {
                self.said = None;
                return Ok(found.credentials);
            }
            Ok(_) => anyhow::anyhow!("profile `{}` now has long-term keys", self.profile),
            Err(error) => crate::hints::user_error(error),
        };
        let (message, hint) = crate::ui::message_and_hint(&error);
        // The message may quote a server's answer; the hint is awsctx's own words.
        let message = escape(&message);
        let line = match hint {
            Some(hint) => format!("cannot serve `{}`: {message} — {hint}", self.profile),
            None => format!("cannot serve `{}`: {message}", self.profile),
        };
        if self.said.as_ref() != Some(&line) {
            crate::ui::notice(&line);
            self.said = Some(line.clone());
        }
        Err(line)
    }
}

/// Keys the container protocol can carry: a session token and an expiry.
fn temporary(keys: &RoleCredentials) -> bool {
    keys.session_token().is_some() && keys.expiration().is_some()
}
