"""GCP CanaryRoute: weighted URL map (0..1000 scale, exact for 0/10/50/100%), idle test route, canary
header, stickiness, and the HTTPS frontend with a managed certificate and a TLS 1.2+ SSL policy."""

from __future__ import annotations

from typing import Any

import pytest
from gcp_fixtures import BACKENDS, FORWARDING_RULE, LABELS, URL_MAP, canary, canary_args, weights
from hypothesis import given
from hypothesis import strategies as st

from components.gcp.canary import route_rules, weighted_backends
from rollway.testing import Match

BLUE, GREEN = BACKENDS["blue"], BACKENDS["green"]


def routes(stack: Any) -> dict[str, Any]:
    return stack.get(URL_MAP, "web-routes").inputs


@pytest.mark.parametrize(
    ("percent", "live_weight", "idle_weight"), [(0, 1000, 0), (10, 900, 100), (50, 500, 500), (100, 0, 1000)]
)
def test_canary_percent_maps_exactly_onto_the_thousand_scale(percent: int, live_weight: int, idle_weight: int) -> None:
    url_map = routes(canary(weight=percent))
    assert weights(url_map["defaultRouteAction"]["weightedBackendServices"]) == {BLUE: live_weight, GREEN: idle_weight}
    matcher = url_map["pathMatchers"][0]
    assert weights(matcher["defaultRouteAction"]["weightedBackendServices"]) == {BLUE: live_weight, GREEN: idle_weight}


def test_live_green_sends_the_canary_share_to_blue() -> None:
    url_map = routes(canary(weight=10, live="green"))
    assert weights(url_map["defaultRouteAction"]["weightedBackendServices"]) == {GREEN: 900, BLUE: 100}


@given(st.integers(min_value=0, max_value=100), st.sampled_from(["blue", "green"]))
def test_weights_always_sum_to_a_thousand(percent: int, live: str) -> None:
    entries = weighted_backends(canary_args(weight=percent, live=live), secure_cookie=True)  # type: ignore[arg-type]
    assert sum(int(entry["weight"]) for entry in entries) == 1000


@pytest.mark.parametrize(("live", "idle_backend"), [("blue", GREEN), ("green", BLUE)])
def test_test_header_always_reaches_the_idle_slot(live: str, idle_backend: str) -> None:
    rules = routes(canary(weight=0, live=live))["pathMatchers"][0]["routeRules"]
    test_rule = next(rule for rule in rules if rule["priority"] == 1)
    assert test_rule["matchRules"] == [
        {"prefixMatch": "/", "headerMatches": [{"headerName": "x-rollway-test", "exactMatch": "idle"}]}
    ]
    assert test_rule["service"] == idle_backend


def test_canary_header_pins_requests_to_the_idle_slot() -> None:
    rules = routes(canary())["pathMatchers"][0]["routeRules"]
    pin = next(rule for rule in rules if rule["priority"] == 2)
    assert pin["matchRules"][0]["headerMatches"] == [{"headerName": "x-rollway-canary", "exactMatch": "always"}]
    assert pin["service"] == GREEN


def test_no_canary_header_rule_without_a_header() -> None:
    rules = routes(canary(header=False))["pathMatchers"][0]["routeRules"]
    assert [rule["priority"] for rule in rules] == [1]


def test_every_response_names_the_color_that_served_it() -> None:
    entries = routes(canary())["defaultRouteAction"]["weightedBackendServices"]
    added = {e["backendService"]: e["headerAction"]["responseHeadersToAdds"][0]["headerValue"] for e in entries}
    assert added == {BLUE: "blue", GREEN: "green"}


def test_stickiness_pins_clients_with_a_short_lived_cookie_during_a_split() -> None:
    url_map = routes(canary(weight=10, stickiness=60))
    entries = url_map["defaultRouteAction"]["weightedBackendServices"]
    cookies = [
        h["headerValue"] for e in entries for h in e["headerAction"]["responseHeadersToAdds"] if h["headerName"] == "Set-Cookie"
    ]
    assert cookies == [
        "rollway-slot=blue; Max-Age=60; Path=/; HttpOnly; Secure",
        "rollway-slot=green; Max-Age=60; Path=/; HttpOnly; Secure",
    ]
    cookie_rules = {r["priority"]: r["service"] for r in url_map["pathMatchers"][0]["routeRules"] if r["priority"] >= 10}
    assert cookie_rules == {10: GREEN, 11: BLUE}


@pytest.mark.parametrize("percent", [0, 100])
def test_no_stickiness_when_one_color_takes_all_traffic(percent: int) -> None:
    args = canary_args(weight=percent, stickiness=60)
    assert [rule["priority"] for rule in route_rules(args)] == [1, 2]
    headers = [h["header_name"] for e in weighted_backends(args, True) for h in e["header_action"]["response_headers_to_adds"]]
    assert "Set-Cookie" not in headers


def test_https_with_managed_certificate_and_tls12_policy() -> None:
    stack = canary()
    certificate = stack.has_resource_properties(
        "gcp:compute/managedSslCertificate:ManagedSslCertificate", {"managed": {"domains": ["web.dev.rollway.example.com"]}}
    )
    policy = stack.has_resource_properties("gcp:compute/sSLPolicy:SSLPolicy", {"minTlsVersion": "TLS_1_2", "profile": "MODERN"})
    stack.has_resource_properties(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        {"urlMap": stack.get(URL_MAP, "web-routes").id, "sslCertificates": [certificate.id], "sslPolicy": policy.id},
    )
    stack.has_resource_properties(FORWARDING_RULE, {"portRange": "443"})


def test_http_only_redirects_when_https_is_served() -> None:
    stack = canary()
    redirect = stack.get(URL_MAP, "web-https-redirect")
    assert redirect.inputs["defaultUrlRedirect"]["httpsRedirect"] is True
    stack.has_resource_properties("gcp:compute/targetHttpProxy:TargetHttpProxy", {"urlMap": redirect.id})


def test_without_a_hostname_http_serves_the_weighted_map() -> None:
    stack = canary(hostname=None)
    stack.resource_count_is("gcp:compute/managedSslCertificate:ManagedSslCertificate", 0)
    stack.resource_count_is(URL_MAP, 1)
    stack.has_resource_properties("gcp:compute/targetHttpProxy:TargetHttpProxy", {"urlMap": stack.get(URL_MAP, "web-routes").id})


def test_forwarding_rules_are_external_managed_on_one_labelled_address() -> None:
    stack = canary()
    address = stack.get("gcp:compute/globalAddress:GlobalAddress", "web-address")
    assert address.inputs["labels"] == {**LABELS, "rollway-service": "web"}
    stack.resource_count_is(
        FORWARDING_RULE,
        2,
        {
            "loadBalancingScheme": "EXTERNAL_MANAGED",
            "ipAddress": address.id,
            "labels": Match.object_equals(address.inputs["labels"]),
        },
    )


def test_every_child_is_parented_to_the_route() -> None:
    stack = canary()
    component = stack.get("rollway:gcp:CanaryRoute", "web")
    assert all(r.parent == component.urn for r in stack.resources if r.custom and not r.is_provider)
