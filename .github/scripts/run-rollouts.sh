#!/usr/bin/env bash
# Runs `rollway rollout` for every release spec of one environment that changed in the pushed commits.
# Git holds the desired release: rollouts/<environment>/<service>.yaml (a rollout spec with `image:`).
# Each changed spec is rolled out in turn; the first one that does not promote stops the rest.
#
# Environment:
#   STACK           stack name (with any org/prefix), e.g. acme/rollway/prod   (required)
#   ENVIRONMENT     environment directory under rollouts/, e.g. prod           (required)
#   BEFORE, AFTER   the push's range (github.event.before, github.sha); BEFORE empty or all zeros: nothing runs
#   EVENTS          JSON-lines event file (default: rollout-events.jsonl)
#   NOTIFY_WEBHOOK  optional: a webhook URL (slack:<URL> for Slack) for milestones
#   GITHUB_OUTPUT   receives `changed=true|false` (whether any rollout ran, so its state is committed back)
# Exit status: 0 every rollout promoted (or none ran), 1 one rolled back, 2 usage error, else rollway's.
set -euo pipefail

missing=()
for name in STACK ENVIRONMENT; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
  echo "::error title=rollout::missing environment variable(s): ${missing[*]}"
  exit 2
fi

output() {
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    echo "$1" >>"$GITHUB_OUTPUT"
  fi
}

before="${BEFORE:-}"
after="${AFTER:-HEAD}"
if [[ -z "$before" || "$before" =~ ^0+$ ]]; then
  echo "no push range (manual run or first push): no release specs to roll out"
  output "changed=false"
  exit 0
fi

specs=()
while IFS= read -r path; do
  [[ -n "$path" ]] && specs+=("$path")
done < <(git diff --name-only --diff-filter=AM "$before" "$after" -- "rollouts/$ENVIRONMENT/*.yaml" "rollouts/$ENVIRONMENT/*.yml")

if ((${#specs[@]} == 0)); then
  echo "no release spec changed under rollouts/$ENVIRONMENT/"
  output "changed=false"
  exit 0
fi

notify=()
if [[ -n "${NOTIFY_WEBHOOK:-}" ]]; then
  notify=(--notify "$NOTIFY_WEBHOOK")
fi

output "changed=true"
for spec in "${specs[@]}"; do
  echo "::group::rollway rollout $spec"
  status=0
  rollway rollout --stack "$STACK" --spec "$spec" --events "${EVENTS:-rollout-events.jsonl}" "${notify[@]}" || status=$?
  echo "::endgroup::"
  if ((status != 0)); then
    echo "::error title=rollout $spec::rollway rollout exited $status (1: rolled back, 2: usage error); later specs were not rolled out"
    exit "$status"
  fi
done
