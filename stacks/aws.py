"""AWS builder: one Environment (VPC, ECS cluster, log group), then per service its blue/green targets, the
weighted production route and autoscaling. Config in (already validated), components out.

What AWS cannot run (Fargate task sizes, schedules, test access) is reported by `AwsSettings` with the rest of
the config, before anything is registered; the one thing only the cloud knows, how many zones the region has,
is checked here before any resource but the provider.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws import (
    Autoscaling,
    AwsAutoscalingArgs,
    AwsBlueGreenArgs,
    AwsCanaryArgs,
    AwsEnvironmentArgs,
    BlueGreenTargets,
    CanaryRoute,
    Environment,
    ScalableService,
)
from components.aws.autoscaling import scaling_loop
from components.aws.environment import available_zone_names
from components.environment import EnvironmentArgs
from stacks.capacity import scaling_outputs
from stacks.config import ConfigProblem, Service, StackConfig
from stacks.config.aws import AwsSettings
from stacks.contracts import autoscaling_args, blue_green_args, canary_args, resource_name
from stacks.program import fail_on

KEY = "rollway:aws"


def build(config: StackConfig) -> dict[str, Any]:
    """Register the AWS side of the stack; returns its outputs (VPC, cluster, per service URLs and target groups)."""
    settings = config.settings("aws")
    tags = config.effective_tags
    # An explicit provider pins the region from the stack's config, whatever the shell's AWS_REGION says.
    provider = aws.Provider("aws", region=settings.region)
    opts = pulumi.ResourceOptions(providers=[provider])
    zones = _zone_names(settings, provider)

    environment = Environment(
        f"rollway-{config.environment}",
        AwsEnvironmentArgs(
            environment=EnvironmentArgs(
                environment=config.environment, tags=tags, log_retention_days=settings.log_retention_days
            ),
            vpc_cidr=settings.vpc_cidr,
            availability_zones=settings.availability_zones,
            nat_gateway_count=settings.nat_gateway_count(config.environment),
            region=settings.region,
            zone_names=zones,
        ),
        opts=opts,
    )

    services = {name: _service(config, settings, environment, name, service, opts) for name, service in config.services.items()}
    return {
        "region": settings.region,
        "vpcId": environment.vpc.id,
        "clusterName": environment.cluster.name,
        "logGroupName": environment.log_group.name,
        "services": services,
    }


def _zone_names(settings: AwsSettings, provider: aws.Provider) -> tuple[str, ...]:
    """The zones the VPC spans; stops the program (nothing but the provider registered) when the region has
    fewer than `availabilityZones`."""
    names = available_zone_names(pulumi.InvokeOptions(provider=provider))
    wanted = settings.availability_zones
    if len(names) < wanted:
        fail_on(
            [
                ConfigProblem(
                    f"{KEY}.availabilityZones",
                    f"must be at most {len(names)}: region {settings.region} has {len(names)} available zone(s) "
                    f"that need no opt-in ({', '.join(names) or 'none'})",
                    wanted,
                )
            ]
        )
    return tuple(names[:wanted])


def _service(
    config: StackConfig,
    settings: AwsSettings,
    environment: Environment,
    name: str,
    service: Service,
    opts: pulumi.ResourceOptions,
) -> dict[str, Any]:
    app = resource_name(name)
    tags = {**config.effective_tags, "service": app}
    targets = BlueGreenTargets(
        app,
        AwsBlueGreenArgs(
            blue_green=blue_green_args(config, service, tags=tags),
            placement=environment.placement,
            test_listener_port=settings.test_listener_port,
            allowed_ingress_cidrs=tuple(settings.allowed_ingress_cidrs),
            test_access_cidrs=tuple(settings.test_access_cidrs),
            certificate_arn=settings.certificate_arn,
            ssl_policy=settings.ssl_policy,
            desired_count=service.autoscaling.min,
            deletion_protection=config.environment == "prod",
        ),
        opts=opts,
    )
    CanaryRoute(
        app,
        AwsCanaryArgs(
            canary=canary_args(service),
            load_balancer_arn=targets.load_balancer.arn,
            target_group_arns={color: group.arn for color, group in targets.target_groups.items()},
            certificate_arn=settings.certificate_arn,
            ssl_policy=settings.ssl_policy,
            tags=tags,
        ),
        opts=opts,
    )
    scaling = autoscaling_args(service, "aws")
    Autoscaling(
        app,
        AwsAutoscalingArgs(
            autoscaling=scaling,
            cluster_name=environment.cluster.name,
            services={
                color: ScalableService(
                    service_name=ecs_service.name, target_group_arn_suffix=targets.target_groups[color].arn_suffix
                )
                for color, ecs_service in targets.services.items()
            },
            load_balancer_arn_suffix=targets.load_balancer.arn_suffix,
            tags=tags,
        ),
        opts=opts,
    )

    scheme = "https" if settings.certificate_arn else "http"
    dns = targets.load_balancer.dns_name
    return {
        **scaling_outputs(config, "aws", name, service, scaling_loop(scaling)),
        "productionUrl": pulumi.Output.concat(scheme, "://", dns),
        "testUrl": pulumi.Output.concat(scheme, "://", dns, f":{settings.test_listener_port}"),
        "targetGroupArns": {color: group.arn for color, group in targets.target_groups.items()},
        "serviceNames": {color: ecs_service.name for color, ecs_service in targets.services.items()},
    }
