//! Asking for an MFA code (`mfa_serial`): the caller gives the prompt
//! ([`super::CredentialProvider::with_mfa_prompt`]; the binary asks on the terminal); without
//! one, no code is asked for ([`MfaError::NotAsked`]).

/// What an MFA prompt is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaPrompt<'p> {
    /// The role profile that has `mfa_serial`.
    pub profile: &'p str,
    /// The device: `mfa_serial`.
    pub mfa_serial: &'p str,
}

/// Why no MFA code could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MfaError {
    /// No controlling terminal (a CI job, a daemon, an SDK's `credential_process` without one).
    #[error("there is no terminal to ask for it on")]
    NoTerminal,
    /// The caller must not wait on the keyboard (the shell hook at a prompt).
    #[error("this command does not stop to ask for one")]
    NotAsked,
    #[error("reading it from the terminal failed: {0}")]
    Terminal(std::io::Error),
    #[error("no code was entered")]
    Empty,
}
