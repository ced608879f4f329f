# awsctx hook for zsh, printed by `awsctx hook zsh`; load it with
#   eval "$(awsctx hook zsh)"
#
# Defines the `awsctx` function (commands that switch this shell have their output evaluated),
# a `chpwd` hook (so `cd repo && aws ...` already has the repo's profile), and `precmd` and
# `preexec` hooks (keys refreshed before they expire, also on the first command after an idle
# hour, before it runs).
#
# Cost per prompt or command line when nothing changed: one string compare and one integer
# compare on builtins (`EPOCHSECONDS` from zsh/datetime), no process; a prompt also reads one
# line of awsctx's `changes` file (builtin `read`), so pins, trust records and logins changed
# in another shell are followed. A directory change runs
# `awsctx hook-env` (one process) only when a pin or a `.aws-profile` is above the new
# directory or a binding is in effect now.
#
# State lives in shell-local `_AWSCTX_*` variables (never exported: no child process sees it,
# nor the user's own keys it saves for `awsctx -u`), written only by the binary's output (and
# `_AWSCTX_PWD` below, when a directory change needs no process). Each awsctx process the hook
# starts gets them exported in its own subshell, and nothing else does. They stay within 8 KiB
# together, whatever a repository holds.

zmodload zsh/datetime 2>/dev/null
typeset -g _AWSCTX_BIN=__AWSCTX_BIN__
typeset -g _AWSCTX_SHELL_VERSION="zsh $ZSH_VERSION"
# State an older hook exported (into this shell's environment, from a parent shell) is taken
# over, shell-local from now on.
typeset -g +x -m '_AWSCTX_*'

# The binary, with the state exported to it alone: the body is a subshell, so the export never
# reaches this shell.
_awsctx_run() (
  emulate -L zsh
  typeset -gx -m '_AWSCTX_*'
  exec "$_AWSCTX_BIN" "$@"
)

