"""The AWS stack builder end to end under mocks: the shipped stack files, outputs, NAT sizing, secrets, and
blast radius (a canary step changes one resource; a color switch changes routing resources only)."""

from __future__ import annotations

import inspect
import json
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

import stacks.aws
from rollway.testing import (
    UNKNOWN,
    CloudContext,
    PlausibleMocks,
    RecordedResource,
    RecordingMonitor,
    SynthesizedStack,
    run_program,
    set_path,
    stack_config,
    synth,
)
from stacks import build_stack
from stacks.config import ConfigError, load_stack_config

LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
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


def test_a_region_short_of_zones_stops_with_a_config_message_before_any_resource() -> None:
    two_zones = {
        "aws:index/getAvailabilityZones:getAvailabilityZones": lambda args, context: {
            "names": ["us-east-1a", "us-east-1b"],
            "zoneIds": ["use1-az1", "use1-az2"],
        }
    }
    mocks = PlausibleMocks(context=CloudContext.from_config(stack_config("prod")), invokes=two_zones)
    monitor = RecordingMonitor(mocks)
    with pytest.raises(
        pulumi.RunError,
        match=r"Pulumi\.prod\.yaml: rollway:aws\.availabilityZones = 3: must be at most 2: region us-east-1 has 2 "
        r"available zone\(s\) that need no opt-in \(us-east-1a, us-east-1b\)",
    ):
        run_program(program, config=stack_config("prod"), stack="prod", monitor=monitor)
    assert [r.type for r in monitor.recorded_resources() if r.type != "pulumi:pulumi:Stack"] == ["pulumi:providers:aws"]


def test_the_vpc_spans_the_zones_the_builder_looked_up() -> None:
    zones = {r.inputs["availabilityZone"] for r in shipped("prod").of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"us-east-1a", "us-east-1b", "us-east-1c"}


def test_test_listener_admits_only_the_vpc_and_its_nat_address_by_default() -> None:
    built = shipped("preview")  # no testAccessCidrs
    nat_ip = built.get("aws:ec2/eip:Eip", "rollway-preview-nat-0").outputs["publicIp"]
    rule_sources = sorted(r.inputs["cidrIpv4"] for r in built.find(INGRESS_RULE, {"fromPort": 9443}))
    assert rule_sources == sorted(["10.60.0.0/16", f"{nat_ip}/32"] * 2)  # web and api


def test_test_access_ranges_reach_only_the_test_listener() -> None:
    from_test_range = shipped("dev").find(INGRESS_RULE, {"cidrIpv4": "198.51.100.0/24"})
    assert sorted((r.name, r.inputs["fromPort"]) for r in from_test_range) == [
        ("api-alb-test-in-0", 9443),
        ("web-alb-test-in-0", 9443),
    ]


def test_production_ports_stay_open_to_the_allowed_ranges() -> None:
    built = shipped("dev")
    assert sorted(r.inputs["fromPort"] for r in built.find(INGRESS_RULE, {"cidrIpv4": "0.0.0.0/0"})) == [80, 80, 443, 443]


@pytest.mark.parametrize("color", ["blue", "green"])
def test_services_start_only_after_the_private_routes_to_nat_exist(color: str) -> None:
    built = shipped("dev")
    private_routes = {
        r.urn
        for r in [
            *built.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"),
            *built.of_type("aws:ec2/routeTable:RouteTable"),
        ]
        if r.name.startswith("rollway-dev-private-")
    }
    assert len(private_routes) == 4
    assert private_routes <= set(built.get("aws:ecs/service:Service", f"web-{color}").dependencies)


def aws_only(stack: str, *changes: tuple[str, Any]) -> dict[str, Any]:
    config = set_path(stack_config(stack), "rollway:clouds", ["aws"])
    for key, value in changes:
        config = set_path(config, key, value)
    return config


def config_messages(config: dict[str, Any], stack: str = "dev") -> list[str]:
    """Rendered problems of a config bag as the loader reports them; empty when it is valid."""
    values = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    try:
        load_stack_config(values, secret_keys=(), source=f"Pulumi.{stack}.yaml")
    except ConfigError as error:
        return [problem.render(error.source) for problem in error.problems]
    return []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "preview"])
def test_shipped_task_sizes_schedules_and_test_access_are_valid_on_aws(stack: str) -> None:
    assert config_messages(aws_only(stack), stack) == []


def test_a_cpu_fargate_does_not_offer_is_reported_with_the_sizes_it_does() -> None:
    assert config_messages(aws_only("dev", ("rollway:services.api.cpu", 0.3))) == [
        "Pulumi.dev.yaml: rollway:services.api.cpu = 0.3: must be a Fargate task size on AWS: 0.25, 0.5, 1, 2, 4, 8 or 16 vCPUs"
    ]


