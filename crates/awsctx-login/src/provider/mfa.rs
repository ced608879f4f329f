//! Asking for an MFA code (`mfa_serial`): by default on the controlling terminal, `/dev/tty`,
//! as botocore's `getpass` does, so it works while stdout is captured (`eval "$(awsctx ...)"`,
//! `credential_process`). A caller can put its own prompt in
//! ([`super::CredentialProvider::with_mfa_prompt`]).

use std::fmt;
use std::io::{BufRead, BufReader, Write};

use awsctx_core::secret::Secret;

/// What an MFA prompt is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaPrompt<'p> {
    /// The role profile that has `mfa_serial`.
    pub profile: &'p str,
    /// The device: `mfa_serial`.
    pub mfa_serial: &'p str,
}

impl MfaPrompt<'_> {
    /// The question, as the AWS CLI asks it: `Enter MFA code for {mfa_serial}: ` (the
    /// config's value escaped, as it goes to a terminal).
    pub fn text(&self) -> String {
        format!("Enter MFA code for {}: ", awsctx_core::text::Untrusted(self.mfa_serial))
    }
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

impl fmt::Display for MfaPrompt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// Ask on `/dev/tty` and read one line. The code is a one-time value and echoes as typed
/// (aws-vault's and granted's prompts do the same).
pub fn ask_terminal(prompt: &MfaPrompt<'_>) -> Result<Secret, MfaError> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| MfaError::NoTerminal)?;
    let mut writer = &tty;
    writer.write_all(prompt.text().as_bytes()).map_err(MfaError::Terminal)?;
    writer.flush().map_err(MfaError::Terminal)?;
    let mut line = String::new();
    BufReader::new(&tty).read_line(&mut line).map_err(MfaError::Terminal)?;
    let code = line.trim();
    if code.is_empty() {
        return Err(MfaError::Empty);
    }
    Ok(Secret::new(code))
}
