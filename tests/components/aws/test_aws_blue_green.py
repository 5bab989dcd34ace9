"""BlueGreenTargets on AWS: ALB and security groups, a target group per color, hardened Fargate tasks and ECS
services per color with an image, the test listener to the idle color, and secrets kept in Secrets Manager."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi_aws as aws
import pytest
from aws_fixtures import (
    BOTH_IMAGES,
    CERTIFICATE,
    CONFIG,
    ECS_SERVICE,
    EGRESS_RULE,
    INGRESS_RULE,
    LISTENER,
    LOAD_BALANCER,
    LOG_GROUP_ARN,
    NAT_SOURCE,
    PASSWORD,
    PLACEMENT,
    ROLE,
    ROLE_POLICY,
    SECRET,
    SECRET_VERSION,
    SECURITY_GROUP,
    TAGS,
    TARGET_GROUP,
    TASK_DEFINITION,
    VPC_CIDR,
    blue_green,
    orphans,
    registered_before_failing,
    untagged,
)

from components.aws import AwsBlueGreenArgs, BlueGreenTargets
from components.aws.blue_green import ecr_repository_arn
from components.blue_green import BlueGreenArgs, Color, Workload
from rollway.testing import Match, SynthesizedStack, synth

BLUE_ONLY = (("blue", "ghcr.io/acme/web:1.0"), ("green", None))


def container(stack: SynthesizedStack, name: str) -> dict[str, Any]:
    definitions = json.loads(stack.get(TASK_DEFINITION, name).inputs["containerDefinitions"])
    [only] = definitions
    return only


def forward_weights(listener_inputs: dict[str, Any]) -> dict[str, int]:
    groups = listener_inputs["defaultActions"][0]["forward"]["targetGroups"]
    return {group["arn"]: group["weight"] for group in groups}


def test_resource_graph_of_a_service_with_both_colors() -> None:
    counts = blue_green().types()
    assert counts[LOAD_BALANCER] == 1
    assert counts[TARGET_GROUP] == 2
    assert counts[TASK_DEFINITION] == 2
    assert counts[ECS_SERVICE] == 2
    assert counts[LISTENER] == 1  # the test listener; production belongs to CanaryRoute
    assert counts[SECURITY_GROUP] == 2
    assert counts[ROLE] == 2
    assert counts[ROLE_POLICY] == 1


def test_every_child_is_parented_to_the_component() -> None:
    assert orphans(blue_green(with_secret=True), "rollway:aws:BlueGreenTargets") == []


def test_a_color_without_an_image_gets_a_target_group_but_no_workload() -> None:
    stack = blue_green(images=BLUE_ONLY)
    stack.resource_count_is(TARGET_GROUP, 2)
    stack.resource_count_is(TASK_DEFINITION, 1)
    stack.resource_count_is(ECS_SERVICE, 1)
    stack.get(ECS_SERVICE, "web-blue")


def test_load_balancer_is_internet_facing_in_public_subnets_and_drops_invalid_headers() -> None:
    blue_green().has_resource_properties(
        LOAD_BALANCER,
        {
            "internal": False,
            "loadBalancerType": "application",
            "subnets": list(PLACEMENT.public_subnet_ids),
            "dropInvalidHeaderFields": True,
        },
    )


def listener_sources(stack: SynthesizedStack) -> list[tuple[int, str]]:
    """(port, source range) of every CIDR ingress rule on the load balancer's security group, sorted."""
    return sorted((r.inputs["fromPort"], r.inputs["cidrIpv4"]) for r in stack.find(INGRESS_RULE, {"cidrIpv4": Match.any_value()}))


def test_load_balancer_ingress_is_http_from_allowed_ranges_without_a_certificate() -> None:
    stack = blue_green(cidrs=("203.0.113.0/24",))
    assert [source for source in listener_sources(stack) if source[0] != 9443] == [(80, "203.0.113.0/24")]


def test_load_balancer_ingress_adds_https_with_a_certificate_from_allowed_ranges_only() -> None:
    stack = blue_green(certificate=CERTIFICATE, cidrs=("203.0.113.0/24", "198.51.100.0/24"))
    assert [source for source in listener_sources(stack) if source[0] != 9443] == [
        (80, "198.51.100.0/24"),
        (80, "203.0.113.0/24"),
        (443, "198.51.100.0/24"),
        (443, "203.0.113.0/24"),
    ]


