"""Autoscaling: target tracking on CPU and on requests per target, min/max bounds, cooldowns and
optional scheduled windows. Cloud-agnostic contract; each cloud implements it in its own folder."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScheduledCapacity:
    """A recurring window with its own capacity bounds."""

    name: str
    """Name of the window, e.g. `business-hours`."""
    schedule: str
    """5-field cron expression when the window starts."""
    min_capacity: int
    """Minimum capacity during the window."""
    max_capacity: int
    """Maximum capacity during the window."""
    timezone: str = "UTC"
    """IANA time zone of `schedule`."""


@dataclass(frozen=True)
class AutoscalingArgs:
    """Cloud-agnostic autoscaling inputs for one workload (one color of one service)."""

    min_capacity: int
    """Fewest tasks/pods/instances."""
    max_capacity: int
    """Most tasks/pods/instances."""
    cpu_target: int = 60
    """Average CPU utilization percent to track."""
    requests_per_target: int | None = None
    """Requests per task/pod/instance to track; off when None."""
    scale_in_cooldown_seconds: int = 300
    """Wait after scaling in before scaling in again."""
    scale_out_cooldown_seconds: int = 60
    """Wait after scaling out before scaling out again."""
    schedules: tuple[ScheduledCapacity, ...] = field(default_factory=tuple)
    """Scheduled capacity windows."""
