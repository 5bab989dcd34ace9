"""The Kubernetes environment: a namespace with its guard rails.

- Namespace, labelled, enforcing the `restricted` Pod Security Standard (every Rollway pod complies);
- ResourceQuota sized from the services (both colors at their maximum plus a rolling update's surge, and
  headroom), which also forbids LoadBalancer and NodePort Services: only the ingress path is public;
- LimitRange with defaults for containers that set no resources, and a per-container maximum;
- NetworkPolicies: deny all ingress and all egress except DNS, then admit the ingress controller's /
  Gateway's namespace to each service's pods on the service port. Anything else a service needs (a
  database outside the cluster, calls to another service in this namespace) takes its own NetworkPolicy:
  the default is closed on purpose.

Logs go to the cluster's own pipeline (stdout); their retention is set there, not per namespace, so
`log_retention_days` has no Kubernetes object to land on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.environment import EnvironmentArgs
from components.kubernetes.common import APP_LABEL, COLOR_LABEL, cpu_quantity, memory_quantity, with_labels

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by Kubernetes on every namespace (1.21+): lets a policy name a namespace without extra labels."""
COLORS_PER_SERVICE = 2
SURGE_FRACTION = 0.25
"""Matches the Deployments' maxSurge: a rolling update runs this many extra pods."""
DEFAULT_CPU_MILLI = 100
DEFAULT_MEMORY_MIB = 128
SMALLEST_CONTAINER = (50, 64)
"""(millicores, MiB) of Rollway's own helper containers (scaling schedule jobs): the maximum never goes below."""


@dataclass(frozen=True)
class WorkloadFootprint:
    """What one service needs from the namespace."""

    app: str
    """Kubernetes name of the service (its pods carry it as `app.kubernetes.io/name`)."""
    port: int
    """Container port the ingress reaches."""
    cpu: float
    """vCPUs per pod (requests = limits)."""
    memory: int
    """MiB per pod (requests = limits)."""
    max_pods: int
    """Most pods one color runs (autoscaling max, or a scheduled window's max if higher)."""


@dataclass(frozen=True)
class EnvironmentTargetsArgs:
    """Inputs of the Kubernetes environment."""

    environment: EnvironmentArgs
    """Environment kind and labels (`tags` are the Kubernetes labels, already label-safe)."""
    namespace: str
    """Namespace to create for the workloads."""
    ingress_namespace: str
    """Namespace ingress traffic comes from: the ingress controller's, or the Gateway's data plane."""
    workloads: Sequence[WorkloadFootprint] = ()
    """The services that will run here; sizes the quota and opens their ports to the ingress."""
    quota_headroom_percent: int = 20
    """Extra quota above the computed need (schedule jobs, debugging pods, a growing service)."""
    dns_namespace: str = "kube-system"
    """Namespace of the cluster DNS."""
    dns_pod_labels: dict[str, str] = field(default_factory=lambda: {"k8s-app": "kube-dns"})
    """Labels of the cluster DNS pods (CoreDNS keeps the kube-dns label)."""


@dataclass(frozen=True)
class QuotaSize:
    """Totals the ResourceQuota allows."""

    cpu_milli: int
    memory_mib: int
    pods: int


def quota_size(workloads: Sequence[WorkloadFootprint], headroom_percent: int) -> QuotaSize:
    """Both colors of every service at full size plus surge, then the headroom, rounded up."""
    cpu = memory = pods = 0
    for workload in workloads:
        count = COLORS_PER_SERVICE * (workload.max_pods + math.ceil(workload.max_pods * SURGE_FRACTION))
        pods += count
        cpu += count * round(workload.cpu * 1000)
        memory += count * workload.memory
    factor = 100 + headroom_percent
    return QuotaSize(
        cpu_milli=max(math.ceil(cpu * factor / 100), DEFAULT_CPU_MILLI),
        memory_mib=max(math.ceil(memory * factor / 100), DEFAULT_MEMORY_MIB),
        pods=max(math.ceil(pods * factor / 100), 1),
    )


