"""The AWS stack builder end to end under mocks: the shipped stack files, outputs, NAT sizing, secrets, and
blast radius (a canary step changes one resource; a color switch changes routing resources only)."""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

import stacks.aws
from components.testing import UNKNOWN, RecordedResource, SynthesizedStack, set_path, stack_config, synth
from stacks.config import load_stack_config

LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
PASSWORD = "s3cr3t-db-password-for-tests"


def program() -> None:
    pulumi.export("aws", stacks.aws.build(load_stack_config()))


def build(config: dict[str, Any], stack: str, **kwargs: Any) -> SynthesizedStack:
    return synth(program, config=config, stack=stack, **kwargs)


@cache
def shipped(stack: str) -> SynthesizedStack:
    return build(stack_config(stack), stack)


def changed_resources(before: SynthesizedStack, after: SynthesizedStack) -> dict[str, list[str]]:
    """name -> changed input paths, failing on any added or removed resource."""
    changes = after.changes_from(before)
    assert [c for c in changes if c.kind != "changed"] == []
    return {change.name: [path.path for path in change.changes] for change in changes}


def taggable(resource: RecordedResource) -> bool:
    if not resource.custom or not resource.type.startswith("aws:"):
        return False
    module_path, _, class_name = resource.type.split(":", 1)[1].partition(":")
    cls = getattr(getattr(aws, module_path.split("/")[0]), class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_dev_stack_builds_all_four_families_per_service() -> None:
    counts = shipped("dev").types()
    assert counts["rollway:aws:Environment"] == 1
    assert counts["rollway:aws:BlueGreenTargets"] == 2
    assert counts["rollway:aws:CanaryRoute"] == 2
    assert counts["rollway:aws:Autoscaling"] == 2


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_cloud_resource_belongs_to_a_rollway_component(stack: str) -> None:
    built = shipped(stack)
    components = {r.urn: r.type for r in built.resources if not r.custom}
    assert all(t.startswith("rollway:aws:") for t in components.values())
    assert [r.name for r in built.resources if r.custom and r.parent not in components] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_taggable_resource_carries_cost_center_owner_and_environment(stack: str) -> None:
    built = shipped(stack)
    tagged = [r for r in built.resources if taggable(r)]
    missing = [
        r.name
        for r in tagged
        if not {"cost-center", "owner", "environment"} <= set(r.inputs.get("tags") or {})
        or r.inputs["tags"]["environment"] != stack
    ]
    assert len(tagged) > 40
    assert missing == []


@pytest.mark.parametrize(("stack", "nat_gateways"), [("dev", 1), ("staging", 1), ("prod", 3)])
def test_nat_gateways_one_in_dev_and_one_per_zone_in_prod(stack: str, nat_gateways: int) -> None:
    shipped(stack).resource_count_is("aws:ec2/natGateway:NatGateway", nat_gateways)


def test_outputs_name_the_vpc_cluster_and_each_services_urls_and_target_groups() -> None:
    built = shipped("dev")
    outputs = built.outputs["aws"]
    alb_dns = {r.name: r.outputs["dnsName"] for r in built.of_type("aws:lb/loadBalancer:LoadBalancer")}
    assert outputs["vpcId"] == built.get("aws:ec2/vpc:Vpc", "rollway-dev-vpc").id
    assert outputs["clusterName"] == built.get("aws:ecs/cluster:Cluster", "rollway-dev-cluster").outputs["name"]
    web = outputs["services"]["web"]
    assert web["productionUrl"] == f"https://{alb_dns['web-alb']}"
    assert web["testUrl"] == f"https://{alb_dns['web-alb']}:9443"
    assert web["targetGroupArns"] == {
        color: built.get("aws:lb/targetGroup:TargetGroup", f"web-{color}").id for color in ("blue", "green")
    }


def test_the_mid_rollout_service_sends_ten_percent_to_green() -> None:
    built = shipped("dev")
    groups = built.get(LISTENER, "web-production").inputs["defaultActions"][0]["forward"]["targetGroups"]
    assert [group["weight"] for group in groups] == [90, 10]


def test_a_canary_step_changes_only_the_production_listener_weights() -> None:
    before = shipped("dev")
    after = build(set_path(stack_config("dev"), "rollway:services.web.canaryWeight", 50), "dev")
    assert changed_resources(before, after) == {
        "web-production": [
            "defaultActions[0].forward.targetGroups[0].weight",
            "defaultActions[0].forward.targetGroups[1].weight",
        ]
    }


def test_switching_the_live_color_changes_only_routing_resources() -> None:
    before = shipped("dev")
    config = set_path(stack_config("dev"), "rollway:services.web.liveColor", "green")
    after = build(set_path(config, "rollway:services.web.canaryWeight", 0), "dev")
    changed = changed_resources(before, after)
    assert set(changed) == {"web-production", "web-test", "web-canary-header"}
    by_name = {r.name: r.type for r in after.resources}
    assert {by_name[name] for name in changed} == {LISTENER, LISTENER_RULE}


def test_switching_the_live_color_in_prod_leaves_services_and_scaling_alone() -> None:
    before = shipped("prod")
    after = build(set_path(stack_config("prod"), "rollway:services.web.liveColor", "green"), "prod")
    assert set(changed_resources(before, after)) == {"web-production", "web-test", "web-canary-header"}


def test_secrets_stay_secret_end_to_end() -> None:
    config = set_path(stack_config("dev"), "rollway:services.web.secrets", {"DB_PASSWORD": "dbPassword"})
    built = build(config, "dev", secrets={"rollway:secrets": {"dbPassword": PASSWORD}})
    built.resource_count_is("aws:secretsmanager/secret:Secret", 1)
    assert built.plaintext_paths(PASSWORD) == []


def test_a_region_short_of_zones_fails_with_a_message_not_a_traceback() -> None:
    two_zones = {
        "aws:index/getAvailabilityZones:getAvailabilityZones": lambda args, context: {
            "names": ["us-east-1a", "us-east-1b"],
            "zoneIds": ["use1-az1", "use1-az2"],
        }
    }
    with pytest.raises(pulumi.RunError, match=r"rollway:aws: the region has 2 available availability zone\(s\)"):
        build(stack_config("prod"), "prod", invokes=two_zones)


def test_preview_builds_with_urls_known_only_after_apply() -> None:
    built = build(stack_config("dev"), "dev", preview=True)
    assert built.outputs["aws"]["services"]["web"]["productionUrl"] is UNKNOWN