def test_test_listener_is_reachable_only_from_inside_the_vpc_by_default() -> None:
    stack = blue_green(cidrs=("0.0.0.0/0",))
    assert [source for source in listener_sources(stack) if source[0] == 9443] == sorted([(9443, NAT_SOURCE), (9443, VPC_CIDR)])


def test_test_access_ranges_open_only_the_test_port() -> None:
    stack = blue_green(cidrs=("0.0.0.0/0",), test_cidrs=("198.51.100.0/24",))
    from_test_range = [port for port, cidr in listener_sources(stack) if cidr == "198.51.100.0/24"]
    assert from_test_range == [9443]
    assert (9443, VPC_CIDR) in listener_sources(stack)


def test_the_whole_internet_is_refused_as_a_test_range() -> None:
    def program() -> None:
        BlueGreenTargets(
            "web",
            AwsBlueGreenArgs(
                blue_green=BlueGreenArgs(images=dict(BOTH_IMAGES), live_color="blue", workload=Workload(port=8080), tags=TAGS),
                placement=PLACEMENT,
                test_access_cidrs=("0.0.0.0/0",),
            ),
        )

    registered = registered_before_failing(program, ValueError, r"test_access_cidrs must not contain 0\.0\.0\.0/0")
    assert registered == []


def test_tasks_are_reachable_only_from_the_load_balancer_security_group_on_the_service_port() -> None:
    stack = blue_green()
    alb_sg = stack.get(SECURITY_GROUP, "web-alb").id
    task_sg = stack.get(SECURITY_GROUP, "web-tasks").id
    into_tasks = [r for r in stack.of_type(INGRESS_RULE) if r.inputs["securityGroupId"] == task_sg]
    [rule] = into_tasks
    assert rule.inputs["referencedSecurityGroupId"] == alb_sg
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (8080, 8080, "tcp")
    assert "cidrIpv4" not in rule.inputs


def test_load_balancer_egress_goes_only_to_the_tasks() -> None:
    stack = blue_green()
    alb_sg = stack.get(SECURITY_GROUP, "web-alb").id
    task_sg = stack.get(SECURITY_GROUP, "web-tasks").id
    [egress] = [r for r in stack.of_type(EGRESS_RULE) if r.inputs["securityGroupId"] == alb_sg]
    assert egress.inputs["referencedSecurityGroupId"] == task_sg
    assert egress.inputs["fromPort"] == egress.inputs["toPort"] == 8080


def test_target_groups_are_auto_named_and_health_check_the_service_path() -> None:
    stack = blue_green()
    stack.resource_count_is(
        TARGET_GROUP,
        2,
        {
            "name": Match.absent(),
            "namePrefix": Match.absent(),
            "targetType": "ip",
            "port": 8080,
            "healthCheck": {"path": "/ready", "protocol": "HTTP"},
        },
    )


def test_long_service_names_use_a_short_name_prefix_so_elb_names_fit() -> None:
    stack = blue_green(name="payments-reconciliation-api")
    for resource in [*stack.of_type(TARGET_GROUP), *stack.of_type(LOAD_BALANCER)]:
        prefix = resource.inputs["namePrefix"]
        assert 1 <= len(prefix) <= 6, resource.name


@pytest.mark.parametrize("live", ["blue", "green"])
def test_test_listener_forwards_everything_to_the_idle_color(live: Color) -> None:
    stack = blue_green(live=live)
    arns = {color: stack.get(TARGET_GROUP, f"web-{color}").id for color in ("blue", "green")}
    idle = "green" if live == "blue" else "blue"
    listener = stack.get(LISTENER, "web-test")
    assert forward_weights(listener.inputs) == {arns[idle]: 100, arns[live]: 0}
    assert listener.inputs["port"] == 9443


def test_test_listener_is_http_without_a_certificate() -> None:
    stack = blue_green()
    stack.has_resource_properties(LISTENER, {"protocol": "HTTP", "certificateArn": Match.absent()}, name="web-test")


