"""Google Cloud implementations of Rollway's component families (type tokens `rollway:gcp:<Family>`).

Names are imported on first use (`lazy_exports`), so importing the package loads no SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from components.gcp.autoscaling import Autoscaling, GcpAutoscalingArgs, cloud_run_scaling
    from components.gcp.blue_green import BlueGreenTargets, GcpBlueGreenArgs
    from components.gcp.canary import CanaryRoute, GcpCanaryArgs
    from components.gcp.environment import Environment, GcpEnvironmentArgs, Placement

_MODULE_OF = {
    "Autoscaling": "autoscaling",
    "BlueGreenTargets": "blue_green",
    "CanaryRoute": "canary",
    "Environment": "environment",
    "GcpAutoscalingArgs": "autoscaling",
    "GcpBlueGreenArgs": "blue_green",
    "GcpCanaryArgs": "canary",
    "GcpEnvironmentArgs": "environment",
    "Placement": "environment",
    "cloud_run_scaling": "autoscaling",
}

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

__getattr__ = lazy_exports(__name__, _MODULE_OF)
