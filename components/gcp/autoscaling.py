"""GCP Autoscaling.

- `instanceGroup` runtime: a RegionAutoscaler per color's regional managed instance group, tracking CPU utilization
  and (when requests per target is set) load-balancing utilization, with min/max, scale-in controls,
  an initialization period for warm-up, scaling schedules for scheduled windows and for scale-in protection
  windows and, when asked for, predictive autoscaling on CPU (`OPTIMIZE_AVAILABILITY`; GCP has no forecast-only
  mode).
- `cloudRun` runtime: Cloud Run scales each revision itself; its bounds and targets live in the service's
  `template.scaling` and concurrency, computed by `cloud_run_scaling` (used by BlueGreenTargets), so
  there is no separate autoscaling resource to create, and no predictive scaling or scheduled capacity.

Scale-in protection: `scaleInControl` limits how fast the group scales in, at all times; it cannot time a
pause. A scaling schedule can: it has its own duration, and while it runs the autoscaler never recommends
fewer than its `minRequiredReplicas`. A protection window is a scaling schedule with that floor at the window's
min (default the max, so nothing scales in during it). Scaling schedules combine (the autoscaler takes the highest active floor), so
protection windows and scheduled windows compose on GCP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.autoscaling import AutoscalingArgs
from components.blue_green import Color
from components.gcp.schedule import MIN_DURATION_SECONDS, window_durations
from components.gcp.sizing import label_name
from components.time_to_capacity import ScalingLoop

LOAD_BALANCING_TARGET = 0.8
"""Load-balancing utilization the autoscaler aims for; backends advertise requests_per_target / this as capacity."""
MIN_SCALE_IN_WINDOW_SECONDS = 60
"""GCP's shortest scale-in control window."""
SCALE_IN_MAX_PERCENT = 20
"""Most replicas (percent) removed within one scale-in window, so a traffic dip never drains a color at once."""
PREDICTIVE_METHOD = "OPTIMIZE_AVAILABILITY"
"""The one predictive method GCP offers (CPU-based; forecasts from daily and weekly load patterns)."""
MIG_METRIC_PERIOD_SECONDS = 60
"""The autoscaler reads the group's CPU utilization as one-minute samples."""
MIG_EVALUATION_SECONDS = 60
"""Rollway's model of how often the autoscaler recomputes the group's recommended size."""
CLOUD_RUN_METRIC_PERIOD_SECONDS = 60
"""Cloud Run's CPU-based scaling looks at utilization over a one-minute window."""
CLOUD_RUN_EVALUATION_SECONDS = 2
"""Rollway's model of how often Cloud Run's autoscaler reconsiders the instance count."""


def scaling_loop(scaling: AutoscalingArgs, runtime: str, warmup_seconds: int) -> ScalingLoop:
    """How GCP notices a load step: the managed instance group autoscaler (the initialization period is a
    warm-up, it does not delay the first scale-out), or Cloud Run's own per-revision scaling."""
    if runtime == "cloudRun":
        return ScalingLoop(
            mechanism="Cloud Run instance autoscaling",
            metric_period_seconds=CLOUD_RUN_METRIC_PERIOD_SECONDS,
            evaluation_periods=1,
            evaluation_interval_seconds=CLOUD_RUN_EVALUATION_SECONDS,
        )
    return ScalingLoop(
        mechanism="managed instance group autoscaler",
        metric_period_seconds=MIG_METRIC_PERIOD_SECONDS,
        evaluation_periods=1,
        evaluation_interval_seconds=MIG_EVALUATION_SECONDS,
        warmup_seconds=warmup_seconds,
    )


def requests_per_second(requests_per_minute: int) -> float:
    """Rollway's requests-per-target is per minute (like ALBRequestCountPerTarget); GCP backends take per second."""
    return round(requests_per_minute / 60, 3)


def backend_max_rate_per_instance(requests_per_minute: int) -> float:
    """Capacity a backend advertises per instance so that LOAD_BALANCING_TARGET of it is the requested rate."""
    return round(requests_per_second(requests_per_minute) / LOAD_BALANCING_TARGET, 3)


def cloud_run_scaling(args: AutoscalingArgs) -> gcp.cloudrunv2.ServiceTemplateScalingArgs:
    """Cloud Run revision scaling: min/max instances and the CPU utilization target (0.1..0.95)."""
    return gcp.cloudrunv2.ServiceTemplateScalingArgs(
        min_instance_count=args.min_capacity,
        max_instance_count=args.max_capacity,
        cpu_utilization=min(0.95, max(0.1, args.cpu_target / 100)),
    )


