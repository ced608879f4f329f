# awsctx hook for Nushell, printed by `awsctx hook nu`; load it as zoxide's is loaded:
#   env.nu:     awsctx hook nu | save -f ~/.awsctx.nu
#   config.nu:  source ~/.awsctx.nu
#
# Defines the `awsctx` command (commands that switch this shell apply what the binary prints:
# JSON, name -> value or null, never code), `awsctx_prompt`, an `env_change.PWD` hook
# (directory changes) and a `pre_prompt` hook (refresh), and completes awsctx's commands,
# flags and profile names.
#
# Cost per prompt when nothing changed: a few record lookups and compares, `date now`, and
# whether the marker `changes.d/<line>` of the `changes` line it saw last still exists (`path
# exists`, in this process), so pins, trust records and logins changed in another shell are
# followed; no process. A directory change runs `awsctx hook-env nu` (one process) only when a
# pin or a `.aws-profile` is above the new directory or a binding is in effect now.
#
# State lives in one record, `$env._AWSCTX`. Nushell hands an external command only the
# environment values that are strings (or that `$env.ENV_CONVERSIONS` turns into strings); a
# record has no conversion, so no child process sees the state, nor the user's own keys it
# saves for `awsctx -u`. Each awsctx process the hook starts gets the record's fields as its
# environment (`with-env`), and nothing else does.

const AWSCTX_BIN = __AWSCTX_BIN__

def _awsctx_state [] {
    $env._AWSCTX? | default {}
}

# Apply the binary's JSON: `_AWSCTX_*` into the state record, the rest into the environment.
def --env _awsctx_apply [out: string] {
    let out = ($out | str trim)
    if ($out | is-empty) {
        return
    }
    mut state = (_awsctx_state)
    for change in ($out | from json | transpose name value) {
        if ($change.name | str starts-with "_AWSCTX_") {
            if $change.value == null {
                $state = ($state | reject -o $change.name)
            } else {
                $state = ($state | upsert $change.name $change.value)
            }
        } else if $change.value == null {
            hide-env -i $change.name
        } else {
            load-env {($change.name): $change.value}
        }
    }
    $env._AWSCTX = $state
}

# Run the binary with the state in its environment; its stdout (JSON) and exit code come back,
# its stderr goes to this shell's (appended, never truncating a log file it may be).
def _awsctx_capture [args: list<string>] {
    with-env ((_awsctx_state) | insert _AWSCTX_SHELL nu) {
        ^$AWSCTX_BIN ...$args e>> /dev/stderr | complete
    }
}

def --env _awsctx_hook_env [] {
    _awsctx_apply (_awsctx_capture [hook-env nu]).stdout
}

# Is there a pin or a `.aws-profile` at or above $PWD? Builtins only.
def _awsctx_maybe_bound [] {
    let pins = ((_awsctx_state) | get -o _AWSCTX_PINS | default "" | split row "\n")
    mut dir = $env.PWD
    loop {
        if ($dir | path join ".aws-profile" | path exists) or ($dir in $pins) {
            return true
        }
        if ($dir | is-empty) or $dir == "/" {
            return false
        }
        $dir = ($dir | path dirname)
    }
}

def --env _awsctx_on_pwd [] {
    let state = (_awsctx_state)
    if ($state | get -o _AWSCTX_PWD) == $env.PWD {
        return
    }
    let bound = ($state | get -o _AWSCTX_BOUND | default "")
    if ($state | get -o _AWSCTX_PINS) == null or $bound != "" or (_awsctx_maybe_bound) {
        _awsctx_hook_env
    } else {
        $env._AWSCTX = ($state | upsert _AWSCTX_PWD $env.PWD)
    }
}

# What this prompt has to do, `changes`, `pwd`, `due` or "" (nothing, the usual answer), from
# builtins only. A plain command: an `--env` one costs a copy of the environment at each call,
# so the prompt hook calls `_awsctx_on_prompt` only when there is something to do.
def _awsctx_prompt_work [] {
    let state = ($env._AWSCTX? | default {})
    # Have pins, trust records or logins changed, in this shell or another? awsctx keeps an
    # empty file named by the line of its `changes` file, `changes.d/<line>`: gone, the line
    # has changed (`path exists` costs a fifth of reading the line). Before any line, the folder
    # appears with the first. The name is awsctx's digits; anything else counts as no marker.
    # Inline, as a command call costs as much as the check.
    let changes = ($state._AWSCTX_CHANGES? | default "")
    let seen = ($state._AWSCTX_SEEN? | default "")
    if $changes != "" {
        if $seen == $state._AWSCTX_UNMARKED? {
            # No marker for this line (a linked or foreign `changes.d`, a line not written by
            # awsctx): read the line instead, a regular file only (a pipe would hold the
            # prompt), at most 257 bytes of it, as the binary reads it.
            if ($changes | path type) == "file" {
                let head = try { open --raw $changes | first 257 } catch { null }
                if $head != null and ($head | length) <= 256 and ($head | decode | lines | get -o 0 | default $seen) != $seen {
                    return "changes"
                }
            }
        } else if $seen == "" {
            if ($"($changes).d" | path exists) {
                return "changes"
            }
        } else if not ($seen =~ '^[0-9-]+$') or not ($"($changes).d/($seen)" | path exists) {
            return "changes"
        }
    }
    if $state._AWSCTX_PWD? != $env.PWD {
        return "pwd"
    }
    # Digits only; `date now` is a builtin clock.
    let due = ($state._AWSCTX_DUE? | default "")
    if ($due =~ '^[0-9]+$') and ((date now | into int) // 1_000_000_000) >= ($due | into int) {
        return "due"
    }
    ""
}

