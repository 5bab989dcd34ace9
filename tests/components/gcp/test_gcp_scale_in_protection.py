"""Scale-in protection on GCP: a scaling schedule per window holding the autoscaler's max for its duration,
next to (and composing with) the scheduled windows' schedules."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from gcp_fixtures import AUTOSCALER, CONFIG, WINDOWS, autoscaling_args

from components.autoscaling import ScaleInProtection
from components.gcp import Autoscaling
from rollway.testing import SynthesizedStack, synth

RELEASE = ScaleInProtection(name="Release Train", schedule="30 9 * * 2", duration_minutes=90, timezone="Europe/Berlin")


def protected(*windows: ScaleInProtection, schedules: bool = False) -> SynthesizedStack:
    args = autoscaling_args(scale_in_protection=windows, schedules=WINDOWS if schedules else ())
    return synth(lambda: Autoscaling("web", args), config=CONFIG)


def schedules_of(stack: SynthesizedStack, color: str = "blue") -> dict[str, Any]:
    policy = stack.get(AUTOSCALER, f"web-{color}").inputs["autoscalingPolicy"]
    return {s["name"]: s for s in policy["scalingSchedules"]}


def test_a_window_is_a_scaling_schedule_holding_the_max_for_its_duration() -> None:
    for color in ("blue", "green"):
        assert schedules_of(protected(RELEASE), color)["protect-release-train"] == {
            "name": "protect-release-train",
            "schedule": "30 9 * * 2",
            "timeZone": "Europe/Berlin",
            "minRequiredReplicas": 6,
            "durationSec": 5400,
            "description": "Rollway scale-in protection Release Train: held at 6",
        }


def test_protection_composes_with_scheduled_windows() -> None:
    assert sorted(schedules_of(protected(RELEASE, schedules=True))) == ["business-hours", "night", "protect-release-train"]


def test_the_shortest_window_gcp_takes_is_built_and_a_shorter_one_refused() -> None:
    five = ScaleInProtection(name="five", schedule="0 3 * * *", duration_minutes=5)
    assert schedules_of(protected(five))["protect-five"]["durationSec"] == 300
    four = ScaleInProtection(name="four", schedule="0 3 * * *", duration_minutes=4)
    with pytest.raises(ValueError, match="at least 300 s on GCP"):
        protected(four)


def test_bounds_and_scale_in_control_are_unchanged() -> None:
    policy = protected(RELEASE).get(AUTOSCALER, "web-blue").inputs["autoscalingPolicy"]
    assert (policy["minReplicas"], policy["maxReplicas"]) == (2, 6)
    assert policy["scaleInControl"] == {"timeWindowSec": 300, "maxScaledInReplicas": {"percent": 20}}


def test_a_window_floor_is_the_schedules_required_replicas() -> None:
    found = schedules_of(protected(replace(RELEASE, min_capacity=4)))["protect-release-train"]
    assert (found["minRequiredReplicas"], found["description"]) == (4, "Rollway scale-in protection Release Train: held at 4")
