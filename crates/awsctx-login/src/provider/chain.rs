//! Role chaining (`docs/aws-protocol.md`): the `AssumeRole` links of a credential chain, each made
//! with the keys of the link before it, cached like the AWS CLI (`docs/file-formats.md`: key from
//! the call's arguments, the parsed STS answer as the entry, reused while 15 minutes remain).
//!
//! Resolution starts at the newest link with fresh keys in the cache: a cached top role needs
//! neither its source nor the network, as in the AWS CLI. Each missing link is fetched under
//! its own single-flight lock (one lock held at a time, so two chains sharing roles in a
//! different order cannot deadlock), and the cache is checked again once the lock is held.

use awsctx_core::arn;
use awsctx_core::cache::{AssumeRoleKeyArgs, CredentialKey, RoleCredentials};
use awsctx_core::config::{ChainLink, ProfileKind};
use awsctx_core::secret::Secret;
use jiff::Timestamp;

use super::{
    CredentialOrigin, CredentialProvider, KeySource, LockPurpose, MfaError, ProfileCredentials,
    ProviderError,
};
use crate::endpoint::Service;
use crate::error::Error;
use crate::http::run_blocking;
use crate::sts::{AssumeRoleRequest, Credentials, Sts};

/// The STS region when neither the selected profile nor the role's profile has a `region`
/// (the AWS CLI's default too).
pub const DEFAULT_STS_REGION: &str = "us-east-1";

/// One `AssumeRole` link, with its cache key.
#[derive(Debug, Clone)]
pub(super) struct RoleStep {
    pub(super) profile: String,
    pub(super) role_arn: String,
    /// The configured `role_session_name`; `None`: generated per call.
    pub(super) role_session_name: Option<String>,
    pub(super) external_id: Option<String>,
    pub(super) mfa_serial: Option<String>,
    pub(super) duration_seconds: Option<u32>,
    pub(super) key: CredentialKey,
}

impl RoleStep {
    /// The step of a [`ProfileKind::AssumeRole`] link; `None` for any other kind.
    pub(super) fn of(link: &ChainLink) -> Option<Self> {
        let ProfileKind::AssumeRole {
            role_arn,
            role_session_name,
            external_id,
            mfa_serial,
            duration_seconds,
            ..
        } = &link.kind
        else {
            return None;
        };
        let key = CredentialKey::assume_role(&AssumeRoleKeyArgs {
            role_arn: role_arn.clone(),
            role_session_name: role_session_name.clone(),
            external_id: external_id.clone(),
            serial_number: mfa_serial.clone(),
            duration_seconds: *duration_seconds,
        });
        Some(Self {
            profile: link.profile.clone(),
            role_arn: role_arn.clone(),
            role_session_name: role_session_name.clone(),
            external_id: external_id.clone(),
            mfa_serial: mfa_serial.clone(),
            duration_seconds: *duration_seconds,
            key,
        })
    }

    /// The keys of this role as the provider hands them out.
    pub(super) fn done(
        &self,
        credentials: RoleCredentials,
        origin: CredentialOrigin,
    ) -> ProfileCredentials {
        ProfileCredentials {
            account_id: credentials
                .account_id()
                .map(str::to_owned)
                .or_else(|| arn::account_of(&self.role_arn).map(str::to_owned)),
            credentials,
            profile: self.profile.clone(),
            role_name: arn::role_of(&self.role_arn).map(str::to_owned),
            region: None,
            origin,
        }
    }
}

/// The session name awsctx gives a role when the profile names none: `awsctx-<unix seconds>`
/// (botocore's is `botocore-session-<unix seconds>`; ours tells `CloudTrail` readers which tool
/// made the session). A generated name is not part of the cache key.
pub fn generated_session_name(now: Timestamp) -> String {
    format!("awsctx-{}", now.as_second())
}