@dataclass(frozen=True)
class GcpAutoscalingArgs:
    """Autoscaling of one service's managed instance groups (one autoscaler per color that has a group)."""

    autoscaling: AutoscalingArgs
    """Cloud-agnostic bounds, targets, cooldowns and scheduled windows (the same for both colors)."""
    project: str
    """Project id."""
    region: str
    """Region of the regional managed instance groups."""
    instance_group_managers: Mapping[Color, pulumi.Input[str]]
    """Id of each color's regional managed instance group; a color without one gets no autoscaler."""
    warmup_seconds: int = 90
    """Initialization period: a new VM's metrics are ignored this long (boot plus container start)."""


class Autoscaling(pulumi.ComponentResource):
    """RegionAutoscalers for the instance groups of one service on the instance-group runtime."""

    autoscalers: dict[Color, gcp.compute.RegionAutoscaler]

    def __init__(self, name: str, args: GcpAutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        scaling = args.autoscaling
        if scaling.min_capacity > scaling.max_capacity:
            raise ValueError(f"min_capacity ({scaling.min_capacity}) exceeds max_capacity ({scaling.max_capacity})")
        predictive = scaling.predictive
        if predictive is not None and (predictive.forecast_only or predictive.lead_seconds is not None):
            raise ValueError(
                "GCP predictive autoscaling always scales on its forecast with a lead of its own choosing: "
                "forecast-only mode and lead_seconds are not available"
            )
        durations = window_durations(scaling.schedules)
        names = [label_name(window.name) for window in scaling.schedules]
        names += [label_name(window.slug) for window in scaling.scale_in_protection]
        if len(set(names)) != len(names):
            raise ValueError(f"scaling schedule names must be unique once normalized: {names}")
        short = [window.name for window in scaling.scale_in_protection if window.duration_minutes * 60 < MIN_DURATION_SECONDS]
        if short:
            raise ValueError(f"scale-in protection windows must last at least {MIN_DURATION_SECONDS} s on GCP: {short}")
        super().__init__("rollway:gcp:Autoscaling", name, None, opts)
        policy = gcp.compute.RegionAutoscalerAutoscalingPolicyArgs(
            min_replicas=scaling.min_capacity,
            max_replicas=scaling.max_capacity,
            mode="ON",
            cooldown_period=args.warmup_seconds,
            cpu_utilization=gcp.compute.RegionAutoscalerAutoscalingPolicyCpuUtilizationArgs(
                target=scaling.cpu_target / 100, predictive_method=None if predictive is None else PREDICTIVE_METHOD
            ),
            load_balancing_utilization=(
                gcp.compute.RegionAutoscalerAutoscalingPolicyLoadBalancingUtilizationArgs(target=LOAD_BALANCING_TARGET)
                if scaling.requests_per_target is not None
                else None
            ),
            # GCP scales out at once; scale-in is what needs damping (Rollway's scale-in cooldown).
            scale_in_control=gcp.compute.RegionAutoscalerAutoscalingPolicyScaleInControlArgs(
                time_window_sec=max(MIN_SCALE_IN_WINDOW_SECONDS, scaling.scale_in_cooldown_seconds),
                max_scaled_in_replicas=gcp.compute.RegionAutoscalerAutoscalingPolicyScaleInControlMaxScaledInReplicasArgs(
                    percent=SCALE_IN_MAX_PERCENT
                ),
            ),
            # GCP schedules raise the floor only; a window's max is bounded by the autoscaler's max.
            scaling_schedules=[
                gcp.compute.RegionAutoscalerAutoscalingPolicyScalingScheduleArgs(
                    name=label_name(window.name),
                    schedule=window.schedule,
                    time_zone=window.timezone,
                    min_required_replicas=window.min_capacity,
                    duration_sec=durations[window.name],
                    description=f"Rollway window {window.name}: {window.min_capacity}..{window.max_capacity}",
                )
                for window in scaling.schedules
            ]
            + [
                gcp.compute.RegionAutoscalerAutoscalingPolicyScalingScheduleArgs(
                    name=label_name(window.slug),
                    schedule=window.schedule,
                    time_zone=window.timezone,
                    min_required_replicas=window.floor(scaling.max_capacity),
                    duration_sec=window.duration_minutes * 60,
                    description=f"Rollway scale-in protection {window.name}: held at {window.floor(scaling.max_capacity)}",
                )
                for window in scaling.scale_in_protection
            ],
        )
        self.autoscalers = {
            color: gcp.compute.RegionAutoscaler(
                f"{name}-{color}",
                project=args.project,
                region=args.region,
                target=group,
                autoscaling_policy=policy,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for color, group in sorted(args.instance_group_managers.items())
        }
        self.register_outputs({"autoscalerIds": {color: autoscaler.id for color, autoscaler in self.autoscalers.items()}})
