"""`rollway preview` end to end on the public-bucket fixture with the guardrails pack: exit code, the human
view, the JSON schema, and Markdown/Mermaid snapshots (one run shared by the module: a pack costs ~1 s)."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from preflight_support import PACKS, PROGRAMS

from rollway.cli import main

SNAPSHOTS = Path(__file__).parent / "snapshots"


@dataclass
class Outputs:
    code: int
    text: str
    err: str
    report: dict
    markdown: str
    graph: str


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    folder = tmp_path_factory.mktemp("preview")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(
            [
                "preview",
                "--cwd",
                str(PROGRAMS / "public-bucket"),
                "--stack",
                "dev",
                "--policy-pack",
                str(PACKS / "guardrails"),
                "--policy-pack-config",
                str(PACKS / "guardrails-config.json"),
                "--json",
                str(folder / "report.json"),
                "--markdown",
                str(folder / "comment.md"),
                "--graph",
                str(folder / "graph.mmd"),
            ]
        )
    return Outputs(
        code,
        out.getvalue(),
        err.getvalue(),
        json.loads((folder / "report.json").read_text()),
        (folder / "comment.md").read_text(),
        (folder / "graph.mmd").read_text(),
    )


def check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
    assert actual == path.read_text(), f"{name} changed; rerun with UPDATE_SNAPSHOTS=1 if intended"


def test_mandatory_violation_exits_1(outputs: Outputs) -> None:
    assert outputs.code == 1


def test_human_view_shows_the_tree_and_the_mandatory_violation(outputs: Outputs) -> None:
    assert " +   ├─ aws:s3/bucket:Bucket  assets" in outputs.text
    assert (
        'Policy violations, mandatory (1):\n    [guardrails] no-public-bucket-acl  aws:s3/bucket:Bucket "assets"' in outputs.text
    )
    assert outputs.text.rstrip().endswith("Preview failed: 1 mandatory policy violation.")


def test_json_report_keeps_its_documented_schema(outputs: Outputs) -> None:
    report = outputs.report
    assert list(report) == ["schemaVersion", "project", "stack", "mode", "resources", "diagnostics", "outputs", "summary"]
    assert report["schemaVersion"] == 1
    assert set(report["resources"][0]) == {"urn", "type", "name", "parent", "custom", "inputs", "dependencies"}
    assert set(report["diagnostics"][0]) == {"pack", "policy", "level", "severity", "urn", "message"}
    assert set(report["summary"]) == {
        "resources",
        "custom",
        "components",
        "byType",
        "diagnostics",
        "packs",
        "unansweredInvokes",
        "derivedInvokes",
        "passed",
    }


def test_json_summary_counts_resources_and_findings(outputs: Outputs) -> None:
    summary = outputs.report["summary"]
    assert summary["resources"] == 2
    assert summary["byType"] == {"aws:s3/bucket:Bucket": 2}
    assert summary["diagnostics"] == {"mandatory": 1, "remediate": 0, "advisory": 4}
    assert summary["passed"] is False


def test_markdown_comment_matches_snapshot(outputs: Outputs) -> None:
    check_snapshot("public-bucket.md", outputs.markdown)


def test_mermaid_graph_matches_snapshot(outputs: Outputs) -> None:
    check_snapshot("public-bucket.mmd", outputs.graph)
