"""Environment: the network with isolation (workloads private, only load balancers public), egress,
the runtime workloads run on, a log destination with retention, and tags/labels on everything.

Cloud-agnostic part of the contract; each cloud's `<Cloud>EnvironmentArgs` (components/<cloud>/environment.py)
embeds it as its `environment` field beside the cloud's network settings, as `<Cloud>BlueGreenArgs` embeds
`blue_green` and `<Cloud>AutoscalingArgs` embeds `autoscaling`.
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
