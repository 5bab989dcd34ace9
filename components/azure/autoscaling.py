"""Azure autoscaling, two targets:

- Container Apps: scale rules live inside each app's template (`container_app_scale`): min/max replicas,
  an HTTP concurrency rule, a CPU rule (KEDA `cpu` scaler) and KEDA `cron` rules for scheduled windows,
  each active from when its window fires until the service's next window fires (as on every other cloud).
- VM scale sets: `Autoscaling` registers one `monitor.AutoscaleSetting` per scale set. Azure autoscale has no
  target tracking, so the CPU target becomes a generated scale-out/scale-in rule pair around it
  (`cpu_thresholds`), with scheduled windows as recurring profiles and, when asked for, predictive autoscale
  (forecast only, or forecast and scale) on the same CPU metric.

Container Apps have no predictive scaling; asking for it there is refused.

Scale-in protection windows:
- VM scale sets: a recurring profile per window without the scale-in rule (the scale-out rule stays, so load
  is still met) and the default bounds (the window's min as the floor when set), and a second recurring profile at the window's end that restores the
  rule pair: a recurring profile has no end of its own, it lasts until another profile starts. Scheduled
  windows are recurring profiles too, and only one profile is in effect at a time, so the two exclude each
  other here (the config refuses the combination).
- Container Apps: KEDA has no switch for scale-in, so a window is a KEDA cron rule from its start to its end
  holding the window's min (default `max`) replicas; KEDA takes the highest of its rules, so it composes with scheduled windows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import app, monitor

from components.autoscaling import AutoscalingArgs, PredictiveScaling
from components.azure.schedules import keda_cron_rules, weekly_recurrence, windows_time_zone
from components.blue_green import Color
from components.time_to_capacity import ScalingLoop
from rollway.helpers import clean_name

TYPE = "rollway:azure:Autoscaling"
KEDA_POLLING_SECONDS = 30
MIN_BAND = 10
MAX_SCALE_OUT_THRESHOLD = 95
VMSS_METRIC_NAMESPACE = "microsoft.compute/virtualmachinescalesets"
SCALE_OUT_WINDOW_MINUTES = 5
"""The scale-out rule averages CPU over this many one-minute grains (`PT5M`)."""
AUTOSCALE_EVALUATION_SECONDS = 60
"""Rollway's model of how often Azure autoscale evaluates a setting's rules."""
CONTAINER_APPS_METRIC_SECONDS = 15
"""Rollway's model of the resource metrics resolution the Container Apps CPU rule reads."""
MIN_LOOK_AHEAD_MINUTES = 1
MAX_LOOK_AHEAD_MINUTES = 60
"""Azure accepts a predictive look-ahead of 1 to 60 minutes."""


def scaling_loop(scaling: AutoscalingArgs, on_scale_sets: bool) -> ScalingLoop:
    """How Azure notices a load step: the VM scale set rule pair (a 5-minute average and a scale-out cooldown),
    or KEDA polling in Container Apps (no scale-out cooldown there)."""
    if on_scale_sets:
        return ScalingLoop(
            mechanism="Azure autoscale scale-out rule",
            metric_period_seconds=60,
            evaluation_periods=SCALE_OUT_WINDOW_MINUTES,
            evaluation_interval_seconds=AUTOSCALE_EVALUATION_SECONDS,
            cooldown_seconds=scaling.scale_out_cooldown_seconds,
        )
    return ScalingLoop(
        mechanism="Container Apps scale rules (KEDA)",
        metric_period_seconds=CONTAINER_APPS_METRIC_SECONDS,
        evaluation_periods=1,
        evaluation_interval_seconds=KEDA_POLLING_SECONDS,
    )


