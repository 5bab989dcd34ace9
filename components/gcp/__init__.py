"""Google Cloud implementations of Rollway's component families (type tokens `rollway:gcp:<Family>`)."""

from components.gcp.autoscaling import Autoscaling, GcpAutoscalingArgs, cloud_run_scaling
from components.gcp.blue_green import BlueGreenTargets, GcpBlueGreenArgs
from components.gcp.canary import CanaryRoute, GcpCanaryArgs
from components.gcp.environment import Environment, GcpEnvironmentArgs, Placement

__all__ = [
    "Autoscaling",
    "BlueGreenTargets",
    "CanaryRoute",
    "Environment",
    "GcpAutoscalingArgs",
    "GcpBlueGreenArgs",
    "GcpCanaryArgs",
    "GcpEnvironmentArgs",
    "Placement",
    "cloud_run_scaling",
]
