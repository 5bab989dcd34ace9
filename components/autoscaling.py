"""Autoscaling: target tracking on CPU and on requests per target, min/max bounds, cooldowns,
optional scheduled windows, scale-in protection windows, predictive and vertical scaling. Cloud-agnostic contract; each cloud implements it in its own folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rollway.helpers import clean_name, cron_after


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
class ScaleInProtection:
    """A recurring window during which the service must not scale in (e.g. a release or a sales event).

    Each cloud builds it from what it offers (docs/autoscaling.md): a suspended scale-down where the scaler can be
    switched on a schedule (Kubernetes HPA, Azure VM scale set profiles), otherwise a floor raised to
    `min_capacity` (default the service's `max_capacity`) for the window (AWS, GCP, Azure Container Apps).
    """

    name: str
    """Name of the window, e.g. `release-train`."""
    schedule: str
    """5-field cron expression when the window starts, once a day at one time (see `rollway.helpers.daily_start`)."""
    duration_minutes: int
    """How long each window lasts."""
    timezone: str = "UTC"
    """IANA time zone of `schedule` (and of the end, which is wall-clock start + duration)."""
    min_capacity: int | None = None
    """Capacity floor during the window; None: `max_capacity` where the window is a raised floor, and capacity
    left where it is where scale-in is switched off (Kubernetes, Azure VM scale sets)."""

    def floor(self, max_capacity: int) -> int:
        """The floor a raised-floor cloud holds during the window: `min_capacity`, or the service's max."""
        return max_capacity if self.min_capacity is None else self.min_capacity

    @property
    def end_schedule(self) -> str:
        """5-field cron expression when the window ends (`rollway.helpers.cron_after`)."""
        return cron_after(self.schedule, self.duration_minutes)

    @property
    def slug(self) -> str:
        """The part of child resource names that comes from the window (`protection_slug`)."""
        return protection_slug(self.name)


def protection_slug(name: str) -> str:
    """Resource-name form of a protection window's name, prefixed so it never reads as a scheduled window's."""
    return clean_name(f"protect-{name}", limit=48)


@dataclass(frozen=True)
class PredictiveScaling:
    """Scale ahead of the load the cloud forecasts from the service's history."""

    forecast_only: bool
    """Record forecasts without acting on them (where the cloud offers that)."""
    lead_seconds: int | None = None
    """How long before the forecast load capacity is launched; the cloud's default when None."""


@dataclass(frozen=True)
class VerticalScaling:
    """Right-size cpu/memory requests from observed usage (a VPA on Kubernetes, a report elsewhere)."""

    mode: Literal["recommend", "initial", "recreate"] = "recommend"
    """`recommend` publishes recommendations only; `initial` applies them to new pods; `recreate` also evicts."""
    max_memory_mib: int | None = None
    """Most memory a recommendation may reach; unbounded when None."""


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
    scale_in_protection: tuple[ScaleInProtection, ...] = field(default_factory=tuple)
    """Windows during which the service does not scale in."""
    predictive: PredictiveScaling | None = None
    """Predictive scaling where the cloud offers it; off when None."""
    vertical: VerticalScaling | None = None
    """Vertical scaling (Kubernetes) or right-sizing report (other runtimes); off when None."""
    time_to_capacity_target_seconds: int = 120
    """Worst-case seconds from a load step to the first scale-out action the service should meet."""