def predictive_policy(predictive: PredictiveScaling) -> monitor.PredictiveAutoscalePolicyArgs:
    """Predictive autoscale of a scale set's setting; the look-ahead is whole minutes from 1 to 60."""
    look_ahead = None
    if predictive.lead_seconds is not None:
        minutes, rest = divmod(predictive.lead_seconds, 60)
        if rest or not MIN_LOOK_AHEAD_MINUTES <= minutes <= MAX_LOOK_AHEAD_MINUTES:
            raise ValueError(
                f"Azure predictive look-ahead must be whole minutes from {MIN_LOOK_AHEAD_MINUTES} to "
                f"{MAX_LOOK_AHEAD_MINUTES} (60..3600 seconds in steps of 60): {predictive.lead_seconds}"
            )
        look_ahead = f"PT{minutes}M"
    mode = monitor.PredictiveAutoscalePolicyScaleMode
    return monitor.PredictiveAutoscalePolicyArgs(
        scale_mode=mode.FORECAST_ONLY if predictive.forecast_only else mode.ENABLED, scale_look_ahead_time=look_ahead
    )


# --- Container Apps --------------------------------------------------------------------------------


def http_concurrency(requests_per_minute: int, latency_ms: int) -> int:
    """Concurrent requests per replica equivalent to a per-minute request rate (Little's law: L = rate x latency)."""
    return max(1, math.ceil(requests_per_minute / 60 * latency_ms / 1000))


def container_app_scale(args: AutoscalingArgs, request_latency_ms: int = 200) -> app.ScaleArgs:
    """The scale block of a Container App template for these autoscaling inputs.

    `scale_in_cooldown_seconds` becomes KEDA's cooldown period; Container Apps has no scale-out cooldown.
    Scheduled windows raise the replica floor (KEDA cron `desiredReplicas`) from when they fire until the
    next window fires, as on every other cloud (`keda_cron_rules`); the app's max stays the bound.
    """
    rules = [
        app.ScaleRuleArgs(
            name="cpu",
            custom=app.CustomScaleRuleArgs(type="cpu", metadata={"type": "Utilization", "value": str(args.cpu_target)}),
        )
    ]
    if args.requests_per_target is not None:
        concurrency = http_concurrency(args.requests_per_target, request_latency_ms)
        rules.append(
            app.ScaleRuleArgs(name="http", http=app.HttpScaleRuleArgs(metadata={"concurrentRequests": str(concurrency)}))
        )
    names: set[str] = set()
    for cron in keda_cron_rules(args.schedules):
        rules.append(
            app.ScaleRuleArgs(
                name=_unique(f"schedule-{_rule_name(cron.window.name)}", names),
                custom=app.CustomScaleRuleArgs(
                    type="cron",
                    metadata={
                        "timezone": cron.timezone,
                        "start": cron.start,
                        "end": cron.end,
                        "desiredReplicas": str(cron.window.min_capacity),
                    },
                ),
            )
        )
    for window in args.scale_in_protection:
        rules.append(
            app.ScaleRuleArgs(
                name=_unique(_rule_name(window.slug), names),
                custom=app.CustomScaleRuleArgs(
                    type="cron",
                    metadata={
                        "timezone": window.timezone,
                        "start": window.schedule,
                        "end": window.end_schedule,
                        # Holding the floor (max by default: no replica can be removed) while the window lasts.
                        "desiredReplicas": str(window.floor(args.max_capacity)),
                    },
                ),
            )
        )
    return app.ScaleArgs(
        min_replicas=args.min_capacity,
        max_replicas=args.max_capacity,
        cooldown_period=args.scale_in_cooldown_seconds,
        polling_interval=KEDA_POLLING_SECONDS,
        rules=rules,
    )


def _rule_name(text: str) -> str:
    return clean_name(text, fallback="window")


def _unique(name: str, taken: set[str]) -> str:
    # A window whose days need several rules (or names equal after cleaning) gets numbered rule names.
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}-{number}"
    taken.add(candidate)
    return candidate


# --- VM scale sets ---------------------------------------------------------------------------------


