# shellcheck disable=SC2250 # braces only where a name needs them (as bash's manual writes it)
# awsctx hook for bash, printed by `awsctx hook bash`; load it with
#   eval "$(awsctx hook bash)"
#
# Defines the `awsctx` function (commands that switch this shell have their output evaluated)
# and `_awsctx_hook`, run first in PROMPT_COMMAND and, from a `DEBUG` trap, before every
# command the shell runs (so the first command after an idle hour has fresh keys, and
# `cd repo && terraform apply` has the repo's profile). The trap chains the one it finds;
# with bash-preexec loaded it is one of its `preexec_functions` instead (checked once per
# command line: keys stay fresh, but `cd D && cmd` switches at the next command line).
#
# Cost per command when nothing changed: one integer compare (the clock against the due time
# the last prompt worked out) and one string compare (`$PWD`), on builtins, no process; per
# prompt a few more; a prompt also reads one line of awsctx's `changes` file
# (builtin `read`), so pins, trust records and logins changed in another shell are followed.
# A directory change runs `awsctx hook-env` (one process) only when a pin or a `.aws-profile`
# is above the new directory or a binding is in effect now; keys are refreshed (one process)
# when the clock (`EPOCHSECONDS`, or on bash < 5 `SECONDS` from an anchor) passes
# `_AWSCTX_DUE`. Works on bash 3.2 to 5.x.
#
# State lives in shell-local `_AWSCTX_*` variables (never exported: no child process sees it,
# nor the user's own keys it saves for `awsctx -u`), written only by the binary's output (and
# `_AWSCTX_PWD` below, when a directory change needs no process). Each awsctx process the hook
# starts gets them exported in its own subshell, and nothing else does. They stay within 8 KiB
# together, whatever a repository holds.

_AWSCTX_BIN=__AWSCTX_BIN__
_AWSCTX_SHELL_VERSION="bash $BASH_VERSION"
# The clock: bash 5's `EPOCHSECONDS`, read with no process. Older bash (macOS's 3.2) has
# none, so the hook counts from one `date` taken now plus the builtin `SECONDS`;
# every awsctx run sets `_AWSCTX_EPOCH` again (the user may have assigned `SECONDS`).
if [[ -z "${EPOCHSECONDS-}" && -z "${_AWSCTX_EPOCH-}" ]]; then
  _AWSCTX_EPOCH=$(($(date +%s) - SECONDS))
fi
__awsctx_due=0
# State an older hook exported (into this shell's environment, from a parent shell) is taken
# over, shell-local from now on.
export -n "${!_AWSCTX_@}"

# The binary, with the state exported to it alone: the body is a subshell, so the `export`
# never reaches this shell.
_awsctx_run() (
  export "${!_AWSCTX_@}"
  exec "$_AWSCTX_BIN" "$@"
)

