"""Google Cloud settings: `rollway:gcp`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from components.gcp.sizing import cloud_run_resources, label_name, machine_type_for
from stacks.config.base import Cidr, CloudSettings, ConfigModel, ServiceFields
from stacks.config.problems import ConfigProblem

_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_DOMAIN = re.compile(r"^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
# Letters, digits and '-' only: the name also goes into the Cloud Armor expression that guards the route.
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")
# Header prefixes Google's load balancers reserve for themselves (custom header rules reject them).
_RESERVED_HEADER_PREFIXES = ("x-google", "x-goog-", "x-gfe", "x-amz-")

Runtime = Literal["cloudRun", "instanceGroup"]


class SmokeTestRoute(ConfigModel):
    """The URL map rule that always reaches the idle color, for smoke tests before a switch. Only
    `testAccessCidrs` may use it: a Cloud Armor policy refuses the header from anywhere else."""

    header_name: str = "x-rollway-test"
    """Request header that selects the test route."""
    header_value: str = "idle"
    """Value of `headerName` that selects the test route."""


KEY = "rollway:gcp"


class GcpSettings(CloudSettings):
    project: str | None = None
    """Google Cloud project id; defaults to the provider's `gcp:project`."""
    region: str | None = None
    """Region for the subnet, NAT, workloads and autoscalers, e.g. `europe-west1`; defaults to `gcp:region`."""
    runtime: Runtime = "instanceGroup"
    """What each color runs on: a regional managed instance group of Container-Optimized OS VMs per color
    (`instanceGroup`, the whole autoscaling contract), or one Cloud Run service per color behind a serverless NEG
    (`cloudRun`: cheaper and simpler, scaling limited to min/max and a CPU target). See docs/gcp.md."""
    subnet_cidr: Cidr = "10.40.0.0/20"
    """Workload subnet range (VMs, or Cloud Run's Direct VPC egress); at least a /26."""
    proxy_only_cidr: Cidr | None = None
    """Proxy-only subnet range. Only regional Envoy-based load balancers (internal/regional ALBs) sharing this
    network need one; Rollway's global external ALB does not, so it is created only when set (a /23 is typical)."""
    domain: str | None = None
    """Domain for Google-managed certificates: each service is served at `<service>.<domain>` over HTTPS and
    plain HTTP only redirects. Without it, services are served over HTTP on the load balancer's address."""
    ssl_profile: Literal["COMPATIBLE", "MODERN", "RESTRICTED"] = "MODERN"
    """SSL policy profile of the HTTPS proxies (the minimum TLS version is always 1.2)."""
    test_route: SmokeTestRoute = Field(default_factory=SmokeTestRoute)
    """Header route that always reaches the idle color."""
    test_access_cidrs: list[Cidr] = Field(default_factory=list)
    """Who may use the test route (CI runners, a VPN or office range); a Cloud Armor policy on the backend services
    answers 403 to the test header from anywhere else. Empty: nobody may."""
    log_retention_days: int = 30
    """Retention of the environment's logging bucket."""
    flow_logs: bool | None = None
    """VPC flow logs on the workload subnet; default: on in prod, off elsewhere (they are billed per GB)."""
    machine_type: str | None = None
    """`instanceGroup` runtime: VM machine type; default: the smallest E2 type that fits the service's cpu/memory."""
    instance_warmup_seconds: Annotated[int, Field(ge=0, le=3600)] = 90
    """`instanceGroup` runtime: seconds a new VM needs to boot and start its container; the autoscaler ignores its
    metrics and autohealing leaves it alone that long."""
    concurrency: Annotated[int, Field(ge=1, le=1000)] = 80
    """`cloudRun` runtime: most concurrent requests one instance handles before Cloud Run adds another."""

    def network_ranges(self) -> dict[str, str]:
        ranges = {"subnetCidr": self.subnet_cidr}
        if self.proxy_only_cidr:
            ranges["proxyOnlyCidr"] = self.proxy_only_cidr
        return ranges

    def flow_logs_for(self, environment: str) -> bool:
        return self.flow_logs if self.flow_logs is not None else environment == "prod"

    def problems(self, key_prefix: str, environment: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        if self.region is not None and not _REGION.match(self.region):
            problems.append(
                ConfigProblem(f"{key_prefix}.region", "must be a Google Cloud region such as europe-west1", self.region)
            )
        if self.project is not None and not _PROJECT.match(self.project):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.project",
                    "must be a project id: 6-30 lowercase letters, digits or '-', starting with a letter",
                    self.project,
                )
            )
        if not 1 <= self.log_retention_days <= 3650:
            problems.append(
                ConfigProblem(f"{key_prefix}.logRetentionDays", "must be between 1 and 3650", self.log_retention_days)
            )
        problems += self._network_problems(key_prefix)
        if self.domain is not None and not _DOMAIN.match(self.domain):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.domain",
                    "must be a lowercase DNS domain such as rollway.example.com (no scheme, port or trailing dot)",
                    self.domain,
                )
            )
        if self.machine_type is not None and not _MACHINE_TYPE.match(self.machine_type):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.machineType", "must be a Compute Engine machine type such as e2-standard-2", self.machine_type
                )
            )
        header = self.test_route.header_name
        if not _HEADER_NAME.match(header) or header.lower().startswith(_RESERVED_HEADER_PREFIXES) or header.lower() == "host":
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.testRoute.headerName",
                    "must be an HTTP header name (letters, digits, '-') not reserved by Google (Host, X-Google*, X-Goog-*, X-GFE*)",
                    header,
                )
            )
        if not self.test_route.header_value.strip():
            problems.append(
                ConfigProblem(f"{key_prefix}.testRoute.headerValue", "must not be empty", self.test_route.header_value)
            )
        problems += [
            ConfigProblem(
                f"{key_prefix}.testAccessCidrs[{index}]",
                "must not admit the whole internet; the test route reaches the idle color (use a VPN, office or CI range)",
                cidr,
            )
            for index, cidr in enumerate(self.test_access_cidrs)
            if ipaddress.ip_network(cidr).prefixlen == 0
        ]
        return problems

    def service_problems(self, key_prefix: str, services: Mapping[str, ServiceFields]) -> list[ConfigProblem]:
        """What the GCP side cannot build from an otherwise valid config (runtime limits, schedules)."""
        problems: list[ConfigProblem] = []
        for name, service in services.items():
            prefix = f"rollway:services.{name}"
            problems += _size_problems(self, prefix, service)
            problems += _environment_problems(self, prefix, service)
            problems += _schedule_problems(self, prefix, service)
        return problems

    def _network_problems(self, key_prefix: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        if ipaddress.ip_network(self.subnet_cidr).prefixlen > 26:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.subnetCidr",
                    "must be /26 or larger (Cloud Run Direct VPC egress and instance groups need room to scale)",
                    self.subnet_cidr,
                )
            )
        if self.proxy_only_cidr is not None and ipaddress.ip_network(self.proxy_only_cidr).prefixlen > 26:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.proxyOnlyCidr",
                    "must be /26 or larger (Google's minimum for a proxy-only subnet; /23 is recommended)",
                    self.proxy_only_cidr,
                )
            )
        return problems


