"""GCP Autoscaling: a RegionAutoscaler per color's instance group with bounds, CPU and load-balancing
targets, scale-in control, warm-up and scaling schedules; Cloud Run's revision scaling; schedule durations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from gcp_fixtures import AUTOSCALER, WINDOWS, autoscaling, autoscaling_args

from components.autoscaling import AutoscalingArgs, ScheduledCapacity
from components.gcp import Autoscaling, cloud_run_scaling
from components.gcp.schedule import MIN_DURATION_SECONDS, cron_starts, window_durations


def policy(stack: Any, color: str = "blue") -> dict[str, Any]:
    return stack.get(AUTOSCALER, f"web-{color}").inputs["autoscalingPolicy"]


def test_one_autoscaler_per_color_targeting_its_group() -> None:
    stack = autoscaling()
    stack.resource_count_is(AUTOSCALER, 2)
    assert stack.get(AUTOSCALER, "web-green").inputs["target"].endswith("instanceGroupManagers/web-green-5d6e7f8")
    component = stack.get("rollway:gcp:Autoscaling", "web")
    assert all(r.parent == component.urn for r in stack.of_type(AUTOSCALER))


def test_bounds_and_cpu_target() -> None:
    found = policy(autoscaling())
    assert (found["minReplicas"], found["maxReplicas"]) == (2, 6)
    assert found["cpuUtilization"] == {"target": 0.6}
    assert found["mode"] == "ON"


def test_load_balancing_utilization_only_with_a_request_target() -> None:
    assert policy(autoscaling())["loadBalancingUtilization"] == {"target": 0.8}
    assert "loadBalancingUtilization" not in policy(autoscaling(requests=False))


def test_scale_in_is_damped_by_a_window_of_at_least_a_minute() -> None:
    control = policy(autoscaling())["scaleInControl"]
    assert control == {"timeWindowSec": 60, "maxScaledInReplicas": {"percent": 20}}


def test_warm_up_is_the_initialization_period() -> None:
    assert policy(autoscaling())["cooldownPeriod"] == 120


def test_scheduled_windows_raise_the_floor_until_the_next_window() -> None:
    schedules = {s["name"]: s for s in policy(autoscaling(windows=True))["scalingSchedules"]}
    assert schedules["business-hours"] == {
        "name": "business-hours",
        "schedule": "0 7 * * 1-5",
        "timeZone": "UTC",
        "minRequiredReplicas": 3,
        "durationSec": 13 * 3600,
        "description": "Rollway window business-hours: 3..6",
    }
    # Night starts daily at 20:00; on weekdays business hours start 11 hours later.
    assert schedules["night"]["durationSec"] == 11 * 3600


def test_min_above_max_is_refused() -> None:
    with pytest.raises(ValueError, match=r"min_capacity \(7\) exceeds max_capacity \(6\)"):
        Autoscaling("web", autoscaling_args(min_capacity=7))


def test_cloud_run_scaling_carries_bounds_and_clamps_the_cpu_target() -> None:
    args = AutoscalingArgs(min_capacity=1, max_capacity=5, cpu_target=100)
    scaling = cloud_run_scaling(args)
    assert (scaling.min_instance_count, scaling.max_instance_count, scaling.cpu_utilization) == (1, 5, 0.95)
    assert cloud_run_scaling(AutoscalingArgs(min_capacity=1, max_capacity=5, cpu_target=5)).cpu_utilization == 0.1


def test_a_lone_window_lasts_until_it_starts_again() -> None:
    durations = window_durations((ScheduledCapacity("daily", "30 6 * * *", 2, 4, "Europe/Berlin"),))
    assert durations == {"daily": 24 * 3600}


def test_windows_never_shorter_than_gcp_allows() -> None:
    assert window_durations((ScheduledCapacity("often", "*/2 * * * *", 1, 2),)) == {"often": MIN_DURATION_SECONDS}


def test_durations_take_the_shortest_gap_across_the_week() -> None:
    assert window_durations(WINDOWS)["night"] == 11 * 3600


@pytest.mark.parametrize("expression", ["0 7 * *", "61 * * * *", "0 7 * * mon-xyz", "0 25 * * *", "0 7 * * 7"])
def test_bad_cron_expressions_are_rejected(expression: str) -> None:
    with pytest.raises(ValueError):
        cron_starts(expression, "UTC", datetime(2026, 1, 5), 1)
