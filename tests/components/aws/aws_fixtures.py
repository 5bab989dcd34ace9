"""Builders of AWS component Args for the tests in this folder (one synth per distinct input, cached)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache

import pulumi
import pulumi_aws as aws
import pytest

from components.autoscaling import AutoscalingArgs, PredictiveScaling, ScaleInProtection, ScheduledCapacity
from components.aws import (
    Autoscaling,
    AwsAutoscalingArgs,
    AwsBlueGreenArgs,
    AwsCanaryArgs,
    AwsEnvironmentArgs,
    BlueGreenTargets,
    CanaryRoute,
    Environment,
    Placement,
    ScalableService,
)
from components.blue_green import BlueGreenArgs, Color, Workload
from components.canary import CanaryArgs
from components.environment import EnvironmentArgs
from rollway.testing import (
    CloudContext,
    PlausibleMocks,
    RecordedResource,
    RecordingMonitor,
    SynthesizedStack,
    run_program,
    synth,
)

REGION = "us-east-1"
CONFIG = {"aws:region": REGION}
TAGS = {"cost-center": "platform", "owner": "platform-team", "environment": "dev", "managed-by": "rollway"}
PASSWORD = "correct-horse-battery-staple"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0b9e5a1d-test"
BLUE_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef"
GREEN_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/0a1b2c3d4e5f6a7b"
LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/rollway/dev/app"
VPC_CIDR = "10.10.0.0/16"
NAT_SOURCE = "203.0.113.10/32"

PLACEMENT = Placement(
    vpc_id="vpc-0a1b2c3d4e5f60000",
    public_subnet_ids=("subnet-public-a", "subnet-public-b"),
    private_subnet_ids=("subnet-private-a", "subnet-private-b"),
    cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/rollway-dev",
    cluster_name="rollway-dev",
    log_group_name="/rollway/dev/app",
    log_group_arn=LOG_GROUP_ARN,
    region=REGION,
    internal_source_cidrs=(VPC_CIDR, NAT_SOURCE),
)

LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"

Images = tuple[tuple[Color, str | None], ...]
BOTH_IMAGES: Images = (("blue", "ghcr.io/acme/web:1.0"), ("green", "ghcr.io/acme/web:1.1"))


@cache
def environment(environment_kind: str = "dev", zones: int = 2, nat_gateways: int = 1) -> SynthesizedStack:
    args = AwsEnvironmentArgs(
        environment=EnvironmentArgs(environment=environment_kind, tags=TAGS, log_retention_days=14),
        vpc_cidr=VPC_CIDR,
        availability_zones=zones,
        nat_gateway_count=nat_gateways,
        region=REGION,
    )
    return synth(lambda: Environment("rollway-dev", args), config=CONFIG)


@cache
def blue_green(
    live: Color = "blue",
    images: Images = BOTH_IMAGES,
    certificate: str | None = None,
    with_secret: bool = False,
    name: str = "web",
    cidrs: tuple[str, ...] = ("0.0.0.0/0",),
    test_cidrs: tuple[str, ...] = (),
) -> SynthesizedStack:
    def program() -> None:
        secrets = {"DB_PASSWORD": pulumi.Output.secret(PASSWORD)} if with_secret else {}
        workload = Workload(
            port=8080, health_check_path="/ready", cpu=0.5, memory=1024, environment={"LOG_LEVEL": "info"}, secrets=secrets
        )
        BlueGreenTargets(
            name,
            AwsBlueGreenArgs(
                blue_green=BlueGreenArgs(images=dict(images), live_color=live, workload=workload, tags=TAGS),
                placement=PLACEMENT,
                test_listener_port=9443,
                allowed_ingress_cidrs=cidrs,
                test_access_cidrs=test_cidrs,
                certificate_arn=certificate,
                desired_count=2,
            ),
        )

    return synth(program, config=CONFIG)


@cache
def canary(
    live: Color = "blue",
    weight: int = 10,
    certificate: str | None = None,
    header: bool = False,
    stickiness: int | None = None,
) -> SynthesizedStack:
    args = AwsCanaryArgs(
        canary=CanaryArgs(
            live_color=live,
            canary_weight=weight,
            header_name="x-rollway-canary" if header else None,
            header_value="always" if header else None,
            stickiness_seconds=stickiness,
        ),
        load_balancer_arn=ALB_ARN,
        target_group_arns={"blue": BLUE_TG, "green": GREEN_TG},
        certificate_arn=certificate,
        tags=TAGS,
    )
    return synth(lambda: CanaryRoute("web", args), config=CONFIG)


@cache
def autoscaling(
    colors: tuple[Color, ...] = ("blue", "green"),
    requests_per_target: int | None = 500,
    schedules: tuple[ScheduledCapacity, ...] = (),
    predictive: PredictiveScaling | None = None,
    protection: tuple[ScaleInProtection, ...] = (),
) -> SynthesizedStack:
    args = AwsAutoscalingArgs(
        autoscaling=AutoscalingArgs(
            min_capacity=2,
            max_capacity=10,
            cpu_target=55,
            requests_per_target=requests_per_target,
            scale_in_cooldown_seconds=600,
            scale_out_cooldown_seconds=45,
            schedules=schedules,
            predictive=predictive,
            scale_in_protection=protection,
        ),
        cluster_name="rollway-dev",
        services={
            color: ScalableService(service_name=f"web-{color}-svc", target_group_arn_suffix=f"targetgroup/web-{color}/abc")
            for color in colors
        },
        load_balancer_arn_suffix="app/web-alb/0a1b2c3d",
        tags=TAGS,
    )
    return synth(lambda: Autoscaling("web", args), config=CONFIG)


def taggable(resource: RecordedResource) -> bool:
    """Whether the resource's pulumi_aws class takes `tags` (read from the installed SDK, not a hand list)."""
    if not resource.custom or not resource.type.startswith("aws:"):
        return False
    module_path, _, class_name = resource.type.split(":", 1)[1].partition(":")
    module = getattr(aws, module_path.split("/")[0])
    cls = getattr(module, class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def untagged(stack: SynthesizedStack) -> list[str]:
    """Taggable resources lacking any of TAGS (as `type name`); empty when everything is tagged."""
    missing: list[str] = []
    for resource in stack.resources:
        if taggable(resource):
            tags = resource.inputs.get("tags") or {}
            if any(tags.get(key) != value for key, value in TAGS.items()):
                missing.append(f"{resource.type} {resource.name}")
    return missing


def orphans(stack: SynthesizedStack, component_type: str) -> list[str]:
    """Resources not parented to the (single) component of `component_type`."""
    [component] = stack.of_type(component_type)
    return [f"{r.type} {r.name}" for r in stack.resources if r is not component and r.parent != component.urn]


def registered_before_failing(program: Callable[[], object], error: type[Exception], match: str) -> list[RecordedResource]:
    """Run `program`, which must raise `error` matching `match`; returns what it registered before failing."""
    monitor = RecordingMonitor(PlausibleMocks(context=CloudContext.from_config(CONFIG)))
    with pytest.raises(error, match=match):
        run_program(program, config=CONFIG, monitor=monitor)
    return monitor.recorded_resources()
