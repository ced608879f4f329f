//! The command line: every command, flag and help text of awsctx in one place.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter};

use crate::complete::{profile_candidates, profile_or_account};

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
    /// Switch this shell to PROFILE (or an account id, an ARN, an account name); `-` switches
    /// back to the previous one
    // Profile names are no file names: `ValueHint::Other` keeps the static scripts from offering
    // files for them (the hook's dynamic completion offers the names).
    #[arg(value_name = "PROFILE", value_hint = ValueHint::Other, add = ArgValueCompleter::new(profile_or_account))]
    pub(crate) profile: Option<String>,

    /// Clear everything awsctx exported and restore what the shell had before
    #[arg(short = 'u', long = "unset", conflicts_with_all = ["profile", "current"])]
    pub(crate) unset: bool,

    /// Print this shell's current profile
    #[arg(short = 'c', long = "current", conflicts_with = "profile")]
    pub(crate) current: bool,

    /// Use the profile in REGION (`AWS_REGION`, `AWS_DEFAULT_REGION`); without a profile,
    /// change only the region of the current one
    #[arg(
        short = 'r',
        long = "region",
        value_name = "REGION",
        value_parser = parse_region,
        conflicts_with_all = ["unset", "current"]
    )]
    pub(crate) region: Option<String>,

    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Switch this shell to PROFILE (same as `awsctx PROFILE`)
    Use(UseArgs),
    /// Log in to an SSO session (browser with PKCE; device code on remote hosts or on request)
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
    /// Serve a profile's credentials to containers (the AWS container credential protocol)
    Serve(ServeArgs),
    /// Open the AWS console as a profile (an IAM Identity Center shortcut for SSO profiles)
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
    /// Print the shell hook: `eval "$(awsctx hook bash)"`, `awsctx hook fish | source`, `awsctx
    /// hook nu | save -f FILE` (then `source FILE` in config.nu)
    #[command(after_help = HOOK_SET_UP)]
    Hook(ShellArgs),
    /// Print a completion script for packagers (the hook already completes)
    Completions(CompletionArgs),
    /// Check the set-up: hook, config, tokens, clock, file modes, endpoints
    Doctor,
    /// What the hook runs on a directory change or near expiry (prints shell code)
    #[command(hide = true)]
    HookEnv(ShellArgs),
    /// What the hook leaves running when a refresh outlasts a prompt's second: fetch the keys
    /// into the cache, and record how it went
    #[command(hide = true)]
    HookRefresh(HookRefreshArgs),
}

/// Where each shell's hook line goes (`awsctx hook --help`).
const HOOK_SET_UP: &str = "\
Add one line to your shell's start-up file, then open a new shell:
  bash  ~/.bashrc                      eval \"$(awsctx hook bash)\"
  zsh   ~/.zshrc (after `compinit`)    eval \"$(awsctx hook zsh)\"
  fish  ~/.config/fish/config.fish     awsctx hook fish | source
  nu    env.nu                         awsctx hook nu | save -f ~/.awsctx.nu
        config.nu (`$nu.config-path`)  source ~/.awsctx.nu
`awsctx doctor` checks the set-up in the shell it runs in.";

#[derive(Debug, Args)]
pub(crate) struct HookRefreshArgs {
    pub(crate) profile: String,
}

#[derive(Debug, Args)]
pub(crate) struct UseArgs {
    /// The profile to switch to (or an account id, an ARN, an account name); `-` switches back
    #[arg(value_hint = ValueHint::Other, add = ArgValueCompleter::new(profile_or_account))]
    pub(crate) profile: String,
    /// Use the profile in REGION
    #[arg(short = 'r', long, value_name = "REGION", value_parser = parse_region)]
    pub(crate) region: Option<String>,
}

