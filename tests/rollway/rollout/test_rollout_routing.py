"""Routing-resource discovery from a stack's exported state."""

from __future__ import annotations

import pytest

from rollway.rollout.errors import UsageError
from rollway.rollout.routing import Matcher, routing_urns

PREFIX = "urn:pulumi:dev::rollway::"


def _resource(type_: str, name: str, parent: str = "rollway:aws:CanaryRoute") -> dict:
    return {"urn": f"{PREFIX}{parent}${type_}::{name}", "type": type_}


DEPLOYMENT = {
    "resources": [
        {"urn": f"{PREFIX}pulumi:pulumi:Stack::rollway-dev", "type": "pulumi:pulumi:Stack"},
        _resource("aws:lb/listener:Listener", "web-production"),
        _resource("aws:lb/listener:Listener", "web-test"),
        _resource("aws:lb/targetGroup:TargetGroup", "web-blue"),
        _resource("aws:ecs/service:Service", "web-green"),
        _resource("aws:lb/listener:Listener", "web-admin-production"),
        _resource("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "web-route", "rollway:kubernetes:CanaryRoute"),
        _resource("aws:lb/listener:Listener", "api-production"),
    ]
}


def test_finds_the_services_routing_resources_on_every_cloud():
    names = [urn.rsplit("::", 1)[1] for urn in routing_urns(DEPLOYMENT, "web", ["web", "web-admin", "api"])]

    assert names == ["web-production", "web-test", "web-route"]


def test_workloads_and_target_pools_are_never_targeted():
    urns = routing_urns(DEPLOYMENT, "web", ["web", "web-admin", "api"])

    assert not any("targetGroup" in urn or "ecs/service" in urn for urn in urns)


def test_a_longer_service_name_keeps_its_own_resources():
    names = [urn.rsplit("::", 1)[1] for urn in routing_urns(DEPLOYMENT, "web-admin", ["web", "web-admin", "api"])]

    assert names == ["web-admin-production"]


def test_name_suffix_matcher_narrows_the_targets():
    urns = routing_urns(DEPLOYMENT, "web", ["web", "web-admin"], [Matcher("aws:lb/listener:Listener", "-production")])

    assert [urn.rsplit("::", 1)[1] for urn in urns] == ["web-production"]


def test_no_routing_resource_is_a_usage_error_saying_what_was_looked_for():
    with pytest.raises(UsageError, match="no routing resource of service `api2` in the stack's state"):
        routing_urns(DEPLOYMENT, "api2", ["api2"])


def test_a_never_deployed_stack_has_no_targets():
    with pytest.raises(UsageError, match="run `pulumi up` once"):
        routing_urns(None, "web", ["web"])
