"""Environment: the network with isolation (workloads private, only load balancers public), egress,
the runtime workloads run on, a log destination with retention, and tags/labels on everything.

Cloud-agnostic part of the contract; each cloud's `components/<cloud>/environment.py` subclasses
EnvironmentArgs with its network settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnvironmentArgs:
    """Inputs every cloud's Environment takes."""

    environment: str
    """Kind of environment: dev, staging, prod or preview."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags/labels for every taggable child."""
    log_retention_days: int = 30
    """Retention of the environment's log destination."""
