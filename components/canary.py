"""Canary weighted route: a weighted split between the live and the idle slot.

Cloud-agnostic contract and the weight arithmetic every cloud shares. 0 and 100 are valid canary weights:
the split is then 100/0 or 0/100, never an invalid 0/0.
"""

from __future__ import annotations

from dataclasses import dataclass

from rollway.helpers import Color, other_color, weight_split

__all__ = ["CanaryArgs", "weight_split"]


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
