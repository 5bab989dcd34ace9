"""pr_comment_section.py: one pull-request comment, one section per stack, against a stateful fake of `gh api`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from workflow_files import SCRIPTS_DIR

SCRIPT = SCRIPTS_DIR / "pr_comment_section.py"

# A fake `gh api` keeping the pull request's comments in a JSON file: list (with --jq as the script asks), POST,
# PATCH, DELETE. FAKE_GH_LOSE_FIRST_PATCH drops the first PATCH, as a concurrent writer's edit would.
FAKE_GH = """#!{python} -SE
import fcntl, json, os, pathlib, sys
args = sys.argv[1:]
state_path = pathlib.Path(os.environ["FAKE_GH_STATE"])
with open(state_path.with_suffix(".lock"), "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    state = json.loads(state_path.read_text())
    def field():
        value = args[args.index("-F") + 1][len("body=@"):]
        return pathlib.Path(value).read_text()
    if "--method" not in args:
        for comment in state["comments"]:
            print(json.dumps({{"id": comment["id"], "body": comment["body"], "login": comment["login"]}}))
    else:
        method, url = args[args.index("--method") + 1], args[args.index("--method") + 2]
        state["calls"].append(method)
        if method == "POST":
            state["next"] += 1
            state["comments"].append({{"id": state["next"], "body": field(), "login": "github-actions[bot]"}})
        elif method == "PATCH":
            target = int(url.rsplit("/", 1)[1])
            if os.environ.get("FAKE_GH_LOSE_FIRST_PATCH") and state["calls"].count("PATCH") == 1:
                pass
            else:
                for comment in state["comments"]:
                    if comment["id"] == target:
                        comment["body"] = field()
        elif method == "DELETE":
            target = int(url.rsplit("/", 1)[1])
            state["comments"] = [c for c in state["comments"] if c["id"] != target]
    state_path.write_text(json.dumps(state))
"""


@pytest.fixture
def gh(tmp_path: Path) -> dict[str, Any]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "gh"
    fake.write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"comments": [], "calls": [], "next": 100}), encoding="utf-8")
    return {"bin": bin_dir, "state": state, "dir": tmp_path}


def comments(gh: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(gh["state"].read_text(encoding="utf-8"))["comments"])


def seed(gh: dict[str, Any], *items: tuple[int, str, str]) -> None:
    state = json.loads(gh["state"].read_text(encoding="utf-8"))
    state["comments"] = [{"id": id_, "login": login, "body": body} for id_, login, body in items]
    gh["state"].write_text(json.dumps(state), encoding="utf-8")


def run(gh: dict[str, Any], section: str, body: str | None, background: bool = False, **env: str) -> Any:
    report = gh["dir"] / f"{section}.md"
    if body is not None:
        report.write_text(body, encoding="utf-8")
    full = {
        "PATH": f"{gh['bin']}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "FAKE_GH_STATE": str(gh["state"]),
        "GITHUB_REPOSITORY": "acme/infra",
        "PR_NUMBER": "42",
        "MARKER": "rollway-preflight",
        "SECTION": section,
        "SECTION_ORDER": "dev staging prod",
        "BODY_FILE": str(report),
        "SETTLE_SECONDS": "0.05",
        **env,
    }
    command = [sys.executable, str(SCRIPT)]
    if background:
        return subprocess.Popen(command, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(command, env=full, capture_output=True, text=True, timeout=60, check=False)


def test_first_section_creates_the_comment(gh) -> None:
    result = run(gh, "staging", "#### staging\nall good\n")
    assert result.returncode == 0, result.stdout + result.stderr
    (comment,) = comments(gh)
    assert comment["body"] == (
        "<!-- rollway-preflight -->\n## Rollway preflight\n\n"
        "<!-- section:staging -->\n#### staging\nall good\n<!-- /section:staging -->\n"
    )


def test_sections_keep_their_order_and_are_replaced_in_place(gh) -> None:
    run(gh, "prod", "prod v1")
    run(gh, "dev", "dev v1")
    run(gh, "prod", "prod v2")
    (comment,) = comments(gh)
    body = comment["body"]
    assert "prod v1" not in body
    assert body.index("dev v1") < body.index("prod v2")


def test_comment_by_a_person_with_the_marker_is_never_edited(gh) -> None:
    seed(gh, (5, "mallory", "<!-- rollway-preflight -->\nedit me"))
    run(gh, "dev", "dev report")
    mine = [comment for comment in comments(gh) if comment["login"] == "github-actions[bot]"]
    assert [comment["body"] for comment in comments(gh) if comment["id"] == 5] == ["<!-- rollway-preflight -->\nedit me"]
    assert len(mine) == 1


def test_a_lost_write_is_retried(gh) -> None:
    seed(gh, (7, "github-actions[bot]", "<!-- rollway-preflight -->\n## Rollway preflight\n"))
    result = run(gh, "dev", "dev report", FAKE_GH_LOSE_FIRST_PATCH="1")
    assert result.returncode == 0
    assert "(attempt 2)" in result.stdout
    assert "<!-- section:dev -->\ndev report\n<!-- /section:dev -->" in comments(gh)[0]["body"]


def test_duplicate_comments_are_merged_into_the_oldest(gh) -> None:
    header = "<!-- rollway-preflight -->\n## Rollway preflight\n\n"
    seed(
        gh,
        (11, "github-actions[bot]", header + "<!-- section:dev -->\ndev\n<!-- /section:dev -->\n"),
        (12, "github-actions[bot]", header + "<!-- section:prod -->\nprod\n<!-- /section:prod -->\n"),
    )
    run(gh, "staging", "staging")
    (comment,) = comments(gh)
    assert comment["id"] == 11
    assert [name for name in ("dev", "staging", "prod") if f"<!-- section:{name} -->" in comment["body"]] == [
        "dev",
        "staging",
        "prod",
    ]


def test_parallel_legs_end_in_one_comment_with_every_section(gh) -> None:
    legs = [run(gh, stack, f"{stack} report", background=True) for stack in ("dev", "staging", "prod")]
    for leg in legs:
        leg.wait(timeout=60)
    assert [leg.returncode for leg in legs] == [0, 0, 0]
    (comment,) = comments(gh)
    assert all(f"{stack} report" in comment["body"] for stack in ("dev", "staging", "prod"))


def test_missing_report_posts_the_fallback(gh) -> None:
    run(gh, "dev", None, FALLBACK_BODY="no report for dev")
    assert "<!-- section:dev -->\nno report for dev\n<!-- /section:dev -->" in comments(gh)[0]["body"]


def test_oversized_section_is_cut_below_githubs_limit(gh) -> None:
    run(gh, "dev", "é" * 70_000)
    body = comments(gh)[0]["body"]
    assert len(body) < 65_536
    assert "_Truncated: the full report is in the workflow run summary._" in body


@pytest.mark.parametrize(("key", "value"), [("PR_NUMBER", "42; rm -rf /"), ("SECTION", "dev prod"), ("MARKER", "")])
def test_bad_environment_is_refused_before_any_call(gh, key: str, value: str) -> None:
    result = run(gh, "dev", "x", **{key: value})
    assert result.returncode == 2
    assert f"::error title=pr_comment_section::{key}" in result.stdout
    assert json.loads(gh["state"].read_text(encoding="utf-8"))["calls"] == []
