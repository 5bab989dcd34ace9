"""Rollway's four component families on Kubernetes (pulumi-kubernetes 4.x).

Environment (namespace, quota, limits, default-deny networking), BlueGreenTargets (a Deployment and a Service
per color, production and test Services), CanaryRoute (Gateway API HTTPRoute weights, or ingress-nginx canary
annotations, plus an optional public test route to the idle color) and Autoscaling (HPA autoscaling/v2 per color,
scheduled windows as CronJobs, an optional VerticalPodAutoscaler per color).

Names are imported on first use (`lazy_exports`), so importing the package loads no SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from components.kubernetes.autoscaling import Autoscaling, KubernetesAutoscalingArgs
    from components.kubernetes.blue_green import BlueGreenTargets, KubernetesBlueGreenArgs
    from components.kubernetes.canary import CanaryRoute, GatewayParent, KubernetesCanaryArgs, TrafficRouter
    from components.kubernetes.environment import Environment, KubernetesEnvironmentArgs, WorkloadFootprint, quota_size

_MODULE_OF = {
    "Autoscaling": "autoscaling",
    "KubernetesAutoscalingArgs": "autoscaling",
    "BlueGreenTargets": "blue_green",
    "KubernetesBlueGreenArgs": "blue_green",
    "CanaryRoute": "canary",
    "KubernetesCanaryArgs": "canary",
    "Environment": "environment",
    "KubernetesEnvironmentArgs": "environment",
    "GatewayParent": "canary",
    "TrafficRouter": "canary",
    "WorkloadFootprint": "environment",
    # Deprecated names of before the one-convention rename (not in __all__).
    "AutoscalingTargetsArgs": "autoscaling",
    "BlueGreenTargetsArgs": "blue_green",
    "CanaryRouteArgs": "canary",
    "EnvironmentTargetsArgs": "environment",
    "quota_size": "environment",
}

__all__ = [
    "Autoscaling",
    "BlueGreenTargets",
    "CanaryRoute",
    "Environment",
    "GatewayParent",
    "KubernetesAutoscalingArgs",
    "KubernetesBlueGreenArgs",
    "KubernetesCanaryArgs",
    "KubernetesEnvironmentArgs",
    "TrafficRouter",
    "WorkloadFootprint",
    "quota_size",
]

__getattr__ = lazy_exports(__name__, _MODULE_OF)
