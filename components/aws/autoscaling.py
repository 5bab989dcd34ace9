"""Autoscaling on AWS: per color that has an ECS service, an Application Auto Scaling target (min/max),
target tracking on average CPU and on ALB requests per target, scheduled capacity windows, scale-in
protection windows and, when asked for, a predictive scaling policy (forecast only, or forecast and scale) on
the CPU metric pair.

Scale-in protection: Application Auto Scaling can suspend scale-in (`disableScaleIn` on a tracking policy,
`DynamicScalingInSuspended` on the target), but both are static settings that only a deploy changes; the one
thing it runs on a schedule is a scheduled action, which sets bounds. So each window is a pair of scheduled
actions: at its start the floor is raised to the window's min (default the max: nothing can scale in), at its
end the service's bounds come back. Because those actions set absolute bounds, protection windows and scheduled windows exclude each
other on AWS (the config refuses the combination).

None of these depend on the live color or the canary weight: each color scales on its own load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.autoscaling import AutoscalingArgs, PredictiveScaling
from components.aws.schedules import aws_cron, window_slug
from components.blue_green import COLORS, Color
from components.time_to_capacity import ScalingLoop

_ECS_NAMESPACE = "ecs"
_ECS_DESIRED_COUNT = "ecs:service:DesiredCount"
PREDICTIVE_METRIC_PAIR = "ECSServiceCPUUtilization"
"""The predefined load/scaling metric pair predictive scaling forecasts from (the same CPU target tracking uses)."""
TRACKING_METRIC_PERIOD_SECONDS = 60
"""Target tracking's scale-out alarm reads one-minute datapoints of the ECS service metrics."""
TRACKING_SCALE_OUT_DATAPOINTS = 3
"""The scale-out alarm target tracking creates fires on 3 of 3 breaching datapoints."""
ALARM_EVALUATION_SECONDS = 60
"""CloudWatch evaluates a standard-resolution alarm once a minute."""


def scaling_loop(scaling: AutoscalingArgs) -> ScalingLoop:
    """How target tracking notices a load step on ECS (for time to capacity; predictive scaling acts on
    forecasts, not on the step, so it does not shorten the worst case)."""
    return ScalingLoop(
        mechanism="ECS target tracking (CloudWatch alarm)",
        metric_period_seconds=TRACKING_METRIC_PERIOD_SECONDS,
        evaluation_periods=TRACKING_SCALE_OUT_DATAPOINTS,
        evaluation_interval_seconds=ALARM_EVALUATION_SECONDS,
        cooldown_seconds=scaling.scale_out_cooldown_seconds,
    )


def predictive_configuration(
    predictive: PredictiveScaling, cpu_target: int
) -> aws.appautoscaling.PolicyPredictiveScalingPolicyConfigurationArgs:
    """Predictive scaling on the ECS CPU metric pair, aiming at the CPU target; never above the target's max
    capacity (the max is the service's cost ceiling)."""
    return aws.appautoscaling.PolicyPredictiveScalingPolicyConfigurationArgs(
        mode="ForecastOnly" if predictive.forecast_only else "ForecastAndScale",
        scheduling_buffer_time=predictive.lead_seconds,
        max_capacity_breach_behavior="HonorMaxCapacity",
        metric_specifications=[
            aws.appautoscaling.PolicyPredictiveScalingPolicyConfigurationMetricSpecificationArgs(
                target_value=str(cpu_target),
                predefined_metric_pair_specification=aws.appautoscaling.PolicyPredictiveScalingPolicyConfigurationMetricSpecificationPredefinedMetricPairSpecificationArgs(
                    predefined_metric_type=PREDICTIVE_METRIC_PAIR
                ),
            )
        ],
    )


@dataclass(frozen=True)
class ScalableService:
    """One color's ECS service as Application Auto Scaling sees it."""

    service_name: pulumi.Input[str]
    """Name of the ECS service."""
    target_group_arn_suffix: pulumi.Input[str]
    """ARN suffix of the color's target group (for ALBRequestCountPerTarget)."""


