# awsctx hook for fish, printed by `awsctx hook fish`; load it with
#   awsctx hook fish | source
#
# Defines the `awsctx` function (commands that switch this shell have their output evaluated),
# a `PWD` variable handler (directory changes) and `fish_prompt` / `fish_preexec` handlers
# (refresh).
#
# fish has no builtin clock, so expiry is signalled instead of polled: when keys are exported,
# `awsctx hook-env` starts one sleeping timer process (replacing the previous one) that sends
# SIGUSR1 to this shell when they are due for a refresh; the handler only sets a flag. Cost per
# prompt or command when nothing changed: one variable test, no process. A directory change
# runs `awsctx hook-env` (one process) only when a pin or a `.aws-profile` is above the new
# directory or a binding is in effect now.
#
# State lives in exported `_AWSCTX_*` variables, written only by the binary's output (and
# `_AWSCTX_PWD` below, when a directory change needs no process).

set -g _AWSCTX_BIN __AWSCTX_BIN__

function awsctx --description 'switch AWS profiles; see awsctx --help'
    switch "$argv[1]"
        case login
            command $_AWSCTX_BIN $argv; or return
            # Pick up the new session at the next prompt.
            if set -q _AWSCTX_PROFILE
                set -gx _AWSCTX_DUE 0
                set -g _awsctx_due 1
            end
            return 0
        case logout list ls status export credential-process exec console configure populate hook completions doctor help hook-env -c --current -h --help -V --version
            command $_AWSCTX_BIN $argv
        case '*'
            # Help and version text is for reading, not for eval; so is a bare list into a pipe.
            if contains -- -h $argv; or contains -- --help $argv; or contains -- -V $argv; or contains -- --version $argv
                command $_AWSCTX_BIN $argv
                return
            end
            if test (count $argv) -eq 0; and not test -t 1
                command $_AWSCTX_BIN
                return
            end
            set -l out (_AWSCTX_SHELL=fish command $_AWSCTX_BIN $argv | string collect)
            set -l rc $pipestatus[1]
            eval $out
            return $rc
    end
end

# Is there a pin or a `.aws-profile` at or above $PWD? Builtins only. `_AWSCTX_PINS` holds one
# directory per line, so a directory whose name holds a newline cannot be looked up in it:
# there, ask the binary.
function _awsctx_maybe_bound
    string match -q -- "*"\n"*" $PWD; and return 0
    set -l dir $PWD
    set -l pins (string split \n -- "$_AWSCTX_PINS")
    while true
        test -e "$dir/.aws-profile"; and return 0
        contains -- $dir $pins; and return 0
        test -z "$dir" -o "$dir" = /; and return 1
        set dir (string replace -r '/[^/]*$' '' -- $dir)
        test -z "$dir"; and set dir /
    end
end

function _awsctx_env
    command $_AWSCTX_BIN hook-env fish | source
end

function _awsctx_on_pwd --on-variable PWD
    test "$_AWSCTX_PWD" = "$PWD"; and return
    if not set -q _AWSCTX_PINS; or test -n "$_AWSCTX_BOUND"; or _awsctx_maybe_bound
        _awsctx_env
    else
        set -gx _AWSCTX_PWD $PWD
    end
end

function _awsctx_on_timer --on-signal USR1
    set -g _awsctx_due 1
end

function _awsctx_refresh
    if set -q _awsctx_due
        set -e _awsctx_due
        _awsctx_env
    end
end

function _awsctx_on_prompt --on-event fish_prompt
    if test "$_AWSCTX_PWD" != "$PWD"
        _awsctx_on_pwd
    else
        _awsctx_refresh
    end
end

# A timer that fired while the shell sat at its prompt: refresh before the command runs.
function _awsctx_on_preexec --on-event fish_preexec
    _awsctx_refresh
end

function _awsctx_on_exit --on-event fish_exit
    set -q _awsctx_timer; and command kill $_awsctx_timer 2>/dev/null
end

# A prompt segment, `profile (region) 42m`, red for production, from variables only: no
# process (builtins, and a command substitution of builtins runs in this shell). In
# `fish_prompt` or `fish_right_prompt`: `awsctx_prompt`.
function awsctx_prompt --description 'the AWS profile, region and time left, for a prompt'
    set -l p $AWS_PROFILE
    test -n "$p"; or set p $_AWSCTX_PROFILE
    test -n "$p"; or return 0
    set -l s $p
    set -l r $AWS_REGION
    test -n "$r"; or set r $AWS_DEFAULT_REGION
    test -n "$r"; and set s "$s ($r)"
    # Time left and colour only for the profile awsctx set (not one exported by hand since).
    if test "$p" != "$_AWSCTX_PROFILE"
        printf '%s' $s
        return 0
    end
    # fish has no clock builtin, but `path mtime --relative` (fish 3.5) counts from now.
    if string match -qr '^[0-9]+$' -- "$_AWSCTX_EXPIRES"; and builtin -q path
        set -l now (math (path mtime /) + (path mtime --relative /))
        set -l left (math "$_AWSCTX_EXPIRES - $now")
        if test $left -le 0
            set s "$s expired"
        else if test $left -ge 3600
            set s "$s "(math "floor($left / 3600)")h(math "floor($left % 3600 / 60)")m
        else
            set s "$s "(math "floor($left / 60)")m
        end
    end
    if set -q _AWSCTX_PROD; and not set -q NO_COLOR
        set_color red
        printf '%s' $s
        set_color normal
    else
        printf '%s' $s
    end
end

# A shell started from one with keys (a subshell, `fish` in a terminal tab) inherits them but
# no timer: the first prompt refreshes (and arms one) if they are due for it.
set -q _AWSCTX_DUE; and not set -q _awsctx_timer; and set -g _awsctx_due 1
