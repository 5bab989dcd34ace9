#!/usr/bin/env bash
# Keeps one open GitHub issue per drifting stack: opens it on the first failed drift check, comments on
# it while the stack keeps drifting, and closes it once both checks pass again (a skipped or cancelled
# check leaves it as it is).
#
# Environment:
#   GH_TOKEN            token with issues: write
#   GITHUB_REPOSITORY   owner/name
#   STACK               stack name, e.g. prod
#   REFRESH_OUTCOME     outcome of `pulumi refresh --preview-only --expect-no-changes` (cloud vs state)
#   PREVIEW_OUTCOME     outcome of `pulumi preview --expect-no-changes` (state vs the code on main)
#   DETAILS_FILE        optional log of the refresh preview, quoted (tail) in the report
#   RUN_URL             link to the workflow run
set -euo pipefail

LABEL="drift"
MAX_DETAIL_BYTES=50000

fail() {
  echo "::error title=report-drift::$1"
  exit 2
}

[[ "${STACK:-}" =~ ^[A-Za-z0-9._/-]+$ ]] || fail "STACK must be a stack name, got '${STACK:-}'"
[[ -n "${GITHUB_REPOSITORY:-}" ]] || fail "GITHUB_REPOSITORY is not set"
for outcome_var in REFRESH_OUTCOME PREVIEW_OUTCOME; do
  case "${!outcome_var:-}" in
    success | failure | skipped | cancelled) ;;
    *) fail "$outcome_var must be a step outcome (success, failure, skipped, cancelled), got '${!outcome_var:-}'" ;;
  esac
done

title="Drift detected on stack ${STACK}"
run_link="${RUN_URL:-the latest drift-detection run}"

describe() {
  case "$1" in
    success) echo "no changes" ;;
    failure) echo "**changes found, or the check failed**" ;;
    skipped) echo "not run" ;;
    cancelled) echo "cancelled" ;;
  esac
}

existing="$(
  gh issue list --repo "$GITHUB_REPOSITORY" --state open --label "$LABEL" --limit 200 --json number,title |
    jq -r --arg title "$title" '.[] | select(.title == $title) | .number' |
    head -n 1
)"

if [[ "$REFRESH_OUTCOME" != "failure" && "$PREVIEW_OUTCOME" != "failure" ]]; then
  # Only two passing checks prove the stack is clean; a skipped or cancelled check proves nothing.
  if [[ "$REFRESH_OUTCOME" != "success" || "$PREVIEW_OUTCOME" != "success" ]]; then
    echo "Drift checks on stack ${STACK} were inconclusive (refresh: ${REFRESH_OUTCOME}, preview: ${PREVIEW_OUTCOME}); issue left as is."
  elif [[ -n "$existing" ]]; then
    gh issue close "$existing" --repo "$GITHUB_REPOSITORY" \
      --comment "Stack \`${STACK}\` matches its state and the code on main again (${run_link}). Closing."
    echo "Closed drift issue #${existing} for stack ${STACK}."
  else
    echo "No drift on stack ${STACK}."
  fi
  exit 0
fi

body="$(mktemp)"
trap 'rm -f "$body"' EXIT
{
  echo "Scheduled drift detection found differences on stack \`${STACK}\`."
  echo
  echo "| Check | Result |"
  echo "| --- | --- |"
  echo "| Cloud vs state: \`pulumi refresh --preview-only --expect-no-changes\` | $(describe "$REFRESH_OUTCOME") |"
  echo "| State vs code on main: \`pulumi preview --expect-no-changes\` (policy packs enforced) | $(describe "$PREVIEW_OUTCOME") |"
  echo
  echo "Run: ${run_link}"
  if [[ -n "${DETAILS_FILE:-}" && -s "$DETAILS_FILE" ]]; then
    echo
    echo "<details><summary>Refresh preview output (last $((MAX_DETAIL_BYTES / 1000)) kB)</summary>"
    echo
    echo '`````text'
    tail -c "$MAX_DETAIL_BYTES" "$DETAILS_FILE" | iconv -f UTF-8 -t UTF-8 -c
    echo
    echo '`````'
    echo
    echo "</details>"
  fi
  echo
  echo "Out-of-band change: fix it in the cloud, or adopt it with \`pulumi refresh\` and a matching code change."
  echo "Unapplied code on main: check the latest Deploy run."
} > "$body"

if [[ -n "$existing" ]]; then
  gh issue comment "$existing" --repo "$GITHUB_REPOSITORY" --body-file "$body"
  echo "::warning title=Drift on ${STACK}::updated issue #${existing}"
else
  gh label create "$LABEL" --repo "$GITHUB_REPOSITORY" --color B60205 \
    --description "Stack differs from its state or code (scheduled drift detection)" --force > /dev/null
  gh issue create --repo "$GITHUB_REPOSITORY" --title "$title" --label "$LABEL" --body-file "$body"
  echo "::warning title=Drift on ${STACK}::opened an issue"
fi
