"""Azure autoscaling: Container Apps scale rules, and the generated AutoscaleSetting rule pair for VM scale sets."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from components.autoscaling import AutoscalingArgs, PredictiveScaling, ScheduledCapacity
from components.azure.autoscaling import (
    Autoscaling,
    AzureAutoscalingArgs,
    container_app_scale,
    cpu_thresholds,
    http_concurrency,
    iso_minutes,
    predictive_policy,
    scaling_loop,
)
from components.azure.schedules import keda_cron_rules, weekly_minutes, weekly_recurrence, windows_time_zone
from components.time_to_capacity import time_to_capacity
from rollway.testing import Match, SynthesizedStack, synth

SETTING = "azure-native:monitor:AutoscaleSetting"
VMSS = "/subscriptions/0/resourceGroups/legacy/providers/Microsoft.Compute/virtualMachineScaleSets/worker-{}"
WEEK = 7 * 24 * 60


def window(name: str, schedule: str, timezone: str = "UTC") -> ScheduledCapacity:
    return ScheduledCapacity(name=name, schedule=schedule, min_capacity=1, max_capacity=8, timezone=timezone)


def week_minutes(schedule: str) -> list[int]:
    """Minutes from Sunday 00:00 at which a weekly cron fires (UTC)."""
    return sorted(day * 1440 + hour * 60 + minute for day, hour, minute in weekly_minutes(schedule))


def next_after(moments: list[int], minute: int) -> int:
    later = [m for m in moments if m > minute]
    return later[0] if later else moments[0] + WEEK


def last_fired(fires: dict[str, list[int]], minute: int) -> str:
    return max(fires, key=lambda name: max((m for m in fires[name] if m <= minute), default=max(fires[name]) - WEEK))


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
    schedules=(BUSINESS_HOURS, NIGHT),
)


@cache
def scale_sets() -> SynthesizedStack:
    args = AzureAutoscalingArgs(
        autoscaling=SCALING,
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
    args = AzureAutoscalingArgs(
        autoscaling=scaling, resource_group_name="rg", location="westeurope", request_latency_ms=latency_ms
    )
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
    assert [r["name"] for r in container_apps_scale(requests=None)["rules"]] == [
        "cpu",
        "schedule-business-hours",
        "schedule-night",
    ]


def test_scale_in_cooldown_becomes_kedas_cooldown_period() -> None:
    assert container_apps_scale()["cooldownPeriod"] == 600


def test_scheduled_windows_raise_the_floor_with_keda_cron_rules() -> None:
    assert rule(container_apps_scale(), "schedule-business-hours")["custom"] == {
        "type": "cron",
        "metadata": {"timezone": "Europe/Berlin", "start": "0 7 * * 1-5", "end": "0 20 * * 1-5", "desiredReplicas": "4"},
    }


def test_a_window_ends_when_the_next_window_fires_not_at_midnight() -> None:
    # Before: a weekday window ran to 23:59 or, paired, to `0 20 * * *`, which KEDA also reads as active
    # all Saturday (its next end came before its next start).
    assert [(r.start, r.end) for r in keda_cron_rules([BUSINESS_HOURS, NIGHT])] == [
        ("0 7 * * 1-5", "0 20 * * 1-5"),
        ("0 20 * * 1-5", "0 7 * * 1-5"),
    ]


def test_the_next_window_is_the_next_to_fire_not_the_next_listed() -> None:
    morning, evening, noon = (window(n, f"0 {h} * * *") for n, h in (("morning", 7), ("evening", 20), ("noon", 12)))
    assert {r.window.name: r.end for r in keda_cron_rules([morning, evening, noon])} == {
        "morning": "0 12 * * *",
        "evening": "0 7 * * *",
        "noon": "0 20 * * *",
    }


def test_a_window_in_another_time_zone_ends_at_that_windows_local_start() -> None:
    new_york = window("new-york", "0 9 * * 1-5", "America/New_York")
    london = window("london-close", "0 18 * * 1-5", "Europe/London")
    rules = keda_cron_rules([new_york, london])
    assert [(r.timezone, r.start, r.end) for r in rules] == [
        ("America/New_York", "0 9 * * 1-5", "0 13 * * 1-5"),
        ("Europe/London", "0 18 * * 1-5", "0 14 * * 1-5"),
    ]


def test_a_window_whose_ends_differ_by_day_gets_one_rule_per_end_time() -> None:
    windows = [window("day", "0 7 * * 1-5"), window("evening", "0 20 * * 1-4"), window("friday", "0 18 * * 5")]
    day_rules = [(r.start, r.end) for r in keda_cron_rules(windows) if r.window.name == "day"]
    assert day_rules == [("0 7 * * 1-4", "0 20 * * 1-4"), ("0 7 * * 5", "0 18 * * 5")]


def test_rules_of_one_window_get_distinct_names() -> None:
    scaling = replace(
        SCALING, schedules=(window("day", "0 7 * * 1-5"), window("evening", "0 20 * * 1-4"), window("friday", "0 18 * * 5"))
    )
    names = [r.name for r in container_app_scale(scaling).rules or []]
    assert names == ["cpu", "http", "schedule-day", "schedule-day-2", "schedule-evening", "schedule-friday"]


def test_a_window_no_other_window_ends_is_refused() -> None:
    with pytest.raises(ValueError, match="`hourly` never ends"):
        keda_cron_rules([window("hourly", "0 * * * *"), window("seven", "0 7 * * *")])


WINDOW_SETS = {
    "weekdays-and-evenings": [BUSINESS_HOURS, NIGHT],
    "three-a-day": [window("a", "30 6 * * *"), window("b", "0 12 * * 1-5"), window("c", "0 22 * * *")],
    "refiring": [window("hourly-day", "0 8-17 * * 1-5"), window("night", "0 18 * * *")],
    "weekend-only": [window("weekend", "0 9 * * 0,6"), window("weekday", "0 6 * * 1-5")],
    "split-days": [window("day", "0 7 * * 1-5"), window("evening", "0 20 * * 1-4"), window("friday", "0 18 * * 5")],
}


@pytest.mark.parametrize("case", sorted(WINDOW_SETS))
def test_keda_activates_exactly_the_window_in_effect(case: str) -> None:
    """Replays KEDA's cron scaler over a week (active while the next end comes before the next start) and
    compares with Rollway's meaning: a window holds from when it fires until another window fires."""
    windows = WINDOW_SETS[case]
    rules = keda_cron_rules(windows)
    fires = {w.name: week_minutes(w.schedule) for w in windows}
    for minute in range(15, WEEK, 30):
        in_effect = last_fired(fires, minute)
        active = {
            r.window.name for r in rules if next_after(week_minutes(r.end), minute) <= next_after(week_minutes(r.start), minute)
        }
        assert active == {in_effect}, f"{case} at {minute // 1440}d {minute % 1440 // 60:02d}:{minute % 60:02d}"


