"""run-rollouts.sh and commit-rollout-state.sh against a real git repository and a recording fake rollway."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_files import SCRIPTS_DIR

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("git") is None, reason="needs bash and git")

FAKE_ROLLWAY = """#!{python} -SE
import json, os, sys
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
spec = sys.argv[sys.argv.index("--spec") + 1]
sys.exit(int(os.environ.get("FAKE_EXIT_" + os.path.basename(spec).split(".")[0].upper(), "0")))
"""


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "rollouts" / "prod").mkdir(parents=True)
    (root / "rollouts" / "dev").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / "rollouts" / "prod" / "web.yaml").write_text("service: web\nimage: web:1\n")
    (root / "Pulumi.prod.yaml").write_text("config: {}\n")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "base")
    return root


def _run(repo: Path, tmp_path: Path, script: str, **env: str) -> tuple[int, str, list[list[str]]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "rollway"
    fake.write_text(FAKE_ROLLWAY.format(python=sys.executable))
    fake.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    log.write_text("")
    output = tmp_path / "output"
    output.write_text("")
    base = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LOG": str(log), "GITHUB_OUTPUT": str(output), "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", str(SCRIPTS_DIR / script)],
        cwd=repo,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return result.returncode, result.stdout + result.stderr + output.read_text(), calls


def _push_release(repo: Path, *files: tuple[str, str]) -> tuple[str, str]:
    before = _git(repo, "rev-parse", "HEAD")
    for path, text in files:
        (repo / path).write_text(text)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "release")
    return before, _git(repo, "rev-parse", "HEAD")


def test_a_changed_release_spec_of_the_environment_is_rolled_out(repo, tmp_path):
    before, after = _push_release(
        repo, ("rollouts/prod/web.yaml", "service: web\nimage: web:2\n"), ("rollouts/dev/web.yaml", "x")
    )

    code, text, calls = _run(repo, tmp_path, "run-rollouts.sh", STACK="acme/prod", ENVIRONMENT="prod", BEFORE=before, AFTER=after)

    assert code == 0, text
    assert calls == [["rollout", "--stack", "acme/prod", "--spec", "rollouts/prod/web.yaml", "--events", "rollout-events.jsonl"]]
    assert "changed=true" in text


def test_no_changed_spec_runs_nothing(repo, tmp_path):
    before, after = _push_release(repo, ("Pulumi.prod.yaml", "config: {a: 1}\n"))

    code, text, calls = _run(repo, tmp_path, "run-rollouts.sh", STACK="prod", ENVIRONMENT="prod", BEFORE=before, AFTER=after)

    assert (code, calls) == (0, []) and "changed=false" in text


def test_a_manual_run_without_a_push_range_runs_nothing(repo, tmp_path):
    code, text, calls = _run(repo, tmp_path, "run-rollouts.sh", STACK="prod", ENVIRONMENT="prod", BEFORE="0" * 40)

    assert (code, calls) == (0, []) and "changed=false" in text


def test_a_rolled_back_release_stops_the_next_and_fails(repo, tmp_path):
    before, after = _push_release(
        repo, ("rollouts/prod/api.yaml", "service: api\n"), ("rollouts/prod/web.yaml", "service: web\nimage: web:2\n")
    )

    code, text, calls = _run(
        repo, tmp_path, "run-rollouts.sh", STACK="prod", ENVIRONMENT="prod", BEFORE=before, AFTER=after, FAKE_EXIT_API="1"
    )

    assert code == 1
    assert [call[4] for call in calls] == ["rollouts/prod/api.yaml"]
    assert "changed=true" in text and "later specs were not rolled out" in text


def test_the_webhook_is_passed_when_set(repo, tmp_path):
    before, after = _push_release(repo, ("rollouts/prod/web.yaml", "service: web\nimage: web:3\n"))

    _, _, calls = _run(
        repo,
        tmp_path,
        "run-rollouts.sh",
        STACK="prod",
        ENVIRONMENT="prod",
        BEFORE=before,
        AFTER=after,
        NOTIFY_WEBHOOK="slack:https://h/x",
    )

    assert calls[0][-2:] == ["--notify", "slack:https://h/x"]


def test_missing_settings_exit_two(repo, tmp_path):
    code, text, _ = _run(repo, tmp_path, "run-rollouts.sh", ENVIRONMENT="prod")

    assert code == 2 and "STACK" in text


def test_commit_back_pushes_the_changed_stack_file_to_main(repo, tmp_path):
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", str(remote))
    _git(repo, "push", "-q", str(remote), "main")
    (repo / "Pulumi.prod.yaml").write_text("config:\n  rollway:services: {web: {liveColor: green}}\n")

    code, text, _ = _run(
        repo,
        tmp_path,
        "commit-rollout-state.sh",
        ENVIRONMENT="prod",
        PUSH_TOKEN="tok",
        GITHUB_REPOSITORY="remote",  # the script pushes to <server>/<repository>.git: here the local bare remote
        GITHUB_SERVER_URL=f"file://{tmp_path}",
    )

    assert code == 0, text
    assert _git(remote, "log", "-1", "--format=%s", "main") == "rollway rollout: prod stack state after the rollout [skip ci]"
    assert _git(remote, "log", "-1", "--format=%an", "main") == "rollway-rollout[bot]"
    assert "liveColor: green" in _git(remote, "show", "main:Pulumi.prod.yaml")


def test_commit_back_with_an_unchanged_stack_file_does_nothing(repo, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")

    code, text, _ = _run(repo, tmp_path, "commit-rollout-state.sh", ENVIRONMENT="prod", PUSH_TOKEN="t", GITHUB_REPOSITORY="a/b")

    assert code == 0 and "unchanged" in text and _git(repo, "rev-parse", "HEAD") == head
