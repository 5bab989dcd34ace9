"""Scale-in protection on AWS: per window and color, a pair of scheduled actions that raise the floor to the max
at the window's start and bring the service's bounds back at its end."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aws_fixtures import SCALING_POLICY, SCALING_TARGET, SCHEDULED_ACTION, autoscaling

from components.autoscaling import ScaleInProtection, ScheduledCapacity

RELEASE = ScaleInProtection(name="Release Train", schedule="30 9 * * 2", duration_minutes=90, timezone="Europe/Berlin")
LATE = ScaleInProtection(name="late-batch", schedule="0 22 * * 1-5", duration_minutes=180)


def test_a_window_is_a_start_and_an_end_action_per_color() -> None:
    stack = autoscaling(protection=(RELEASE, LATE))
    stack.resource_count_is(SCHEDULED_ACTION, 8)
    assert sorted(r.name for r in stack.of_type(SCHEDULED_ACTION) if r.name.startswith("web-blue")) == [
        "web-blue-protect-late-batch-end",
        "web-blue-protect-late-batch-start",
        "web-blue-protect-release-train-end",
        "web-blue-protect-release-train-start",
    ]


def test_the_start_raises_the_floor_to_the_max_in_the_windows_time_zone() -> None:
    autoscaling(protection=(RELEASE,)).has_resource_properties(
        SCHEDULED_ACTION,
        {
            "serviceNamespace": "ecs",
            "scalableDimension": "ecs:service:DesiredCount",
            "resourceId": "service/rollway-dev/web-green-svc",
            "schedule": "cron(30 9 ? * TUE *)",
            "timezone": "Europe/Berlin",
            "scalableTargetAction": {"minCapacity": 10, "maxCapacity": 10},
        },
        name="web-green-protect-release-train-start",
    )


def test_the_end_restores_the_services_bounds_duration_later() -> None:
    autoscaling(protection=(RELEASE,)).has_resource_properties(
        SCHEDULED_ACTION,
        {"schedule": "cron(0 11 ? * TUE *)", "scalableTargetAction": {"minCapacity": 2, "maxCapacity": 10}},
        name="web-blue-protect-release-train-end",
    )


def test_an_end_past_midnight_moves_to_the_next_days() -> None:
    autoscaling(protection=(LATE,)).has_resource_properties(
        SCHEDULED_ACTION,
        {"schedule": "cron(0 1 ? * TUE,WED,THU,FRI,SAT *)", "timezone": "UTC"},
        name="web-blue-protect-late-batch-end",
    )


def test_protection_leaves_the_target_and_tracking_policies_as_they_are() -> None:
    plain, protected = autoscaling(), autoscaling(protection=(RELEASE,))
    for type_ in (SCALING_TARGET, SCALING_POLICY):
        assert {r.name: r.inputs for r in plain.of_type(type_)} == {r.name: r.inputs for r in protected.of_type(type_)}


def test_only_colors_with_a_service_get_protection_actions() -> None:
    stack = autoscaling(colors=("green",), protection=(RELEASE,))
    assert sorted(r.name for r in stack.of_type(SCHEDULED_ACTION)) == [
        "web-green-protect-release-train-end",
        "web-green-protect-release-train-start",
    ]


def test_combining_with_scheduled_windows_is_refused() -> None:
    window = ScheduledCapacity(name="day", schedule="0 7 * * *", min_capacity=3, max_capacity=10)
    with pytest.raises(ValueError, match="cannot be combined with scheduled windows on AWS"):
        autoscaling(schedules=(window,), protection=(RELEASE,))


def test_names_equal_once_cleaned_are_refused() -> None:
    twin = ScaleInProtection(name="release train", schedule="0 1 * * 3", duration_minutes=30)
    with pytest.raises(ValueError, match="protection window names must be unique"):
        autoscaling(protection=(RELEASE, twin))


def test_a_window_floor_replaces_the_max_at_the_start_only() -> None:
    stack = autoscaling(protection=(replace(RELEASE, min_capacity=6),))
    stack.has_resource_properties(
        SCHEDULED_ACTION,
        {"scalableTargetAction": {"minCapacity": 6, "maxCapacity": 10}},
        name="web-blue-protect-release-train-start",
    )
    stack.has_resource_properties(
        SCHEDULED_ACTION,
        {"scalableTargetAction": {"minCapacity": 2, "maxCapacity": 10}},
        name="web-blue-protect-release-train-end",
    )
