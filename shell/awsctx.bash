# awsctx hook for bash, printed by `awsctx hook bash`; load it with
#   eval "$(awsctx hook bash)"
#
# Defines the `awsctx` function (commands that switch this shell have their output evaluated)
# and `_awsctx_hook`, run first in PROMPT_COMMAND.
#
# Cost per prompt when nothing changed: two string compares and one integer compare on
# builtins, no process. A directory change runs `awsctx hook-env` (one process) only when a
# pin or a `.aws-profile` is above the new directory or a binding is in effect now; keys are
# refreshed (one process) when the clock (`EPOCHSECONDS`, or on bash < 5 `SECONDS` from an
# anchor) passes `_AWSCTX_DUE`. Works on bash 3.2 to 5.x.
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
      # Pick up the new session at the next prompt.
      [[ -n "${_AWSCTX_PROFILE-}" ]] && _AWSCTX_DUE=0
      return 0
      ;;
    logout | list | ls | status | export | credential-process | exec | serve | console | configure | \
      populate | hook | completions | doctor | help | hook-env | -c | --current | -h | --help | -V | --version)
      _awsctx_run "$@"
      ;;
    *)
      # Help and version text is for reading, not for eval; so is a bare list into a pipe.
      local __awsctx_arg
      for __awsctx_arg in "$@"; do
        case "$__awsctx_arg" in
          -h | --help | -V | --version) _awsctx_run "$@"; return ;;
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
      return "$__awsctx_rc"
      ;;
  esac
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

_awsctx_hook() {
  local __awsctx_status=$?
  local __awsctx_now=${EPOCHSECONDS:-$((${_AWSCTX_EPOCH:-0} + SECONDS))}
  if [[ "${_AWSCTX_PWD-}" != "$PWD" ]]; then
    if [[ -z "${_AWSCTX_PINS+set}" || -n "${_AWSCTX_BOUND-}" ]] || _awsctx_maybe_bound; then
      # `_awsctx_run` inlined: the command substitution is already the subshell.
      eval "$(export "${!_AWSCTX_@}"; exec "$_AWSCTX_BIN" hook-env bash)"
    elif ((${#PWD} <= 512)); then
      _AWSCTX_PWD=$PWD
    else
      # Too long to keep (the state's bound): the next prompt looks again, with builtins.
      _AWSCTX_PWD=
    fi
  # Digits only: bash would evaluate anything else as an arithmetic expression.
  elif [[ "${_AWSCTX_DUE-}" =~ ^[0-9]+$ ]] && ((__awsctx_now >= _AWSCTX_DUE)); then
    eval "$(export "${!_AWSCTX_@}"; exec "$_AWSCTX_BIN" hook-env bash)"
  fi
  return "$__awsctx_status"
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
        __awsctx_now=${EPOCHSECONDS:-$((${_AWSCTX_EPOCH:-0} + SECONDS))}
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

# Run first in PROMPT_COMMAND (a string or, in bash 5.1+, an array), once.
if [[ "${PROMPT_COMMAND[*]-}" != *_awsctx_hook* ]]; then
  if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
    PROMPT_COMMAND=(_awsctx_hook "${PROMPT_COMMAND[@]}")
  else
    # A plain string here (checked above), not an array.
    # shellcheck disable=SC2178,SC2128
    PROMPT_COMMAND="_awsctx_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
  fi
fi
