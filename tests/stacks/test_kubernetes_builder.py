"""The Kubernetes stack builder: config in, the four families per service out, with a minimal blast radius."""

from __future__ import annotations

from functools import cache
from typing import Any

import pulumi
import pytest

from components.testing import Match, SynthesizedStack, set_path, synth
from stacks import kubernetes as kubernetes_builder
from stacks.config import load_stack_config

PASSWORD = "s3cr3t-db-password"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER_SCOPED = {"kubernetes:core/v1:Namespace"}
ROUTING = {SERVICE, HTTP_ROUTE, INGRESS}
HARDENED = {
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def base_config() -> dict[str, Any]:
    """A Kubernetes-only dev stack: `web` mid-rollout (blue live, 10% to green, canary header, a secret), `api` blue only."""
    return {
        "rollway:environment": "dev",
        "rollway:clouds": ["kubernetes"],
        "rollway:tags": {"cost-center": "platform-dev", "owner": "platform-team"},
        "rollway:kubernetes": {"namespace": "rollway-dev", "trafficRouter": "gatewayApi", "hostname": "dev.rollway.example.com"},
        "rollway:services": {
            "web": {
                "image": {"blue": "ghcr.io/rollway/web:1.4.0", "green": "ghcr.io/rollway/web:1.5.0"},
                "liveColor": "blue",
                "canaryWeight": 10,
                "port": 8080,
                "canaryHeader": {"name": "x-rollway-canary", "value": "always"},
                "autoscaling": {"min": 1, "max": 3, "requestsPerTarget": 500},
                "secrets": {"DB_PASSWORD": "dbPassword"},
            },
            "api": {
                "image": {"blue": "ghcr.io/rollway/api:2.0.3"},
                "port": 9000,
                "healthCheckPath": "/ready",
                "autoscaling": {"min": 1, "max": 2},
            },
        },
    }


def program() -> dict[str, Any]:
    return kubernetes_builder.build(load_stack_config())


@cache
def built(*changes: tuple[str, Any]) -> SynthesizedStack:
    """The dev stack's Kubernetes side, with `(key path, value)` changes applied to its config."""
    config = base_config()
    for key, value in changes:
        config = set_path(config, key, value)
    return synth(program, config=config, secrets={"rollway:secrets": {"dbPassword": PASSWORD}}, stack="dev")


def changed(before: SynthesizedStack, after: SynthesizedStack) -> list[tuple[str, str]]:
    return sorted((change.type, change.name) for change in after.changes_from(before))


NGINX = ("rollway:kubernetes.trafficRouter", "ingressNginx")


def test_one_environment_and_each_family_once_per_service() -> None:
    stack = built()
    stack.resource_count_is("rollway:kubernetes:Environment", 1)
    for family in ("BlueGreenTargets", "CanaryRoute", "Autoscaling"):
        assert sorted(r.name for r in stack.of_type(f"rollway:kubernetes:{family}")) == ["api", "web"], family


def test_every_kubernetes_resource_belongs_to_a_component() -> None:
    stack = built()
    components = {r.urn for r in stack.resources if r.type.startswith("rollway:kubernetes:")}
    assert all(r.parent in components for r in stack.resources if r.custom)


def test_namespaced_resources_live_in_the_configured_namespace() -> None:
    for resource in built().resources:
        if resource.custom and resource.type not in CLUSTER_SCOPED:
            assert resource.inputs["metadata"]["namespace"] == "rollway-dev", f"{resource.type} {resource.name}"


def test_no_explicit_provider_without_a_context() -> None:
    assert built().providers == []


def test_a_context_pins_an_explicit_provider_for_every_resource() -> None:
    stack = built(("rollway:kubernetes.context", "dev-cluster"))
    [provider] = stack.providers
    assert provider.inputs["context"] == "dev-cluster"
    assert provider.inputs["namespace"] == "rollway-dev"
    for resource in stack.resources:
        if resource.custom:
            assert resource.options.get("provider", "").startswith(provider.urn), f"{resource.type} {resource.name}"


def test_outputs_name_the_namespace_and_each_services_routes() -> None:
    outputs = synth(
        lambda: pulumi.export("kubernetes", program()),
        config=base_config(),
        secrets={"rollway:secrets": {"dbPassword": PASSWORD}},
        stack="dev",
    ).outputs["kubernetes"]
    assert outputs["namespace"] == "rollway-dev"
    assert outputs["services"]["web"] == {
        "productionService": "web",
        "testService": "web-test",
        "route": "web",
        "hostnames": ["web.dev.rollway.example.com"],
    }


def test_every_container_is_hardened() -> None:
    stack = built()
    pods = [r.inputs["spec"]["template"]["spec"] for r in stack.of_type(DEPLOYMENT)]
    pods += [r.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"] for r in stack.of_type("kubernetes:batch/v1:CronJob")]
    assert pods
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["securityContext"] == HARDENED, container["name"]


def test_no_deployment_sets_replicas_because_hpas_own_them() -> None:
    stack = built()
    stack.resource_count_is(DEPLOYMENT, 3)
    stack.resource_count_is(DEPLOYMENT, 0, {"spec": {"replicas": Match.any_value()}})
    stack.resource_count_is("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", 3)


def test_every_resource_carries_the_stack_labels() -> None:
    built().all_resources_have(
        "kubernetes:", {"metadata": {"labels": {"cost-center": "platform-dev", "owner": "platform-team", "environment": "dev"}}}
    )


def test_default_deny_network_policy_is_present() -> None:
    built().has_resource_properties(
        NETWORK_POLICY, {"spec": {"podSelector": Match.object_equals({}), "policyTypes": ["Ingress", "Egress"]}}
    )


def test_gateway_namespace_is_admitted_with_the_gateway_router() -> None:
    built().has_resource_properties(
        NETWORK_POLICY,
        {
            "spec": {
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}}}]}]
            }
        },
    )


