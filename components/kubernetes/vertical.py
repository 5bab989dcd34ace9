"""Vertical scaling on Kubernetes: a VerticalPodAutoscaler (autoscaling.k8s.io/v1) per color Deployment.

The VPA is a custom resource: the cluster needs the VPA components (recommender, and for `initial` or
`recreate` also the updater and admission controller) installed; without them the object is accepted but
nothing happens. Rollway does not install them. A VPA that acts raises memory requests, so the stack config
requires `maxMemory` for it and the namespace quota is sized for that ceiling.

Never fighting the HPA: Rollway's HPA scales on CPU utilization, which is measured against the CPU request.
A VPA that changed CPU requests would move the HPA's yardstick while the HPA moved the replica count, and the
two would chase each other. So a VPA that acts (`initial`, `recreate`) controls only resources no HPA
metric uses (memory); a recommend-only VPA (updateMode `Off`) acts on nothing and may recommend both.
"""

from __future__ import annotations

from collections.abc import Iterable

from components.autoscaling import VerticalScaling

VPA_API_VERSION = "autoscaling.k8s.io/v1"
VPA_KIND = "VerticalPodAutoscaler"
RESOURCES = ("cpu", "memory")
UPDATE_MODES = {"recommend": "Off", "initial": "Initial", "recreate": "Recreate"}
"""Rollway's vertical modes -> VPA updateMode."""


def controlled_resources(vertical: VerticalScaling, hpa_resource_metrics: Iterable[str]) -> list[str]:
    """Resources the VPA may recommend for (`recommend`) or change (`initial`, `recreate`): all of them when it
    only recommends, else those no HPA resource metric uses."""
    if vertical.mode == "recommend":
        return list(RESOURCES)
    used = set(hpa_resource_metrics)
    free = [resource for resource in RESOURCES if resource not in used]
    if not free:
        raise ValueError(
            f"a VPA in {vertical.mode} mode would change requests the HPA scales on ({', '.join(sorted(used))}); "
            "use mode recommend"
        )
    return free


def vpa_spec(deployment: object, vertical: VerticalScaling, hpa_resource_metrics: Iterable[str]) -> dict[str, object]:
    """The VerticalPodAutoscaler spec for one Deployment (`deployment` may be a name or a Pulumi Output)."""
    policy: dict[str, object] = {
        "containerName": "*",
        "controlledResources": controlled_resources(vertical, hpa_resource_metrics),
        # Rollway's pods set limits equal to requests (Guaranteed QoS); moving both keeps it that way.
        "controlledValues": "RequestsAndLimits",
    }
    if vertical.max_memory_mib is not None:
        policy["maxAllowed"] = {"memory": f"{vertical.max_memory_mib}Mi"}
    return {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
        "updatePolicy": {"updateMode": UPDATE_MODES[vertical.mode]},
        "resourcePolicy": {"containerPolicies": [policy]},
    }
