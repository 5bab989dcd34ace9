"""Azure CanaryRoute: Front Door origins weighted 1..1000 (0 => disabled), the header pin, the route, and
the blast radius of a canary step and a live flip."""

from __future__ import annotations

from functools import cache

import pytest

from components.azure.canary import AzureCanaryArgs, CanaryRoute, OriginWeight, origin_weights, rule_set_name
from components.blue_green import COLORS, Color
from components.canary import CanaryArgs
from rollway.testing import Match, SynthesizedStack, synth

ORIGIN = "azure-native:cdn:AFDOrigin"
HOSTS: dict[Color, str] = {"blue": "web-blue.apps.example.net", "green": "web-green.apps.example.net"}


@cache
def route(
    live: Color = "blue", weight: int = 10, header: bool = True, hosts: tuple[Color, ...] = ("blue", "green")
) -> SynthesizedStack:
    canary = CanaryArgs(
        live_color=live,
        canary_weight=weight,
        header_name="x-rollway-canary" if header else None,
        header_value="always" if header else None,
    )
    args = AzureCanaryArgs(
        canary=canary,
        resource_group_name="rollway-dev",
        profile_name="rollway-dev-frontdoor",
        origin_hosts={color: HOSTS[color] for color in hosts},
        health_check_path="/ready",
        probe_interval_seconds=60,
        tags={"owner": "platform-team"},
    )
    return synth(lambda: CanaryRoute("web", args), config={"azure-native:location": "westeurope"})


@pytest.mark.parametrize(
    ("percent", "blue", "green"),
    [
        (0, OriginWeight(1000, True), OriginWeight(1, False)),
        (10, OriginWeight(900, True), OriginWeight(100, True)),
        (50, OriginWeight(500, True), OriginWeight(500, True)),
        (100, OriginWeight(1, False), OriginWeight(1000, True)),
    ],
)
def test_canary_percent_maps_exactly_onto_front_door_weights(percent: int, blue: OriginWeight, green: OriginWeight) -> None:
    assert origin_weights("blue", percent) == {"blue": blue, "green": green}


def test_enabled_weights_always_sum_to_1000_and_stay_in_afd_range() -> None:
    for percent in range(101):
        for live in COLORS:
            weights = origin_weights(live, percent)
            assert sum(w.weight for w in weights.values() if w.enabled) == 1000
            assert all(1 <= w.weight <= 1000 for w in weights.values())


def test_origins_carry_the_split_weights() -> None:
    result = route()
    result.has_resource_properties(ORIGIN, {"weight": 900, "enabledState": "Enabled", "hostName": HOSTS["blue"]}, name="web-blue")
    result.has_resource_properties(
        ORIGIN, {"weight": 100, "enabledState": "Enabled", "hostName": HOSTS["green"]}, name="web-green"
    )


def test_zero_percent_disables_the_idle_origin() -> None:
    route(weight=0).has_resource_properties(ORIGIN, {"enabledState": "Disabled"}, name="web-green")


def test_full_canary_disables_the_live_origin() -> None:
    route(weight=100).has_resource_properties(ORIGIN, {"enabledState": "Disabled"}, name="web-blue")


def test_origins_send_their_own_host_header_over_verified_https() -> None:
    route().has_resource_properties(
        ORIGIN,
        {"originHostHeader": HOSTS["green"], "httpsPort": 443, "enforceCertificateNameCheck": True},
        name="web-green",
    )


def test_origin_group_probes_the_health_path_over_https() -> None:
    route().has_resource_properties(
        "azure-native:cdn:AFDOriginGroup",
        {
            "healthProbeSettings": {
                "probePath": "/ready",
                "probeProtocol": "Https",
                "probeRequestType": "GET",
                "probeIntervalInSeconds": 60,
            },
            "sessionAffinityState": "Disabled",
        },
        name="web-origins",
    )


def test_route_serves_https_and_redirects_http() -> None:
    route().has_resource_properties(
        "azure-native:cdn:Route",
        {
            "forwardingProtocol": "HttpsOnly",
            "httpsRedirect": "Enabled",
            "supportedProtocols": ["Http", "Https"],
            "patternsToMatch": ["/*"],
            "originGroup": {"id": Match.string_like_regexp(r"web-origins")},
        },
    )


def test_route_waits_for_the_origins_and_the_pin_rule() -> None:
    result = route()
    deps = set(result.get("azure-native:cdn:Route", "web-route").dependencies)
    expected = {result.get(ORIGIN, n).urn for n in ("web-blue", "web-green")} | {
        result.get("azure-native:cdn:Rule", "web-pin-canary").urn
    }
    assert expected <= deps


def test_header_pins_requests_to_the_idle_color() -> None:
    result = route()
    result.has_resource_properties(
        "azure-native:cdn:Rule",
        {
            "conditions": [
                {
                    "name": "RequestHeader",
                    "parameters": {"selector": "x-rollway-canary", "operator": "Equal", "matchValues": ["always"]},
                }
            ],
            "actions": [
                {
                    "name": "RouteConfigurationOverride",
                    "parameters": {"originGroupOverride": {"originGroup": {"id": Match.string_like_regexp(r"web-pinned")}}},
                }
            ],
        },
    )
    result.has_resource_properties(ORIGIN, {"hostName": HOSTS["green"], "enabledState": "Enabled"}, name="web-pinned")
    result.has_resource_properties(
        "azure-native:cdn:Route", {"ruleSets": [{"id": Match.string_like_regexp(rule_set_name("web"))}]}
    )


def test_without_a_header_there_is_no_pin_rule() -> None:
    result = route(header=False)
    for type_ in ("azure-native:cdn:Rule", "azure-native:cdn:RuleSet"):
        result.resource_count_is(type_, 0)
    result.resource_count_is("azure-native:cdn:AFDOriginGroup", 1)
    result.has_resource_properties("azure-native:cdn:Route", {"ruleSets": Match.absent()})


def test_idle_color_without_a_workload_gets_no_origin() -> None:
    result = route(weight=0, hosts=("blue",))
    assert [r.name for r in result.of_type(ORIGIN)] == ["web-blue"]
    result.resource_count_is("azure-native:cdn:Rule", 0)


def test_rule_set_name_is_letters_and_digits_only() -> None:
    assert rule_set_name("web-api").isalnum()
    assert rule_set_name("web-api") != rule_set_name("webapi")


def test_a_canary_step_changes_only_the_origins_weights() -> None:
    changes = route(weight=25).changes_from(route(weight=10))
    assert sorted(c.name for c in changes) == ["web-blue", "web-green"]
    assert {p.path for c in changes for p in c.changes} == {"weight"}


def test_a_live_flip_changes_only_origins() -> None:
    changes = route(live="green", weight=0).changes_from(route(live="blue", weight=0))
    assert {c.type for c in changes} == {ORIGIN}
    assert sorted(c.name for c in changes) == ["web-blue", "web-green", "web-pinned"]


def test_every_front_door_child_is_parented_to_the_route() -> None:
    result = route()
    component = result.get("rollway:azure:CanaryRoute", "web")
    custom = [r for r in result.resources if r.custom and not r.is_provider]
    assert all(r.parent == component.urn for r in custom)


def test_endpoint_carries_the_tags() -> None:
    route().has_resource_properties("azure-native:cdn:AFDEndpoint", {"tags": {"owner": "platform-team"}})
