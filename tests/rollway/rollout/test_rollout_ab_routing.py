"""What an A/B test's cohort phase deploys, per cloud (test kit, CDK-style): with the dev stack's canaryHeader, live
blue and canaryWeight 0, the header's requests reach green and every other request reaches blue."""

from __future__ import annotations

from functools import cache

from rollway.testing import Match, SynthesizedStack, set_path, stack_config, synth
from stacks import build_stack

HEADER, VALUE = "x-rollway-canary", "always"  # Pulumi.dev.yaml's canaryHeader of `web`


@cache
def cohort_phase() -> SynthesizedStack:
    config = set_path(stack_config("dev"), "rollway:services.web.canaryWeight", 0)
    assert config["rollway:services"]["web"]["canaryHeader"] == {"name": HEADER, "value": VALUE}
    return synth(build_stack, config=config, stack="dev")


def test_aws_sends_the_cohort_to_the_new_color_and_everyone_else_to_the_live_one():
    stack = cohort_phase()
    stack.has_resource_properties(
        "aws:lb/listenerRule:ListenerRule",
        {
            "conditions": [{"httpHeader": {"httpHeaderName": HEADER, "values": [VALUE]}}],
            "actions": [{"type": "forward", "targetGroupArn": Match.string_like_regexp(r"targetgroup/web-green-")}],
        },
        name="web-canary-header",
    )
    stack.has_resource_properties(
        "aws:lb/listener:Listener",
        {
            "defaultActions": [
                {
                    "forward": {
                        "targetGroups": [
                            {"arn": Match.string_like_regexp(r"targetgroup/web-blue-"), "weight": 100},
                            {"arn": Match.string_like_regexp(r"targetgroup/web-green-"), "weight": 0},
                        ]
                    }
                }
            ]
        },
        name="web-production",
    )


def test_kubernetes_sends_the_cohort_to_the_new_color_and_everyone_else_to_the_live_one():
    cohort_phase().has_resource_properties(
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        {
            "spec": {
                "rules": [
                    {
                        "matches": [{"headers": [{"type": "Exact", "name": HEADER, "value": VALUE}]}],
                        "backendRefs": [{"name": "web-green"}],
                    },
                    {"backendRefs": [{"name": "web-blue", "weight": 100}, {"name": "web-green", "weight": 0}]},
                ]
            }
        },
        name="web-route",
    )


def test_gcp_sends_the_cohort_to_the_new_color_and_everyone_else_to_the_live_one():
    green = Match.string_like_regexp(r"backendServices/web-green-")
    cohort_phase().has_resource_properties(
        "gcp:compute/uRLMap:URLMap",
        {
            "pathMatchers": [
                {
                    "routeRules": Match.array_with(
                        [{"matchRules": [{"headerMatches": [{"headerName": HEADER, "exactMatch": VALUE}]}], "service": green}]
                    ),
                    "defaultRouteAction": {
                        "weightedBackendServices": [
                            {"backendService": Match.string_like_regexp(r"backendServices/web-blue-"), "weight": 1000},
                            {"backendService": green, "weight": 0},
                        ]
                    },
                }
            ]
        },
        name="web-routes",
    )


def test_azure_sends_the_cohort_to_the_new_color_and_everyone_else_to_the_live_one():
    stack = cohort_phase()
    stack.has_resource_properties(
        "azure-native:cdn:Rule",
        {
            "conditions": [{"name": "RequestHeader", "parameters": {"selector": HEADER, "matchValues": [VALUE]}}],
            "actions": [
                {"parameters": {"originGroupOverride": {"originGroup": {"id": Match.string_like_regexp(r"/web-pinned")}}}}
            ],
        },
        name="web-pin-canary",
    )
    stack.has_resource_properties(
        "azure-native:cdn:AFDOrigin", {"hostName": Match.string_like_regexp(r"^web-green\.")}, name="web-pinned"
    )
    stack.has_resource_properties("azure-native:cdn:AFDOrigin", {"enabledState": "Disabled"}, name="web-green")
    stack.has_resource_properties("azure-native:cdn:AFDOrigin", {"enabledState": "Enabled"}, name="web-blue")
