"""The Kubernetes stack builder: config in, the four families per service out, with a minimal blast radius."""

from __future__ import annotations

from functools import cache
from typing import Any

import pulumi
import pytest

from components.testing import Match, SynthesizedStack, set_path, synth
from stacks import kubernetes as kubernetes_builder
from stacks.config import ConfigError, StackConfig, load_stack_config

PASSWORD = "s3cr3t-db-password"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CRONJOB = "kubernetes:batch/v1:CronJob"
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


def config_problems(*changes: tuple[str, Any]) -> list[str]:
    """The messages the config loader gives for the base config with `changes` applied (none when valid)."""
    config = {**base_config(), "rollway:secrets": {"dbPassword": PASSWORD}}
    for key, value in changes:
        config = set_path(config, key, value)
    try:
        load_stack_config(config, secret_keys=["rollway:secrets"], source="Pulumi.dev.yaml")
    except ConfigError as error:
        return [problem.render(error.source) for problem in error.problems]
    return []


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
GREEN_LIVE = ("rollway:services.web.liveColor", "green")
NO_HOSTNAME = ("rollway:kubernetes.hostname", None)
WINDOW = "rollway:services.api.autoscaling.schedules[0]"
API_WINDOW = ((f"{WINDOW}.name", "peak"), (f"{WINDOW}.schedule", "0 8 * * *"), (f"{WINDOW}.min", 1), (f"{WINDOW}.max", 2))


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
        "testRoute": "web-test",
        "testHostnames": ["test-web.dev.rollway.example.com"],
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
    stack.resource_count_is(INGRESS, 6)
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


def test_quota_grows_with_the_autoscaling_max() -> None:
    def pods(stack: SynthesizedStack) -> int:
        return int(stack.get("kubernetes:core/v1:ResourceQuota", "rollway-dev-quota").inputs["spec"]["hard"]["pods"])

    assert pods(built(("rollway:services.api.autoscaling.max", 10))) > pods(built())


# ------------------------------------------------------------------ public test route


@pytest.mark.parametrize("live", ["blue", "green"])
def test_gateway_test_route_serves_each_services_test_host_from_its_idle_color(live: str) -> None:
    stack = built(GREEN_LIVE) if live == "green" else built()
    idle = {"web": "green" if live == "blue" else "blue", "api": "green"}
    for app, idle_color in idle.items():
        stack.has_resource_properties(
            HTTP_ROUTE,
            {
                "metadata": {"name": f"{app}-test"},
                "spec": {
                    "hostnames": [f"test-{app}.dev.rollway.example.com"],
                    "parentRefs": [{"kind": "Gateway", "name": "rollway", "namespace": "gateway-system"}],
                    "rules": [
                        {
                            "backendRefs": [
                                Match.object_equals(
                                    {"group": "", "kind": "Service", "name": f"{app}-{idle_color}", "port": Match.any_value()}
                                )
                            ]
                        }
                    ],
                },
            },
            name=f"{app}-test-route",
        )


@pytest.mark.parametrize("live", ["blue", "green"])
def test_nginx_test_ingress_serves_each_services_test_host_from_its_idle_color(live: str) -> None:
    stack = built(NGINX, GREEN_LIVE) if live == "green" else built(NGINX)
    idle = {"web": "green" if live == "blue" else "blue", "api": "green"}
    for app, idle_color in idle.items():
        stack.has_resource_properties(
            INGRESS,
            {
                "metadata": {"name": f"{app}-test", "annotations": Match.object_equals({"pulumi.com/skipAwait": "true"})},
                "spec": {
                    "rules": [
                        {
                            "host": f"test-{app}.dev.rollway.example.com",
                            "http": {"paths": [{"backend": {"service": {"name": f"{app}-{idle_color}"}}}]},
                        }
                    ]
                },
            },
            name=f"{app}-test",
        )


@pytest.mark.parametrize("router", [(), (NGINX,)])
def test_without_a_hostname_there_is_no_public_test_route(router: tuple[tuple[str, str], ...]) -> None:
    stack = built(*router, NO_HOSTNAME)
    public = [r.name for r in stack.resources if r.type in (HTTP_ROUTE, INGRESS)]
    assert public and not [name for name in public if "test" in name]


