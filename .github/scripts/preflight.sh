#!/usr/bin/env bash
# Runs Rollway's offline gate for one stack: the program under mocks plus the security and cost policy
# packs with the environment's config. Needs no cloud credentials and no Pulumi backend.
#
# Environment (all required):
#   STACK            stack name; its config is Pulumi.<STACK>.yaml
#   SECURITY_PACK    path of the security policy pack
#   COST_PACK        path of the cost policy pack
#   SECURITY_CONFIG  the environment's security pack config (policies/config/<env>/security.json)
#   COST_CONFIG      the environment's cost pack config (policies/config/<env>/cost.json)
#   REPORT           where to write the Markdown summary
# Exit status is rollway's: 0 passed, 1 mandatory policy violation or program error, 2 usage error.
set -euo pipefail

missing=()
for name in STACK SECURITY_PACK COST_PACK SECURITY_CONFIG COST_CONFIG REPORT; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
  echo "::error title=preflight::missing environment variable(s): ${missing[*]}"
  exit 2
fi

mkdir -p "$(dirname "$REPORT")"
rm -f "$REPORT"

status=0
rollway preview --stack "$STACK" \
  --policy-pack "$SECURITY_PACK" --policy-pack "$COST_PACK" \
  --policy-pack-config "$SECURITY_CONFIG" --policy-pack-config "$COST_CONFIG" \
  --markdown "$REPORT" || status=$?

if [[ -f "$REPORT" && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  cat "$REPORT" >> "$GITHUB_STEP_SUMMARY"
fi

case "$status" in
  0) echo "Rollway preflight passed for stack $STACK." ;;
  1) echo "::error title=Rollway preflight ($STACK)::a mandatory policy was violated or the program failed; see the report above." ;;
  2) echo "::error title=Rollway preflight ($STACK)::usage error in the stack file, a policy pack or its config; see the message above." ;;
  *) echo "::error title=Rollway preflight ($STACK)::rollway exited with status $status." ;;
esac
exit "$status"