awsctx() {
  emulate -L zsh
  case "${1-}" in
    login)
      _awsctx_run "$@" || return
      # This shell follows at once (others at their next prompt): its keys come back.
      _awsctx_precmd
      return 0
      ;;
    # Every command and flag whose output is for reading (from the command line's definition).
    __AWSCTX_PASS_THROUGH__)
      # `doctor` is told what this shell runs now (`_awsctx_live`).
      [[ "$1" != doctor ]] || { local _AWSCTX_LIVE; _awsctx_live }
      _awsctx_run "$@" || return
      # After a logout this shell drops its keys at once (others at their next prompt).
      [[ "$1" != logout ]] || _awsctx_precmd
      ;;
    *)
      # Help and version text is for reading, not for eval; so is a bare list into a pipe.
      if (( ${argv[(I)(-h|--help|-V|--version)]} )) || { (( $# == 0 )) && [[ ! -t 1 ]] }; then
        _awsctx_run "$@"
        return
      fi
      local __awsctx_out __awsctx_rc
      __awsctx_out=$(_AWSCTX_SHELL=zsh _awsctx_run "$@")
      __awsctx_rc=$?
      eval "$__awsctx_out"
      return $__awsctx_rc
      ;;
  esac
}

# For `awsctx doctor`, in the caller's `_AWSCTX_LIVE`: `loaded`, then `prompt` while the hook
# is still run at the prompt (a `precmd_functions=(…)` after the hook line drops it) and
# `complete` while `awsctx` completes (registered only when `compinit` ran before the hook).
_awsctx_live() {
  _AWSCTX_LIVE=loaded
  (( ${+precmd_functions} )) && (( ${precmd_functions[(Ie)_awsctx_precmd]} )) && _AWSCTX_LIVE+=" prompt"
  (( ${+_comps} )) && (( ${+_comps[awsctx]} )) && _AWSCTX_LIVE+=" complete"
  return 0
}

# Is there a pin or a `.aws-profile` at or above $PWD? Builtins only.
_awsctx_maybe_bound() {
  emulate -L zsh
  local dir=$PWD nl=$'\n'
  while :; do
    [[ -e "$dir/.aws-profile" ]] && return 0
    [[ "$nl${_AWSCTX_PINS-}$nl" == *"$nl$dir$nl"* ]] && return 0
    [[ -z "$dir" || "$dir" == / ]] && return 1
    dir=${dir%/*}
    [[ -z "$dir" ]] && dir=/
  done
}

_awsctx_chpwd() {
  emulate -L zsh
  [[ "${_AWSCTX_PWD-}" == "$PWD" ]] && return 0
  if [[ -z "${_AWSCTX_PINS+set}" || -n "${_AWSCTX_BOUND-}" ]] || _awsctx_maybe_bound; then
    # `_awsctx_run` inlined: the command substitution is already the subshell.
    eval "$(typeset -gx -m '_AWSCTX_*'; exec "$_AWSCTX_BIN" hook-env zsh)"
  elif (( ${#PWD} <= 512 )); then
    _AWSCTX_PWD=$PWD
  else
    # Too long to keep (the state's bound): the next prompt looks again, with builtins.
    _AWSCTX_PWD=
  fi
}

_awsctx_precmd() {
  local __awsctx_status=$?
  emulate -L zsh
  # At a prompt (preexec passes the command line): have pins, trust records or logins changed,
  # in this shell or another? One builtin `read` of one line.
  local __awsctx_seen=${_AWSCTX_SEEN-}
  if (( $# == 0 )) && [[ -n "${_AWSCTX_CHANGES-}" ]]; then
    { read -r __awsctx_seen <"$_AWSCTX_CHANGES" } 2>/dev/null
  fi
  if [[ "$__awsctx_seen" != "${_AWSCTX_SEEN-}" ]]; then
    eval "$(typeset -gx -m '_AWSCTX_*'; exec "$_AWSCTX_BIN" hook-env zsh)"
  elif [[ "${_AWSCTX_PWD-}" != "$PWD" ]]; then
    _awsctx_chpwd
  # Digits only (`<->`): zsh would evaluate anything else as an arithmetic expression.
  elif [[ "${_AWSCTX_DUE-}" == <-> ]] && (( EPOCHSECONDS >= _AWSCTX_DUE )); then
    eval "$(typeset -gx -m '_AWSCTX_*'; exec "$_AWSCTX_BIN" hook-env zsh)"
  fi
  return $__awsctx_status
}

# A prompt segment, `profile (region) 42m`, red for production, from variables only: no
# process. Written for a prompt: `%` in names is escaped and the colour is `%F{red}`.
# `awsctx_prompt` prints it (`setopt prompt_subst; RPROMPT='$(awsctx_prompt)'`, which costs a
# subshell); `awsctx_prompt -v NAME` stores it in NAME (in a precmd function, costs nothing:
# `RPROMPT='${AWSCTX_PROMPT}'`, single-quoted so the value is never expanded again).
awsctx_prompt() {
  emulate -L zsh
  local p=${AWS_PROFILE:-${_AWSCTX_PROFILE-}} s='' r left
  if [[ -n $p ]]; then
    s=$p
    r=${AWS_REGION:-${AWS_DEFAULT_REGION-}}
    [[ -n $r ]] && s+=" ($r)"
    s=${s//\%/%%}
    # Time left and colour only for the profile awsctx set (not one exported by hand since).
    if [[ $p == ${_AWSCTX_PROFILE-} ]]; then
      if [[ ${_AWSCTX_EXPIRES-} == <-> ]]; then
        left=$(( _AWSCTX_EXPIRES - EPOCHSECONDS ))
        if (( left <= 0 )); then
          s+=" expired"
        elif (( left >= 3600 )); then
          s+=" $(( left / 3600 ))h$(( left % 3600 / 60 ))m"
        else
          s+=" $(( left / 60 ))m"
        fi
      fi
      [[ -n ${_AWSCTX_PROD-} && -z ${NO_COLOR-} ]] && s="%F{red}$s%f"
    fi
  fi
  if [[ ${1-} == -v ]]; then
    typeset -g "${2:?awsctx_prompt -v needs a variable name}"="$s"
  else
    print -rn -- "$s"
  fi
}

autoload -Uz add-zsh-hook
add-zsh-hook preexec _awsctx_precmd
# Once, however often this is sourced; first, so prompt themes (starship, powerlevel10k) see
# the new profile.
if (( ! ${+precmd_functions} )) || (( ! ${precmd_functions[(Ie)_awsctx_precmd]} )); then
  typeset -ga precmd_functions
  precmd_functions=(_awsctx_precmd ${precmd_functions[@]})
fi
add-zsh-hook chpwd _awsctx_chpwd
