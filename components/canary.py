"""Canary weighted route: a weighted split between the live and the idle slot.

Cloud-agnostic contract and the weight arithmetic every cloud shares. 0 and 100 are valid canary weights:
the split is then 100/0 or 0/100, never an invalid 0/0.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.blue_green import Color, other_color


@dataclass(frozen=True)
class CanaryArgs:
    """Cloud-agnostic inputs of a weighted route for one service."""

    live_color: Color
    """The color that gets the rest of the traffic."""
    canary_weight: int
    """Percent (0..100) of production traffic sent to the idle color."""
    header_name: str | None = None
    """When set (with `header_value`), requests carrying this header always reach the idle color."""
    header_value: str | None = None
    """Header value that pins a request to the idle color."""
    stickiness_seconds: int | None = None
    """Optional session stickiness; shorter than a rollout step."""

    @property
    def idle_color(self) -> Color:
        return other_color(self.live_color)

    def split(self, total: int = 100) -> dict[Color, int]:
        """Integer weight per color summing exactly to `total`; see `weight_split`."""
        return weight_split(self.live_color, self.canary_weight, total)


def weight_split(live_color: Color, canary_weight: int, total: int = 100) -> dict[Color, int]:
    """Map a canary percent onto a weight scale of `total` (100 for ALB/Gateway API, 1000 for GCP/AFD).

    The idle color gets round(canary_weight * total / 100) (half up), the live color the exact rest, so the
    two always sum to `total` and 0/100 percent give a full 0/total split.
    """
    if not 0 <= canary_weight <= 100:
        raise ValueError(f"canary weight must be between 0 and 100, got {canary_weight}")
    if total <= 0:
        raise ValueError(f"weight total must be positive, got {total}")
    idle = (canary_weight * total * 2 + 100) // 200
    idle_color = other_color(live_color)
    return {live_color: total - idle, idle_color: idle}
