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
# Optional:
#   BASE_REF         a git ref (e.g. origin/main): report what the change does against it (`rollway preview
#                    --base`). When none of the stack's inputs differ from BASE_REF (byte-identical program,
#                    tool, policies, Pulumi.<STACK>.yaml and policies/config/<STACK>/), the gate is not re-run
#                    and the report says the stack is unchanged.
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

# What can change a stack's preview: everything tracked except docs, tests, benchmarks and other stacks' config.
stack_inputs_changed() {
  local status=0
  git diff --quiet "$BASE_REF" -- . ':(exclude)docs' ':(exclude)tests' ':(exclude)bench' ':(exclude)*.md' \
    ':(exclude)Pulumi.*.yaml' ':(exclude)Pulumi.*.yml' ':(exclude)policies/config' || status=$?
  if ((status == 0)); then
    git diff --quiet "$BASE_REF" -- "Pulumi.$STACK.yaml" "Pulumi.$STACK.yml" "policies/config/$STACK" || status=$?
  fi
  case "$status" in
    0) return 1 ;;
    1) return 0 ;;
    *)
      echo "::error title=Rollway preflight ($STACK)::cannot compare with BASE_REF '$BASE_REF' (fetch it: actions/checkout with fetch-depth: 0)"
      exit 2
      ;;
  esac
}

base_flags=()
if [[ -n "${BASE_REF:-}" ]]; then
  if ! stack_inputs_changed; then
    tick='`'
    printf '#### %s: unchanged\n\nNo input of this stack differs from %s; the gate was not re-run.\n' \
      "$tick$STACK$tick" "$tick$BASE_REF$tick" > "$REPORT"
    if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then cat "$REPORT" >> "$GITHUB_STEP_SUMMARY"; fi
    echo "Stack $STACK is unchanged by this pull request; the gate was not re-run."
    exit 0
  fi
  base_flags=(--base "$BASE_REF")
fi

status=0
rollway preview --stack "$STACK" ${base_flags[@]+"${base_flags[@]}"} \
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
