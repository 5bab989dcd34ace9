"""Time to capacity: the worst-case time from a load step to a service's first scale-out action, computed from
the configured policy. Pure arithmetic, shared by every cloud; each cloud's autoscaling module describes its
own scaling loop (`scaling_loop(...)`), the builders report the result and `rollway preview` shows it.

The model, the same for every cloud:

- the scaler sees load through a metric sampled every `metric_period_seconds`; it acts only once
  `evaluation_periods` consecutive samples are above the target. In the worst case the step lands at the very
  end of a sample (which then hardly rises), so it takes `evaluation_periods` whole samples after the step;
- the scaler looks at its samples every `evaluation_interval_seconds`, so it may notice them that much later;
- a scale-up stabilization window (the Kubernetes HPA, KEDA) must then pass with the load still high;
- a scale-out cooldown left over from a previous scale-out runs at the same time as the above, and blocks the
  action until it ends: the worst case is a cooldown that began just before the step.

First action = max(evaluation_periods x metric_period + evaluation_interval, cooldown) + stabilization.
Warm-up (boot and container start) comes after the action; it is reported as `ready_seconds` where the
config states it, and is not part of the figure compared with the target.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScalingLoop:
    """How one cloud's autoscaler, as Rollway configures it, notices a load step."""

    mechanism: str
    """What decides, e.g. `ECS target tracking (CloudWatch alarm)`."""
    metric_period_seconds: int
    """Seconds per metric sample the scaler reads."""
    evaluation_periods: int
    """Consecutive samples above the target before the scaler acts."""
    evaluation_interval_seconds: int
    """How often the scaler looks at the samples (alarm evaluation, HPA sync, KEDA polling)."""
    cooldown_seconds: int = 0
    """Scale-out cooldown that blocks a new action after the previous one (runs alongside detection)."""
    stabilization_seconds: int = 0
    """Scale-up stabilization window the load must stay high through after detection."""
    warmup_seconds: int | None = None
    """Seconds new capacity needs before it serves (boot, container start); None when not configured."""

    def __post_init__(self) -> None:
        for name in ("metric_period_seconds", "evaluation_interval_seconds", "cooldown_seconds", "stabilization_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative: {getattr(self, name)}")
        if self.metric_period_seconds == 0 or self.evaluation_periods < 1:
            raise ValueError("a scaling loop needs a metric period above 0 and at least one evaluation period")
        if self.warmup_seconds is not None and self.warmup_seconds < 0:
            raise ValueError(f"warmup_seconds must not be negative: {self.warmup_seconds}")


@dataclass(frozen=True)
class TimeToCapacity:
    """The worst case for one service on one cloud, with the target it is held to."""

    loop: ScalingLoop
    """The scaling loop the figure comes from."""
    first_action_seconds: int
    """Worst-case seconds from a load step to the first scale-out action."""
    target_seconds: int
    """The service's `autoscaling.timeToCapacityTargetSeconds`."""

    @property
    def ready_seconds(self) -> int | None:
        """First action plus warm-up: when the new capacity serves; None without a configured warm-up."""
        if self.loop.warmup_seconds is None:
            return None
        return self.first_action_seconds + self.loop.warmup_seconds

    @property
    def exceeds_target(self) -> bool:
        return self.first_action_seconds > self.target_seconds

    def breakdown(self) -> str:
        """How the figure is reached, e.g. `3 x 60s samples + 60s evaluation; cooldown 60s`."""
        loop = self.loop
        parts = [
            f"{loop.evaluation_periods} x {loop.metric_period_seconds}s samples + {loop.evaluation_interval_seconds}s evaluation"
        ]
        if loop.cooldown_seconds:
            parts.append(f"scale-out cooldown {loop.cooldown_seconds}s (overlaps)")
        if loop.stabilization_seconds:
            parts.append(f"+ {loop.stabilization_seconds}s scale-up stabilization")
        return "; ".join(parts)

    def summary(self) -> dict[str, object]:
        """The stack-output form the builders export and `rollway preview` shows."""
        return {
            "firstScaleOutSeconds": self.first_action_seconds,
            "targetSeconds": self.target_seconds,
            "readySeconds": self.ready_seconds,
            "mechanism": self.loop.mechanism,
            "breakdown": self.breakdown(),
            "exceedsTarget": self.exceeds_target,
        }

    def warning(self, service: str, cloud: str) -> str:
        """The warning shown when the figure is above the target, with the remedy for the term that dominates."""
        loop = self.loop
        if loop.stabilization_seconds or loop.cooldown_seconds > detection_seconds(loop):
            remedy = "shorten autoscaling.scaleOutCooldownSeconds"
        else:
            remedy = (
                "the cloud's metric pipeline sets this floor: cover known peaks with autoscaling.schedules or predictive scaling"
            )
        return (
            f"{cloud} service {service}: worst-case time to first scale-out is {self.first_action_seconds}s "
            f"({loop.mechanism}: {self.breakdown()}), above its target of {self.target_seconds}s; {remedy}, or relax "
            f"rollway:services.{service}.autoscaling.timeToCapacityTargetSeconds"
        )


def detection_seconds(loop: ScalingLoop) -> int:
    """Worst-case seconds until the scaler sees enough high samples: whole samples after the step, plus one look."""
    return loop.evaluation_periods * loop.metric_period_seconds + loop.evaluation_interval_seconds


def first_action_seconds(loop: ScalingLoop) -> int:
    """Worst-case seconds from a load step to the first scale-out action of `loop` (see the module docstring)."""
    return max(detection_seconds(loop), loop.cooldown_seconds) + loop.stabilization_seconds


def time_to_capacity(loop: ScalingLoop, target_seconds: int) -> TimeToCapacity:
    return TimeToCapacity(loop=loop, first_action_seconds=first_action_seconds(loop), target_seconds=target_seconds)
