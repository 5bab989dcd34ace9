#!/usr/bin/env bash
# Commits the stack file a rollout changed back to main, so git says what the stack now runs: the new live
# color, canary weight 0, the old color's image removed (or, after a rollback, the old color still live).
# `pulumi up` from git and the drift check then agree with reality instead of undoing the release.
#
# Environment:
#   ENVIRONMENT  stack file is Pulumi.<ENVIRONMENT>.yaml (required)
#   PUSH_TOKEN   a token allowed to push to main (contents: write, branch-protection bypass) (required)
#   GITHUB_REPOSITORY, GITHUB_SERVER_URL  set by Actions
# The commit message carries [skip ci]: the stack already runs what it records. A push race with another
# commit is retried on top of it (rebase); a real conflict on the same keys fails loudly.
set -euo pipefail

missing=()
for name in ENVIRONMENT PUSH_TOKEN GITHUB_REPOSITORY; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
  echo "::error title=rollout state::missing environment variable(s): ${missing[*]}"
  exit 2
fi

file="Pulumi.$ENVIRONMENT.yaml"
if git diff --quiet -- "$file"; then
  echo "$file unchanged: nothing to commit"
  exit 0
fi

git config user.name "rollway-rollout[bot]"
git config user.email "rollway-rollout@users.noreply.github.com"
git add -- "$file"
git commit --quiet -m "rollway rollout: $ENVIRONMENT stack state after the rollout [skip ci]"

remote="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY.git"
remote="${remote/https:\/\//https://x-access-token:$PUSH_TOKEN@}"
for attempt in 1 2 3; do
  if git push --quiet "$remote" HEAD:main; then
    echo "committed $file to main"
    exit 0
  fi
  echo "push attempt $attempt refused; rebasing on the latest main"
  git pull --quiet --rebase "$remote" main || {
    echo "::error title=rollout state::$file conflicts with a newer commit on main; reconcile it by hand (the stack runs what this job's $file says)"
    exit 1
  }
done
echo "::error title=rollout state::could not push $file to main after 3 attempts"
exit 1
