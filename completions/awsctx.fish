# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_awsctx_global_optspecs
    string join \n u/unset c/current r/region= h/help V/version
end

function __fish_awsctx_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_awsctx_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_awsctx_using_subcommand
    set -l cmd (__fish_awsctx_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c awsctx -n "__fish_awsctx_needs_command" -s r -l region -d 'Use the profile in REGION (`AWS_REGION`, `AWS_DEFAULT_REGION`); without a profile, change only the region of the current one' -r
complete -c awsctx -n "__fish_awsctx_needs_command" -s u -l unset -d 'Clear everything awsctx exported and restore what the shell had before'
complete -c awsctx -n "__fish_awsctx_needs_command" -s c -l current -d 'Print this shell\'s current profile'
complete -c awsctx -n "__fish_awsctx_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsctx -n "__fish_awsctx_needs_command" -s V -l version -d 'Print version'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "use" -d 'Switch this shell to PROFILE (same as `awsctx PROFILE`)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "login" -d 'Log in to an SSO session (browser with PKCE; device code on remote hosts or on request)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "logout" -d 'Log out of an SSO session and remove its tokens and role credentials'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "list" -d 'List profiles: kind, account, role, region and login state'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "ls" -d 'List profiles: kind, account, role, region and login state'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "status" -d 'Show what this shell has: profile, account, role, region, time left, and why'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "export" -d 'Print a profile\'s credentials (same formats as `aws configure export-credentials`)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "credential-process" -d 'Credentials for `credential_process = awsctx credential-process --profile P`'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "exec" -d 'Run a command with a profile\'s credentials in its environment'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "serve" -d 'Serve a profile\'s credentials to containers (the AWS container credential protocol)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "console" -d 'Open the AWS console as a profile (an IAM Identity Center shortcut for SSO profiles)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "configure" -d 'Set up SSO: write an `[sso-session]` and a `[profile]` to `~/.aws/config`'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "populate" -d 'Write one profile per account and role an SSO session can reach'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "pin" -d 'Bind this directory (and below) to a profile'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "unpin" -d 'Remove this directory\'s pin'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "allow" -d 'Trust the `.aws-profile` file of DIR (default: the nearest one above here)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "deny" -d 'Refuse the `.aws-profile` file of DIR'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "hook" -d 'Print the shell hook: `eval "$(awsctx hook bash)"`, `awsctx hook fish | source`, `awsctx hook nu | save -f FILE` (then `source FILE` in config.nu)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "completions" -d 'Print a static completion script (for packagers; the hook already completes)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "doctor" -d 'Check the set-up: hook, config, tokens, clock, file modes, endpoints'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "hook-env" -d 'What the hook runs on a directory change or near expiry (prints shell code)'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "hook-refresh" -d 'What the hook leaves running when a refresh outlasts a prompt\'s second: fetch the keys into the cache, and record how it went'
complete -c awsctx -n "__fish_awsctx_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsctx -n "__fish_awsctx_using_subcommand use" -s r -l region -d 'Use the profile in REGION' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand use" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand login" -l sso-session -d 'The `[sso-session]` to log in to' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand login" -l profile -d 'Log in to the SSO session this profile uses (default: the current profile)' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand login" -l use-device-code -d 'Use the device-code flow (for a browser on another device)'
complete -c awsctx -n "__fish_awsctx_using_subcommand login" -l use-pkce -d 'Use the browser flow (PKCE) even where awsctx would choose the device code (over SSH, in a container, without a display)'
complete -c awsctx -n "__fish_awsctx_using_subcommand login" -l no-browser -d 'Print the URL instead of opening a browser'
complete -c awsctx -n "__fish_awsctx_using_subcommand login" -l force -d 'Log in anew even while the session\'s login has hours left'
complete -c awsctx -n "__fish_awsctx_using_subcommand login" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand logout" -l sso-session -d 'The `[sso-session]` to log out of (default: the current profile\'s)' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand logout" -l all -d 'Log out of every SSO session'
complete -c awsctx -n "__fish_awsctx_using_subcommand logout" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand list" -l json -d 'Print JSON: one array, one object per profile'
complete -c awsctx -n "__fish_awsctx_using_subcommand list" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand ls" -l json -d 'Print JSON: one array, one object per profile'
complete -c awsctx -n "__fish_awsctx_using_subcommand ls" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand status" -l json -d 'Print JSON'
complete -c awsctx -n "__fish_awsctx_using_subcommand status" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand export" -l format -r -f -a "process\t'JSON for `credential_process` (the AWS CLI\'s default)'
env\t'`export NAME=value` lines'
env-no-export\t'`NAME=value` lines'
fish\t'`set -gx NAME "value"` lines'
powershell\t'`$Env:NAME="value"` lines'
windows-cmd\t'`set NAME=value` lines'
json\t'JSON with the account and region as well'"
complete -c awsctx -n "__fish_awsctx_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsctx -n "__fish_awsctx_using_subcommand credential-process" -l profile -r
complete -c awsctx -n "__fish_awsctx_using_subcommand credential-process" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand exec" -l server -d 'Give CMD a credential server on loopback instead of keys: fresh keys for as long as it runs (`AWS_CONTAINER_CREDENTIALS_FULL_URI`)'
complete -c awsctx -n "__fish_awsctx_using_subcommand exec" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand serve" -l port -d 'The port to listen on (default: any free one)' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand serve" -l bind -d 'The address to listen on; anything but loopback lets others reach the server' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand serve" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand console" -l service -d 'Open this service\'s console (e.g. `s3`, `ec2`)' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand console" -l region -d 'Open the console in this region' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand console" -l print -d 'Print the URL instead of opening it'
complete -c awsctx -n "__fish_awsctx_using_subcommand console" -l federate -d 'Sign in through federation with the profile\'s keys, also for SSO profiles (role chains and other profiles always do)'
complete -c awsctx -n "__fish_awsctx_using_subcommand console" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and not __fish_seen_subcommand_from sso help" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and not __fish_seen_subcommand_from sso help" -f -a "sso" -d 'The SSO wizard; every prompt is also a flag'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and not __fish_seen_subcommand_from sso help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l start-url -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l sso-region -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l sso-session -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l scopes -d 'Comma-separated registration scopes' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l account-id -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l role-name -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l region -d 'The profile\'s default region' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l output -d 'The profile\'s default output format' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l profile -d 'The profile name to write' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l use-device-code -d 'Use the device-code flow if a login is needed'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l use-pkce -d 'Use the browser flow (PKCE) if a login is needed, even on a remote host'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l no-browser -d 'Print the URL instead of opening a browser if a login is needed'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -l non-interactive -d 'Never prompt: fail when a value is missing'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from sso" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from help" -f -a "sso" -d 'The SSO wizard; every prompt is also a flag'
complete -c awsctx -n "__fish_awsctx_using_subcommand configure; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsctx -n "__fish_awsctx_using_subcommand populate" -l sso-session -d 'The `[sso-session]` whose access to write (default: the only one in the config)' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand populate" -l template -d 'Profile-name template: `{account_name}`, `{account_id}`, `{role_name}`, `{session}`' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand populate" -l prefix -d 'Prefix for every generated name' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand populate" -l region -d '`region` for every generated profile' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand populate" -l prune -d 'Remove generated profiles for access that is gone'
complete -c awsctx -n "__fish_awsctx_using_subcommand populate" -l dry-run -d 'Show the diff; change nothing'
complete -c awsctx -n "__fish_awsctx_using_subcommand populate" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand pin" -s r -l region -d 'Use the profile in REGION here' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand pin" -l account -d 'Refuse the pin unless its profile is in account ID (implied when pinning by account id or ARN)' -r
complete -c awsctx -n "__fish_awsctx_using_subcommand pin" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand unpin" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand allow" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand deny" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsctx -n "__fish_awsctx_using_subcommand completions" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand hook-env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsctx -n "__fish_awsctx_using_subcommand hook-refresh" -s h -l help -d 'Print help'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "use" -d 'Switch this shell to PROFILE (same as `awsctx PROFILE`)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "login" -d 'Log in to an SSO session (browser with PKCE; device code on remote hosts or on request)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "logout" -d 'Log out of an SSO session and remove its tokens and role credentials'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "list" -d 'List profiles: kind, account, role, region and login state'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "status" -d 'Show what this shell has: profile, account, role, region, time left, and why'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "export" -d 'Print a profile\'s credentials (same formats as `aws configure export-credentials`)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "credential-process" -d 'Credentials for `credential_process = awsctx credential-process --profile P`'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "exec" -d 'Run a command with a profile\'s credentials in its environment'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "serve" -d 'Serve a profile\'s credentials to containers (the AWS container credential protocol)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "console" -d 'Open the AWS console as a profile (an IAM Identity Center shortcut for SSO profiles)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "configure" -d 'Set up SSO: write an `[sso-session]` and a `[profile]` to `~/.aws/config`'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "populate" -d 'Write one profile per account and role an SSO session can reach'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "pin" -d 'Bind this directory (and below) to a profile'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "unpin" -d 'Remove this directory\'s pin'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "allow" -d 'Trust the `.aws-profile` file of DIR (default: the nearest one above here)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "deny" -d 'Refuse the `.aws-profile` file of DIR'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "hook" -d 'Print the shell hook: `eval "$(awsctx hook bash)"`, `awsctx hook fish | source`, `awsctx hook nu | save -f FILE` (then `source FILE` in config.nu)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "completions" -d 'Print a static completion script (for packagers; the hook already completes)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "doctor" -d 'Check the set-up: hook, config, tokens, clock, file modes, endpoints'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "hook-env" -d 'What the hook runs on a directory change or near expiry (prints shell code)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "hook-refresh" -d 'What the hook leaves running when a refresh outlasts a prompt\'s second: fetch the keys into the cache, and record how it went'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and not __fish_seen_subcommand_from use login logout list status export credential-process exec serve console configure populate pin unpin allow deny hook completions doctor hook-env hook-refresh help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsctx -n "__fish_awsctx_using_subcommand help; and __fish_seen_subcommand_from configure" -f -a "sso" -d 'The SSO wizard; every prompt is also a flag'
