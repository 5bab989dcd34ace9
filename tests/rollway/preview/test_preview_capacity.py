"""`rollway preview` shows each service's worst-case time to capacity, as the builders exported it."""

from __future__ import annotations

from typing import Any

from rollway.preview.capacity import capacity_lines
from rollway.preview.render import render_text
from rollway.preview.report import PreviewReport
from rollway.testing import UNKNOWN


def figure(first: int, exceeds: bool, ready: int | None = None) -> dict[str, Any]:
    return {
        "firstScaleOutSeconds": first,
        "targetSeconds": 120,
        "readySeconds": ready,
        "mechanism": "ECS target tracking (CloudWatch alarm)",
        "breakdown": "3 x 60s samples + 60s evaluation",
        "exceedsTarget": exceeds,
    }


OUTPUTS = {
    "environment": "dev",
    "aws": {"services": {"web": {"timeToCapacity": figure(240, True)}}},
    "gcp": {"services": {"web": {"timeToCapacity": figure(120, False, ready=210)}}},
}


def test_one_line_per_cloud_and_service_with_the_verdict() -> None:
    assert capacity_lines(OUTPUTS) == [
        "aws/web: first scale-out within 240s (target 120s), ABOVE TARGET; ECS target tracking (CloudWatch alarm): "
        "3 x 60s samples + 60s evaluation",
        "gcp/web: first scale-out within 120s, serving by 210s (target 120s), within target; ECS target tracking "
        "(CloudWatch alarm): 3 x 60s samples + 60s evaluation",
    ]


def test_outputs_without_a_figure_give_no_lines() -> None:
    odd = {"aws": {"services": {"web": {"timeToCapacity": UNKNOWN}, "api": "x"}}, "gcp": "y", "azure": {"services": []}}
    assert capacity_lines(odd) == []


def test_the_human_view_shows_the_section_only_when_there_is_a_figure() -> None:
    report = PreviewReport(project="rollway", stack="dev", resolve_outputs=False, resources=[], outputs=OUTPUTS)
    text = render_text(report)
    assert "Time to capacity (worst case, load step to first scale-out):\n    aws/web: first scale-out within 240s" in text
    empty = PreviewReport(project="rollway", stack="dev", resolve_outputs=False, resources=[])
    assert "Time to capacity" not in render_text(empty)
