# awsctx hook for fish, printed by `awsctx hook fish`; load it with
#   awsctx hook fish | source
#
# Defines the `awsctx` function (commands that switch this shell have their output evaluated),
# a `PWD` variable handler (directory changes) and `fish_prompt` / `fish_preexec` handlers
# (refresh).
#
# fish has no builtin clock, so expiry is signalled instead of polled: when keys are exported,
# `awsctx hook-env` arms one sleeping timer (`_awsctx_arm_timer`, replacing the previous one)
# that sends SIGUSR1 to this shell when they are due for a refresh; the handler only sets a
# flag. The timer dies with the shell. Cost per prompt or command when nothing changed: one
# variable test, no process; a prompt also reads one line of awsctx's `changes` file (builtin
# `read`), so pins, trust records and logins changed in another shell are followed. A
# directory change runs `awsctx hook-env` (one process) only when a pin or a `.aws-profile` is
# above the new directory or a binding is in effect now.
#
# State lives in global, unexported `_AWSCTX_*` variables (no child process sees it, nor the
# user's own keys it saves for `awsctx -u`), written only by the binary's output (and
# `_AWSCTX_PWD` below, when a directory change needs no process). Each awsctx process the hook
# starts gets them exported to it alone. They stay within 8 KiB together, whatever a
# repository holds.

set -g _AWSCTX_BIN __AWSCTX_BIN__
set -g _AWSCTX_SHELL_VERSION "fish $version"
# State an older hook exported (into this shell's environment, from a parent shell) is taken
# over, unexported from now on.
for __awsctx_name in (set -n | string match '_AWSCTX_*')
    set -gu $__awsctx_name $$__awsctx_name
end
set -e __awsctx_name

# The binary, with the state exported to it alone (as locals of this function: `eval`, because
# a `set -l` inside a loop would be local to the loop).
function _awsctx_run
    eval (for name in (set -n | string match '_AWSCTX_*'); printf 'set -lx %s $%s;' $name $name; end)
    command $_AWSCTX_BIN $argv
end

# The second case is every command and flag whose output is for reading (from the command
# line's definition).
function awsctx --description 'switch AWS profiles; see awsctx --help'
    switch "$argv[1]"
        case login
            _awsctx_run $argv; or return
            # This shell follows at once (others at their next prompt): its keys come back.
            _awsctx_on_prompt
            return 0
        case __AWSCTX_PASS_THROUGH__
            _awsctx_run $argv
            set -l rc $status
            # After a logout this shell drops its keys at once (others at their next prompt).
            test $rc -eq 0; and test "$argv[1]" = logout; and _awsctx_on_prompt
            return $rc
        case '*'
            # Help and version text is for reading, not for eval; so is a bare list into a pipe.
            if contains -- -h $argv; or contains -- --help $argv; or contains -- -V $argv; or contains -- --version $argv
                _awsctx_run $argv
                return
            end
            if test (count $argv) -eq 0; and not test -t 1
                _awsctx_run
                return
            end
            set -l out (_AWSCTX_SHELL=fish _awsctx_run $argv | string collect)
            set -l rc $pipestatus[1]
            eval $out
            # A cancelled picker (130, as fzf says) changed nothing and failed at nothing: fish
            # would show `[SIGINT]` in the prompt. Only the bare picker: a cancelled switch
            # must still stop `awsctx prod; and terraform apply`.
            if test $rc -eq 130; and test (count $argv) -eq 0
                return 0
            end
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
    _awsctx_run hook-env fish | source
end

function _awsctx_on_pwd --on-variable PWD
    test "$_AWSCTX_PWD" = "$PWD"; and return
    if not set -q _AWSCTX_PINS; or test -n "$_AWSCTX_BOUND"; or _awsctx_maybe_bound
        _awsctx_env
    else if test (string length -- $PWD) -le 512
        set -gu _AWSCTX_PWD $PWD
    else
        # Too long to keep (the state's bound): the next prompt looks again, with builtins.
        set -gu _AWSCTX_PWD ''
    end
end

# The refresh timer: one `sh` that sleeps until the keys are due and then signals this shell.
# It runs in a process group of its own, so replacing or disarming it ends its `sleep` too;
# and every 10 seconds it checks that this shell is still its parent, so a shell that dies
# without its exit event (SIGKILL) leaves nothing behind for long, and a reused pid is never
# signalled.
function _awsctx_arm_timer --argument-names seconds
    _awsctx_disarm_timer
    # A group of its own needs job control for this one job, whatever the shell's setting.
    set -l mode none
    status is-interactive-job-control; and set mode interactive
    status is-full-job-control; and set mode full
    status job-control full
    command sh -c '
        left=$1
        while [ "$left" -gt 0 ]; do
            step=10; [ "$left" -lt 10 ] && step=$left
            sleep "$step"
            left=$((left - step))
            if [ -r /proc/$$/stat ]; then read -r _ _ _ parent _ </proc/$$/stat
            else parent=$(ps -o ppid= -p $$); fi
            [ $parent = "$2" ] || exit 0
        done
        kill -USR1 "$2"' sh $seconds $fish_pid </dev/null >/dev/null 2>&1 &
    set -g _awsctx_timer $last_pid
    status job-control $mode
    disown $last_pid 2>/dev/null
end

function _awsctx_disarm_timer
    set -q _awsctx_timer; or return 0
    # The whole group (`sh` and its `sleep`); just the `sh` if it somehow got none.
    command kill -- -$_awsctx_timer 2>/dev/null; or command kill $_awsctx_timer 2>/dev/null
    set -e _awsctx_timer
end

function _awsctx_on_timer --on-signal USR1
    set -g _awsctx_due 1
    # It ends after signalling: its pid may be reused, never kill it again.
    set -e _awsctx_timer
end

function _awsctx_refresh
    if set -q _awsctx_due
        set -e _awsctx_due
        _awsctx_env
    end
end

function _awsctx_on_prompt --on-event fish_prompt
    # Have pins, trust records or logins changed, in this shell or another? One builtin `read`.
    set -l seen "$_AWSCTX_SEEN"
    # A regular file only: fish warns on a redirection from a missing file whatever `2>` says,
    # and a FIFO would hold the prompt.
    if set -q _AWSCTX_CHANGES; and test -f "$_AWSCTX_CHANGES"
        read -l line <$_AWSCTX_CHANGES 2>/dev/null; and set seen $line
    end
    if test "$seen" != "$_AWSCTX_SEEN"
        _awsctx_env
    else if test "$_AWSCTX_PWD" != "$PWD"
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
    _awsctx_disarm_timer
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

# A shell that took over an older hook's state inherited its keys but no timer: the first
# prompt refreshes (and arms one) if they are due for it.
set -q _AWSCTX_DUE; and not set -q _awsctx_timer; and set -g _awsctx_due 1
