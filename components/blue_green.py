"""Blue/green target groups: two slots (blue, green), each its own target pool with a health check,
a production route to the live slot and a test route that always reaches the idle slot.

This module holds the cloud-agnostic contract; each cloud implements it in `components/<cloud>/blue_green.py`.
Switching the live color must change routing resources only (listeners, URL maps, routes, selectors),
never a slot's workload, target pool or autoscaling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from rollway.helpers import COLORS, Color, other_color

__all__ = ["COLORS", "BlueGreenArgs", "Color", "Workload", "other_color"]


@dataclass(frozen=True)
class Workload:
    """What runs in each slot, apart from its image."""

    port: int
    """Port the container listens on."""
    health_check_path: str = "/healthz"
    """HTTP path answering 2xx when healthy; used by target pool health checks and probes."""
    cpu: float = 0.25
    """vCPUs per task/pod/instance."""
    memory: int = 512
    """Memory per task/pod/instance, MiB."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables."""
    secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """Environment variable -> secret Output; implementations keep these secret (secret stores, never plain inputs)."""


@dataclass(frozen=True)
class BlueGreenArgs:
    """Cloud-agnostic inputs of a blue/green pair of slots for one service."""

    images: Mapping[Color, str | None]
    """Container image per color; a color without an image gets its target pool but no workload."""
    live_color: Color
    """The color production traffic goes to."""
    workload: Workload
    """Port, health check, size and environment shared by both colors."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags/labels for every taggable child."""

    @property
    def idle_color(self) -> Color:
        return other_color(self.live_color)
