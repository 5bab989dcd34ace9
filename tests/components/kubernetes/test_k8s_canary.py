"""CanaryRoute on Kubernetes: Gateway API HTTPRoute weights, or ingress-nginx primary and canary Ingresses,
and with either router a public test route that always reaches the idle color."""

from __future__ import annotations

import pytest
from k8s_fixtures import HTTP_ROUTE, INGRESS, LABELS, NAMESPACE, canary

from components.canary import CanaryArgs
from components.kubernetes import CanaryRoute, GatewayParent, KubernetesCanaryArgs
from rollway.testing import Match, synth

NGINX = "nginx.ingress.kubernetes.io"
TEST_HOST = "test-web.dev.example.com"
VPN = "10.8.0.0/16"
OFFICE = "198.51.100.0/24"
LIVE_IDLE = [("blue", "green"), ("green", "blue")]
SPLITS = [  # live, canary weight -> (blue weight, green weight)
    ("blue", 0, (100, 0)),
    ("blue", 10, (90, 10)),
    ("blue", 50, (50, 50)),
    ("blue", 100, (0, 100)),
    ("green", 0, (0, 100)),
    ("green", 10, (10, 90)),
    ("green", 50, (50, 50)),
    ("green", 100, (100, 0)),
]


def weighted_rule(blue: int, green: int) -> dict[str, object]:
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [
            {"kind": "Service", "name": "web-blue", "port": 8080, "weight": blue},
            {"kind": "Service", "name": "web-green", "port": 8080, "weight": green},
        ],
    }


# ------------------------------------------------------------------ Gateway API


@pytest.mark.parametrize(("live", "weight", "expected"), SPLITS)
def test_http_route_splits_by_the_canary_weight(live: str, weight: int, expected: tuple[int, int]) -> None:
    canary(live=live, weight=weight, header=False).has_resource_properties(
        HTTP_ROUTE, {"spec": {"rules": [weighted_rule(*expected)]}}, name="web-route"
    )


def test_gateway_router_children_are_the_weighted_and_the_test_http_routes() -> None:
    stack = canary()
    component = stack.get("rollway:kubernetes:CanaryRoute", "web")
    assert sorted((r.type, r.name) for r in stack.children_of(component)) == [
        (HTTP_ROUTE, "web-route"),
        (HTTP_ROUTE, "web-test-route"),
    ]
    stack.resource_count_is(INGRESS, 0)


def test_http_route_attaches_to_the_configured_gateway() -> None:
    canary().has_resource_properties(
        HTTP_ROUTE,
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "metadata": {"name": "web", "namespace": NAMESPACE},
            "spec": {"parentRefs": [{"kind": "Gateway", "name": "public", "namespace": "gateway-system"}]},
        },
    )


def test_http_route_serves_the_configured_hostnames() -> None:
    canary().has_resource_properties(HTTP_ROUTE, {"spec": {"hostnames": ["web.dev.example.com"]}})


def test_http_route_without_hostnames_leaves_them_out() -> None:
    canary(hostnames=()).has_resource_properties(HTTP_ROUTE, {"spec": {"hostnames": Match.absent()}})


@pytest.mark.parametrize(("live", "idle"), [("blue", "green"), ("green", "blue")])
def test_canary_header_pins_requests_to_the_idle_color(live: str, idle: str) -> None:
    canary(live=live, weight=0).has_resource_properties(
        HTTP_ROUTE,
        {
            "spec": {
                "rules": Match.array_with(
                    [
                        {
                            "matches": [{"headers": [{"type": "Exact", "name": "x-canary", "value": "always"}]}],
                            "backendRefs": [
                                Match.object_equals({"group": "", "kind": "Service", "name": f"web-{idle}", "port": 8080})
                            ],
                        }
                    ]
                )
            }
        },
    )


def test_without_a_canary_header_there_is_only_the_weighted_rule() -> None:
    rules = canary(header=False).get(HTTP_ROUTE, "web-route").inputs["spec"]["rules"]
    assert len(rules) == 1
    assert "headers" not in rules[0]["matches"][0]


def test_http_routes_carry_the_labels() -> None:
    canary().all_resources_have(HTTP_ROUTE, {"metadata": {"labels": LABELS}})


def test_a_canary_step_changes_only_the_weights() -> None:
    changes = canary(weight=50).changes_from(canary(weight=10))
    assert [(c.name, [p.path for p in c.changes]) for c in changes] == [
        ("web-route", ["spec.rules[1].backendRefs[0].weight", "spec.rules[1].backendRefs[1].weight"])
    ]


