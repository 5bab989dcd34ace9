"""CanaryRoute on AWS: the production listener's weighted forward, HTTPS with HTTP redirect, stickiness and
the header-pinned rule to the idle color."""

from __future__ import annotations

import pytest
from aws_fixtures import (
    ALB_ARN,
    BLUE_TG,
    CERTIFICATE,
    GREEN_TG,
    LISTENER,
    LISTENER_RULE,
    TAGS,
    canary,
    orphans,
    registered_before_failing,
    untagged,
)

from components.aws import AwsCanaryArgs, CanaryRoute
from components.blue_green import Color
from components.canary import CanaryArgs
from rollway.testing import Match

ARNS = {"blue": BLUE_TG, "green": GREEN_TG}


@pytest.mark.parametrize("live", ["blue", "green"])
@pytest.mark.parametrize(("weight", "live_share"), [(0, 100), (10, 90), (50, 50), (100, 0)])
def test_production_listener_splits_traffic_by_the_canary_weight(live: Color, weight: int, live_share: int) -> None:
    idle = "green" if live == "blue" else "blue"
    expected = {live: live_share, idle: weight}
    stack = canary(live=live, weight=weight)
    stack.has_resource_properties(
        LISTENER,
        {
            "defaultActions": [
                {
                    "type": "forward",
                    "forward": {
                        "targetGroups": [
                            {"arn": BLUE_TG, "weight": expected["blue"]},
                            {"arn": GREEN_TG, "weight": expected["green"]},
                        ]
                    },
                }
            ]
        },
        name="web-production",
    )


def test_weights_are_listed_in_a_fixed_color_order() -> None:
    # A color switch then changes only the weights, never the list's shape.
    for live in ("blue", "green"):
        groups = (
            canary(live=live, weight=10).get(LISTENER, "web-production").inputs["defaultActions"][0]["forward"]["targetGroups"]
        )
        assert [group["arn"] for group in groups] == [BLUE_TG, GREEN_TG]


def test_without_a_certificate_production_is_plain_http_on_80_and_nothing_redirects() -> None:
    stack = canary()
    stack.resource_count_is(LISTENER, 1)
    stack.has_resource_properties(
        LISTENER,
        {"port": 80, "protocol": "HTTP", "loadBalancerArn": ALB_ARN, "certificateArn": Match.absent()},
        name="web-production",
    )


def test_with_a_certificate_production_is_https_with_the_ssl_policy() -> None:
    canary(certificate=CERTIFICATE).has_resource_properties(
        LISTENER,
        {"port": 443, "protocol": "HTTPS", "certificateArn": CERTIFICATE, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        name="web-production",
    )


def test_with_a_certificate_http_only_redirects_to_https() -> None:
    canary(certificate=CERTIFICATE).has_resource_properties(
        LISTENER,
        {
            "port": 80,
            "protocol": "HTTP",
            "defaultActions": [
                {
                    "type": "redirect",
                    "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
                    "forward": Match.absent(),
                }
            ],
        },
        name="web-http-redirect",
    )


def test_stickiness_is_set_when_asked_for() -> None:
    canary(stickiness=60).has_resource_properties(
        LISTENER, {"defaultActions": [{"forward": {"stickiness": {"enabled": True, "duration": 60}}}]}, name="web-production"
    )


def test_no_stickiness_by_default() -> None:
    canary().has_resource_properties(
        LISTENER, {"defaultActions": [{"forward": {"stickiness": Match.absent()}}]}, name="web-production"
    )


@pytest.mark.parametrize("live", ["blue", "green"])
def test_header_rule_pins_requests_to_the_idle_color(live: Color) -> None:
    idle = "green" if live == "blue" else "blue"
    stack = canary(live=live, header=True)
    listener_arn = stack.get(LISTENER, "web-production").id
    stack.has_resource_properties(
        LISTENER_RULE,
        {
            "listenerArn": listener_arn,
            "conditions": [{"httpHeader": {"httpHeaderName": "x-rollway-canary", "values": ["always"]}}],
            "actions": [{"type": "forward", "targetGroupArn": ARNS[idle]}],
        },
        name="web-canary-header",
    )


def test_no_header_rule_without_a_header() -> None:
    canary().resource_count_is(LISTENER_RULE, 0)


def test_every_child_is_parented_to_the_component() -> None:
    assert orphans(canary(certificate=CERTIFICATE, header=True), "rollway:aws:CanaryRoute") == []


def test_every_taggable_resource_carries_the_required_tags() -> None:
    assert untagged(canary(certificate=CERTIFICATE, header=True)) == []


def test_a_weight_outside_0_to_100_registers_nothing() -> None:
    args = AwsCanaryArgs(
        canary=CanaryArgs(live_color="blue", canary_weight=140),
        load_balancer_arn=ALB_ARN,
        target_group_arns=ARNS,
        tags=TAGS,
    )
    registered = registered_before_failing(
        lambda: CanaryRoute("web", args), ValueError, "canary weight must be between 0 and 100, got 140"
    )
    assert registered == []
