"""Azure settings: `rollway:azure`."""

from __future__ import annotations

import re

from stacks.config.base import Cidr, CloudSettings
from stacks.config.problems import ConfigProblem

_LOCATION = re.compile(r"^[a-z]+[a-z0-9]*$")


class AzureSettings(CloudSettings):
    location: str | None = None
    """Azure region name, e.g. `westeurope`; defaults to the provider's `azure-native:location`."""
    vnet_cidr: Cidr = "10.30.0.0/16"
    """The virtual network's address space."""
    workload_subnet_cidr: Cidr = "10.30.0.0/23"
    """Subnet delegated to Container Apps (at least /23 for a workload-profiles environment... /27 suffices for consumption-only)."""
    log_retention_days: int = 30
    """Log Analytics workspace retention."""

    def network_ranges(self) -> dict[str, str]:
        return {"vnetCidr": self.vnet_cidr}

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
        return problems
