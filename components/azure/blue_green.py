"""Azure blue/green slots: one Container App per color.

A Container App's template describes exactly one revision, so two colors with different images cannot be
declared in one app, and per-revision traffic weights would depend on revisions left over from earlier
deployments. Each color therefore gets its own app (single revision mode, HTTPS-only ingress, probes on the
health check path); Front Door (`components/azure/canary.py`) is the production route, and the idle color's
own FQDN is the test route. Switching the live color changes Front Door only, never these apps.

Every app gets the environment's Front Door profile id as `ROLLWAY_FRONT_DOOR_ID`: the NSG's
`AzureFrontDoor.Backend` service tag admits every tenant's Front Door, and only the `X-Azure-FDID` header
tells this profile's requests apart, which Container Apps ingress cannot filter on; the app (or a sidecar)
must refuse requests whose header differs (docs/azure.md). The id is the profile's, fixed for its lifetime,
so a canary step or a live flip never changes an app.
A color may instead run on an existing VM scale set (`scale_set_hosts`); then only its host is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import app

from components.azure import FRONT_DOOR_ID_ENV
from components.blue_green import COLORS, BlueGreenArgs, Color
from rollway.helpers import clean_name

TYPE = "rollway:azure:BlueGreenTargets"
CONTAINER_NAME = "app"


@dataclass(frozen=True)
class AzureBlueGreenArgs:
    """Inputs of one service's pair of Container Apps."""

    blue_green: BlueGreenArgs
    """Images per color, live color, workload shape and tags (the cloud-agnostic part)."""
    app_names: Mapping[Color, str]
    """Container App name per color, unique within the resource group (RFC 1123 label, at most 32 characters)."""
    resource_group_name: pulumi.Input[str]
    """The environment's resource group."""
    location: str
    """The environment's region."""
    environment_id: pulumi.Input[str]
    """Resource ID of the Container Apps managed environment."""
    default_domain: pulumi.Input[str]
    """The managed environment's default domain; an app's FQDN is `<app name>.<default domain>`."""
    scale: app.ScaleArgs | None = None
    """Replica bounds and scale rules (see `components/azure/autoscaling.container_app_scale`)."""
    revision_suffixes: Mapping[Color, str] = field(default_factory=dict)
    """Pinned revision suffix per color; Azure generates one for colors not listed."""
    workload_profile_name: str = "Consumption"
    """Workload profile the apps run on."""
    scale_set_hosts: Mapping[Color, str] = field(default_factory=dict)
    """Colors that run on an existing VM scale set instead of a Container App, with the host name Front Door
    and smoke tests reach them at; no app is created for these colors."""
    front_door_id: pulumi.Input[str] | None = None
    """The Front Door profile's `frontDoorId` (what it sends in `X-Azure-FDID`), given to every app as
    `ROLLWAY_FRONT_DOOR_ID`; None leaves the variable out (apps not behind Rollway's Front Door)."""


class BlueGreenTargets(pulumi.ComponentResource):
    """Two slots: a Container App per color with an image (each with health probes), or a VM scale set
    host given by the caller."""

    apps: dict[Color, app.ContainerApp]
    fqdns: dict[Color, pulumi.Output[str]]

    def __init__(self, name: str, args: AzureBlueGreenArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        targets = args.blue_green
        self.apps = {}
        self.fqdns = {}
        for color in COLORS:
            external = args.scale_set_hosts.get(color)
            if external is not None:
                self.fqdns[color] = pulumi.Output.from_input(external)
                continue
            image = targets.images.get(color)
            if not image:
                continue
            app_name = args.app_names[color]
            self.apps[color] = app.ContainerApp(
                f"{name}-{color}",
                container_app_name=app_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                environment_id=args.environment_id,
                workload_profile_name=args.workload_profile_name,
                configuration=_configuration(targets),
                template=_template(targets, image, args.scale, args.revision_suffixes.get(color), args.front_door_id),
                tags={**targets.tags, "rollway-color": color},
                opts=pulumi.ResourceOptions(parent=self),
            )
            # Built from the name rather than read from the app, so the origin host is known at preview time.
            self.fqdns[color] = pulumi.Output.concat(app_name, ".", args.default_domain)

        live, idle = targets.live_color, targets.idle_color
        self.live_fqdn: pulumi.Output[str] | None = self.fqdns.get(live)
        self.test_fqdn: pulumi.Output[str] | None = self.fqdns.get(idle)
        self.test_url: pulumi.Output[str] | None = (
            pulumi.Output.concat("https://", self.test_fqdn) if self.test_fqdn is not None else None
        )
        self.register_outputs(
            {
                "appIds": {color: container.id for color, container in self.apps.items()},
                "fqdns": self.fqdns,
                "liveColor": live,
                "idleColor": idle,
                "testUrl": self.test_url,
            }
        )


def secret_name(env_var: str) -> str:
    """Container App secret name for an environment variable (lowercase letters, digits and '-')."""
    return clean_name(env_var, allowed="a-z0-9")


def _configuration(targets: BlueGreenArgs) -> app.ConfigurationArgs:
    workload = targets.workload
    return app.ConfigurationArgs(
        active_revisions_mode="Single",
        ingress=app.IngressArgs(
            external=True,
            allow_insecure=False,
            target_port=workload.port,
            transport="auto",
            # Single revision mode: the latest revision takes all of this app's traffic; the split between
            # colors is Front Door's job.
            traffic=[app.TrafficWeightArgs(latest_revision=True, weight=100)],
        ),
        # Values stay secret Outputs: the engine stores them encrypted and they reach the app only as secrets.
        secrets=[app.SecretArgs(name=secret_name(var), value=value) for var, value in sorted(workload.secrets.items())] or None,
    )


def _template(
    targets: BlueGreenArgs,
    image: str,
    scale: app.ScaleArgs | None,
    revision_suffix: str | None,
    front_door_id: pulumi.Input[str] | None,
) -> app.TemplateArgs:
    workload = targets.workload
    env = [app.EnvironmentVarArgs(name=key, value=value) for key, value in sorted(workload.environment.items())]
    if front_door_id is not None:
        env.append(app.EnvironmentVarArgs(name=FRONT_DOOR_ID_ENV, value=front_door_id))
    env += [app.EnvironmentVarArgs(name=var, secret_ref=secret_name(var)) for var in sorted(workload.secrets)]
    return app.TemplateArgs(
        revision_suffix=revision_suffix,
        containers=[
            app.ContainerArgs(
                name=CONTAINER_NAME,
                image=image,
                resources=app.ContainerResourcesArgs(cpu=workload.cpu, memory=f"{workload.memory / 1024:g}Gi"),
                env=env or None,
                probes=[
                    _probe("Startup", workload.port, workload.health_check_path, failure_threshold=30),
                    _probe("Readiness", workload.port, workload.health_check_path, failure_threshold=3),
                    _probe("Liveness", workload.port, workload.health_check_path, failure_threshold=3),
                ],
            )
        ],
        scale=scale,
    )


def _probe(kind: str, port: int, path: str, failure_threshold: int) -> app.ContainerAppProbeArgs:
    return app.ContainerAppProbeArgs(
        type=kind,
        http_get=app.ContainerAppProbeHttpGetArgs(port=port, path=path, scheme="HTTP"),
        period_seconds=10,
        timeout_seconds=3,
        failure_threshold=failure_threshold,
    )
