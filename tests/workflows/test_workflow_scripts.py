"""The helper scripts the workflows run, exercised against recording fakes of gh, rollway and pulumi."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from workflow_files import SCRIPTS_DIR

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("jq") is None, reason="the helper scripts need bash and jq"
)

# A stand-in CLI: records its argv (and any `-F body=@file` / `--body-file` contents) as JSON lines,
# answers from FAKE_<TOOL>_<VERB> files, exits with FAKE_<TOOL>_EXIT_<VERB> (default 0).
FAKE_CLI = """#!{python} -SE
import json, os, pathlib, sys
tool = pathlib.Path(sys.argv[0]).name
args = sys.argv[1:]
record = {{"tool": tool, "args": args}}
for index, arg in enumerate(args):
    if arg.startswith("body=@"):
        record["body"] = pathlib.Path(arg[len("body=@"):]).read_text()
    if arg == "--body-file":
        record["body"] = pathlib.Path(args[index + 1]).read_text()
    if arg == "--markdown" and tool == "rollway":
        pathlib.Path(args[index + 1]).write_text(os.environ.get("FAKE_REPORT", "# report\\n"))
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
verb = "_".join(a for a in args[:2] if not a.startswith("-")).upper().replace("-", "_")
answer = os.environ.get(f"FAKE_{{tool.upper()}}_{{verb}}")
if answer is not None:
    sys.stdout.write(answer)
sys.exit(int(os.environ.get(f"FAKE_{{tool.upper()}}_EXIT_{{verb}}", "0")))
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    calls: list[dict[str, Any]]

    def calls_to(self, *prefix: str) -> list[dict[str, Any]]:
        return [call for call in self.calls if call["args"][: len(prefix)] == list(prefix)]


