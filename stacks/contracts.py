"""Config -> cloud-agnostic component Args. Every cloud's builder starts from these, so a service means
the same thing on every cloud."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from components.autoscaling import AutoscalingArgs, PredictiveScaling, ScaleInProtection, ScheduledCapacity, VerticalScaling
from components.blue_green import BlueGreenArgs, Workload
from components.canary import CanaryArgs
from stacks.config import Service, StackConfig, label_safe


def resource_name(service_name: str) -> str:
    """Resource-name form of a service name (lowercase; names differing only in case are rejected by the config)."""
    return label_safe(service_name)


def service_secrets(config: StackConfig, service: Service) -> dict[str, pulumi.Output[str]]:
    """Env var -> secret Output for the service's `secrets`; values stay secret end to end."""
    if not service.secrets:
        return {}
    bag: pulumi.Output[Any] = pulumi.Config("rollway").require_secret_object("secrets")
    return {var: pulumi.Output.secret(bag.apply(_pick(key))) for var, key in service.secrets.items()}


def _pick(key: str) -> Callable[[Any], str]:
    def pick(values: Any) -> str:
        return str(values[key])

    return pick


def workload(config: StackConfig, service: Service) -> Workload:
    return Workload(
        port=service.port,
        health_check_path=service.health_check_path,
        cpu=service.cpu,
        memory=service.memory,
        environment=dict(service.environment),
        secrets=service_secrets(config, service),
    )


def blue_green_args(config: StackConfig, service: Service, tags: dict[str, str] | None = None) -> BlueGreenArgs:
    return BlueGreenArgs(
        images={"blue": service.image.blue, "green": service.image.green},
        live_color=service.live_color,
        workload=workload(config, service),
        tags=tags if tags is not None else config.effective_tags,
    )


def canary_args(service: Service) -> CanaryArgs:
    header = service.canary_header
    return CanaryArgs(
        live_color=service.live_color,
        canary_weight=service.canary_weight,
        header_name=header.name if header else None,
        header_value=header.value if header else None,
        stickiness_seconds=service.stickiness_seconds,
    )


def autoscaling_args(service: Service, cloud: str | None = None) -> AutoscalingArgs:
    """The service's autoscaling for `cloud` (predictive scaling only where `predictive.clouds` applies it)."""
    scaling = service.autoscaling
    predictive = scaling.predictive if scaling.predictive and (cloud is None or scaling.predictive.applies_to(cloud)) else None
    return AutoscalingArgs(
        min_capacity=scaling.min,
        max_capacity=scaling.max,
        cpu_target=scaling.cpu_target,
        requests_per_target=scaling.requests_per_target,
        scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
        scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds,
        schedules=tuple(
            ScheduledCapacity(name=w.name, schedule=w.schedule, min_capacity=w.min, max_capacity=w.max, timezone=w.timezone)
            for w in scaling.schedules
        ),
        scale_in_protection=tuple(
            ScaleInProtection(
                name=w.name,
                schedule=w.schedule,
                duration_minutes=w.duration_minutes,
                timezone=w.timezone,
                min_capacity=w.min,
            )
            for w in scaling.scale_in_protection
        ),
        predictive=(
            PredictiveScaling(forecast_only=predictive.mode == "forecastOnly", lead_seconds=predictive.lead_seconds)
            if predictive
            else None
        ),
        vertical=(
            VerticalScaling(mode=scaling.vertical.mode, max_memory_mib=scaling.vertical.max_memory) if scaling.vertical else None
        ),
        time_to_capacity_target_seconds=scaling.time_to_capacity_target_seconds,
    )
