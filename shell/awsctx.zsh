# awsctx hook for zsh, printed by `awsctx hook zsh`; load it with
#   eval "$(awsctx hook zsh)"
#
# Defines the `awsctx` function (commands that switch this shell have their output evaluated),
# a `chpwd` hook (so `cd repo && aws ...` already has the repo's profile) and a `precmd` hook
# (keys refreshed before they expire).
#
# Cost per prompt when nothing changed: one string compare and one integer compare on
# builtins (`EPOCHSECONDS` from zsh/datetime), no process. A directory change runs
# `awsctx hook-env` (one process) only when a pin or a `.aws-profile` is above the new
# directory or a binding is in effect now.
#
# State lives in exported `_AWSCTX_*` variables, written only by the binary's output.

zmodload zsh/datetime 2>/dev/null
typeset -g _AWSCTX_BIN=__AWSCTX_BIN__

awsctx() {
  case "${1-}" in
    login)
      command "$_AWSCTX_BIN" "$@" || return
      # Pick up the new session at the next prompt.
      [[ -n "${_AWSCTX_PROFILE-}" ]] && export _AWSCTX_DUE=0
      return 0
      ;;
    logout | list | ls | status | export | credential-process | exec | console | configure | \
      populate | hook | completions | doctor | help | hook-env | -c | --current | -h | --help | -V | --version)
      command "$_AWSCTX_BIN" "$@"
      ;;
    *)
      local __awsctx_out __awsctx_rc
      __awsctx_out=$(_AWSCTX_SHELL=zsh command "$_AWSCTX_BIN" "$@")
      __awsctx_rc=$?
      eval "$__awsctx_out"
      return $__awsctx_rc
      ;;
  esac
}

# Is there a pin or a `.aws-profile` at or above $PWD? Builtins only.
_awsctx_maybe_bound() {
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
  [[ "${_AWSCTX_PWD-}" == "$PWD" ]] && return
  if [[ -z "${_AWSCTX_PINS+set}" || -n "${_AWSCTX_BOUND-}" ]] || _awsctx_maybe_bound; then
    eval "$(command "$_AWSCTX_BIN" hook-env zsh)"
  else
    export _AWSCTX_PWD="$PWD"
  fi
}

_awsctx_precmd() {
  if [[ "${_AWSCTX_PWD-}" != "$PWD" ]]; then
    _awsctx_chpwd
  elif [[ -n "${_AWSCTX_DUE-}" ]] && (( EPOCHSECONDS >= _AWSCTX_DUE )); then
    eval "$(command "$_AWSCTX_BIN" hook-env zsh)"
  fi
}

autoload -Uz add-zsh-hook
# add-zsh-hook adds a function once, so sourcing this twice changes nothing; go first so
# prompt themes (starship, powerlevel10k) see the new profile.
if (( ! ${precmd_functions[(Ie)_awsctx_precmd]} )); then
  precmd_functions=(_awsctx_precmd $precmd_functions)
fi
add-zsh-hook chpwd _awsctx_chpwd