@pytest.fixture
def run_script(tmp_path: Path) -> Callable[..., Run]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("gh", "rollway", "pulumi"):
        fake = bin_dir / tool
        fake.write_text(FAKE_CLI.format(python=sys.executable), encoding="utf-8")
        fake.chmod(0o755)
    log = tmp_path / "calls.jsonl"

    def run(script: str, **env: str) -> Run:
        log.write_text("", encoding="utf-8")
        base = {
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "FAKE_LOG": str(log),
            "GITHUB_REPOSITORY": "acme/infra",
            "HOME": str(tmp_path),
        }
        result = subprocess.run(
            ["bash", str(SCRIPTS_DIR / script)],
            env={**base, **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        return Run(result.returncode, result.stdout + result.stderr, calls)

    return run


def _comments(*comments: tuple[int, str, str]) -> str:
    return json.dumps([{"id": id_, "user": {"login": login}, "body": body} for id_, login, body in comments])


# ---- upsert-pr-comment.sh --------------------------------------------------------------------------------


def _comment_env(tmp_path: Path, comments: str = "[]", body: str = "## Preflight dev\nall good\n") -> dict[str, str]:
    report = tmp_path / "report.md"
    report.write_text(body, encoding="utf-8")
    return {"PR_NUMBER": "42", "MARKER": "rollway-preflight-dev", "BODY_FILE": str(report), "FAKE_GH_API": comments}


def test_comment_is_created_when_the_pull_request_has_none(run_script, tmp_path: Path) -> None:
    result = run_script("upsert-pr-comment.sh", **_comment_env(tmp_path))
    assert result.returncode == 0, result.stdout
    (post,) = result.calls_to("api", "--method", "POST")
    assert post["args"][3] == "repos/acme/infra/issues/42/comments"
    assert post["body"] == "<!-- rollway-preflight-dev -->\n## Preflight dev\nall good\n"


def test_comment_with_the_marker_is_edited_in_place(run_script, tmp_path: Path) -> None:
    comments = _comments((7, "octocat", "hello"), (9, "github-actions[bot]", "<!-- rollway-preflight-dev -->\nold"))
    result = run_script("upsert-pr-comment.sh", **_comment_env(tmp_path, comments))
    assert result.returncode == 0, result.stdout
    assert result.calls_to("api", "--method", "POST") == []
    (patch,) = result.calls_to("api", "--method", "PATCH")
    assert patch["args"][3] == "repos/acme/infra/issues/comments/9"


def test_comment_of_another_stack_is_left_alone(run_script, tmp_path: Path) -> None:
    comments = _comments((9, "github-actions[bot]", "<!-- rollway-preflight-prod -->\nprod report"))
    result = run_script("upsert-pr-comment.sh", **_comment_env(tmp_path, comments))
    assert len(result.calls_to("api", "--method", "POST")) == 1
    assert result.calls_to("api", "--method", "PATCH") == []


def test_marker_comment_by_a_person_is_never_edited(run_script, tmp_path: Path) -> None:
    comments = _comments((5, "mallory", "<!-- rollway-preflight-dev -->\nplease edit me"))
    result = run_script("upsert-pr-comment.sh", **_comment_env(tmp_path, comments))
    assert result.calls_to("api", "--method", "PATCH") == []
    assert len(result.calls_to("api", "--method", "POST")) == 1


def test_missing_report_posts_the_fallback_text(run_script, tmp_path: Path) -> None:
    env = {**_comment_env(tmp_path), "BODY_FILE": str(tmp_path / "absent.md"), "FALLBACK_BODY": "no report for dev"}
    result = run_script("upsert-pr-comment.sh", **env)
    (post,) = result.calls_to("api", "--method", "POST")
    assert post["body"] == "<!-- rollway-preflight-dev -->\nno report for dev\n"


def test_oversized_report_is_truncated_below_githubs_limit(run_script, tmp_path: Path) -> None:
    result = run_script("upsert-pr-comment.sh", **_comment_env(tmp_path, body="é" * 70_000))
    (post,) = result.calls_to("api", "--method", "POST")
    body = str(post["body"])
    assert len(body) < 65_536
    assert body.rstrip().endswith("_Truncated: the full report is in the workflow run summary._")


def test_comment_rejects_a_non_numeric_pull_request(run_script, tmp_path: Path) -> None:
    result = run_script("upsert-pr-comment.sh", **{**_comment_env(tmp_path), "PR_NUMBER": "42; rm -rf /"})
    assert result.returncode == 2
    assert "PR_NUMBER must be a pull request number" in result.stdout
    assert result.calls == []


# ---- report-drift.sh -------------------------------------------------------------------------------------


def _drift_env(refresh: str, preview: str, issues: str = "[]") -> dict[str, str]:
    return {
        "STACK": "prod",
        "REFRESH_OUTCOME": refresh,
        "PREVIEW_OUTCOME": preview,
        "RUN_URL": "https://github.example/acme/infra/actions/runs/1",
        "FAKE_GH_ISSUE_LIST": issues,
    }


OPEN_ISSUE = json.dumps(
    [{"number": 3, "title": "Drift detected on stack staging"}, {"number": 8, "title": "Drift detected on stack prod"}]
)


def test_drift_opens_a_labelled_issue(run_script, tmp_path: Path) -> None:
    details = tmp_path / "refresh.txt"
    details.write_text("~ aws:ec2/securityGroup:SecurityGroup web-lb update\n", encoding="utf-8")
    result = run_script("report-drift.sh", **_drift_env("failure", "success"), DETAILS_FILE=str(details))
    assert result.returncode == 0, result.stdout
    assert len(result.calls_to("label", "create", "drift")) == 1
    (create,) = result.calls_to("issue", "create")
    args = create["args"]
    assert args[args.index("--title") + 1] == "Drift detected on stack prod"
    assert args[args.index("--label") + 1] == "drift"
    assert "web-lb update" in str(create["body"])
    assert "**changes found, or the check failed**" in str(create["body"])


def test_continuing_drift_comments_on_the_open_issue(run_script) -> None:
    result = run_script("report-drift.sh", **_drift_env("success", "failure", OPEN_ISSUE))
    assert result.calls_to("issue", "create") == []
    (comment,) = result.calls_to("issue", "comment")
    assert comment["args"][2] == "8"


def test_clean_checks_close_the_open_issue(run_script) -> None:
    result = run_script("report-drift.sh", **_drift_env("success", "success", OPEN_ISSUE))
    (close,) = result.calls_to("issue", "close")
    assert close["args"][2] == "8"


def test_clean_checks_without_an_issue_change_nothing(run_script) -> None:
    result = run_script("report-drift.sh", **_drift_env("success", "success"))
    assert [call["args"][:2] for call in result.calls] == [["issue", "list"]]


def test_skipped_check_leaves_the_issue_open(run_script) -> None:
    result = run_script("report-drift.sh", **_drift_env("skipped", "success", OPEN_ISSUE))
    assert result.returncode == 0
    assert result.calls_to("issue", "close") == []
    assert "inconclusive" in result.stdout


def test_drift_rejects_an_unknown_outcome(run_script) -> None:
    result = run_script("report-drift.sh", **_drift_env("failed", "success"))
    assert result.returncode == 2
    assert "REFRESH_OUTCOME must be a step outcome" in result.stdout


# ---- preflight.sh ----------------------------------------------------------------------------------------


def _preflight_env(tmp_path: Path) -> dict[str, str]:
    return {
        "STACK": "staging",
        "SECURITY_PACK": "policies/security",
        "COST_PACK": "policies/cost",
        "SECURITY_CONFIG": "policies/config/staging/security.json",
        "COST_CONFIG": "policies/config/staging/cost.json",
        "REPORT": str(tmp_path / "out" / "preflight.md"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def test_preflight_runs_rollway_with_both_packs_and_configs(run_script, tmp_path: Path) -> None:
    result = run_script("preflight.sh", **_preflight_env(tmp_path))
    assert result.returncode == 0, result.stdout
    (call,) = result.calls
    assert call["args"] == [
        "preview", "--stack", "staging",
        "--policy-pack", "policies/security", "--policy-pack", "policies/cost",
        "--policy-pack-config", "policies/config/staging/security.json",
        "--policy-pack-config", "policies/config/staging/cost.json",
        "--markdown", str(tmp_path / "out" / "preflight.md"),
    ]  # fmt: skip


def test_preflight_report_lands_in_the_step_summary(run_script, tmp_path: Path) -> None:
    run_script("preflight.sh", **_preflight_env(tmp_path), FAKE_REPORT="| policy | result |\n")
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == "| policy | result |\n"


@pytest.mark.parametrize("status", [1, 2])
def test_preflight_fails_with_rollways_exit_status(run_script, tmp_path: Path, status: int) -> None:
    result = run_script("preflight.sh", **_preflight_env(tmp_path), FAKE_ROLLWAY_EXIT_PREVIEW=str(status))
    assert result.returncode == status
    assert "::error title=Rollway preflight (staging)::" in result.stdout


def test_preflight_names_missing_settings(run_script, tmp_path: Path) -> None:
    env = _preflight_env(tmp_path)
    del env["COST_CONFIG"], env["STACK"]
    result = run_script("preflight.sh", **env)
    assert result.returncode == 2
    assert "missing environment variable(s): STACK COST_CONFIG" in result.stdout
    assert result.calls == []


# ---- stack-exists.sh -------------------------------------------------------------------------------------


def _stack_env(tmp_path: Path, stacks: list[str]) -> dict[str, str]:
    return {
        "STACK": "pr-12",
        "QUALIFIED_STACK": "acme/pr-12",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "FAKE_PULUMI_STACK_LS": json.dumps([{"name": name} for name in stacks]),
    }


@pytest.mark.parametrize(
    ("stacks", "exists"),
    [(["dev", "pr-12"], "true"), (["acme/rollway/pr-12"], "true"), (["pr-120", "pr-1"], "false"), ([], "false")],
)
def test_stack_exists_reports_whether_the_stack_is_there(run_script, tmp_path: Path, stacks: list[str], exists: str) -> None:
    result = run_script("stack-exists.sh", **_stack_env(tmp_path, stacks))
    assert result.returncode == 0, result.stdout
    assert (tmp_path / "output").read_text(encoding="utf-8") == f"exists={exists}\n"


def test_stack_listing_failure_fails_instead_of_reporting_absence(run_script, tmp_path: Path) -> None:
    result = run_script("stack-exists.sh", **_stack_env(tmp_path, []), FAKE_PULUMI_EXIT_STACK_LS="255")
    assert result.returncode == 255
    assert not (tmp_path / "output").exists()


def test_stack_exists_logs_in_to_the_configured_backend(run_script, tmp_path: Path) -> None:
    result = run_script("stack-exists.sh", **_stack_env(tmp_path, []), PULUMI_BACKEND_URL="s3://acme-state")
    assert result.calls[0]["args"] == ["login", "--non-interactive", "s3://acme-state"]


# ---- preflight.sh against the base branch -----------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _base_repo(tmp_path: Path) -> None:
    """tmp_path (the scripts' working directory) as a repository: `main` with two stacks, `feature` checked out."""
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "t@example.com")
    _git(tmp_path, "config", "user.name", "T")
    for name, text in {
        "__main__.py": "print('program')\n",
        "Pulumi.staging.yaml": "config: {}\n",
        "Pulumi.prod.yaml": "config: {}\n",
        "docs/guide.md": "guide\n",
        "policies/config/prod/cost.json": "{}\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    _git(tmp_path, "add", "__main__.py", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "docs", "policies")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _git(tmp_path, "checkout", "-q", "-b", "feature")


def _change(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    _git(tmp_path, "commit", "-q", "-am", f"change {name}")


@pytest.mark.parametrize(
    ("changed", "stack", "reruns"),
    [
        ("Pulumi.staging.yaml", "staging", True),
        ("Pulumi.prod.yaml", "staging", False),  # another stack's config
        ("docs/guide.md", "staging", False),
        ("__main__.py", "staging", True),  # the program feeds every stack
        ("policies/config/prod/cost.json", "prod", True),
        ("policies/config/prod/cost.json", "staging", False),
    ],
)
def test_preflight_reruns_only_stacks_whose_inputs_changed(
    run_script, tmp_path: Path, changed: str, stack: str, reruns: bool
) -> None:
    _base_repo(tmp_path)
    _change(tmp_path, changed, "changed\n")
    result = run_script("preflight.sh", **{**_preflight_env(tmp_path), "STACK": stack, "BASE_REF": "main"})
    assert result.returncode == 0, result.stdout
    report = (tmp_path / "out" / "preflight.md").read_text(encoding="utf-8")
    if reruns:
        (call,) = result.calls
        assert call["args"][:5] == ["preview", "--stack", stack, "--base", "main"]
    else:
        assert result.calls == []
        assert report == f"#### `{stack}`: unchanged\n\nNo input of this stack differs from `main`; the gate was not re-run.\n"


def test_preflight_with_an_unknown_base_is_a_usage_error(run_script, tmp_path: Path) -> None:
    _base_repo(tmp_path)
    result = run_script("preflight.sh", **_preflight_env(tmp_path), BASE_REF="origin/nope")
    assert result.returncode == 2
    assert "cannot compare with BASE_REF 'origin/nope'" in result.stdout
    assert result.calls == []