def --env _awsctx_on_prompt [] {
    match (_awsctx_prompt_work) {
        "" => { }
        "pwd" => { _awsctx_on_pwd }
        "changes" => {
            _awsctx_hook_env
            # Still changed right after awsctx looked: the line it saw has no marker, and
            # asking again would start a process at every prompt. Read that line instead.
            if (_awsctx_prompt_work) == "changes" {
                let state = (_awsctx_state)
                $env._AWSCTX = ($state | upsert _AWSCTX_UNMARKED ($state._AWSCTX_SEEN? | default ""))
            }
        }
        _ => { _awsctx_hook_env }
    }
}

# Candidates from the binary, which completes for fish in lines of `value<TAB>help`.
def _awsctx_complete [context: string] {
    let words = ($context | split row -r '\s+')
    let words = if ($context | str ends-with " ") { $words | drop | append "" } else { $words }
    with-env {COMPLETE: fish} { ^$AWSCTX_BIN -- ...$words | complete }
    | get stdout
    | lines
    | each {|line|
        let parts = ($line | split row "\t")
        {value: $parts.0, description: ($parts | get -o 1 | default "")}
    }
}

# Switch AWS profiles; see `awsctx --help`.
def --env --wrapped awsctx [...args: string@_awsctx_complete] {
    let first = ($args | get -o 0 | default "")
    # Every command and flag whose output is for reading (from the command line's definition).
    let passthrough = [__AWSCTX_PASS_THROUGH__]
    let reading = ($args | any {|a| $a in [-h --help -V --version] })
    if $first == "login" {
        with-env (_awsctx_state) { ^$AWSCTX_BIN ...$args }
        # Pick up the new session at the next prompt.
        if ((_awsctx_state) | get -o _AWSCTX_PROFILE) != null {
            $env._AWSCTX = ((_awsctx_state) | upsert _AWSCTX_DUE "0")
        }
    } else if $first == "logout" {
        with-env (_awsctx_state) { ^$AWSCTX_BIN ...$args }
        # This shell drops its keys at once (others at their next prompt).
        _awsctx_on_prompt
    } else if $first in $passthrough or $reading or (($args | is-empty) and not (is-terminal --stdout)) {
        # Help and version text is for reading, not for applying; so is a bare list into a pipe.
        with-env (_awsctx_state) { ^$AWSCTX_BIN ...$args }
    } else {
        let result = (_awsctx_capture $args)
        _awsctx_apply $result.stdout
        $env.LAST_EXIT_CODE = $result.exit_code
    }
}

# A prompt segment, `profile (region) 42m`, red for production, from variables only: no
# process. In `$env.PROMPT_COMMAND_RIGHT = {|| awsctx_prompt }` or your own prompt closure.
def awsctx_prompt [] {
    let state = (_awsctx_state)
    let mine = ($state | get -o _AWSCTX_PROFILE | default "")
    let p = ($env.AWS_PROFILE? | default $mine)
    if $p == "" {
        return ""
    }
    let r = ($env.AWS_REGION? | default ($env.AWS_DEFAULT_REGION? | default ""))
    mut s = if $r == "" { $p } else { $"($p) \(($r)\)" }
    # Time left and colour only for the profile awsctx set (not one exported by hand since).
    if $p != $mine {
        return $s
    }
    let expires = ($state | get -o _AWSCTX_EXPIRES | default "")
    if $expires =~ '^[0-9]+$' {
        let left = ($expires | into int) - ((date now | into int) // 1_000_000_000)
        $s = if $left <= 0 {
            $"($s) expired"
        } else if $left >= 3600 {
            $"($s) ($left // 3600)h($left mod 3600 // 60)m"
        } else {
            $"($s) ($left // 60)m"
        }
    }
    if ($state | get -o _AWSCTX_PROD) == "1" and ($env.NO_COLOR? | default "") == "" {
        $"(ansi red)($s)(ansi reset)"
    } else {
        $s
    }
}

export-env {
    $env.config = (
        $env.config?
        | default {}
        | upsert hooks { default {} }
        | upsert hooks.env_change { default {} }
        | upsert hooks.env_change.PWD { default [] }
        | upsert hooks.pre_prompt { default [] }
    )
    # For `awsctx doctor`, as the other hooks say which shell they are.
    $env._AWSCTX = ((_awsctx_state) | upsert _AWSCTX_SHELL_VERSION $"nu (version | get version)")
    # Once, however often this is sourced; first, so prompts see the new profile.
    let hooked = (
        $env.config.hooks.pre_prompt | any {|hook| try { $hook | get __awsctx_hook } catch { false } }
    )
    if not $hooked {
        $env.config.hooks.pre_prompt = (
            $env.config.hooks.pre_prompt | prepend {__awsctx_hook: true, code: {|| if (_awsctx_prompt_work) != "" { _awsctx_on_prompt } } }
        )
        $env.config.hooks.env_change.PWD = (
            $env.config.hooks.env_change.PWD | prepend {__awsctx_hook: true, code: {|before, after| _awsctx_on_pwd } }
        )
    }
}