TEST_WEB = ("rollway:services.test-web", {"image": {"blue": "ghcr.io/rollway/admin:1.0.0"}})
TEST_HOST_CLASH = (
    'Pulumi.dev.yaml: rollway:services = "test-web": service `test-web` would be served at '
    "test-web.dev.rollway.example.com, which is service `web`'s public test hostname on Kubernetes "
    "(test-<service>.<hostname>); rename one of them"
)


def test_a_service_named_like_another_services_test_host_is_refused() -> None:
    assert config_problems(TEST_WEB) == [TEST_HOST_CLASH]


def test_the_builder_refuses_clashing_hostnames_even_when_called_on_its_own() -> None:
    raw = {key.removeprefix("rollway:"): value for key, value in set_path(base_config(), *TEST_WEB).items()}
    unchecked = StackConfig.model_validate({**raw, "secrets": {"dbPassword": PASSWORD}})  # the loader's checks skipped
    with pytest.raises(pulumi.RunError) as raised:
        synth(lambda: kubernetes_builder.build(unchecked), stack="dev")
    assert str(raised.value) == f"invalid stack config:\n{TEST_HOST_CLASH}"


def test_a_hostname_too_long_for_the_test_hosts_is_refused() -> None:
    hostname = ".".join(["a" * 61] * 4)  # 247 characters: valid alone, too long with `test-web.` in front
    [message] = config_problems(("rollway:kubernetes.hostname", hostname))
    assert message.endswith(
        ": is too long: service `web`'s test hostname test-web.<hostname> would exceed 253 characters; use a shorter hostname"
    )


@pytest.mark.parametrize("hostname", ["*.dev.rollway.example.com", "Dev.Rollway.example.com", "dev.rollway.example.com."])
def test_hostname_must_be_a_lowercase_dns_name(hostname: str) -> None:
    [message] = config_problems(("rollway:kubernetes.hostname", hostname))
    assert message.startswith(f'Pulumi.dev.yaml: rollway:kubernetes.hostname = "{hostname}": must be a lowercase DNS name')


# ------------------------------------------------------------------ runAsUser


def test_run_as_user_runs_every_pod_as_that_uid() -> None:
    stack = built(("rollway:kubernetes.runAsUser", 10001), *API_WINDOW)
    pods = [r.inputs["spec"]["template"]["spec"] for r in stack.of_type(DEPLOYMENT)]
    pods += [r.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"] for r in stack.of_type(CRONJOB)]
    assert len(pods) == 4  # web blue and green, api blue, and api blue's schedule job
    for pod in pods:
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["securityContext"]["runAsNonRoot"] is True


def test_without_run_as_user_the_service_pods_keep_the_images_user() -> None:
    stack = built()
    stack.resource_count_is(
        DEPLOYMENT, 0, {"spec": {"template": {"spec": {"securityContext": {"runAsUser": Match.any_value()}}}}}
    )


@pytest.mark.parametrize("uid", [0, -1, 2147483648])
def test_run_as_user_must_be_a_non_root_uid(uid: int) -> None:
    assert config_problems(("rollway:kubernetes.runAsUser", uid)) == [
        f"Pulumi.dev.yaml: rollway:kubernetes.runAsUser = {uid}: must be a non-root uid between 1 and 2147483647 "
        "(0 is root, which runAsNonRoot refuses); leave it unset to use the image's own numeric USER"
    ]


def test_run_as_user_must_be_a_whole_number() -> None:
    assert config_problems(("rollway:kubernetes.runAsUser", "app")) == [
        'Pulumi.dev.yaml: rollway:kubernetes.runAsUser = "app": must be a whole number'
    ]


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
        ((), [(SERVICE, "web-production"), (SERVICE, "web-test"), (HTTP_ROUTE, "web-route"), (HTTP_ROUTE, "web-test-route")]),
        (
            (NGINX,),
            [
                (SERVICE, "web-production"),
                (SERVICE, "web-test"),
                (INGRESS, "web-canary"),
                (INGRESS, "web-primary"),
                (INGRESS, "web-test"),
            ],
        ),
    ],
)
def test_a_live_switch_changes_only_routing_resources(
    router: tuple[tuple[str, str], ...], expected: list[tuple[str, str]]
) -> None:
    before = built(*router)
    after = built(*router, GREEN_LIVE)
    assert changed(before, after) == sorted(expected)
    assert {type_ for type_, _ in changed(before, after)} <= ROUTING
