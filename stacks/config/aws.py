"""AWS settings: `rollway:aws`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from components.aws.fargate import (
    CPU_UNITS_PER_VCPU,
    FARGATE_MEMORY_MIB,
    fargate_cpu_units,
    fargate_memory_choices,
    fargate_vcpus,
)
from components.aws.schedules import aws_cron_problem, window_slug
from stacks.config.base import Cidr, CloudSettings, ServiceFields
from stacks.config.problems import ConfigProblem

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
CLOUDWATCH_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class AwsSettings(CloudSettings):
    region: str | None = None
    """AWS region, e.g. `us-east-1`. Defaults to the provider's `aws:region`."""
    vpc_cidr: Cidr = "10.0.0.0/16"
    """The VPC's address range; public and private subnets are carved from it."""
    availability_zones: Annotated[int, Field(ge=2, le=6)] = 2
    """How many availability zones the VPC spans (an ALB needs at least two)."""
    nat_gateways: Literal["single", "perAz"] | None = None
    """`single` (cheap, one AZ's NAT is a single point of failure) or `perAz`; default: perAz in prod, else single."""
    certificate_arn: str | None = None
    """ACM certificate for HTTPS on the production listener; when set, HTTP only redirects to HTTPS."""
    test_listener_port: Annotated[int, Field(ge=1, le=65535)] = 9443
    """Port of the test listener that always reaches the idle color (for smoke tests before a switch)."""
    log_retention_days: int = 30
    """CloudWatch Logs retention for service logs."""
    allowed_ingress_cidrs: Annotated[list[Cidr], Field(min_length=1)] = Field(default_factory=lambda: ["0.0.0.0/0"])
    """Who may reach the load balancer's production listeners (HTTP, and HTTPS with a certificate)."""
    test_access_cidrs: list[Cidr] = Field(default_factory=list)
    """Who may reach the test listener (the idle, unreleased color) besides callers inside the VPC, e.g. a VPN
    or office range. Default: none, so only the VPC (its range and its NAT gateways' addresses) reaches it."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """TLS policy of HTTPS listeners."""

    def network_ranges(self) -> dict[str, str]:
        return {"vpcCidr": self.vpc_cidr}

    def nat_gateway_count(self, environment: str) -> int:
        mode = self.nat_gateways or ("perAz" if environment == "prod" else "single")
        return self.availability_zones if mode == "perAz" else 1

    def problems(self, key_prefix: str, environment: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        if self.region is not None and not _REGION.match(self.region):
            problems.append(ConfigProblem(f"{key_prefix}.region", "must be an AWS region name such as us-east-1", self.region))
        if self.log_retention_days not in CLOUDWATCH_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in CLOUDWATCH_RETENTION_DAYS)
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.logRetentionDays",
                    f"must be one of CloudWatch's retention periods: {allowed}",
                    self.log_retention_days,
                )
            )
        if self.certificate_arn is not None and not self.certificate_arn.startswith("arn:aws"):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.certificateArn", "must be an ACM certificate ARN (arn:aws:acm:...)", self.certificate_arn
                )
            )
        if self.test_listener_port in (80, 443):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.testListenerPort",
                    "must not be 80 or 443: those are the production listener's ports",
                    self.test_listener_port,
                )
            )
        prefix_len = int(self.vpc_cidr.split("/")[1])
        if prefix_len > 20:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.vpcCidr",
                    "must be /20 or larger so each AZ gets a public and a private /24 or more",
                    self.vpc_cidr,
                )
            )
        for index, cidr in enumerate(self.test_access_cidrs):
            if ipaddress.ip_network(cidr).prefixlen == 0:
                problems.append(
                    ConfigProblem(
                        f"{key_prefix}.testAccessCidrs[{index}]",
                        "must not admit the whole internet: the test listener serves the idle, unreleased color "
                        "(use a VPN or office range, or leave testAccessCidrs out to allow only the VPC)",
                        cidr,
                    )
                )
        return problems

    def service_problems(self, key_prefix: str, services: Mapping[str, ServiceFields]) -> list[ConfigProblem]:
        """What Fargate and Application Auto Scaling cannot run: task sizes, schedules, window names."""
        namespace = key_prefix.partition(":")[0]
        problems: list[ConfigProblem] = []
        for name, service in services.items():
            prefix = f"{namespace}:services.{name}"
            problems += _task_size_problems(prefix, service)
            problems += _schedule_problems(prefix, service)
        return problems


def _task_size_problems(prefix: str, service: ServiceFields) -> list[ConfigProblem]:
    units = fargate_cpu_units(service.cpu)
    if units is None:
        return [
            ConfigProblem(
                f"{prefix}.cpu",
                f"must be a Fargate task size on AWS: {fargate_vcpus()} vCPUs",
                service.cpu,
            )
        ]
    if service.memory not in FARGATE_MEMORY_MIB[units]:
        fitting = [f"{cpu / CPU_UNITS_PER_VCPU:g}" for cpu, memories in FARGATE_MEMORY_MIB.items() if service.memory in memories]
        alternative = f" (or set {prefix}.cpu to {_one_of(fitting)})" if fitting else ""
        return [
            ConfigProblem(
                f"{prefix}.memory",
                f"must be {fargate_memory_choices(units)} MiB on AWS Fargate for {prefix}.cpu = {service.cpu:g}{alternative}",
                service.memory,
            )
        ]
    return []


def _one_of(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _schedule_problems(prefix: str, service: ServiceFields) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    slugs: dict[str, int] = {}
    for index, window in enumerate(service.autoscaling.schedules):
        key = f"{prefix}.autoscaling.schedules[{index}]"
        # The model has checked the cron syntax every cloud shares; this is what AWS cron cannot express.
        problem = aws_cron_problem(window.schedule)
        if problem is not None:
            problems.append(ConfigProblem(f"{key}.schedule", f"cannot run on AWS: {problem}", window.schedule))
        slug = window_slug(window.name)
        first = slugs.setdefault(slug, index)
        # Exact duplicates are the loader's to report; names differing only in case or punctuation clash here.
        if first != index and service.autoscaling.schedules[first].name != window.name:
            problems.append(
                ConfigProblem(
                    f"{key}.name",
                    f"gives the same AWS resource name (`{slug}`) as schedules[{first}].name; "
                    "make the names differ in more than case or punctuation",
                    window.name,
                )
            )
    return problems
