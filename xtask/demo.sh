#!/usr/bin/env bash
# The awsctx demo, run by `cargo xtask demo` in a sandbox home against the mock IAM Identity
# Center. Every step prints the command as a user would type it and what they would see, then
# checks that it did what it should; the first step that does not ends the demo with exit 1.
#
# xtask sets: HOME (sandbox), PATH (awsctx first), AWS_ENDPOINT_URL_* (the mock), BROWSER (a
# fake browser that approves), DEMO_START_URL, DEMO_WORK (a scratch directory).
# Checks are single-quoted on purpose: `check` evaluates them after the step; a failed `cd`
# fails the next check.
# shellcheck disable=SC2016,SC2164
set -uo pipefail

bold=$'\e[1m' red=$'\e[31m' green=$'\e[32m' reset=$'\e[0m'
if [[ -n "${NO_COLOR-}" || ! -t 1 ]]; then bold='' red='' green='' reset=''; fi

steps=0
section() { printf '\n%s## %s%s\n' "$bold" "$*" "$reset"; }
# Print a command as typed at a prompt, then run it in this shell (so switches stick).
run() {
  printf '%s$ %s%s\n' "$bold" "$*" "$reset"
  eval "$*" 2>&1
  local rc=$?
  # A prompt comes back: that is when the hook runs.
  _awsctx_hook
  return $rc
}
check() {
  steps=$((steps + 1))
  if eval "$1"; then
    printf '%s  ✓ %s%s\n' "$green" "$2" "$reset"
  else
    printf '%s  ✗ %s (check: %s)%s\n' "$red" "$2" "$1" "$reset"
    exit 1
  fi
}

eval "$(awsctx hook bash)"
_awsctx_hook

section "Set up SSO once: configure sso writes [sso-session] and [profile]"
run awsctx configure sso --start-url "$DEMO_START_URL" --sso-region us-east-1 --sso-session corp \
  --account-id 111111111111 --role-name ReadOnlyAccess --region eu-west-1 --profile payments-ro
check '[[ -f ~/.aws/config ]] && grep -q "^\[sso-session corp\]" ~/.aws/config' "config has [sso-session corp]"
check 'grep -q "^\[profile payments-ro\]" ~/.aws/config' "config has [profile payments-ro]"

section "Log in again any time (the fake browser approves; PKCE on a loopback port)"
run awsctx login --sso-session corp
check 'ls ~/.aws/sso/cache/*.json >/dev/null 2>&1' "token written to ~/.aws/sso/cache, where the AWS CLI looks"

section "One profile per account and role"
run awsctx populate --sso-session corp
check '[[ $(grep -c "^\[profile " ~/.aws/config) -gt 4 ]]' "profiles generated in a managed block"
run awsctx list

section "Tab-completion of profile names"
COMP_WORDS=(awsctx pay) COMP_CWORD=1 COMP_TYPE=9 _clap_complete_awsctx awsctx pay awsctx
printf '%s$ awsctx pay<TAB>%s\n%s\n' "$bold" "$reset" "${COMPREPLY[*]}"
check '[[ " ${COMPREPLY[*]} " == *" payments-ro "* ]]' "profile names complete"

section "Switch this shell, and back"
other=$(awsctx list --json | grep -o '"name": "[^"]*"' | cut -d'"' -f4 | grep -vx -e default -e payments-ro | head -1)
run awsctx payments-ro
check '[[ $AWS_PROFILE == payments-ro && -n ${AWS_ACCESS_KEY_ID-} && -n ${AWS_CREDENTIAL_EXPIRATION-} ]]' "AWS_PROFILE=payments-ro with fresh short-term keys"
run awsctx "$other"
check '[[ $AWS_PROFILE == "$other" ]]' "switched to $other"
run awsctx -
check '[[ $AWS_PROFILE == payments-ro ]]' "back to payments-ro"
run awsctx status

section "By what you have in hand: an account id, an ARN, a region"
run awsctx 111114111120
check '[[ $AWS_PROFILE == billing-prod-AdministratorAccess ]]' "an account id switches to its one profile"
run awsctx arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnlyAccess_0123456789abcdef/alice@example.com
check '[[ $AWS_PROFILE == payments-ro ]]' "an IAM Identity Center session's ARN switches to its permission set's profile"
run awsctx -r us-east-1
check '[[ $AWS_PROFILE == payments-ro && $AWS_REGION == us-east-1 ]]' "--region alone changes only the region"
run awsctx -
check '[[ $AWS_REGION == eu-west-1 ]]' "- brings the region back"

section "Per directory: a pin, and a repository's .aws-profile"
mkdir -p "$DEMO_WORK/pinned/sub" "$DEMO_WORK/repo"
run cd "$DEMO_WORK/pinned"
run awsctx pin "$other"
run cd sub
check '[[ $AWS_PROFILE == "$other" ]]' "the pin applies below the pinned directory"
run cd "$DEMO_WORK"
check '[[ $AWS_PROFILE == payments-ro ]]' "leaving the pinned tree restores payments-ro"
printf '%s\n' "# this repository deploys with:" "$other" >"$DEMO_WORK/repo/.aws-profile"
run cd "$DEMO_WORK/repo"
check '[[ $AWS_PROFILE == payments-ro ]]' "an .aws-profile that was never allowed does not switch"
run awsctx allow
check '[[ $AWS_PROFILE == "$other" ]]' "after awsctx allow it does"
run cd "$DEMO_WORK"

section "Keys for other tools"
run "awsctx export payments-ro --format env | sed -E 's/=(.{8}).*/=\\1…/'"
run "awsctx export payments-ro --format process | head -3"
check 'awsctx export payments-ro --format process | grep -q "\"Version\": 1"' "credential_process JSON"
run "awsctx exec payments-ro -- sh -c 'echo \"in the child: AWS_PROFILE=\$AWS_PROFILE\"'"
check '[[ $(awsctx exec payments-ro -- sh -c "echo \$AWS_PROFILE") == payments-ro ]]' "exec gives the child the profile"

section "Is everything healthy?"
run awsctx doctor
check 'awsctx doctor >/dev/null 2>&1' "doctor finds nothing to fix"

printf '\n%sdemo: all %d checks passed%s\n' "$green" "$steps" "$reset"
