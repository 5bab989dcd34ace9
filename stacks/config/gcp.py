"""Google Cloud settings: `rollway:gcp`."""

from __future__ import annotations

import re

from stacks.config.base import Cidr, CloudSettings
from stacks.config.problems import ConfigProblem

_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


class GcpSettings(CloudSettings):
    project: str | None = None
    """Google Cloud project id; defaults to the provider's `gcp:project`."""
    region: str | None = None
    """Region for the subnet, NAT and autoscalers, e.g. `europe-west1`; defaults to `gcp:region`."""
    subnet_cidr: Cidr = "10.20.0.0/20"
    """Workload subnet range."""
    proxy_only_cidr: Cidr = "10.20.16.0/23"
    """Proxy-only subnet range (regional Envoy-based load balancers)."""
    domain: str | None = None
    """Domain for a Google-managed certificate; when set, HTTPS is served and HTTP only redirects."""
    log_retention_days: int = 30
    """Retention of the environment's logging bucket."""

    def network_ranges(self) -> dict[str, str]:
        return {"subnetCidr": self.subnet_cidr, "proxyOnlyCidr": self.proxy_only_cidr}

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
        return problems