def test_container_apps_target_registers_no_children() -> None:
    args = AzureAutoscalingArgs(autoscaling=SCALING, resource_group_name="rg", location="westeurope")
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


def test_weekly_recurrence_reads_names_lists_and_sunday_as_zero() -> None:
    assert weekly_recurrence("30 6 * * sat,0").days == ("Sunday", "Saturday")


def test_weekly_recurrence_refuses_sunday_as_seven_like_the_config() -> None:
    # One cron parser for every layer: 7 is refused here exactly as the stack config refuses it.
    with pytest.raises(ValueError, match="7 is outside 0-6"):
        weekly_recurrence("30 6 * * sat,7")


@pytest.mark.parametrize("schedule", ["0 7 1 * *", "*/5 7 * * *", "0 7 * 6 *", "0 7 * *"])
def test_weekly_recurrence_refuses_what_azure_cannot_express(schedule: str) -> None:
    with pytest.raises(ValueError):
        weekly_recurrence(schedule)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="Windows"):
        windows_time_zone("Mars/Olympus_Mons")


def test_cooldowns_are_whole_minutes_of_at_least_one() -> None:
    assert (iso_minutes(0), iso_minutes(60), iso_minutes(90), iso_minutes(600)) == ("PT1M", "PT1M", "PT2M", "PT10M")


# --- Predictive autoscale and time to capacity -----------------------------------------------------


def predictive_scale_sets(predictive: PredictiveScaling) -> SynthesizedStack:
    args = AzureAutoscalingArgs(
        autoscaling=replace(SCALING, predictive=predictive),
        resource_group_name="rollway-prod",
        location="westeurope",
        scale_set_ids={"blue": VMSS.format("blue"), "green": VMSS.format("green")},
    )
    return synth(lambda: Autoscaling("worker", args), config={"azure-native:location": "westeurope"})


@pytest.mark.parametrize(("forecast_only", "mode"), [(True, "ForecastOnly"), (False, "Enabled")])
def test_scale_sets_get_predictive_autoscale_in_the_configured_mode(forecast_only: bool, mode: str) -> None:
    stack = predictive_scale_sets(PredictiveScaling(forecast_only=forecast_only, lead_seconds=600))
    for color in ("blue", "green"):
        stack.has_resource_properties(
            SETTING, {"predictiveAutoscalePolicy": {"scaleMode": mode, "scaleLookAheadTime": "PT10M"}}, name=f"worker-{color}"
        )


def test_no_predictive_policy_unless_asked_for() -> None:
    assert "predictiveAutoscalePolicy" not in scale_sets().get(SETTING, "worker-blue").inputs


@pytest.mark.parametrize(("seconds", "look_ahead"), [(60, "PT1M"), (3600, "PT60M"), (None, None)])
def test_predictive_look_ahead_bounds(seconds: int | None, look_ahead: str | None) -> None:
    policy = predictive_policy(PredictiveScaling(forecast_only=False, lead_seconds=seconds))
    assert policy.scale_look_ahead_time == look_ahead


@pytest.mark.parametrize("seconds", [0, 59, 90, 3660])
def test_a_look_ahead_azure_refuses_is_an_error(seconds: int) -> None:
    with pytest.raises(ValueError, match="whole minutes from 1 to 60"):
        predictive_policy(PredictiveScaling(forecast_only=False, lead_seconds=seconds))


def test_container_apps_refuse_predictive_scaling() -> None:
    args = AzureAutoscalingArgs(
        autoscaling=replace(SCALING, predictive=PredictiveScaling(forecast_only=True)),
        resource_group_name="rg",
        location="westeurope",
    )
    with pytest.raises(ValueError, match="Container Apps have no predictive scaling"):
        Autoscaling("web", args)


def test_time_to_capacity_on_scale_sets_is_the_five_minute_rule_window_plus_evaluation() -> None:
    figure = time_to_capacity(scaling_loop(SCALING, on_scale_sets=True), 120)
    assert figure.first_action_seconds == 5 * 60 + 60
    assert figure.exceeds_target


def test_time_to_capacity_on_container_apps_is_a_metric_sample_plus_keda_polling() -> None:
    figure = time_to_capacity(scaling_loop(SCALING, on_scale_sets=False), 45)
    assert figure.first_action_seconds == 15 + 30
    assert not figure.exceeds_target  # exactly at the target is within it
