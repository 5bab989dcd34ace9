"""AWS implementations of the four component families: a VPC with an ECS Fargate cluster (`Environment`),
per-service ALB target groups and ECS services per color (`BlueGreenTargets`), the weighted production
listener (`CanaryRoute`) and Application Auto Scaling per color (`Autoscaling`)."""

from components.aws.autoscaling import Autoscaling, AwsAutoscalingArgs, ScalableService
from components.aws.blue_green import AwsBlueGreenArgs, BlueGreenTargets
from components.aws.canary import AwsCanaryArgs, CanaryRoute
from components.aws.environment import AwsEnvironmentArgs, Environment, Placement

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