class Environment(pulumi.ComponentResource):
    """A labelled namespace with quota, limits and default-deny networking."""

    namespace: k8s.core.v1.Namespace
    resource_quota: k8s.core.v1.ResourceQuota
    limit_range: k8s.core.v1.LimitRange
    default_deny: k8s.networking.v1.NetworkPolicy
    """Denies all ingress and all egress but DNS to every pod in the namespace."""
    allow_ingress: dict[str, k8s.networking.v1.NetworkPolicy]
    """Per service: admits the ingress namespace to its pods on its port."""

    def __init__(self, name: str, args: EnvironmentTargetsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rollway:kubernetes:Environment", name, None, opts)
        labels = with_labels(args.environment.tags)
        child = pulumi.ResourceOptions(parent=self)

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.namespace,
                "labels": {
                    **labels,
                    # Admission rejects any pod that is not hardened, whoever creates it.
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            opts=child,
        )
        # Namespaced children take the name from the Namespace's output so they are created after it.
        namespace = self.namespace.metadata.name

        size = quota_size(args.workloads, args.quota_headroom_percent)
        self.resource_quota = k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata={"name": "rollway", "namespace": namespace, "labels": labels},
            spec={
                "hard": {
                    "requests.cpu": cpu_quantity(size.cpu_milli / 1000),
                    "limits.cpu": cpu_quantity(size.cpu_milli / 1000),
                    "requests.memory": memory_quantity(size.memory_mib),
                    "limits.memory": memory_quantity(size.memory_mib),
                    "pods": str(size.pods),
                    # Only the shared ingress path is public: no Service may open its own load balancer or node port.
                    "services.loadbalancers": "0",
                    "services.nodeports": "0",
                }
            },
            opts=child,
        )

        max_cpu = max([SMALLEST_CONTAINER[0], *(round(w.cpu * 1000) for w in args.workloads)])
        max_memory = max([SMALLEST_CONTAINER[1], *(w.memory for w in args.workloads)])
        default = {
            "cpu": cpu_quantity(min(DEFAULT_CPU_MILLI, max_cpu) / 1000),
            "memory": memory_quantity(min(DEFAULT_MEMORY_MIB, max_memory)),
        }
        self.limit_range = k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata={"name": "rollway", "namespace": namespace, "labels": labels},
            spec={
                "limits": [
                    {
                        "type": "Container",
                        # Under a quota every container must declare resources; these cover any that do not.
                        "default": default,
                        "default_request": default,
                        # Nothing bigger than the largest service: a typo'd size fails fast instead of eating the quota.
                        "max": {"cpu": cpu_quantity(max_cpu / 1000), "memory": memory_quantity(max_memory)},
                    }
                ]
            },
            opts=child,
        )

        self.default_deny = k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "default-deny", "namespace": namespace, "labels": labels},
            spec={
                "pod_selector": {},
                "policy_types": ["Ingress", "Egress"],
                # No ingress rules: nothing reaches a pod unless another policy admits it.
                "egress": [
                    {
                        "to": [
                            {
                                "namespace_selector": {"match_labels": {NAMESPACE_NAME_LABEL: args.dns_namespace}},
                                "pod_selector": {"match_labels": dict(args.dns_pod_labels)},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
            opts=child,
        )

        self.allow_ingress = {}
        for workload in args.workloads:
            self.allow_ingress[workload.app] = k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-{workload.app}",
                metadata={"name": f"allow-ingress-{workload.app}", "namespace": namespace, "labels": labels},
                spec={
                    # The service's workload pods (they carry a color); not its other pods such as schedule jobs.
                    "pod_selector": {
                        "match_labels": {APP_LABEL: workload.app},
                        "match_expressions": [{"key": COLOR_LABEL, "operator": "Exists"}],
                    },
                    "policy_types": ["Ingress"],
                    "ingress": [
                        {
                            "from_": [{"namespace_selector": {"match_labels": {NAMESPACE_NAME_LABEL: args.ingress_namespace}}}],
                            "ports": [{"protocol": "TCP", "port": workload.port}],
                        }
                    ],
                },
                opts=child,
            )

        self.register_outputs(
            {
                "namespace": namespace,
                "quota": {
                    "cpu": cpu_quantity(size.cpu_milli / 1000),
                    "memory": memory_quantity(size.memory_mib),
                    "pods": size.pods,
                },
            }
        )