@dataclass(frozen=True)
class AwsAutoscalingArgs:
    """The cloud-agnostic AutoscalingArgs plus the ECS services (per color) they apply to."""

    autoscaling: AutoscalingArgs
    """Bounds, CPU and requests-per-target targets, cooldowns and scheduled windows (same for each color)."""
    cluster_name: pulumi.Input[str]
    """ECS cluster the services run in."""
    services: Mapping[Color, ScalableService]
    """Colors that have a service; a color without one gets no scaling resources."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the service's ALB; required when `scaling.requests_per_target` is set."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""


class Autoscaling(pulumi.ComponentResource):
    """Application Auto Scaling target, CPU and request-count target tracking, and schedules per color."""

    targets: dict[Color, aws.appautoscaling.Target]
    cpu_policies: dict[Color, aws.appautoscaling.Policy]
    request_policies: dict[Color, aws.appautoscaling.Policy]
    predictive_policies: dict[Color, aws.appautoscaling.Policy]
    scheduled_actions: dict[Color, list[aws.appautoscaling.ScheduledAction]]
    protection_actions: dict[Color, list[aws.appautoscaling.ScheduledAction]]
    """Per color, a (start, end) pair of scheduled actions per scale-in protection window."""

    def __init__(self, name: str, args: AwsAutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        scaling = args.autoscaling
        if scaling.min_capacity > scaling.max_capacity:
            raise ValueError(f"min_capacity ({scaling.min_capacity}) exceeds max_capacity ({scaling.max_capacity})")
        if scaling.requests_per_target is not None and args.load_balancer_arn_suffix is None:
            raise ValueError("requests_per_target needs load_balancer_arn_suffix (the ALB's ARN suffix)")
        crons = {window.name: aws_cron(window.schedule) for window in scaling.schedules}
        slugs = {window.name: window_slug(window.name) for window in scaling.schedules}
        if len(set(slugs.values())) != len(scaling.schedules):
            raise ValueError(f"scheduled window names must be unique: {[window.name for window in scaling.schedules]}")
        protection = scaling.scale_in_protection
        if protection and scaling.schedules:
            raise ValueError(
                "scale-in protection windows cannot be combined with scheduled windows on AWS: both are scheduled "
                "actions setting absolute bounds, so a protection window's end would undo the scheduled window"
            )
        if len({window.slug for window in protection}) != len(protection):
            raise ValueError(f"scale-in protection window names must be unique: {[window.name for window in protection]}")
        protection_crons = {window.name: (aws_cron(window.schedule), aws_cron(window.end_schedule)) for window in protection}
        super().__init__("rollway:aws:Autoscaling", name, None, opts)
        tags = dict(args.tags)

        self.targets = {}
        self.cpu_policies = {}
        self.request_policies = {}
        self.predictive_policies = {}
        self.scheduled_actions = {}
        self.protection_actions = {}
        for color in COLORS:
            service = args.services.get(color)
            if service is None:
                continue
            target = aws.appautoscaling.Target(
                f"{name}-{color}",
                service_namespace=_ECS_NAMESPACE,
                scalable_dimension=_ECS_DESIRED_COUNT,
                resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", service.service_name),
                min_capacity=scaling.min_capacity,
                max_capacity=scaling.max_capacity,
                tags={**tags, "Name": f"{name}-{color}", "color": color},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.targets[color] = target
            self.cpu_policies[color] = self._tracking(
                f"{name}-{color}-cpu", target, "ECSServiceAverageCPUUtilization", scaling.cpu_target, None, scaling
            )
            if scaling.requests_per_target is not None and args.load_balancer_arn_suffix is not None:
                self.request_policies[color] = self._tracking(
                    f"{name}-{color}-requests",
                    target,
                    "ALBRequestCountPerTarget",
                    scaling.requests_per_target,
                    pulumi.Output.concat(args.load_balancer_arn_suffix, "/", service.target_group_arn_suffix),
                    scaling,
                )
            if scaling.predictive is not None:
                self.predictive_policies[color] = aws.appautoscaling.Policy(
                    f"{name}-{color}-predictive",
                    policy_type="PredictiveScaling",
                    service_namespace=target.service_namespace,
                    scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    predictive_scaling_policy_configuration=predictive_configuration(scaling.predictive, scaling.cpu_target),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            self.scheduled_actions[color] = [
                aws.appautoscaling.ScheduledAction(
                    f"{name}-{color}-{slugs[window.name]}",
                    service_namespace=target.service_namespace,
                    scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    schedule=crons[window.name],
                    timezone=window.timezone,
                    scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                        min_capacity=window.min_capacity, max_capacity=window.max_capacity
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )
                for window in scaling.schedules
            ]
            self.protection_actions[color] = []
            for window in protection:
                start, end = protection_crons[window.name]
                floor = window.floor(scaling.max_capacity)
                for suffix, cron, minimum in (("start", start, floor), ("end", end, scaling.min_capacity)):
                    self.protection_actions[color].append(
                        aws.appautoscaling.ScheduledAction(
                            f"{name}-{color}-{window.slug}-{suffix}",
                            service_namespace=target.service_namespace,
                            scalable_dimension=target.scalable_dimension,
                            resource_id=target.resource_id,
                            schedule=cron,
                            timezone=window.timezone,
                            # At the start the floor rises (to max by default: nothing can scale in); at the end the bounds return.
                            scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                                min_capacity=minimum, max_capacity=scaling.max_capacity
                            ),
                            opts=pulumi.ResourceOptions(parent=self),
                        )
                    )

        self.register_outputs(
            {
                "resourceIds": {color: target.resource_id for color, target in self.targets.items()},
                "minCapacity": scaling.min_capacity,
                "maxCapacity": scaling.max_capacity,
            }
        )

    def _tracking(
        self,
        logical_name: str,
        target: aws.appautoscaling.Target,
        metric: str,
        target_value: int,
        resource_label: pulumi.Input[str] | None,
        scaling: AutoscalingArgs,
    ) -> aws.appautoscaling.Policy:
        return aws.appautoscaling.Policy(
            logical_name,
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=float(target_value),
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type=metric, resource_label=resource_label
                ),
                scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                scale_out_cooldown=scaling.scale_out_cooldown_seconds,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