def cpu_thresholds(cpu_target: int) -> tuple[int, int]:
    """(scale-out above, scale-in below) around a CPU target.

    Azure autoscale only has threshold rules. A band of max(10, 25% of the target) points on each side keeps
    one scale step from pushing the average across the opposite threshold (hysteresis); Azure's own
    flap check then skips a scale-in that would immediately trigger a scale-out.
    """
    band = max(MIN_BAND, round(cpu_target * 0.25))
    scale_out = min(cpu_target + band, MAX_SCALE_OUT_THRESHOLD)
    # Small targets keep half of themselves as the floor, so scale-in stays reachable and below the target.
    scale_in = max(cpu_target - band, cpu_target // 2, 1)
    if scale_in >= scale_out:
        scale_in = scale_out - MIN_BAND
    return scale_out, scale_in


def iso_minutes(seconds: int) -> str:
    """ISO 8601 duration in whole minutes (Azure autoscale cooldowns are 1 minute to 1 week)."""
    return f"PT{max(1, math.ceil(seconds / 60))}M"


@dataclass(frozen=True)
class AzureAutoscalingArgs:
    """Inputs of one service's autoscaling on Azure (Container Apps, or VM scale sets when given)."""

    autoscaling: AutoscalingArgs
    """Cloud-agnostic bounds, CPU target, requests per target, cooldowns and scheduled windows."""
    resource_group_name: pulumi.Input[str]
    """Resource group the AutoscaleSettings are created in (VM scale sets only)."""
    location: str
    """Region of the AutoscaleSettings (that of the environment)."""
    scale_set_ids: Mapping[Color, pulumi.Input[str]] = field(default_factory=dict)
    """Resource ID of the VM scale set per color; empty for Container Apps."""
    request_latency_ms: int = 200
    """Typical request latency, turning requests per target into Container Apps' HTTP concurrency target."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AutoscaleSetting."""


class Autoscaling(pulumi.ComponentResource):
    """A service's autoscaling on Azure.

    Container Apps keep scale rules inside each app's template, so for them this component registers no
    children: it owns the scale block (`scale`) that `BlueGreenTargets` puts into both apps. For VM scale
    sets it registers one AutoscaleSetting per color with the generated rule pair and scheduled profiles.
    """

    scale: app.ScaleArgs | None
    settings: dict[Color, monitor.AutoscaleSetting]

    def __init__(self, name: str, args: AzureAutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        scaling = args.autoscaling
        if scaling.predictive is not None and not args.scale_set_ids:
            raise ValueError("Container Apps have no predictive scaling; it needs VM scale sets (scale_set_ids)")
        predictive = predictive_policy(scaling.predictive) if scaling.predictive is not None else None
        if args.scale_set_ids and scaling.schedules and scaling.scale_in_protection:
            raise ValueError(
                "scale-in protection windows cannot be combined with scheduled windows on VM scale sets: both are "
                "recurring profiles and only one profile is in effect at a time"
            )
        if args.scale_set_ids:
            profile_names = ["default", *(window.name for window in scaling.schedules)]
            profile_names += [f"{window.slug}{end}" for window in scaling.scale_in_protection for end in ("", "-end")]
            if len(set(profile_names)) != len(profile_names):
                raise ValueError(f"autoscale profile names must be unique: {profile_names}")
        super().__init__(TYPE, name, None, opts)
        scale_out, scale_in = cpu_thresholds(scaling.cpu_target)
        self.settings = {}
        self.scale = None if args.scale_set_ids else container_app_scale(scaling, args.request_latency_ms)
        for color, scale_set_id in args.scale_set_ids.items():
            self.settings[color] = monitor.AutoscaleSetting(
                f"{name}-{color}",
                resource_group_name=args.resource_group_name,
                location=args.location,
                target_resource_uri=scale_set_id,
                enabled=True,
                profiles=scale_set_profiles(scale_set_id, scaling),
                predictive_autoscale_policy=predictive,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
        outputs: dict[str, Any] = {"minCapacity": scaling.min_capacity, "maxCapacity": scaling.max_capacity}
        if self.settings:
            outputs.update(
                target="vmScaleSets",
                autoscaleSettingIds={color: setting.id for color, setting in self.settings.items()},
                scaleOutAboveCpu=scale_out,
                scaleInBelowCpu=scale_in,
            )
        else:
            outputs.update(target="containerApps", scale=self.scale)
        self.register_outputs(outputs)


def scale_set_profiles(scale_set_id: pulumi.Input[str], scaling: AutoscalingArgs) -> list[monitor.AutoscaleProfileArgs]:
    """The default profile plus one weekly recurring profile per scheduled window, all with the rule pair, and a
    (start, end) pair of weekly recurring profiles per scale-in protection window."""
    rules = scale_rule_pair(scale_set_id, scaling)
    default_capacity = _capacity(scaling.min_capacity, scaling.max_capacity)
    profiles = [monitor.AutoscaleProfileArgs(name="default", capacity=default_capacity, rules=rules)]
    for window in scaling.schedules:
        profiles.append(
            monitor.AutoscaleProfileArgs(
                name=window.name,
                capacity=_capacity(window.min_capacity, window.max_capacity),
                rules=rules,
                recurrence=_weekly(window.schedule, window.timezone),
            )
        )
    scale_out_only = rules[:1]  # scale_rule_pair lists the scale-out rule first
    for protection in scaling.scale_in_protection:
        profiles += [
            monitor.AutoscaleProfileArgs(
                name=protection.slug,
                capacity=(
                    default_capacity
                    if protection.min_capacity is None
                    else _capacity(protection.min_capacity, scaling.max_capacity)
                ),
                rules=scale_out_only,
                recurrence=_weekly(protection.schedule, protection.timezone),
            ),
            # A recurring profile lasts until another one starts: this one ends the window.
            monitor.AutoscaleProfileArgs(
                name=f"{protection.slug}-end",
                capacity=default_capacity,
                rules=rules,
                recurrence=_weekly(protection.end_schedule, protection.timezone),
            ),
        ]
    return profiles


def _weekly(schedule: str, timezone: str) -> monitor.RecurrenceArgs:
    recurrence = weekly_recurrence(schedule)
    return monitor.RecurrenceArgs(
        frequency=monitor.RecurrenceFrequency.WEEK,
        schedule=monitor.RecurrentScheduleArgs(
            days=list(recurrence.days),
            hours=[recurrence.hour],
            minutes=[recurrence.minute],
            time_zone=windows_time_zone(timezone),
        ),
    )


def scale_rule_pair(scale_set_id: pulumi.Input[str], scaling: AutoscalingArgs) -> list[monitor.ScaleRuleArgs]:
    """Scale out by one above the upper CPU threshold, in by one below the lower one; scale-in looks at a
    longer window than scale-out (slow in, fast out)."""
    scale_out, scale_in = cpu_thresholds(scaling.cpu_target)
    return [
        _cpu_rule(
            scale_set_id,
            monitor.ComparisonOperationType.GREATER_THAN,
            scale_out,
            "PT5M",
            monitor.ScaleDirection.INCREASE,
            scaling.scale_out_cooldown_seconds,
        ),
        _cpu_rule(
            scale_set_id,
            monitor.ComparisonOperationType.LESS_THAN,
            scale_in,
            "PT10M",
            monitor.ScaleDirection.DECREASE,
            scaling.scale_in_cooldown_seconds,
        ),
    ]


def _cpu_rule(
    scale_set_id: pulumi.Input[str],
    operator: monitor.ComparisonOperationType,
    threshold: int,
    window: str,
    direction: monitor.ScaleDirection,
    cooldown_seconds: int,
) -> monitor.ScaleRuleArgs:
    return monitor.ScaleRuleArgs(
        metric_trigger=monitor.MetricTriggerArgs(
            metric_name="Percentage CPU",
            metric_namespace=VMSS_METRIC_NAMESPACE,
            metric_resource_uri=scale_set_id,
            operator=operator,
            statistic=monitor.MetricStatisticType.AVERAGE,
            threshold=threshold,
            time_aggregation=monitor.TimeAggregationType.AVERAGE,
            time_grain="PT1M",
            time_window=window,
        ),
        scale_action=monitor.ScaleActionArgs(
            direction=direction, type=monitor.ScaleType.CHANGE_COUNT, value="1", cooldown=iso_minutes(cooldown_seconds)
        ),
    )


def _capacity(minimum: int, maximum: int) -> monitor.ScaleCapacityArgs:
    # Azure keeps capacity as strings; `default` applies when the metric is unavailable.
    return monitor.ScaleCapacityArgs(minimum=str(minimum), maximum=str(maximum), default=str(minimum))