def test_test_listener_is_https_with_the_certificate() -> None:
    stack = blue_green(certificate=CERTIFICATE)
    stack.has_resource_properties(
        LISTENER,
        {"protocol": "HTTPS", "certificateArn": CERTIFICATE, "sslPolicy": Match.string_like_regexp("^ELBSecurityPolicy-TLS13")},
        name="web-test",
    )


def test_task_definitions_are_fargate_awsvpc() -> None:
    stack = blue_green()
    stack.resource_count_is(
        TASK_DEFINITION, 2, {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "512", "memory": "1024"}
    )


@pytest.mark.parametrize("color", ["blue", "green"])
def test_containers_are_hardened_and_log_to_the_environment_log_group(color: str) -> None:
    app = container(blue_green(), f"web-{color}")
    assert app["readonlyRootFilesystem"] is True
    assert app["privileged"] is False
    assert app["logConfiguration"]["logDriver"] == "awslogs"
    assert app["logConfiguration"]["options"]["awslogs-group"] == PLACEMENT.log_group_name
    assert app["logConfiguration"]["options"]["awslogs-region"] == "us-east-1"


def test_each_color_runs_its_own_image() -> None:
    stack = blue_green()
    assert container(stack, "web-blue")["image"] == "ghcr.io/acme/web:1.0"
    assert container(stack, "web-green")["image"] == "ghcr.io/acme/web:1.1"


def test_services_run_in_private_subnets_without_public_ips() -> None:
    stack = blue_green()
    task_sg = stack.get(SECURITY_GROUP, "web-tasks").id
    stack.resource_count_is(
        ECS_SERVICE,
        2,
        {
            "launchType": "FARGATE",
            "networkConfiguration": {
                "subnets": list(PLACEMENT.private_subnet_ids),
                "assignPublicIp": False,
                "securityGroups": [task_sg],
            },
        },
    )


def test_each_service_registers_in_its_own_color_target_group() -> None:
    stack = blue_green()
    for color in ("blue", "green"):
        group = stack.get(TARGET_GROUP, f"web-{color}").id
        stack.has_resource_properties(
            ECS_SERVICE, {"loadBalancers": [{"targetGroupArn": group, "containerPort": 8080}]}, name=f"web-{color}"
        )


def test_services_leave_desired_count_to_autoscaling() -> None:
    stack = blue_green()
    for color in ("blue", "green"):
        stack.has_resource(
            ECS_SERVICE, name=f"web-{color}", props={"desiredCount": 2}, options={"ignoreChanges": ["desiredCount"]}
        )


def test_services_wait_for_the_test_listener_that_attaches_both_target_groups() -> None:
    stack = blue_green()
    listener = stack.get(LISTENER, "web-test")
    assert all(listener.urn in service.dependencies for service in stack.of_type(ECS_SERVICE))


def test_secrets_reach_containers_only_as_secrets_manager_references() -> None:
    stack = blue_green(with_secret=True)
    secret_arn = stack.get(SECRET, "web-secrets").outputs["arn"]
    for color in ("blue", "green"):
        app = container(stack, f"web-{color}")
        assert app["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": f"{secret_arn}:DB_PASSWORD::"}]
        assert all(variable["name"] != "DB_PASSWORD" for variable in app["environment"])


def test_secret_value_is_sent_only_as_a_secret() -> None:
    stack = blue_green(with_secret=True)
    stack.has_resource_properties(SECRET_VERSION, {"secretString": Match.secret(json.dumps({"DB_PASSWORD": PASSWORD}))})
    assert stack.plaintext_paths(PASSWORD) == []


def test_execution_role_reads_only_this_services_secret_and_writes_only_its_log_group() -> None:
    stack = blue_green(with_secret=True)
    secret_arn = stack.get(SECRET, "web-secrets").outputs["arn"]
    policy = json.loads(stack.get(ROLE_POLICY, "web-execution").inputs["policy"])
    resources = {statement["Sid"]: statement["Resource"] for statement in policy["Statement"]}
    assert resources == {"ReadServiceSecrets": secret_arn, "WriteLogs": f"{LOG_GROUP_ARN}:log-stream:*"}