@pytest.mark.parametrize(("live", "idle"), LIVE_IDLE)
def test_test_http_route_sends_every_request_for_the_test_host_to_the_idle_color(live: str, idle: str) -> None:
    canary(live=live, weight=30).has_resource_properties(
        HTTP_ROUTE,
        {
            "metadata": {"name": "web-test", "namespace": NAMESPACE},
            "spec": {
                "hostnames": [TEST_HOST],
                "rules": [
                    Match.object_equals(
                        {
                            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                            "backendRefs": [{"group": "", "kind": "Service", "name": f"web-{idle}", "port": 8080}],
                        }
                    )
                ],
            },
        },
        name="web-test-route",
    )


def test_test_http_route_attaches_to_the_same_gateway() -> None:
    stack = canary()
    parents = stack.get(HTTP_ROUTE, "web-route").inputs["spec"]["parentRefs"]
    stack.has_resource_properties(HTTP_ROUTE, {"spec": {"parentRefs": Match.exact(parents)}}, name="web-test-route")


def test_without_test_hostnames_there_is_no_public_test_route() -> None:
    stack = canary(test_hostnames=())
    stack.resource_count_is(HTTP_ROUTE, 1)
    stack.get(HTTP_ROUTE, "web-route")


def test_a_live_switch_moves_the_test_http_route_to_the_new_idle_color() -> None:
    changes = {c.name: c.changes for c in canary(live="green").changes_from(canary(live="blue"))}
    assert [(p.path, p.old, p.new) for p in changes["web-test-route"]] == [
        ("spec.rules[0].backendRefs[0].name", "web-green", "web-blue")
    ]


def test_a_host_cannot_be_both_a_production_and_a_test_hostname() -> None:
    def program() -> None:
        CanaryRoute(
            "web",
            KubernetesCanaryArgs(
                canary=CanaryArgs(live_color="blue", canary_weight=0),
                namespace=NAMESPACE,
                app="web",
                backends={"blue": "web-blue", "green": "web-green"},
                port=8080,
                gateway=GatewayParent(name="public", namespace="gateway-system"),
                hostnames=("web.dev.example.com",),
                test_hostnames=("web.dev.example.com",),
            ),
        )

    with pytest.raises(ValueError, match=r"web\.dev\.example\.com cannot be both a production and a test hostname"):
        synth(program)


def test_a_gateway_test_route_refuses_source_ranges_it_cannot_enforce() -> None:
    with pytest.raises(ValueError, match="gatewayApi router cannot restrict the test route to test_access_cidrs"):
        canary(test_access_cidrs=(VPN,))


def test_a_gateway_route_needs_a_gateway() -> None:
    def program() -> None:
        CanaryRoute(
            "web",
            KubernetesCanaryArgs(
                canary=CanaryArgs(live_color="blue", canary_weight=0),
                namespace=NAMESPACE,
                app="web",
                backends={"blue": "web-blue", "green": "web-green"},
                port=8080,
                gateway=None,
            ),
        )

    with pytest.raises(ValueError, match="gatewayApi router needs a Gateway"):
        synth(program)


# ------------------------------------------------------------------ ingress-nginx


@pytest.mark.parametrize(("live", "weight", "expected"), SPLITS)
def test_canary_ingress_carries_the_idle_weight(live: str, weight: int, expected: tuple[int, int]) -> None:
    idle = "green" if live == "blue" else "blue"
    idle_weight = dict(zip(("blue", "green"), expected, strict=True))[idle]
    canary(live=live, weight=weight, router="ingressNginx").has_resource_properties(
        INGRESS,
        {
            "metadata": {
                "name": "web-canary",
                "annotations": {
                    f"{NGINX}/canary": "true",
                    f"{NGINX}/canary-weight": str(idle_weight),
                    f"{NGINX}/canary-weight-total": "100",
                },
            }
        },
        name="web-canary",
    )


@pytest.mark.parametrize(("live", "idle"), [("blue", "green"), ("green", "blue")])
def test_primary_ingress_reaches_the_live_color_and_canary_the_idle(live: str, idle: str) -> None:
    stack = canary(live=live, router="ingressNginx")

    def backend(color: str) -> dict[str, object]:
        return {
            "spec": {
                "rules": [{"http": {"paths": [{"backend": {"service": {"name": f"web-{color}", "port": {"number": 8080}}}}]}}]
            }
        }

    stack.has_resource_properties(INGRESS, backend(live), name="web-primary")
    stack.has_resource_properties(INGRESS, backend(idle), name="web-canary")


def test_primary_ingress_is_not_a_canary() -> None:
    canary(router="ingressNginx").has_resource_properties(
        INGRESS, {"metadata": {"annotations": Match.absent()}, "spec": {"ingressClassName": "nginx"}}, name="web-primary"
    )


