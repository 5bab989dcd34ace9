"""Azure autoscaling: Container Apps scale rules, and the generated AutoscaleSetting rule pair for VM scale sets."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from components.autoscaling import AutoscalingArgs, ScheduledCapacity
from components.azure.autoscaling import (
    Autoscaling,
    AzureAutoscalingArgs,
    cpu_thresholds,
    cron_window_ends,
    http_concurrency,
    iso_minutes,
)
from components.azure.schedules import weekly_recurrence, windows_time_zone
from components.testing import Match, SynthesizedStack, synth

SETTING = "azure-native:monitor:AutoscaleSetting"
VMSS = "/subscriptions/0/resourceGroups/legacy/providers/Microsoft.Compute/virtualMachineScaleSets/worker-{}"
BUSINESS_HOURS = ScheduledCapacity(
    name="business-hours", schedule="0 7 * * 1-5", min_capacity=4, max_capacity=8, timezone="Europe/Berlin"
)
NIGHT = ScheduledCapacity(name="night", schedule="0 20 * * *", min_capacity=1, max_capacity=3, timezone="Europe/Berlin")
SCALING = AutoscalingArgs(
    min_capacity=2,
    max_capacity=8,
    cpu_target=60,
    requests_per_target=600,
    scale_in_cooldown_seconds=600,
    scale_out_cooldown_seconds=60,
    schedules=(BUSINESS_HOURS,),
)


@cache
def scale_sets() -> SynthesizedStack:
    args = AzureAutoscalingArgs(
        scaling=SCALING,
        resource_group_name="rollway-prod",
        location="westeurope",
        scale_set_ids={"blue": VMSS.format("blue"), "green": VMSS.format("green")},
        tags={"owner": "platform-team"},
    )
    return synth(lambda: Autoscaling("worker", args), config={"azure-native:location": "westeurope"})


def rules_of(stack: SynthesizedStack, color: str) -> list[dict[str, Any]]:
    return list(stack.get(SETTING, f"worker-{color}").inputs["profiles"][0]["rules"])


# --- Container Apps ---------------------------------------------------------------------------------


@cache
def container_apps_scale(latency_ms: int = 200, requests: int | None = 600) -> dict[str, Any]:
    scaling = replace(SCALING, requests_per_target=requests)
    args = AzureAutoscalingArgs(scaling=scaling, resource_group_name="rg", location="westeurope", request_latency_ms=latency_ms)
    result = synth(lambda: Autoscaling("web", args), config={"azure-native:location": "westeurope"})
    return dict(result.get("rollway:azure:Autoscaling", "web").outputs["scale"])


def rule(scale: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in scale["rules"] if r["name"] == name)


def test_container_app_scale_keeps_the_replica_bounds() -> None:
    scale = container_apps_scale()
    assert (scale["minReplicas"], scale["maxReplicas"]) == (2, 8)


def test_container_app_scale_tracks_cpu_through_the_keda_cpu_scaler() -> None:
    assert rule(container_apps_scale(), "cpu")["custom"] == {"type": "cpu", "metadata": {"type": "Utilization", "value": "60"}}


def test_requests_per_target_become_an_http_concurrency_rule() -> None:
    assert rule(container_apps_scale(latency_ms=500), "http")["http"] == {"metadata": {"concurrentRequests": "5"}}


def test_http_concurrency_follows_littles_law_and_is_at_least_one() -> None:
    assert http_concurrency(6000, 200) == 20
    assert http_concurrency(10, 50) == 1


def test_no_http_rule_without_requests_per_target() -> None:
    assert [r["name"] for r in container_apps_scale(requests=None)["rules"]] == ["cpu", "schedule-business-hours"]


def test_scale_in_cooldown_becomes_kedas_cooldown_period() -> None:
    assert container_apps_scale()["cooldownPeriod"] == 600


def test_scheduled_windows_raise_the_floor_with_keda_cron_rules() -> None:
    assert rule(container_apps_scale(), "schedule-business-hours")["custom"] == {
        "type": "cron",
        "metadata": {"timezone": "Europe/Berlin", "start": "0 7 * * 1-5", "end": "59 23 * * 1-5", "desiredReplicas": "4"},
    }


def test_a_window_ends_when_the_next_one_starts() -> None:
    assert cron_window_ends([BUSINESS_HOURS, NIGHT]) == ["0 20 * * *", "0 7 * * 1-5"]


def test_container_apps_target_registers_no_children() -> None:
    args = AzureAutoscalingArgs(scaling=SCALING, resource_group_name="rg", location="westeurope")
    result = synth(lambda: Autoscaling("web", args), config={"azure-native:location": "westeurope"})
    assert [r for r in result.resources if r.custom and not r.is_provider] == []
    assert result.get("rollway:azure:Autoscaling", "web").outputs["target"] == "containerApps"


# --- VM scale sets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", range(1, 101))
def test_thresholds_bracket_the_target_with_a_band(target: int) -> None:
    scale_out, scale_in = cpu_thresholds(target)
    assert 1 <= scale_in < scale_out <= 95
    assert scale_in < target or target == 1
    assert scale_out > target or scale_out == 95


def test_sixty_percent_target_scales_out_above_75_and_in_below_45() -> None:
    assert cpu_thresholds(60) == (75, 45)


def test_one_autoscale_setting_per_scale_set() -> None:
    result = scale_sets()
    result.resource_count_is(SETTING, 2)
    result.has_resource_properties(SETTING, {"targetResourceUri": VMSS.format("green"), "enabled": True}, name="worker-green")


def test_the_generated_rule_pair_scales_out_fast_and_in_slowly() -> None:
    out, in_ = rules_of(scale_sets(), "blue")
    assert out == {
        "metricTrigger": {
            "metricName": "Percentage CPU",
            "metricNamespace": "microsoft.compute/virtualmachinescalesets",
            "metricResourceUri": VMSS.format("blue"),
            "operator": "GreaterThan",
            "statistic": "Average",
            "threshold": 75,
            "timeAggregation": "Average",
            "timeGrain": "PT1M",
            "timeWindow": "PT5M",
        },
        "scaleAction": {"direction": "Increase", "type": "ChangeCount", "value": "1", "cooldown": "PT1M"},
    }
    trigger = dict(out["metricTrigger"])
    assert in_["metricTrigger"] == {**trigger, "operator": "LessThan", "threshold": 45, "timeWindow": "PT10M"}
    assert in_["scaleAction"] == {"direction": "Decrease", "type": "ChangeCount", "value": "1", "cooldown": "PT10M"}


def test_default_profile_holds_the_capacity_bounds() -> None:
    scale_sets().has_resource_properties(
        SETTING,
        {"profiles": Match.array_with([{"name": "default", "capacity": {"minimum": "2", "maximum": "8", "default": "2"}}])},
    )


def test_scheduled_window_becomes_a_weekly_profile_in_windows_time() -> None:
    profile = scale_sets().get(SETTING, "worker-blue").inputs["profiles"][1]
    assert profile["name"] == "business-hours"
    assert profile["capacity"] == {"minimum": "4", "maximum": "8", "default": "4"}
    assert profile["recurrence"] == {
        "frequency": "Week",
        "schedule": {
            "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "hours": [7],
            "minutes": [0],
            "timeZone": "W. Europe Standard Time",
        },
    }


def test_autoscale_settings_carry_the_tags() -> None:
    for setting in scale_sets().of_type(SETTING):
        assert setting.inputs["tags"] == {"owner": "platform-team"}


def test_autoscale_settings_are_children_of_the_component() -> None:
    result = scale_sets()
    component = result.get("rollway:azure:Autoscaling", "worker")
    assert {r.name for r in result.children_of(component)} == {"worker-blue", "worker-green"}


def test_weekly_recurrence_reads_names_lists_and_sunday_as_seven() -> None:
    assert weekly_recurrence("30 6 * * sat,7").days == ("Sunday", "Saturday")


@pytest.mark.parametrize("schedule", ["0 7 1 * *", "*/5 7 * * *", "0 7 * 6 *", "0 7 * *"])
def test_weekly_recurrence_refuses_what_azure_cannot_express(schedule: str) -> None:
    with pytest.raises(ValueError):
        weekly_recurrence(schedule)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="Windows"):
        windows_time_zone("Mars/Olympus_Mons")


def test_cooldowns_are_whole_minutes_of_at_least_one() -> None:
    assert (iso_minutes(0), iso_minutes(60), iso_minutes(90), iso_minutes(600)) == ("PT1M", "PT1M", "PT2M", "PT10M")