def test_ingress_controller_namespace_is_admitted_with_the_nginx_router() -> None:
    stack = built(NGINX)
    stack.resource_count_is(HTTP_ROUTE, 0)
    stack.resource_count_is(INGRESS, 4)
    stack.has_resource_properties(
        NETWORK_POLICY,
        {
            "spec": {
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]
            }
        },
    )


def test_secrets_never_appear_in_plain_text() -> None:
    stack = built()
    stack.has_resource_properties("kubernetes:core/v1:Secret", {"stringData": Match.secret({"DB_PASSWORD": PASSWORD})})
    assert stack.plaintext_paths(PASSWORD) == []


def test_quota_allows_for_a_scheduled_window_above_the_autoscaling_max() -> None:
    window = "rollway:services.api.autoscaling.schedules[0]"
    before = built().get("kubernetes:core/v1:ResourceQuota", "rollway-dev-quota").inputs["spec"]["hard"]["pods"]
    after = (
        built((f"{window}.name", "peak"), (f"{window}.schedule", "0 8 * * *"), (f"{window}.min", 2), (f"{window}.max", 10))
        .get("kubernetes:core/v1:ResourceQuota", "rollway-dev-quota")
        .inputs["spec"]["hard"]["pods"]
    )
    assert int(after) > int(before)


# ------------------------------------------------------------------ blast radius


@pytest.mark.parametrize(("router", "routing_resource"), [((), (HTTP_ROUTE, "web-route")), ((NGINX,), (INGRESS, "web-canary"))])
def test_a_canary_step_changes_exactly_one_resource(
    router: tuple[tuple[str, str], ...], routing_resource: tuple[str, str]
) -> None:
    before = built(*router)
    after = built(*router, ("rollway:services.web.canaryWeight", 50))
    assert changed(before, after) == [routing_resource]


@pytest.mark.parametrize(
    ("router", "expected"),
    [
        ((), [(SERVICE, "web-production"), (SERVICE, "web-test"), (HTTP_ROUTE, "web-route")]),
        ((NGINX,), [(SERVICE, "web-production"), (SERVICE, "web-test"), (INGRESS, "web-canary"), (INGRESS, "web-primary")]),
    ],
)
def test_a_live_switch_changes_only_routing_resources(
    router: tuple[tuple[str, str], ...], expected: list[tuple[str, str]]
) -> None:
    before = built(*router)
    after = built(*router, ("rollway:services.web.liveColor", "green"))
    assert changed(before, after) == sorted(expected)
    assert {type_ for type_, _ in changed(before, after)} <= ROUTING
