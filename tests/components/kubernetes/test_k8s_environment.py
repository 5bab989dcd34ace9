"""Environment on Kubernetes: namespace, quota and limits sized from the services, default-deny networking."""

from __future__ import annotations

from functools import cache

from k8s_fixtures import LABELS, NETWORK_POLICY

from components.environment import EnvironmentArgs
from components.kubernetes import Environment, EnvironmentTargetsArgs, WorkloadFootprint, quota_size
from components.testing import Match, SynthesizedStack, synth

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
WEB = WorkloadFootprint(app="web", port=8080, cpu=0.5, memory=1024, max_pods=4)
API = WorkloadFootprint(app="api", port=9000, cpu=0.25, memory=512, max_pods=2)


@cache
def environment() -> SynthesizedStack:
    return synth(
        lambda: Environment(
            "env",
            EnvironmentTargetsArgs(
                environment=EnvironmentArgs(environment="dev", tags=LABELS),
                namespace="rollway-dev",
                ingress_namespace="gateway-system",
                workloads=(WEB, API),
            ),
        )
    )


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