awsctx() {
  case "${1-}" in
    login)
      _awsctx_run "$@" || return
      # This shell follows at once (others at their next prompt): its keys come back.
      # shellcheck disable=SC2119 # as at a prompt: no argument
      _awsctx_hook
      return 0
      ;;
    # Every command and flag whose output is for reading (from the command line's definition).
    __AWSCTX_PASS_THROUGH__)
      # `doctor` is told what this shell runs now (`_awsctx_live`).
      [[ "$1" != doctor ]] || { local _AWSCTX_LIVE; _awsctx_live; }
      _awsctx_run "$@" || return
      # After a logout this shell drops its keys at once (others at their next prompt).
      # shellcheck disable=SC2119 # as at a prompt: no argument
      [[ "$1" != logout ]] || _awsctx_hook
      ;;
    *)
      # Help and version text is for reading, not for eval; so is a bare list into a pipe.
      local __awsctx_arg
      for __awsctx_arg in "$@"; do
        case "$__awsctx_arg" in
          -h | --help | -V | --version) _awsctx_run "$@"; return ;;
          *) ;;
        esac
      done
      if (($# == 0)) && [[ ! -t 1 ]]; then
        _awsctx_run
        return
      fi
      local __awsctx_out __awsctx_rc
      __awsctx_out=$(_AWSCTX_SHELL=bash _awsctx_run "$@")
      __awsctx_rc=$?
      eval "$__awsctx_out"
      _awsctx_trap_due
      return "$__awsctx_rc"
      ;;
  esac
}

# For `awsctx doctor`, in the caller's `_AWSCTX_LIVE`: `loaded`, then `prompt` while the hook
# is still run at the prompt (a `PROMPT_COMMAND=…` after the hook line drops it) and `complete`
# while `awsctx` completes.
_awsctx_live() {
  _AWSCTX_LIVE=loaded
  if [[ "${PROMPT_COMMAND[*]-} ${precmd_functions[*]-}" == *_awsctx_hook* ]]; then
    _AWSCTX_LIVE+=" prompt"
  fi
  if complete -p awsctx >/dev/null 2>&1; then
    _AWSCTX_LIVE+=" complete"
  fi
}

# Is there a pin or a `.aws-profile` at or above $PWD? Builtins only.
_awsctx_maybe_bound() {
  local dir=$PWD
  while :; do
    [[ -e "$dir/.aws-profile" ]] && return 0
    [[ $'\n'"${_AWSCTX_PINS-}"$'\n' == *$'\n'"$dir"$'\n'* ]] && return 0
    [[ -z "$dir" || "$dir" == / ]] && return 1
    dir=${dir%/*}
    [[ -z "$dir" ]] && dir=/
  done
}

# What this directory and clock call for, from the binary, evaluated. `_awsctx_run` inlined:
# the command substitution is already the subshell.
# shellcheck disable=SC2312 # hook-env never fails a prompt: what it prints is all it says
_awsctx_env() {
  eval "$(export "${!_AWSCTX_@}"; exec "$_AWSCTX_BIN" hook-env bash)"
}

# At a prompt, with no argument; from the `DEBUG` trap (and bash-preexec), with one.
# shellcheck disable=SC2120
_awsctx_hook() {
  local __awsctx_status=$?
  local __awsctx_now=__AWSCTX_NOW__
  # Not while completing a word (a completion function runs commands too).
  [[ -n "${COMP_LINE-}" ]] && return "$__awsctx_status"
  # At a prompt (the trap passes an argument): have pins, trust records or logins changed,
  # in this shell or another? One builtin `read` of one line.
  local __awsctx_seen=${_AWSCTX_SEEN-}
  if (($# == 0)) && [[ -n "${_AWSCTX_CHANGES-}" ]]; then
    read -r __awsctx_seen 2>/dev/null <"$_AWSCTX_CHANGES" || :
  fi
  if [[ "$__awsctx_seen" != "${_AWSCTX_SEEN-}" ]]; then
    _awsctx_env
  elif [[ "${_AWSCTX_PWD-}" != "$PWD" ]]; then
    if [[ -z "${_AWSCTX_PINS+set}" || -n "${_AWSCTX_BOUND-}" ]] || _awsctx_maybe_bound; then
      _awsctx_env
    elif ((${#PWD} <= 512)); then
      _AWSCTX_PWD=$PWD
    else
      # Too long to keep (the state's bound): the next prompt looks again, with builtins.
      _AWSCTX_PWD=
    fi
  # Digits only: bash would evaluate anything else as an arithmetic expression.
  elif [[ "${_AWSCTX_DUE-}" =~ ^[0-9]+$ ]] && ((__awsctx_now >= _AWSCTX_DUE)); then
    _awsctx_env
  fi
  _awsctx_trap_due
  return "$__awsctx_status"
}

# The due time for the `DEBUG` trap, on its clock: `EPOCHSECONDS` (bash 5), else the builtin
# `SECONDS`, converted here. One integer compare per command. Worked out again at every prompt
# and switch (on bash 4, a `SECONDS` the user assigns misleads the trap until the next
# prompt). Digits only, as above; no keys: never due.
_awsctx_trap_due() {
  if [[ "${_AWSCTX_DUE-}" =~ ^[0-9]+$ && -n "${EPOCHSECONDS-}" ]]; then
    __awsctx_due=$_AWSCTX_DUE
  elif [[ "${_AWSCTX_DUE-}" =~ ^[0-9]+$ ]]; then
    __awsctx_due=$((_AWSCTX_DUE - __AWSCTX_NOW__ + SECONDS))
  else
    __awsctx_due=$((1 << 62))
  fi
}

# A prompt segment, `profile (region) 42m`, red for production, from variables only: no
# process, no subshell. `awsctx_prompt` prints it (for `PS1='$(awsctx_prompt) \$ '`, which
# costs a subshell); `awsctx_prompt -v NAME` stores it in NAME (for PROMPT_COMMAND, costs
# nothing: `PS1='${AWSCTX_PS1} \$ '`, single-quoted so the value is never expanded again).
awsctx_prompt() {
  local __awsctx_p=${AWS_PROFILE:-${_AWSCTX_PROFILE-}} __awsctx_s='' __awsctx_r __awsctx_now __awsctx_left
  if [[ -n "$__awsctx_p" ]]; then
    __awsctx_s=$__awsctx_p
    __awsctx_r=${AWS_REGION:-${AWS_DEFAULT_REGION-}}
    [[ -n "$__awsctx_r" ]] && __awsctx_s+=" ($__awsctx_r)"
    # Time left and colour only for the profile awsctx set (not one exported by hand since).
    if [[ "$__awsctx_p" == "${_AWSCTX_PROFILE-}" ]]; then
      if [[ "${_AWSCTX_EXPIRES-}" =~ ^[0-9]+$ ]]; then
        __awsctx_now=__AWSCTX_NOW__
        __awsctx_left=$((_AWSCTX_EXPIRES - __awsctx_now))
        if ((__awsctx_left <= 0)); then
          __awsctx_s+=" expired"
        elif ((__awsctx_left >= 3600)); then
          __awsctx_s+=" $((__awsctx_left / 3600))h$((__awsctx_left % 3600 / 60))m"
        else
          __awsctx_s+=" $((__awsctx_left / 60))m"
        fi
      fi
      if [[ -n "${_AWSCTX_PROD-}" && -z "${NO_COLOR-}" ]]; then
        # \001 and \002 tell readline the colour codes take no room on the line.
        __awsctx_s=$'\001\e[31m\002'"$__awsctx_s"$'\001\e[0m\002'
      fi
    fi
  fi
  if [[ "${1-}" == -v ]]; then
    printf -v "${2:?awsctx_prompt -v needs a variable name}" '%s' "$__awsctx_s"
  else
    printf '%s' "$__awsctx_s"
  fi
}

# The pre-command check, a `DEBUG` trap: `$_`, `$?` and `PIPESTATUS` are kept for the
# command. Installed at the first prompt, from PROMPT_COMMAND, given the trap set before it:
# that can be seen only there (not from a function, nor while a file is being `source`d),
# and by then bash-preexec, if loaded at all, is loaded.
_awsctx_install_trap() {
  __awsctx_trap_installed=1
  if [[ -n "${bash_preexec_imported-}${__bp_imported-}" ]]; then
    # bash-preexec owns the DEBUG trap: a preexec function, run once per command line.
    if [[ " ${preexec_functions[*]-} " != *" _awsctx_hook "* ]]; then
      preexec_functions=(_awsctx_hook "${preexec_functions[@]}")
    fi
    return 0
  fi
  # bash 3 loses `PIPESTATUS` under any `DEBUG` trap: there, keys and bindings are checked
  # at the prompt only (`awsctx doctor` says so).
  ((BASH_VERSINFO[0] >= 4)) || return 0
  local prior=$1 quote="'"
  [[ "$prior" == *_awsctx_hook* ]] && return 0
  # `trap -- 'CMD' DEBUG`, each quote in CMD written `'\''`: back to CMD.
  prior=${prior#"trap -- $quote"}
  prior=${prior%"$quote DEBUG"}
  prior=${prior//"$quote\\$quote$quote"/$quote}
  # It fires before every simple command, and bash parses it each time, so it is short and
  # inline (a function call alone costs more): the clock against the due time the hook
  # worked out on it (`_awsctx_trap_due`), then the directory. Past those, a call with `$_` as
  # its last word: bash sets `$_` to that, so it is kept. It ends with status 0 (`set -e`;
  # `extdebug` would skip the command); bash keeps `$?` itself. The trap itself is set by the
  # caller, outside any function: bash 3.2 drops a `DEBUG` trap set inside a function when
  # the function returns.
  local clock=SECONDS
  [[ -z "${EPOCHSECONDS-}" ]] || clock=EPOCHSECONDS
  # shellcheck disable=SC2016 # the rest is expanded when the trap runs
  __awsctx_trap_body="(($clock < __awsctx_due))"' && [[ "${_AWSCTX_PWD-}" == "$PWD" ]] || _awsctx_hook "$_" || : "$_"'"${prior:+; $prior}"
}

# The installer has run at the first prompt: from now on the entry is `_awsctx_hook` alone,
# whose status is the command line's, so prompt hooks after it (starship's) see `$?` as the
# command left it (and `PIPESTATUS`, but for a pipeline's: only a pipeline can set that).
_awsctx_prompt_alone() {
  local i
  if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
    for i in "${!PROMPT_COMMAND[@]}"; do
      [[ "${PROMPT_COMMAND[i]}" != "$__awsctx_prompt" ]] || PROMPT_COMMAND[i]=_awsctx_hook
    done
  else
    # shellcheck disable=SC2178,SC2128 # a plain string here (checked above), not an array
    PROMPT_COMMAND=${PROMPT_COMMAND/"$__awsctx_prompt"/_awsctx_hook}
  fi
}

# Run first in PROMPT_COMMAND (a string or, in bash 5.1+, an array), with the trap's installer
# at the first prompt (then `_awsctx_prompt_alone`). Expanded when the prompt runs it.
# shellcheck disable=SC2016 # expanded when the prompt runs it
__awsctx_prompt='_awsctx_hook;[[ -n "${__awsctx_trap_installed-}" ]] || { _awsctx_install_trap "$(trap -p DEBUG)"; [[ -z "${__awsctx_trap_body-}" ]] || trap -- "$__awsctx_trap_body" DEBUG; unset __awsctx_trap_body; _awsctx_prompt_alone; }'
if [[ "${PROMPT_COMMAND[*]-}" != *_awsctx_hook* ]]; then
  if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
    PROMPT_COMMAND=("$__awsctx_prompt" "${PROMPT_COMMAND[@]}")
  else
    # A plain string here (checked above), not an array.
    # shellcheck disable=SC2178,SC2128
    PROMPT_COMMAND="$__awsctx_prompt${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
  fi
fi
