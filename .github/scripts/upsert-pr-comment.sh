#!/usr/bin/env bash
# Creates or updates one pull-request comment, found again by a hidden marker on its first line, so
# every push edits the same comment instead of adding another.
#
# Environment:
#   GH_TOKEN           token with pull-requests: write
#   GITHUB_REPOSITORY  owner/name
#   PR_NUMBER          pull request number
#   MARKER             identifies the comment, e.g. rollway-preflight-dev (letters, digits, '-', '_', '.')
#   BODY_FILE          Markdown body; when missing, FALLBACK_BODY is posted instead
#   FALLBACK_BODY      optional text for a missing BODY_FILE
#   COMMENT_AUTHOR     login whose comments may be edited (default github-actions[bot], the GITHUB_TOKEN's)
set -euo pipefail

# GitHub rejects comment bodies over 65536 characters; counting bytes (>= characters) stays below it.
MAX_BODY_BYTES=60000

fail() {
  echo "::error title=upsert-pr-comment::$1"
  exit 2
}

[[ "${PR_NUMBER:-}" =~ ^[1-9][0-9]*$ ]] || fail "PR_NUMBER must be a pull request number, got '${PR_NUMBER:-}'"
[[ "${MARKER:-}" =~ ^[A-Za-z0-9._-]+$ ]] || fail "MARKER must be letters, digits, '.', '_' or '-', got '${MARKER:-}'"
[[ -n "${GITHUB_REPOSITORY:-}" ]] || fail "GITHUB_REPOSITORY is not set"

header="<!-- ${MARKER} -->"
body_path="$(mktemp)"
trap 'rm -f "$body_path"' EXIT

{
  echo "$header"
  if [[ -n "${BODY_FILE:-}" && -s "$BODY_FILE" ]]; then
    bytes="$(wc -c < "$BODY_FILE")"
    if ((bytes > MAX_BODY_BYTES)); then
      # iconv -c drops a multi-byte character the cut may have split.
      head -c "$MAX_BODY_BYTES" "$BODY_FILE" | iconv -f UTF-8 -t UTF-8 -c
      printf '\n\n_Truncated: the full report is in the workflow run summary._\n'
    else
      cat "$BODY_FILE"
    fi
  else
    echo "${FALLBACK_BODY:-No report was produced; see the workflow run.}"
  fi
} > "$body_path"

comment_id="$(
  gh api --paginate "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" |
    jq -r --arg header "$header" --arg author "${COMMENT_AUTHOR:-github-actions[bot]}" \
      '.[] | select(.user.login == $author and (.body | startswith($header))) | .id' |
    head -n 1
)"

if [[ -n "$comment_id" ]]; then
  gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${comment_id}" -F "body=@${body_path}" > /dev/null
  echo "Updated comment ${comment_id} on pull request #${PR_NUMBER}."
else
  gh api --method POST "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" -F "body=@${body_path}" > /dev/null
  echo "Commented on pull request #${PR_NUMBER}."
fi
