#!/usr/bin/env bash
# Logs in to the Pulumi backend and tells whether the project has stack $STACK, as step output
# `exists=true|false`, so clean-up of a never-deployed preview stack is a no-op rather than an error.
#
# Environment:
#   STACK               stack name, e.g. pr-123
#   QUALIFIED_STACK     optional org-qualified name, e.g. acme/pr-123
#   PULUMI_BACKEND_URL  optional backend URL (empty: Pulumi Cloud, with PULUMI_ACCESS_TOKEN)
#   GITHUB_OUTPUT       set by the runner
set -euo pipefail

[[ "${STACK:-}" =~ ^[A-Za-z0-9._-]+$ ]] || {
  echo "::error title=stack-exists::STACK must be a stack name, got '${STACK:-}'"
  exit 2
}

if [[ -n "${PULUMI_BACKEND_URL:-}" ]]; then
  pulumi login --non-interactive "$PULUMI_BACKEND_URL"
else
  pulumi login --non-interactive
fi

# A listing failure (auth, network) must fail the job, not read as "no stack".
stacks="$(pulumi stack ls --json --non-interactive)"
count="$(
  jq --arg stack "$STACK" --arg qualified "${QUALIFIED_STACK:-$STACK}" \
    '[.[] | .name | select(. == $stack or . == $qualified or endswith("/" + $stack))] | length' <<< "$stacks"
)"

if ((count > 0)); then
  echo "Stack $STACK exists."
  echo "exists=true" >> "$GITHUB_OUTPUT"
else
  echo "Stack $STACK does not exist; nothing to clean up."
  echo "exists=false" >> "$GITHUB_OUTPUT"
fi