def _size_problems(settings: GcpSettings, prefix: str, service: ServiceFields) -> list[ConfigProblem]:
    if settings.runtime == "cloudRun" and cloud_run_resources(service.cpu, service.memory) is None:
        return [
            ConfigProblem(
                f"{prefix}.cpu",
                f"with memory {service.memory} MiB has no Cloud Run shape (at most 8 vCPU and 32768 MiB, 4 GiB per vCPU "
                f"below 4 vCPU); lower it or set {KEY}.runtime to instanceGroup",
                service.cpu,
            )
        ]
    fits_e2 = machine_type_for(service.cpu, service.memory) is not None
    if settings.runtime == "instanceGroup" and settings.machine_type is None and not fits_e2:
        return [
            ConfigProblem(
                f"{prefix}.cpu", f"with memory {service.memory} MiB fits no E2 machine type; set {KEY}.machineType", service.cpu
            )
        ]
    return []


def _environment_problems(settings: GcpSettings, prefix: str, service: ServiceFields) -> list[ConfigProblem]:
    if settings.runtime != "instanceGroup":
        return []
    # VMs hand plain variables to `docker run --env-file`, which reads one variable per line.
    return [
        ConfigProblem(
            f"{prefix}.environment.{var}",
            f"must be a single line on {KEY}.runtime = instanceGroup (variables reach the container through an env file)",
            value,
        )
        for var, value in service.environment.items()
        if "\n" in value or "\r" in value
    ]


def _schedule_problems(settings: GcpSettings, prefix: str, service: ServiceFields) -> list[ConfigProblem]:
    # Cron syntax, time zones and window bounds are checked for every cloud by the config model
    # (stacks/config/schedules.py, loader); only what GCP adds is checked here.
    windows = service.autoscaling.schedules
    if windows and settings.runtime == "cloudRun":
        return [
            ConfigProblem(
                f"{prefix}.autoscaling.schedules",
                f"scheduled windows need {KEY}.runtime = instanceGroup (Cloud Run has no scheduled capacity); "
                "remove them or switch the runtime",
                [window.name for window in windows],
            )
        ]
    # Scaling schedule names are label-like on GCP: distinct window names may still collide once normalized
    # (identical names are the loader's to report).
    problems: list[ConfigProblem] = []
    first_by_label: dict[str, str] = {}
    for index, window in enumerate(windows):
        label = label_name(window.name)
        first = first_by_label.setdefault(label, window.name)
        if first != window.name:
            problems.append(
                ConfigProblem(
                    f"{prefix}.autoscaling.schedules[{index}].name",
                    f"names the same GCP scaling schedule as window `{first}` ({label}); window names must differ in "
                    "more than case and punctuation",
                    window.name,
                )
            )
    return problems
