"""Azure builder: one Environment (resource group, network, logs, Container Apps environment, Front Door
profile), then per service its autoscaling, blue/green slots and Front Door canary route.
Config in (already validated by the loader, including `AzureSettings.service_problems`), components out.

`stickinessSeconds` is deliberately ignored here (no config error): shipped stacks set it for the clouds
that honour it, and Front Door's affinity cookie cannot be bounded (see components/azure/canary.py).
"""

from __future__ import annotations

from typing import Any

from components.azure.autoscaling import Autoscaling, AzureAutoscalingArgs, scaling_loop
from components.azure.blue_green import AzureBlueGreenArgs, BlueGreenTargets
from components.azure.canary import AzureCanaryArgs, CanaryRoute
from components.azure.environment import AzureEnvironmentArgs, Environment
from components.blue_green import COLORS, Color
from components.environment import EnvironmentArgs
from stacks.capacity import scaling_outputs
from stacks.config import ConfigProblem, StackConfig
from stacks.config.azure import container_app_name
from stacks.contracts import autoscaling_args, blue_green_args, canary_args, resource_name
from stacks.program import fail_on

PREFIX = "rollway:azure"


def build(config: StackConfig) -> dict[str, Any]:
    """Register the Azure side of the stack; returns its outputs (resource group, per service URLs)."""
    settings = config.settings("azure")
    # The loader has checked these settings and their relation to the services (`problems`, `service_problems`)
    # before any cloud is built; only the type checker still needs to hear that the location is set.
    location = settings.location
    if location is None:
        fail_on([ConfigProblem(f"{PREFIX}.location", "is required when azure is targeted (or set azure-native:location)")])
        raise AssertionError("fail_on raises on a non-empty problem list")
    tags = config.effective_tags
    environment = Environment(
        f"rollway-{config.environment}",
        AzureEnvironmentArgs(
            environment=EnvironmentArgs(
                environment=config.environment, tags=tags, log_retention_days=settings.log_retention_days
            ),
            location=location,
            vnet_cidr=settings.vnet_cidr,
            workload_subnet_cidr=settings.workload_subnet_cidr,
            zone_redundant=settings.is_zone_redundant(config.environment),
            nat_gateway=settings.nat_gateway,
            test_access_cidrs=tuple(settings.test_access_cidrs),
        ),
    )

    services: dict[str, Any] = {}
    for name, service in config.services.items():
        app = resource_name(name)
        overrides = settings.service(name)
        scale_sets = overrides.vm_scale_sets
        slots_on_scale_sets: dict[Color, Any] = {}
        if scale_sets is not None:
            slots_on_scale_sets = {c: s for c in COLORS if (s := getattr(scale_sets, c)) is not None}
        scaling = autoscaling_args(service, "azure")
        autoscaling = Autoscaling(
            app,
            AzureAutoscalingArgs(
                autoscaling=scaling,
                resource_group_name=environment.resource_group_name,
                location=location,
                scale_set_ids={color: slot.id for color, slot in slots_on_scale_sets.items()},
                request_latency_ms=settings.request_latency_ms,
                tags=tags,
            ),
        )
        suffixes = overrides.revision_suffix
        slots = BlueGreenTargets(
            app,
            AzureBlueGreenArgs(
                blue_green=blue_green_args(config, service, tags=tags),
                app_names={color: container_app_name(app, color) for color in COLORS},
                resource_group_name=environment.resource_group_name,
                location=location,
                environment_id=environment.environment_id,
                default_domain=environment.default_domain,
                scale=autoscaling.scale,
                revision_suffixes={c: s for c in COLORS if suffixes and (s := getattr(suffixes, c))},
                scale_set_hosts={color: slot.host_name for color, slot in slots_on_scale_sets.items()},
                front_door_id=environment.front_door_id,
            ),
        )
        route = CanaryRoute(
            app,
            AzureCanaryArgs(
                canary=canary_args(service),
                resource_group_name=environment.resource_group_name,
                profile_name=environment.front_door_profile_name,
                origin_hosts=slots.fqdns,
                health_check_path=service.health_check_path,
                probe_interval_seconds=settings.probe_interval_seconds,
                tags=tags,
            ),
        )
        services[name] = {
            "url": route.url,
            "testUrl": slots.test_url,
            "liveColor": service.live_color,
            "canaryWeight": service.canary_weight,
            **scaling_outputs(config, "azure", name, service, scaling_loop(scaling, on_scale_sets=bool(slots_on_scale_sets))),
        }
    return {
        "resourceGroup": environment.resource_group_name,
        "location": location,
        "frontDoorProfile": environment.front_door_profile_name,
        # Scale set hosts (and anything else behind this profile) check X-Azure-FDID against this.
        "frontDoorId": environment.front_door_id,
        "services": services,
    }