def test_too_much_memory_for_the_cpu_names_both_keys_and_the_memory_that_fits() -> None:
    config = aws_only("dev", ("rollway:services.web.memory", 4096))
    assert config_messages(config) == [
        "Pulumi.dev.yaml: rollway:services.web.memory = 4096: must be 512, 1024 or 2048 MiB on AWS Fargate for "
        "rollway:services.web.cpu = 0.25 (or set rollway:services.web.cpu to 0.5, 1 or 2)"
    ]


def test_too_little_memory_for_the_cpu_is_reported_with_the_range_and_step() -> None:
    config = aws_only("dev", ("rollway:services.api.cpu", 4), ("rollway:services.api.memory", 1024))
    assert config_messages(config) == [
        "Pulumi.dev.yaml: rollway:services.api.memory = 1024: must be 8192 to 30720 in steps of 1024 MiB on AWS Fargate "
        "for rollway:services.api.cpu = 4 (or set rollway:services.api.cpu to 0.25 or 0.5)"
    ]


def test_fargate_sizes_are_not_checked_when_aws_is_not_targeted() -> None:
    config = set_path(stack_config("dev"), "rollway:clouds", ["kubernetes"])
    messages = config_messages(set_path(config, "rollway:services.api.cpu", 0.3))
    assert [message for message in messages if "Fargate" in message] == []


# Every other weekday: valid cron on every cloud's common core, but AWS cron has no steps in day-of-week.
ALTERNATE_DAYS = [
    {"name": "alternate-days", "schedule": "0 9 * * 1-5/2", "min": 2, "max": 3},
    {"name": "evening", "schedule": "0 20 * * *", "min": 1, "max": 3},
]


def test_a_schedule_aws_cron_cannot_express_is_a_config_problem() -> None:
    config = aws_only("dev", ("rollway:services.web.autoscaling.schedules", ALTERNATE_DAYS))
    assert config_messages(config) == [
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0].schedule = "0 9 * * 1-5/2": cannot run on AWS: '
        "steps (/) in day-of-week are not supported by AWS cron; list the days instead"
    ]


def test_schedules_are_not_checked_against_aws_cron_when_aws_is_not_targeted() -> None:
    config = set_path(stack_config("dev"), "rollway:clouds", ["kubernetes"])
    messages = config_messages(set_path(config, "rollway:services.web.autoscaling.schedules", ALTERNATE_DAYS))
    assert [message for message in messages if "AWS" in message] == []


def test_window_names_that_collide_as_aws_resource_names_are_a_config_problem() -> None:
    windows = [
        {"name": "business-hours", "schedule": "0 7 * * 1-5", "min": 2, "max": 3},
        {"name": "Business Hours", "schedule": "0 20 * * 1-5", "min": 1, "max": 3},
    ]
    config = aws_only("dev", ("rollway:services.web.autoscaling.schedules", windows))
    assert config_messages(config) == [
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[1].name = "Business Hours": gives the same AWS '
        "resource name (`business-hours`) as schedules[0].name; make the names differ in more than case or punctuation"
    ]


def test_an_unexpressible_schedule_stops_the_program_before_any_resource_is_registered() -> None:
    config = set_path(stack_config("dev"), "rollway:services.web.autoscaling.schedules", ALTERNATE_DAYS)
    monitor = RecordingMonitor(PlausibleMocks(context=CloudContext.from_config(config)))
    with pytest.raises(pulumi.RunError, match=r"schedules\[0\]\.schedule = \"0 9 \* \* 1-5/2\": cannot run on AWS"):
        run_program(build_stack, config=config, stack="dev", monitor=monitor)
    assert [r.type for r in monitor.recorded_resources() if r.type != "pulumi:pulumi:Stack"] == []


def test_the_whole_internet_is_refused_as_a_test_access_range() -> None:
    config = aws_only("dev", ("rollway:aws.testAccessCidrs", ["198.51.100.0/24", "0.0.0.0/0"]))
    assert config_messages(config) == [
        'Pulumi.dev.yaml: rollway:aws.testAccessCidrs[1] = "0.0.0.0/0": must not admit the whole internet: the test '
        "listener serves the idle, unreleased color (use a VPN or office range, or leave testAccessCidrs out to allow only the VPC)"
    ]


def test_an_empty_ingress_list_is_a_config_problem() -> None:
    assert config_messages(aws_only("dev", ("rollway:aws.allowedIngressCidrs", []))) == [
        "Pulumi.dev.yaml: rollway:aws.allowedIngressCidrs = []: must have at least 1 item(s)"
    ]


def test_preview_builds_with_urls_known_only_after_apply() -> None:
    built = build(stack_config("dev"), "dev", preview=True)
    assert built.outputs["aws"]["services"]["web"]["productionUrl"] is UNKNOWN
