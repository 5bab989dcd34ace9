"""Azure settings: `rollway:azure`."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from components.autoscaling import ScheduledCapacity
from components.azure import FRONT_DOOR_ID_ENV
from components.azure.schedules import unended_windows, weekly_recurrence, windows_time_zone
from stacks.config.base import Cidr, CloudSettings, ConfigModel, ServiceFields
from stacks.config.problems import ConfigProblem

_LOCATION = re.compile(r"^[a-z]+[a-z0-9]*$")
# Container App and revision names are RFC 1123 labels; Azure also refuses "--" inside an app name
# because it separates the app from the revision suffix (`<app>--<suffix>`).
_APP_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_REVISION_SUFFIX = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$")
_SCALE_SET_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachineScaleSets/[^/]+$",
    re.IGNORECASE,
)
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
APP_NAME_MAX = 32
REVISION_NAME_MAX = 63
# Consumption workload profile: CPU in quarter vCPUs up to 4, memory exactly twice the vCPUs in GiB.
CONSUMPTION_MAX_CPU = 4.0
Color = Literal["blue", "green"]
COLORS: tuple[Color, Color] = ("blue", "green")


def container_app_name(service: str, color: str) -> str:
    """Name of a service's Container App for one color (unique within the environment's resource group)."""
    return f"{service.lower()}-{color}"


class RevisionSuffixes(ConfigModel):
    blue: str | None = None
    """Revision suffix of the blue Container App's next revision (Azure generates one when unset)."""
    green: str | None = None
    """Revision suffix of the green Container App's next revision."""


class ScaleSetSlot(ConfigModel):
    id: str
    """Resource ID of an existing VM scale set running this color (`/subscriptions/.../virtualMachineScaleSets/...`)."""
    host_name: str
    """Public host name Front Door reaches that color at (its load balancer's DNS name); HTTPS on 443."""


class ScaleSetSlots(ConfigModel):
    blue: ScaleSetSlot | None = None
    """The VM scale set running the blue color."""
    green: ScaleSetSlot | None = None
    """The VM scale set running the green color."""


class AzureServiceSettings(ConfigModel):
    revision_suffix: RevisionSuffixes | None = None
    """Pinned revision suffix per color; must change whenever that color's template changes."""
    vm_scale_sets: ScaleSetSlots | None = None
    """Run this service's colors on existing VM scale sets instead of Container Apps: Front Door routes to
    their host names and Rollway autoscales them with a generated scale-out/scale-in rule pair."""


