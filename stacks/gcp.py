"""GCP builder: one Environment (VPC, NAT, firewall, runtime identity, log bucket), then per service its
blue/green slots, the weighted URL map with its load balancer, and (on instance groups) autoscalers.
Config in (already validated), components out."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.environment import EnvironmentArgs
from components.gcp import (
    Autoscaling,
    BlueGreenTargets,
    CanaryRoute,
    Environment,
    GcpAutoscalingArgs,
    GcpBlueGreenArgs,
    GcpCanaryArgs,
    GcpEnvironmentArgs,
)
from components.gcp.autoscaling import scaling_loop
from components.gcp.sizing import label_name
from stacks.capacity import scaling_outputs
from stacks.config import Service, StackConfig
from stacks.config.gcp import GcpSettings
from stacks.contracts import autoscaling_args, blue_green_args, canary_args, resource_name

KEY = "rollway:gcp"


def _location(settings: GcpSettings) -> tuple[str, str]:
    # The loader requires both when gcp is targeted (filling them from gcp:project / gcp:region); this tells
    # the type checker.
    if settings.project is None or settings.region is None:
        raise TypeError(f"{KEY}: project and region must be set by the config loader before build()")
    return settings.project, settings.region


def build(config: StackConfig) -> dict[str, Any]:
    """Register the GCP side of the stack; returns its outputs (network, per service URL and backends).

    Expects a config that passed validation (the loader runs GcpSettings' checks, `problems` and
    `service_problems`, before any cloud registers a resource), so it does not check again.
    """
    settings = config.settings("gcp")
    project, region = _location(settings)
    # An explicit provider pins project and region from the stack's config, whatever gcloud's defaults are;
    # its default labels catch anything labelable a component does not label itself.
    provider = gcp.Provider("gcp", project=project, region=region, default_labels=dict(config.labels))
    opts = pulumi.ResourceOptions(providers=[provider])
    prefix = label_name(f"rollway-{pulumi.get_stack()}", limit=26)

    environment = Environment(
        f"rollway-{config.environment}",
        GcpEnvironmentArgs(
            environment=EnvironmentArgs(
                environment=config.environment, tags=config.labels, log_retention_days=settings.log_retention_days
            ),
            project=project,
            region=region,
            subnet_cidr=settings.subnet_cidr,
            proxy_only_cidr=settings.proxy_only_cidr,
            workload_ports=tuple(sorted({service.port for service in config.services.values()})),
            flow_logs=settings.flow_logs_for(config.environment),
            resource_prefix=prefix,
            test_header_name=settings.test_route.header_name,
            test_access_cidrs=tuple(settings.test_access_cidrs),
        ),
        opts=opts,
    )
    services = {
        name: _service(config, settings, environment, prefix, name, service, opts) for name, service in config.services.items()
    }
    return {
        "project": project,
        "region": region,
        "runtime": settings.runtime,
        "networkId": environment.network.id,
        "logBucket": environment.log_bucket.id,
        "testRoutePolicyId": environment.test_route_policy.id,
        "services": services,
    }


def _service(
    config: StackConfig,
    settings: GcpSettings,
    environment: Environment,
    prefix: str,
    name: str,
    service: Service,
    opts: pulumi.ResourceOptions,
) -> dict[str, Any]:
    app = resource_name(name)
    labels = {**config.labels, "rollway-service": app}
    placement = environment.placement()
    scaling = autoscaling_args(service, "gcp")
    targets = BlueGreenTargets(
        app,
        GcpBlueGreenArgs(
            blue_green=blue_green_args(config, service, tags=config.labels),
            placement=placement,
            autoscaling=scaling,
            resource_prefix=prefix,
            runtime=settings.runtime,
            concurrency=settings.concurrency,
            machine_type=settings.machine_type,
            warmup_seconds=settings.instance_warmup_seconds,
            deletion_protection=config.environment == "prod",
            security_policy=environment.test_route_policy.id,
        ),
        opts=opts,
    )
    route = CanaryRoute(
        app,
        GcpCanaryArgs(
            canary=canary_args(service),
            backend_services={color: backend.id for color, backend in targets.backend_services.items()},
            project=placement.project,
            test_header_name=settings.test_route.header_name,
            test_header_value=settings.test_route.header_value,
            hostname=f"{app}.{settings.domain}" if settings.domain else None,
            ssl_profile=settings.ssl_profile,
            labels=labels,
        ),
        opts=opts,
    )
    if targets.instance_group_managers:
        Autoscaling(
            app,
            GcpAutoscalingArgs(
                autoscaling=scaling,
                project=placement.project,
                region=placement.region,
                instance_group_managers={color: group.id for color, group in targets.instance_group_managers.items()},
                warmup_seconds=settings.instance_warmup_seconds,
            ),
            opts=opts,
        )
    loop = scaling_loop(scaling, settings.runtime, settings.instance_warmup_seconds)
    return {
        **scaling_outputs(config, "gcp", name, service, loop),
        "productionUrl": route.url,
        "ipAddress": route.address.address,
        "testRoute": f"{settings.test_route.header_name}: {settings.test_route.header_value}",
        "urlMapId": route.url_map.id,
        "backendServiceIds": {color: backend.id for color, backend in targets.backend_services.items()},
    }
