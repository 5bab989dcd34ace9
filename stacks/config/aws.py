"""AWS settings: `rollway:aws`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from stacks.config.base import Cidr, CloudSettings
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
    allowed_ingress_cidrs: list[Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"])
    """Who may reach the load balancer's listeners (production and test)."""
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
        return problems