def test_canary_ingress_routes_the_header_to_the_idle_color() -> None:
    canary(router="ingressNginx").has_resource_properties(
        INGRESS,
        {"metadata": {"annotations": {f"{NGINX}/canary-by-header": "x-canary", f"{NGINX}/canary-by-header-value": "always"}}},
        name="web-canary",
    )


def test_both_ingresses_serve_the_same_hosts_with_tls() -> None:
    stack = canary(router="ingressNginx")
    for name in ("web-primary", "web-canary"):
        stack.has_resource_properties(
            INGRESS,
            {
                "spec": {
                    "rules": [{"host": "web.dev.example.com"}],
                    "tls": [{"hosts": ["web.dev.example.com"], "secretName": "web-tls"}],
                }
            },
            name=name,
        )


def test_stickiness_sets_cookie_affinity_with_its_duration() -> None:
    stack = canary(router="ingressNginx", stickiness_seconds=60)
    for name in ("web-primary", "web-canary"):
        stack.has_resource_properties(
            INGRESS,
            {"metadata": {"annotations": {f"{NGINX}/affinity": "cookie", f"{NGINX}/session-cookie-max-age": "60"}}},
            name=name,
        )


@pytest.mark.parametrize(("live", "idle"), LIVE_IDLE)
def test_test_ingress_sends_the_test_host_to_the_idle_color(live: str, idle: str) -> None:
    canary(live=live, weight=30, router="ingressNginx").has_resource_properties(
        INGRESS,
        {
            "metadata": {"name": "web-test", "namespace": NAMESPACE},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    Match.object_equals(
                        {
                            "host": TEST_HOST,
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {"service": {"name": f"web-{idle}", "port": {"number": 8080}}},
                                    }
                                ]
                            },
                        }
                    )
                ],
            },
        },
        name="web-test",
    )


def test_test_ingress_is_a_plain_ingress_that_does_not_wait_for_pods() -> None:
    # Neither canary nor sticky: a canary Ingress would only share the production host's traffic.
    canary(router="ingressNginx", stickiness_seconds=60).has_resource_properties(
        INGRESS, {"metadata": {"annotations": Match.object_equals({"pulumi.com/skipAwait": "true"})}}, name="web-test"
    )


def test_test_ingress_admits_only_the_test_access_ranges() -> None:
    canary(router="ingressNginx", test_access_cidrs=(VPN, OFFICE)).has_resource_properties(
        INGRESS,
        {
            "metadata": {
                "annotations": Match.object_equals(
                    {"pulumi.com/skipAwait": "true", f"{NGINX}/whitelist-source-range": f"{VPN},{OFFICE}"}
                )
            }
        },
        name="web-test",
    )


def test_test_access_ranges_leave_the_production_ingresses_alone() -> None:
    stack = canary(router="ingressNginx", test_access_cidrs=(VPN,))
    for name in ("web-primary", "web-canary"):
        annotations = stack.get(INGRESS, name).inputs["metadata"].get("annotations", {})
        assert f"{NGINX}/whitelist-source-range" not in annotations, name


def test_test_ingress_serves_its_host_with_tls() -> None:
    canary(router="ingressNginx").has_resource_properties(
        INGRESS, {"spec": {"tls": [Match.object_equals({"hosts": [TEST_HOST], "secretName": "web-tls"})]}}, name="web-test"
    )


def test_without_test_hostnames_there_is_no_test_ingress() -> None:
    stack = canary(router="ingressNginx", test_hostnames=())
    assert sorted(r.name for r in stack.of_type(INGRESS)) == ["web-canary", "web-primary"]


def test_a_live_switch_moves_the_test_ingress_to_the_new_idle_color() -> None:
    before, after = canary(live="blue", router="ingressNginx"), canary(live="green", router="ingressNginx")
    changes = {c.name: c.changes for c in after.changes_from(before)}
    assert [(p.path, p.old, p.new) for p in changes["web-test"]] == [
        ("spec.rules[0].http.paths[0].backend.service.name", "web-green", "web-blue")
    ]


def test_a_canary_step_changes_only_the_canary_ingress() -> None:
    changes = canary(weight=100, router="ingressNginx").changes_from(canary(weight=10, router="ingressNginx"))
    assert [(c.name, [p.path for p in c.changes]) for c in changes] == [
        ("web-canary", [f"metadata.annotations.{NGINX}/canary-weight"])
    ]


def test_ingresses_carry_the_labels() -> None:
    canary(router="ingressNginx").all_resources_have(INGRESS, {"metadata": {"labels": LABELS}})
