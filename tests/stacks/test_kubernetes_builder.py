"""The Kubernetes stack builder: config in, the four families per service out, with a minimal blast radius."""

from __future__ import annotations

from functools import cache
from typing import Any

import pulumi
import pytest

from rollway.testing import Match, SynthesizedStack, set_path, synth
from stacks import build_stack
from stacks import kubernetes as kubernetes_builder
from stacks.config import ConfigError, load_stack_config

PASSWORD = "s3cr3t-db-password"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CRONJOB = "kubernetes:batch/v1:CronJob"
CILIUM_POLICY = "kubernetes:cilium.io/v2:CiliumNetworkPolicy"
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
        config = set_path(config, key, thawed(value))
    try:
        load_stack_config(config, secret_keys=["rollway:secrets"], source="Pulumi.dev.yaml")
    except ConfigError as error:
        return [problem.render(error.source) for problem in error.problems]
    return []


def thawed(value: Any) -> Any:
    """Lists are written as tuples in changes, so `built` can cache on them; the config wants lists."""
    return list(value) if isinstance(value, tuple) else value


def program() -> dict[str, Any]:
    return kubernetes_builder.build(load_stack_config())


@cache
def built(*changes: tuple[str, Any]) -> SynthesizedStack:
    """The dev stack's Kubernetes side, with `(key path, value)` changes applied to its config."""
    config = base_config()
    for key, value in changes:
        config = set_path(config, key, thawed(value))
    return synth(program, config=config, secrets={"rollway:secrets": {"dbPassword": PASSWORD}}, stack="dev")


def changed(before: SynthesizedStack, after: SynthesizedStack) -> list[tuple[str, str]]:
    return sorted((change.type, change.name) for change in after.changes_from(before))


NGINX = ("rollway:kubernetes.trafficRouter", "ingressNginx")
GREEN_LIVE = ("rollway:services.web.liveColor", "green")
NO_HOSTNAME = ("rollway:kubernetes.hostname", None)
VPN = "10.8.0.0/16"
TEST_ACCESS = ("rollway:kubernetes.testAccessCidrs", (VPN,))
PUBLIC_TEST_ROUTE = ("rollway:kubernetes.publicTestRoute", True)
API_SERVER = "172.16.0.32/28"
API_SERVER_CIDRS = ("rollway:kubernetes.apiServerCidrs", (API_SERVER,))
WINDOW = "rollway:services.api.autoscaling.schedules[0]"
EVENING = "rollway:services.api.autoscaling.schedules[1]"
API_WINDOWS = (
    (f"{WINDOW}.name", "peak"),
    (f"{WINDOW}.schedule", "0 8 * * *"),
    (f"{WINDOW}.min", 1),
    (f"{WINDOW}.max", 2),
    (f"{EVENING}.name", "evening"),
    (f"{EVENING}.schedule", "0 20 * * *"),
    (f"{EVENING}.min", 1),
    (f"{EVENING}.max", 1),
)
API_WINDOW = (*API_WINDOWS, API_SERVER_CIDRS)
"""`api` with scheduled windows (on its blue Deployment), and the API server's address its jobs need."""


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


def exported(*changes: tuple[str, Any]) -> dict[str, Any]:
    config = base_config()
    for key, value in changes:
        config = set_path(config, key, thawed(value))
    return dict(
        synth(
            lambda: pulumi.export("kubernetes", program()),
            config=config,
            secrets={"rollway:secrets": {"dbPassword": PASSWORD}},
            stack="dev",
        ).outputs["kubernetes"]
    )


def test_outputs_name_the_namespace_and_each_services_routes() -> None:
    outputs = exported(PUBLIC_TEST_ROUTE)
    assert outputs["namespace"] == "rollway-dev"
    assert outputs["services"]["web"] == {
        "productionService": "web",
        "testService": "web-test",
        "route": "web",
        "hostnames": ["web.dev.rollway.example.com"],
        "testRoute": "web-test",
        "testHostnames": ["test-web.dev.rollway.example.com"],
        "timeToCapacity": {
            "firstScaleOutSeconds": 90,
            "targetSeconds": 120,
            "readySeconds": None,
            "mechanism": "HorizontalPodAutoscaler",
            "breakdown": "1 x 15s samples + 15s evaluation; + 60s scale-up stabilization",
            "exceedsTarget": False,
        },
    }


