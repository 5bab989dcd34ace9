"""The Kubernetes environment: a namespace with its guard rails.

- Namespace, labelled, enforcing the `restricted` Pod Security Standard (every Rollway pod complies);
- ResourceQuota sized from the services (both colors at their maximum plus a rolling update's surge, and
  headroom), which also forbids LoadBalancer and NodePort Services: only the ingress path is public;
- LimitRange with defaults for containers that set no resources, and a per-container maximum;
- NetworkPolicies: deny all ingress and all egress except DNS, then admit the router's data plane to each
  service's pods on the service port, and the monitoring namespace (when given) on the metrics port. Anything
  else a service needs (a database outside the cluster, calls to another service in this namespace) takes
  its own NetworkPolicy: the default is closed on purpose.

Where the data plane's traffic comes from depends on the implementation, so the peers are settings
(`rollway:kubernetes`):

- ingress-nginx: the controller's pods, `ingressNamespace` (default `ingress-nginx`). A controller on the host
  network reaches pods from node addresses instead: list the node ranges in `ingressFromCidrs`.
- Gateway API, proxies in the Gateway's namespace (Istio, Contour's provisioner, NGINX Gateway Fabric 2.x,
  kgateway): the default, `gateway.namespace`.
- Envoy Gateway: its proxies run in the controller's namespace, not the Gateway's:
  `gateway.dataPlaneNamespace: envoy-gateway-system` (unless its GatewayNamespace mode is on). Likewise
  controllers that run their own proxy (Traefik, Kong, NGINX Gateway Fabric 1.x): their namespace.
- GKE Gateway: no proxy pods; requests come from Google's load balancer proxies straight to the pods
  (container-native load balancing). Global external classes: `ingressFromCidrs: [35.191.0.0/16,
  130.211.0.0/22]` (Google front ends and health checks); regional and internal classes: the region's
  proxy-only subnet, plus those two ranges for health checks.
- Cilium (Gateway API or Ingress): its Envoy reaches pods as Cilium's reserved `ingress` identity, which a
  Kubernetes NetworkPolicy cannot name: `gateway.ciliumIngress: true` adds a CiliumNetworkPolicy per service
  admitting that identity on the service port.

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
    metrics_port: int | None = None
    """Port the monitoring namespace scrapes; None: the service port."""


@dataclass(frozen=True)
class KubernetesEnvironmentArgs:
    """Inputs of the Kubernetes environment."""

    environment: EnvironmentArgs
    """Environment kind and labels (`tags` are the Kubernetes labels, already label-safe)."""
    namespace: str
    """Namespace to create for the workloads."""
    ingress_namespace: str
    """Namespace ingress traffic comes from: the ingress controller's, or the Gateway's data plane."""
    ingress_from_cidrs: tuple[str, ...] = ()
    """Address ranges ingress traffic also comes from (load balancer proxies, host-network controllers)."""
    cilium_ingress: bool = False
    """Also admit Cilium's reserved `ingress` identity (its Envoy) with a CiliumNetworkPolicy per service."""
    monitoring_namespace: str | None = None
    """Namespace whose pods may scrape every service on its metrics port; None: nobody may."""
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
    """Per service: admits the data plane to its pods on its port (and the monitoring namespace, if any)."""
    allow_cilium_ingress: dict[str, k8s.apiextensions.CustomResource]
    """Per service: admits Cilium's `ingress` identity (only with `cilium_ingress`)."""

    def __init__(self, name: str, args: KubernetesEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
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
        self.allow_cilium_ingress = {}
        data_plane: list[k8s.networking.v1.NetworkPolicyPeerArgsDict] = [
            {"namespace_selector": {"match_labels": {NAMESPACE_NAME_LABEL: args.ingress_namespace}}}
        ]
        data_plane += [{"ip_block": {"cidr": cidr}} for cidr in args.ingress_from_cidrs]
        for workload in args.workloads:
            rules: list[k8s.networking.v1.NetworkPolicyIngressRuleArgsDict] = [
                {"from_": data_plane, "ports": [{"protocol": "TCP", "port": workload.port}]}
            ]
            if args.monitoring_namespace:
                rules.append(
                    {
                        "from_": [{"namespace_selector": {"match_labels": {NAMESPACE_NAME_LABEL: args.monitoring_namespace}}}],
                        "ports": [{"protocol": "TCP", "port": workload.metrics_port or workload.port}],
                    }
                )
            self.allow_ingress[workload.app] = k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-{workload.app}",
                metadata={"name": f"allow-ingress-{workload.app}", "namespace": namespace, "labels": labels},
                spec={
                    "pod_selector": _workload_selector(workload),
                    "policy_types": ["Ingress"],
                    "ingress": rules,
                },
                opts=child,
            )
            if args.cilium_ingress:
                self.allow_cilium_ingress[workload.app] = self._cilium_ingress(name, workload, namespace, labels)

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

    def _cilium_ingress(
        self, name: str, workload: WorkloadFootprint, namespace: pulumi.Input[str], labels: dict[str, str]
    ) -> k8s.apiextensions.CustomResource:
        # CustomResource inputs reach the engine untranslated: the CRD's own camelCase keys.
        return k8s.apiextensions.CustomResource(
            f"{name}-allow-{workload.app}-cilium-ingress",
            api_version="cilium.io/v2",
            kind="CiliumNetworkPolicy",
            metadata={"name": f"allow-cilium-ingress-{workload.app}", "namespace": namespace, "labels": labels},
            spec={
                "endpointSelector": {
                    "matchLabels": {APP_LABEL: workload.app},
                    "matchExpressions": [{"key": COLOR_LABEL, "operator": "Exists"}],
                },
                "ingress": [
                    {
                        "fromEntities": ["ingress"],
                        "toPorts": [{"ports": [{"port": str(workload.port), "protocol": "TCP"}]}],
                    }
                ],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )


def _workload_selector(workload: WorkloadFootprint) -> k8s.meta.v1.LabelSelectorArgsDict:
    """The service's workload pods (they carry a color); not its other pods such as schedule jobs."""
    return {
        "match_labels": {APP_LABEL: workload.app},
        "match_expressions": [{"key": COLOR_LABEL, "operator": "Exists"}],
    }


EnvironmentTargetsArgs = KubernetesEnvironmentArgs
"""Deprecated name of `KubernetesEnvironmentArgs` (Args are `<Cloud><Family>Args` on every cloud), kept for one release."""
