//! The command line: every command, flag and help text of awsctx in one place.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use crate::complete::profile_candidates;

/// Log in to AWS IAM Identity Center once; switch AWS profiles per shell and per directory.
///
/// With the hook installed (`eval "$(awsctx hook bash)"`), `awsctx PROFILE` switches this shell,
/// `awsctx -` switches back, and bare `awsctx` opens a picker.
#[derive(Debug, Parser)]
#[command(
    name = "awsctx",
    version,
    args_conflicts_with_subcommands = true,
    max_term_width = 100,
    after_help = "Docs: `awsctx hook --help` for the shell set-up; https://github.com/awsctx/awsctx"
)]
pub(crate) struct Cli {
    /// Switch this shell to PROFILE; `-` switches back to the previous one
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: Option<String>,

    /// Clear everything awsctx exported and restore what the shell had before
    #[arg(short = 'u', long = "unset", conflicts_with_all = ["profile", "current"])]
    pub(crate) unset: bool,

    /// Print this shell's current profile
    #[arg(short = 'c', long = "current", conflicts_with = "profile")]
    pub(crate) current: bool,

    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Switch this shell to PROFILE (same as `awsctx PROFILE`)
    Use(UseArgs),
    /// Log in to an SSO session (browser with PKCE by default; device code on request)
    Login(LoginArgs),
    /// Log out of an SSO session and remove its tokens and role credentials
    Logout(LogoutArgs),
    /// List profiles: kind, account, role, region and login state
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show what this shell has: profile, account, role, region, time left, and why
    Status(StatusArgs),
    /// Print a profile's credentials (same formats as `aws configure export-credentials`)
    Export(ExportArgs),
    /// Credentials for `credential_process = awsctx credential-process --profile P`
    CredentialProcess(CredentialProcessArgs),
    /// Run a command with a profile's credentials in its environment
    Exec(ExecArgs),
    /// Open the AWS console signed in as a profile
    Console(ConsoleArgs),
    /// Set up SSO: write an `[sso-session]` and a `[profile]` to `~/.aws/config`
    #[command(subcommand)]
    Configure(ConfigureCommand),
    /// Write one profile per account and role an SSO session can reach
    Populate(PopulateArgs),
    /// Bind this directory (and below) to a profile
    Pin(PinArgs),
    /// Remove this directory's pin
    Unpin,
    /// Trust the `.aws-profile` file of DIR (default: the nearest one above here)
    Allow(TrustArgs),
    /// Refuse the `.aws-profile` file of DIR
    Deny(TrustArgs),
    /// Print the shell hook: `eval "$(awsctx hook bash)"`, `awsctx hook fish | source`
    Hook(ShellArgs),
    /// Print a static completion script (for packagers; the hook already completes)
    Completions(ShellArgs),
    /// Check the set-up: hook, config, tokens, clock, file modes, endpoints
    Doctor,
    /// What the hook runs on a directory change or near expiry (prints shell code)
    #[command(hide = true)]
    HookEnv(ShellArgs),
}

#[derive(Debug, Args)]
pub(crate) struct UseArgs {
    /// The profile to switch to; `-` switches back
    #[arg(add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: String,
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The `[sso-session]` to log in to
    #[arg(long, conflicts_with = "profile")]
    pub(crate) sso_session: Option<String>,
    /// Log in to the SSO session this profile uses (default: the current profile)
    #[arg(long, add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: Option<String>,
    /// Use the device-code flow (for a browser on another device)
    #[arg(long)]
    pub(crate) use_device_code: bool,
    /// Print the URL instead of opening a browser
    #[arg(long)]
    pub(crate) no_browser: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// The `[sso-session]` to log out of (default: the current profile's)
    #[arg(long, conflicts_with = "all")]
    pub(crate) sso_session: Option<String>,
    /// Log out of every SSO session
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Print JSON: one array, one object per profile
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Print JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// JSON for `credential_process` (the AWS CLI's default)
    Process,
    /// `export NAME=value` lines
    Env,
    /// `NAME=value` lines
    EnvNoExport,
    /// `set -gx NAME "value"` lines
    Fish,
    /// `$Env:NAME="value"` lines
    Powershell,
    /// `set NAME=value` lines
    WindowsCmd,
    /// JSON with the account and region as well
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The profile (default: the current one)
    #[arg(add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Process)]
    pub(crate) format: ExportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct CredentialProcessArgs {
    #[arg(long, add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: String,
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    #[arg(add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: String,
    /// The command and its arguments (after `--`)
    #[arg(last = true, required = true, value_name = "CMD")]
    pub(crate) command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub(crate) struct ConsoleArgs {
    /// The profile (default: the current one)
    #[arg(add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: Option<String>,
    /// Print the sign-in URL instead of opening it
    #[arg(long)]
    pub(crate) print: bool,
    /// Open this service's console (e.g. `s3`, `ec2`)
    #[arg(long)]
    pub(crate) service: Option<String>,
    /// Open the console in this region
    #[arg(long)]
    pub(crate) region: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigureCommand {
    /// The SSO wizard; every prompt is also a flag
    Sso(ConfigureSsoArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ConfigureSsoArgs {
    #[arg(long)]
    pub(crate) start_url: Option<String>,
    #[arg(long)]
    pub(crate) sso_region: Option<String>,
    #[arg(long)]
    pub(crate) sso_session: Option<String>,
    /// Comma-separated registration scopes
    #[arg(long)]
    pub(crate) scopes: Option<String>,
    #[arg(long)]
    pub(crate) account_id: Option<String>,
    #[arg(long)]
    pub(crate) role_name: Option<String>,
    /// The profile's default region
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// The profile's default output format
    #[arg(long)]
    pub(crate) output: Option<String>,
    /// The profile name to write
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// Use the device-code flow if a login is needed
    #[arg(long)]
    pub(crate) use_device_code: bool,
    /// Print the URL instead of opening a browser if a login is needed
    #[arg(long)]
    pub(crate) no_browser: bool,
    /// Never prompt: fail when a value is missing
    #[arg(long)]
    pub(crate) non_interactive: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PopulateArgs {
    /// The `[sso-session]` whose access to write (default: the only one in the config)
    #[arg(long)]
    pub(crate) sso_session: Option<String>,
    /// Profile-name template: `{account_name}`, `{account_id}`, `{role_name}`, `{session}`
    #[arg(long, default_value = "{account_name}-{role_name}")]
    pub(crate) template: String,
    /// Prefix for every generated name
    #[arg(long, default_value = "")]
    pub(crate) prefix: String,
    /// `region` for every generated profile
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Remove generated profiles for access that is gone
    #[arg(long)]
    pub(crate) prune: bool,
    /// Show the diff; change nothing
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PinArgs {
    /// The profile (default: this shell's current one)
    #[arg(add = ArgValueCompleter::new(profile_candidates))]
    pub(crate) profile: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    pub(crate) dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShellName {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub(crate) struct ShellArgs {
    #[arg(value_enum)]
    pub(crate) shell: ShellName,
}