/// A region name, as AWS spells them (`eu-central-1`).
fn parse_region(text: &str) -> Result<String, String> {
    if awsctx_core::binding::is_region(text) {
        Ok(text.to_owned())
    } else {
        Err("not a region name (e.g. `eu-central-1`)".to_owned())
    }
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // each is a flag of its own on the command line
pub(crate) struct LoginArgs {
    /// The `[sso-session]` to log in to
    #[arg(long, conflicts_with = "profile")]
    pub(crate) sso_session: Option<String>,
    /// Log in to the SSO session this profile uses (default: the current profile)
    #[arg(long, value_hint = ValueHint::Other, add = ArgValueCandidates::new(profile_candidates))]
    pub(crate) profile: Option<String>,
    /// Use the device-code flow (for a browser on another device)
    #[arg(long)]
    pub(crate) use_device_code: bool,
    /// Use the browser flow (PKCE) even where awsctx would choose the device code (over SSH,
    /// in a container, without a display)
    #[arg(long, conflicts_with = "use_device_code")]
    pub(crate) use_pkce: bool,
    /// Print the URL instead of opening a browser
    #[arg(long)]
    pub(crate) no_browser: bool,
    /// Log in anew even while the session's login has hours left
    #[arg(long)]
    pub(crate) force: bool,
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
    /// Only profiles whose name, account id, account name or role contain every word
    #[arg(value_name = "FILTER")]
    pub(crate) filter: Vec<String>,
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
    #[arg(value_hint = ValueHint::Other, add = ArgValueCompleter::new(profile_or_account))]
    pub(crate) profile: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Process)]
    pub(crate) format: ExportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct CredentialProcessArgs {
    #[arg(long, value_hint = ValueHint::Other, add = ArgValueCandidates::new(profile_candidates))]
    pub(crate) profile: String,
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    #[arg(value_hint = ValueHint::Other, add = ArgValueCompleter::new(profile_or_account))]
    pub(crate) profile: String,
    /// Give CMD a credential server on loopback instead of keys: fresh keys for as long as
    /// it runs (`AWS_CONTAINER_CREDENTIALS_FULL_URI`)
    #[arg(long)]
    pub(crate) server: bool,
    /// The command and its arguments (`--` before it is optional: everything from CMD on is
    /// its own)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "CMD"
    )]
    pub(crate) command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[arg(value_hint = ValueHint::Other, add = ArgValueCompleter::new(profile_or_account))]
    pub(crate) profile: String,
    /// The port to listen on (default: any free one)
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
    /// The address to listen on; anything but loopback lets others reach the server
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub(crate) bind: IpAddr,
}

#[derive(Debug, Args)]
pub(crate) struct ConsoleArgs {
    /// The profile (default: the current one)
    #[arg(value_hint = ValueHint::Other, add = ArgValueCompleter::new(profile_or_account))]
    pub(crate) profile: Option<String>,
    /// Print the URL instead of opening it
    #[arg(long)]
    pub(crate) print: bool,
    /// Sign in through federation with the profile's keys, also for SSO profiles (role chains
    /// and other profiles always do)
    #[arg(long)]
    pub(crate) federate: bool,
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
#[allow(clippy::struct_excessive_bools)] // each is a flag of its own on the command line
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
    #[arg(long, value_hint = ValueHint::Other)]
    pub(crate) profile: Option<String>,
    /// Use the device-code flow if a login is needed
    #[arg(long)]
    pub(crate) use_device_code: bool,
    /// Use the browser flow (PKCE) if a login is needed, even on a remote host
    #[arg(long, conflicts_with = "use_device_code")]
    pub(crate) use_pkce: bool,
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
    #[arg(long, default_value = crate::generated::DEFAULT_TEMPLATE)]
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
    #[arg(value_hint = ValueHint::Other, add = ArgValueCompleter::new(profile_or_account))]
    pub(crate) profile: Option<String>,
    /// Use the profile in REGION here
    #[arg(short = 'r', long, value_name = "REGION", value_parser = parse_region)]
    pub(crate) region: Option<String>,
    /// Refuse the pin unless its profile is in account ID (implied when pinning by account
    /// id or ARN)
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub(crate) account: Option<String>,
}

/// An account id: twelve digits.
fn parse_account(text: &str) -> Result<String, String> {
    if awsctx_core::lookup::is_account_id(text) {
        Ok(text.to_owned())
    } else {
        Err("an account id is twelve digits".to_owned())
    }
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
    /// Nushell
    Nu,
}

/// The shells with packaged completion scripts (Nushell's hook completes by itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionArgs {
    #[arg(value_enum)]
    pub(crate) shell: CompletionShell,
}

#[derive(Debug, Args)]
pub(crate) struct ShellArgs {
    #[arg(value_enum)]
    pub(crate) shell: ShellName,
}
