"""Analyze calls go through a bounded window: every resource is analyzed exactly once, in resource order,
whether the window is smaller than, equal to or larger than the number of resources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollway.preview import analyzer
from tests.rollway.preview.test_preview_programs import write_program

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PACK = FIXTURES / "packs" / "guardrails"
PACK_CONFIG = FIXTURES / "packs" / "guardrails-config.json"
BUCKETS = 5


@pytest.mark.parametrize("window", [1, 2, BUCKETS, BUCKETS + 1])
def test_every_resource_is_analyzed_once_whatever_the_window(
    rollway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(analyzer, "ANALYZE_WINDOW", window)
    source = "import pulumi_aws as aws\n\n" + "".join(
        f"aws.s3.Bucket('public-{index}', acl='public-read', tags={{'owner': 'a', 'cost-center': 'b'}})\n"
        for index in range(BUCKETS)
    )
    run = rollway(
        "preview", "--cwd", write_program(tmp_path, source), "--stack", "dev",
        "--policy-pack", PACK, "--policy-pack-config", PACK_CONFIG, "--json", "-",
    )  # fmt: skip
    assert run.code == 1, run.err
    findings = [item for item in json.loads(run.out)["diagnostics"] if item["policy"] == "no-public-bucket-acl"]
    assert [item["urn"].rsplit("::", 1)[1] for item in findings] == [f"public-{index}" for index in range(BUCKETS)]
