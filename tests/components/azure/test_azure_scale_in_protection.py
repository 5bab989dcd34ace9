"""Scale-in protection on Azure: VM scale sets get a recurring profile without the scale-in rule and a profile
that restores it at the window's end; Container Apps get a KEDA cron rule holding max replicas."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.autoscaling import AutoscalingArgs, ScaleInProtection, ScheduledCapacity
from components.azure.autoscaling import Autoscaling, AzureAutoscalingArgs
from rollway.testing import SynthesizedStack, synth

SETTING = "azure-native:monitor:AutoscaleSetting"
VMSS = "/subscriptions/0/resourceGroups/legacy/providers/Microsoft.Compute/virtualMachineScaleSets/worker-{}"
RELEASE = ScaleInProtection(name="Release Train", schedule="30 9 * * 2", duration_minutes=90, timezone="Europe/Berlin")
LATE = ScaleInProtection(name="late", schedule="0 22 * * 5", duration_minutes=180)
SCALING = AutoscalingArgs(min_capacity=2, max_capacity=8, cpu_target=60, scale_in_protection=(RELEASE, LATE))


def build(scaling: AutoscalingArgs = SCALING, scale_sets: bool = True) -> SynthesizedStack:
    args = AzureAutoscalingArgs(
        autoscaling=scaling,
        resource_group_name="rollway-prod",
        location="westeurope",
        scale_set_ids={"blue": VMSS.format("blue"), "green": VMSS.format("green")} if scale_sets else {},
    )
    return synth(lambda: Autoscaling("worker", args), config={"azure-native:location": "westeurope"})


def profiles(stack: SynthesizedStack, color: str = "blue") -> dict[str, Any]:
    return {p["name"]: p for p in stack.get(SETTING, f"worker-{color}").inputs["profiles"]}


def directions(profile: dict[str, Any]) -> list[str]:
    return [rule["scaleAction"]["direction"] for rule in profile["rules"]]


# --- VM scale sets ---------------------------------------------------------------------------------


def test_each_window_is_a_start_and_an_end_profile() -> None:
    assert list(profiles(build(), "green")) == [
        "default",
        "protect-release-train",
        "protect-release-train-end",
        "protect-late",
        "protect-late-end",
    ]


def test_the_window_profile_keeps_scale_out_and_drops_scale_in() -> None:
    found = profiles(build())
    assert directions(found["default"]) == ["Increase", "Decrease"]
    assert directions(found["protect-release-train"]) == ["Increase"]
    assert found["protect-release-train"]["rules"][0] == found["default"]["rules"][0]
    assert found["protect-release-train"]["capacity"] == {"minimum": "2", "maximum": "8", "default": "2"}


def test_the_window_starts_weekly_in_the_windows_time_zone() -> None:
    assert profiles(build())["protect-release-train"]["recurrence"] == {
        "frequency": "Week",
        "schedule": {"days": ["Tuesday"], "hours": [9], "minutes": [30], "timeZone": "W. Europe Standard Time"},
    }


def test_the_end_profile_restores_the_rule_pair_duration_later() -> None:
    found = profiles(build())
    end = found["protect-release-train-end"]
    assert end["recurrence"]["schedule"] == {
        "days": ["Tuesday"],
        "hours": [11],
        "minutes": [0],
        "timeZone": "W. Europe Standard Time",
    }
    assert end["rules"] == found["default"]["rules"]
    assert end["capacity"] == found["default"]["capacity"]


def test_an_end_past_midnight_falls_on_the_next_day() -> None:
    assert profiles(build())["protect-late-end"]["recurrence"]["schedule"] == {
        "days": ["Saturday"],
        "hours": [1],
        "minutes": [0],
        "timeZone": "UTC",
    }


def test_combining_with_scheduled_windows_on_scale_sets_is_refused() -> None:
    day = ScheduledCapacity(name="day", schedule="0 7 * * *", min_capacity=3, max_capacity=8)
    night = ScheduledCapacity(name="night", schedule="0 20 * * *", min_capacity=2, max_capacity=8)
    with pytest.raises(ValueError, match="cannot be combined with scheduled windows on VM scale sets"):
        build(replace(SCALING, schedules=(day, night)))


# --- Container Apps --------------------------------------------------------------------------------


def container_app_rules(scaling: AutoscalingArgs = SCALING) -> dict[str, Any]:
    scale = build(scaling, scale_sets=False).get("rollway:azure:Autoscaling", "worker").outputs["scale"]
    return {rule["name"]: rule for rule in scale["rules"]}


def test_container_apps_hold_max_replicas_with_a_keda_cron_rule_for_the_window() -> None:
    assert container_app_rules()["protect-release-train"] == {
        "name": "protect-release-train",
        "custom": {
            "type": "cron",
            "metadata": {"timezone": "Europe/Berlin", "start": "30 9 * * 2", "end": "0 11 * * 2", "desiredReplicas": "8"},
        },
    }
    assert container_app_rules()["protect-late"]["custom"]["metadata"]["end"] == "0 1 * * 6"


def test_container_apps_compose_protection_with_scheduled_windows() -> None:
    day = ScheduledCapacity(name="day", schedule="0 7 * * *", min_capacity=3, max_capacity=8)
    night = ScheduledCapacity(name="night", schedule="0 20 * * *", min_capacity=2, max_capacity=8)
    assert sorted(container_app_rules(replace(SCALING, schedules=(day, night)))) == [
        "cpu",
        "protect-late",
        "protect-release-train",
        "schedule-day",
        "schedule-night",
    ]


def test_a_window_floor_raises_the_scale_set_profiles_minimum_and_its_end_restores_it() -> None:
    found = profiles(build(replace(SCALING, scale_in_protection=(replace(RELEASE, min_capacity=5),))))
    assert found["protect-release-train"]["capacity"] == {"minimum": "5", "maximum": "8", "default": "5"}
    assert found["protect-release-train-end"]["capacity"] == {"minimum": "2", "maximum": "8", "default": "2"}


def test_a_window_floor_is_the_container_apps_desired_replicas() -> None:
    rules = container_app_rules(replace(SCALING, scale_in_protection=(replace(RELEASE, min_capacity=5), LATE)))
    assert rules["protect-release-train"]["custom"]["metadata"]["desiredReplicas"] == "5"
    assert rules["protect-late"]["custom"]["metadata"]["desiredReplicas"] == "8"


def test_profile_names_that_would_repeat_are_refused() -> None:
    x = ScaleInProtection(name="x", schedule="0 9 * * 2", duration_minutes=60)
    x_end = ScaleInProtection(name="x-end", schedule="0 9 * * 4", duration_minutes=60)
    with pytest.raises(ValueError, match="autoscale profile names must be unique"):
        build(replace(SCALING, scale_in_protection=(x, x_end)))