class AzureSettings(CloudSettings):
    location: str | None = None
    """Azure region name, e.g. `westeurope`; defaults to the provider's `azure-native:location`."""
    vnet_cidr: Cidr = "10.50.0.0/16"
    """The virtual network's address space."""
    workload_subnet_cidr: Cidr = "10.50.0.0/23"
    """Subnet delegated to the Container Apps environment (workload profiles need at least a /27)."""
    log_retention_days: int = 30
    """Log Analytics workspace retention."""
    zone_redundant: bool | None = None
    """Spread the Container Apps environment over availability zones; default: on in prod only."""
    nat_gateway: bool = True
    """Send outbound traffic through a NAT gateway with a static public IP (Azure retires default outbound access)."""
    test_access_cidrs: list[Cidr] = Field(default_factory=list)
    """Who may reach the idle color's own FQDN (the test route) besides Front Door, e.g. a VPN range."""
    probe_interval_seconds: Annotated[int, Field(ge=5, le=255)] = 30
    """Front Door health probe interval per origin."""
    request_latency_ms: Annotated[int, Field(ge=1, le=60000)] = 200
    """Typical request latency; turns `requestsPerTarget` (per minute) into the concurrent-requests target
    Container Apps' HTTP scaler tracks (Little's law)."""
    services: dict[str, AzureServiceSettings] = Field(default_factory=dict)
    """Azure-only settings per service name (revision suffixes, VM scale sets)."""

    def network_ranges(self) -> dict[str, str]:
        # The workload subnet lies inside the VNet by design, so only the VNet is compared with other clouds.
        return {"vnetCidr": self.vnet_cidr}

    def is_zone_redundant(self, environment: str) -> bool:
        return self.zone_redundant if self.zone_redundant is not None else environment == "prod"

    def service(self, name: str) -> AzureServiceSettings:
        return self.services.get(name) or AzureServiceSettings()

    def problems(self, key_prefix: str, environment: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        if self.location is not None and not _LOCATION.match(self.location):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.location",
                    "must be an Azure region name such as westeurope (lowercase, no spaces)",
                    self.location,
                )
            )
        if not 30 <= self.log_retention_days <= 730:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.logRetentionDays", "must be between 30 and 730 (Log Analytics limits)", self.log_retention_days
                )
            )
        # Cidr guarantees IPv4.
        vnet = ipaddress.IPv4Network(self.vnet_cidr)
        subnet = ipaddress.IPv4Network(self.workload_subnet_cidr)
        if not subnet.subnet_of(vnet):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.workloadSubnetCidr",
                    f"must lie inside vnetCidr ({self.vnet_cidr})",
                    self.workload_subnet_cidr,
                )
            )
        if subnet.prefixlen > 27:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.workloadSubnetCidr",
                    "must be /27 or larger (a Container Apps environment needs room for its infrastructure)",
                    self.workload_subnet_cidr,
                )
            )
        for index, cidr in enumerate(self.test_access_cidrs):
            if ipaddress.ip_network(cidr).prefixlen == 0:
                problems.append(
                    ConfigProblem(
                        f"{key_prefix}.testAccessCidrs[{index}]",
                        "must not admit the whole internet; the idle color's FQDN is for smoke tests (use a VPN or office range)",
                        cidr,
                    )
                )
        return problems

    def service_problems(self, key_prefix: str, services: Mapping[str, ServiceFields]) -> list[ConfigProblem]:
        """Checks relating Azure settings to the services (names, sizes, revision suffixes, scale sets)."""
        problems: list[ConfigProblem] = []
        for name in self.services:
            if name not in services:
                close = difflib.get_close_matches(name, list(services), n=1, cutoff=0.6)
                hint = f"; did you mean `{close[0]}`?" if close else f" (services: {', '.join(sorted(services))})"
                problems.append(ConfigProblem(f"{key_prefix}.services.{name}", f"names no service in rollway:services{hint}"))
        for name, service in services.items():
            overrides = self.service(name)
            if overrides.vm_scale_sets is None:
                problems += _container_app_problems(name, service)
            else:
                problems += _scale_set_problems(
                    f"{key_prefix}.services.{name}.vmScaleSets", name, overrides.vm_scale_sets, service
                )
            if overrides.revision_suffix is not None:
                problems += _revision_suffix_problems(f"{key_prefix}.services.{name}.revisionSuffix", name, overrides, service)
        return problems


def _container_app_problems(name: str, service: ServiceFields) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    prefix = f"rollway:services.{name}"
    problems += _keda_window_problems(prefix, service)
    for section, names in (("environment", service.environment), ("secrets", service.secrets)):
        if FRONT_DOOR_ID_ENV in names:
            problems.append(
                ConfigProblem(
                    f"{prefix}.{section}.{FRONT_DOOR_ID_ENV}",
                    "is set by Rollway on Azure (the Front Door profile id the app checks X-Azure-FDID against); "
                    "use another name",
                )
            )
    longest = container_app_name(name, "green")
    if len(longest) > APP_NAME_MAX or not _APP_NAME.match(longest) or "--" in longest:
        problems.append(
            ConfigProblem(
                "rollway:services",
                f"service names targeted at Azure must be at most {APP_NAME_MAX - len('-green')} characters without `--` "
                f"(Container App names `<service>-green` are RFC 1123 labels of at most {APP_NAME_MAX})",
                name,
            )
        )
    quarters = service.cpu * 4
    if service.cpu > CONSUMPTION_MAX_CPU or quarters != int(quarters):
        problems.append(
            ConfigProblem(
                f"{prefix}.cpu",
                f"must be a multiple of 0.25 up to {CONSUMPTION_MAX_CPU:g} vCPUs on Azure Container Apps (Consumption profile)",
                service.cpu,
            )
        )
    elif service.memory != int(service.cpu * 2048):
        problems.append(
            ConfigProblem(
                f"{prefix}.memory",
                f"must be {int(service.cpu * 2048)} MiB for cpu {service.cpu:g} on Azure Container Apps "
                "(Consumption profile: memory is twice the vCPUs in GiB)",
                service.memory,
            )
        )
    return problems