def test_without_a_public_test_route_the_outputs_name_only_the_in_cluster_test_service() -> None:
    web = exported()["services"]["web"]
    assert (web["testService"], web["testRoute"], web["testHostnames"]) == ("web-test", None, [])


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


def test_quota_grows_with_the_autoscaling_max() -> None:
    def pods(stack: SynthesizedStack) -> int:
        return int(stack.get("kubernetes:core/v1:ResourceQuota", "rollway-dev-quota").inputs["spec"]["hard"]["pods"])

    assert pods(built(("rollway:services.api.autoscaling.max", 10))) > pods(built())


# ------------------------------------------------------------------ where the data plane's traffic comes from


def allow_web(stack: SynthesizedStack) -> list[dict[str, Any]]:
    return list(stack.get(NETWORK_POLICY, "rollway-dev-allow-web").inputs["spec"]["ingress"])


def namespace_peer(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def test_the_gateway_data_plane_namespace_is_admitted_instead_of_the_gateways() -> None:
    [rule] = allow_web(built(("rollway:kubernetes.gateway.dataPlaneNamespace", "envoy-gateway-system")))
    assert rule["from"] == [namespace_peer("envoy-gateway-system")]


def test_the_data_plane_namespace_defaults_to_the_gateways() -> None:
    [rule] = allow_web(built(("rollway:kubernetes.gateway.namespace", "edge")))
    assert rule["from"] == [namespace_peer("edge")]


@pytest.mark.parametrize(("router", "namespace"), [((), "gateway-system"), ((NGINX,), "ingress-nginx")])
def test_ingress_source_ranges_are_admitted_with_either_router(router: tuple[tuple[str, str], ...], namespace: str) -> None:
    [rule] = allow_web(built(*router, ("rollway:kubernetes.ingressFromCidrs", ("35.191.0.0/16", "130.211.0.0/22"))))
    assert rule["from"] == [
        namespace_peer(namespace),
        {"ipBlock": {"cidr": "35.191.0.0/16"}},
        {"ipBlock": {"cidr": "130.211.0.0/22"}},
    ]


def test_cilium_ingress_adds_a_cilium_policy_per_service() -> None:
    stack = built(("rollway:kubernetes.gateway.ciliumIngress", True))
    assert sorted(r.name for r in stack.of_type(CILIUM_POLICY)) == [
        "rollway-dev-allow-api-cilium-ingress",
        "rollway-dev-allow-web-cilium-ingress",
    ]


def test_without_cilium_ingress_there_is_no_cilium_policy() -> None:
    built().resource_count_is(CILIUM_POLICY, 0)


def test_the_monitoring_namespace_may_scrape_each_service_on_the_metrics_port() -> None:
    stack = built(("rollway:kubernetes.monitoringNamespace", "monitoring"), ("rollway:kubernetes.metricsPort", 9090))
    _, scrape = allow_web(stack)
    assert scrape == {"from": [namespace_peer("monitoring")], "ports": [{"protocol": "TCP", "port": 9090}]}


def test_the_monitoring_namespace_scrapes_the_service_port_by_default() -> None:
    _, scrape = allow_web(built(("rollway:kubernetes.monitoringNamespace", "monitoring")))
    assert scrape["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_without_a_monitoring_namespace_only_the_data_plane_is_admitted() -> None:
    assert len(allow_web(built())) == 1


def test_a_metrics_port_needs_a_monitoring_namespace() -> None:
    assert config_problems(("rollway:kubernetes.metricsPort", 9090)) == [
        "Pulumi.dev.yaml: rollway:kubernetes.metricsPort = 9090: has no effect without monitoringNamespace "
        "(the namespace allowed to scrape it)"
    ]


@pytest.mark.parametrize("key", ["gateway.dataPlaneNamespace", "monitoringNamespace"])
def test_extra_namespaces_must_be_dns_labels(key: str) -> None:
    [message] = config_problems((f"rollway:kubernetes.{key}", "Envoy_Gateway"))
    assert message.startswith(f'Pulumi.dev.yaml: rollway:kubernetes.{key} = "Envoy_Gateway": must be a DNS label')


def test_ingress_source_ranges_must_not_admit_everything() -> None:
    [message] = config_problems(("rollway:kubernetes.ingressFromCidrs", ["0.0.0.0/0"]))
    assert message.startswith('Pulumi.dev.yaml: rollway:kubernetes.ingressFromCidrs[0] = "0.0.0.0/0": would admit every address')


# ------------------------------------------------------------------ scheduled windows


def schedule_egress(stack: SynthesizedStack) -> list[dict[str, Any]]:
    policy = stack.get(NETWORK_POLICY, "api-schedule-egress")
    return [peer for rule in policy.inputs["spec"]["egress"] for peer in rule["to"]]


def test_schedule_jobs_may_connect_only_to_the_api_server() -> None:
    assert schedule_egress(built(*API_WINDOW)) == [{"ipBlock": {"cidr": API_SERVER}}]


def test_schedule_jobs_may_also_reach_the_kubernetes_service_address_when_the_service_network_is_known() -> None:
    stack = built(*API_WINDOW, ("rollway:kubernetes.serviceCidr", "10.101.0.0/16"))
    assert schedule_egress(stack) == [{"ipBlock": {"cidr": API_SERVER}}, {"ipBlock": {"cidr": "10.101.0.1/32"}}]


def test_scheduled_windows_need_the_api_server_addresses() -> None:
    assert config_problems(*API_WINDOWS) == [
        "Pulumi.dev.yaml: rollway:kubernetes.apiServerCidrs: is required: `api` has scheduled or scale-in protection windows, whose jobs may "
        "connect only to the API server; list its endpoint addresses "
        "(kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes)"
    ]


def test_api_server_addresses_must_not_be_everything() -> None:
    [message] = config_problems(*API_WINDOWS, ("rollway:kubernetes.apiServerCidrs", ["0.0.0.0/0"]))
    assert message.startswith(
        'Pulumi.dev.yaml: rollway:kubernetes.apiServerCidrs[0] = "0.0.0.0/0": would let the schedule jobs connect anywhere'
    )


def test_window_names_equal_as_kubernetes_names_are_refused() -> None:
    second = "rollway:services.api.autoscaling.schedules[2]"
    assert config_problems(
        *API_WINDOW,
        (f"{second}.name", "Peak"),
        (f"{second}.schedule", "0 9 * * *"),
        (f"{second}.min", 1),
        (f"{second}.max", 2),
    ) == [
        'Pulumi.dev.yaml: rollway:services.api.autoscaling.schedules[2].name = "Peak": names the same Kubernetes '
        "CronJobs as window `peak` (peak); window names must differ in more than case and punctuation"
    ]


# ------------------------------------------------------------------ public test route


def public_routes(stack: SynthesizedStack) -> list[str]:
    return sorted(r.name for r in stack.resources if r.type in (HTTP_ROUTE, INGRESS))


def test_the_gateway_router_has_no_public_test_route_unless_asked() -> None:
    # Gateway API cannot restrict a route's clients, so the idle color is not put on the internet by default.
    assert public_routes(built()) == ["api-route", "web-route"]


def test_the_nginx_router_has_no_public_test_route_without_access_ranges() -> None:
    assert public_routes(built(NGINX)) == ["api-canary", "api-primary", "web-canary", "web-primary"]


@pytest.mark.parametrize("router", [(), (NGINX,), (PUBLIC_TEST_ROUTE,), (NGINX, TEST_ACCESS)])
def test_the_in_cluster_test_service_always_reaches_the_idle_color(router: tuple[tuple[str, Any], ...]) -> None:
    built(*router).has_resource_properties(
        SERVICE, {"metadata": {"name": "web-test"}, "spec": {"selector": {"rollway.io/color": "green"}}}, name="web-test"
    )


@pytest.mark.parametrize("live", ["blue", "green"])
def test_gateway_test_route_serves_each_services_test_host_from_its_idle_color(live: str) -> None:
    stack = built(PUBLIC_TEST_ROUTE, GREEN_LIVE) if live == "green" else built(PUBLIC_TEST_ROUTE)
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
def test_nginx_test_ingress_serves_each_services_test_host_from_its_idle_color_to_the_access_ranges(live: str) -> None:
    stack = built(NGINX, TEST_ACCESS, GREEN_LIVE) if live == "green" else built(NGINX, TEST_ACCESS)
    idle = {"web": "green" if live == "blue" else "blue", "api": "green"}
    for app, idle_color in idle.items():
        stack.has_resource_properties(
            INGRESS,
            {
                "metadata": {
                    "name": f"{app}-test",
                    "annotations": Match.object_equals(
                        {"pulumi.com/skipAwait": "true", "nginx.ingress.kubernetes.io/whitelist-source-range": VPN}
                    ),
                },
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


def test_an_explicitly_public_nginx_test_ingress_has_no_source_restriction() -> None:
    annotations = built(NGINX, PUBLIC_TEST_ROUTE).get(INGRESS, "web-test").inputs["metadata"]["annotations"]
    assert annotations == {"pulumi.com/skipAwait": "true"}


@pytest.mark.parametrize("router", [(), (NGINX,)])
def test_without_a_hostname_there_is_no_public_test_route(router: tuple[tuple[str, str], ...]) -> None:
    public = public_routes(built(*router, NO_HOSTNAME))
    assert public and not [name for name in public if "test" in name]


def test_test_access_ranges_must_not_admit_the_whole_internet() -> None:
    [message] = config_problems(NGINX, ("rollway:kubernetes.testAccessCidrs", ["0.0.0.0/0"]))
    assert message == (
        'Pulumi.dev.yaml: rollway:kubernetes.testAccessCidrs[0] = "0.0.0.0/0": must not admit the whole internet; '
        "the test route serves the idle color for smoke tests (use a VPN or office range)"
    )


def test_test_access_ranges_are_refused_with_the_gateway_router() -> None:
    [message] = config_problems(TEST_ACCESS)
    assert message.startswith(
        'Pulumi.dev.yaml: rollway:kubernetes.testAccessCidrs = ["10.8.0.0/16"]: cannot be enforced with trafficRouter '
        "gatewayApi (Gateway API has no standard source filter for a route)"
    )


@pytest.mark.parametrize(("change", "key"), [(TEST_ACCESS, "testAccessCidrs"), (PUBLIC_TEST_ROUTE, "publicTestRoute")])
def test_a_public_test_route_needs_a_hostname(change: tuple[str, Any], key: str) -> None:
    messages = config_problems(NGINX, NO_HOSTNAME, change)
    assert [m for m in messages if f"rollway:kubernetes.{key} = " in m and "needs hostname" in m], messages


def test_test_access_ranges_without_a_public_test_route_are_refused() -> None:
    assert config_problems(NGINX, TEST_ACCESS, ("rollway:kubernetes.publicTestRoute", False)) == [
        "Pulumi.dev.yaml: rollway:kubernetes.publicTestRoute = false: is false, so testAccessCidrs has nothing to "
        "restrict; remove one of them"
    ]


TEST_WEB = ("rollway:services.test-web", {"image": {"blue": "ghcr.io/rollway/admin:1.0.0"}})
TEST_HOST_CLASH = (
    'Pulumi.dev.yaml: rollway:services = "test-web": service `test-web` would be served at '
    "test-web.dev.rollway.example.com, which is service `web`'s public test hostname on Kubernetes "
    "(test-<service>.<hostname>); rename one of them"
)


def test_a_service_named_like_another_services_test_host_is_refused() -> None:
    assert config_problems(PUBLIC_TEST_ROUTE, TEST_WEB) == [TEST_HOST_CLASH]


def test_without_public_test_routes_a_service_may_be_named_test_something() -> None:
    assert config_problems(TEST_WEB) == []


def test_the_stack_refuses_clashing_hostnames_before_registering_anything() -> None:
    config = set_path(set_path(base_config(), *PUBLIC_TEST_ROUTE), *TEST_WEB)
    with pytest.raises(pulumi.RunError) as raised:
        synth(build_stack, config=config, secrets={"rollway:secrets": {"dbPassword": PASSWORD}}, stack="dev")
    assert str(raised.value) == f"invalid stack config:\n{TEST_HOST_CLASH}"


def test_a_hostname_too_long_for_the_test_hosts_is_refused() -> None:
    hostname = ".".join(["a" * 61] * 4)  # 247 characters: valid alone, too long with `test-web.` in front
    [message] = config_problems(PUBLIC_TEST_ROUTE, ("rollway:kubernetes.hostname", hostname))
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
    assert len(pods) == 5  # web blue and green, api blue, and api blue's two schedule jobs
    for pod in pods:
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["securityContext"]["runAsNonRoot"] is True


def test_without_run_as_user_the_service_pods_run_as_a_high_uid() -> None:
    stack = built()
    stack.resource_count_is(DEPLOYMENT, 3, {"spec": {"template": {"spec": {"securityContext": {"runAsUser": 10001}}}}})


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

ROUTERS = {
    "gateway": (),
    "gateway-public-test-route": (PUBLIC_TEST_ROUTE,),
    "nginx": (NGINX,),
    "nginx-test-access": (NGINX, TEST_ACCESS),
}
WEIGHTED_ROUTE = {
    "gateway": (HTTP_ROUTE, "web-route"),
    "gateway-public-test-route": (HTTP_ROUTE, "web-route"),
    "nginx": (INGRESS, "web-canary"),
    "nginx-test-access": (INGRESS, "web-canary"),
}


@pytest.mark.parametrize("router", list(ROUTERS))
def test_a_canary_step_changes_exactly_one_resource(router: str) -> None:
    before = built(*ROUTERS[router])
    after = built(*ROUTERS[router], ("rollway:services.web.canaryWeight", 50))
    assert changed(before, after) == [WEIGHTED_ROUTE[router]]


LIVE_SWITCH = {
    "gateway": [(SERVICE, "web-production"), (SERVICE, "web-test"), (HTTP_ROUTE, "web-route")],
    "gateway-public-test-route": [
        (SERVICE, "web-production"),
        (SERVICE, "web-test"),
        (HTTP_ROUTE, "web-route"),
        (HTTP_ROUTE, "web-test-route"),
    ],
    "nginx": [(SERVICE, "web-production"), (SERVICE, "web-test"), (INGRESS, "web-canary"), (INGRESS, "web-primary")],
    "nginx-test-access": [
        (SERVICE, "web-production"),
        (SERVICE, "web-test"),
        (INGRESS, "web-canary"),
        (INGRESS, "web-primary"),
        (INGRESS, "web-test"),
    ],
}


@pytest.mark.parametrize("router", list(ROUTERS))
def test_a_live_switch_changes_only_routing_resources(router: str) -> None:
    before = built(*ROUTERS[router])
    after = built(*ROUTERS[router], GREEN_LIVE)
    assert changed(before, after) == sorted(LIVE_SWITCH[router])
    assert {type_ for type_, _ in changed(before, after)} <= ROUTING


# ------------------------------------------------------------------ vertical scaling and time to capacity

VPA = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler"
VERTICAL = (
    ("rollway:services.web.autoscaling.vertical.mode", "recreate"),
    ("rollway:services.web.autoscaling.vertical.maxMemory", 2048),
)


def test_vertical_scaling_builds_a_vpa_per_color_of_that_service_only() -> None:
    stack = built(("rollway:services.web.autoscaling.vertical.mode", "recommend"))
    assert sorted(r.name for r in stack.of_type(VPA)) == ["web-blue-vpa", "web-green-vpa"]
    built().resource_count_is(VPA, 0)


def test_an_acting_vpa_sizes_the_quota_for_its_memory_ceiling() -> None:
    def memory(stack: SynthesizedStack) -> str:
        return str(stack.get("kubernetes:core/v1:ResourceQuota", "rollway-dev-quota").inputs["spec"]["hard"]["requests.memory"])

    def mebibytes(quantity: str) -> int:
        return int(quantity.removesuffix("Mi")) if quantity.endswith("Mi") else int(quantity.removesuffix("Gi")) * 1024

    assert mebibytes(memory(built(*VERTICAL))) > mebibytes(memory(built()))


def test_a_canary_step_with_vertical_scaling_on_changes_only_the_route() -> None:
    before = built(*VERTICAL)
    after = built(*VERTICAL, ("rollway:services.web.canaryWeight", 50))
    assert changed(before, after) == [(HTTP_ROUTE, "web-route")]


def test_a_slow_scale_up_window_is_reported_and_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr("stacks.capacity.pulumi.log.warn", lambda message, *args, **kwargs: warnings.append(message))
    web = exported(("rollway:services.web.autoscaling.scaleOutCooldownSeconds", 91))["services"]["web"]
    assert (web["timeToCapacity"]["firstScaleOutSeconds"], web["timeToCapacity"]["exceedsTarget"]) == (121, True)
    assert warnings == [
        "kubernetes service web: worst-case time to first scale-out is 121s (HorizontalPodAutoscaler: 1 x 15s samples "
        "+ 15s evaluation; + 91s scale-up stabilization), above its target of 120s; shorten "
        "autoscaling.scaleOutCooldownSeconds, or relax rollway:services.web.autoscaling.timeToCapacityTargetSeconds"
    ]
