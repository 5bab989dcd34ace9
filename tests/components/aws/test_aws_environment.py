"""Environment on AWS: VPC over two or more zones, public subnets for load balancers, private ones for tasks,
NAT egress (one in dev, one per zone in prod), ECS Fargate cluster, log group with retention."""

from __future__ import annotations

import pytest
from aws_fixtures import CONFIG, TAGS, environment, orphans, registered_before_failing, taggable, untagged

from components.aws import AwsEnvironmentArgs, Environment
from components.aws.environment import plan_subnets
from components.environment import EnvironmentArgs
from rollway.testing import Match, synth
from stacks.config.aws import AwsSettings

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"


def test_resource_graph_of_a_two_zone_environment() -> None:
    stack = environment()
    counts = stack.types()
    assert counts["aws:ec2/vpc:Vpc"] == 1
    assert counts[SUBNET] == 4
    assert counts["aws:ec2/internetGateway:InternetGateway"] == 1
    assert counts[ROUTE_TABLE] == 3  # one public, one private per zone
    assert counts["aws:ec2/routeTableAssociation:RouteTableAssociation"] == 4
    assert counts["aws:ecs/cluster:Cluster"] == 1
    assert counts["aws:cloudwatch/logGroup:LogGroup"] == 1


def test_every_child_is_parented_to_the_environment() -> None:
    assert orphans(environment(), "rollway:aws:Environment") == []


def test_subnets_spread_over_distinct_zones() -> None:
    stack = environment(zones=3)
    public = {r.inputs["availabilityZone"] for r in stack.find(SUBNET, {"tags": {"tier": "public"}})}
    private = {r.inputs["availabilityZone"] for r in stack.find(SUBNET, {"tags": {"tier": "private"}})}
    assert public == private == {"us-east-1a", "us-east-1b", "us-east-1c"}


def test_subnets_do_not_hand_out_public_ips() -> None:
    stack = environment()
    stack.resource_count_is(SUBNET, 4, {"mapPublicIpOnLaunch": False})


def test_only_the_public_route_table_routes_to_the_internet_gateway() -> None:
    stack = environment()
    igw_routes = stack.find(ROUTE_TABLE, {"routes": [{"gatewayId": Match.string_like_regexp(r"^igw-")}]})
    assert [r.name for r in igw_routes] == ["rollway-dev-public"]


def test_private_route_tables_send_egress_through_nat() -> None:
    stack = environment()
    stack.resource_count_is(ROUTE_TABLE, 2, {"routes": [{"cidrBlock": "0.0.0.0/0", "natGatewayId": Match.any_value()}]})


@pytest.mark.parametrize(("kind", "expected"), [("dev", 1), ("staging", 1), ("prod", 3)])
def test_nat_gateway_count_follows_the_environment(kind: str, expected: int) -> None:
    count = AwsSettings(availability_zones=3).nat_gateway_count(kind)
    stack = environment(kind, zones=3, nat_gateways=count)
    stack.resource_count_is(NAT, expected)
    stack.resource_count_is(EIP, expected, {"domain": "vpc"})


def test_one_nat_per_zone_keeps_each_zone_egress_in_its_zone() -> None:
    stack = environment("prod", zones=3, nat_gateways=3)
    nat_ids = [
        r.inputs["routes"][0]["natGatewayId"]
        for r in stack.find(ROUTE_TABLE, {"tags": {"Name": Match.string_like_regexp("private")}})
    ]
    assert len(set(nat_ids)) == 3


def test_nat_gateways_sit_in_public_subnets() -> None:
    stack = environment("prod", zones=3, nat_gateways=3)
    public_ids = {r.id for r in stack.find(SUBNET, {"tags": {"tier": "public"}})}
    assert {r.inputs["subnetId"] for r in stack.of_type(NAT)} == public_ids


def test_the_vpc_default_security_group_is_emptied() -> None:
    environment().has_resource_properties("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"ingress": [], "egress": []})


def test_cluster_has_container_insights_on() -> None:
    environment().has_resource_properties(
        "aws:ecs/cluster:Cluster", {"settings": [{"name": "containerInsights", "value": "enabled"}]}
    )


def test_log_group_has_retention() -> None:
    environment().has_resource_properties("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 14})


def test_every_taggable_resource_carries_the_required_tags() -> None:
    stack = environment("prod", zones=3, nat_gateways=3)
    assert sum(taggable(r) for r in stack.resources) >= 15
    assert untagged(stack) == []


def test_too_many_nat_gateways_are_rejected_before_anything_is_registered() -> None:
    args = AwsEnvironmentArgs(
        environment=EnvironmentArgs(environment="dev", tags=TAGS), availability_zones=2, nat_gateway_count=3
    )
    registered = registered_before_failing(
        lambda: Environment("env", args), ValueError, r"nat_gateway_count must be between 1 and availability_zones \(2\), got 3"
    )
    assert registered == []


def test_a_region_with_too_few_zones_is_a_clear_error() -> None:
    args = AwsEnvironmentArgs(environment=EnvironmentArgs(environment="dev", tags=TAGS), availability_zones=3)
    one_zone = {
        "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a, c: {"names": ["us-east-1a"], "zoneIds": ["use1-az1"]}
    }
    with pytest.raises(ValueError, match=r"region has 1 available availability zone\(s\) \(us-east-1a\), but 3 were asked for"):
        synth(lambda: Environment("env", args), config=CONFIG, invokes=one_zone)


def test_subnet_plan_keeps_public_and_private_ranges_apart() -> None:
    plan = plan_subnets("10.10.0.0/16", 3)
    assert plan.public == ("10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20")
    assert plan.private == ("10.10.128.0/20", "10.10.144.0/20", "10.10.160.0/20")


def test_subnet_plan_rejects_a_vpc_too_small_to_split() -> None:
    with pytest.raises(ValueError, match=r"vpc_cidr 10.0.0.0/26 is too small: subnets would be /30"):
        plan_subnets("10.0.0.0/26", 2)


def test_tasks_are_placed_behind_every_private_route_table_and_its_association() -> None:
    built: dict[str, Environment] = {}

    def program() -> None:
        built["env"] = Environment(
            "rollway-dev", AwsEnvironmentArgs(environment=EnvironmentArgs(environment="dev", tags=TAGS), availability_zones=3)
        )

    synth(program, config=CONFIG)
    env = built["env"]
    assert len(env.private_route_table_associations) == 3
    assert list(env.placement.egress_ready) == [*env.private_route_tables, *env.private_route_table_associations]


def test_zone_names_looked_up_by_the_caller_are_used_as_given() -> None:
    args = AwsEnvironmentArgs(environment=EnvironmentArgs(environment="dev", tags=TAGS), zone_names=("us-east-1d", "us-east-1f"))
    stack = synth(lambda: Environment("env", args), config=CONFIG)
    assert sorted(r.inputs["availabilityZone"] for r in stack.find(SUBNET, {"tags": {"tier": "private"}})) == [
        "us-east-1d",
        "us-east-1f",
    ]


def test_zone_names_not_matching_the_zone_count_are_rejected_before_anything_is_registered() -> None:
    args = AwsEnvironmentArgs(
        environment=EnvironmentArgs(environment="dev", tags=TAGS), availability_zones=3, zone_names=("us-east-1a", "us-east-1b")
    )
    registered = registered_before_failing(
        lambda: Environment("env", args), ValueError, r"zone_names must name availability_zones \(3\) zones"
    )
    assert registered == []