impl CredentialProvider<'_> {
    /// The keys at the end of `base` followed by `roles`, for the selected profile `selected`.
    pub(super) fn resolve_chain(
        &self,
        selected: &str,
        base: &ChainLink,
        roles: &[ChainLink],
    ) -> Result<ProfileCredentials, ProviderError> {
        let steps = roles
            .iter()
            .map(|link| {
                RoleStep::of(link).ok_or_else(|| ProviderError::Unsupported {
                    profile: link.profile.clone(),
                    what: format!("a `{}` profile inside a role chain", link.kind.label()),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut start = 0;
        let mut resolved = None;
        for (index, step) in steps.iter().enumerate().rev() {
            if let Some(cached) = self.fresh_cached(&step.key)? {
                resolved = Some(step.done(cached, CredentialOrigin::Cache));
                start = index + 1;
                break;
            }
        }
        if !self.settings.allow_network && start < steps.len() {
            // A role must be assumed, which takes the network. An SSO base still says
            // whether a login is what is missing (its cache check needs no network).
            let sso_base =
                matches!(base.kind, ProfileKind::Sso { .. } | ProfileKind::LegacySso { .. });
            if resolved.is_none()
                && sso_base
                && let Err(error @ ProviderError::LoginRequired { .. }) =
                    self.base_credentials(selected, base)
            {
                return Err(error);
            }
            return Err(ProviderError::NotCached { profile: selected.to_owned() });
        }
        let mut resolved = match resolved {
            Some(resolved) => resolved,
            None => self.base_credentials(selected, base)?,
        };
        for step in &steps[start..] {
            resolved = self.assume_role(selected, step, &resolved)?;
        }
        Ok(resolved)
    }

    /// One `AssumeRole` call made with `source`, under the role's lock; the cache is checked
    /// again once the lock is held.
    fn assume_role(
        &self,
        selected: &str,
        step: &RoleStep,
        source: &ProfileCredentials,
    ) -> Result<ProfileCredentials, ProviderError> {
        let _lock = self.lock(
            &super::role_lock_name("assume-role", &step.key),
            &LockPurpose::AssumeRole { profile: step.profile.clone() },
        )?;
        if let Some(cached) = self.fresh_cached(&step.key)? {
            return Ok(step.done(cached, CredentialOrigin::Cache));
        }
        let token_code = match &step.mfa_serial {
            Some(serial) => Some(self.mfa_code(&step.profile, serial)?),
            None => None,
        };
        let region = self
            .region_of(selected)
            .or_else(|| self.region_of(&step.profile))
            .unwrap_or_else(|| DEFAULT_STS_REGION.to_owned());
        let sts =
            Sts::new(&self.http()?, self.endpoint(Service::Sts, &region, Some(selected))?, &region);
        let request = AssumeRoleRequest {
            role_arn: step.role_arn.clone(),
            role_session_name: step
                .role_session_name
                .clone()
                .unwrap_or_else(|| generated_session_name(Timestamp::now())),
            external_id: step.external_id.clone(),
            serial_number: step.mfa_serial.clone(),
            token_code,
            duration_seconds: step.duration_seconds,
        };
        let source_keys = Credentials {
            access_key_id: source.credentials.access_key_id().to_owned(),
            secret_access_key: source.credentials.secret_access_key().clone(),
            session_token: source.credentials.session_token().cloned(),
            expiration: source.credentials.expiration(),
        };
        // A refusal names the profile and role; a network failure stays a network failure
        // (callers retry those later, and keep using keys that still work meanwhile).
        let assumed =
            run_blocking(sts.assume_role(&source_keys, &request))?.map_err(
                |error| match error {
                    Error::Service(_) => ProviderError::AssumeRole {
                        profile: step.profile.clone(),
                        role_arn: step.role_arn.clone(),
                        source: Box::new(error),
                    },
                    other => ProviderError::Network(other),
                },
            )?;
        let credentials = RoleCredentials::new(
            assumed.credentials.access_key_id.clone(),
            assumed.credentials.secret_access_key.clone(),
            Some(assumed.credentials.session_token.clone()),
            Some(assumed.credentials.expiration),
        )
        .map_err(|reason| ProviderError::InvalidCredentials {
            profile: step.profile.clone(),
            from: KeySource::Service(sts.endpoint().call("AssumeRole")),
            reason,
        })?
        .with_account_id(assumed.account_id().map(str::to_owned));
        self.credentials.store_assume_role(
            &step.key,
            &credentials,
            &assumed.assumed_role_user_arn,
            &assumed.assumed_role_id,
            assumed.request_id.as_deref().unwrap_or_default(),
        )?;
        Ok(step.done(credentials, CredentialOrigin::Sts))
    }

    /// The code of MFA device `serial`, from the caller's prompt (none: not asked).
    fn mfa_code(&self, profile: &str, serial: &str) -> Result<Secret, ProviderError> {
        let prompt = super::MfaPrompt { profile, mfa_serial: serial };
        let answer = match &self.mfa_prompt {
            Some(ask) => ask(&prompt),
            None => Err(MfaError::NotAsked),
        };
        answer.map_err(|reason| ProviderError::MfaUnavailable {
            profile: profile.to_owned(),
            mfa_serial: serial.to_owned(),
            reason,
        })
    }

    /// The keys of `credential_source = Environment`: `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` (or the older `AWS_SECURITY_TOKEN`).
    pub(super) fn environment_credentials(
        &self,
        profile: &str,
    ) -> Result<RoleCredentials, ProviderError> {
        let (Some(access_key_id), Some(secret)) =
            (self.env.get("AWS_ACCESS_KEY_ID"), self.env.get("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(ProviderError::NoEnvironmentCredentials { profile: profile.to_owned() });
        };
        let token =
            self.env.get("AWS_SESSION_TOKEN").or_else(|| self.env.get("AWS_SECURITY_TOKEN"));
        let expiration =
            self.env.get("AWS_CREDENTIAL_EXPIRATION").and_then(awsctx_core::time::parse_lenient);
        RoleCredentials::new(access_key_id, Secret::new(secret), token.map(Secret::new), expiration)
            .map(|keys| keys.with_account_id(self.env.get("AWS_ACCOUNT_ID").map(str::to_owned)))
            .map_err(|reason| ProviderError::InvalidCredentials {
                profile: profile.to_owned(),
                from: KeySource::Environment,
                reason,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_session_names_are_valid_for_sts() {
        let name = generated_session_name(Timestamp::from_second(1_700_000_000).unwrap());
        assert_eq!(name, "awsctx-1700000000");
        assert!((2..=64).contains(&name.len()));
    }
}
