"""Rollway's four component families on Kubernetes (pulumi-kubernetes 4.x).

Environment (namespace, quota, limits, default-deny networking), BlueGreenTargets (a Deployment and a Service
per color, production and test Services), CanaryRoute (Gateway API HTTPRoute weights, or ingress-nginx canary
annotations, plus an optional public test route to the idle color) and Autoscaling (HPA autoscaling/v2 per color, scheduled windows as CronJobs).

Names are imported on first use (`lazy_exports`), so importing the package loads no SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from components.kubernetes.autoscaling import Autoscaling, AutoscalingTargetsArgs
    from components.kubernetes.blue_green import BlueGreenTargets, BlueGreenTargetsArgs
    from components.kubernetes.canary import CanaryRoute, CanaryRouteArgs, GatewayParent, TrafficRouter
    from components.kubernetes.environment import Environment, EnvironmentTargetsArgs, WorkloadFootprint, quota_size

_MODULE_OF = {
    "Autoscaling": "autoscaling",
    "AutoscalingTargetsArgs": "autoscaling",
    "BlueGreenTargets": "blue_green",
    "BlueGreenTargetsArgs": "blue_green",
    "CanaryRoute": "canary",
    "CanaryRouteArgs": "canary",
    "Environment": "environment",
    "EnvironmentTargetsArgs": "environment",
    "GatewayParent": "canary",
    "TrafficRouter": "canary",
    "WorkloadFootprint": "environment",
    "quota_size": "environment",
}

__all__ = [
    "Autoscaling",
    "AutoscalingTargetsArgs",
    "BlueGreenTargets",
    "BlueGreenTargetsArgs",
    "CanaryRoute",
    "CanaryRouteArgs",
    "Environment",
    "EnvironmentTargetsArgs",
    "GatewayParent",
    "TrafficRouter",
    "WorkloadFootprint",
    "quota_size",
]

__getattr__ = lazy_exports(__name__, _MODULE_OF)
