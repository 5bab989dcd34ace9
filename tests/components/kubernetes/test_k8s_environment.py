"""Environment on Kubernetes: namespace, quota and limits sized from the services, default-deny networking."""

from __future__ import annotations

from functools import cache
from typing import Any

from k8s_fixtures import LABELS, NETWORK_POLICY

from components.environment import EnvironmentArgs
from components.kubernetes import Environment, KubernetesEnvironmentArgs, WorkloadFootprint, quota_size
from rollway.testing import Match, SynthesizedStack, synth

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
WEB = WorkloadFootprint(app="web", port=8080, cpu=0.5, memory=1024, max_pods=4)
API = WorkloadFootprint(app="api", port=9000, cpu=0.25, memory=512, max_pods=2)


CILIUM_POLICY = "kubernetes:cilium.io/v2:CiliumNetworkPolicy"
GFE_RANGES = ("35.191.0.0/16", "130.211.0.0/22")


@cache
def environment(
    ingress_namespace: str = "gateway-system",
    ingress_from_cidrs: tuple[str, ...] = (),
    cilium_ingress: bool = False,
    monitoring_namespace: str | None = None,
    workloads: tuple[WorkloadFootprint, ...] = (WEB, API),
) -> SynthesizedStack:
    return synth(
        lambda: Environment(
            "env",
            KubernetesEnvironmentArgs(
                environment=EnvironmentArgs(environment="dev", tags=LABELS),
                namespace="rollway-dev",
                ingress_namespace=ingress_namespace,
                ingress_from_cidrs=ingress_from_cidrs,
                cilium_ingress=cilium_ingress,
                monitoring_namespace=monitoring_namespace,
                workloads=workloads,
            ),
        )
    )


def ingress_rules(stack: SynthesizedStack, app: str) -> list[dict[str, Any]]:
    return list(stack.get(NETWORK_POLICY, f"env-allow-{app}").inputs["spec"]["ingress"])


def test_namespace_is_named_labelled_and_enforces_restricted_pods() -> None:
    environment().has_resource_properties(
        NAMESPACE_TYPE,
        {"metadata": {"name": "rollway-dev", "labels": {**LABELS, "pod-security.kubernetes.io/enforce": "restricted"}}},
    )


def test_namespaced_children_live_in_the_namespace() -> None:
    stack = environment()
    for resource in stack.resources:
        if resource.custom and resource.type != NAMESPACE_TYPE:
            assert resource.inputs["metadata"]["namespace"] == "rollway-dev", resource.name


def test_every_child_is_parented_to_the_component() -> None:
    stack = environment()
    component = stack.get("rollway:kubernetes:Environment", "env")
    assert {r.urn for r in stack.resources if r.custom} == {r.urn for r in stack.children_of(component)}


def test_quota_covers_both_colors_at_max_with_surge_and_headroom() -> None:
    # web: 2 colors x (4 + 1 surge) = 10 pods of 500m/1024Mi; api: 2 x (2 + 1) = 6 pods of 250m/512Mi.
    # Totals 6500m, 13312Mi, 16 pods; +20% headroom -> 7800m, 15975Mi (rounded up), 20 pods.
    assert quota_size((WEB, API), 20).__dict__ == {"cpu_milli": 7800, "memory_mib": 15975, "pods": 20}
    environment().has_resource_properties(
        QUOTA,
        {
            "spec": {
                "hard": {
                    "requests.cpu": "7800m",
                    "limits.cpu": "7800m",
                    "requests.memory": "15975Mi",
                    "limits.memory": "15975Mi",
                    "pods": "20",
                }
            }
        },
    )


def test_quota_forbids_load_balancer_and_node_port_services() -> None:
    environment().has_resource_properties(QUOTA, {"spec": {"hard": {"services.loadbalancers": "0", "services.nodeports": "0"}}})


def test_limit_range_defaults_containers_and_caps_them_at_the_largest_service() -> None:
    environment().has_resource_properties(
        LIMIT_RANGE,
        {
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "100m", "memory": "128Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                        "max": {"cpu": "500m", "memory": "1024Mi"},
                    }
                ]
            }
        },
    )


def test_default_deny_blocks_all_ingress_and_all_egress_but_dns() -> None:
    environment().has_resource_properties(
        NETWORK_POLICY,
        {
            "spec": {
                "podSelector": Match.object_equals({}),
                "policyTypes": ["Ingress", "Egress"],
                "ingress": Match.absent(),
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            }
        },
        name="env-default-deny",
    )


def test_ingress_namespace_reaches_each_service_on_its_port_only() -> None:
    stack = environment()
    for workload in (WEB, API):
        stack.has_resource_properties(
            NETWORK_POLICY,
            {
                "spec": {
                    "podSelector": {
                        "matchLabels": Match.object_equals({"app.kubernetes.io/name": workload.app}),
                        "matchExpressions": [{"key": "rollway.io/color", "operator": "Exists"}],
                    },
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}}}],
                            "ports": [{"protocol": "TCP", "port": workload.port}],
                        }
                    ],
                }
            },
            name=f"env-allow-{workload.app}",
        )


def test_every_child_carries_the_labels() -> None:
    environment().all_resources_have("kubernetes:", {"metadata": {"labels": LABELS}})


def test_the_data_plane_namespace_is_the_one_admitted() -> None:
    [rule] = ingress_rules(environment(ingress_namespace="envoy-gateway-system"), "web")
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}}]


def test_ingress_source_ranges_are_admitted_on_the_service_port() -> None:
    [rule] = ingress_rules(environment(ingress_from_cidrs=GFE_RANGES), "web")
    assert rule["from"][1:] == [{"ipBlock": {"cidr": "35.191.0.0/16"}}, {"ipBlock": {"cidr": "130.211.0.0/22"}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_without_cilium_ingress_there_is_no_cilium_policy() -> None:
    environment().resource_count_is(CILIUM_POLICY, 0)


def test_cilium_ingress_admits_ciliums_ingress_identity_to_each_service_port() -> None:
    stack = environment(cilium_ingress=True)
    for workload in (WEB, API):
        stack.has_resource_properties(
            CILIUM_POLICY,
            {
                "metadata": {"namespace": "rollway-dev", "labels": LABELS},
                "spec": {
                    "endpointSelector": {
                        "matchLabels": Match.object_equals({"app.kubernetes.io/name": workload.app}),
                        "matchExpressions": [{"key": "rollway.io/color", "operator": "Exists"}],
                    },
                    "ingress": [
                        Match.object_equals(
                            {
                                "fromEntities": ["ingress"],
                                "toPorts": [{"ports": [{"port": str(workload.port), "protocol": "TCP"}]}],
                            }
                        )
                    ],
                },
            },
            name=f"env-allow-{workload.app}-cilium-ingress",
        )


def test_without_a_monitoring_namespace_nothing_else_is_admitted() -> None:
    assert len(ingress_rules(environment(), "web")) == 1


def test_the_monitoring_namespace_may_scrape_the_service_port_by_default() -> None:
    _, scrape = ingress_rules(environment(monitoring_namespace="monitoring"), "web")
    assert scrape == {
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
        "ports": [{"protocol": "TCP", "port": 8080}],
    }


def test_the_monitoring_namespace_may_scrape_a_separate_metrics_port() -> None:
    web = WorkloadFootprint(app="web", port=8080, cpu=0.5, memory=1024, max_pods=4, metrics_port=9090)
    data_plane, scrape = ingress_rules(environment(monitoring_namespace="monitoring", workloads=(web,)), "web")
    assert data_plane["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert scrape["ports"] == [{"protocol": "TCP", "port": 9090}]