def test_task_role_has_no_permissions_of_its_own() -> None:
    stack = blue_green(with_secret=True)
    task_role = stack.get(ROLE, "web-task")
    assert [p for p in stack.of_type(ROLE_POLICY) if p.inputs["role"] == task_role.id] == []
    stack.has_resource_properties(ROLE, {"managedPolicyArns": Match.absent(), "inlinePolicies": Match.absent()}, name="web-task")


def test_without_secrets_there_is_no_secret_and_no_secret_permission() -> None:
    stack = blue_green()
    stack.resource_count_is(SECRET, 0)
    policy = json.loads(stack.get(ROLE_POLICY, "web-execution").inputs["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["WriteLogs"]


def test_ecr_images_get_pull_rights_on_their_repository_only() -> None:
    assert (
        ecr_repository_arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.2")
        == "arn:aws:ecr:eu-west-1:123456789012:repository/team/web"
    )
    assert ecr_repository_arn("ghcr.io/acme/web:1.0") is None


def test_every_taggable_resource_carries_the_required_tags() -> None:
    assert untagged(blue_green(with_secret=True, certificate=CERTIFICATE)) == []


@pytest.mark.parametrize(
    ("cpu", "memory", "message"),
    [
        (0.3, 1024, r"cpu 0\.3 is not a Fargate task size; use 0\.25, 0\.5, 1, 2, 4, 8 or 16 vCPUs"),
        (0.25, 4096, r"memory 4096 MiB does not fit a 0\.25 vCPU Fargate task; use 512, 1024 or 2048 MiB"),
        (4, 1024, r"memory 1024 MiB does not fit a 4 vCPU Fargate task; use 8192 to 30720 in steps of 1024 MiB"),
    ],
)
def test_a_cpu_memory_pair_fargate_lacks_is_rejected_before_anything_is_registered(cpu: float, memory: int, message: str) -> None:
    def program() -> None:
        workload = Workload(port=8080, cpu=cpu, memory=memory)
        args = AwsBlueGreenArgs(
            blue_green=BlueGreenArgs(images=dict(BOTH_IMAGES), live_color="blue", workload=workload, tags=TAGS),
            placement=PLACEMENT,
        )
        BlueGreenTargets("web", args)

    assert registered_before_failing(program, ValueError, message) == []


def test_services_wait_for_the_private_routes_to_nat() -> None:
    def program() -> None:
        table = aws.ec2.RouteTable("private-0", vpc_id=PLACEMENT.vpc_id)
        association = aws.ec2.RouteTableAssociation("private-0", subnet_id="subnet-private-a", route_table_id=table.id)
        BlueGreenTargets(
            "web",
            AwsBlueGreenArgs(
                blue_green=BlueGreenArgs(images=dict(BOTH_IMAGES), live_color="blue", workload=Workload(port=8080), tags=TAGS),
                placement=dataclasses.replace(PLACEMENT, egress_ready=(table, association)),
            ),
        )

    stack = synth(program, config=CONFIG)
    association = stack.get("aws:ec2/routeTableAssociation:RouteTableAssociation", "private-0")
    table = stack.get("aws:ec2/routeTable:RouteTable", "private-0")
    for service in stack.of_type(ECS_SERVICE):
        assert {association.urn, table.urn} <= set(service.dependencies), service.name


def test_a_test_port_clashing_with_production_is_rejected() -> None:
    def program() -> None:
        workload = Workload(port=8080)
        args = AwsBlueGreenArgs(
            blue_green=BlueGreenArgs(images=dict(BOTH_IMAGES), live_color="blue", workload=workload, tags=TAGS),
            placement=PLACEMENT,
            test_listener_port=443,
        )
        BlueGreenTargets("web", args)

    with pytest.raises(ValueError, match=r"test_listener_port 443 clashes with the production listener ports"):
        synth(program, config=CONFIG)


def test_plain_environment_variables_stay_plain() -> None:
    app = container(blue_green(), "web-blue")
    assert app["environment"] == [{"name": "LOG_LEVEL", "value": "info"}]
    assert "secrets" not in app