def _keda_window_problems(prefix: str, service: ServiceFields) -> list[ConfigProblem]:
    """Windows Container Apps' KEDA cron rules can carry: weekly, and each ended by another window."""
    problems: list[ConfigProblem] = []
    windows = service.autoscaling.schedules
    for index, window in enumerate(windows):
        # Syntax and time zone are checked for every cloud by the model (stacks/config/schedules.py).
        _, _, day_of_month, month, _ = window.cron.fields
        if day_of_month != "*" or month != "*":
            problems.append(
                ConfigProblem(
                    f"{prefix}.autoscaling.schedules[{index}].schedule",
                    "cannot run on Azure Container Apps: day-of-month and month must be `*` "
                    "(a window's end is the next window's start, worked out over a week)",
                    window.schedule,
                )
            )
    # A lone window is the loader's to report (every cloud needs at least two).
    if problems or len(windows) < 2:
        return problems
    capacities = [ScheduledCapacity(w.name, w.schedule, w.min, w.max, w.timezone) for w in windows]
    for index in unended_windows(capacities):
        window = windows[index]
        problems.append(
            ConfigProblem(
                f"{prefix}.autoscaling.schedules[{index}].schedule",
                "never ends on Azure Container Apps: every other window fires only when this one does; "
                "give another window a time of its own",
                window.schedule,
            )
        )
    return problems


def _scale_set_problems(prefix: str, name: str, slots: ScaleSetSlots, service: ServiceFields) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for color in COLORS:
        slot: ScaleSetSlot | None = getattr(slots, color)
        if slot is None:
            continue
        if not _SCALE_SET_ID.match(slot.id):
            problems.append(
                ConfigProblem(
                    f"{prefix}.{color}.id",
                    "must be a VM scale set resource ID: "
                    "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>",
                    slot.id,
                )
            )
        if not _HOST_NAME.match(slot.host_name):
            problems.append(
                ConfigProblem(
                    f"{prefix}.{color}.hostName", "must be a DNS host name such as web-blue.example.com", slot.host_name
                )
            )
    if getattr(slots, service.live_color) is None:
        problems.append(ConfigProblem(f"{prefix}.{service.live_color}", f"is required: {service.live_color} is the live color"))
    if service.canary_weight > 0 and getattr(slots, service.idle_color) is None:
        problems.append(
            ConfigProblem(
                f"{prefix}.{service.idle_color}",
                f"is required while canaryWeight is {service.canary_weight}: the idle color receives traffic",
            )
        )
    for index, window in enumerate(service.autoscaling.schedules):
        window_key = f"rollway:services.{name}.autoscaling.schedules[{index}]"
        try:
            weekly_recurrence(window.schedule)
        except ValueError as exc:
            problems.append(
                ConfigProblem(f"{window_key}.schedule", f"cannot drive a VM scale set recurrence: {exc}", window.schedule)
            )
        try:
            windows_time_zone(window.timezone)
        except ValueError as exc:
            problems.append(ConfigProblem(f"{window_key}.timezone", str(exc), window.timezone))
    if slots.blue is not None and slots.green is not None and slots.blue.id.lower() == slots.green.id.lower():
        problems.append(
            ConfigProblem(
                f"{prefix}.green.id", "must differ from the blue scale set: each color needs its own capacity", slots.green.id
            )
        )
    return problems


def _revision_suffix_problems(
    prefix: str, name: str, overrides: AzureServiceSettings, service: ServiceFields
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    suffixes = overrides.revision_suffix
    assert suffixes is not None
    if overrides.vm_scale_sets is not None:
        return [ConfigProblem(prefix, "only applies to Container Apps; remove it or remove vmScaleSets")]
    for color in COLORS:
        suffix: str | None = getattr(suffixes, color)
        if suffix is None:
            continue
        key = f"{prefix}.{color}"
        if not service.image.for_color(color):
            problems.append(ConfigProblem(key, f"has no revision to name: image.{color} is not set", suffix))
            continue
        revision = f"{container_app_name(name, color)}--{suffix}"
        if not _REVISION_SUFFIX.match(suffix) or "--" in suffix:
            problems.append(
                ConfigProblem(
                    key,
                    "must be lowercase letters, digits and '-', start with a letter, end with a letter or digit, no `--`",
                    suffix,
                )
            )
        elif len(revision) > REVISION_NAME_MAX:
            problems.append(
                ConfigProblem(
                    key,
                    f"makes the revision name {revision} longer than {REVISION_NAME_MAX} characters",
                    suffix,
                )
            )
    if suffixes.blue is not None and suffixes.blue == suffixes.green:
        problems.append(
            ConfigProblem(
                f"{prefix}.green",
                "collides with revisionSuffix.blue; give each color its own suffix (e.g. the image version plus the color) "
                "so a revision name tells which color and release it is",
                suffixes.green,
            )
        )
    return problems
