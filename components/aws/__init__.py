"""AWS implementations of the four component families: a VPC with an ECS Fargate cluster (`Environment`),
per-service ALB target groups and ECS services per color (`BlueGreenTargets`), the weighted production
listener (`CanaryRoute`) and Application Auto Scaling per color (`Autoscaling`).

`schedules` and `fargate` are pure helpers the config model shares. The component classes are imported on
first use, so config validation (which imports those helpers) does not load the AWS SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from components.aws.autoscaling import Autoscaling, AwsAutoscalingArgs, ScalableService
    from components.aws.blue_green import AwsBlueGreenArgs, BlueGreenTargets
    from components.aws.canary import AwsCanaryArgs, CanaryRoute
    from components.aws.environment import AwsEnvironmentArgs, Environment, Placement

_MODULE_OF = {
    "Autoscaling": "autoscaling",
    "AwsAutoscalingArgs": "autoscaling",
    "ScalableService": "autoscaling",
    "AwsBlueGreenArgs": "blue_green",
    "BlueGreenTargets": "blue_green",
    "AwsCanaryArgs": "canary",
    "CanaryRoute": "canary",
    "AwsEnvironmentArgs": "environment",
    "Environment": "environment",
    "Placement": "environment",
}

__all__ = [
    "Autoscaling",
    "AwsAutoscalingArgs",
    "AwsBlueGreenArgs",
    "AwsCanaryArgs",
    "AwsEnvironmentArgs",
    "BlueGreenTargets",
    "CanaryRoute",
    "Environment",
    "Placement",
    "ScalableService",
]


__getattr__ = lazy_exports(__name__, _MODULE_OF)
